/*
** format.h: format types shared by the SST and manifest codecs.
**
** SsTableInfo (spec/SST.md §4.1, schemas/sst.fbs at fce6ed00), by field id:
**   0 first_entry [ubyte]   1 index_offset u64   2 index_len u64
**   3 filter_offset u64     4 filter_len u64     5 compression_format i8
**   6 sst_type i8 (0 Compacted, 1 Wal)           7 last_entry [ubyte]
**   8 stats_offset u64      9 stats_len u64
**   (10 filter_format: 0.13+ only; 1 = composite filter section)
** Ulid { 0 high u64, 1 low u64 }: high = top 64 bits of the 128-bit ULID.
*/
#ifndef SDB_FORMAT_H
#define SDB_FORMAT_H

#include "fb.h"
#include "sdbInt.h"

/* compression_format values */
#define SDB_CODEC_NONE   0
#define SDB_CODEC_SNAPPY 1
#define SDB_CODEC_ZLIB   2
#define SDB_CODEC_LZ4    3
#define SDB_CODEC_ZSTD   4

#define SDB_SST_COMPACTED 0
#define SDB_SST_WAL       1

typedef struct SdbUlid {
  u64 hi;                 /* top 64 bits */
  u64 lo;                 /* bottom 64 bits */
} SdbUlid;

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

/* Decode a Ulid table. */
int sdbUlidFromTable(const SdbFbTable *pT, SdbUlid *pId, SdbErr *pErr);
/* 26 Crockford base32 characters + NUL into z[27]. */
void sdbUlidFormat(SdbUlid id, char z[27]);

/* A new ULID for the current time: 48 bits of Unix ms, 80 random bits. */
int sdbUlidNew(SdbUlid *pId);
/* A new random (version 4) UUID in a[16] (byte order as printed: a[0] is the
** first hex pair): sdbRandomBytes, then version 4 in the high nibble of a[6]
** and the RFC 4122 variant (10xx) in the top bits of a[8]. SDB_OK or
** SDB_IOERR. */
int sdbUuidNew(u8 a[16]);
/* Fill a[0..n) with cryptographically random bytes. SDB_OK or SDB_IOERR. */
int sdbRandomBytes(void *a, size_t n);
/* Wall-clock time in ms since the Unix epoch. */
i64 sdbNowMs(void);

#endif /* SDB_FORMAT_H */
