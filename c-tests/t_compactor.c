/*
** t_compactor.c: the size-tiered compactor (core/db/compactor.c).
**
**   1. The scheduler on synthetic manifests (the cases of SlateDB 0.12.1's
**      size_tiered_compaction.rs tests): L0 thresholds and clamping, new run
**      ids, similar-size run groups, clamping to the oldest 8, backpressure.
**   2. Apply on synthetic manifests: run order, l0_last_compacted, freeing,
**      SDB_CONFLICT leaving the manifest untouched; L0 sources named by view
**      id (set apart from SST ids, as a ManifestV2 may), also for the
**      executor (3.).
**   3. Whole compactions on engine-built databases in a temp directory: pick
**      on the pinned version, execute, apply to a fresh decode, commit
**      manifest <id+1> (create-only PUT), let the writer adopt it (poll), then
**      compare the visible rows with those before and inspect the raw rows of
**      the new run: overwrites shrink to one version, tombstones vanish at
**      the bottom and stay above an older run, TTL-expired values become
**      tombstones, merge operands are kept down to their base (SSTs with
**      merge rows are injected, as the engine has no merge batch op), the
**      snapshot boundary, splitting at a small max_sst_size, and an empty
**      output (everything deleted) still making an empty run.
*/
#include <unistd.h>

#include "test.h"
#include "db/compactor.h"
#include "db/dbInt.h"
#include "meta/manifest_enc.h"
#include "util/sdbInt.h"

/* ================================================================ synthetic */

static u64 gNextId = 1;

/* A handle with a fresh id whose estimated size is `size`. */
static void synthHandle(SdbSstHandle *h, u64 size) {
  memset(h, 0, sizeof(*h));
  h->id.hi = 0x0190000000000000ull;
  h->id.lo = gNextId++;
  h->viewId = h->id;
  h->info.indexOffset = size;
  h->bHasFormatVersion = 1;
  h->formatVersion = 2;
}

/* A manifest (sdbManifestFree) with nL0 L0s of size 1 and runs ids[i] of
** total size sizes[i] spread over nSst[i] SSTs (0 = 2). */
static SdbManifest *synth(int nL0, int nRun, const u32 *ids, const u64 *sizes, const int *nSst) {
  SdbManifest *m = sdbMallocZero(sizeof(*m));
  m->eFormat = 1;
  m->bInitialized = 1;
  m->aL0 = sdbMallocZero(sizeof(SdbSstHandle) * (size_t)(nL0 + 1));
  for (int i = 0; i < nL0; i++) synthHandle(&m->aL0[i], 1);
  m->nL0 = nL0;
  m->aRun = sdbMallocZero(sizeof(SdbSortedRun) * (size_t)(nRun + 1));
  for (int r = 0; r < nRun; r++) {
    int n = nSst && nSst[r] ? nSst[r] : 2;
    m->aRun[r].id = ids[r];
    m->aRun[r].aSst = sdbMallocZero(sizeof(SdbSstHandle) * (size_t)n);
    for (int i = 0; i < n; i++) synthHandle(&m->aRun[r].aSst[i], sizes[r] / (u64)n);
    m->aRun[r].nSst = n;
  }
  m->nRun = nRun;
  return m;
}

/* 1 if spec's runs are exactly ids[0..n). */
static int specRuns(const SdbCompactionSpec *p, const u32 *ids, int n) {
  if (p->nRun != n || p->nL0 != 0) return 0;
  for (int i = 0; i < n; i++) if (p->aRunId[i] != ids[i]) return 0;
  return p->dstRunId == ids[n - 1];
}

/* 1 if spec's L0s are m->aL0[i0 .. i0+n), in manifest order. */
static int specL0s(const SdbCompactionSpec *p, const SdbManifest *m, int i0, int n) {
  if (p->nL0 != n || p->nRun != 0) return 0;
  for (int i = 0; i < n; i++) {
    if (p->aL0[i].hi != m->aL0[i0 + i].id.hi || p->aL0[i].lo != m->aL0[i0 + i].id.lo) return 0;
  }
  return 1;
}

static void testPickL0(const SdbCompactorOptions *o) {
  SdbCompactionSpec s;
  SdbManifest *m = synth(4, 0, NULL, NULL, NULL);
  int rc = sdbCompactPick(m, o, &s);
  CHECK("pick: 4 L0s, no run -> all 4 into run 0 (bottom)",
        rc == 1 && specL0s(&s, m, 0, 4) && s.dstRunId == 0 && s.bBottom);
  sdbCompactionSpecClear(&s);
  sdbManifestFree(m);

  m = synth(3, 0, NULL, NULL, NULL);
  CHECK("pick: 3 L0s -> nothing", sdbCompactPick(m, o, &s) == 0 && s.nL0 == 0);
  sdbManifestFree(m);

  m = synth(11, 0, NULL, NULL, NULL);
  rc = sdbCompactPick(m, o, &s);
  CHECK("pick: 11 L0s -> the oldest 8", rc == 1 && specL0s(&s, m, 3, 8) && s.dstRunId == 0);
  sdbCompactionSpecClear(&s);
  sdbManifestFree(m);

  u32 ids[] = {10, 0};
  u64 sizes[] = {2, 2};
  m = synth(4, 2, ids, sizes, NULL);
  rc = sdbCompactPick(m, o, &s);
  CHECK("pick: L0s go to a new run, highest id + 1, not bottom",
        rc == 1 && specL0s(&s, m, 0, 4) && s.dstRunId == 11 && !s.bBottom);
  sdbCompactionSpecClear(&s);
  sdbManifestFree(m);
}

static void testPickRuns(const SdbCompactorOptions *o) {
  SdbCompactionSpec s;
  u32 ids5[] = {4, 3, 2, 1, 0};
  u64 same5[] = {2, 2, 2, 2, 2};
  SdbManifest *m = synth(0, 5, ids5, same5, NULL);
  int rc = sdbCompactPick(m, o, &s);
  CHECK("pick: 5 similar runs -> all into run 0 (bottom)", rc == 1 && specRuns(&s, ids5, 5) && s.bBottom);
  sdbCompactionSpecClear(&s);
  sdbManifestFree(m);

  u64 big0[] = {2, 2, 2, 2, 10};
  m = synth(0, 5, ids5, big0, NULL);
  rc = sdbCompactPick(m, o, &s);
  CHECK("pick: a run > 4x the smallest stops the group (not bottom)",
        rc == 1 && specRuns(&s, ids5, 4) && s.dstRunId == 1 && !s.bBottom);
  sdbCompactionSpecClear(&s);
  sdbManifestFree(m);

  u32 ids3[] = {2, 1, 0};
  u64 sz3[] = {2, 2, 0};
  int n3[] = {2, 2, 4};
  m = synth(0, 3, ids3, sz3, n3);
  CHECK("pick: 3 runs -> nothing", sdbCompactPick(m, o, &s) == 0);
  sdbManifestFree(m);

  u32 ids12[12];
  u64 sz12[12];
  int n12[12];
  for (int i = 0; i < 12; i++) { ids12[i] = (u32)(11 - i); sz12[i] = i == 11 ? 0 : 2; n12[i] = i == 11 ? 4 : 2; }
  m = synth(0, 12, ids12, sz12, n12);
  rc = sdbCompactPick(m, o, &s);
  CHECK("pick: 12 similar runs -> the oldest 8 (backpressure skips the newest)",
        rc == 1 && specRuns(&s, ids12 + 4, 8) && s.bBottom);
  sdbCompactionSpecClear(&s);
  sdbManifestFree(m);

  /* SlateDB's test_should_apply_backpressure_for_l0s, without the active job:
  ** the L0 compaction waits, the 8 runs get merged instead. */
  m = synth(4, 8, ids12 + 4, sz12 + 4, n12 + 4);
  rc = sdbCompactPick(m, o, &s);
  CHECK("pick: backpressure holds back the L0s next to a full group of runs",
        rc == 1 && s.nL0 == 0 && specRuns(&s, ids12 + 4, 8));
  sdbCompactionSpecClear(&s);
  sdbManifestFree(m);

  u32 ids8[] = {10, 9, 8, 7, 3, 2, 1, 0};
  u64 sz8[] = {2, 2, 2, 2, 16, 16, 16, 16};
  int n8[] = {2, 2, 2, 2, 4, 4, 4, 4};
  m = synth(4, 8, ids8, sz8, n8);
  rc = sdbCompactPick(m, o, &s);
  CHECK("pick: L0s first when there are enough", rc == 1 && s.nL0 == 4 && s.dstRunId == 11);
  sdbCompactionSpecClear(&s);
  sdbManifestFree(m);
  m = synth(0, 8, ids8, sz8, n8);
  rc = sdbCompactPick(m, o, &s);
  CHECK("pick: the newest similar group first", rc == 1 && specRuns(&s, ids8, 4) && !s.bBottom);
  sdbCompactionSpecClear(&s);
  sdbManifestFree(m);
}

/* An output of n synthetic SSTs. */
static void synthOutput(SdbCompactionOutput *o, int n) {
  memset(o, 0, sizeof(*o));
  o->aSst = sdbMallocZero(sizeof(SdbSstHandle) * (size_t)n);
  for (int i = 0; i < n; i++) {
    synthHandle(&o->aSst[i], 100);
    o->aSst[i].info.pFirst = sdbMemdup("k", 1);
    o->aSst[i].info.nFirst = 1;
    o->aSst[i].info.bHasFirst = 1;
  }
  o->nSst = n;
}

static void testApplySynthetic(void) {
  SdbErr err = {0};
  u32 ids[] = {5, 3, 1};
  u64 sz[] = {2, 2, 2};
  SdbManifest *m = synth(6, 3, ids, sz, NULL);
  SdbCompactionSpec s;
  SdbCompactionOutput o;
  memset(&s, 0, sizeof(s));
  s.nL0 = 2;
  s.aL0 = sdbMalloc(sizeof(SdbUlid) * 2);
  s.aL0[0] = m->aL0[4].id;
  s.aL0[1] = m->aL0[5].id;
  s.dstRunId = 6;
  synthOutput(&o, 2);
  SdbUlid keep = m->aL0[3].id;
  int rc = sdbCompactApply(m, &s, &o, &err);
  CHECK("apply: L0s into a new newest run",
        rc == SDB_OK && m->nL0 == 4 && m->aL0[3].id.lo == keep.lo && m->nRun == 4 &&
        m->aRun[0].id == 6 && m->aRun[0].nSst == 2 && m->aRun[0].aSst[0].info.nFirst == 1 &&
        m->bHasL0LastCompacted && m->l0LastCompacted.lo == s.aL0[0].lo);
  sdbCompactionSpecClear(&s);

  memset(&s, 0, sizeof(s));
  s.nRun = 2;
  s.aRunId = sdbMalloc(sizeof(u32) * 2);
  s.aRunId[0] = 5;
  s.aRunId[1] = 3;
  s.dstRunId = 3;
  rc = sdbCompactApply(m, &s, &o, &err);
  CHECK("apply: runs 5,3 into 3 keep descending ids",
        rc == SDB_OK && m->nRun == 3 && m->aRun[0].id == 6 && m->aRun[1].id == 3 &&
        m->aRun[1].nSst == 2 && m->aRun[2].id == 1 && m->nL0 == 4);

  u8 *a1 = NULL, *a2 = NULL;
  size_t n1 = 0, n2 = 0;
  sdbManifestEncode(m, &a1, &n1, &err);
  rc = sdbCompactApply(m, &s, &o, &err);   /* run 5 is gone now */
  sdbManifestEncode(m, &a2, &n2, &err);
  CHECK("apply: a missing source run -> SDB_CONFLICT, manifest unchanged",
        rc == SDB_CONFLICT && a1 && a2 && n1 == n2 && memcmp(a1, a2, n1) == 0);
  sdbFree(a2);
  a2 = NULL;
  sdbCompactionSpecClear(&s);

  memset(&s, 0, sizeof(s));
  s.nL0 = 1;
  s.aL0 = sdbMalloc(sizeof(SdbUlid));
  s.aL0[0].hi = 42;
  s.dstRunId = 7;
  rc = sdbCompactApply(m, &s, &o, &err);
  sdbManifestEncode(m, &a2, &n2, &err);
  CHECK("apply: a missing source L0 -> SDB_CONFLICT, manifest unchanged",
        rc == SDB_CONFLICT && a2 && n1 == n2 && memcmp(a1, a2, n1) == 0);
  sdbFree(a1);
  sdbFree(a2);
  sdbCompactionSpecClear(&s);
  sdbCompactionOutputClear(&o);
  sdbManifestFree(m);
}

/* L0 sources are named by view id (SlateDB's SourceId::SstView), which a
** ManifestV2 may set apart from the SST id: the scheduler names the views,
** apply removes those views and records the newest one as l0_last_compacted,
** and a spec naming the SST ids instead is a conflict. */
static void testApplyViewIds(const SdbCompactorOptions *o) {
  SdbErr err = {0};
  SdbCompactionSpec s;
  SdbCompactionOutput out;
  SdbManifest *m = synth(9, 0, NULL, NULL, NULL);
  for (int i = 0; i < m->nL0; i++) m->aL0[i].viewId.lo = m->aL0[i].id.lo + 1000;
  int rc = sdbCompactPick(m, o, &s);
  int bViews = rc == 1 && s.nL0 == 8;
  for (int i = 0; bViews && i < 8; i++) bViews = s.aL0[i].lo == m->aL0[1 + i].viewId.lo;
  CHECK("view ids: the scheduler names L0 sources by view id", bViews);
  SdbCompactionSpec byId;
  memset(&byId, 0, sizeof(byId));
  byId.nL0 = 1;
  byId.aL0 = sdbMalloc(sizeof(SdbUlid));
  byId.aL0[0] = m->aL0[8].id;
  synthOutput(&out, 1);
  rc = sdbCompactApply(m, &byId, &out, &err);
  CHECK("view ids: an L0 named by its SST id is not a source", rc == SDB_CONFLICT && m->nL0 == 9);
  SdbUlid keep = m->aL0[0].viewId, newest = m->aL0[1].viewId;
  rc = bViews ? sdbCompactApply(m, &s, &out, &err) : SDB_ERROR;
  CHECKF("view ids: apply removes the named views, l0_last_compacted is a view id",
         rc == SDB_OK && m->nL0 == 1 && m->aL0[0].viewId.lo == keep.lo && m->nRun == 1 &&
         m->bHasL0LastCompacted && m->l0LastCompacted.lo == newest.lo, "rc=%d %s nL0=%d", rc,
         err.zMsg, m->nL0);
  sdbCompactionSpecClear(&byId);
  sdbCompactionSpecClear(&s);
  sdbCompactionOutputClear(&out);
  sdbManifestFree(m);
}

/* ================================================================ engine */

static char gDir[256];
static int gnDb = 0;

/* A new writer on a fresh subdirectory, no background maintenance. */
static SdbDb *openDb(int eMergeOp) {
  char z[300];
  snprintf(z, sizeof(z), "%s/db%d", gDir, gnDb++);
  SdbConfig cfg;
  memset(&cfg, 0, sizeof(cfg));
  cfg.zUrl = z;
  cfg.bCreateIfMissing = 1;
  cfg.eCodec = 1;
  cfg.eMergeOp = eMergeOp;
  cfg.bNoCompactor = 1;
  cfg.bNoGc = 1;
  SdbDb *db = NULL;
  SdbErr err = {0};
  if (sdb_db_open(&cfg, &db, &err)) printf("# open: %s\n", err.zMsg);
  return db;
}

/* One durable batch: key k -> v (v NULL: delete), expiring at exp (0: never). */
static int put(SdbDb *db, const char *k, const char *v, i64 exp) {
  SdbErr err = {0};
  SdbBatch *b = sdb_batch_new();
  if (v) sdb_batch_put(b, (const u8 *)k, strlen(k), (const u8 *)v, strlen(v), exp, &err);
  else sdb_batch_delete(b, (const u8 *)k, strlen(k), &err);
  int rc = sdb_db_write(db, b, 1, &err);
  sdb_batch_free(b);
  return rc;
}

static int flushL0(SdbDb *db) {
  SdbErr err = {0};
  return sdb_db_flush(db, 1, &err);
}

/* The visible rows as "key=value\n" lines plus a NUL into *p (reset first). */
static int dumpVisible(SdbDb *db, SdbBuf *p) {
  SdbIter *it = NULL;
  SdbErr err = {0};
  p->n = 0;
  int rc = sdb_db_scan(db, NULL, 0, &it, &err);
  while (rc == SDB_OK && !it->bEof) {
    sdbBufAppend(p, it->cur.pKey, it->cur.nKey);
    sdbBufAppend(p, "=", 1);
    sdbBufAppend(p, it->cur.pVal, it->cur.nVal);
    sdbBufAppend(p, "\n", 1);
    rc = sdb_iter_next(it, &err);
  }
  sdb_iter_free(it);
  sdbBufAppend(p, "", 1);   /* NUL-terminated for strstr; counted in n */
  if (rc) printf("# scan: %s\n", err.zMsg);
  return rc;
}

/* Raw rows of run `id` in the current version. */
typedef struct RunStat {
  int bFound;
  int nRow, nTomb, nMerge, nKey, maxVer;
  int nVerOf;             /* versions of the key asked for */
  int nTombOf;            /* tombstones of that key */
} RunStat;

static void runStat(SdbDb *db, u32 id, const char *zKey, RunStat *s) {
  SdbErr err = {0};
  SdbIter *it = NULL;
  SdbBuf prev = {0};
  int nVer = 0;
  memset(s, 0, sizeof(*s));
  DbVersion *v = sdbDbPinVersion(db);
  DbRun *d = NULL;
  for (int i = 0; i < v->nRun; i++) if (v->aRun[i].id == id) d = &v->aRun[i];
  if (d && sdbDbRunIter(db, d, NULL, 0, &it, &err) == SDB_OK) {
    s->bFound = 1;
    while (!it->bEof) {
      const SdbEntry *e = &it->cur;
      int bNew = prev.a == NULL || sdbKeyCmp(prev.a, prev.n, e->pKey, e->nKey) != 0;
      if (bNew) { s->nKey++; nVer = 0; sdbBufSet(&prev, e->pKey, e->nKey); }
      nVer++;
      if (nVer > s->maxVer) s->maxVer = nVer;
      s->nRow++;
      s->nTomb += e->eKind == SDB_KIND_TOMBSTONE;
      s->nMerge += e->eKind == SDB_KIND_MERGE;
      if (zKey && sdbKeyCmp(e->pKey, e->nKey, (const u8 *)zKey, strlen(zKey)) == 0) {
        s->nVerOf++;
        s->nTombOf += e->eKind == SDB_KIND_TOMBSTONE;
      }
      if (sdb_iter_next(it, &err)) break;
    }
  }
  sdb_iter_free(it);
  sdbBufFree(&prev);
  sdbDbVersionUnref(v);
}

/* PUT m as manifest <id+1> (create-only) and let the writer adopt it. */
static int commitManifest(SdbDb *db, const SdbManifest *m, u64 id, SdbErr *pErr) {
  u8 *a = NULL;
  size_t n = 0;
  char zKey[64], zId[21];
  int rc = sdbManifestEncode(m, &a, &n, pErr);
  sdbFormatId20(id + 1, zId);
  snprintf(zKey, sizeof(zKey), "manifest/%s.manifest", zId);
  if (rc == SDB_OK) rc = db->pStore->pMethods->xPut(db->pStore, zKey, a, n, 1, pErr);
  sdbFree(a);
  if (rc == SDB_OK) rc = sdbWriterPoll(db, pErr);
  return rc;
}

/* One compaction by hand: pSpec (or the scheduler's pick when pSpec->nL0 ==
** pSpec->nRun == 0; it is filled in) executed on the pinned version and
** applied to a fresh decode, committed. minSeqOverride (if not UINT64_MAX)
** replaces the pinned manifest's recent_snapshot_min_seq for the executor.
** *pOut receives the output (caller clears). */
static int compactStep(SdbDb *db, SdbCompactionSpec *pSpec, u64 maxSst, u64 minSeqOverride,
                       SdbCompactionOutput *pOut, SdbErr *pErr) {
  SdbCompactorOptions o;
  SdbSstOptions so;
  SdbManifest *m = NULL;
  sdbCompactorOptionsDefault(&o);
  if (maxSst) o.maxSstSize = maxSst;
  sdbSstOptionsDefault(&so);
  so.eCodec = SDB_CODEC_SNAPPY;
  DbVersion *v = sdbDbPinVersion(db);
  int rc = SDB_OK;
  if (pSpec->nL0 == 0 && pSpec->nRun == 0 && sdbCompactPick(v->pManifest, &o, pSpec) != 1) {
    rc = sdbErrSet(pErr, SDB_ERROR, "the scheduler found nothing to do");
  }
  if (rc == SDB_OK && minSeqOverride != UINT64_MAX) v->pManifest->recentSnapshotMinSeq = minSeqOverride;
  if (rc == SDB_OK) rc = sdbCompactExecute(db, v, pSpec, &o, &so, pOut, pErr);
  if (rc == SDB_OK) rc = sdbManifestDecode(v->pManifest->pRaw, v->pManifest->nRaw, &m, pErr);
  if (rc == SDB_OK) rc = sdbCompactApply(m, pSpec, pOut, pErr);
  if (rc == SDB_OK) rc = commitManifest(db, m, v->manifestId, pErr);
  sdbManifestFree(m);
  sdbDbVersionUnref(v);
  return rc;
}

/* Store the rows a[0..n) (key asc, seq desc) as an L0 SST and commit a
** manifest that prepends it, with last_l0_seq = lastSeq and
** recent_snapshot_min_seq = minSeq. */
static i64 gInjectTick = 0;   /* last_l0_clock_tick injectL0 sets when nonzero */
static int injectL0(SdbDb *db, const SdbEntry *a, int n, u64 lastSeq, u64 minSeq, SdbErr *pErr) {
  SdbSstOptions so;
  sdbSstOptionsDefault(&so);
  SdbSstBuilder *b = sdbSstBuilderNew(&so);
  SdbBuf out = {0};
  SdbSstInfo info;
  SdbUlid id;
  char zKey[64], zId[27];
  int rc = SDB_OK;
  for (int i = 0; rc == SDB_OK && i < n; i++) rc = sdbSstBuilderAdd(b, &a[i], pErr);
  if (rc == SDB_OK) rc = sdbSstBuilderFinish(b, &out, &info, pErr);
  sdbSstBuilderFree(b);
  if (rc) return rc;
  sdbUlidNew(&id);
  sdbUlidFormat(id, zId);
  snprintf(zKey, sizeof(zKey), "compacted/%s.sst", zId);
  rc = db->pStore->pMethods->xPut(db->pStore, zKey, out.a, out.n, 1, pErr);
  sdbBufFree(&out);
  DbVersion *v = sdbDbPinVersion(db);
  SdbManifest *m = NULL;
  if (rc == SDB_OK) rc = sdbManifestCopy(v->pManifest, &m, pErr);
  if (rc == SDB_OK) {
    SdbSstHandle *h = sdbRealloc(m->aL0, sizeof(SdbSstHandle) * (size_t)(m->nL0 + 1));
    m->aL0 = h;
    memmove(&h[1], &h[0], sizeof(SdbSstHandle) * (size_t)m->nL0);
    memset(&h[0], 0, sizeof(h[0]));
    m->nL0++;
    h[0].id = h[0].viewId = id;
    h[0].bHasFormatVersion = 1;
    h[0].formatVersion = 2;
    h[0].info = info;
    memset(&info, 0, sizeof(info));
    m->lastL0Seq = lastSeq;
    m->recentSnapshotMinSeq = minSeq;
    if (gInjectTick) m->lastL0ClockTick = gInjectTick;
    rc = commitManifest(db, m, v->manifestId, pErr);
  }
  sdbSstInfoClear(&info);
  sdbManifestFree(m);
  sdbDbVersionUnref(v);
  return rc;
}

static void keyName(char *z, int k) { snprintf(z, 16, "k%03d", k); }

/* Write round r: every key of [lo,hi) = "r<r>-<k>"; flush an L0. */
static void writeRound(SdbDb *db, int r, int lo, int hi) {
  char zk[16], zv[32];
  for (int k = lo; k < hi; k++) {
    keyName(zk, k);
    snprintf(zv, sizeof(zv), "r%d-%d", r, k);
    put(db, zk, zv, 0);
  }
}

/* Delete keys [lo,hi). */
static void deleteKeys(SdbDb *db, int lo, int hi) {
  char zk[16];
  for (int k = lo; k < hi; k++) { keyName(zk, k); put(db, zk, NULL, 0); }
}

/* L0 compactions and run merges on one database; tombstones at and above
** the bottom. */
static void testEngineTiers(void) {
  SdbDb *db = openDb(SDB_MERGE_NONE);
  SdbErr err = {0};
  SdbBuf before = {0}, after = {0};
  SdbCompactionSpec s;
  SdbCompactionOutput o;
  RunStat st;
  CHECK("tiers: open", db != NULL);
  if (!db) return;
  for (int r = 0; r < 5; r++) {   /* keys 10..19 deleted in round 2, 20..24 in round 4 */
    writeRound(db, r, r >= 2 ? 20 : 0, 50);
    if (r >= 2) writeRound(db, r, 0, 10);
    if (r == 2) deleteKeys(db, 10, 20);
    if (r == 4) deleteKeys(db, 20, 25);
    flushL0(db);
  }
  dumpVisible(db, &before);
  DbVersion *v = sdbDbPinVersion(db);
  SdbUlid oldest = v->pManifest->aL0[4].id, newest = v->pManifest->aL0[0].id;
  sdbDbVersionUnref(v);
  memset(&s, 0, sizeof(s));
  int rc = compactStep(db, &s, 0, UINT64_MAX, &o, &err);
  CHECKF("tiers: 5 L0s (<= 8) -> all into run 0", rc == SDB_OK && s.nL0 == 5 && s.dstRunId == 0 &&
         s.bBottom && s.aL0[0].lo == newest.lo && s.aL0[4].lo == oldest.lo && o.nSst == 1,
         "rc=%d %s nL0=%d dst=%u", rc, err.zMsg, s.nL0, (unsigned)s.dstRunId);
  dumpVisible(db, &after);
  CHECK("tiers: visible rows unchanged by the L0 compaction",
        before.n == after.n && before.n > 1 && memcmp(before.a, after.a, before.n) == 0);
  runStat(db, 0, "k015", &st);
  CHECKF("tiers: bottom run: one version per key, deleted keys and tombstones gone",
         st.bFound && st.nKey == 35 && st.maxVer == 1 && st.nTomb == 0 && st.nVerOf == 0,
         "keys=%d maxVer=%d tomb=%d", st.nKey, st.maxVer, st.nTomb);
  v = sdbDbPinVersion(db);
  CHECK("tiers: manifest: no L0 left, l0_last_compacted = newest consumed",
        v->nL0 == 0 && v->nRun == 1 && v->pManifest->bHasL0LastCompacted &&
        v->pManifest->l0LastCompacted.lo == newest.lo);
  u64 n1;
  CHECK("tiers: the output SST is stored",
        v->nRun == 1 && v->aRun[0].nTable == 1 &&
        db->pStore->pMethods->xHead(db->pStore, v->aRun[0].apTable[0]->zKey, &n1, &err) == SDB_OK);
  sdbDbVersionUnref(v);

  /* apply again on the new manifest: the sources are gone */
  v = sdbDbPinVersion(db);
  SdbManifest *m = NULL;
  sdbManifestCopy(v->pManifest, &m, &err);
  CHECK("tiers: applying the same compaction again -> SDB_CONFLICT",
        m && sdbCompactApply(m, &s, &o, &err) == SDB_CONFLICT && m->nRun == 1);
  sdbManifestFree(m);
  SdbCompactorOptions co;
  SdbSstOptions so;
  SdbCompactionOutput o2;
  sdbCompactorOptionsDefault(&co);
  sdbSstOptionsDefault(&so);
  CHECK("tiers: execute with a source missing from the version -> SDB_CONFLICT",
        sdbCompactExecute(db, v, &s, &co, &so, &o2, &err) == SDB_CONFLICT && o2.nSst == 0);
  sdbDbVersionUnref(v);
  sdbCompactionSpecClear(&s);
  sdbCompactionOutputClear(&o);

  /* rounds 5..8: keys 30..39; round 6 deletes 0..4 (their values are in run 0) */
  /* (after rounds 0..4: keys 0..9 and 25..49 remain) */
  for (int r = 5; r < 9; r++) {
    writeRound(db, r, 30, 40);
    if (r == 6) deleteKeys(db, 0, 5);
    flushL0(db);
  }
  dumpVisible(db, &before);
  memset(&s, 0, sizeof(s));
  rc = compactStep(db, &s, 0, UINT64_MAX, &o, &err);
  CHECKF("tiers: next L0 compaction -> run 1, not bottom",
         rc == SDB_OK && s.nL0 == 4 && s.dstRunId == 1 && !s.bBottom, "rc=%d %s", rc, err.zMsg);
  dumpVisible(db, &after);
  CHECK("tiers: visible rows unchanged (tombstones above run 0 still hide)",
        before.n == after.n && memcmp(before.a, after.a, before.n) == 0 &&
        !strstr((char *)after.a, "k002=") && !strstr((char *)after.a, "k021="));
  runStat(db, 1, "k002", &st);
  CHECKF("tiers: run 1 keeps its 5 tombstones (one version each)",
         st.bFound && st.nTomb == 5 && st.nTombOf == 1 && st.maxVer == 1, "tomb=%d", st.nTomb);
  sdbCompactionSpecClear(&s);
  sdbCompactionOutputClear(&o);

  /* two more runs (rounds 9..16, keys 30..49), then the run merge */
  for (int r = 9; r < 17; r++) {
    writeRound(db, r, 30, 50);
    flushL0(db);
    if (r == 12 || r == 16) {
      memset(&s, 0, sizeof(s));
      rc = compactStep(db, &s, 0, UINT64_MAX, &o, &err);
      CHECKF("tiers: L0 compaction into runs 2 and 3", rc == SDB_OK && s.nL0 == 4 &&
             s.dstRunId == (r == 12 ? 2u : 3u), "rc=%d %s dst=%u", rc, err.zMsg, (unsigned)s.dstRunId);
      sdbCompactionSpecClear(&s);
      sdbCompactionOutputClear(&o);
    }
  }
  /* no L0 left; runs 3,2,1,0 */
  dumpVisible(db, &before);
  memset(&s, 0, sizeof(s));
  rc = compactStep(db, &s, 0, UINT64_MAX, &o, &err);
  CHECKF("tiers: 4 similar runs -> merged into run 0 (bottom)",
         rc == SDB_OK && s.nL0 == 0 && s.nRun == 4 && s.aRunId[0] == 3 && s.dstRunId == 0 && s.bBottom,
         "rc=%d %s nL0=%d nRun=%d dst=%u", rc, err.zMsg, s.nL0, s.nRun, (unsigned)s.dstRunId);
  dumpVisible(db, &after);
  CHECK("tiers: visible rows unchanged by the run merge",
        before.n == after.n && memcmp(before.a, after.a, before.n) == 0);
  runStat(db, 0, NULL, &st);
  v = sdbDbPinVersion(db);
  CHECKF("tiers: one run left, no tombstones, one version per key",
         v->nRun == 1 && v->aRun[0].id == 0 && st.nTomb == 0 && st.maxVer == 1 && st.nKey == 30,
         "nRun=%d tomb=%d maxVer=%d keys=%d", v->nRun, st.nTomb, st.maxVer, st.nKey);
  sdbDbVersionUnref(v);
  sdbCompactionSpecClear(&s);
  sdbCompactionOutputClear(&o);

  sdb_db_close(db);
  db = NULL;
  SdbConfig cfg;
  memset(&cfg, 0, sizeof(cfg));
  char z[300];
  snprintf(z, sizeof(z), "%s/db%d", gDir, gnDb - 1);
  cfg.zUrl = z;
  cfg.bReadOnly = 1;
  if (sdb_db_open(&cfg, &db, &err) == SDB_OK) dumpVisible(db, &before);
  CHECK("tiers: a reader opened afterwards sees the same rows",
        db && before.n == after.n && memcmp(before.a, after.a, before.n) == 0);
  if (db) sdb_db_close(db);
  sdbBufFree(&before);
  sdbBufFree(&after);
}

/* TTL-expired values become tombstones; at the bottom they vanish. */
static void testEngineTtl(void) {
  SdbDb *db = openDb(SDB_MERGE_NONE);
  SdbErr err = {0};
  SdbBuf vis = {0};
  SdbCompactionSpec s;
  SdbCompactionOutput o;
  RunStat st;
  CHECK("ttl: open", db != NULL);
  if (!db) return;
  put(db, "ttl-a", "soon", sdbNowMs() + 300);
  put(db, "ttl-b", "later", sdbNowMs() + 3600 * 1000);
  put(db, "plain", "p", 0);
  flushL0(db);
  usleep(500 * 1000);
  for (int i = 0; i < 3; i++) { put(db, "x", "y", 0); flushL0(db); }
  dumpVisible(db, &vis);
  CHECK("ttl: the expired value is still visible before compaction (no read-time TTL)",
        vis.n > 1 && strstr((char *)vis.a, "ttl-a=soon") != NULL);
  memset(&s, 0, sizeof(s));
  DbVersion *v = sdbDbPinVersion(db);
  SdbCompactorOptions co;
  sdbCompactorOptionsDefault(&co);
  sdbCompactPick(v->pManifest, &co, &s);
  sdbDbVersionUnref(v);
  s.bBottom = 0;   /* as if an older run were below */
  int rc = compactStep(db, &s, 0, UINT64_MAX, &o, &err);
  runStat(db, 0, "ttl-a", &st);
  dumpVisible(db, &vis);
  CHECKF("ttl: not at the bottom, the expired value becomes a tombstone",
         rc == SDB_OK && st.nVerOf == 1 && st.nTombOf == 1 && st.nTomb == 1 &&
         !strstr((char *)vis.a, "ttl-a=") && strstr((char *)vis.a, "ttl-b=later") &&
         strstr((char *)vis.a, "plain=p"), "rc=%d %s ver=%d tomb=%d", rc, err.zMsg, st.nVerOf, st.nTombOf);
  sdbCompactionSpecClear(&s);
  sdbCompactionOutputClear(&o);

  memset(&s, 0, sizeof(s));   /* run 0 alone, rewritten as the bottom */
  s.nRun = 1;
  s.aRunId = sdbMallocZero(sizeof(u32));
  s.bBottom = 1;
  rc = compactStep(db, &s, 0, UINT64_MAX, &o, &err);
  runStat(db, 0, "ttl-a", &st);
  CHECKF("ttl: at the bottom the tombstone vanishes",
         rc == SDB_OK && st.bFound && st.nVerOf == 0 && st.nTomb == 0 && st.nKey == 3,
         "rc=%d %s ver=%d keys=%d", rc, err.zMsg, st.nVerOf, st.nKey);
  sdbCompactionSpecClear(&s);
  sdbCompactionOutputClear(&o);
  sdbBufFree(&vis);
  sdb_db_close(db);
}

/* A TTL counts from the commit (SlateDB's Ttl::ExpireAfter): a batch held
** open longer than its TTL commits a row that is still live, and that the
** L0 flush right after (cutoff = the commit's create_ts) keeps. */
static void testTtlAtCommit(void) {
  SdbDb *db = openDb(SDB_MERGE_NONE);
  SdbErr err = {0};
  SdbBuf vis = {0};
  CHECK("ttl at commit: open", db != NULL);
  if (!db) return;
  SdbBatch *b = sdb_batch_new();
  int rc = sdb_batch_put_ttl(b, (const u8 *)"tc", 2, (const u8 *)"live", 4, 300, &err);
  usleep(500 * 1000);                       /* the transaction stays open > ttl */
  i64 tCommit = sdbNowMs();
  if (rc == SDB_OK) rc = sdb_db_write(db, b, 1, &err);
  sdb_batch_free(b);
  SdbIter *it = NULL;
  if (rc == SDB_OK) rc = sdb_db_scan(db, NULL, 0, &it, &err);
  int bOk = rc == SDB_OK && !it->bEof && it->cur.bHasExpireTs == 1 && it->cur.expireTs >= tCommit + 300 &&
            it->cur.expireTs - it->cur.createTs == 300;
  CHECKF("ttl at commit: expire_ts = commit time + ttl", bOk, "rc=%d %s exp-create=%lld", rc,
         err.zMsg, it && !it->bEof ? (long long)(it->cur.expireTs - it->cur.createTs) : -1LL);
  sdb_iter_free(it);
  if (rc == SDB_OK) rc = flushL0(db);
  dumpVisible(db, &vis);
  CHECKF("ttl at commit: the row is live after COMMIT and the L0 flush",
         rc == SDB_OK && strcmp((char *)vis.a, "tc=live\n") == 0, "rc=%d: %s", rc, (char *)vis.a);
  sdbBufFree(&vis);
  sdb_db_close(db);
}

static SdbEntry row(const char *k, int eKind, const char *v, u64 seq) {
  SdbEntry e;
  memset(&e, 0, sizeof(e));
  e.pKey = (const u8 *)k;
  e.nKey = strlen(k);
  e.eKind = eKind;
  e.pVal = eKind == SDB_KIND_TOMBSTONE ? NULL : (const u8 *)v;
  e.nVal = eKind == SDB_KIND_TOMBSTONE ? 0 : strlen(v);
  e.seq = seq;
  e.bHasCreateTs = 1;
  e.createTs = 1700000000000 + (i64)seq;
  return e;
}

/* Merge operand runs down to their base, and the snapshot boundary, on
** injected L0s (recent_snapshot_min_seq = 6). */
static void testEngineMergeSnapshot(void) {
  SdbDb *db = openDb(SDB_MERGE_CONCAT);
  SdbErr err = {0};
  SdbBuf before = {0}, after = {0};
  SdbCompactionSpec s;
  SdbCompactionOutput o;
  RunStat st;
  CHECK("merge: open", db != NULL);
  if (!db) return;
  const int V = SDB_KIND_VALUE, T = SDB_KIND_TOMBSTONE, M = SDB_KIND_MERGE;
  SdbEntry l1[] = {row("m", V, "base", 1), row("s", V, "s1", 2), row("t", V, "t1", 3)};
  SdbEntry l2[] = {row("m", M, "+a", 4), row("s", V, "s2", 5), row("t", T, "", 6)};
  SdbEntry l3[] = {row("m", M, "+b", 7), row("s", V, "s3", 8)};
  SdbEntry l4[] = {row("m", M, "+c", 9), row("s", V, "s4", 10), row("u", M, "+x", 11)};
  int rc = injectL0(db, l1, 3, 3, 3, &err);
  if (rc == SDB_OK) rc = injectL0(db, l2, 3, 6, 6, &err);
  if (rc == SDB_OK) rc = injectL0(db, l3, 2, 8, 6, &err);
  if (rc == SDB_OK) rc = injectL0(db, l4, 3, 11, 6, &err);
  CHECKF("merge: 4 injected L0s", rc == SDB_OK, "%s", err.zMsg);
  dumpVisible(db, &before);
  CHECKF("merge: visible before", before.n == 24 && memcmp(before.a, "m=base+a+b+c\ns=s4\nu=+x\n", 23) == 0,
         "%.*s", (int)before.n, (char *)before.a);
  memset(&s, 0, sizeof(s));
  rc = compactStep(db, &s, 0, UINT64_MAX, &o, &err);
  dumpVisible(db, &after);
  CHECKF("merge: compaction keeps the visible rows", rc == SDB_OK && s.bBottom &&
         before.n == after.n && memcmp(before.a, after.a, before.n) == 0, "rc=%d %s", rc, err.zMsg);
  runStat(db, 0, "m", &st);
  CHECKF("merge: operands kept down to and including their base", st.nVerOf == 4 && st.nMerge == 4,
         "ver=%d merges=%d", st.nVerOf, st.nMerge);
  runStat(db, 0, "s", &st);
  CHECKF("merge: versions above recent_snapshot_min_seq plus one boundary", st.nVerOf == 3, "ver=%d", st.nVerOf);
  runStat(db, 0, "t", &st);
  CHECKF("merge: a boundary tombstone at the bottom drops the key", st.nVerOf == 0 && st.nKey == 3,
         "ver=%d keys=%d", st.nVerOf, st.nKey);
  sdbCompactionSpecClear(&s);
  sdbCompactionOutputClear(&o);
  sdbBufFree(&before);
  sdbBufFree(&after);
  sdb_db_close(db);
}

/* Merge operands whose expire_ts <= last_l0_clock_tick are dropped by the
** compaction (SlateDB's RetentionIterator); the rest of the key's history,
** its base included, stays. */
static void testEngineMergeTtl(void) {
  SdbDb *db = openDb(SDB_MERGE_CONCAT);
  SdbErr err = {0};
  SdbBuf before = {0}, after = {0};
  SdbCompactionSpec s;
  SdbCompactionOutput o;
  RunStat st;
  CHECK("merge ttl: open", db != NULL);
  if (!db) return;
  const int V = SDB_KIND_VALUE, M = SDB_KIND_MERGE;
  SdbEntry l1[] = {row("m", V, "base", 1), row("n", M, "+x", 2)};
  SdbEntry l2[] = {row("m", M, "+a", 3), row("n", M, "+y", 4)};
  SdbEntry l3[] = {row("m", M, "+b", 5)};
  SdbEntry l4[] = {row("m", M, "+c", 6), row("n", M, "+z", 7)};
  l2[0].bHasExpireTs = l2[1].bHasExpireTs = 1;
  l2[0].expireTs = l2[1].expireTs = 1000;           /* expired: <= the clock tick */
  l3[0].bHasExpireTs = 1;
  l3[0].expireTs = 5000;                            /* not yet */
  l4[1].bHasExpireTs = 1;
  l4[1].expireTs = 2000;                            /* exactly the tick: expired */
  gInjectTick = 2000;
  int rc = injectL0(db, l1, 2, 2, 0, &err);
  if (rc == SDB_OK) rc = injectL0(db, l2, 2, 4, 0, &err);
  if (rc == SDB_OK) rc = injectL0(db, l3, 1, 5, 0, &err);
  if (rc == SDB_OK) rc = injectL0(db, l4, 2, 7, 0, &err);
  gInjectTick = 0;
  CHECKF("merge ttl: 4 injected L0s", rc == SDB_OK, "%s", err.zMsg);
  dumpVisible(db, &before);
  CHECKF("merge ttl: expired operands still read before compaction",
         strcmp((char *)before.a, "m=base+a+b+c\nn=+x+y+z\n") == 0, "%s", (char *)before.a);
  memset(&s, 0, sizeof(s));
  rc = compactStep(db, &s, 0, UINT64_MAX, &o, &err);
  dumpVisible(db, &after);
  CHECKF("merge ttl: compaction drops the expired operands",
         rc == SDB_OK && strcmp((char *)after.a, "m=base+b+c\nn=+x\n") == 0, "rc=%d %s: %s", rc,
         err.zMsg, (char *)after.a);
  runStat(db, 0, "m", &st);
  CHECKF("merge ttl: the unexpired operands and the base stay", st.nVerOf == 3 && st.nMerge == 3,
         "ver=%d merges=%d", st.nVerOf, st.nMerge);
  sdbCompactionSpecClear(&s);
  sdbCompactionOutputClear(&o);
  sdbBufFree(&before);
  sdbBufFree(&after);
  sdb_db_close(db);
}

/* A small max_sst_size splits the output at key boundaries only. */
static void testEngineSplit(void) {
  SdbDb *db = openDb(SDB_MERGE_NONE);
  SdbErr err = {0};
  SdbBuf before = {0}, after = {0};
  SdbCompactionSpec s;
  SdbCompactionOutput o;
  RunStat st;
  CHECK("split: open", db != NULL);
  if (!db) return;
  char zk[16], zv[128];
  for (int r = 0; r < 4; r++) {
    SdbBatch *b = sdb_batch_new();
    for (int k = 0; k < 300; k++) {
      keyName(zk, k);
      snprintf(zv, sizeof(zv), "round-%d-key-%d-%s", r, k, "padding-padding-padding-padding-padding");
      sdb_batch_put(b, (const u8 *)zk, strlen(zk), (const u8 *)zv, strlen(zv), 0, &err);
    }
    sdb_db_write(db, b, 1, &err);
    sdb_batch_free(b);
    flushL0(db);
  }
  dumpVisible(db, &before);
  memset(&s, 0, sizeof(s));
  int rc = compactStep(db, &s, 8192, 0, &o, &err);   /* min seq 0: keep every version */
  int ok = rc == SDB_OK && o.nSst >= 3;
  for (int i = 0; ok && i + 1 < o.nSst; i++) {
    const SdbSstInfo *a = &o.aSst[i].info, *b = &o.aSst[i + 1].info;
    ok = a->bHasFirst && a->bHasLast && b->bHasFirst &&
         sdbKeyCmp(a->pFirst, a->nFirst, a->pLast, a->nLast) <= 0 &&
         sdbKeyCmp(a->pLast, a->nLast, b->pFirst, b->nFirst) < 0 &&
         (o.aSst[i].id.hi < o.aSst[i + 1].id.hi ||
          (o.aSst[i].id.hi == o.aSst[i + 1].id.hi && o.aSst[i].id.lo < o.aSst[i + 1].id.lo));
  }
  CHECKF("split: several SSTs in key order, increasing ids, no key across two", ok,
         "rc=%d %s nSst=%d", rc, err.zMsg, o.nSst);
  runStat(db, 0, "k150", &st);
  CHECKF("split: every version kept (min seq 0)", st.nKey == 300 && st.maxVer == 4 && st.nVerOf == 4,
         "keys=%d maxVer=%d", st.nKey, st.maxVer);
  dumpVisible(db, &after);
  CHECK("split: visible rows unchanged", before.n == after.n && memcmp(before.a, after.a, before.n) == 0);
  sdbCompactionSpecClear(&s);
  sdbCompactionOutputClear(&o);
  sdbBufFree(&before);
  sdbBufFree(&after);
  sdb_db_close(db);
}

/* Everything deleted, compacted to the bottom: an empty output still makes
** run 0 (as SlateDB's finish_compaction does), with no SST. */
static void testEngineEmpty(void) {
  SdbDb *db = openDb(SDB_MERGE_NONE);
  SdbErr err = {0};
  SdbBuf vis = {0};
  SdbCompactionSpec s;
  SdbCompactionOutput o;
  CHECK("empty: open", db != NULL);
  if (!db) return;
  writeRound(db, 0, 0, 10);
  flushL0(db);
  for (int r = 0; r < 3; r++) { deleteKeys(db, 0, 10); flushL0(db); }
  memset(&s, 0, sizeof(s));
  int rc = compactStep(db, &s, 0, UINT64_MAX, &o, &err);
  DbVersion *v = sdbDbPinVersion(db);
  dumpVisible(db, &vis);
  CHECKF("empty: no output SST, an empty run 0, nothing visible",
         rc == SDB_OK && s.nL0 == 4 && o.nSst == 0 && v->nL0 == 0 && v->nRun == 1 &&
         v->aRun[0].id == 0 && v->aRun[0].nTable == 0 && vis.n == 1,
         "rc=%d %s nSst=%d nRun=%d", rc, err.zMsg, o.nSst, v->nRun);
  sdbDbVersionUnref(v);
  sdbCompactionSpecClear(&s);
  sdbCompactionOutputClear(&o);
  put(db, "after", "1", 0);
  dumpVisible(db, &vis);
  CHECK("empty: writes go on afterwards", vis.n > 1 && strstr((char *)vis.a, "after=1"));
  sdbBufFree(&vis);
  sdb_db_close(db);
}

/* The executor finds L0 sources by view id: the pinned version's views are
** given ids other than their SSTs' (as a ManifestV2 may), then a full
** compaction of its L0s named by view id executes. */
static void testEngineViewIds(void) {
  SdbDb *db = openDb(SDB_MERGE_NONE);
  SdbErr err = {0};
  SdbCompactorOptions o;
  SdbSstOptions so;
  SdbCompactionSpec s;
  SdbCompactionOutput out;
  CHECK("view ids: open", db != NULL);
  if (!db) return;
  for (int r = 0; r < 4; r++) { writeRound(db, r, 0, 20); flushL0(db); }
  sdbCompactorOptionsDefault(&o);
  sdbSstOptionsDefault(&so);
  DbVersion *v = sdbDbPinVersion(db);
  for (int i = 0; i < v->pManifest->nL0; i++) v->pManifest->aL0[i].viewId.lo ^= 0x5a5a;
  memset(&s, 0, sizeof(s));
  s.aL0 = sdbMalloc(sizeof(SdbUlid) * (size_t)v->pManifest->nL0);
  for (int i = 0; s.aL0 && i < v->pManifest->nL0; i++) s.aL0[s.nL0++] = v->pManifest->aL0[i].viewId;
  s.bBottom = 1;
  int rc = s.nL0 == 4 ? SDB_OK : SDB_ERROR;
  if (rc == SDB_OK) rc = sdbCompactExecute(db, v, &s, &o, &so, &out, &err);
  CHECKF("view ids: the executor reads the L0s named by view id", rc == SDB_OK && s.nL0 == 4 &&
         out.nSst >= 1, "rc=%d %s", rc, err.zMsg);
  if (rc == SDB_OK) sdbCompactionOutputClear(&out);
  sdbCompactionSpecClear(&s);
  sdbDbVersionUnref(v);
  sdb_db_close(db);
}

int main(void) {
  SdbCompactorOptions o;
  sdbCompactorOptionsDefault(&o);
  CHECK("options: SlateDB 0.12.1 defaults", o.nMinSources == 4 && o.nMaxSources == 8 &&
        o.includeSizeThreshold == 4.0 && o.maxSstSize == 256ull << 20 && o.pollIntervalMs == 5000);
  testPickL0(&o);
  testPickRuns(&o);
  testApplySynthetic();
  testApplyViewIds(&o);

  snprintf(gDir, sizeof(gDir), "%s/sdb-compactor-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
  CHECK("temp dir", mkdtemp(gDir) != NULL);
  testEngineTiers();
  testEngineTtl();
  testTtlAtCommit();
  testEngineMergeSnapshot();
  testEngineMergeTtl();
  testEngineSplit();
  testEngineEmpty();
  testEngineViewIds();
  char zCmd[400];
  snprintf(zCmd, sizeof(zCmd), "rm -rf '%s'", gDir);
  if (system(zCmd)) {}
  return test_done();
}
