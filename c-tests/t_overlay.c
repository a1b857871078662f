/*
** t_overlay.c: the read bounds of a scan with an overlay (a transaction's
** uncommitted batch, sdb_db_scan_overlay / sdb_db_scan_seek).
**
** Part 1, the batch's own later writes: a scan sees the batch as it was when
** the scan started. Writes made to the batch while the scan runs (an INSERT
** ... SELECT through a second table of the same database, the Halloween
** problem) are not seen, both directions: new keys ahead of the scan, a new
** value or a delete of a key the scan has not reached yet (it shows the value
** the key had at the start). A seek (a new xFilter of the cursor) keeps
** that view, in either direction, also after the batch was truncated and
** written again (its new operations reuse the dropped ones' numbers); a new
** scan sees the batch as it is then.
**
** Part 2, the database under the overlay is read up to the sequence number
** published when the scan started, as a scan without an overlay is:
**   - a commit made while the scan runs (rows inserted into the memtable
**     ahead of it) is not seen;
**   - a durable commit that runs out of memory never leaves part of its
**     rows in the memtable (the writer prepares them all before the WAL
**     write and links them after it; t_apply_oom tests the rest): failing
**     the Nth allocation of the commit, N = 1, 2, ... (each on a new
**     database) until the commit meets no failure, no N leaves rows in the
**     memtable with the seq unpublished; were one to, plain and overlay
**     scans would have to hide them.
*/
#include <pthread.h>
#include <unistd.h>

#include "test.h"
#include "meta/manifest.h"
#include "meta/manifest_enc.h"
#include "meta/vobj.h"
#include "util/sdbInt.h"

/* ------------------------------------------------------------ allocator */

/* A malloc-backed allocator whose iFail-th call after taArm fails (once). */
static struct {
  pthread_mutex_t mu;
  long nCall, iFail;
} ta = {PTHREAD_MUTEX_INITIALIZER, 0, 0};

static void *taRealloc(void *pCtx, void *p, size_t n) {
  (void)pCtx;
  pthread_mutex_lock(&ta.mu);
  int bFail = ta.iFail && ++ta.nCall == ta.iFail;
  pthread_mutex_unlock(&ta.mu);
  return bFail ? NULL : realloc(p, n);
}
static void *taMalloc(void *pCtx, size_t n) { return taRealloc(pCtx, NULL, n); }
static void taFree(void *pCtx, void *p) { (void)pCtx; free(p); }

static void taArm(long iFail) {
  pthread_mutex_lock(&ta.mu);
  ta.nCall = 0;
  ta.iFail = iFail;
  pthread_mutex_unlock(&ta.mu);
}

/* ------------------------------------------------------------ helpers */

static SdbDb *openWriter(const char *zDir) {
  SdbConfig cfg;
  SdbErr err;
  memset(&cfg, 0, sizeof(cfg));
  cfg.zUrl = zDir;
  cfg.bCreateIfMissing = 1;
  cfg.bNoCompactor = 1;
  cfg.bNoGc = 1;
  cfg.flushIntervalMs = 3600 * 1000;
  SdbDb *db = NULL;
  if (sdb_db_open(&cfg, &db, &err) != SDB_OK) {
    printf("# open %s: %s\n", zDir, err.zMsg);
    return NULL;
  }
  return db;
}

static int put(SdbBatch *b, const char *zKey, const char *zVal) {
  return sdb_batch_put(b, (const u8 *)zKey, strlen(zKey), (const u8 *)zVal, strlen(zVal), 0, NULL);
}

/* Commit key=value pairs (a NULL-terminated list) durably. */
static int commit(SdbDb *db, const char **az) {
  SdbBatch *b = sdb_batch_new();
  int rc = b ? SDB_OK : SDB_NOMEM;
  for (int i = 0; rc == SDB_OK && az[i]; i += 2) rc = put(b, az[i], az[i + 1]);
  if (rc == SDB_OK) rc = sdb_db_write(db, b, 1, NULL);
  sdb_batch_free(b);
  return rc;
}

/* Append "key=value " of the iterator's row to z (size n). */
static void addRow(char *z, size_t n, const SdbEntry *e) {
  size_t k = strlen(z);
  snprintf(z + k, n - k, "%.*s=%.*s ", (int)e->nKey, (const char *)e->pKey, (int)e->nVal,
           (const char *)e->pVal);
}

/* The rows of a new overlay scan of everything (b may be NULL), as text. */
static void scanAll(SdbDb *db, SdbBatch *b, int bDesc, char *z, size_t n) {
  SdbIter *it = NULL;
  SdbErr err;
  z[0] = 0;
  if (sdb_db_scan_overlay(db, b, NULL, bDesc, &it, &err)) {
    snprintf(z, n, "error: %s", err.zMsg);
    return;
  }
  for (int i = 0; i < 100 && !it->bEof; i++) {
    addRow(z, n, &it->cur);
    if (sdb_iter_next(it, &err)) break;
  }
  sdb_iter_free(it);
}

/* ------------------------------------------------------------ part 1 */

static void testOwnWrites(const char *zDir) {
  char zDb[600], z[2048], zNew[2048];
  snprintf(zDb, sizeof(zDb), "%s/own", zDir);
  SdbDb *db = openWriter(zDb);
  CHECK("overlay: open", db != NULL);
  if (!db) return;
  const char *azDb[] = {"a", "1", "b", "2", "c", "3", "d", "4", NULL};
  CHECK("overlay: commit", commit(db, azDb) == SDB_OK);
  SdbBatch *b = sdb_batch_new();
  put(b, "b", "2b");
  put(b, "e", "5");

  /* Ascending: keys "<key>x" sort right after the key, ahead of the scan;
  ** c (committed) gets a new value, d is deleted, e (uncommitted) too. */
  SdbIter *it = NULL;
  SdbErr err;
  z[0] = 0;
  int rc = sdb_db_scan_overlay(db, b, NULL, 0, &it, &err);
  for (int i = 0; rc == SDB_OK && i < 20 && !it->bEof; i++) {
    addRow(z, sizeof(z), &it->cur);
    char zKey[80];
    snprintf(zKey, sizeof(zKey), "%.*sx", (int)it->cur.nKey, (const char *)it->cur.pKey);
    rc = put(b, zKey, "new");
    if (rc == SDB_OK && i == 0) {
      rc = put(b, "c", "3new");
      if (rc == SDB_OK) rc = sdb_batch_delete(b, (const u8 *)"d", 1, NULL);
      if (rc == SDB_OK) rc = put(b, "e", "5new");
    }
    if (rc == SDB_OK) rc = sdb_iter_next(it, &err);
  }
  CHECKF("overlay: an ascending scan does not see the batch's later writes",
         rc == SDB_OK && strcmp(z, "a=1 b=2b c=3 d=4 e=5 ") == 0, "rc %d, rows %s", rc, z);

  /* A seek of the scan (a statement's cursor filtered again: a join's inner
  ** table, an IN list's next key) keeps its view, for ranges it has not read
  ** too, both directions; a new scan sees the batch as it is now. */
  scanAll(db, b, 0, zNew, sizeof(zNew));
  CHECKF("overlay: a new scan sees the batch as it is now",
         strcmp(zNew, "a=1 ax=new b=2b bx=new c=3new cx=new dx=new e=5new ex=new ") == 0,
         "rows %s", zNew);
  const SdbRange rFrom = {(const u8 *)"bx", 2, 1, 0, NULL, 0, 0, 0};
  const SdbRange *apSeek[] = {NULL, &rFrom, NULL};
  const char *azWant[] = {"a=1 b=2b c=3 d=4 e=5 ", "c=3 d=4 e=5 ", "e=5 d=4 c=3 b=2b a=1 "};
  for (int k = 0; k < 3; k++) {
    if (rc == SDB_OK) rc = sdb_db_scan_seek(db, b, apSeek[k], k == 2, &it, &err);
    z[0] = 0;
    for (int i = 0; rc == SDB_OK && i < 100 && !it->bEof; i++) {
      addRow(z, sizeof(z), &it->cur);
      rc = sdb_iter_next(it, &err);
    }
    CHECKF(k == 0 ? "overlay: a seek keeps the scan's view of the batch"
                  : k == 1 ? "overlay: a seek to a range not read yet keeps it"
                           : "overlay: a seek in the other direction keeps it",
           rc == SDB_OK && strcmp(z, azWant[k]) == 0, "rc %d, rows %s", rc, z);
  }
  sdb_iter_free(it);
  it = NULL;

  /* Descending: keys "0<key>" sort below every key, ahead of the scan; b
  ** (the batch's) gets deleted, a a new value. */
  sdb_batch_clear(b);
  put(b, "b", "2b");
  put(b, "e", "5");
  z[0] = 0;
  rc = sdb_db_scan_overlay(db, b, NULL, 1, &it, &err);
  for (int i = 0; rc == SDB_OK && i < 20 && !it->bEof; i++) {
    addRow(z, sizeof(z), &it->cur);
    char zKey[80];
    snprintf(zKey, sizeof(zKey), "0%.*s", (int)it->cur.nKey, (const char *)it->cur.pKey);
    rc = put(b, zKey, "new");
    if (rc == SDB_OK && i == 0) {
      rc = sdb_batch_delete(b, (const u8 *)"b", 1, NULL);
      if (rc == SDB_OK) rc = put(b, "a", "1new");
      if (rc == SDB_OK) rc = put(b, "c0", "between");
    }
    if (rc == SDB_OK) rc = sdb_iter_next(it, &err);
  }
  sdb_iter_free(it);
  CHECKF("overlay: a descending scan does not see the batch's later writes",
         rc == SDB_OK && strcmp(z, "e=5 d=4 c=3 b=2b a=1 ") == 0, "rc %d, rows %s", rc, z);
  scanAll(db, b, 1, z, sizeof(z));
  CHECKF("overlay: a new scan sees them",
         strcmp(z, "e=5 d=4 c0=between c=3 a=1new 0e=new 0d=new 0c=new 0b=new 0a=new ") == 0,
         "rows %s", z);

  /* A savepoint rollback while the scan runs: it keeps its view. */
  sdb_batch_clear(b);
  put(b, "b", "2b");
  z[0] = 0;
  rc = sdb_db_scan_overlay(db, b, NULL, 0, &it, &err);
  for (int i = 0; rc == SDB_OK && i < 20 && !it->bEof; i++) {
    addRow(z, sizeof(z), &it->cur);
    if (i == 0) rc = sdb_batch_truncate(b, 0, NULL);
    if (rc == SDB_OK && i == 1) rc = put(b, "c", "3new");
    if (rc == SDB_OK) rc = sdb_iter_next(it, &err);
  }
  sdb_iter_free(it);
  CHECKF("overlay: a scan keeps its view across a truncation of the batch",
         rc == SDB_OK && strcmp(z, "a=1 b=2b c=3 d=4 ") == 0, "rc %d, rows %s", rc, z);

  /* ... and when it seeks after the truncation, in either direction: the
  ** operations added since take the numbers of the dropped ones (the batch
  ** numbers them by position) and must stay unseen. */
  sdb_batch_clear(b);
  put(b, "b", "2b");
  put(b, "x1", "1");
  put(b, "x2", "2");
  it = NULL;
  rc = sdb_db_scan_overlay(db, b, NULL, 0, &it, &err);
  if (rc == SDB_OK) rc = sdb_batch_truncate(b, 1, NULL);
  if (rc == SDB_OK) rc = put(b, "c", "3new");
  if (rc == SDB_OK) rc = put(b, "y", "new");
  const char *azView[] = {"a=1 b=2b c=3 d=4 x1=1 x2=2 ", "x2=2 x1=1 d=4 c=3 b=2b a=1 "};
  for (int k = 0; k < 2; k++) {
    if (rc == SDB_OK) rc = sdb_db_scan_seek(db, b, NULL, k, &it, &err);
    z[0] = 0;
    for (int i = 0; rc == SDB_OK && i < 100 && !it->bEof; i++) {
      addRow(z, sizeof(z), &it->cur);
      rc = sdb_iter_next(it, &err);
    }
    CHECKF(k ? "overlay: a seek in the other direction after a truncation keeps the view"
             : "overlay: a seek after a truncation keeps the view",
           rc == SDB_OK && strcmp(z, azView[k]) == 0, "rc %d, rows %s", rc, z);
  }
  sdb_iter_free(it);
  sdb_batch_free(b);
  sdb_db_close(db);
}

/* ------------------------------------------------------------ part 2 */

/* A commit made while an overlay scan runs is not seen by it. */
static void testLaterCommit(const char *zDir) {
  char zDb[600], z[2048];
  snprintf(zDb, sizeof(zDb), "%s/later", zDir);
  SdbDb *db = openWriter(zDb);
  CHECK("overlay: open (later commit)", db != NULL);
  if (!db) return;
  const char *azDb[] = {"a", "1", "c", "3", NULL};
  CHECK("overlay: commit (later commit)", commit(db, azDb) == SDB_OK);
  SdbBatch *b = sdb_batch_new();
  put(b, "b", "2");
  for (int bDesc = 0; bDesc < 2; bDesc++) {
    SdbIter *it = NULL;
    SdbErr err;
    z[0] = 0;
    int rc = sdb_db_scan_overlay(db, b, NULL, bDesc, &it, &err);
    for (int i = 0; rc == SDB_OK && i < 20 && !it->bEof; i++) {
      addRow(z, sizeof(z), &it->cur);
      if (i == 0) {
        const char *azNew[] = {bDesc ? "0" : "d", "other", bDesc ? "a" : "c", "new", NULL};
        rc = commit(db, azNew);
      }
      if (rc == SDB_OK) rc = sdb_iter_next(it, &err);
    }
    sdb_iter_free(it);
    const char *zWant = bDesc ? "d=other c=new b=2 a=1 " : "a=1 b=2 c=3 ";
    CHECKF(bDesc ? "overlay: a descending overlay scan does not see a later commit"
                 : "overlay: an overlay scan does not see a later commit",
           rc == SDB_OK && strcmp(z, zWant) == 0, "rc %d, rows %s (want %s)", rc, z, zWant);
  }
  sdb_batch_free(b);
  sdb_db_close(db);
}

/* One attempt: a new database, a durable commit of three rows with the Nth
** allocation failing. 1 if it left a part-applied commit (see the file
** comment), and then checks that scans hide it; 0 if not. *pbDone: N is past
** the commit's allocations. */
static int tryPartialApply(const char *zDir, long iFail, int *pbDone) {
  char zDb[600], z[4096];
  snprintf(zDb, sizeof(zDb), "%s/partial%ld", zDir, iFail);
  SdbDb *db = openWriter(zDb);
  if (!db) return 0;
  /* Values above a quarter of a memtable chunk: each row gets its own. */
  static char zBig[100000];
  memset(zBig, 'v', sizeof(zBig) - 1);
  SdbBatch *b = sdb_batch_new(), *pOver = sdb_batch_new();
  const char *az[] = {"k1", zBig, "k2", zBig, "k3", zBig, NULL};
  for (int i = 0; az[i]; i += 2) put(b, az[i], az[i + 1]);
  put(pOver, "o", "overlay");
  SdbStats s0, s1;
  sdb_db_stats(db, &s0);
  taArm(iFail);
  SdbErr err;
  int rc = sdb_db_write(db, b, 1, &err);
  int bFailed = ta.nCall >= iFail;
  taArm(0);
  *pbDone = !bFailed;
  sdb_db_stats(db, &s1);
  int bState = rc != SDB_OK && s1.nMemtableRows > s0.nMemtableRows && s1.lastSeq == s0.lastSeq;
  if (bState) {
    char zPlain[4096];
    scanAll(db, NULL, 0, zPlain, sizeof(zPlain));
    CHECKF("overlay: a plain scan hides the rows of the part-applied commit", zPlain[0] == 0,
           "rows %.60s", zPlain);
    for (int bDesc = 0; bDesc < 2; bDesc++) {
      scanAll(db, pOver, bDesc, z, sizeof(z));
      CHECKF(bDesc ? "overlay: a descending overlay scan hides them too"
                   : "overlay: an overlay scan hides them too",
             strcmp(z, "o=overlay ") == 0, "N %ld: rows %.60s", iFail, z);
    }
  }
  sdb_batch_free(b);
  sdb_batch_free(pOver);
  sdb_db_close(db);
  return bState;
}

static void testPartialApply(const char *zDir) {
  int nFound = 0, bDone = 0;
  long n = 1;
  for (; n < 2000 && !bDone; n++) nFound += tryPartialApply(zDir, n, &bDone);
  CHECKF("overlay: no allocation failure leaves a commit part-applied", nFound == 0 && bDone,
         "%d of %ld runs did (done: %d)", nFound, n - 1, bDone);
}

/* ------------------------------------------------------------ part 3 */

/* Raise the latest manifest's last_l0_seq to seq (a new manifest). */
static int raiseLastSeq(const char *zDb, u64 seq) {
  SdbStore *s = NULL;
  SdbManifest *m = NULL;
  SdbErr err;
  u64 id = 0;
  u8 *a = NULL;
  size_t n = 0;
  char zKey[64];
  int rc = sdbStoreOpenDir(zDb, 1, 0, &s, &err);
  if (rc == SDB_OK) rc = sdbManifestLoadLatest(s, &m, &id, &err);
  if (rc == SDB_OK) {
    m->lastL0Seq = seq;
    rc = sdbManifestEncode(m, &a, &n, &err);
  }
  sdbVobjKey(&sdbManifestKind, id + 1, zKey, sizeof(zKey));
  if (rc == SDB_OK) rc = s->pMethods->xPut(s, zKey, a, n, 1, &err);
  if (rc) printf("# raise last_l0_seq of %s: %s\n", zDb, err.zMsg);
  sdbFree(a);
  sdbManifestFree(m);
  sdbStoreFree(s);
  return rc;
}

/* A batch numbers its operations from 2^62 (batch.h): a writer whose
** committed seqs reach that range would read them above or below a
** transaction's own writes, and an overlay scan (read up to the batch's
** last operation) would drop its committed rows. The writer refuses to
** open such a database instead. */
static void testSeqRange(const char *zDir) {
  char zDb[600];
  snprintf(zDb, sizeof(zDb), "%s/seqrange", zDir);
  SdbDb *db = openWriter(zDb);
  CHECK("overlay: open (seq range)", db != NULL);
  if (!db) return;
  const char *azL0[] = {"x", "0", NULL};   /* an L0, which a last_l0_seq needs */
  CHECK("overlay: an L0 (seq range)", commit(db, azL0) == SDB_OK && sdb_db_flush(db, 1, NULL) == SDB_OK);
  sdb_db_close(db);
  CHECK("overlay: last_l0_seq raised to 2^62 + 5", raiseLastSeq(zDb, (1ull << 62) + 5) == SDB_OK);
  db = openWriter(zDb);
  char z[2048] = "";
  if (db) {
    const char *azDb[] = {"a", "1", NULL};
    SdbBatch *b = sdb_batch_new();
    put(b, "b", "2");
    if (commit(db, azDb) == SDB_OK) scanAll(db, b, 0, z, sizeof(z));
    sdb_batch_free(b);
    sdb_db_close(db);
  }
  CHECKF("overlay: a writer refuses a database whose seqs reach the batch's range", db == NULL,
         "opened; an overlay scan read %s", z);
}

int main(void) {
  static const SdbAllocMethods m = {taMalloc, taRealloc, taFree, NULL};
  CHECK("overlay: allocator installed", sdb_config_alloc(&m) == SDB_OK);
  char zDir[] = "/tmp/t_overlay.XXXXXX";
  CHECK("overlay: temp dir", mkdtemp(zDir) != NULL);
  testOwnWrites(zDir);
  testLaterCommit(zDir);
  testPartialApply(zDir);
  testSeqRange(zDir);
  char zCmd[600];
  snprintf(zCmd, sizeof(zCmd), "rm -rf '%s'", zDir);
  if (system(zCmd) != 0) printf("# could not remove %s\n", zDir);
  return test_done();
}
