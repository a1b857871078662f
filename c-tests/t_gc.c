/*
** t_gc.c: the garbage collector (core/db/gc.c).
**
** Part 1 drives the pure planner (sdbGcPlan) with in-memory listings and
** manifests: each folder's rule and its exact min-age / cutoff boundary.
** Part 2 runs sdbGcRun on a local-directory store holding synthetic objects
** (manifests written with sdbManifestEncode, .compactions with
** sdbCompactionsEncode, fake SSTs; old ones made old with utimes()):
** checkpoints protecting manifests, WAL ranges and SSTs, the compaction low
** watermark, unknown files left alone, and a missing checkpointed manifest
** failing before anything is deleted.
*/
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "test.h"
#include "meta/compactions.h"
#include "db/gc.h"
#include "meta/manifest_enc.h"

#define MIN_AGE 300000ll       /* SlateDB's default min_age, ms */
#define MIN_MS 60000ll

static u64 gSeq = 1;

/* A ULID whose time is ms (low bits made unique by a counter). */
static SdbUlid ulidAt(i64 ms) {
  SdbUlid u;
  u.hi = ((u64)ms << 16) | (gSeq & 0xffff);
  u.lo = 0x1234567800000000ull + gSeq++;
  return u;
}

/* "compacted/<ULID>.sst" into z. */
static void sstKey(SdbUlid id, char *z, size_t n) {
  char zU[27];
  sdbUlidFormat(id, zU);
  snprintf(z, n, "compacted/%s.sst", zU);
}

/* A heap manifest (free with sdbManifestFree). L0s and one sorted run. */
static SdbManifest *mkManifest(u64 replay, u64 lastSeen, const SdbUlid *aL0, int nL0,
                               const SdbUlid *aRun, int nRun, const u64 *aCkpt, int nCkpt) {
  SdbManifest *m = sdbMallocZero(sizeof(*m));
  m->eFormat = 1;
  m->bInitialized = 1;
  m->replayAfterWalId = replay;
  m->walIdLastSeen = lastSeen;
  m->lastL0ClockTick = INT64_MIN;
  if (nL0) {
    m->aL0 = sdbMallocZero(sizeof(SdbSstHandle) * (size_t)nL0);
    m->nL0 = nL0;
    for (int i = 0; i < nL0; i++) m->aL0[i].id = m->aL0[i].viewId = aL0[i];
  }
  if (nRun) {
    m->aRun = sdbMallocZero(sizeof(SdbSortedRun));
    m->nRun = 1;
    m->aRun[0].aSst = sdbMallocZero(sizeof(SdbSstHandle) * (size_t)nRun);
    m->aRun[0].nSst = nRun;
    for (int i = 0; i < nRun; i++) m->aRun[0].aSst[i].id = m->aRun[0].aSst[i].viewId = aRun[i];
  }
  if (nCkpt) {
    m->aCkpt = sdbMallocZero(sizeof(SdbCheckpoint) * (size_t)nCkpt);
    m->nCkpt = nCkpt;
    for (int i = 0; i < nCkpt; i++) {
      sdbUuidNew(m->aCkpt[i].aId);
      m->aCkpt[i].manifestId = aCkpt[i];
    }
  }
  return m;
}

/* A heap compactions object with one record per ULID (free with sdbCompactionsFree). */
static SdbCompactions *mkCompactions(const SdbUlid *aId, int n) {
  SdbCompactions *c = sdbMallocZero(sizeof(*c));
  c->compactorEpoch = 1;
  if (n) c->a = sdbMallocZero(sizeof(SdbCompactionRec) * (size_t)n);
  c->n = n;
  for (int i = 0; i < n; i++) {
    c->a[i].id = aId[i];
    c->a[i].specType = SDB_COMPACTION_SPEC_TIERED;
    c->a[i].status = SDB_COMPACTION_RUNNING;
  }
  return c;
}

/* True when the plan holds zKey. */
static int planHas(const SdbGcPlan *p, const char *zKey) {
  for (int i = 0; i < p->n; i++) {
    if (strcmp(p->azKey[i], zKey) == 0) return 1;
  }
  return 0;
}

/* Count plan entries of kind e. */
static int planCount(const SdbGcPlan *p, int e) {
  int n = 0;
  for (int i = 0; i < p->n; i++) n += p->aeKind[i] == e;
  return n;
}

/* ------------------------------------------------------------ part 1: planner */

static void testPlanBoundaries(void) {
  const i64 now = 1700000000000ll;
  SdbObjList lMan = {0}, lWal = {0}, lSst = {0}, lCx = {0};
  char z[128];
  /* manifest 1: exactly min_age old (kept), 2: 1 ms older (deleted), 3: latest */
  sdbObjListAdd(&lMan, "manifest/00000000000000000001.manifest", 10, now - MIN_AGE);
  sdbObjListAdd(&lMan, "manifest/00000000000000000002.manifest", 10, now - MIN_AGE - 1);
  sdbObjListAdd(&lMan, "manifest/00000000000000000003.manifest", 10, now - 10 * MIN_AGE);
  /* WAL 1: at min_age (kept), 2: older (deleted), 5 = replay_after (kept) */
  sdbObjListAdd(&lWal, "wal/00000000000000000001.sst", 10, now - MIN_AGE);
  sdbObjListAdd(&lWal, "wal/00000000000000000002.sst", 10, now - MIN_AGE - 1);
  sdbObjListAdd(&lWal, "wal/00000000000000000004.sst", 10, now - 10 * MIN_AGE);
  sdbObjListAdd(&lWal, "wal/00000000000000000005.sst", 10, now - 10 * MIN_AGE);
  /* compactions: 1 at min_age (kept), 2 older (deleted), 3 latest (kept) */
  sdbObjListAdd(&lCx, "compactions/00000000000000000001.compactions", 10, now - MIN_AGE);
  sdbObjListAdd(&lCx, "compactions/00000000000000000002.compactions", 10, now - MIN_AGE - 1);
  sdbObjListAdd(&lCx, "compactions/00000000000000000003.compactions", 10, now - 10 * MIN_AGE);
  /* compacted: cutoff = now - min_age here (L0 and compaction are newer) */
  SdbUlid sAt = ulidAt(now - MIN_AGE), sBefore = ulidAt(now - MIN_AGE - 1);
  SdbUlid l0 = ulidAt(now), cx = ulidAt(now);
  sstKey(sAt, z, sizeof(z));
  sdbObjListAdd(&lSst, z, 10, 0);
  sstKey(sBefore, z, sizeof(z));
  sdbObjListAdd(&lSst, z, 10, 0);
  sstKey(l0, z, sizeof(z));
  sdbObjListAdd(&lSst, z, 10, 0);

  SdbManifest *m = mkManifest(5, 5, &l0, 1, NULL, 0, NULL, 0);
  SdbCompactions *c = mkCompactions(&cx, 1);
  SdbGcInput in = {&lMan, &lWal, &lSst, &lCx, m, 3, NULL, c, 3, 0};
  SdbGcOptions o = {MIN_AGE};
  SdbGcPlan p;
  SdbErr err = {0};
  int rc = sdbGcPlan(&in, &o, now, &p, &err);
  CHECK("gc plan: ok", rc == SDB_OK);
  CHECK("gc plan: manifest exactly min_age old is kept", !planHas(&p, "manifest/00000000000000000001.manifest"));
  CHECK("gc plan: manifest 1 ms older is deleted", planHas(&p, "manifest/00000000000000000002.manifest"));
  CHECK("gc plan: latest manifest is kept", !planHas(&p, "manifest/00000000000000000003.manifest"));
  CHECK("gc plan: WAL exactly min_age old is kept", !planHas(&p, "wal/00000000000000000001.sst"));
  CHECK("gc plan: WAL 1 ms older is deleted", planHas(&p, "wal/00000000000000000002.sst"));
  CHECK("gc plan: WAL below replay_after is deleted", planHas(&p, "wal/00000000000000000004.sst"));
  CHECK("gc plan: WAL id == replay_after_wal_id is kept", !planHas(&p, "wal/00000000000000000005.sst"));
  CHECK("gc plan: compactions exactly min_age old is kept",
        !planHas(&p, "compactions/00000000000000000001.compactions"));
  CHECK("gc plan: compactions 1 ms older is deleted", planHas(&p, "compactions/00000000000000000002.compactions"));
  CHECK("gc plan: latest compactions is kept", !planHas(&p, "compactions/00000000000000000003.compactions"));
  sstKey(sAt, z, sizeof(z));
  CHECK("gc plan: SST whose ULID time == cutoff is kept", !planHas(&p, z));
  sstKey(sBefore, z, sizeof(z));
  CHECK("gc plan: SST 1 ms before the cutoff is deleted", planHas(&p, z));
  sstKey(l0, z, sizeof(z));
  CHECK("gc plan: referenced L0 is kept", !planHas(&p, z));
  CHECKF("gc plan: exactly 5 deletions", p.n == 5, "%d", p.n);
  sdbGcPlanFree(&p);

  /* The compaction low watermark: oldest compaction start; none -> nothing. */
  SdbUlid aCx[2] = {ulidAt(now - 2 * MIN_AGE), ulidAt(now - 3 * MIN_AGE)};
  SdbCompactions *c2 = mkCompactions(aCx, 2);
  in.pCompactions = c2;
  rc = sdbGcPlan(&in, &o, now, &p, &err);
  sstKey(sBefore, z, sizeof(z));
  CHECK("gc plan: SST newer than the oldest compaction start is kept", rc == SDB_OK && !planHas(&p, z));
  sdbGcPlanFree(&p);
  SdbUlid sOld = ulidAt(now - 3 * MIN_AGE - 1), sAtWm = aCx[1];
  sAtWm.lo ^= 1;           /* same ms as the watermark, different id */
  sstKey(sOld, z, sizeof(z));
  sdbObjListAdd(&lSst, z, 10, 0);
  sstKey(sAtWm, z, sizeof(z));
  sdbObjListAdd(&lSst, z, 10, 0);
  rc = sdbGcPlan(&in, &o, now, &p, &err);
  sstKey(sOld, z, sizeof(z));
  CHECK("gc plan: SST older than the oldest compaction is deleted", rc == SDB_OK && planHas(&p, z));
  sstKey(sAtWm, z, sizeof(z));
  CHECK("gc plan: SST at the watermark ms is kept", !planHas(&p, z));
  sdbGcPlanFree(&p);
  in.pCompactions = NULL;
  rc = sdbGcPlan(&in, &o, now, &p, &err);
  CHECK("gc plan: no .compactions -> no compacted SST deleted", rc == SDB_OK && planCount(&p, SDB_GC_COMPACTED) == 0);
  CHECK("gc plan: ... but the other folders still are", planCount(&p, SDB_GC_MANIFEST) == 1 &&
        planCount(&p, SDB_GC_WAL) == 2 && planCount(&p, SDB_GC_COMPACTIONS) == 1);
  sdbGcPlanFree(&p);
  SdbCompactions *c0 = mkCompactions(NULL, 0);
  in.pCompactions = c0;
  rc = sdbGcPlan(&in, &o, now, &p, &err);
  CHECK("gc plan: empty .compactions -> no compacted SST deleted", rc == SDB_OK && planCount(&p, SDB_GC_COMPACTED) == 0);
  sdbGcPlanFree(&p);

  /* The newest-L0 barrier: newest L0; else l0_last_compacted; else epoch. */
  in.pCompactions = c;
  SdbUlid aL0[2] = {ulidAt(now - 4 * MIN_AGE), ulidAt(now - 5 * MIN_AGE)};
  SdbManifest *m2 = mkManifest(5, 5, aL0, 2, NULL, 0, NULL, 0);
  in.pLatest = m2;
  rc = sdbGcPlan(&in, &o, now, &p, &err);
  sstKey(sOld, z, sizeof(z));     /* now - 3*MIN_AGE - 1: newer than the newest L0 */
  CHECK("gc plan: SST newer than the newest L0 is kept", rc == SDB_OK && !planHas(&p, z) &&
        planCount(&p, SDB_GC_COMPACTED) == 0);
  sdbGcPlanFree(&p);
  SdbManifest *m3 = mkManifest(5, 5, NULL, 0, NULL, 0, NULL, 0);
  in.pLatest = m3;
  rc = sdbGcPlan(&in, &o, now, &p, &err);
  CHECK("gc plan: no L0 and no l0_last_compacted -> nothing deleted", rc == SDB_OK &&
        planCount(&p, SDB_GC_COMPACTED) == 0);
  sdbGcPlanFree(&p);
  m3->bHasL0LastCompacted = 1;
  m3->l0LastCompacted = ulidAt(now - 3 * MIN_AGE);
  rc = sdbGcPlan(&in, &o, now, &p, &err);
  sstKey(sOld, z, sizeof(z));
  int bOld = planHas(&p, z);
  sstKey(sBefore, z, sizeof(z));
  CHECK("gc plan: no L0 -> l0_last_compacted is the barrier", rc == SDB_OK && bOld && !planHas(&p, z));
  sdbGcPlanFree(&p);

  sdbManifestFree(m);
  sdbManifestFree(m2);
  sdbManifestFree(m3);
  sdbCompactionsFree(c);
  sdbCompactionsFree(c2);
  sdbCompactionsFree(c0);
  sdbObjListFree(&lMan);
  sdbObjListFree(&lWal);
  sdbObjListFree(&lSst);
  sdbObjListFree(&lCx);
}

/* ------------------------------------------------------------ part 2: store */

typedef struct Env {
  char zRoot[64];
  SdbStore *s;
} Env;

/* Put zKey (contents a[0..n)) and set its mtime to mtimeMs. */
static void putAt(Env *e, const char *zKey, const u8 *a, size_t n, i64 mtimeMs) {
  SdbErr err = {0};
  e->s->pMethods->xPut(e->s, zKey, a ? a : (const u8 *)"x", a ? n : 1, 0, &err);
  char zPath[512];
  snprintf(zPath, sizeof(zPath), "%s/%s", e->zRoot, zKey);
  struct timeval tv[2];
  tv[0].tv_sec = tv[1].tv_sec = (time_t)(mtimeMs / 1000);
  tv[0].tv_usec = tv[1].tv_usec = (suseconds_t)((mtimeMs % 1000) * 1000);
  utimes(zPath, tv);
}

/* Encode m as manifest/<id>.manifest with the given mtime. */
static void putManifest(Env *e, u64 id, const SdbManifest *m, i64 mtimeMs) {
  u8 *a = NULL;
  size_t n = 0;
  SdbErr err = {0};
  char zKey[64], zId[21];
  sdbFormatId20(id, zId);
  snprintf(zKey, sizeof(zKey), "manifest/%s.manifest", zId);
  if (sdbManifestEncode(m, &a, &n, &err) == SDB_OK) putAt(e, zKey, a, n, mtimeMs);
  sdbFree(a);
}

/* Encode c as compactions/<id>.compactions with the given mtime. */
static void putCompactions(Env *e, u64 id, const SdbCompactions *c, i64 mtimeMs) {
  u8 *a = NULL;
  size_t n = 0;
  SdbErr err = {0};
  char zKey[64], zId[21];
  sdbFormatId20(id, zId);
  snprintf(zKey, sizeof(zKey), "compactions/%s.compactions", zId);
  if (sdbCompactionsEncode(c, &a, &n, &err) == SDB_OK) putAt(e, zKey, a, n, mtimeMs);
  sdbFree(a);
}

/* An empty object at "<folder>/<20-digit id><ext>". */
static void putId(Env *e, const char *zDir, u64 id, const char *zExt, i64 mtimeMs) {
  char zKey[96], zId[21];
  sdbFormatId20(id, zId);
  snprintf(zKey, sizeof(zKey), "%s/%s%s", zDir, zId, zExt);
  putAt(e, zKey, NULL, 0, mtimeMs);
}

/* Does zKey exist in the store? */
static int exists(Env *e, const char *zKey) {
  u64 n;
  SdbErr err = {0};
  return e->s->pMethods->xHead(e->s, zKey, &n, &err) == SDB_OK;
}

static int existsId(Env *e, const char *zDir, u64 id, const char *zExt) {
  char zKey[96], zId[21];
  sdbFormatId20(id, zId);
  snprintf(zKey, sizeof(zKey), "%s/%s%s", zDir, zId, zExt);
  return exists(e, zKey);
}

static int existsSst(Env *e, SdbUlid id) {
  char z[96];
  sstKey(id, z, sizeof(z));
  return exists(e, z);
}

static int envOpen(Env *e) {
  SdbErr err = {0};
  snprintf(e->zRoot, sizeof(e->zRoot), "/tmp/t_gc_XXXXXX");
  return mkdtemp(e->zRoot) && sdbStoreOpenDir(e->zRoot, 1, 0, &e->s, &err) == SDB_OK;
}

static void envClose(Env *e) {
  sdbStoreFree(e->s);
  char zCmd[200];
  snprintf(zCmd, sizeof(zCmd), "rm -rf '%s'", e->zRoot);
  if (system(zCmd)) {}
}

static const char *kUnknown[] = {
  "manifest/junk.txt", "manifest/00000000000000000001.manifest.bak", "manifest/1.manifest",
  "wal/foo.sst", "wal/00000000000000000001.sst.tmp", "wal/sub/00000000000000000001.sst",
  "compacted/not-a-ulid.sst", "compacted/01aaaaaaaaaaaaaaaaaaaaaaaa.sst",
  "compacted/81AAAAAAAAAAAAAAAAAAAAAAAA.sst", "compacted/01AAAAAAAAAAAAAAAAAAAAAAAA.sst.part",
  "compacted/sub/01AAAAAAAAAAAAAAAAAAAAAAAA.sst", "compactions/x.compactions",
  "other/00000000000000000001.manifest", "README",
};

static void testRun(void) {
  Env e;
  if (!envOpen(&e)) { CHECK("gc run: temp store", 0); return; }
  const i64 now = sdbNowMs();
  const i64 old = now - 3600 * 1000;       /* an hour old: past min_age */
  SdbErr err = {0};

  /* Compacted SSTs. A: newest L0 of the latest (now-10min); B: run SST of the
  ** latest (2h); C: L0 of checkpointed manifest 2 (3h); D: unreferenced (4h);
  ** E: unreferenced, 20 min (newer than the compaction watermark, 30 min);
  ** F: unreferenced, 1 min; G: unreferenced, 8 min (newer than A). */
  SdbUlid A = ulidAt(now - 10 * MIN_MS), B = ulidAt(now - 120 * MIN_MS), C = ulidAt(now - 180 * MIN_MS);
  SdbUlid D = ulidAt(now - 240 * MIN_MS), E = ulidAt(now - 20 * MIN_MS), F = ulidAt(now - 1 * MIN_MS);
  SdbUlid G = ulidAt(now - 8 * MIN_MS);
  SdbUlid all[7] = {A, B, C, D, E, F, G};
  for (int i = 0; i < 7; i++) {
    char z[96];
    sstKey(all[i], z, sizeof(z));
    putAt(&e, z, NULL, 0, old);
  }
  /* Manifests 1..5, latest 5 pins 2 with a checkpoint. */
  u64 ck = 2;
  SdbManifest *m2 = mkManifest(3, 5, &C, 1, NULL, 0, NULL, 0);
  SdbManifest *m5 = mkManifest(10, 12, &A, 1, &B, 1, &ck, 1);
  SdbManifest *mx = mkManifest(1, 1, NULL, 0, NULL, 0, NULL, 0);
  putManifest(&e, 1, mx, old);
  putManifest(&e, 2, m2, old);
  putManifest(&e, 3, mx, old);
  putManifest(&e, 4, mx, now);     /* too young */
  putManifest(&e, 5, m5, old);
  /* WAL 1..12: 9 young. */
  for (u64 i = 1; i <= 12; i++) putId(&e, "wal", i, ".sst", i == 9 ? now : old);
  /* compactions 1..3, latest has one job started 30 min ago. */
  SdbUlid cxId = ulidAt(now - 30 * MIN_MS);
  SdbCompactions *cx = mkCompactions(&cxId, 1);
  putCompactions(&e, 1, cx, old);
  putCompactions(&e, 2, cx, old);
  putCompactions(&e, 3, cx, old);
  for (int i = 0; i < SDB_ARRAY_SIZE(kUnknown); i++) putAt(&e, kUnknown[i], NULL, 0, old - 86400000ll);

  /* A missing checkpointed manifest: error, nothing deleted. */
  u64 ckBad[2] = {2, 7};
  SdbManifest *m6 = mkManifest(10, 12, &A, 1, &B, 1, ckBad, 2);
  putManifest(&e, 6, m6, old);
  SdbGcOptions o = {MIN_AGE};
  SdbGcStats st;
  int rc = sdbGcRun(e.s, m6, 6, &o, now, &st, &err);
  CHECKF("gc run: a missing checkpointed manifest is an error", rc == SDB_CORRUPT &&
         strstr(err.zMsg, "manifest 7"), "rc=%d %s", rc, err.zMsg);
  CHECK("gc run: ... and nothing was deleted", existsId(&e, "manifest", 1, ".manifest") &&
        existsId(&e, "wal", 1, ".sst") && existsSst(&e, D) && existsId(&e, "compactions", 1, ".compactions") &&
        st.nManifest + st.nWal + st.nCompacted + st.nCompactions == 0);
  e.s->pMethods->xDelete(e.s, "manifest/00000000000000000006.manifest", &err);

  /* A stale caller manifest (id 3) is superseded by the store's latest (5). */
  rc = sdbGcRun(e.s, mx, 3, &o, now, &st, &err);
  CHECKF("gc run: ok", rc == SDB_OK, "rc=%d %s", rc, err.zMsg);
  CHECK("gc run: manifests 1 and 3 deleted", !existsId(&e, "manifest", 1, ".manifest") &&
        !existsId(&e, "manifest", 3, ".manifest"));
  CHECK("gc run: checkpointed manifest 2 kept", existsId(&e, "manifest", 2, ".manifest"));
  CHECK("gc run: young manifest 4 and latest 5 kept", existsId(&e, "manifest", 4, ".manifest") &&
        existsId(&e, "manifest", 5, ".manifest"));
  int walOk = 1;
  for (u64 i = 1; i <= 12; i++) {
    int bKeep = (i == 4 || i == 5 || i == 9 || i >= 10);
    if (existsId(&e, "wal", i, ".sst") != bKeep) { walOk = 0; printf("# wal %llu\n", (unsigned long long)i); }
  }
  CHECK("gc run: WAL 1-3, 6-8 deleted; 4-5 (checkpoint range), 9 (young), 10-12 (>= replay_after) kept", walOk);
  CHECK("gc run: referenced SSTs kept (latest L0, run, checkpointed L0)",
        existsSst(&e, A) && existsSst(&e, B) && existsSst(&e, C));
  CHECK("gc run: unreferenced SST older than every barrier deleted", !existsSst(&e, D));
  CHECK("gc run: SST newer than the compaction watermark kept", existsSst(&e, E));
  CHECK("gc run: SST younger than min_age kept", existsSst(&e, F));
  CHECK("gc run: SST newer than the newest L0 kept", existsSst(&e, G));
  CHECK("gc run: compactions 1, 2 deleted, latest 3 kept", !existsId(&e, "compactions", 1, ".compactions") &&
        !existsId(&e, "compactions", 2, ".compactions") && existsId(&e, "compactions", 3, ".compactions"));
  int unkOk = 1;
  for (int i = 0; i < SDB_ARRAY_SIZE(kUnknown); i++) {
    if (!exists(&e, kUnknown[i])) { unkOk = 0; printf("# deleted %s\n", kUnknown[i]); }
  }
  CHECK("gc run: unknown files untouched", unkOk);
  CHECKF("gc run: stats", st.nManifest == 2 && st.nWal == 6 && st.nCompacted == 1 && st.nCompactions == 2,
         "%llu %llu %llu %llu", (unsigned long long)st.nManifest, (unsigned long long)st.nWal,
         (unsigned long long)st.nCompacted, (unsigned long long)st.nCompactions);

  /* Second pass: nothing more to do. */
  rc = sdbGcRun(e.s, m5, 5, &o, now, &st, &err);
  CHECK("gc run: idempotent", rc == SDB_OK && st.nManifest + st.nWal + st.nCompacted + st.nCompactions == 0);

  /* Drop the checkpoint (a new latest 7 without it): manifest 2, WAL 4-5 and
  ** C become collectable; the job finished and a new one started (watermark
  ** now 15 min ago), so E goes too; the old latest manifest 5 and
  ** compactions 3 are no longer the latest and go as well. */
  SdbManifest *m7 = mkManifest(10, 12, &A, 1, &B, 1, NULL, 0);
  putManifest(&e, 7, m7, now);
  SdbUlid cx2 = ulidAt(now - 15 * MIN_MS);
  SdbCompactions *cxb = mkCompactions(&cx2, 1);
  putCompactions(&e, 4, cxb, now);
  rc = sdbGcRun(e.s, m7, 7, &o, now, &st, &err);
  CHECKF("gc run: after the checkpoint is gone", rc == SDB_OK && !existsId(&e, "manifest", 2, ".manifest") &&
         !existsId(&e, "wal", 4, ".sst") && !existsId(&e, "wal", 5, ".sst") && !existsSst(&e, C) &&
         !existsSst(&e, E) && existsSst(&e, A) && existsSst(&e, B) && existsSst(&e, G) &&
         !existsId(&e, "manifest", 5, ".manifest") && existsId(&e, "manifest", 7, ".manifest") &&
         !existsId(&e, "compactions", 3, ".compactions") && existsId(&e, "compactions", 4, ".compactions"),
         "rc=%d %s", rc, err.zMsg);
  CHECKF("gc run: its stats", st.nManifest == 2 && st.nWal == 2 && st.nCompacted == 2 && st.nCompactions == 1,
         "%llu %llu %llu %llu", (unsigned long long)st.nManifest, (unsigned long long)st.nWal,
         (unsigned long long)st.nCompacted, (unsigned long long)st.nCompactions);

  sdbManifestFree(m2);
  sdbManifestFree(m5);
  sdbManifestFree(m6);
  sdbManifestFree(m7);
  sdbManifestFree(mx);
  sdbCompactionsFree(cx);
  sdbCompactionsFree(cxb);
  envClose(&e);
}

/* An empty store (no compactions/, nothing at all) is fine. */
static void testEmpty(void) {
  Env e;
  if (!envOpen(&e)) { CHECK("gc empty: temp store", 0); return; }
  SdbManifest *m = mkManifest(0, 0, NULL, 0, NULL, 0, NULL, 0);
  putManifest(&e, 1, m, sdbNowMs() - 3600000);
  SdbGcOptions o = {MIN_AGE};
  SdbGcStats st;
  SdbErr err = {0};
  int rc = sdbGcRun(e.s, m, 1, &o, sdbNowMs(), &st, &err);
  CHECKF("gc empty: fresh DB, nothing deleted", rc == SDB_OK && existsId(&e, "manifest", 1, ".manifest") &&
         st.nManifest == 0, "rc=%d %s", rc, err.zMsg);
  sdbManifestFree(m);
  envClose(&e);
}

static void testNames(void) {
  SdbUlid id = ulidAt(1700000000000ll), back;
  char z[96];
  sstKey(id, z, sizeof(z));
  CHECK("gc names: ULID names round trip", sdbParseSstUlidName(z, &back) == SDB_OK &&
        back.hi == id.hi && back.lo == id.lo);
  CHECK("gc names: max ULID", sdbParseSstUlidName("7ZZZZZZZZZZZZZZZZZZZZZZZZZ.sst", &back) == SDB_OK &&
        back.hi == UINT64_MAX && back.lo == UINT64_MAX);
  CHECK("gc names: overflow rejected", sdbParseSstUlidName("8ZZZZZZZZZZZZZZZZZZZZZZZZZ.sst", &back) != SDB_OK);
  CHECK("gc names: I/L/O/U rejected", sdbParseSstUlidName("01ZZZZZZZZZZZZZZZZZZZZZZZI.sst", &back) != SDB_OK &&
        sdbParseSstUlidName("01ZZZZZZZZZZZZZZZZZZZZZZZU.sst", &back) != SDB_OK);
  CHECK("gc names: short rejected", sdbParseSstUlidName("01ZZZZ.sst", &back) != SDB_OK);
}

int main(void) {
  testNames();
  testPlanBoundaries();
  testRun();
  testEmpty();
  return test_done();
}
