/*
** vtabtest.h: helpers of the c-tests that drive the extension through SQL
** (they compile the ext/ sources in, so sqlite3_slatedb_init is in scope). Include it
** after the ext sources.
*/
#ifndef SDB_VTABTEST_H
#define SDB_VTABTEST_H

#include <stdio.h>

/* A new in-memory connection with the extension and table t on zRoot (a path
** or URL) with options zOpts (NULL: none). NULL (and a message) on failure;
** the caller closes it. */
static sqlite3 *openTable(const char *zRoot, const char *zOpts) {
  sqlite3 *db = 0;
  if (sqlite3_open(":memory:", &db) != SQLITE_OK) return 0;
  sqlite3_slatedb_init(db, 0, 0);
  char *zSql = sqlite3_mprintf("CREATE VIRTUAL TABLE t USING slatedb('%q'%s%s)", zRoot,
                               zOpts ? ", " : "", zOpts ? zOpts : "");
  char *zErr = 0;
  if (sqlite3_exec(db, zSql, 0, 0, &zErr) != SQLITE_OK) {
    printf("# CREATE on %s: %s\n", zRoot, zErr ? zErr : "?");
    sqlite3_free(zErr);
    sqlite3_close(db);
    db = 0;
  }
  sqlite3_free(zSql);
  return db;
}

/* Run zSql on db; SQLITE_OK or the error code (message printed). */
static int execSql(sqlite3 *db, const char *zSql) {
  char *zErr = 0;
  int rc = sqlite3_exec(db, zSql, 0, 0, &zErr);
  if (rc != SQLITE_OK) printf("# %s: %s\n", zSql, zErr ? zErr : "?");
  sqlite3_free(zErr);
  return rc;
}

#endif /* SDB_VTABTEST_H */
