/*
** sstinfo.h: SsTableInfo, the table SST files and manifests share, with the
** codec and SST type constants.
**
** SsTableInfo (spec/SST.md §4.1, schemas/sst.fbs at fce6ed00), by field id:
**   0 first_entry [ubyte]   1 index_offset u64   2 index_len u64
**   3 filter_offset u64     4 filter_len u64     5 compression_format i8
**   6 sst_type i8 (0 Compacted, 1 Wal)           7 last_entry [ubyte]
**   8 stats_offset u64      9 stats_len u64
**   (10 filter_format: 0.13+ only; 1 = composite filter section)
*/
#ifndef SDB_SSTINFO_H
#define SDB_SSTINFO_H

#include "util/fb.h"
#include "util/fbbuild.h"
#include "util/ids.h"

/* compression_format values */
#define SDB_CODEC_NONE   0
#define SDB_CODEC_SNAPPY 1
#define SDB_CODEC_ZLIB   2
#define SDB_CODEC_LZ4    3
#define SDB_CODEC_ZSTD   4

#define SDB_SST_COMPACTED 0
#define SDB_SST_WAL       1

/* A decoded SsTableInfo. pFirst/pLast are sdbMalloc'd copies owned by the
** struct (free with sdbSstInfoClear). */
typedef struct SdbSstInfo {
  u8 *pFirst; u32 nFirst; int bHasFirst;   /* first_entry */
  u8 *pLast;  u32 nLast;  int bHasLast;    /* last_entry */
  u64 indexOffset, indexLen;
  u64 filterOffset, filterLen;
  u64 statsOffset, statsLen;
  u8 eCodec;              /* SDB_CODEC_* */
  u8 eSstType;            /* SDB_SST_* */
  u8 eFilterFormat;       /* 0 legacy bloom, 1 composite (0.13+) */
} SdbSstInfo;

/* Decode an SsTableInfo table. On success the caller owns pInfo's copies. */
int sdbSstInfoFromTable(const SdbFbTable *pT, SdbSstInfo *pInfo, SdbErr *pErr);
/* Deep copy (caller owns pDst) / release. */
int sdbSstInfoCopy(SdbSstInfo *pDst, const SdbSstInfo *pSrc);
void sdbSstInfoClear(SdbSstInfo *pInfo);
/* Write p into f; returns the table position (0 after an error, sticky in f). */
u32 sdbSstInfoWrite(SdbFbb *f, const SdbSstInfo *p);

#endif /* SDB_SSTINFO_H */
