/*
** t_overlay_sql.c: a statement's cursor keeps its view of the transaction's
** uncommitted batch (the batch as at its first xFilter, docs/sql.md) while
** the statement is pending and other statements of the connection change
** the batch: a join's inner table, filtered per outer row, must neither
** start to see nor stop seeing rows depending on how many operations the
** batch has.
**
**   - COMMIT and a new transaction: the new batch numbers its operations
**     from 0 again; the cursor's bound (its first batch's last operation)
**     must not make the first operations of the new batch visible;
**   - ROLLBACK TO and new writes: the new writes take the numbers of the
**     rolled-back operations; they must not become visible either;
**   - a cursor whose first xFilter reads nothing (an empty range) binds its
**     view there too (sql-tests/122 has the single-statement case).
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
#include <unistd.h>

#include "test.h"

static char zDir[512];

static int rmEntry(const char *zPath, const struct stat *st, int flag, struct FTW *ftw) {
  (void)st; (void)flag; (void)ftw;
  return remove(zPath);
}

/* Run zSql on db; SQLITE_OK or the error (printed). */
static int run(sqlite3 *db, const char *zSql) {
  char *zErr = 0;
  int rc = sqlite3_exec(db, zSql, 0, 0, &zErr);
  if (rc != SQLITE_OK) printf("# %s: %s\n", zSql, zErr ? zErr : "?");
  sqlite3_free(zErr);
  return rc;
}

/* A connection with table kv on database zName (a new one) and a plain
** table o(x) of the outer rows p, k2, k3, k4. */
static sqlite3 *openConn(const char *zName) {
  sqlite3 *db = 0;
  if (sqlite3_open(":memory:", &db) != SQLITE_OK) return 0;
  sqlite3_slatedb_init(db, 0, 0);
  char *zSql = sqlite3_mprintf(
      "CREATE VIRTUAL TABLE kv USING slatedb('%q/%q', mode=writer, create=if_missing);"
      "CREATE TABLE o(x); INSERT INTO o VALUES ('p'), ('k2'), ('k3'), ('k4');", zDir, zName);
  int rc = run(db, zSql);
  sqlite3_free(zSql);
  if (rc != SQLITE_OK) {
    sqlite3_close(db);
    return 0;
  }
  return db;
}

/* The join whose inner table (kv) is filtered once per outer row. */
static const char *zJoin =
    "SELECT o.x, coalesce(i.value, '-') FROM o LEFT JOIN kv i ON i.key = o.x ORDER BY o.rowid";

/* Step s once; append "x=value " to z (size n). */
static int stepRow(sqlite3_stmt *s, char *z, size_t n) {
  int rc = sqlite3_step(s);
  if (rc == SQLITE_ROW) {
    size_t k = strlen(z);
    snprintf(z + k, n - k, "%s=%s ", (const char *)sqlite3_column_text(s, 0),
             (const char *)sqlite3_column_text(s, 1));
  }
  return rc;
}

/* The pending join, interleaved with the statements azBetween[i] run before
** its row i + 1 (NULL: none). Its rows as text in z. */
static void pendingJoin(sqlite3 *db, const char *const *azBetween, int nBetween, char *z,
                        size_t n) {
  sqlite3_stmt *s = 0;
  z[0] = 0;
  if (sqlite3_prepare_v2(db, zJoin, -1, &s, 0) != SQLITE_OK) {
    snprintf(z, n, "prepare: %s", sqlite3_errmsg(db));
    return;
  }
  int rc = stepRow(s, z, n);
  for (int i = 0; rc == SQLITE_ROW; i++) {
    if (i < nBetween && azBetween[i] && run(db, azBetween[i]) != SQLITE_OK) break;
    rc = stepRow(s, z, n);
  }
  if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
    size_t k = strlen(z);
    snprintf(z + k, n - k, "error: %s", sqlite3_errmsg(db));
  }
  sqlite3_finalize(s);
}

/* COMMIT and a new transaction while the join is pending: the writes of the
** new transaction are all invisible to the cursor, or all visible (they
** came after its first xFilter: invisible), never the first only. */
static void testCommitNewTxn(void) {
  char z[1024];
  sqlite3 *db = openConn("commit");
  CHECK("overlay sql: open (commit)", db != 0);
  if (!db) return;
  run(db, "BEGIN; INSERT INTO kv VALUES ('p', '1');");
  const char *az[] = {"COMMIT; BEGIN; INSERT INTO kv VALUES ('k2', 'new2');",
                      "INSERT INTO kv VALUES ('k3', 'new3');",
                      "INSERT INTO kv VALUES ('k4', 'new4');"};
  pendingJoin(db, az, 3, z, sizeof(z));
  CHECKF("overlay sql: a pending join does not see a later transaction's first writes",
         strcmp(z, "p=1 k2=- k3=- k4=- ") == 0, "rows %s", z);
  run(db, "COMMIT");
  sqlite3_close(db);
}

/* ROLLBACK TO and new writes while the join is pending: the new writes take
** the numbers of the rolled-back operations. */
static void testRollbackTo(void) {
  char z[1024];
  sqlite3 *db = openConn("rollbackto");
  CHECK("overlay sql: open (rollback to)", db != 0);
  if (!db) return;
  run(db, "BEGIN; INSERT INTO kv VALUES ('p', '1'); SAVEPOINT s;"
          "INSERT INTO kv VALUES ('x1', '1'), ('x2', '2'), ('x3', '3');");
  const char *az[] = {"ROLLBACK TO s; INSERT INTO kv VALUES ('k2', 'new2');",
                      "INSERT INTO kv VALUES ('k3', 'new3');",
                      "INSERT INTO kv VALUES ('k4', 'new4');"};
  pendingJoin(db, az, 3, z, sizeof(z));
  CHECKF("overlay sql: a pending join does not see writes made after a ROLLBACK TO",
         strcmp(z, "p=1 k2=- k3=- k4=- ") == 0, "rows %s", z);
  run(db, "COMMIT");
  sqlite3_close(db);
}

/* A cursor whose first xFilter reads nothing (the outer row's key is NULL)
** takes its view there, not at its first scan. */
static void testEmptyFirstFilter(void) {
  char z[1024];
  sqlite3 *db = openConn("emptyfirst");
  CHECK("overlay sql: open (empty first filter)", db != 0);
  if (!db) return;
  sqlite3_stmt *s = 0;
  run(db, "BEGIN; INSERT INTO kv VALUES ('p', '1');");
  int rc = sqlite3_prepare_v2(db,
      "SELECT o.x, coalesce(i.value, '-') FROM o LEFT JOIN kv i"
      " ON i.key = CASE o.x WHEN 'p' THEN NULL ELSE o.x END ORDER BY o.rowid", -1, &s, 0);
  z[0] = 0;
  if (rc == SQLITE_OK) rc = stepRow(s, z, sizeof(z));
  if (rc == SQLITE_ROW) rc = run(db, "INSERT INTO kv VALUES ('k2', 'new2')");
  while (rc == SQLITE_OK || rc == SQLITE_ROW) rc = stepRow(s, z, sizeof(z));
  sqlite3_finalize(s);
  CHECKF("overlay sql: a cursor whose first xFilter is empty keeps the view it had then",
         rc == SQLITE_DONE && strcmp(z, "p=- k2=- k3=- k4=- ") == 0, "rc %d, rows %s", rc, z);
  run(db, "COMMIT");
  sqlite3_close(db);
}

int main(void) {
  snprintf(zDir, sizeof(zDir), "%s/sdb-overlaysql-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
  CHECK("overlay sql: temp dir", mkdtemp(zDir) != 0);
  testCommitNewTxn();
  testRollbackTo();
  testEmptyFirstFilter();
  nftw(zDir, rmEntry, 16, FTW_DEPTH | FTW_PHYS);
  return test_done();
}
