/*
** compactor.h: SlateDB 0.12.1's size-tiered compaction (spec/MANIFEST.md §6):
** choosing what to compact (the scheduler), merging the sources into a new
** sorted run of format-version-2 SSTs (the executor), and applying the result
** to a manifest. A writer's maintenance thread (maint.c) runs these, fenced
** by compactor_epoch and the compactions/ file (compactions.h).
*/
#ifndef SDB_COMPACTOR_H
#define SDB_COMPACTOR_H

#include "db/dbInt.h"
#include "meta/manifest.h"
#include "table/sst_build.h"

/* Compactor settings; sdbCompactorOptionsDefault gives SlateDB 0.12.1's. */
typedef struct SdbCompactorOptions {
  int nMinSources;        /* min_compaction_sources (4) */
  int nMaxSources;        /* max_compaction_sources (8) */
  double includeSizeThreshold; /* include_size_threshold (4.0) */
  u64 maxSstSize;         /* max_sst_size: output SSTs split at this size (256 MiB) */
  u64 pollIntervalMs;     /* poll_interval (5000) */
} SdbCompactorOptions;
void sdbCompactorOptionsDefault(SdbCompactorOptions *p);

/* One compaction: L0 SSTs and/or sorted runs merged into run dstRunId. */
typedef struct SdbCompactionSpec {
  SdbUlid *aL0;           /* consumed L0s by view id (SlateDB's SourceId::SstView; equal
                          ** to the SST id in a V1 manifest), newest first; owned */
  int nL0;
  u32 *aRunId;            /* consumed sorted-run ids, descending; owned */
  int nRun;
  u32 dstRunId;           /* destination run id */
  int bBottom;            /* the output is the oldest run: tombstones can go */
} SdbCompactionSpec;
void sdbCompactionSpecClear(SdbCompactionSpec *p);

/*
** The size-tiered scheduler: choose the next compaction for manifest m, as
** SlateDB 0.12.1's default scheduler does. Returns 1 and fills *pSpec (caller
** clears it) if there is work, 0 if none, -1 on OOM.
*/
int sdbCompactPick(const SdbManifest *m, const SdbCompactorOptions *pOpt, SdbCompactionSpec *pSpec);

/* The output of a compaction: SST handles (with ids and infos) in key order. */
typedef struct SdbCompactionOutput {
  SdbSstHandle *aSst;     /* owned; each handle's info owned */
  int nSst;
} SdbCompactionOutput;
void sdbCompactionOutputClear(SdbCompactionOutput *p);

/*
** Merge the sources of pSpec, as found in version v (pinned by the caller),
** into output SSTs split at pOpt->maxSstSize, each stored with a plain PUT
** as compacted/<new ULID>.sst. Retention (spec/MANIFEST.md §6.3): the newest
** version of each key; older ones while their seq > m->recentSnapshotMinSeq
** plus one boundary version at or below it; merge operands down to their
** base; values with expire_ts <= m->lastL0ClockTick become tombstones and
** merge operands that old are dropped;
** tombstones are dropped when pSpec->bBottom. pSstOpt: block size, codec,
** filter settings of the output. On error the stored outputs are deleted
** (best effort) and *pOut is empty.
*/
int sdbCompactExecute(SdbDb *db, DbVersion *v, const SdbCompactionSpec *pSpec,
                      const SdbCompactorOptions *pOpt, const SdbSstOptions *pSstOpt,
                      SdbCompactionOutput *pOut, SdbErr *pErr);

/*
** Apply a finished compaction to manifest m (an owned copy the caller edits):
** remove the consumed L0s (by id) and runs, insert run dstRunId with the
** output SSTs keeping the runs in descending id order, and set
** l0_last_compacted to the newest consumed L0. SDB_CONFLICT if a source is
** no longer in m (someone else compacted it).
*/
int sdbCompactApply(SdbManifest *m, const SdbCompactionSpec *pSpec,
                    const SdbCompactionOutput *pOut, SdbErr *pErr);

#endif /* SDB_COMPACTOR_H */
