/*
** manifest_enc.h: writing ManifestV1 objects and the FlatBuffer tables that
** SST files share with manifests (SsTableInfo, Ulid, Uuid). Layouts are in
** manifest_enc.c.
*/
#ifndef SDB_MANIFEST_ENC_H
#define SDB_MANIFEST_ENC_H

#include "fbbuild.h"
#include "format.h"
#include "manifest.h"

/* Write tables into f; each returns the table position (0 after an error,
** which stays sticky in f). */
u32 sdbUlidWrite(SdbFbb *f, SdbUlid id);
u32 sdbUuidWrite(SdbFbb *f, const u8 a[16]);
u32 sdbSstInfoWrite(SdbFbb *f, const SdbSstInfo *p);
/* A CompactedSsTable (manifests and compactions/ share it). */
u32 sdbSstHandleWrite(SdbFbb *f, const SdbSstHandle *h);

/* Encode m as a ManifestV1 object (2-byte envelope + FlatBuffer). On SDB_OK
** *pa is sdbMalloc'd (caller frees) with *pn bytes. SDB_UNSUPPORTED when m
** cannot be written without losing data (ManifestV2, unknown fields). */
int sdbManifestEncode(const SdbManifest *m, u8 **pa, size_t *pn, SdbErr *pErr);

#endif
