/*
** t_writer.c: the engine's write path on a local directory.
**
** A seeded random workload (puts, overwrites, deletes, TTL puts, batches of
** several keys, durable and async commits, memtable flushes to L0) runs
** against a model; after every step the visible rows must equal the model,
** and after each reopen (clean close, or a reader on the same directory) too.
** Also: read-your-writes overlays with savepoint truncation, fencing by a
** second writer (every later write of the first fails with SDB_FENCED and
** nothing acknowledged is lost), a WAL id taken without a newer writer (an
** error, not "fenced"), commits whose WAL PUT reply is lost (unknown
** outcome, settled by the next write), and the objects a writer leaves behind.
*/
#include <dirent.h>
#include <unistd.h>

#include "test.h"
#include "db/dbInt.h"

#define NKEY 300

typedef struct Model { int bHas[NKEY]; char val[NKEY][40]; } Model;
static Model model;

static void keyOf(int k, u8 *z, size_t *pn) { *pn = (size_t)snprintf((char *)z, 24, "key:%05d", k); }

/* 1 if db's visible rows equal the model (overlay: NULL). */
static int matches(SdbDb *db, SdbBatch *pOverlay, const Model *m, int bDesc, char *zWhy) {
  SdbIter *it = NULL;
  SdbErr err = {0};
  if (sdb_db_scan_overlay(db, pOverlay, NULL, bDesc, &it, &err)) {
    sprintf(zWhy, "scan: %s", err.zMsg);
    return 0;
  }
  int ok = 1;
  for (int j = 0; j < NKEY && ok; j++) {
    int k = bDesc ? NKEY - 1 - j : j;
    if (!m->bHas[k]) continue;
    u8 kb[24]; size_t nk; keyOf(k, kb, &nk);
    if (it->bEof || sdbKeyCmp(it->cur.pKey, it->cur.nKey, kb, nk) != 0) {
      sprintf(zWhy, "key %d: %s", k, it->bEof ? "missing (eof)" : "other key");
      ok = 0;
    } else if (it->cur.nVal != strlen(m->val[k]) || memcmp(it->cur.pVal, m->val[k], it->cur.nVal)) {
      sprintf(zWhy, "key %d: value differs", k);
      ok = 0;
    } else if (sdb_iter_next(it, &err)) {
      ok = 0;
    }
  }
  if (ok && !it->bEof) { sprintf(zWhy, "extra rows"); ok = 0; }
  sdb_iter_free(it);
  return ok;
}

static SdbDb *openDb(const char *zDir, int bReadOnly, u64 l0Size, SdbErr *pErr) {
  SdbConfig cfg;
  memset(&cfg, 0, sizeof(cfg));
  cfg.zUrl = zDir;
  cfg.bReadOnly = bReadOnly;
  cfg.bCreateIfMissing = 1;
  cfg.l0SstSizeBytes = l0Size;
  cfg.eCodec = 1;   /* snappy */
  SdbDb *db = NULL;
  return sdb_db_open(&cfg, &db, pErr) == SDB_OK ? db : NULL;
}

static int countObjects(const char *zDir, const char *zSub) {
  char z[600];
  snprintf(z, sizeof(z), "%s/%s", zDir, zSub);
  DIR *d = opendir(z);
  int n = 0;
  struct dirent *e;
  while (d && (e = readdir(d)) != NULL) n += e->d_name[0] != '.';
  if (d) closedir(d);
  return n;
}

/* A WAL id held by an object this writer did not store, while the manifest
** shows no newer writer: the commit fails, but not as "fenced", and it
** changes nothing. zDir is a fresh database directory. */
static void testForeignWal(const char *zDir) {
  SdbErr err = {0};
  SdbStats st;
  SdbDb *db = openDb(zDir, 0, 8192, &err);
  CHECKF("writer: foreign WAL: open", db != NULL, "%s", err.zMsg);
  if (!db) return;
  sdb_db_stats(db, &st);
  char zPath[600];
  snprintf(zPath, sizeof(zPath), "%s/wal/%020llu.sst", zDir, (unsigned long long)st.nextWalId);
  FILE *f = fopen(zPath, "wb");
  if (f) {
    fputs("not ours", f);
    fclose(f);
  }
  SdbBatch *b = sdb_batch_new();
  sdb_batch_put(b, (const u8 *)"k", 1, (const u8 *)"v", 1, 0, &err);
  int rc = sdb_db_write(db, b, 1, &err);
  CHECKF("writer: a foreign WAL object without a newer writer is not 'fenced'",
         f && rc == SDB_IOERR && !strstr(err.zMsg, "fenced") && strstr(err.zMsg, "no newer writer"),
         "rc=%d %s", rc, err.zMsg);
  sdb_db_stats(db, &st);
  Model empty;
  char zWhy[200] = "";
  memset(&empty, 0, sizeof(empty));
  CHECKF("writer: foreign WAL: the failed commit is not visible", !st.bFenced && matches(db, NULL, &empty, 0, zWhy),
         "fenced %d %s", st.bFenced, zWhy);
  /* The handle stops writing, saying so, instead of failing on that id forever. */
  rc = sdb_db_write(db, b, 1, &err);
  CHECKF("writer: foreign WAL: later writes ask for a reopen",
         rc == SDB_IOERR && strstr(err.zMsg, "reopen the table") && strstr(err.zMsg, "no newer writer"),
         "rc=%d %s", rc, err.zMsg);
  sdb_batch_free(b);
  sdb_db_close(db);
}

/* ------------------------------------------------------------ lost replies */

/* The local store's methods with create-only PUTs under zLosePrefix (wal/
** unless set) that can "lose their reply": while nLose > 0, such a PUT is
** stored (if bApply) and then answered SDB_UNKNOWN, as an S3 PUT applied but
** unanswered within request_timeout; with bPlainErr it is not stored and
** answered SDB_IOERR instead. */
static const SdbStoreMethods *pRealMethods;
static SdbStoreMethods lossyMethods;
static int nLose, bApply, bPlainErr;
static const char *zLosePrefix = "wal/";

static int lossyLose(SdbStore *s, const char *zKey, const u8 *a, size_t n, SdbErr *pErr) {
  nLose--;
  if (bPlainErr) return sdbErrSet(pErr, SDB_IOERR, "test store: PUT %s failed (not stored)", zKey);
  if (bApply) pRealMethods->xPut(s, zKey, a, n, 1, pErr);
  return sdbErrSet(pErr, SDB_UNKNOWN, "outcome unknown: test store lost the reply for %s", zKey);
}

static int lossyHit(const char *zKey) {
  return nLose > 0 && strncmp(zKey, zLosePrefix, strlen(zLosePrefix)) == 0;
}

static int lossyPut(SdbStore *s, const char *zKey, const u8 *a, size_t n, int bIfAbsent,
                    SdbErr *pErr) {
  if (bIfAbsent && lossyHit(zKey)) return lossyLose(s, zKey, a, n, pErr);
  return pRealMethods->xPut(s, zKey, a, n, bIfAbsent, pErr);
}

/* xPutOnce without put-ids: the same bytes count as ours. */
static int lossyPutOnce(SdbStore *s, const char *zKey, const u8 *a, size_t n, const char *zPutId,
                        SdbErr *pErr) {
  (void)zPutId;
  if (lossyHit(zKey)) return lossyLose(s, zKey, a, n, pErr);
  int rc = pRealMethods->xPut(s, zKey, a, n, 1, pErr);
  SdbBuf got = {0};
  if (rc == SDB_EXISTS && pRealMethods->xGet(s, zKey, 0, SDB_TO_END, &got, pErr) == SDB_OK &&
      got.n == n && memcmp(got.a, a, n) == 0) {
    rc = SDB_OK;
  }
  sdbBufFree(&got);
  return rc;
}

/* Put zKey=zKey, durably unless bAsync. */
static int lossyWrite(SdbDb *db, const char *zKey, int bAsync, SdbErr *pErr) {
  SdbBatch *b = sdb_batch_new();
  int rc = sdb_batch_put(b, (const u8 *)zKey, strlen(zKey), (const u8 *)zKey, strlen(zKey), 0, pErr);
  if (rc == SDB_OK) rc = sdb_db_write(db, b, !bAsync, pErr);
  sdb_batch_free(b);
  return rc;
}

/* Put zKey=zKey durably. */
static int lossyCommit(SdbDb *db, const char *zKey, SdbErr *pErr) {
  return lossyWrite(db, zKey, 0, pErr);
}

/* Visible rows of db, and of a fresh reader of zDir, as "a,b," strings. */
static void lossyViews(SdbDb *db, const char *zDir, char *zOwn, char *zFresh) {
  SdbErr err = {0};
  SdbDb *r = openDb(zDir, 1, 0, &err);
  for (int i = 0; i < 2; i++) {
    SdbDb *d = i ? r : db;
    char *z = i ? zFresh : zOwn;
    SdbIter *it = NULL;
    z[0] = 0;
    int rc = d ? sdb_db_scan(d, NULL, 0, &it, &err) : SDB_ERROR;
    while (rc == SDB_OK && !it->bEof && strlen(z) < 150) {
      strncat(z, (const char *)it->cur.pKey, it->cur.nKey);
      strcat(z, ",");
      rc = sdb_iter_next(it, &err);
    }
    if (rc) strcpy(z, "error");
    sdb_iter_free(it);
  }
  sdb_db_close(r);
}

/* One lost-reply case: nLoseIn WAL PUTs lose their reply (bApplyIn: after
** storing). The commit reports an unknown outcome; a write while it cannot
** be settled is refused; the next write settles it; then both views agree. */
static void lossyCase(SdbDb *db, const char *zDir, const char *zName, int nLoseIn, int bApplyIn) {
  SdbErr err = {0};
  SdbStats st0, st1;
  char zCheck[160], zOwn[160], zFresh[160], zKey[32];
  sdb_db_stats(db, &st0);
  nLose = nLoseIn;
  bApply = bApplyIn;
  snprintf(zKey, sizeof(zKey), "%s-1", zName);
  int rc = lossyCommit(db, zKey, &err);
  snprintf(zCheck, sizeof(zCheck), "writer: lost reply (%s): the commit's outcome is unknown", zName);
  CHECKF(zCheck, rc == SDB_UNKNOWN && strstr(err.zMsg, "outcome unknown"), "rc=%d %s", rc, err.zMsg);
  if (nLose > 0) {
    rc = lossyCommit(db, "refused", &err);
    snprintf(zCheck, sizeof(zCheck), "writer: lost reply (%s): a write before it settles is not made", zName);
    CHECKF(zCheck, rc == SDB_IOERR && strstr(err.zMsg, "was not made"), "rc=%d %s", rc, err.zMsg);
  }
  snprintf(zKey, sizeof(zKey), "%s-2", zName);
  rc = lossyCommit(db, zKey, &err);
  sdb_db_stats(db, &st1);
  snprintf(zCheck, sizeof(zCheck), "writer: lost reply (%s): the next commit settles it and takes the next WAL id", zName);
  CHECKF(zCheck, rc == SDB_OK && st1.nextWalId == st0.nextWalId + 2 && !st1.bFenced &&
         st1.lastSeq == st0.lastSeq + 2, "rc=%d %s; wal id %llu -> %llu, seq %llu -> %llu", rc, err.zMsg,
         (unsigned long long)st0.nextWalId, (unsigned long long)st1.nextWalId,
         (unsigned long long)st0.lastSeq, (unsigned long long)st1.lastSeq);
  lossyViews(db, zDir, zOwn, zFresh);
  snprintf(zCheck, sizeof(zCheck), "writer: lost reply (%s): the handle sees what a fresh reader sees", zName);
  CHECKF(zCheck, strcmp(zOwn, zFresh) == 0 && strstr(zOwn, zName), "handle %s, fresh reader %s", zOwn, zFresh);
}

/* A writer on zDir (a fresh directory) with async rows written only when the
** buffer reaches maxUnflushed bytes, its store replaced by the lossy one. */
static SdbDb *lossyOpen(const char *zDir, u64 maxUnflushed) {
  SdbErr err = {0};
  SdbConfig cfg;
  SdbDb *db = NULL;
  memset(&cfg, 0, sizeof(cfg));
  cfg.zUrl = zDir;
  cfg.bCreateIfMissing = 1;
  cfg.bNoCompactor = 1;
  cfg.flushIntervalMs = 600000;
  cfg.maxUnflushedBytes = maxUnflushed;
  int rc = sdb_db_open(&cfg, &db, &err);
  if (rc) printf("# lossy open %s: rc=%d %s\n", zDir, rc, err.zMsg);
  if (rc) return NULL;
  pRealMethods = db->pStore->pMethods;
  lossyMethods = *pRealMethods;
  lossyMethods.xPut = lossyPut;
  lossyMethods.xPutOnce = lossyPutOnce;
  db->pStore->pMethods = &lossyMethods;
  return db;
}

/* Close a lossyOpen handle with the real store back in place. */
static void lossyClose(SdbDb *db) {
  nLose = 0;
  bPlainErr = 0;
  zLosePrefix = "wal/";
  db->pStore->pMethods = pRealMethods;
  sdb_db_close(db);
}

/* An async commit that fills the WAL buffer, whose WAL PUT then fails
** (bPlainErrIn: not stored, SDB_IOERR; else stored, reply lost): the commit
** is acknowledged and visible at once (async promises no durability), the
** WAL SST is kept and written later under the same put-id, and its rows
** survive the next L0 flush and a reopen. zDir: a fresh directory. */
static void testAsyncFlushFails(const char *zDir, int bPlainErrIn) {
  SdbErr err = {0};
  char zCheck[160], zOwn[160], zFresh[160];
  const char *zCase = bPlainErrIn ? "plain error" : "lost reply";
  SdbDb *db = lossyOpen(zDir, 1);   /* every async commit fills the buffer */
  CHECKF("writer: async flush fails: open", db != NULL, "%s", zDir);
  if (!db) return;
  int rc = lossyCommit(db, "a", &err);
  nLose = 1;
  bApply = 1;
  bPlainErr = bPlainErrIn;
  rc = lossyWrite(db, "b-async", 1, &err);
  lossyViews(db, zDir, zOwn, zFresh);
  snprintf(zCheck, sizeof(zCheck), "writer: async commit whose WAL PUT fails (%s): acknowledged and "
           "visible", zCase);
  CHECKF(zCheck, rc == SDB_OK && strstr(zOwn, "b-async"), "rc=%d %s; handle %s", rc, err.zMsg, zOwn);
  /* The next write reports the background failure at most once. */
  rc = lossyCommit(db, "c", &err);
  if (rc != SDB_OK && strstr(err.zMsg, "background WAL flush failed")) rc = lossyCommit(db, "c", &err);
  lossyViews(db, zDir, zOwn, zFresh);
  snprintf(zCheck, sizeof(zCheck), "writer: async WAL PUT failed (%s): written by the next write; "
           "the handle sees what a fresh reader sees", zCase);
  CHECKF(zCheck, rc == SDB_OK && strcmp(zOwn, zFresh) == 0 && strcmp(zOwn, "a,b-async,c,") == 0,
         "rc=%d %s; handle %s, fresh reader %s", rc, err.zMsg, zOwn, zFresh);
  rc = sdb_db_flush(db, 1, &err);
  lossyViews(db, zDir, zOwn, zFresh);
  snprintf(zCheck, sizeof(zCheck), "writer: async WAL PUT failed (%s): its rows survive an L0 flush",
           zCase);
  CHECKF(zCheck, rc == SDB_OK && strcmp(zOwn, zFresh) == 0 && strcmp(zOwn, "a,b-async,c,") == 0,
         "rc=%d %s; handle %s, fresh reader %s", rc, err.zMsg, zOwn, zFresh);
  rc = lossyCommit(db, "d", &err);
  lossyClose(db);
  db = openDb(zDir, 0, 0, &err);
  lossyViews(db, zDir, zOwn, zFresh);
  snprintf(zCheck, sizeof(zCheck), "writer: async WAL PUT failed (%s): and a reopen", zCase);
  CHECKF(zCheck, db && strcmp(zOwn, zFresh) == 0 && strcmp(zOwn, "a,b-async,c,d,") == 0,
         "handle %s, fresh reader %s", zOwn, zFresh);
  sdb_db_close(db);
}

/* An L0 flush whose manifest PUT lands but both tries lose their reply
** (SDB_UNKNOWN, reported by the flush or, if the flusher thread made it,
** retried there): the next flush of the same memtable finds the L0 already
** in the manifest and adds it only once. zDir: a fresh directory. */
static void testL0PublishedUnseen(const char *zDir) {
  SdbErr err = {0};
  SdbStats st, stR;
  SdbDb *db = lossyOpen(zDir, 0);
  CHECKF("writer: L0 published unseen: open", db != NULL, "%s", zDir);
  if (!db) return;
  int rc = lossyCommit(db, "k", &err);
  zLosePrefix = "manifest/";
  nLose = 2;
  bApply = 1;
  int rc1 = sdb_db_flush(db, 1, &err);   /* the flusher thread may have made the lost try */
  int nLeft = nLose;
  nLose = 0;
  rc = sdb_db_flush(db, 1, &err);
  sdb_db_stats(db, &st);
  SdbDb *r = openDb(zDir, 1, 0, &err);
  if (r) sdb_db_stats(r, &stR);
  CHECKF("writer: L0 whose manifest PUT landed unseen is listed once",
         nLeft == 0 && rc == SDB_OK && st.nL0 == 1 && r && stR.nL0 == 1,
         "first flush rc=%d, %d losses left, second rc=%d %s; L0s: handle %llu, fresh reader %llu",
         rc1, nLeft, rc, err.zMsg,
         (unsigned long long)st.nL0, r ? (unsigned long long)stR.nL0 : 0ull);
  sdb_db_close(r);
  rc = lossyCommit(db, "k2", &err);
  CHECKF("writer: L0 published unseen: the next commit succeeds", rc == SDB_OK, "rc=%d %s", rc,
         err.zMsg);
  lossyClose(db);
}

/* Commits whose WAL PUT reply is lost, on a local store that simulates it. */
static void testLostReplies(const char *zDir) {
  SdbErr err = {0};
  SdbConfig cfg;
  SdbDb *db = NULL;
  memset(&cfg, 0, sizeof(cfg));
  cfg.zUrl = zDir;
  cfg.bCreateIfMissing = 1;
  cfg.flushIntervalMs = 600000;
  int rc = sdb_db_open(&cfg, &db, &err);
  CHECKF("writer: lost reply: open", rc == SDB_OK, "%s", err.zMsg);
  if (rc) return;
  pRealMethods = db->pStore->pMethods;
  lossyMethods = *pRealMethods;
  lossyMethods.xPut = lossyPut;
  lossyMethods.xPutOnce = lossyPutOnce;
  db->pStore->pMethods = &lossyMethods;
  lossyCase(db, zDir, "applied", 1, 1);
  lossyCase(db, zDir, "unapplied", 1, 0);
  lossyCase(db, zDir, "twice", 2, 1);
  nLose = 0;
  db->pStore->pMethods = pRealMethods;
  sdb_db_close(db);
}

int main(void) {
  char zDir[256];
  snprintf(zDir, sizeof(zDir), "%s/sdb-writer-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
  CHECK("writer: temp dir", mkdtemp(zDir) != NULL);
  strcat(zDir, "/db/nested");   /* created on open */
  SdbErr err = {0};
  SdbDb *db = openDb(zDir, 0, 8192, &err);
  CHECKF("writer: create a new database", db != NULL, "%s", err.zMsg);
  if (!db) return test_done();
  CHECK("writer: manifest 1 and the epoch bump", countObjects(zDir, "manifest") == 2);
  CHECK("writer: fence WAL planted", countObjects(zDir, "wal") == 1);

  srand(11);
  char zWhy[200] = "";
  int nBad = 0, nSteps = 0;
  SdbBatch *b = sdb_batch_new();
  for (int step = 0; step < 120; step++) {
    int nOps = 1 + rand() % 12;
    Model next = model;
    for (int i = 0; i < nOps; i++) {
      int k = rand() % NKEY;
      u8 kb[24]; size_t nk; keyOf(k, kb, &nk);
      if (rand() % 5 == 0) {
        sdb_batch_delete(b, kb, nk, &err);
        next.bHas[k] = 0;
      } else {
        snprintf(next.val[k], sizeof(next.val[k]), "v%d.%d%s", step, i, rand() % 7 ? "" : "-long-value-xxxxxxxx");
        i64 exp = rand() % 6 == 0 ? (i64)4102444800000 : 0;   /* far-future TTL */
        sdb_batch_put(b, kb, nk, (const u8 *)next.val[k], strlen(next.val[k]), exp, &err);
        next.bHas[k] = 1;
      }
    }
    if (step % 10 == 3 && !matches(db, b, &next, step % 2, zWhy)) {
      nBad++;
      printf("# overlay at step %d: %s\n", step, zWhy);
    }
    int rc = sdb_db_write(db, b, step % 4 != 0, &err);
    sdb_batch_clear(b);
    if (rc) { nBad++; printf("# write at step %d: %s\n", step, err.zMsg); break; }
    model = next;
    if (step % 25 == 24) sdb_db_flush(db, 1, &err);
    if (!matches(db, NULL, &model, step % 2, zWhy)) { nBad++; printf("# step %d: %s\n", step, zWhy); }
    if (step % 40 == 39) {
      sdb_db_close(db);
      db = openDb(zDir, 0, 8192, &err);
      if (!db || !matches(db, NULL, &model, 0, zWhy)) { nBad++; printf("# reopen at %d: %s %s\n", step, zWhy, err.zMsg); }
      if (!db) break;
    }
    nSteps++;
  }
  CHECKF("writer: random workload equals the model after every commit, flush and reopen", nBad == 0 && nSteps == 120,
         "%d problems in %d steps", nBad, nSteps);
  SdbStats st;
  if (db) sdb_db_stats(db, &st);
  CHECKF("writer: memtable flushes produced L0 SSTs", db && st.nL0 >= 3, "nL0=%llu", (unsigned long long)st.nL0);

  /* Savepoint-style truncation of an overlay. */
  {
    Model m2 = model;
    u8 kb[24]; size_t nk; keyOf(7, kb, &nk);
    sdb_batch_put(b, kb, nk, (const u8 *)"kept", 4, 0, &err);
    int mark = sdb_batch_count(b);
    keyOf(8, kb, &nk);
    sdb_batch_delete(b, kb, nk, &err);
    keyOf(7, kb, &nk);
    sdb_batch_put(b, kb, nk, (const u8 *)"undone", 6, 0, &err);
    sdb_batch_truncate(b, mark, &err);
    m2.bHas[7] = 1;
    strcpy(m2.val[7], "kept");
    CHECKF("writer: overlay after truncation to a mark", matches(db, b, &m2, 0, zWhy), "%s", zWhy);
    CHECK("writer: commit after truncation", sdb_db_write(db, b, 1, &err) == SDB_OK);
    sdb_batch_clear(b);
    model = m2;
    CHECKF("writer: committed rows", matches(db, NULL, &model, 1, zWhy), "%s", zWhy);
  }

  /* A reader on the same directory sees every committed row, and later
  ** commits once its poll interval has passed. */
  SdbDb *rd = openDb(zDir, 1, 0, &err);
  CHECKF("writer: a reader sees all committed rows", rd && matches(rd, NULL, &model, 0, zWhy), "%s %s", zWhy, err.zMsg);
  {
    u8 kb[24]; size_t nk; keyOf(3, kb, &nk);
    sdb_batch_put(b, kb, nk, (const u8 *)"fresh", 5, 0, &err);
    sdb_db_write(db, b, 1, &err);
    sdb_batch_clear(b);
    model.bHas[3] = 1;
    strcpy(model.val[3], "fresh");
    usleep(1100 * 1000);
    CHECKF("writer: the reader polls and sees a later commit", rd && matches(rd, NULL, &model, 1, zWhy), "%s", zWhy);
    sdb_db_flush(db, 1, &err);
    usleep(1100 * 1000);
    CHECKF("writer: the reader follows an L0 flush", rd && matches(rd, NULL, &model, 0, zWhy), "%s", zWhy);
  }
  sdb_db_close(rd);

  /* Fencing: a second writer takes over; the first one fails from then on. */
  SdbDb *db2 = openDb(zDir, 0, 8192, &err);
  CHECKF("writer: second writer opens", db2 != NULL, "%s", err.zMsg);
  CHECKF("writer: second writer sees everything the first acknowledged", db2 && matches(db2, NULL, &model, 0, zWhy), "%s", zWhy);
  {
    u8 kb[24]; size_t nk; keyOf(1, kb, &nk);
    sdb_batch_put(b, kb, nk, (const u8 *)"late", 4, 0, &err);
    int rc = sdb_db_write(db, b, 1, &err);
    CHECKF("writer: the first writer is fenced", rc == SDB_FENCED && strstr(err.zMsg, "newer writer"), "rc=%d %s", rc, err.zMsg);
    rc = sdb_db_write(db, b, 1, &err);
    CHECKF("writer: and stays fenced", rc == SDB_FENCED, "rc=%d", rc);
    sdb_batch_clear(b);
    CHECKF("writer: the fenced write is not visible to the new writer", matches(db2, NULL, &model, 0, zWhy), "%s", zWhy);
    sdb_batch_put(b, kb, nk, (const u8 *)"new", 3, 0, &err);
    CHECK("writer: the new writer writes", sdb_db_write(db2, b, 1, &err) == SDB_OK);
    sdb_batch_clear(b);
    model.bHas[1] = 1;
    strcpy(model.val[1], "new");
  }
  sdb_db_close(db);
  sdb_db_close(db2);
  db = openDb(zDir, 0, 8192, &err);
  CHECKF("writer: reopen after hand-off", db && matches(db, NULL, &model, 0, zWhy), "%s %s", zWhy, err.zMsg);

  /* Async commits become durable on flush and survive reopen. */
  {
    u8 kb[24]; size_t nk; keyOf(2, kb, &nk);
    sdb_batch_put(b, kb, nk, (const u8 *)"async", 5, 0, &err);
    int rc = sdb_db_write(db, b, 0, &err);
    sdb_batch_clear(b);
    model.bHas[2] = 1;
    strcpy(model.val[2], "async");
    CHECK("writer: async commit is visible at once", rc == SDB_OK && matches(db, NULL, &model, 0, zWhy));
    CHECK("writer: flush", sdb_db_flush(db, 0, &err) == SDB_OK);
    sdb_db_close(db);
    db = openDb(zDir, 1, 0, &err);
    CHECKF("writer: async commit durable after flush", db && matches(db, NULL, &model, 0, zWhy), "%s", zWhy);
  }
  /* Async commits wait for the flush_interval tick: several commits, one WAL SST. */
  {
    sdb_db_close(db);
    SdbConfig cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.zUrl = zDir;
    cfg.flushIntervalMs = 60000;
    db = NULL;
    CHECK("writer: reopen with a long flush_interval", sdb_db_open(&cfg, &db, &err) == SDB_OK);
    SdbStats s0, s1, s2;
    sdb_db_stats(db, &s0);
    for (int i = 0; i < 3; i++) {
      u8 kb[24]; size_t nk; keyOf(10 + i, kb, &nk);
      sdb_batch_put(b, kb, nk, (const u8 *)"batched", 7, 0, &err);
      sdb_db_write(db, b, 0, &err);
      sdb_batch_clear(b);
      model.bHas[10 + i] = 1;
      strcpy(model.val[10 + i], "batched");
    }
    sdb_db_stats(db, &s1);
    CHECKF("writer: async commits are not written before the tick",
           s1.nWalWrites == s0.nWalWrites && s1.durableSeq < s1.lastSeq, "wal writes %llu -> %llu",
           (unsigned long long)s0.nWalWrites, (unsigned long long)s1.nWalWrites);
    sdb_db_flush(db, 0, &err);
    sdb_db_stats(db, &s2);
    CHECKF("writer: one flush writes them as one WAL SST", s2.nWalWrites == s0.nWalWrites + 1 &&
           s2.durableSeq == s2.lastSeq, "wal writes %llu -> %llu", (unsigned long long)s0.nWalWrites,
           (unsigned long long)s2.nWalWrites);
    sdb_db_close(db);
    db = openDb(zDir, 1, 0, &err);
  }
  /* Writes on a reader handle are refused. */
  sdb_batch_put(b, (const u8 *)"x", 1, (const u8 *)"y", 1, 0, &err);
  int rc = sdb_db_write(db, b, 1, &err);
  CHECKF("writer: a reader refuses writes", rc == SDB_READONLY, "rc=%d", rc);
  rc = sdb_batch_put(b, (const u8 *)"", 0, (const u8 *)"y", 1, 0, &err);
  CHECKF("writer: empty key refused", rc == SDB_CONSTRAINT, "rc=%d", rc);
  sdb_batch_free(b);
  sdb_db_close(db);
  strcat(zDir, "-foreign");
  testForeignWal(zDir);
  strcat(zDir, "-lossy");
  testLostReplies(zDir);
  strcat(zDir, "-async");
  testAsyncFlushFails(zDir, 0);
  strcat(zDir, "-err");
  testAsyncFlushFails(zDir, 1);
  strcat(zDir, "-l0");
  testL0PublishedUnseen(zDir);
  char zCmd[600];
  snprintf(zCmd, sizeof(zCmd), "rm -rf '%.*s'",
           (int)(strlen(zDir) - strlen("/db/nested-foreign-lossy-async-err-l0")), zDir);
  if (system(zCmd)) {}
  return test_done();
}
