/*
** t_vtab_write_diff.c: the seeded random differential test of the write side
** (design/SQL.md §4.8, §4.9, §5.3).
**
** One SQLite database file holds a native table
**     CREATE TABLE ref(key <T> PRIMARY KEY NOT NULL, value <V> NOT NULL) WITHOUT ROWID
** and a slatedb table kv with the same declared types. Random statements run
** on both, with the same text but for the table name: INSERT, INSERT OR
** REPLACE, OR IGNORE (multi-row, with duplicates and NULLs), UPDATE of the
** value (one key, a range, json_set), UPDATE [OR REPLACE] of the key, DELETE
** of one key and of ranges, INSERT ... SELECT from the table itself, inside
** BEGIN..COMMIT, BEGIN..ROLLBACK and SAVEPOINT..ROLLBACK TO..RELEASE (with and
** without BEGIN). Both must succeed, or fail with the same extended error
** code and message (up to the table name). After every statement, inside
** transactions too (read-your-writes), the full contents and random SELECTs
** (key =, ranges, ORDER BY DESC, LIMIT) must be equal. Between batches the
** connection is closed and opened again (the slatedb handle closes: reopen
** replays the WAL and reads the L0 SSTs), and now and then 'flush' or
** 'flush-memtable' runs on kv.
**
** Configurations: key_type text, int64 and blob, durability commit and async,
** l0_sst_size_bytes=2048 so that L0 flushes happen all the time.
**
** Environment: SDB_SEED (default 20250301), SDB_WDIFF_STEPS (statements per
** configuration, default 1000), SDB_WDIFF_SHOWERR=1 (print the statements that
** failed alike on both tables), TMPDIR.
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
#include <inttypes.h>
#include <stdio.h>
#include <unistd.h>

#include "test.h"

/* One configuration of the run. */
typedef struct Config {
  const char *zName;      /* for PASS/FAIL lines */
  int eKeyType;           /* SDB_KEY_* */
  const char *zKeyDecl;   /* native declared type of key */
  int bBlobVal;           /* value_type=blob (values are blobs) */
  const char *zDurability;
} Config;

static const Config aConfig[] = {
  { "text-commit", SDB_KEY_TEXT, "TEXT", 0, "commit" },
  { "int64-async", SDB_KEY_INT64, "INTEGER", 0, "async" },
  { "blob-commit", SDB_KEY_BLOB, "BLOB", 1, "commit" },
  { "text-async", SDB_KEY_TEXT, "TEXT", 0, "async" },
};

/* The state of one configuration's run. */
typedef struct Run {
  const Config *pCfg;
  sqlite3 *db;
  char zDir[512];         /* scratch directory */
  int nDiff;              /* differences found */
  int nStmt;              /* statements compared (writes and reads) */
  int nWrite;             /* random writes run */
  int nErr;               /* statements that failed (alike) on both */
  i64 nL0, nWal;          /* L0 flushes and WAL writes of closed handles */
} Run;

static uint64_t rngState = 1;

/* xorshift64*. */
static uint64_t rngNext(void) {
  rngState ^= rngState >> 12;
  rngState ^= rngState << 25;
  rngState ^= rngState >> 27;
  return rngState * 0x2545F4914F6CDD1DULL;
}

/* A random number in [0, n). */
static int rnd(int n) {
  return (int)(rngNext() % (uint64_t)n);
}

/* ------------------------------------------------------------ literals */

/* A random key literal of the configuration's type (sqlite3_malloc'd). */
static char *keyLit(const Run *r) {
  static const char *const azText[] = {
    "a", "ab", "abc", "b", "b\xc3\xa9", "k1", "k10", "k2", "k20", "user:1", "user:10", "user:2",
    "z", "zz", "007", "10", "9", "~", "A", "a b"
  };
  static const char *const azBlobByte[] = { "00", "01", "7f", "80", "ff" };
  switch (r->pCfg->eKeyType) {
    case SDB_KEY_TEXT:
      if (rnd(8) == 0) return sqlite3_mprintf("%d", rnd(12));          /* number -> text */
      return sqlite3_mprintf("'%q%s'", azText[rnd(20)], rnd(3) ? "" : "x");
    case SDB_KEY_INT64:
      if (rnd(20) == 0) return sqlite3_mprintf("%s", rnd(2) ? "9223372036854775807" : "(-9223372036854775807 - 1)");
      return sqlite3_mprintf("%d", rnd(41) - 20);
    default: {
      char z[16] = "";
      int n = 1 + rnd(3);
      for (int i = 0; i < n; i++) strcat(z, azBlobByte[rnd(5)]);
      return sqlite3_mprintf("x'%s'", z);
    }
  }
}

/* A random value literal (now and then NULL or empty). */
static char *valLit(const Run *r) {
  int x = rnd(40);
  if (x == 0) return sqlite3_mprintf("NULL");
  if (r->pCfg->bBlobVal) {
    return x == 1 ? sqlite3_mprintf("x''") : sqlite3_mprintf("x'%02x%04x'", rnd(256), rnd(65536));
  }
  if (x == 1) return sqlite3_mprintf("''");
  if (x == 2) return sqlite3_mprintf("%d", rnd(1000));
  if (x == 3) return sqlite3_mprintf("'{\"n\":%d}'", rnd(100));
  return sqlite3_mprintf("'v%d'", rnd(100000));
}

/* An expression deriving a new key from column key (INSERT ... SELECT). */
static const char *keyShift(const Run *r) {
  switch (r->pCfg->eKeyType) {
    case SDB_KEY_TEXT:  return "key || 's'";
    case SDB_KEY_INT64: return "key % 1000 + 7";
    default:            return "CAST(key || x'42' AS BLOB)";
  }
}

/* An expression changing the value column. */
static const char *valChange(const Run *r) {
  if (r->pCfg->bBlobVal) return "CAST(value || x'2b' AS BLOB)";
  return rnd(2) ? "value || '+'"
                : "json_set(CASE WHEN json_valid(value) THEN value ELSE '{}' END, '$.n', 5)";
}

/* ------------------------------------------------------------ statements */

/* Ordered bounds lo <= hi as literals (both sqlite3_malloc'd). */
static void keyRange(const Run *r, sqlite3 *db, char **pzLo, char **pzHi) {
  char *a = keyLit(r), *b = keyLit(r);
  char *zSql = sqlite3_mprintf("SELECT CAST(%s AS %s) <= CAST(%s AS %s)", a, r->pCfg->zKeyDecl, b,
                               r->pCfg->zKeyDecl);
  sqlite3_stmt *p = 0;
  int bLe = 1;
  if (sqlite3_prepare_v2(db, zSql, -1, &p, 0) == SQLITE_OK && sqlite3_step(p) == SQLITE_ROW) {
    bLe = sqlite3_column_int(p, 0);
  }
  sqlite3_finalize(p);
  sqlite3_free(zSql);
  *pzLo = bLe ? a : b;
  *pzHi = bLe ? b : a;
}

/* A random writing statement with "@T" for the table name (sqlite3_malloc'd). */
static char *randomWrite(const Run *r) {
  char *k = keyLit(r), *k2 = keyLit(r), *v = valLit(r), *v2 = valLit(r), *lo = 0, *hi = 0;
  char *z = 0;
  int x = rnd(100);
  if (x < 20) {
    z = sqlite3_mprintf("INSERT INTO @T VALUES(%s, %s)", k, v);
  } else if (x < 30) {
    z = sqlite3_mprintf("INSERT OR REPLACE INTO @T VALUES(%s, %s)", k, v);
  } else if (x < 37) {
    z = sqlite3_mprintf("INSERT OR IGNORE INTO @T VALUES(%s, %s), (%s, %s)", k, v, k2, v2);
  } else if (x < 43) {
    z = sqlite3_mprintf("INSERT INTO @T VALUES(%s, %s), (%s, %s)", k, v, k2, v2);
  } else if (x < 53) {
    z = sqlite3_mprintf("UPDATE @T SET value = %s WHERE key = %s", v, k);
  } else if (x < 58) {
    keyRange(r, r->db, &lo, &hi);
    z = sqlite3_mprintf("UPDATE @T SET value = %s WHERE key BETWEEN %s AND %s", valChange(r), lo, hi);
  } else if (x < 68) {
    z = sqlite3_mprintf("UPDATE @T SET key = %s WHERE key = %s", k2, k);
  } else if (x < 72) {
    z = sqlite3_mprintf("UPDATE OR REPLACE @T SET key = %s WHERE key = %s", k2, k);
  } else if (x < 75) {
    z = sqlite3_mprintf("UPDATE OR IGNORE @T SET key = %s WHERE key = %s", k2, k);
  } else if (x < 85) {
    z = sqlite3_mprintf("DELETE FROM @T WHERE key = %s", k);
  } else if (x < 91) {
    keyRange(r, r->db, &lo, &hi);
    z = sqlite3_mprintf("DELETE FROM @T WHERE key >= %s AND key < %s", lo, hi);
  } else if (x < 96) {
    keyRange(r, r->db, &lo, &hi);
    z = sqlite3_mprintf("INSERT OR IGNORE INTO @T SELECT %s, value FROM @T WHERE key BETWEEN"
                        " %s AND %s", keyShift(r), lo, hi);
  } else {
    z = sqlite3_mprintf("REPLACE INTO @T(key, value) SELECT key, %s FROM @T WHERE key > %s",
                        valChange(r), k);
  }
  sqlite3_free(lo);
  sqlite3_free(hi);
  sqlite3_free(k);
  sqlite3_free(k2);
  sqlite3_free(v);
  sqlite3_free(v2);
  return z;
}

/* A random SELECT with "@T" for the table name (sqlite3_malloc'd). */
static char *randomRead(const Run *r) {
  char *k = keyLit(r), *lo = 0, *hi = 0, *z;
  switch (rnd(4)) {
    case 0:
      z = sqlite3_mprintf("SELECT quote(key), quote(value) FROM @T WHERE key = %s", k);
      break;
    case 1:
      keyRange(r, r->db, &lo, &hi);
      z = sqlite3_mprintf("SELECT quote(key), quote(value) FROM @T WHERE key >= %s AND key <= %s"
                          " ORDER BY key DESC", lo, hi);
      break;
    case 2:
      z = sqlite3_mprintf("SELECT quote(key), quote(value) FROM @T WHERE key > %s ORDER BY key"
                          " LIMIT %d", k, 1 + rnd(4));
      break;
    default:
      z = sqlite3_mprintf("SELECT count(*), sum(length(value)) FROM @T");
      break;
  }
  sqlite3_free(k);
  sqlite3_free(lo);
  sqlite3_free(hi);
  return z;
}

/* ------------------------------------------------------------ running */

/* Append each row of zSql's result as "a|b\n" to *pStr. Returns the rc of
** the statement (the text of an error goes to *pStr too). */
static int collect(sqlite3 *db, const char *zSql, sqlite3_str *pStr) {
  sqlite3_stmt *p = 0;
  int rc = sqlite3_prepare_v2(db, zSql, -1, &p, 0);
  sqlite3_str_appendall(pStr, "result:\n");    /* never empty (finish gives NULL for "") */
  while (rc == SQLITE_OK && sqlite3_step(p) == SQLITE_ROW) {
    for (int i = 0; i < sqlite3_column_count(p); i++) {
      const char *z = (const char *)sqlite3_column_text(p, i);
      sqlite3_str_appendf(pStr, "%s%s", i ? "|" : "", z ? z : "NULL");
    }
    sqlite3_str_appendchar(pStr, 1, '\n');
  }
  if (rc == SQLITE_OK) rc = sqlite3_reset(p);   /* the error of the last step, if any */
  if (rc != SQLITE_OK) sqlite3_str_appendf(pStr, "error %d: %s\n", sqlite3_extended_errcode(db), sqlite3_errmsg(db));
  sqlite3_finalize(p);
  return rc;
}

/* zFmt with every "@T" replaced by zTab (sqlite3_malloc'd). */
static char *withTable(const char *zFmt, const char *zTab) {
  sqlite3_str *p = sqlite3_str_new(0);
  for (const char *q; (q = strstr(zFmt, "@T")) != 0; zFmt = q + 2) {
    sqlite3_str_appendf(p, "%.*s%s", (int)(q - zFmt), zFmt, zTab);
  }
  sqlite3_str_appendall(p, zFmt);
  return sqlite3_str_finish(p);
}

/* A copy of z with "ref." (the native table in error messages) as "kv."
** (sqlite3_malloc'd; NULL for NULL or OOM). */
static char *renameTable(const char *z) {
  if (!z) return 0;
  sqlite3_str *p = sqlite3_str_new(0);
  for (const char *q; (q = strstr(z, "ref.")) != 0; z = q + 4) {
    sqlite3_str_appendf(p, "%.*skv.", (int)(q - z), z);
  }
  sqlite3_str_appendall(p, z);
  return sqlite3_str_finish(p);
}

/* Run zFmt ("@T" = table) on ref and on kv; compare the outcome
** (rows, or error code and message with the table name neutralised). */
static void both(Run *r, const char *zFmt, const char *zWhat) {
  sqlite3_str *a = sqlite3_str_new(0), *b = sqlite3_str_new(0);
  char *zRef = withTable(zFmt, "ref"), *zKv = withTable(zFmt, "kv");
  int rcA = collect(r->db, zRef, a);
  int rcB = collect(r->db, zKv, b);
  char *zA = sqlite3_str_finish(a), *zB = sqlite3_str_finish(b);
  char *zANorm = renameTable(zA);
  int bSame = (rcA == SQLITE_OK) == (rcB == SQLITE_OK) && zANorm && zB && strcmp(zANorm, zB) == 0;
  r->nStmt++;
  if (rcA != SQLITE_OK && bSame) { r->nErr++; if (getenv("SDB_WDIFF_SHOWERR")) printf("ERR %s -> %s", zKv, zB); }
  if (!bSame && r->nDiff++ < 5) {
    printf("  %s %s differs:\n    %s\n    ref: %.600s    kv:  %.600s", r->pCfg->zName, zWhat, zKv,
           zA ? zA : "(oom)", zB ? zB : "(oom)");
  }
  sqlite3_free(zA);
  sqlite3_free(zB);
  sqlite3_free(zANorm);
  sqlite3_free(zRef);
  sqlite3_free(zKv);
}

/* Compare the full contents and two random SELECTs. */
static void compare(Run *r) {
  both(r, "SELECT quote(key), quote(value), typeof(key), typeof(value) FROM @T ORDER BY key",
       "contents");
  for (int i = 0; i < 2; i++) {
    char *z = randomRead(r);
    both(r, z, "select");
    sqlite3_free(z);
  }
}

/* Execute zSql on the connection (transaction control, commands). */
static int run(Run *r, const char *zSql) {
  char *zErr = 0;
  int rc = sqlite3_exec(r->db, zSql, 0, 0, &zErr);
  if (rc != SQLITE_OK && r->nDiff++ < 5) printf("  %s: %s failed: %s\n", r->pCfg->zName, zSql, zErr);
  sqlite3_free(zErr);
  return rc;
}

/* One random write statement on both tables, then compare. */
static void step(Run *r) {
  char *z = randomWrite(r);
  r->nWrite++;
  both(r, z, "statement");
  sqlite3_free(z);
  compare(r);
}

/* SAVEPOINT s1 (inside BEGIN or not) with a nested s2, each rolled back to
** or released at random. */
static void savepoints(Run *r, int nStmt) {
  int bBegin = rnd(2);
  if (bBegin) run(r, "BEGIN");
  if (bBegin && rnd(2)) step(r);
  run(r, "SAVEPOINT s1");
  for (int i = 0; i < nStmt / 2; i++) step(r);
  run(r, "SAVEPOINT s2");
  step(r);
  if (rnd(2)) run(r, "ROLLBACK TO s2");
  run(r, "RELEASE s2");
  compare(r);
  if (rnd(2)) {
    run(r, "ROLLBACK TO s1");
    compare(r);
  }
  for (int i = 0; i < nStmt / 2; i++) step(r);
  run(r, "RELEASE s1");
  if (bBegin) run(r, rnd(4) ? "COMMIT" : "ROLLBACK");
}

/* A batch: autocommit statements, a transaction, or savepoints. */
static void batch(Run *r, int nStmt) {
  int x = rnd(10);
  if (x < 3) {
    for (int i = 0; i < nStmt; i++) step(r);
    return;
  }
  if (x < 6) {
    run(r, "BEGIN");
    for (int i = 0; i < nStmt; i++) step(r);
    run(r, rnd(3) ? "COMMIT" : "ROLLBACK");
  } else {
    savepoints(r, nStmt);
  }
  compare(r);
}

/* ------------------------------------------------------------ setup */

/* Open the database file and register the extension. */
static int openDb(Run *r) {
  char zPath[600];
  snprintf(zPath, sizeof(zPath), "%s/ref.sqlite", r->zDir);
  if (sqlite3_open(zPath, &r->db) != SQLITE_OK) return SQLITE_ERROR;
  return sqlite3_slatedb_init(r->db, 0, 0);
}

/* Create both tables. */
static int createTables(Run *r) {
  const Config *c = r->pCfg;
  char *zSql = sqlite3_mprintf(
      "CREATE TABLE ref(key %s PRIMARY KEY NOT NULL, value %s NOT NULL) WITHOUT ROWID;"
      "CREATE VIRTUAL TABLE kv USING slatedb('%q/db', mode=writer, key_type=%s, value_type=%s,"
      " durability=%s, l0_sst_size_bytes=2048, flush_interval='20ms')",
      c->zKeyDecl, c->bBlobVal ? "BLOB" : "TEXT", r->zDir, sdbExtKeyTypeName(c->eKeyType),
      c->bBlobVal ? "blob" : "text", c->zDurability);
  char *zErr = 0;
  int rc = sqlite3_exec(r->db, zSql, 0, 0, &zErr);
  if (rc != SQLITE_OK) printf("  create: %s\n", zErr);
  sqlite3_free(zErr);
  sqlite3_free(zSql);
  return rc;
}

/* Add the handle's L0 flush and WAL write counters to the run's totals
** (before the connection closes: a reopened handle counts from zero). */
static void addStats(Run *r) {
  sqlite3_stmt *p = 0;
  if (r->db && sqlite3_prepare_v2(r->db, "SELECT l0_flushes, wal_writes FROM slatedb_handles"
                                  " WHERE mode = 'writer'", -1, &p, 0) == SQLITE_OK &&
      sqlite3_step(p) == SQLITE_ROW) {
    r->nL0 += sqlite3_column_int64(p, 0);
    r->nWal += sqlite3_column_int64(p, 1);
  }
  sqlite3_finalize(p);
}

/* nftw callback: remove one entry. */
static int rmEntry(const char *zPath, const struct stat *st, int eFlag, struct FTW *pFtw) {
  return remove(zPath);
}

/* Run one configuration for nSteps statements. */
static void runConfig(const Config *c, uint64_t seed, int nSteps) {
  Run r;
  char zName[128];
  memset(&r, 0, sizeof(r));
  r.pCfg = c;
  rngState = seed ^ (uint64_t)(c - aConfig + 1) * 0x9E3779B97F4A7C15ULL;
  snprintf(r.zDir, sizeof(r.zDir), "%s/sdb-wdiff-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
  snprintf(zName, sizeof(zName), "wdiff %s: setup", c->zName);
  int bOk = mkdtemp(r.zDir) && openDb(&r) == SQLITE_OK && createTables(&r) == SQLITE_OK;
  CHECK(zName, bOk);
  int nReopen = 0, nDone = 0;
  while (bOk && r.nWrite < nSteps && r.nDiff == 0) {
    batch(&r, 1 + rnd(8));
    if (!sqlite3_get_autocommit(r.db)) run(&r, "ROLLBACK");
    if (rnd(6) == 0) run(&r, rnd(2) ? "INSERT INTO kv(kv) VALUES('flush')" : "INSERT INTO kv(kv) VALUES('flush-memtable')");
    if (rnd(5) == 0) {
      addStats(&r);
      sqlite3_close(r.db);
      r.db = 0;
      bOk = openDb(&r) == SQLITE_OK;
      nReopen++;
      compare(&r);
    }
    nDone++;
  }
  addStats(&r);
  snprintf(zName, sizeof(zName), "wdiff %s: %d statements, %d batches, %d reopens equal a native table",
           c->zName, r.nWrite, nDone, nReopen);
  CHECKF(zName, bOk && r.nDiff == 0, "%d differences (seed %" PRIu64 ")", r.nDiff, seed);
  snprintf(zName, sizeof(zName), "wdiff %s: errors compared alike (%d)", c->zName, r.nErr);
  CHECK(zName, r.nErr > 0);
  snprintf(zName, sizeof(zName), "wdiff %s: L0 flushes happened (%lld, %lld WAL writes)", c->zName,
           (long long)r.nL0, (long long)r.nWal);
  CHECK(zName, r.nL0 > 0);
  sqlite3_close(r.db);
  if (r.zDir[0]) nftw(r.zDir, rmEntry, 16, FTW_DEPTH | FTW_PHYS);
}

int main(void) {
  const char *zSeed = getenv("SDB_SEED");
  const char *zSteps = getenv("SDB_WDIFF_STEPS");
  uint64_t seed = zSeed ? strtoull(zSeed, 0, 10) : 20250301;
  int nSteps = zSteps ? atoi(zSteps) : 1000;
  printf("wdiff: seed %" PRIu64 " (SDB_SEED), %d statements per configuration (SDB_WDIFF_STEPS)\n",
         seed, nSteps);
  for (int i = 0; i < (int)(sizeof(aConfig) / sizeof(aConfig[0])); i++) {
    runConfig(&aConfig[i], seed, nSteps);
  }
  return test_done();
}
