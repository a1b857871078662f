/*
** t_read_oom.c: slatedb_read (ext/vtab_read.c) when SQLite's allocator fails.
**
** A workload of slatedb_read statements (a count, a point lookup with an
** options string, a join, a bad option, two databases at once) runs on a
** fresh connection once per allocation it makes through sqlite3_malloc, with
** that allocation failing (SQLITE_CONFIG_MALLOC), and again with it and
** every later one failing. Every run must end without
** a crash and with each statement either answering correctly or failing
** (SQLITE_NOMEM or an error); after the connection closes, the registry of
** handles must hold only the reference of a reader table kept open beside
** the workload (no reference leaked by a failed source). The engine's own
** allocations (sdbMalloc) are not failed here: c-tests/t_oom does that.
** Run under `make asan`, LeakSanitizer also checks that nothing leaks.
*/
#define SQLITE_CORE 1
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

#include <stdio.h>

#include "test.h"

static sqlite3_mem_methods defMem;    /* SQLite's own allocator */
static int nCountdown = -1;           /* allocations until the failing one; -1 none */
static int bInjected;                 /* the failing allocation happened */
static int bPersist;                  /* every allocation after it fails too */

/* Count down; true if this allocation must fail. */
static int oomFailNow(void) {
  if (nCountdown < 0) return 0;
  if (nCountdown == 0) {
    bInjected = 1;
    if (!bPersist) nCountdown = -1;
    return 1;
  }
  nCountdown--;
  return 0;
}
static void *oomMalloc(int n) { return oomFailNow() ? 0 : defMem.xMalloc(n); }
static void *oomRealloc(void *p, int n) { return oomFailNow() ? 0 : defMem.xRealloc(p, n); }

/* The fixture path zName's database. */
static char *fixture(const char *zName) {
  return sqlite3_mprintf("%s/c-tests/fixtures/%s/db", test_srcdir(), zName);
}

/* One integer from zSql, or -1 on any error (NOMEM included). */
static i64 queryInt(sqlite3 *db, const char *zSql) {
  sqlite3_stmt *p = 0;
  i64 v = -1;
  if (sqlite3_prepare_v2(db, zSql, -1, &p, 0) == SQLITE_OK && sqlite3_step(p) == SQLITE_ROW) {
    v = sqlite3_column_int64(p, 0);
  }
  sqlite3_finalize(p);
  return v;
}

/* The statements of the workload and their answers (-1: must fail). */
typedef struct Step { char *zSql; i64 want; } Step;

/* Run the workload on a fresh connection with allocation number iFail
** failing (-1: none). Returns the number of wrong answers. */
static int runOnce(const Step *aStep, int nStep, int iFail) {
  sqlite3 *db = 0;
  int nWrong = 0;
  if (sqlite3_open(":memory:", &db) != SQLITE_OK || sqlite3_slatedb_init(db, 0, 0) != SQLITE_OK) {
    sqlite3_close(db);
    return 1;
  }
  bInjected = 0;
  nCountdown = iFail;
  for (int i = 0; i < nStep; i++) {
    i64 v = queryInt(db, aStep[i].zSql);
    if (v != aStep[i].want && v != -1) nWrong++;       /* -1: failed, as it may */
    if (iFail < 0 && v != aStep[i].want) {
      printf("# without a failure, %s gave %lld\n", aStep[i].zSql, (long long)v);
      nWrong++;
    }
  }
  nCountdown = -1;
  sqlite3_close(db);
  return nWrong;
}

/* References in the registry, summed over its handles. */
static int registryRefs(void) {
  SdbExtHandleInfo *a = 0;
  int n = 0, nRef = 0;
  if (sdbExtHandleList(&a, &n) != SQLITE_OK) return -1;
  for (int i = 0; i < n; i++) nRef += a[i].nRef;
  sdbExtHandleInfoFree(a, n);
  return nRef;
}

int main(void) {
  sqlite3_config(SQLITE_CONFIG_GETMALLOC, &defMem);
  sqlite3_mem_methods m = defMem;
  m.xMalloc = oomMalloc;
  m.xRealloc = oomRealloc;
  sqlite3_config(SQLITE_CONFIG_MALLOC, &m);
  char *zText = fixture("keys-text"), *zBlob = fixture("keys-blob");
  Step aStep[] = {
    { sqlite3_mprintf("SELECT count(*) FROM slatedb_read('%q')", zText), 1967 },
    { sqlite3_mprintf("SELECT count(*) FROM slatedb_read('%q', 'value_type=blob, cache_size="
                      "\"1MiB\"') WHERE key = 'abc'", zText), 1 },
    { sqlite3_mprintf("WITH w(k) AS (VALUES ('abc'), ('nope')) SELECT count(*) FROM w JOIN"
                      " slatedb_read('%q') r ON r.key = w.k", zText), 1 },
    { sqlite3_mprintf("SELECT count(*) FROM slatedb_read('%q', 'key_type=float')", zText), -1 },
    { sqlite3_mprintf("SELECT count(*) FROM slatedb_read('%q') a, slatedb_read('%q',"
                      " 'key_type=blob') b WHERE a.key = 'abc' AND b.key = (SELECT max(key) FROM"
                      " slatedb_read('%q', 'key_type=blob'))", zText, zBlob, zBlob), 1 },
  };
  int nStep = (int)(sizeof(aStep) / sizeof(aStep[0]));
  /* A reader table beside the workload keeps both databases open, so the
  ** runs share the handles (no engine open per run) and leaks show up. */
  sqlite3 *dbKeep = 0;
  sqlite3_open(":memory:", &dbKeep);
  sqlite3_slatedb_init(dbKeep, 0, 0);
  char *zSql = sqlite3_mprintf("CREATE VIRTUAL TABLE t USING slatedb('%q', mode=reader);"
                               "CREATE VIRTUAL TABLE b USING slatedb('%q', key_type=blob,"
                               " mode=reader)", zText, zBlob);
  int rc = sqlite3_exec(dbKeep, zSql, 0, 0, 0);
  sqlite3_free(zSql);
  CHECKF("read_oom: reader tables kept open", rc == SQLITE_OK, "%s", sqlite3_errmsg(dbKeep));
  CHECK("read_oom: the workload answers without failures", runOnce(aStep, nStep, -1) == 0);
  int nRefs = registryRefs();
  int nRuns = 0, nWrong = 0, nLeak = 0;
  for (bPersist = 0; bPersist <= 1; bPersist++) {
    for (int iFail = 0; iFail < 100000; iFail++) {
      nWrong += runOnce(aStep, nStep, iFail);
      nLeak += registryRefs() != nRefs;
      nRuns++;
      if (!bInjected) break;                    /* the workload needs fewer allocations */
    }
  }
  bPersist = 0;
  printf("# %d runs, each with one failing sqlite3_malloc (or all from there on)\n", nRuns);
  CHECKF("read_oom: every run either answers correctly or fails the statement", nWrong == 0,
         "%d wrong answers", nWrong);
  CHECKF("read_oom: no run leaves a reference in the registry", nLeak == 0 && nRefs == 2,
         "%d runs changed it (%d references before)", nLeak, nRefs);
  sqlite3_close(dbKeep);
  CHECK("read_oom: closing the last table empties the registry", registryRefs() == 0);
  for (int i = 0; i < nStep; i++) sqlite3_free(aStep[i].zSql);
  sqlite3_free(zText);
  sqlite3_free(zBlob);
  return test_done();
}
