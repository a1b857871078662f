/*
** t_vtab_multiconn.c: several sqlite3* connections of one process on one
** SlateDB database (design/SQL.md §4.9, §4.10).
**
**   - the connections share one handle (slatedb_handles: one row, refs 2);
**   - while one holds a write transaction, the other's write waits
**     busy_timeout and fails with SQLITE_BUSY and the documented message;
**     its reads see committed rows only, the holder reads its own writes;
**   - after COMMIT the other connection sees the rows and can write;
**   - no self-fencing: both keep writing, writer_epoch stays 1;
**   - a writer waiting in another thread gets the lock when the holder
**     commits; two threads writing through two connections lose nothing;
**   - two tables of one connection on one database share the transaction
**     (one batch, one seq, read-your-writes through both, no deadlock);
**   - a reader connection sees another connection's commit at its next
**     statement (poll_interval 1 h), without a request when nothing changed;
**   - a second engine writer (another process, in effect) fences the shared
**     handle: writes of both connections fail with SQLITE_READONLY and a
**     "fenced" message, reads keep working.
**
** The extension is compiled in (-DSQLITE_CORE) as in the other t_vtab tests.
*/
#define SQLITE_CORE 1
#define SDB_TESTHOOKS 1
#include "../ext/cost.c"
#include "../ext/handles.c"
#include "../ext/keycodec.c"
#include "../ext/options.c"
#include "../ext/slatedb_ext.c"
#include "../ext/vtab.c"
#include "../ext/vtab_args.c"
#include "../ext/vtab_info.c"
#include "../ext/vtab_read.c"
#include "../ext/vtab_plan.c"
#include "../ext/vtab_write.c"

#include <ftw.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "test.h"

static char zDir[512];            /* scratch directory; the database is zDir/db */

/* Milliseconds of CLOCK_MONOTONIC. */
static i64 nowMs(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (i64)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A new connection with the extension and table kv on the database
** (busy_timeout in ms), or NULL. */
static sqlite3 *openConn(int nBusyMs) {
  sqlite3 *db = 0;
  if (sqlite3_open(":memory:", &db) != SQLITE_OK) return 0;
  sqlite3_slatedb_init(db, 0, 0);
  char *zSql = sqlite3_mprintf("CREATE VIRTUAL TABLE kv USING slatedb('%q/db', mode=writer, busy_timeout=%d)",
                               zDir, nBusyMs);
  int rc = sqlite3_exec(db, zSql, 0, 0, 0);
  sqlite3_free(zSql);
  if (rc != SQLITE_OK) {
    printf("  open: %s\n", sqlite3_errmsg(db));
    sqlite3_close(db);
    return 0;
  }
  return db;
}

/* Execute zSql; returns the extended result code. */
static int exec(sqlite3 *db, const char *zSql) {
  sqlite3_exec(db, zSql, 0, 0, 0);
  return sqlite3_extended_errcode(db);
}

/* The first column of the first row of zSql as an integer (-1 on error). */
static i64 queryInt(sqlite3 *db, const char *zSql) {
  sqlite3_stmt *p = 0;
  i64 v = -1;
  if (sqlite3_prepare_v2(db, zSql, -1, &p, 0) == SQLITE_OK && sqlite3_step(p) == SQLITE_ROW) {
    v = sqlite3_column_int64(p, 0);
  }
  sqlite3_finalize(p);
  return v;
}

/* The first column of the first row of zSql as text (sqlite3_malloc'd). */
static char *queryText(sqlite3 *db, const char *zSql) {
  sqlite3_stmt *p = 0;
  char *z = 0;
  if (sqlite3_prepare_v2(db, zSql, -1, &p, 0) == SQLITE_OK && sqlite3_step(p) == SQLITE_ROW) {
    z = sqlite3_mprintf("%s", sqlite3_column_text(p, 0) ? (const char *)sqlite3_column_text(p, 0) : "NULL");
  }
  sqlite3_finalize(p);
  return z;
}

/* True if queryText(db, zSql) equals zWant. */
static int textIs(sqlite3 *db, const char *zSql, const char *zWant) {
  char *z = queryText(db, zSql);
  int b = z && strcmp(z, zWant) == 0;
  if (!b) printf("  %s -> %s (want %s)\n", zSql, z ? z : "(no row)", zWant);
  sqlite3_free(z);
  return b;
}

/* ------------------------------------------------------------ checks */

/* Shared handle; the writer lock between two connections. */
static void testLock(sqlite3 *c1, sqlite3 *c2) {
  CHECK("multiconn: one shared handle", queryInt(c1, "SELECT count(*) FROM slatedb_handles") == 1 &&
        queryInt(c2, "SELECT refs FROM slatedb_handles") == 2);
  CHECK("multiconn: c1 writes in a transaction",
        exec(c1, "BEGIN; INSERT INTO kv VALUES('a', 'from c1')") == SQLITE_OK);
  CHECK("multiconn: c1 reads its own write", textIs(c1, "SELECT group_concat(key) FROM kv", "a"));
  CHECK("multiconn: c2 reads committed rows only", queryInt(c2, "SELECT count(*) FROM kv") == 0);
  i64 t0 = nowMs();
  int rc = exec(c2, "INSERT INTO kv VALUES('b', 'from c2')");
  i64 dt = nowMs() - t0;
  CHECKF("multiconn: c2's write fails with SQLITE_BUSY", rc == SQLITE_BUSY, "rc=%d %s", rc,
         sqlite3_errmsg(c2));
  CHECKF("multiconn: ... after busy_timeout (200 ms)", dt >= 190 && dt < 3000, "waited %lld ms",
         (long long)dt);
  CHECKF("multiconn: ... with the documented message",
         strstr(sqlite3_errmsg(c2), "slatedb: database is locked by another connection in this process") != 0,
         "%s", sqlite3_errmsg(c2));
  CHECK("multiconn: c2 still reads", queryInt(c2, "SELECT count(*) FROM kv") == 0);
  CHECK("multiconn: c1 commits", exec(c1, "COMMIT") == SQLITE_OK);
  CHECK("multiconn: c2 sees the commit", textIs(c2, "SELECT group_concat(key) FROM kv", "a"));
  CHECK("multiconn: c2 writes after the commit", exec(c2, "INSERT INTO kv VALUES('b', 'from c2')") == SQLITE_OK);
  CHECK("multiconn: c1 sees c2's row", textIs(c1, "SELECT group_concat(key) FROM kv", "a,b"));
}

/* Both connections keep writing through the one writer: no self-fencing. */
static void testNoSelfFencing(sqlite3 *c1, sqlite3 *c2) {
  int nOk = 0;
  for (int i = 0; i < 20; i++) {
    char *zSql = sqlite3_mprintf("INSERT INTO kv VALUES('n%02d', 'x')", i);
    nOk += exec(i % 2 ? c1 : c2, zSql) == SQLITE_OK;
    sqlite3_free(zSql);
  }
  CHECK("multiconn: alternating writes all commit", nOk == 20);
  CHECK("multiconn: no self-fencing", textIs(c1, "SELECT writer_epoch || ' ' || fenced FROM slatedb_handles", "1 0"));
  CHECK("multiconn: both see 22 rows", queryInt(c1, "SELECT count(*) FROM kv") == 22 &&
        queryInt(c2, "SELECT count(*) FROM kv") == 22);
}

/* Argument of a thread that writes through its own connection. */
typedef struct Writer {
  sqlite3 *db;
  const char *zPrefix;
  int nRows;
  int nOk;
  i64 msWaited;           /* first statement's duration */
} Writer;

/* Thread body: nRows autocommit INSERTs. */
static void *writerMain(void *pArg) {
  Writer *w = pArg;
  for (int i = 0; i < w->nRows; i++) {
    char *zSql = sqlite3_mprintf("INSERT INTO kv VALUES('%s%03d', 'v')", w->zPrefix, i);
    i64 t0 = nowMs();
    w->nOk += exec(w->db, zSql) == SQLITE_OK;
    if (i == 0) w->msWaited = nowMs() - t0;
    sqlite3_free(zSql);
  }
  return 0;
}

/* A writer in another thread waits for the lock and gets it at COMMIT. */
static void testHandoff(sqlite3 *c1) {
  sqlite3 *c3 = openConn(5000);
  Writer w = { c3, "h", 1, 0, 0 };
  pthread_t t;
  CHECK("multiconn: c1 holds the lock", exec(c1, "BEGIN; INSERT INTO kv VALUES('held', 'x')") == SQLITE_OK);
  pthread_create(&t, 0, writerMain, &w);
  usleep(300 * 1000);
  exec(c1, "COMMIT");
  pthread_join(t, 0);
  CHECKF("multiconn: the waiting thread commits after the holder", w.nOk == 1 && w.msWaited >= 200,
         "ok=%d waited %lld ms", w.nOk, (long long)w.msWaited);
  CHECK("multiconn: both rows", queryInt(c1, "SELECT count(*) FROM kv WHERE key IN ('held', 'h000')") == 2);
  sqlite3_close(c3);
}

/* Two threads, two connections, 100 autocommit writes each. */
static void testThreads(void) {
  Writer a = { openConn(10000), "ta", 100, 0, 0 }, b = { openConn(10000), "tb", 100, 0, 0 };
  pthread_t ta, tb;
  pthread_create(&ta, 0, writerMain, &a);
  pthread_create(&tb, 0, writerMain, &b);
  pthread_join(ta, 0);
  pthread_join(tb, 0);
  CHECKF("multiconn: two writing threads lose nothing", a.nOk == 100 && b.nOk == 100 &&
         queryInt(a.db, "SELECT count(*) FROM kv WHERE key GLOB 't[ab]*'") == 200,
         "ok %d + %d", a.nOk, b.nOk);
  sqlite3_close(a.db);
  sqlite3_close(b.db);
}

/* Two tables of one connection on one database: one transaction. */
static void testTwoTables(sqlite3 *c1) {
  char *zSql = sqlite3_mprintf("CREATE VIRTUAL TABLE temp.kv2 USING slatedb('%q/db', mode=writer)", zDir);
  CHECK("multiconn: second table in c1", exec(c1, zSql) == SQLITE_OK);
  sqlite3_free(zSql);
  int rc = exec(c1, "BEGIN; INSERT INTO kv VALUES('t1', 'x'); INSERT INTO kv2 VALUES('t2', 'y')");
  CHECK("multiconn: both tables write in one transaction (no deadlock)", rc == SQLITE_OK);
  CHECK("multiconn: each reads the other's writes",
        textIs(c1, "SELECT group_concat(key) FROM kv WHERE key GLOB 't[12]'", "t1,t2") &&
        textIs(c1, "SELECT group_concat(key) FROM kv2 WHERE key GLOB 't[12]'", "t1,t2"));
  CHECK("multiconn: commit", exec(c1, "COMMIT") == SQLITE_OK);
  CHECK("multiconn: one batch, one seq",
        queryInt(c1, "SELECT count(DISTINCT seq) FROM kv WHERE key GLOB 't[12]'") == 1);
}

/* A reader connection (poll_interval 1 h) sees at its next statement what
** another connection of the process committed, with no store request when
** nothing changed. */
static void testReader(sqlite3 *c2) {
  sqlite3 *c3 = 0;
  char *zSql = sqlite3_mprintf("CREATE VIRTUAL TABLE r USING slatedb('%q/db', mode=reader,"
                               " poll_interval='1h')", zDir);
  int rc = sqlite3_open(":memory:", &c3) == SQLITE_OK ? sqlite3_slatedb_init(c3, 0, 0) : -1;
  if (rc == SQLITE_OK) rc = exec(c3, zSql);
  sqlite3_free(zSql);
  CHECKF("multiconn: a reader connection", rc == SQLITE_OK, "%s", c3 ? sqlite3_errmsg(c3) : "");
  i64 n0 = queryInt(c3, "SELECT count(*) FROM r");
  CHECK("multiconn: c2 commits", exec(c2, "INSERT INTO kv VALUES('seen-by-reader', 'x')") == SQLITE_OK);
  CHECK("multiconn: the reader's next statement sees c2's commit",
        n0 >= 0 && queryInt(c3, "SELECT count(*) FROM r") == n0 + 1 &&
        queryInt(c3, "SELECT count(*) FROM r WHERE key = 'seen-by-reader'") == 1);
  i64 nGet = queryInt(c3, "SELECT gets + lists FROM slatedb_handles WHERE mode = 'reader'");
  queryInt(c3, "SELECT count(*) FROM r");
  CHECK("multiconn: with no commit in between, a statement makes no request",
        nGet >= 0 && queryInt(c3, "SELECT gets + lists FROM slatedb_handles WHERE mode = 'reader'") == nGet);
  sqlite3_close(c3);
}

/* A second engine writer fences the shared handle. */
static void testFenced(sqlite3 *c1, sqlite3 *c2) {
  SdbConfig cfg;
  SdbDb *pOther = 0;
  SdbErr err;
  char zPath[600];
  snprintf(zPath, sizeof(zPath), "%s/db", zDir);
  memset(&cfg, 0, sizeof(cfg));
  cfg.zUrl = zPath;
  sdb_err_clear(&err);
  CHECKF("multiconn: a newer writer opens", sdb_db_open(&cfg, &pOther, &err) == SDB_OK, "%s", err.zMsg);
  int rc1 = exec(c1, "INSERT INTO kv VALUES('after', 'fence')");
  const char *z1 = sqlite3_errmsg(c1);
  CHECKF("multiconn: c1 is fenced", rc1 == SQLITE_READONLY && strstr(z1, "writer fenced") &&
         strstr(z1, "the database was opened by a newer writer"), "rc=%d %s", rc1, z1);
  printf("  fenced: %s\n", z1);
  int rc2 = exec(c2, "BEGIN; INSERT INTO kv VALUES('after2', 'fence'); COMMIT");
  const char *z2 = sqlite3_errmsg(c2);
  CHECKF("multiconn: c2 is fenced too", rc2 == SQLITE_READONLY && strstr(z2, "fenced"), "rc=%d %s", rc2, z2);
  exec(c2, "ROLLBACK");
  CHECK("multiconn: reads keep working", queryInt(c1, "SELECT count(*) FROM kv") > 0 &&
        queryInt(c2, "SELECT count(*) FROM kv WHERE key GLOB 'after*'") == 0);
  CHECK("multiconn: slatedb_handles says fenced", queryInt(c1, "SELECT fenced FROM slatedb_handles") == 1);
  sdb_db_close(pOther);
}

/* nftw callback: remove one entry. */
static int rmEntry(const char *zPath, const struct stat *st, int eFlag, struct FTW *pFtw) {
  return remove(zPath);
}

int main(void) {
  snprintf(zDir, sizeof(zDir), "%s/sdb-multiconn-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
  CHECK("multiconn: temp dir", mkdtemp(zDir) != 0);
  sqlite3 *c1 = openConn(200), *c2 = openConn(200);
  CHECK("multiconn: two connections", c1 && c2);
  if (c1 && c2) {
    testLock(c1, c2);
    testNoSelfFencing(c1, c2);
    testHandoff(c1);
    testThreads();
    testTwoTables(c1);
    testReader(c2);
    testFenced(c1, c2);
  }
  sqlite3_close(c2);
  CHECK("multiconn: after c2 closes, c1's two tables hold the handle", queryInt(c1, "SELECT refs FROM slatedb_handles") == 2);
  sqlite3_close(c1);
  nftw(zDir, rmEntry, 16, FTW_DEPTH | FTW_PHYS);
  return test_done();
}
