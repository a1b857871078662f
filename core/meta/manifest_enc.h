/*
** manifest_enc.h: writing ManifestV1 objects and the CompactedSsTable table
** that the compactions file shares. Layouts are in manifest_enc.c.
*/
#ifndef SDB_MANIFEST_ENC_H
#define SDB_MANIFEST_ENC_H

#include "util/fbbuild.h"
#include "table/sstinfo.h"
#include "meta/manifest.h"

/* Write a CompactedSsTable (manifests and compactions/ share it) into f;
** returns the table position (0 after an error, which stays sticky in f). */
u32 sdbSstHandleWrite(SdbFbb *f, const SdbSstHandle *h);

/* Encode m as a ManifestV1 object (2-byte envelope + FlatBuffer). On SDB_OK
** *pa is sdbMalloc'd (caller frees) with *pn bytes. SDB_UNSUPPORTED when m
** cannot be written without losing data (ManifestV2, unknown fields). */
int sdbManifestEncode(const SdbManifest *m, u8 **pa, size_t *pn, SdbErr *pErr);

#endif
