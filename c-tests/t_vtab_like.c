/*
** t_vtab_like.c: LIKE pushdown only with SQLite's built-in like()
** (ext/vtab_plan.c planLikeIsBuiltin).
**
**   - with the built-in like() (both case_sensitive_like settings) the plan
**     of `key LIKE 'ab%'` shows "key LIKE" and the rows equal a native
**     table's;
**   - with an application's like() that ignores accents (a stand-in for
**     ICU's Unicode folding, registered with sqlite3_create_function), and
**     with one that folds KELVIN SIGN to k, the plan has no "key LIKE" and
**     the rows equal a native table's under the same like() ('äbc' matches
**     'ab%'; the pushed range dropped it);
**   - a statement prepared under the built-in and stepped again after like()
**     is redefined is prepared again (SQLITE_STMTSTATUS_REPREPARE) and
**     returns the new like()'s rows: the probe made at planning holds for
**     the statement's life;
**   - PRAGMA case_sensitive_like restores the built-in, and the pushdown.
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

/* nftw callback: remove one entry. */
static int rmEntry(const char *zPath, const struct stat *st, int eFlag, struct FTW *pFtw) {
  return remove(zPath);
}

/* Copy z (NUL-terminated) to a (n bytes) folding a-umlaut (either case) to
** 'a' and ASCII to lower case; with bKelvin, KELVIN SIGN to 'k' too. */
static void foldText(const unsigned char *z, char *a, int n, int bKelvin) {
  int j = 0;
  for (; *z && j < n - 1; z++) {
    if (z[0] == 0xC3 && (z[1] == 0xA4 || z[1] == 0x84)) { a[j++] = 'a'; z++; continue; }
    if (bKelvin && z[0] == 0xE2 && z[1] == 0x84 && z[2] == 0xAA) { a[j++] = 'k'; z += 2; continue; }
    a[j++] = (char)((*z >= 'A' && *z <= 'Z') ? *z - 'A' + 'a' : *z);
  }
  a[j] = 0;
}

/* True if string z matches pattern p ('%' and '_' wildcards, both folded). */
static int likeMatch(const char *p, const char *z) {
  if (*p == 0) return *z == 0;
  if (*p == '%') {
    for (;; z++) {
      if (likeMatch(p + 1, z)) return 1;
      if (*z == 0) return 0;
    }
  }
  if (*z == 0 || (*p != '_' && *p != *z)) return 0;
  return likeMatch(p + 1, z + 1);
}

/* like(pattern, string) of an application (user data: fold KELVIN SIGN). */
static void fnAppLike(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  const unsigned char *zP = sqlite3_value_text(argv[0]), *zS = sqlite3_value_text(argv[1]);
  if (!zP || !zS) return;
  char aP[256], aS[256];
  int bKelvin = sqlite3_user_data(ctx) != 0;
  foldText(zP, aP, (int)sizeof(aP), bKelvin);
  foldText(zS, aS, (int)sizeof(aS), bKelvin);
  sqlite3_result_int(ctx, likeMatch(aP, aS));
}

/* The first column of zSql's rows joined by ',' (sqlite3_malloc'd; "" if
** none), or NULL on an error (printed). */
static char *rowsOf(sqlite3 *db, const char *zSql) {
  sqlite3_stmt *s = 0;
  if (sqlite3_prepare_v2(db, zSql, -1, &s, 0) != SQLITE_OK) {
    printf("# %s: %s\n", zSql, sqlite3_errmsg(db));
    return 0;
  }
  sqlite3_str *pStr = sqlite3_str_new(db);
  int rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    if (sqlite3_str_length(pStr)) sqlite3_str_appendchar(pStr, 1, ',');
    sqlite3_str_appendall(pStr, (const char *)sqlite3_column_text(s, 0));
  }
  if (rc != SQLITE_DONE) printf("# %s: %s\n", zSql, sqlite3_errmsg(db));
  sqlite3_finalize(s);
  char *z = sqlite3_str_finish(pStr);
  if (rc != SQLITE_DONE) { sqlite3_free(z); return 0; }
  return z ? z : sqlite3_mprintf("");
}

/* True if the plan of zWhere on t shows "key LIKE". */
static int planPushes(sqlite3 *db, const char *zWhere) {
  char *zSql = sqlite3_mprintf("EXPLAIN QUERY PLAN SELECT key FROM t WHERE %s", zWhere);
  sqlite3_stmt *s = 0;
  int bPush = 0;
  if (sqlite3_prepare_v2(db, zSql, -1, &s, 0) == SQLITE_OK) {
    while (sqlite3_step(s) == SQLITE_ROW) {
      const char *zDetail = (const char *)sqlite3_column_text(s, 3);
      if (zDetail && strstr(zDetail, "key LIKE")) bPush = 1;
    }
  }
  sqlite3_finalize(s);
  sqlite3_free(zSql);
  return bPush;
}

/* Check that `key LIKE zPat` on t returns the rows it does on native n, and
** that the plan pushes the LIKE down iff bPush. */
static void checkLike(sqlite3 *db, const char *zName, const char *zPat, int bPush) {
  char *zWhere = sqlite3_mprintf("key LIKE %Q ORDER BY key", zPat);
  char *zT = sqlite3_mprintf("SELECT key FROM t WHERE %s", zWhere);
  char *zN = sqlite3_mprintf("SELECT key FROM n WHERE %s", zWhere);
  char *aT = rowsOf(db, zT), *aN = rowsOf(db, zN);
  int bGot = planPushes(db, zWhere);
  char zCheck[200];
  snprintf(zCheck, sizeof(zCheck), "like: %s: %s rows as a native table's", zName, zPat);
  CHECKF(zCheck, aT && aN && strcmp(aT, aN) == 0, "vtab [%s], native [%s]", aT ? aT : "error",
         aN ? aN : "error");
  snprintf(zCheck, sizeof(zCheck), "like: %s: %s plan %s key LIKE", zName, zPat,
           bPush ? "shows" : "without");
  CHECKF(zCheck, bGot == bPush, "plan %s key LIKE", bGot ? "shows" : "has no");
  sqlite3_free(aT);
  sqlite3_free(aN);
  sqlite3_free(zT);
  sqlite3_free(zN);
  sqlite3_free(zWhere);
}

/* Run zSql, printing an error. */
static void execSql(sqlite3 *db, const char *zSql) {
  char *zErr = 0;
  if (sqlite3_exec(db, zSql, 0, 0, &zErr) != SQLITE_OK) printf("# %s: %s\n", zSql, zErr);
  sqlite3_free(zErr);
}

int main(void) {
  char zDir[256];
  snprintf(zDir, sizeof(zDir), "%s/sdb-like-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
  CHECK("like: temp dir", mkdtemp(zDir) != 0);
  sqlite3 *db = 0;
  sqlite3_open(":memory:", &db);
  sqlite3_slatedb_init(db, 0, 0);
  char *zSql = sqlite3_mprintf("CREATE VIRTUAL TABLE t USING slatedb('%q/db', mode=writer, "
                               "key_type=text, value_type=text)", zDir);
  execSql(db, zSql);
  sqlite3_free(zSql);
  execSql(db, "CREATE TABLE n(key TEXT PRIMARY KEY, value)");
  execSql(db, "INSERT INTO n VALUES ('\xC3\xA4" "bc', 1), ('abc', 2), ('ABd', 3), ('xyz', 4), "
              "('\xE2\x84\xAA" "ey', 5), ('key', 6), ('b', 7)");
  execSql(db, "INSERT INTO t SELECT key, value FROM n");

  checkLike(db, "built-in", "ab%", 1);
  checkLike(db, "built-in", "k%", 1);
  execSql(db, "PRAGMA case_sensitive_like = ON");
  checkLike(db, "built-in, case_sensitive_like", "ab%", 1);
  execSql(db, "PRAGMA case_sensitive_like = OFF");

  /* A statement prepared under the built-in, stepped after like() changes. */
  sqlite3_stmt *pOld = 0;
  sqlite3_prepare_v2(db, "SELECT group_concat(key) FROM (SELECT key FROM t WHERE key LIKE 'ab%' "
                         "ORDER BY key)", -1, &pOld, 0);
  const char *zBefore = pOld && sqlite3_step(pOld) == SQLITE_ROW ?
                        (const char *)sqlite3_column_text(pOld, 0) : 0;
  CHECKF("like: built-in: ab% is abc,ABd", zBefore && strcmp(zBefore, "ABd,abc") == 0, "%s",
         zBefore ? zBefore : "error");
  sqlite3_reset(pOld);
  int nReprepare = sqlite3_stmt_status(pOld, SQLITE_STMTSTATUS_REPREPARE, 0);

  int rc = sqlite3_create_function(db, "like", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC, 0,
                                    fnAppLike, 0, 0);
  CHECK("like: an application's like() registered", rc == SQLITE_OK);
  checkLike(db, "accent-insensitive like()", "ab%", 0);
  checkLike(db, "accent-insensitive like()", "AB_", 0);
  const char *zAfter = pOld && sqlite3_step(pOld) == SQLITE_ROW ?
                       (const char *)sqlite3_column_text(pOld, 0) : 0;
  CHECKF("like: a statement prepared before like() changed runs with the new one",
         zAfter && strcmp(zAfter, "ABd,abc,\xC3\xA4" "bc") == 0 &&
         sqlite3_stmt_status(pOld, SQLITE_STMTSTATUS_REPREPARE, 0) == nReprepare + 1,
         "%s, reprepared %d times", zAfter ? zAfter : "error",
         sqlite3_stmt_status(pOld, SQLITE_STMTSTATUS_REPREPARE, 0) - nReprepare);
  sqlite3_finalize(pOld);

  rc = sqlite3_create_function(db, "like", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC, (void *)1,
                               fnAppLike, 0, 0);
  checkLike(db, "Unicode-folding like()", "k%", 0);

  /* PRAGMA case_sensitive_like registers the built-in again. */
  execSql(db, "PRAGMA case_sensitive_like = OFF");
  checkLike(db, "built-in again", "ab%", 1);
  checkLike(db, "built-in again", "k%", 1);

  sqlite3_close(db);
  nftw(zDir, rmEntry, 16, FTW_DEPTH | FTW_PHYS);
  return test_done();
}
