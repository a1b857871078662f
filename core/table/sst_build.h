/*
** sst_build.h: writing SST objects in SlateDB 0.12.1's format version 2
** (spec/SST.md §2-§11): WAL SSTs, the empty fence WAL, and compacted SSTs
** (L0 flushes, later compaction output). Layout in sst_build.c.
*/
#ifndef SDB_SST_BUILD_H
#define SDB_SST_BUILD_H

#include "table/sstinfo.h"
#include "util/sdbInt.h"

typedef struct SdbSstOptions {
  size_t blockSize;       /* target block size (SlateDB default 4096) */
  int eCodec;             /* SDB_CODEC_* for blocks, filter, index, stats */
  u32 filterBitsPerKey;   /* default 10 */
  u32 minFilterKeys;      /* default 1000: fewer rows -> no filter */
  int bWal;               /* WAL SST: rows in seq order, seq index keys, no filter/stats */
} SdbSstOptions;

/* SlateDB 0.12.1's defaults. */
void sdbSstOptionsDefault(SdbSstOptions *p);

typedef struct SdbSstBuilder SdbSstBuilder;

/* A new builder (caller owns; sdbSstBuilderFree). NULL on OOM. */
SdbSstBuilder *sdbSstBuilderNew(const SdbSstOptions *pOpt);
void sdbSstBuilderFree(SdbSstBuilder *p);

/* Append a row. REQUIRES: compacted SSTs get rows in (key asc, seq desc)
** order; WAL SSTs in write (seq) order. Keys are 1..65535 bytes. */
int sdbSstBuilderAdd(SdbSstBuilder *p, const SdbEntry *pE, SdbErr *pErr);

/* Bytes the SST would take if finished now (before compression). */
u64 sdbSstBuilderEstimate(const SdbSstBuilder *p);

/* Finish: *pOut receives the whole object (replacing its contents) and *pInfo
** the SsTableInfo written into it (caller owns; sdbSstInfoClear). The builder
** can only be freed afterwards. On failure the builder holds its rows as
** before: it can be finished again, get more rows, or be freed. */
int sdbSstBuilderFinish(SdbSstBuilder *p, SdbBuf *pOut, SdbSstInfo *pInfo, SdbErr *pErr);

#endif /* SDB_SST_BUILD_H */
