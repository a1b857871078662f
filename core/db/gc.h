/*
** gc.h: SlateDB 0.12.1's garbage collector (spec/MANIFEST.md §6.5, §7), as a
** pure planner (sdbGcPlan: listings + manifests in, keys to delete out) and
** an executor (sdbGcRun: reads the store, plans, deletes).
**
** Objects considered (keys relative to the DB root; anything else, including
** names that do not parse, is never touched):
**   manifest/<20 digits>.manifest        compactions/<20 digits>.compactions
**   wal/<20 digits>.sst                  compacted/<26-char upper-case ULID>.sst
**
** Expired checkpoints are NOT removed here: the caller does that with a
** manifest write before calling sdbGcRun, as SlateDB does before each task.
*/
#ifndef SDB_GC_H
#define SDB_GC_H

#include "meta/compactions.h"
#include "meta/manifest.h"
#include "store/objstore.h"
#include "util/sdbInt.h"

typedef struct SdbGcOptions {
  u64 minAgeMs;           /* min_age of every folder; SlateDB's default is 300000 */
} SdbGcOptions;

typedef struct SdbGcStats {
  u64 nManifest;          /* objects deleted under manifest/ */
  u64 nWal;               /* ... wal/ */
  u64 nCompacted;         /* ... compacted/ */
  u64 nCompactions;       /* ... compactions/ */
} SdbGcStats;

/* Kinds of planned deletions. */
#define SDB_GC_MANIFEST    0
#define SDB_GC_WAL         1
#define SDB_GC_COMPACTED   2
#define SDB_GC_COMPACTIONS 3

/* Everything the planner looks at. Listings hold full keys ("wal/...") with
** mtimeMs from the store; entries outside their folder are ignored. */
typedef struct SdbGcInput {
  const SdbObjList *pManifestList;      /* listing of manifest/ */
  const SdbObjList *pWalList;           /* listing of wal/ */
  const SdbObjList *pCompactedList;     /* listing of compacted/ */
  const SdbObjList *pCompactionsList;   /* listing of compactions/ */
  const SdbManifest *pLatest;           /* the latest manifest */
  u64 latestId;                         /* its id */
  const SdbManifest *const *apCkpt;     /* apCkpt[i]: the manifest pinned by
                                        ** pLatest->aCkpt[i] (pLatest->nCkpt entries) */
  const SdbCompactions *pCompactions;   /* latest .compactions, or NULL if none */
  u64 compactionsId;                    /* its id (ignored when NULL) */
  u64 keepAboveId;                      /* manifests above this id are kept: the
                                        ** caller (a writer) has not read them, and
                                        ** its next create-only manifest PUT goes to
                                        ** this id + 1 (0: no such bound) */
} SdbGcInput;

/* The planner's output: keys to delete, with their kind. */
typedef struct SdbGcPlan {
  char **azKey;           /* sdbMalloc'd keys; owned */
  int *aeKind;            /* SDB_GC_* per key; owned */
  int n;
  int nAlloc;
} SdbGcPlan;

/* Decide what SlateDB 0.12.1's GC would delete at time nowMs:
**   manifest/     id < latestId (and not the largest listed), not above
**                 keepAboveId, not pinned by a checkpoint of pLatest, and
**                 nowMs - mtime > minAge;
**   wal/          id < pLatest->replay_after_wal_id, nowMs - mtime > minAge, and
**                 not in (replay_after_wal_id, wal_id_last_seen] of pLatest or of
**                 any checkpointed manifest;
**   compacted/    not an L0 or sorted-run SST of pLatest or of any checkpointed
**                 manifest, and ULID time < min(nowMs - minAge, start (ULID time)
**                 of the oldest compaction in pCompactions — 0 when there is no
**                 file or no compaction, newest L0 ULID time of pLatest — else
**                 its l0_last_compacted, else 0);
**   compactions/  id < compactionsId (and not the largest listed) and
**                 nowMs - mtime > minAge.
** REQUIRES: pIn->pLatest and every apCkpt[i] non-NULL; pPlan zeroed or freed.
** Returns SDB_OK (pPlan filled, caller frees with sdbGcPlanFree) or SDB_NOMEM. */
int sdbGcPlan(const SdbGcInput *pIn, const SdbGcOptions *pOpt, i64 nowMs, SdbGcPlan *pPlan,
              SdbErr *pErr);

/* Release a plan's keys and arrays and zero it. NULL-safe. */
void sdbGcPlanFree(SdbGcPlan *p);

/* One GC pass over pStore.
**   1. Load the latest compactions/ object (before the manifest, as SlateDB
**      does, so a compaction finishing meanwhile cannot expose its outputs).
**   2. Re-read the latest manifest; the newer of it and (pLatest, latestId)
**      is the one used. Manifests above latestId, the caller's view, are
**      never deleted: a writer that has not read them yet would otherwise
**      write its next manifest into a deleted id, under the newest one.
**   3. List the four folders; load every manifest pinned by a checkpoint.
**   4. sdbGcPlan, then delete the planned keys (manifests, WAL, compacted,
**      compactions, in that order).
** A missing checkpointed manifest, or any read error, is returned before
** anything is deleted. A failed delete does not stop the others; the first
** such error is returned. pStats (may be NULL) counts successful deletions.
** REQUIRES: pLatest non-NULL (the caller's latest known manifest). */
int sdbGcRun(SdbStore *pStore, const SdbManifest *pLatest, u64 latestId,
             const SdbGcOptions *pOpt, i64 nowMs, SdbGcStats *pStats, SdbErr *pErr);

/* Parse "<26-char upper-case Crockford ULID>.sst" (a leading path is
** ignored). SDB_OK and *pId, or SDB_ERROR when the name does not match. */
int sdbParseSstUlidName(const char *zName, SdbUlid *pId);

#endif /* SDB_GC_H */
