/*
** t_maint.c: the writer's background maintenance (core/db/maint.c) through the
** public API, on local directories:
**   - L0 backpressure: at l0_max_ssts L0s a flush wakes the compactor and
**     waits for it, so L0s stay bounded while writes go on (compactor poll
**     interval one hour: only the wake-up can explain the compactions);
**   - without a compactor, flushes never wait (L0s simply accumulate);
**   - the compactor claims compactor_epoch and stops for good (the writer
**     goes on) when a newer compactor claims it;
**   - checkpoints: create, list, delete, errors; a checkpoint pins rows that
**     were only in the WAL when it was created;
**   - compactors that die mid-job (simulated: an abandoned Running record and
**     partial outputs, 12 times; real: kill -9 of a child process while its
**     job is Running, 3 times): the next compactor resolves the jobs and GC
**     then reclaims every superseded SST; a resumable job runs under its id;
**   - store failures (a store wrapper): no job stays active in compactions/
**     while the compactor runs on (a failing resumed job, Failed/Completed
**     records the store refused); a compaction commit of unknown outcome
**     keeps its outputs; a compactions/ write whose reply is lost is settled;
**   - GC deletes crash leftovers (temporary files of interrupted PUTs).
*/
#include <signal.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test.h"
#include "meta/compactions.h"
#include "db/dbInt.h"
#include "util/sdbInt.h"

/* Open a writer on zDir with small L0s. */
static SdbDb *openWriter(const char *zDir, int bCompactor, u32 l0Max, SdbErr *pErr) {
  SdbConfig cfg;
  SdbDb *db = NULL;
  memset(&cfg, 0, sizeof(cfg));
  cfg.zUrl = zDir;
  cfg.bCreateIfMissing = 1;
  cfg.l0SstSizeBytes = 4096;
  cfg.bNoCompactor = !bCompactor;
  cfg.compactorPollMs = 3600000;
  cfg.l0MaxSsts = l0Max;
  cfg.bNoGc = 1;
  return sdb_db_open(&cfg, &db, pErr) == SDB_OK ? db : NULL;
}

/* Commit n batches of 40 rows (keys overwrite each other). */
static int writeRows(SdbDb *db, int n, SdbErr *pErr) {
  SdbBatch *b = sdb_batch_new();
  int rc = b ? SDB_OK : SDB_NOMEM;
  for (int t = 0; rc == SDB_OK && t < n; t++) {
    for (int i = 0; rc == SDB_OK && i < 40; i++) {
      char k[32], v[80];
      snprintf(k, sizeof(k), "key%05d", (t * 40 + i) % 700);
      snprintf(v, sizeof(v), "value-%d-%d-%050d", t, i, 0);
      rc = sdb_batch_put(b, (const u8 *)k, strlen(k), (const u8 *)v, strlen(v), 0, pErr);
    }
    if (rc == SDB_OK) rc = sdb_db_write(db, b, 1, pErr);
    sdb_batch_clear(b);
  }
  sdb_batch_free(b);
  return rc;
}

static void testBackpressure(void) {
  char zDir[] = "/tmp/sdbmaintXXXXXX";
  SdbErr err = {0};
  SdbStats st;
  CHECK("maint: temp dir", mkdtemp(zDir) != NULL);
  SdbDb *db = openWriter(zDir, 1, 4, &err);
  CHECKF("maint: writer with compactor opens", db != NULL, "%s", err.zMsg);
  if (!db) return;
  int rc = writeRows(db, 200, &err);
  if (rc == SDB_OK) rc = sdb_db_flush(db, 1, &err);
  sdb_db_stats(db, &st);
  CHECKF("maint: writes go on at l0_max_ssts", rc == SDB_OK, "rc=%d %s", rc, err.zMsg);
  CHECKF("maint: a flush at l0_max_ssts wakes the compactor", st.nCompactions >= 1 &&
         st.compactorEpoch >= 1, "compactions=%llu epoch=%llu", (unsigned long long)st.nCompactions,
         (unsigned long long)st.compactorEpoch);
  CHECKF("maint: L0s stay bounded", st.nL0 <= 5 && st.nSortedRun >= 1, "l0=%llu runs=%llu",
         (unsigned long long)st.nL0, (unsigned long long)st.nSortedRun);
  sdb_db_close(db);

  char zDir2[] = "/tmp/sdbmaintXXXXXX";
  CHECK("maint: temp dir 2", mkdtemp(zDir2) != NULL);
  db = openWriter(zDir2, 0, 4, &err);
  rc = db ? writeRows(db, 200, &err) : SDB_ERROR;
  if (rc == SDB_OK) rc = sdb_db_flush(db, 1, &err);
  if (db) sdb_db_stats(db, &st);
  CHECKF("maint: without a compactor flushes never wait", rc == SDB_OK && st.nL0 > 4 &&
         st.nCompactions == 0, "rc=%d l0=%llu %s", rc, (unsigned long long)st.nL0, err.zMsg);
  int nDone = 0;
  rc = db ? sdb_db_compact(db, &nDone, &err) : SDB_ERROR;
  CHECKF("maint: 'compact' needs the compactor", rc == SDB_ERROR && strstr(err.zMsg, "compactor"),
         "rc=%d %s", rc, err.zMsg);
  sdb_db_close(db);
}

/* A second writer takes over: the first one's compactor is fenced through
** compactor_epoch (and its writer through writer_epoch). */
static void testCompactorFencing(void) {
  char zDir[] = "/tmp/sdbmaintXXXXXX";
  SdbErr err = {0};
  SdbStats st;
  CHECK("maint: temp dir 3", mkdtemp(zDir) != NULL);
  SdbDb *a = openWriter(zDir, 1, 8, &err);
  int nDone = 0;
  int rc = a ? writeRows(a, 60, &err) : SDB_ERROR;
  if (rc == SDB_OK) rc = sdb_db_flush(a, 1, &err);
  if (rc == SDB_OK) rc = sdb_db_compact(a, &nDone, &err);
  CHECKF("maint: full compaction", rc == SDB_OK && nDone == 1, "rc=%d done=%d %s", rc, nDone, err.zMsg);
  SdbDb *b = openWriter(zDir, 1, 8, &err);
  rc = b ? writeRows(b, 60, &err) : SDB_ERROR;
  if (rc == SDB_OK) rc = sdb_db_flush(b, 1, &err);
  if (rc == SDB_OK) rc = sdb_db_compact(b, &nDone, &err);
  if (b) sdb_db_stats(b, &st);
  CHECKF("maint: the second writer claims a newer compactor epoch", rc == SDB_OK &&
         st.compactorEpoch == 2, "rc=%d epoch=%llu %s", rc, (unsigned long long)st.compactorEpoch,
         err.zMsg);
  SdbErr err2 = {0};
  rc = a ? sdb_db_compact(a, &nDone, &err2) : SDB_ERROR;
  CHECKF("maint: the first compactor is fenced", rc != SDB_OK &&
         (strstr(err2.zMsg, "fenced") != NULL), "rc=%d %s", rc, err2.zMsg);
  sdb_db_close(a);
  sdb_db_close(b);
}

static void testCheckpoints(void) {
  char zDir[] = "/tmp/sdbmaintXXXXXX";
  SdbErr err = {0};
  char zId[37];
  CHECK("maint: temp dir 4", mkdtemp(zDir) != NULL);
  SdbDb *db = openWriter(zDir, 0, 8, &err);
  int rc = db ? writeRows(db, 5, &err) : SDB_ERROR;
  if (rc == SDB_OK) rc = sdb_db_checkpoint_create(db, 60000, "nightly", zId, &err);
  SdbCheckpointInfo *a = NULL;
  int n = 0;
  if (rc == SDB_OK) rc = sdb_db_checkpoints(db, &a, &n, &err);
  CHECKF("maint: a checkpoint is listed", rc == SDB_OK && n == 1 && strcmp(a[0].zId, zId) == 0 &&
         a[0].expireTimeS - a[0].createTimeS == 60 && strcmp(a[0].zName, "nightly") == 0,
         "rc=%d n=%d %s", rc, n, err.zMsg);
  CHECK("maint: a UUID v4 id", strlen(zId) == 36 && zId[14] == '4');
  sdb_free(a);
  rc = sdb_db_checkpoint_delete(db, zId, &err);
  if (rc == SDB_OK) rc = sdb_db_checkpoints(db, &a, &n, &err);
  CHECKF("maint: checkpoint_delete", rc == SDB_OK && n == 0, "rc=%d n=%d", rc, n);
  sdb_free(a);
  rc = sdb_db_checkpoint_delete(db, zId, &err);
  CHECKF("maint: deleting it twice is an error", rc == SDB_ERROR && strstr(err.zMsg, zId), "%s",
         err.zMsg);
  rc = sdb_db_checkpoint_delete(db, "zz", &err);
  CHECKF("maint: a malformed id is an error", rc == SDB_ERROR && strstr(err.zMsg, "malformed"),
         "%s", err.zMsg);
  sdb_db_close(db);
}

/* Count the rows a checkpoint= reader of zDir sees, and how many of them
** have values starting with zPrefix. -1 when it cannot open or scan. */
static int ckptRows(const char *zDir, const char *zId, const char *zPrefix, int *pnPrefix) {
  SdbConfig cfg;
  SdbDb *r = NULL;
  SdbErr err = {0};
  SdbIter *it = NULL;
  memset(&cfg, 0, sizeof(cfg));
  cfg.zUrl = zDir;
  cfg.bReadOnly = 1;
  cfg.zCheckpoint = zId;
  *pnPrefix = 0;
  if (sdb_db_open(&cfg, &r, &err)) { printf("# reader: %s\n", err.zMsg); return -1; }
  int n = 0, rc = sdb_db_scan(r, NULL, 0, &it, &err);
  while (rc == SDB_OK && !it->bEof) {
    n++;
    *pnPrefix += it->cur.nVal >= strlen(zPrefix) && memcmp(it->cur.pVal, zPrefix, strlen(zPrefix)) == 0;
    rc = sdb_iter_next(it, &err);
  }
  sdb_iter_free(it);
  sdb_db_close(r);
  return rc ? -1 : n;
}

/* A checkpoint pins everything committed before it, rows that are only in the
** WAL (durable commits) or only in the WAL buffer (async commits) included:
** it flushes first, as SlateDB's create_checkpoint (scope All) does. */
static void testCheckpointFlushes(void) {
  char zDir[] = "/tmp/sdbmaintXXXXXX";
  SdbErr err = {0};
  char zId[37];
  CHECK("maint: temp dir 5", mkdtemp(zDir) != NULL);
  SdbDb *db = openWriter(zDir, 0, 8, &err);
  SdbBatch *b = sdb_batch_new();
  int rc = db && b ? SDB_OK : SDB_ERROR;
  /* One row in an L0 first: the manifest then bounds the WAL a reader replays. */
  if (rc == SDB_OK) rc = sdb_batch_put(b, (const u8 *)"base", 4, (const u8 *)"l0", 2, 0, &err);
  if (rc == SDB_OK) rc = sdb_db_write(db, b, 1, &err);
  if (rc == SDB_OK) rc = sdb_db_flush(db, 1, &err);
  sdb_batch_clear(b);
  for (int i = 0; rc == SDB_OK && i < 3; i++) {
    char k[16], v[16];
    snprintf(k, sizeof(k), "d%d", i);
    snprintf(v, sizeof(v), "wal%d", i);
    rc = sdb_batch_put(b, (const u8 *)k, strlen(k), (const u8 *)v, strlen(v), 0, &err);
    if (rc == SDB_OK) rc = sdb_db_write(db, b, 1, &err);      /* durable: WAL only */
    sdb_batch_clear(b);
    snprintf(k, sizeof(k), "a%d", i);
    if (rc == SDB_OK) rc = sdb_batch_put(b, (const u8 *)k, strlen(k), (const u8 *)v, strlen(v), 0, &err);
    if (rc == SDB_OK) rc = sdb_db_write(db, b, 0, &err);      /* async: WAL buffer */
    sdb_batch_clear(b);
  }
  SdbStats st;
  if (db) sdb_db_stats(db, &st);
  CHECKF("maint: rows committed, only one L0", rc == SDB_OK && st.nL0 == 1, "rc=%d l0=%llu %s",
         rc, (unsigned long long)st.nL0, err.zMsg);
  if (rc == SDB_OK) rc = sdb_db_checkpoint_create(db, 0, NULL, zId, &err);
  CHECKF("maint: checkpoint after WAL-only rows", rc == SDB_OK, "rc=%d %s", rc, err.zMsg);
  /* Rows committed after the checkpoint are not in it. */
  if (rc == SDB_OK) rc = sdb_batch_put(b, (const u8 *)"late", 4, (const u8 *)"x", 1, 0, &err);
  if (rc == SDB_OK) rc = sdb_db_write(db, b, 1, &err);
  if (rc == SDB_OK) rc = sdb_db_flush(db, 1, &err);
  int nWal = 0, n = rc == SDB_OK ? ckptRows(zDir, zId, "wal", &nWal) : -1;
  CHECKF("maint: a checkpoint= reader sees the rows that were only in the WAL", n == 7 && nWal == 6,
         "rows=%d wal=%d", n, nWal);
  sdb_batch_free(b);
  sdb_db_close(db);
}

/* A checkpoint of a database whose manifest names no WAL SST yet
** (wal_id_last_seen 0) pins exactly that state: a checkpoint= reader replays
** no WAL written after it (SlateDB replays up to the pinned manifest's
** next_wal_sst_id, exclusive). */
static void testCheckpointOfEmptyDb(void) {
  char zDir[] = "/tmp/sdbmaintXXXXXX";
  SdbErr err = {0};
  char zId[37];
  CHECK("maint: temp dir 6", mkdtemp(zDir) != NULL);
  SdbDb *db = openWriter(zDir, 0, 8, &err);
  SdbBatch *b = sdb_batch_new();
  int rc = db && b ? SDB_OK : SDB_ERROR;
  if (rc == SDB_OK) rc = sdb_db_checkpoint_create(db, 0, NULL, zId, &err);
  CHECKF("maint: checkpoint of an empty database", rc == SDB_OK, "rc=%d %s", rc, err.zMsg);
  for (int i = 0; rc == SDB_OK && i < 3; i++) {
    char k[16];
    snprintf(k, sizeof(k), "after%d", i);
    rc = sdb_batch_put(b, (const u8 *)k, strlen(k), (const u8 *)"wal", 3, 0, &err);
    if (rc == SDB_OK) rc = sdb_db_write(db, b, 1, &err);      /* durable: WAL only */
    sdb_batch_clear(b);
  }
  int nWal = 0, n = rc == SDB_OK ? ckptRows(zDir, zId, "wal", &nWal) : -1;
  CHECKF("maint: a checkpoint of an empty database replays no later WAL SST", n == 0,
         "rows=%d rc=%d %s", n, rc, err.zMsg);
  sdb_batch_free(b);
  sdb_db_close(db);
}

/* Copy manifest id to ids id+1 .. id+n in the local database zDir, with
** mtimes 10 s in the past (as another process's newer manifests would be:
** the copies are valid manifests). 0 on success. */
static int copyManifestUp(const char *zDir, u64 id, int n) {
  char zFrom[512], zTo[512], zId[21];
  sdbFormatId20(id, zId);
  snprintf(zFrom, sizeof(zFrom), "%s/manifest/%s.manifest", zDir, zId);
  size_t nData = 0;
  u8 *a = NULL;
  int rc = test_read_file(zFrom, &a, &nData) ? 0 : -1;
  struct timeval tv[2];
  gettimeofday(&tv[0], NULL);
  tv[0].tv_sec -= 10;
  tv[1] = tv[0];
  for (int i = 1; rc == 0 && i <= n; i++) {
    sdbFormatId20(id + (u64)i, zId);
    snprintf(zTo, sizeof(zTo), "%s/manifest/%s.manifest", zDir, zId);
    FILE *f = fopen(zTo, "wb");
    rc = f && fwrite(a, 1, nData, f) == nData ? 0 : -1;
    if (f) fclose(f);
    if (rc == 0) rc = utimes(zTo, tv);
  }
  free(a);
  return rc;
}

/* GC never deletes a manifest newer than the one its writer last read: the
** writer's next manifest goes to that id + 1 with a create-only PUT, which
** would succeed on a deleted id and put the writer's change (here an L0) in a
** manifest older than the newest one, lost to every reader (an ABA that the
** differential tester found with SlateDB readers adding manifests and 'gc 0'). */
static void testGcKeepsUnseenManifests(void) {
  char zDir[] = "/tmp/sdbmaintXXXXXX";
  SdbErr err = {0};
  CHECK("maint: temp dir 7", mkdtemp(zDir) != NULL);
  SdbConfig cfg;
  SdbDb *db = NULL;
  memset(&cfg, 0, sizeof(cfg));
  cfg.zUrl = zDir;
  cfg.bCreateIfMissing = 1;
  cfg.bNoCompactor = 1;
  cfg.gcIntervalMs = 3600000;   /* GC only when asked */
  if (sdb_db_open(&cfg, &db, &err)) db = NULL;
  int rc = db ? writeRows(db, 1, &err) : SDB_ERROR;
  u64 viewId = 0;
  if (db) {
    DbVersion *v = sdbDbPinVersion(db);
    viewId = v->manifestId;
    sdbDbVersionUnref(v);
  }
  if (rc == SDB_OK && copyManifestUp(zDir, viewId, 5)) rc = SDB_IOERR;
  u64 nDeleted = 0;
  if (rc == SDB_OK) rc = sdb_db_gc(db, 0, &nDeleted, &err);
  if (rc == SDB_OK) rc = sdb_db_flush(db, 1, &err);
  CHECKF("maint: gc 0 and an L0 flush with manifests the writer has not seen", rc == SDB_OK,
         "rc=%d %s", rc, err.zMsg);
  SdbStore *pStore = NULL;
  SdbManifest *m = NULL;
  u64 latest = 0;
  if (rc == SDB_OK) rc = sdbStoreOpenUrl(zDir, 1, 0, NULL, &pStore, &err);
  if (rc == SDB_OK) rc = sdbManifestLoadLatest(pStore, &m, &latest, &err);
  CHECKF("maint: the newest manifest holds the L0 flushed after gc 0",
         rc == SDB_OK && m && m->nL0 == 1 && latest > viewId + 5,
         "rc=%d l0=%d latest=%llu view=%llu deleted=%llu", rc, m ? m->nL0 : -1,
         (unsigned long long)latest, (unsigned long long)viewId, (unsigned long long)nDeleted);
  sdbManifestFree(m);
  sdbStoreFree(pStore);
  sdb_db_close(db);
}

/* The number of compacted/ SSTs in pStore; -1 on error. */
static int countCompacted(SdbStore *pStore) {
  SdbObjList l = {0};
  SdbErr err = {0};
  if (pStore->pMethods->xList(pStore, "compacted/", &l, &err)) return -1;
  int n = 0;
  for (int i = 0; i < l.n; i++) n += strstr(l.a[i].zKey, ".sst") != NULL;
  sdbObjListFree(&l);
  return n;
}

/* SSTs the current manifest of db references (L0s and runs). */
static int countActive(SdbDb *db) {
  DbVersion *v = sdbDbPinVersion(db);
  int n = v->pManifest->nL0;
  for (int r = 0; r < v->pManifest->nRun; r++) n += v->pManifest->aRun[r].nSst;
  sdbDbVersionUnref(v);
  return n;
}

/* What a compactor killed in the middle of a job leaves: its job Running in
** the next compactions/ object (an L0-only job on the nSrc newest L0s, as
** the scheduler would pick) and two output SSTs it had stored. *pJobId gets
** the job's id. */
static int abandonJob(SdbDb *db, int nSrc, SdbUlid *pJobId, SdbErr *pErr) {
  SdbCompactions *c = NULL;
  u64 id = 0;
  u8 *a = NULL;
  size_t n = 0;
  char zKey[64], zId[27];
  int rc = sdbCompactionsLoadLatest(db->pStore, &c, &id, pErr);
  if (rc == SDB_NOTFOUND) {
    c = sdbMallocZero(sizeof(*c));
    rc = c ? SDB_OK : SDB_NOMEM;
  }
  SdbCompactionRec *aRec = rc ? NULL : sdbRealloc(c->a, sizeof(*aRec) * (size_t)(c->n + 1));
  if (rc == SDB_OK && !aRec) rc = SDB_NOMEM;
  if (rc == SDB_OK) {
    c->a = aRec;
    SdbCompactionRec *r = &aRec[c->n++];
    memset(r, 0, sizeof(*r));
    sdbUlidNew(&r->id);
    *pJobId = r->id;
    r->specType = SDB_COMPACTION_SPEC_TIERED;
    r->status = SDB_COMPACTION_RUNNING;
    DbVersion *v = sdbDbPinVersion(db);
    r->nL0View = SDB_MIN(nSrc, v->pManifest->nL0);
    r->aL0View = sdbMalloc(sizeof(SdbUlid) * (size_t)(nSrc + 1));
    for (int i = 0; i < r->nL0View; i++) r->aL0View[i] = v->pManifest->aL0[i].viewId;
    sdbDbVersionUnref(v);
    rc = sdbCompactionsEncode(c, &a, &n, pErr);
  }
  if (rc == SDB_OK) {
    char z20[21];
    sdbFormatId20(id + 1, z20);
    snprintf(zKey, sizeof(zKey), "compactions/%s.compactions", z20);
    rc = db->pStore->pMethods->xPut(db->pStore, zKey, a, n, 1, pErr);
  }
  for (int i = 0; rc == SDB_OK && i < 2; i++) {
    SdbUlid u;
    usleep(2000);
    sdbUlidNew(&u);
    sdbUlidFormat(u, zId);
    snprintf(zKey, sizeof(zKey), "compacted/%s.sst", zId);
    rc = db->pStore->pMethods->xPut(db->pStore, zKey, (const u8 *)"partial", 7, 0, pErr);
  }
  sdbFree(a);
  sdbCompactionsFree(c);
  return rc;
}

/* Delete every checkpoint of db (as if their lifetimes had passed). */
static int dropCheckpoints(SdbDb *db, SdbErr *pErr) {
  SdbCheckpointInfo *a = NULL;
  int n = 0;
  int rc = sdb_db_checkpoints(db, &a, &n, pErr);
  for (int i = 0; rc == SDB_OK && i < n; i++) rc = sdb_db_checkpoint_delete(db, a[i].zId, pErr);
  sdb_free(a);
  return rc;
}

/* Writers whose compactor dies in the middle of a job, cycle after cycle:
** the next compactor puts the abandoned Running jobs back to Submitted,
** validates them (their sources are gone or the destination is taken:
** Failed) and trims compactions/ to the active jobs plus the last finished
** one, so GC's low watermark moves on and, once the checkpoints are gone,
** every superseded SST is reclaimed. */
static void testAbandonedJobs(void) {
  char zDir[] = "/tmp/sdbmaintXXXXXX";
  SdbErr err = {0};
  CHECK("maint: temp dir 6", mkdtemp(zDir) != NULL);
  int rc = SDB_OK, nDone = 0;
  for (int cycle = 0; rc == SDB_OK && cycle < 12; cycle++) {
    SdbDb *db = openWriter(zDir, 1, 8, &err);
    if (!db) { rc = SDB_ERROR; break; }
    rc = writeRows(db, 10, &err);
    if (rc == SDB_OK) rc = sdb_db_flush(db, 1, &err);
    if (rc == SDB_OK) rc = sdb_db_compact(db, &nDone, &err);
    if (rc == SDB_OK) rc = writeRows(db, 3, &err);          /* an L0 for the dying job */
    if (rc == SDB_OK) rc = sdb_db_flush(db, 1, &err);
    SdbUlid jobId;
    if (rc == SDB_OK) rc = abandonJob(db, 1, &jobId, &err);
    sdb_db_close(db);
  }
  CHECKF("maint: 12 writers, each leaving a Running job and partial outputs", rc == SDB_OK,
         "rc=%d %s", rc, err.zMsg);
  SdbDb *db = openWriter(zDir, 1, 8, &err);
  if (!db) { CHECKF("maint: the next writer opens", 0, "%s", err.zMsg); return; }
  int nBefore = countCompacted(db->pStore);
  rc = writeRows(db, 10, &err);
  if (rc == SDB_OK) rc = sdb_db_flush(db, 1, &err);
  if (rc == SDB_OK) rc = sdb_db_compact(db, &nDone, &err);
  SdbCompactions *c = NULL;
  int nActive = 0, nFinished = 0;
  if (rc == SDB_OK) rc = sdbCompactionsLoadLatest(db->pStore, &c, NULL, &err);
  for (int i = 0; c && i < c->n; i++) {
    nActive += c->a[i].status <= SDB_COMPACTION_RUNNING;
    nFinished += c->a[i].status >= SDB_COMPACTION_COMPLETED;
  }
  CHECKF("maint: the new compactor leaves no job active and keeps one finished job",
         rc == SDB_OK && c && nActive == 0 && nFinished == 1, "rc=%d %s active=%d finished=%d",
         rc, err.zMsg, nActive, nFinished);
  sdbCompactionsFree(c);
  uint64_t nDel = 0;
  if (rc == SDB_OK) rc = dropCheckpoints(db, &err);
  /* SlateDB's GC keeps compacted SSTs not older than the newest L0 (or the
  ** last compacted one): one more L0 lets the last consumed L0 go too. */
  if (rc == SDB_OK) rc = writeRows(db, 1, &err);
  if (rc == SDB_OK) rc = sdb_db_flush(db, 1, &err);
  if (rc == SDB_OK) rc = sdb_db_gc(db, 0, &nDel, &err);
  int nAfter = countCompacted(db->pStore), nLive = countActive(db);
  CHECKF("maint: GC reclaims every superseded SST after the checkpoints expire",
         rc == SDB_OK && nAfter == nLive, "rc=%d %s compacted/ %d -> %d, referenced %d", rc,
         err.zMsg, nBefore, nAfter, nLive);
  sdb_db_close(db);
}

/* A job abandoned before it changed the manifest, whose sources are all
** still there: the next compactor runs it under its own id (SlateDB
** resumes it), and the result is the same data in one sorted run. */
static void testResumedJob(void) {
  char zDir[] = "/tmp/sdbmaintXXXXXX";
  SdbErr err = {0};
  SdbUlid jobId;
  CHECK("maint: temp dir 7", mkdtemp(zDir) != NULL);
  SdbConfig cfg;
  SdbDb *db = NULL;
  memset(&cfg, 0, sizeof(cfg));
  cfg.zUrl = zDir;
  cfg.bCreateIfMissing = 1;
  cfg.bNoCompactor = 1;
  cfg.gcIntervalMs = 3600000;   /* GC only when asked */
  if (sdb_db_open(&cfg, &db, &err)) db = NULL;
  int rc = db ? SDB_OK : SDB_ERROR;
  for (int i = 0; rc == SDB_OK && i < 3; i++) {
    rc = writeRows(db, 6, &err);
    if (rc == SDB_OK) rc = sdb_db_flush(db, 1, &err);
  }
  if (rc == SDB_OK) rc = abandonJob(db, 1000, &jobId, &err);
  sdb_db_close(db);
  CHECKF("maint: L0s and a Running job over all of them", rc == SDB_OK, "rc=%d %s", rc, err.zMsg);
  db = openWriter(zDir, 1, 8, &err);
  int nDone = 0;
  rc = db ? sdb_db_compact(db, &nDone, &err) : SDB_ERROR;
  SdbStats st;
  memset(&st, 0, sizeof(st));
  if (db) sdb_db_stats(db, &st);
  SdbCompactions *c = NULL;
  if (rc == SDB_OK) rc = sdbCompactionsLoadLatest(db->pStore, &c, NULL, &err);
  int bDone = c && c->n == 1 && c->a[0].id.hi == jobId.hi && c->a[0].id.lo == jobId.lo &&
              c->a[0].status == SDB_COMPACTION_COMPLETED && c->a[0].nOut >= 1;
  CHECKF("maint: the resumed job ran to completion under its id", rc == SDB_OK && nDone == 1 &&
         bDone && st.nL0 == 0 && st.nSortedRun == 1, "rc=%d %s done=%d l0=%llu runs=%llu n=%d",
         rc, err.zMsg, nDone, (unsigned long long)st.nL0, (unsigned long long)st.nSortedRun,
         c ? c->n : -1);
  sdbCompactionsFree(c);
  SdbIter *it = NULL;
  int n = 0;
  if (rc == SDB_OK) rc = sdb_db_scan(db, NULL, 0, &it, &err);
  while (rc == SDB_OK && !it->bEof) { n++; rc = sdb_iter_next(it, &err); }
  sdb_iter_free(it);
  CHECKF("maint: every row is there after the resumed job", rc == SDB_OK && n == 240, "rc=%d n=%d", rc, n);
  sdb_db_close(db);
}

/* A store wrapper failing PUTs: after gFail.nPass more PUTs under
** gFail.zPrefix succeed, the next gFail.nFail of them fail with SDB_IOERR,
** or with bUnknown, are stored but answered SDB_UNKNOWN (a lost reply). */
static struct {
  const SdbStoreMethods *pReal;
  SdbStoreMethods m;
  const char *zPrefix;
  int nPass, nFail, bUnknown;
} gFail;

static int failPut(SdbStore *st, const char *zKey, const u8 *a, size_t n, int bIfAbsent, SdbErr *pErr) {
  if (gFail.nFail > 0 && strncmp(zKey, gFail.zPrefix, strlen(gFail.zPrefix)) == 0) {
    if (gFail.nPass > 0) {
      gFail.nPass--;
    } else {
      gFail.nFail--;
      if (gFail.bUnknown) gFail.pReal->xPut(st, zKey, a, n, bIfAbsent, pErr);
      return sdbErrSet(pErr, gFail.bUnknown ? SDB_UNKNOWN : SDB_IOERR, "test: PUT %s failed", zKey);
    }
  }
  return gFail.pReal->xPut(st, zKey, a, n, bIfAbsent, pErr);
}

/* Route db's PUTs through failPut: after nPass PUTs under zPrefix, nFail fail. */
static void failPuts(SdbDb *db, const char *zPrefix, int nPass, int nFail) {
  if (db->pStore->pMethods != &gFail.m) {
    gFail.pReal = db->pStore->pMethods;
    gFail.m = *gFail.pReal;
    gFail.m.xPut = failPut;
    db->pStore->pMethods = &gFail.m;
  }
  gFail.zPrefix = zPrefix;
  gFail.bUnknown = 0;
  gFail.nPass = nPass;
  gFail.nFail = nFail;
}

/* Jobs the latest compactions/ object lists as active (Submitted or
** Running); -1 if it cannot be read. */
static int countActiveJobs(SdbDb *db) {
  SdbCompactions *c = NULL;
  SdbErr err = {0};
  if (sdbCompactionsLoadLatest(db->pStore, &c, NULL, &err) != SDB_OK) return -1;
  int n = 0;
  for (int i = 0; i < c->n; i++) n += c->a[i].status <= SDB_COMPACTION_RUNNING;
  sdbCompactionsFree(c);
  return n;
}

/* One more L0 and one compaction round; its rc (the round may fail). */
static int flushAndCompact(SdbDb *db, SdbErr *pErr) {
  int nDone = 0;
  int rc = writeRows(db, 6, pErr);
  if (rc == SDB_OK) rc = sdb_db_flush(db, 1, pErr);
  if (rc == SDB_OK) rc = sdb_db_compact(db, &nDone, pErr);
  return rc;
}

/* While the compactor keeps running, no job stays active in compactions/
** (pinning GC's low watermark) because a store write failed:
**   a. two resumable jobs, the first failing (its outputs cannot be stored):
**      it is marked Failed, the second still runs in a later round;
**   b. an invalid resumed job whose "Failed" record cannot be stored: the
**      record is stored by a later round;
**   c. a new job whose "Completed" record cannot be stored: likewise. */
static void testJobsSettleAfterFailures(void) {
  char zDir[] = "/tmp/sdbmaintXXXXXX";
  SdbErr err = {0};
  SdbUlid j1, j2;
  CHECK("maint: temp dir 10", mkdtemp(zDir) != NULL);
  SdbDb *db = openWriter(zDir, 0, 100, &err);
  int rc = db ? SDB_OK : SDB_ERROR;
  for (int i = 0; rc == SDB_OK && i < 3; i++) {
    rc = writeRows(db, 6, &err);
    if (rc == SDB_OK) rc = sdb_db_flush(db, 1, &err);
  }
  if (rc == SDB_OK) rc = abandonJob(db, 1, &j1, &err);
  usleep(3000);
  if (rc == SDB_OK) rc = abandonJob(db, 1000, &j2, &err);
  sdb_db_close(db);
  db = rc == SDB_OK ? openWriter(zDir, 1, 100, &err) : NULL;
  CHECKF("maint: two abandoned resumable jobs", db != NULL, "rc=%d %s", rc, err.zMsg);
  if (!db) return;
  failPuts(db, "compacted/", 0, 1000);
  int nDone = 0;
  rc = sdb_db_compact(db, &nDone, &err);
  failPuts(db, "", 0, 0);
  CHECKF("maint: a resumed job whose outputs cannot be stored fails the round", rc != SDB_OK &&
         countActiveJobs(db) == 1, "rc=%d active=%d", rc, countActiveJobs(db));
  for (int k = 0; k < 2; k++) rc = flushAndCompact(db, &err);
  CHECKF("maint: the next rounds settle the other resumed job", rc == SDB_OK &&
         countActiveJobs(db) == 0, "rc=%d %s active=%d", rc, err.zMsg, countActiveJobs(db));
  sdb_db_close(db);

  /* b: run 0 exists, so an L0-only job (destination 0 on reload) is invalid. */
  db = openWriter(zDir, 1, 100, &err);
  rc = db ? writeRows(db, 3, &err) : SDB_ERROR;
  if (rc == SDB_OK) rc = sdb_db_flush(db, 1, &err);
  if (rc == SDB_OK) rc = abandonJob(db, 1, &j1, &err);
  sdb_db_close(db);
  db = rc == SDB_OK ? openWriter(zDir, 1, 100, &err) : NULL;
  CHECKF("maint: an abandoned invalid job", db != NULL, "rc=%d %s", rc, err.zMsg);
  if (!db) return;
  failPuts(db, "compactions/", 1, 1000);   /* the claim passes, then nothing */
  rc = sdb_db_compact(db, &nDone, &err);
  failPuts(db, "", 0, 0);
  CHECKF("maint: its Failed record cannot be stored", rc != SDB_OK && countActiveJobs(db) == 1,
         "rc=%d active=%d", rc, countActiveJobs(db));
  rc = flushAndCompact(db, &err);
  CHECKF("maint: the next round stores it", rc == SDB_OK && countActiveJobs(db) == 0,
         "rc=%d %s active=%d", rc, err.zMsg, countActiveJobs(db));

  /* c */
  failPuts(db, "compactions/", 1, 1);      /* Running passes, Completed fails */
  rc = flushAndCompact(db, &err);
  failPuts(db, "", 0, 0);
  CHECKF("maint: a new job whose Completed record cannot be stored", rc == SDB_OK &&
         countActiveJobs(db) == 1, "rc=%d %s active=%d", rc, err.zMsg, countActiveJobs(db));
  rc = flushAndCompact(db, &err);
  CHECKF("maint: the next round stores it too", rc == SDB_OK && countActiveJobs(db) == 0,
         "rc=%d %s active=%d", rc, err.zMsg, countActiveJobs(db));
  sdb_db_close(db);
}

/* The manifest write that commits a compaction has an unknown outcome (both
** attempts stored, neither answered): the outputs the stored manifest may
** reference must stay, so a new reader reads every row. */
static void testUnknownCommitKeepsOutputs(void) {
  char zDir[] = "/tmp/sdbmaintXXXXXX";
  SdbErr err = {0};
  CHECK("maint: temp dir 11", mkdtemp(zDir) != NULL);
  SdbDb *db = openWriter(zDir, 1, 100, &err);
  int rc = db ? flushAndCompact(db, &err) : SDB_ERROR;   /* claims the compactor */
  for (int i = 0; rc == SDB_OK && i < 2; i++) {
    rc = writeRows(db, 6, &err);
    if (rc == SDB_OK) rc = sdb_db_flush(db, 1, &err);
  }
  CHECKF("maint: a claimed compactor and L0s", rc == SDB_OK, "rc=%d %s", rc, err.zMsg);
  if (rc) { sdb_db_close(db); return; }
  failPuts(db, "manifest/", 1, 2);      /* the checkpoint passes, the commit is unknown */
  gFail.bUnknown = 1;
  int nDone = 0;
  rc = sdb_db_compact(db, &nDone, &err);
  failPuts(db, "", 0, 0);
  CHECKF("maint: the commit's outcome is unknown", rc == SDB_UNKNOWN, "rc=%d %s", rc, err.zMsg);
  sdb_db_close(db);
  SdbConfig cfg;
  memset(&cfg, 0, sizeof(cfg));
  cfg.zUrl = zDir;
  cfg.bReadOnly = 1;
  db = NULL;
  rc = sdb_db_open(&cfg, &db, &err);
  SdbIter *it = NULL;
  int n = 0;
  if (rc == SDB_OK) rc = sdb_db_scan(db, NULL, 0, &it, &err);
  while (rc == SDB_OK && !it->bEof) { n++; rc = sdb_iter_next(it, &err); }
  sdb_iter_free(it);
  CHECKF("maint: a reader reads every row (the outputs were kept)", rc == SDB_OK && n == 240,
         "rc=%d %s rows=%d", rc, err.zMsg, n);
  sdb_db_close(db);
}

/* A compactions/ write whose reply is lost (stored, answered SDB_UNKNOWN) is
** settled by repeating it, as every versioned-object write is: the claim and
** then the job's Running record each land unanswered once, and the rounds
** still succeed. */
static void testUnknownCompactionsSettled(void) {
  char zDir[] = "/tmp/sdbmaintXXXXXX";
  SdbErr err = {0};
  CHECK("maint: temp dir 12", mkdtemp(zDir) != NULL);
  SdbDb *db = openWriter(zDir, 1, 100, &err);
  int rc = db ? SDB_OK : SDB_ERROR;
  for (int i = 0; rc == SDB_OK && i < 2; i++) {
    rc = writeRows(db, 6, &err);
    if (rc == SDB_OK) rc = sdb_db_flush(db, 1, &err);
  }
  CHECKF("maint: L0s to compact", rc == SDB_OK, "rc=%d %s", rc, err.zMsg);
  if (rc) { sdb_db_close(db); return; }
  int nDone = 0;
  failPuts(db, "compactions/", 0, 1);     /* the claim lands unanswered */
  gFail.bUnknown = 1;
  rc = sdb_db_compact(db, &nDone, &err);
  CHECKF("maint: a claim whose reply was lost is settled as ours", rc == SDB_OK && nDone == 1 &&
         countActiveJobs(db) == 0, "rc=%d %s done=%d", rc, err.zMsg, nDone);
  failPuts(db, "compactions/", 0, 1);     /* now the Running record */
  gFail.bUnknown = 1;
  rc = rc == SDB_OK ? flushAndCompact(db, &err) : rc;
  failPuts(db, "", 0, 0);
  SdbStats st;
  memset(&st, 0, sizeof(st));
  sdb_db_stats(db, &st);
  CHECKF("maint: a job record whose reply was lost is settled as ours", rc == SDB_OK &&
         countActiveJobs(db) == 0 && st.nCompactions == 2, "rc=%d %s compactions=%llu", rc, err.zMsg,
         (unsigned long long)st.nCompactions);
  sdb_db_close(db);
}

/* 1 when the latest compactions/ object of the store at zDir lists a
** Running job, 0 when not (or there is none yet). */
static int hasRunningJob(const char *zDir) {
  SdbStore *pStore = NULL;
  SdbCompactions *c = NULL;
  SdbErr err = {0};
  int bRunning = 0;
  if (sdbStoreOpenUrl(zDir, 1, 0, NULL, &pStore, &err)) return 0;
  if (sdbCompactionsLoadLatest(pStore, &c, NULL, &err) == SDB_OK) {
    for (int i = 0; i < c->n; i++) bRunning |= c->a[i].status == SDB_COMPACTION_RUNNING;
  }
  sdbCompactionsFree(c);
  sdbStoreFree(pStore);
  return bRunning;
}

/* The child of testKill9: write and compact until killed. */
static void killChild(const char *zDir) {
  SdbErr err = {0};
  SdbDb *db = openWriter(zDir, 1, 1000, &err);
  for (int r = 0; db && r < 1000; r++) {
    int nDone = 0;
    if (writeRows(db, 60, &err) || sdb_db_flush(db, 1, &err) || sdb_db_compact(db, &nDone, &err)) break;
  }
  _exit(0);
}

/* A real kill -9 of a writer in the middle of a compaction job, three times;
** then the next writer resolves the abandoned jobs and GC reclaims every
** superseded SST. */
static void testKill9(void) {
  char zDir[] = "/tmp/sdbmaintXXXXXX";
  SdbErr err = {0};
  CHECK("maint: temp dir 8", mkdtemp(zDir) != NULL);
  int nKilled = 0;
  for (int round = 0; round < 3; round++) {
    pid_t pid = fork();
    if (pid == 0) killChild(zDir);
    if (pid < 0) break;
    int bKilled = 0;
    for (int t = 0; t < 60000 && !bKilled; t++) {        /* up to about a minute */
      if (hasRunningJob(zDir)) {
        kill(pid, SIGKILL);
        bKilled = 1;
      } else {
        usleep(1000);
      }
    }
    if (!bKilled) kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    nKilled += bKilled;
  }
  CHECKF("maint: a writer killed -9 with a job Running, 3 times", nKilled == 3, "killed %d", nKilled);
  SdbDb *db = openWriter(zDir, 1, 1000, &err);
  int nDone = 0;
  int rc = db ? sdb_db_compact(db, &nDone, &err) : SDB_ERROR;
  SdbCompactions *c = NULL;
  int nActive = 0;
  if (rc == SDB_OK) rc = sdbCompactionsLoadLatest(db->pStore, &c, NULL, &err);
  for (int i = 0; c && i < c->n; i++) nActive += c->a[i].status <= SDB_COMPACTION_RUNNING;
  CHECKF("maint: after the kills the next compactor leaves no job active",
         rc == SDB_OK && c && nActive == 0 && c->n == 1, "rc=%d %s active=%d n=%d", rc, err.zMsg,
         nActive, c ? c->n : -1);
  sdbCompactionsFree(c);
  uint64_t nDel = 0;
  if (rc == SDB_OK) rc = dropCheckpoints(db, &err);
  if (rc == SDB_OK) rc = writeRows(db, 1, &err);
  if (rc == SDB_OK) rc = sdb_db_flush(db, 1, &err);
  if (rc == SDB_OK) rc = sdb_db_gc(db, 0, &nDel, &err);
  int nAfter = db ? countCompacted(db->pStore) : -1, nLive = db ? countActive(db) : -2;
  CHECKF("maint: after the kills GC reclaims every superseded SST", rc == SDB_OK && nAfter == nLive,
         "rc=%d %s compacted/ %d, referenced %d (deleted %llu)", rc, err.zMsg, nAfter, nLive,
         (unsigned long long)nDel);
  sdb_db_close(db);
}

/* Create file zDir/zName (zName may have a folder), last modified ageS
** seconds ago. */
static void makeAged(const char *zDir, const char *zName, int ageS) {
  char z[512];
  snprintf(z, sizeof(z), "%s/%s", zDir, zName);
  FILE *f = fopen(z, "w");
  if (f) { fputs("partial", f); fclose(f); }
  struct timeval tv[2];
  gettimeofday(&tv[0], NULL);
  tv[0].tv_sec -= ageS;
  tv[1] = tv[0];
  utimes(z, tv);
}

static int fileExists(const char *zDir, const char *zName) {
  char z[512];
  snprintf(z, sizeof(z), "%s/%s", zDir, zName);
  return access(z, F_OK) == 0;
}

/* Crash leftovers: GC deletes the temporary files of interrupted PUTs (ours
** and SlateDB's naming) in manifest/, wal/, compactions/, compacted/ once they
** are over an hour old, and nothing else. */
static void testTempSweep(void) {
  char zDir[] = "/tmp/sdbmaintXXXXXX";
  SdbErr err = {0};
  CHECK("maint: temp dir 9", mkdtemp(zDir) != NULL);
  SdbDb *db = openWriter(zDir, 1, 8, &err);
  int nDone = 0;
  int rc = db ? writeRows(db, 20, &err) : SDB_ERROR;
  if (rc == SDB_OK) rc = sdb_db_flush(db, 1, &err);
  if (rc == SDB_OK) rc = sdb_db_compact(db, &nDone, &err);   /* creates compactions/ */
  static const char *const azGone[] = {
    "manifest/.tmp-4242-7-1700000000123456", "wal/00000000000000000099.sst#1",
    "compactions/.tmp-1-2-3", "compacted/01J0000000000000000000000A.sst#12",
  };
  static const char *const azKept[] = {
    "manifest/.tmp-4242-8-1700000000123457",   /* recent: a write may be in flight */
    "manifest/.tmp-x-1-2", "wal/.tmp-1-2", "manifest/notes#v1", "wal/#1",
    ".tmp-1-2-3", "00000000000000000001.manifest#1",   /* the root is not swept */
  };
  for (int i = 0; i < 4; i++) makeAged(zDir, azGone[i], 7200);
  makeAged(zDir, azKept[0], 60);
  for (int i = 1; i < 7; i++) makeAged(zDir, azKept[i], 7200);
  uint64_t nDel = 0;
  if (rc == SDB_OK) rc = sdb_db_gc(db, 0, &nDel, &err);
  int nGone = 0, nKept = 0;
  for (int i = 0; i < 4; i++) nGone += !fileExists(zDir, azGone[i]);
  for (int i = 0; i < 7; i++) nKept += fileExists(zDir, azKept[i]);
  CHECKF("maint: GC deletes crash leftovers older than an hour, in the four folders", rc == SDB_OK &&
         nGone == 4 && nDel >= 4, "rc=%d %s gone=%d deleted=%llu", rc, err.zMsg, nGone,
         (unsigned long long)nDel);
  CHECKF("maint: recent ones, other names and the root are left alone", nKept == 7, "kept=%d", nKept);
  SdbIter *it = NULL;
  int n = 0;
  if (rc == SDB_OK) rc = sdb_db_scan(db, NULL, 0, &it, &err);
  while (rc == SDB_OK && !it->bEof) { n++; rc = sdb_iter_next(it, &err); }
  sdb_iter_free(it);
  CHECKF("maint: the database is intact after the sweep", rc == SDB_OK && n > 0, "rc=%d n=%d", rc, n);
  sdb_db_close(db);
}

int main(void) {
  testBackpressure();
  testCompactorFencing();
  testCheckpoints();
  testCheckpointFlushes();
  testCheckpointOfEmptyDb();
  testAbandonedJobs();
  testResumedJob();
  testJobsSettleAfterFailures();
  testUnknownCommitKeepsOutputs();
  testUnknownCompactionsSettled();
  testKill9();
  testTempSweep();
  testGcKeepsUnseenManifests();
  return test_done();
}
