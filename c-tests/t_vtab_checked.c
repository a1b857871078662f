/*
** t_vtab_checked.c: checked key terms (ext/vtab_plan.c) in a statement that
** stays prepared while the table changes under it.
**
**   - on a key_type=text table whose keys are all from ':' up, `key <= ?1`,
**     `key > ?1` and `key > ?1 ... LIMIT/OFFSET` plan as checked ("!");
**   - keys below ':' are then written (by the same connection, and by a
**     second connection's writer on the same database); stepped again, the
**     kept statements fail with the "prepare it again" error for a value they
**     cannot answer exactly (INTEGER 7, TEXT '5x'), also for a row only
**     skipped by a pushed OFFSET, return the right rows for a clear value
**     ('kz') and for a LIMIT that stops before the unclear keys;
**   - prepared again, the plan is loose ("~") and the rows are SQLite's.
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

#include "test.h"
#include "vtabtest.h"

/* nftw callback: remove one entry. */
static int rmEntry(const char *zPath, const struct stat *st, int eFlag, struct FTW *pFtw) {
  return remove(zPath);
}

/* The plan detail of zSql's scan of t (static buffer; "" if none). */
static const char *planOf(sqlite3 *db, const char *zSql) {
  static char zOut[256];
  sqlite3_stmt *pStmt = 0;
  char *zEqp = sqlite3_mprintf("EXPLAIN QUERY PLAN %s", zSql);
  zOut[0] = 0;
  if (sqlite3_prepare_v2(db, zEqp, -1, &pStmt, 0) == SQLITE_OK) {
    while (sqlite3_step(pStmt) == SQLITE_ROW) {
      const char *z = (const char *)sqlite3_column_text(pStmt, 3);
      if (z && strstr(z, "SCAN t")) snprintf(zOut, sizeof(zOut), "%s", z);
    }
  }
  sqlite3_finalize(pStmt);
  sqlite3_free(zEqp);
  return zOut;
}

/* Step pStmt (reset first) with ?1 bound to text z or, if z is NULL, to
** integer i. Its one value in a static buffer, "NULL", or "error: <msg>". */
static const char *runWith(sqlite3 *db, sqlite3_stmt *pStmt, const char *z, int i) {
  static char zOut[1024];
  sqlite3_reset(pStmt);
  if (z) sqlite3_bind_text(pStmt, 1, z, -1, SQLITE_TRANSIENT);
  else sqlite3_bind_int(pStmt, 1, i);
  int rc = sqlite3_step(pStmt);
  if (rc == SQLITE_ROW) {
    const char *zVal = (const char *)sqlite3_column_text(pStmt, 0);
    snprintf(zOut, sizeof(zOut), "%s", zVal ? zVal : "NULL");
  } else {
    snprintf(zOut, sizeof(zOut), "error: %s", sqlite3_errmsg(db));
  }
  sqlite3_reset(pStmt);
  return zOut;
}

#define Q_LE   "SELECT group_concat(key) FROM (SELECT key FROM t WHERE key <= ?1 ORDER BY key DESC)"
#define Q_GT   "SELECT group_concat(key) FROM (SELECT key FROM t WHERE key > ?1)"
#define Q_OFF  "SELECT group_concat(key) FROM (SELECT key FROM t WHERE key > ?1 ORDER BY key DESC" \
               " LIMIT 2 OFFSET 3)"
#define Q_LIM  "SELECT group_concat(key) FROM (SELECT key FROM t WHERE key > ?1 ORDER BY key DESC" \
               " LIMIT 2)"

/* True if z starts with the zone error for a value zVal ("INTEGER 7"). */
static int isZoneError(const char *z, const char *zVal) {
  char zWant[128];
  snprintf(zWant, sizeof(zWant), "cannot be compared with %s exactly", zVal);
  return strncmp(z, "error: slatedb: t: key ", 23) == 0 && strstr(z, zWant) &&
         strstr(z, "prepare it again");
}

/* The statements prepared while the table had no low key (ap, in
** prepareAll's order), after low keys were written: zAllDesc is every key,
** descending, comma-separated. */
static void checkKept(sqlite3 *db, sqlite3_stmt **ap, const char *zWho, const char *zAllDesc) {
  char zName[160];
  const char *z;
  z = runWith(db, ap[0], 0, 7);
  snprintf(zName, sizeof(zName), "checked: %s: kept key <= 7 fails", zWho);
  CHECKF(zName, isZoneError(z, "INTEGER 7"), "%s", z);
  z = runWith(db, ap[0], "5x", 0);
  snprintf(zName, sizeof(zName), "checked: %s: kept key <= '5x' fails", zWho);
  CHECKF(zName, isZoneError(z, "TEXT '5x'"), "%s", z);
  z = runWith(db, ap[0], "kz", 0);
  snprintf(zName, sizeof(zName), "checked: %s: kept key <= 'kz' returns every row", zWho);
  CHECKF(zName, strcmp(z, zAllDesc) == 0, "%s", z);
  z = runWith(db, ap[1], 0, 7);
  snprintf(zName, sizeof(zName), "checked: %s: kept key > 7 fails", zWho);
  CHECKF(zName, isZoneError(z, "INTEGER 7"), "%s", z);
  z = runWith(db, ap[1], "k", 0);
  snprintf(zName, sizeof(zName), "checked: %s: kept key > 'k' is ka,kb,kc", zWho);
  CHECKF(zName, strcmp(z, "ka,kb,kc") == 0, "%s", z);
  z = runWith(db, ap[2], 0, 7);
  snprintf(zName, sizeof(zName), "checked: %s: kept key > 7 OFFSET 3 fails on a skipped row", zWho);
  CHECKF(zName, isZoneError(z, "INTEGER 7"), "%s", z);
  z = runWith(db, ap[3], 0, 7);
  snprintf(zName, sizeof(zName), "checked: %s: kept key > 7 LIMIT 2 stops before", zWho);
  CHECKF(zName, strcmp(z, "kc,kb") == 0, "%s", z);
}

/* Prepare the four statements on db; each plan's key term ends in cMark. */
static void prepareAll(sqlite3 *db, sqlite3_stmt **ap, char cMark) {
  static const char *const az[] = { Q_LE, Q_GT, Q_OFF, Q_LIM };
  static const char *const azTok[] = { "key<=", "key>", "key>", "key>" };
  char zName[160], zMark[16];
  for (int i = 0; i < 4; i++) {
    const char *zPlan = planOf(db, az[i]);
    snprintf(zMark, sizeof(zMark), "%s%c", azTok[i], cMark);
    snprintf(zName, sizeof(zName), "checked: plan %d has \"%s\"", i, zMark);
    CHECKF(zName, strstr(zPlan, zMark) != 0, "%s", zPlan);
    ap[i] = 0;
    sqlite3_prepare_v2(db, az[i], -1, &ap[i], 0);
  }
}

static void finalizeAll(sqlite3_stmt **ap) {
  for (int i = 0; i < 4; i++) sqlite3_finalize(ap[i]);
}

int main(void) {
  char zDir[256], zRoot[300];
  sqlite3_stmt *ap[4];
  snprintf(zDir, sizeof(zDir), "%s/sdb-checked-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
  CHECK("checked: temp dir", mkdtemp(zDir) != 0);

  /* One connection writes the low keys. */
  snprintf(zRoot, sizeof(zRoot), "%s/one", zDir);
  sqlite3 *db = openTable(zRoot, "mode=writer, key_type=text, value_type=text");
  CHECK("checked: open", db != 0);
  if (!db) return test_done();
  execSql(db, "INSERT INTO t VALUES ('ka', '1'), ('kb', '2'), ('kc', '3')");
  prepareAll(db, ap, '!');
  const char *z = runWith(db, ap[0], 0, 7);
  CHECKF("checked: key <= 7 before low keys: no row", strcmp(z, "NULL") == 0, "%s", z);
  z = runWith(db, ap[1], 0, 7);
  CHECKF("checked: key > 7 before low keys: every row", strcmp(z, "ka,kb,kc") == 0, "%s", z);
  execSql(db, "INSERT INTO t VALUES ('007', '4'), ('7', '5')");
  checkKept(db, ap, "same connection", "kc,kb,ka,7,007");
  finalizeAll(ap);
  prepareAll(db, ap, '~');
  z = runWith(db, ap[0], 0, 7);
  CHECKF("checked: prepared again, key <= 7 is SQLite's (as text)", strcmp(z, "7,007") == 0, "%s", z);
  z = runWith(db, ap[1], 0, 7);
  CHECKF("checked: prepared again, key > 7 is SQLite's", strcmp(z, "ka,kb,kc") == 0, "%s", z);
  finalizeAll(ap);
  sqlite3_close(db);

  /* A second connection's writer writes them. */
  snprintf(zRoot, sizeof(zRoot), "%s/two", zDir);
  db = openTable(zRoot, "mode=writer, key_type=text, value_type=text");
  sqlite3 *db2 = openTable(zRoot, "mode=writer, key_type=text, value_type=text");
  CHECK("checked: two connections", db && db2);
  if (!db || !db2) return test_done();
  execSql(db, "INSERT INTO t VALUES ('ka', '1'), ('kb', '2'), ('kc', '3')");
  prepareAll(db, ap, '!');
  execSql(db2, "INSERT INTO t VALUES ('0a', '4'), (' 7', '5')");
  checkKept(db, ap, "second connection", "kc,kb,ka,0a, 7");
  finalizeAll(ap);
  sqlite3_close(db2);
  sqlite3_close(db);

  nftw(zDir, rmEntry, 16, FTW_DEPTH | FTW_PHYS);
  return test_done();
}
