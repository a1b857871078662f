/*
** t_closeflush.c: a writer's close turns a memtable of close_flush_bytes or
** more into an L0 SST, so a new process replays at most that much WAL.
**
** A session of 2,000 rows (about 250 KB) with close_flush_bytes=64 KiB leaves
** an L0 and a new reader's or writer's memtable starts empty; a 10-row
** session leaves its rows in the WAL (no L0 per close) until the sessions
** together reach the threshold; a process killed during the close flush
** (before the L0 is stored, and after it is stored but before the manifest
** names it) loses no acknowledged row.
*/
#include <sys/wait.h>
#include <unistd.h>

#include "test.h"
#include "db/dbInt.h"

#define CLOSE_FLUSH (64u << 10)

/* Open zDir (writer unless bReadOnly), close_flush_bytes=CLOSE_FLUSH, no
** background maintenance. NULL on failure (printed). */
static SdbDb *openDb(const char *zDir, int bReadOnly) {
  SdbErr err = {0};
  SdbConfig cfg;
  SdbDb *db = NULL;
  memset(&cfg, 0, sizeof(cfg));
  cfg.zUrl = zDir;
  cfg.bReadOnly = bReadOnly;
  cfg.bCreateIfMissing = 1;
  cfg.bNoCompactor = 1;
  cfg.bNoGc = 1;
  cfg.closeFlushBytes = CLOSE_FLUSH;
  if (sdb_db_open(&cfg, &db, &err) != SDB_OK) {
    printf("# open %s: %s\n", zDir, err.zMsg);
    return NULL;
  }
  return db;
}

/* Rows [i0, i0+n) as key k%06d, a 100-byte value, durable commits of 100. */
static int putRows(SdbDb *db, int i0, int n) {
  SdbErr err = {0};
  SdbBatch *b = sdb_batch_new();
  int rc = b ? SDB_OK : SDB_NOMEM;
  char zKey[16], zVal[101];
  for (int i = i0; rc == SDB_OK && i < i0 + n; i++) {
    snprintf(zKey, sizeof(zKey), "k%06d", i);
    memset(zVal, 'a' + i % 26, 100);
    rc = sdb_batch_put(b, (const u8 *)zKey, strlen(zKey), (const u8 *)zVal, 100, 0, &err);
    if (rc == SDB_OK && ((i - i0) % 100 == 99 || i == i0 + n - 1)) {
      rc = sdb_db_write(db, b, 1, &err);
      sdb_batch_clear(b);
    }
  }
  if (rc) printf("# put: %s\n", err.zMsg);
  sdb_batch_free(b);
  return rc;
}

/* The number of visible rows of db, -1 on error. */
static int countRows(SdbDb *db) {
  SdbErr err = {0};
  SdbIter *it = NULL;
  int n = 0;
  if (sdb_db_scan(db, NULL, 0, &it, &err)) return -1;
  while (!it->bEof && n >= 0) {
    n++;
    if (sdb_iter_next(it, &err)) n = -1;
  }
  sdb_iter_free(it);
  return n;
}

/* A new handle on zDir: its L0 count, memtable rows (the WAL it replayed)
** and visible rows. */
static void probe(const char *zDir, int bReadOnly, SdbStats *st, int *pnRows) {
  SdbDb *db = openDb(zDir, bReadOnly);
  memset(st, 0, sizeof(*st));
  *pnRows = -1;
  if (!db) return;
  *pnRows = countRows(db);
  sdb_db_stats(db, st);
  sdb_db_close(db);
}

static void testLargeSession(const char *zDir) {
  SdbDb *db = openDb(zDir, 0);
  int rc = db ? putRows(db, 0, 2000) : SDB_ERROR;
  sdb_db_close(db);
  CHECK("closeflush: a 2000-row session commits", rc == SDB_OK);
  SdbStats st;
  int n;
  probe(zDir, 1, &st, &n);
  CHECKF("closeflush: after the close a new reader replays no WAL (the rows are in an L0)",
         n == 2000 && st.nL0 == 1 && st.nMemtableRows == 0, "rows=%d nL0=%llu memtable rows=%llu", n,
         (unsigned long long)st.nL0, (unsigned long long)st.nMemtableRows);
  probe(zDir, 0, &st, &n);
  CHECKF("closeflush: and so does a new writer, whose close adds no L0",
         n == 2000 && st.nL0 == 1 && st.nMemtableRows == 0, "rows=%d nL0=%llu memtable rows=%llu", n,
         (unsigned long long)st.nL0, (unsigned long long)st.nMemtableRows);
}

/* Sessions of 10 rows leave them in the WAL until the replayed rows plus the
** session's reach CLOSE_FLUSH: then one L0, and the WAL tail is empty. */
static void testSmallSessions(const char *zDir) {
  SdbStats st;
  int n = 0, nSessions = 0, bBad = 0;
  u64 nL0 = 1;
  for (int s = 0; s < 200 && nL0 == 1 && !bBad; s++) {
    SdbDb *db = openDb(zDir, 0);
    bBad = !db || putRows(db, 10000 + s * 10, 10) != SDB_OK;
    sdb_db_close(db);
    probe(zDir, 1, &st, &n);
    nSessions++;
    nL0 = st.nL0;
    if (nL0 == 1 && st.nMemtableRows != (u64)nSessions * 10) bBad = 1;
  }
  CHECKF("closeflush: 10-row sessions stay in the WAL, no L0 per close", !bBad && nSessions > 20,
         "sessions=%d memtable rows=%llu", nSessions, (unsigned long long)st.nMemtableRows);
  CHECKF("closeflush: until they reach close_flush_bytes together, then one L0",
         !bBad && nL0 == 2 && st.nMemtableRows == 0 && n == 2000 + nSessions * 10,
         "sessions=%d nL0=%llu memtable rows=%llu rows=%d", nSessions, (unsigned long long)nL0,
         (unsigned long long)st.nMemtableRows, n);
}

/* ------------------------------------------------------------ kill -9 */

static const SdbStoreMethods *pReal;
static SdbStoreMethods killMethods;
static const char *zKillPrefix;   /* the PUT that kills the process */
static int bKillAfter;            /* 1: after that PUT is stored, 0: before */
static int bL0Put;                /* an L0 was stored in this process */

static void killAt(const char *zKey, int bAfter) {
  if (strncmp(zKey, "compacted/", 10) == 0 && bAfter) bL0Put = 1;
  if (bAfter != bKillAfter || strncmp(zKey, zKillPrefix, strlen(zKillPrefix)) != 0) return;
  if (strcmp(zKillPrefix, "manifest/") == 0 && !bL0Put) return;
  _exit(9);
}

static int killPut(SdbStore *s, const char *zKey, const u8 *a, size_t n, int bIfAbsent, SdbErr *pErr) {
  killAt(zKey, 0);
  int rc = pReal->xPut(s, zKey, a, n, bIfAbsent, pErr);
  if (rc == SDB_OK) killAt(zKey, 1);
  return rc;
}

static int killPutOnce(SdbStore *s, const char *zKey, const u8 *a, size_t n, const char *zPutId,
                       SdbErr *pErr) {
  killAt(zKey, 0);
  int rc = pReal->xPutOnce(s, zKey, a, n, zPutId, pErr);
  if (rc == SDB_OK) killAt(zKey, 1);
  return rc;
}

/* A child commits 1,000 rows durably, then dies at zPrefix's PUT (before or
** after it is stored) during its close; a new reader sees every row. */
static void testKill(const char *zDir, const char *zName, const char *zPrefix, int bAfter) {
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    SdbDb *db = openDb(zDir, 0);
    if (!db || putRows(db, 50000, 1000) != SDB_OK) _exit(1);
    pReal = db->pStore->pMethods;
    killMethods = *pReal;
    killMethods.xPut = killPut;
    if (pReal->xPutOnce) killMethods.xPutOnce = killPutOnce;   /* optional (local: none) */
    zKillPrefix = zPrefix;
    bKillAfter = bAfter;
    db->pStore->pMethods = &killMethods;
    sdb_db_close(db);
    _exit(0);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  int bKilled = WIFEXITED(status) && WEXITSTATUS(status) == 9;
  SdbStats st;
  int n;
  probe(zDir, 1, &st, &n);
  CHECKF(zName, bKilled && n == 1000, "killed=%d (status %d) rows=%d", bKilled, status, n);
  probe(zDir, 0, &st, &n);   /* a writer after the crash, then its clean close */
  probe(zDir, 1, &st, &n);
  CHECKF("closeflush: after the crash a writer's open and close leave the rows in an L0",
         n == 1000 && st.nMemtableRows == 0 && st.nL0 >= 1, "rows=%d memtable rows=%llu nL0=%llu", n,
         (unsigned long long)st.nMemtableRows, (unsigned long long)st.nL0);
}

int main(void) {
  char zBase[256], zDir[300];
  snprintf(zBase, sizeof(zBase), "%s/sdb-closeflush-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
  CHECK("closeflush: temp dir", mkdtemp(zBase) != NULL);
  snprintf(zDir, sizeof(zDir), "%s/a", zBase);
  testLargeSession(zDir);
  testSmallSessions(zDir);
  snprintf(zDir, sizeof(zDir), "%s/b", zBase);
  testKill(zDir, "closeflush: killed before the close's L0 is stored, nothing acknowledged is lost",
           "compacted/", 0);
  snprintf(zDir, sizeof(zDir), "%s/c", zBase);
  testKill(zDir, "closeflush: killed after the L0 is stored, before the manifest names it, nothing is lost",
           "manifest/", 0);
  snprintf(zDir, sizeof(zDir), "%s/d", zBase);
  testKill(zDir, "closeflush: killed once the manifest names the L0, nothing is lost", "manifest/", 1);
  char zCmd[400];
  snprintf(zCmd, sizeof(zCmd), "rm -rf '%s'", zBase);
  if (system(zCmd) != 0) printf("# could not remove %s\n", zBase);
  return test_done();
}
