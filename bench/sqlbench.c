/*
** sqlbench.c: the SQL side of `make bench` (scripts/bench.sh). One program
** drives both this project (the slatedb virtual table, loaded from slatedb.so
** into libsqlite3, every operation through SQL) and a native SQLite
** `WITHOUT ROWID` table holding the same rows, so the two go through the same
** prepared-statement loop and differ only in the table behind it.
**
**   sqlbench OP --engine slatedb|sqlite --path DIR [options]
**
** OP       load     create DIR and insert --n rows in transactions of --txn
**          commit   --ops durable single-row autocommit INSERTs into a fresh DIR
**          get      --ops random point lookups of existing keys (--warmup first)
**          scan     full scan (key and value of every row read)
**          range    --ops 1000-row range scans ascending, then --ops descending
**                   (each direction after --warmup unmeasured scans)
**          mixed    --ops operations, 90% point lookups, 10% single-row upserts
**          inlist   --ops queries `WHERE key IN (?, ... ?)` of --rows random
**                   existing keys each (slatedb: one batch of parallel reads)
**          round    write round --round R of --rounds K into DIR (R = 0 creates
**                   it): --n/K rows in transactions of --txn; round 0 writes
**                   new keys 0 .. n/K-1, later rounds alternate a new key and an
**                   overwrite of a random existing key (n/2K each), so after
**                   round R the keys are 0 .. n/K + R*(n/2K) - 1. Then the
**                   memtable is flushed and, with --wait-compaction 1, the
**                   writer stays open until its compactor has caught up (fewer
**                   than 4 L0 SSTs, SlateDB's min_compaction_sources, and no
**                   change for 3 s) or 120 s passed ("settle_s")
**          evict    drop DIR's files from the OS page cache (fdatasync +
**                   POSIX_FADV_DONTNEED), for cold runs; no engine involved
**
** options  --n N (rows in the database, 1000000)   --txn N (10000)
**          --ops N   --warmup N (0)   --seed N (1)   --rows N (1000, range size)
**          --cache SIZE   slatedb: cache_size ('64MiB' default); sqlite: PRAGMA
**                         cache_size in bytes (64 MiB default, the same budget)
**          --sync normal|full          sqlite: PRAGMA synchronous (normal)
**          --durability commit|async   slatedb writer (commit)
**          --insert replace|plain      INSERT OR REPLACE (a blind put on
**                                      slatedb, default) or INSERT (checks
**                                      uniqueness with a point read first)
**          --so PATH                   the extension (./slatedb.so)
**          --url URL   slatedb: the database root instead of DIR/db (s3://...);
**                      load and commit then leave DIR alone (use a fresh prefix)
**          --opts STR  slatedb: more CREATE VIRTUAL TABLE options, appended
**                      verbatim ("compactor=false, gc=false")
**          --round R  --rounds K  --wait-compaction 0|1   (round)
**
** Requests: slatedb results carry the handle's counters (slatedb_handles) for
** the whole process (store_gets, store_puts, store_lists, ...) and, for the
** measured phase of get and inlist, m_gets/m_puts/m_lists. With the
** environment variable SDB_BENCH_PROXY=http://host:port (the S3 test proxy,
** scripts/s3/s3proxy.py) the proxy's request counters over the measured phase
** are added too: px_get (GETs, ListObjectsV2 included), px_put, px_other.
**
** Rows: 16-byte keys, 100-byte values, the same bytes as scripts/oracle/bench.mjs
** writes: key(i) = be32(fmix32(i)) be32(fmix32(i ^ 0x9e3779b9)) be32(0) be32(i),
** so keys arrive in random order; value(i) = be32(i) + 96 bytes of a fixed
** pseudo-random pool at offset (i*37) % 4000 (incompressible).
**
** Layout: slatedb: DIR/db is the SlateDB root; sqlite: DIR/native.db (WAL mode).
** After `load`, slatedb writes its memtable as an L0 SST ('flush-memtable')
** and sqlite checkpoints its WAL, timed separately ("settle_s").
**
** Output: one line "RESULT k=v k=v ..." on stdout (times in seconds, latencies
** in microseconds), then "RESULT op=rusage maxrss_kb=N" (the peak RSS of this
** process). Exit status 1 on any SQL error or wrong row count.
*/
#define _GNU_SOURCE
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

typedef uint32_t u32;
typedef uint8_t u8;

/* ------------------------------------------------------------ rows */

static u32 fmix32(u32 h) {
  h ^= h >> 16; h *= 0x85ebca6bu;
  h ^= h >> 13; h *= 0xc2b2ae35u;
  h ^= h >> 16;
  return h;
}

static void be32(u8 *p, u32 v) {
  p[0] = (u8)(v >> 24); p[1] = (u8)(v >> 16); p[2] = (u8)(v >> 8); p[3] = (u8)v;
}

#define KEY_LEN 16
#define VAL_LEN 100
#define POOL_LEN 4096
static u8 aPool[POOL_LEN + VAL_LEN];

static void poolInit(void) {
  for (u32 i = 0; i < sizeof(aPool); i++) aPool[i] = (u8)fmix32(i + 0x1234567u);
}

static void makeKey(u8 *k, u32 i) {
  be32(k, fmix32(i));
  be32(k + 4, fmix32(i ^ 0x9e3779b9u));
  be32(k + 8, 0);
  be32(k + 12, i);
}

static void makeVal(u8 *v, u32 i) {
  be32(v, i);
  memcpy(v + 4, aPool + (size_t)(i * 37u) % 4000u, VAL_LEN - 4);
}

/* xorshift32: the same index sequence as bench.mjs */
static u32 rngState = 1;
static u32 rnd(void) {
  u32 x = rngState;
  x ^= x << 13; x ^= x >> 17; x ^= x << 5;
  return rngState = x;
}

/* ------------------------------------------------------------ timing */

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmpDouble(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* q-quantile (0..1) of a[0..n) after sorting it, nearest-rank */
static double quantile(double *a, int n, double q) {
  if (n <= 0) return 0;
  qsort(a, (size_t)n, sizeof(double), cmpDouble);
  int i = (int)(q * n + 0.999999) - 1;
  if (i < 0) i = 0;
  if (i >= n) i = n - 1;
  return a[i];
}

/* ------------------------------------------------------------ options */

typedef struct Opt {
  const char *zOp, *zEngine, *zPath, *zCache, *zSync, *zDur, *zInsert, *zSo, *zUrl, *zOpts;
  long n, txn, ops, warmup, rows, round, rounds, waitCompaction;
  u32 seed;
} Opt;

static void die(const char *zFmt, const char *zArg) {
  fprintf(stderr, "sqlbench: ");
  fprintf(stderr, zFmt, zArg);
  fprintf(stderr, "\n");
  exit(1);
}

static sqlite3 *db = 0;
static int bSlate = 0;

static void check(int rc, const char *zWhat) {
  if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
    fprintf(stderr, "sqlbench: %s: %s (rc=%d)\n", zWhat, db ? sqlite3_errmsg(db) : "?", rc);
    exit(1);
  }
}

static void exec(const char *zSql) {
  char *zErr = 0;
  if (sqlite3_exec(db, zSql, 0, 0, &zErr) != SQLITE_OK) {
    fprintf(stderr, "sqlbench: %s: %s\n", zSql, zErr ? zErr : "?");
    exit(1);
  }
}

static sqlite3_stmt *prep(const char *zSql) {
  sqlite3_stmt *p = 0;
  int rc = sqlite3_prepare_v2(db, zSql, -1, &p, 0);
  if (rc != SQLITE_OK) {
    fprintf(stderr, "sqlbench: prepare %s: %s\n", zSql, sqlite3_errmsg(db));
    exit(1);
  }
  return p;
}

/* Parse "123", "4MiB", "64KiB" into bytes. */
static long long parseSize(const char *z) {
  char *zEnd = 0;
  long long v = strtoll(z, &zEnd, 10);
  if (!strcmp(zEnd, "KiB")) v <<= 10;
  else if (!strcmp(zEnd, "MiB")) v <<= 20;
  else if (!strcmp(zEnd, "GiB")) v <<= 30;
  else if (*zEnd && strcmp(zEnd, "B")) die("bad size %s", z);
  return v;
}

/* Open the engine on o->zPath. mode: "writer" or "reader" (slatedb). */
static void openEngine(const Opt *o, const char *zMode, int bCreate) {
  char zSql[4096], zRoot[1024];
  if (bSlate) {
    if (o->zUrl) snprintf(zRoot, sizeof zRoot, "%s", o->zUrl);
    else snprintf(zRoot, sizeof zRoot, "%s/db", o->zPath);
    const char *zX = o->zOpts && o->zOpts[0] ? o->zOpts : 0;
    check(sqlite3_open(":memory:", &db), "open :memory:");
    sqlite3_enable_load_extension(db, 1);
    char *zErr = 0;
    if (sqlite3_load_extension(db, o->zSo, 0, &zErr) != SQLITE_OK) {
      fprintf(stderr, "sqlbench: load %s: %s\n", o->zSo, zErr ? zErr : "?");
      exit(1);
    }
    if (!strcmp(zMode, "reader")) {
      snprintf(zSql, sizeof zSql,
               "CREATE VIRTUAL TABLE temp.kv USING slatedb('%s', key_type=blob, value_type=blob,"
               " mode=reader, cache_size='%s'%s%s)", zRoot, o->zCache, zX ? ", " : "", zX ? zX : "");
    } else {
      snprintf(zSql, sizeof zSql,
               "CREATE VIRTUAL TABLE temp.kv USING slatedb('%s', key_type=blob, value_type=blob,"
               " mode=writer, durability=%s, cache_size='%s', create=%s%s%s)",
               zRoot, o->zDur, o->zCache, bCreate ? "if_missing" : "never", zX ? ", " : "", zX ? zX : "");
    }
    exec(zSql);
  } else {
    snprintf(zSql, sizeof zSql, "%s/native.db", o->zPath);
    check(sqlite3_open_v2(zSql, &db, SQLITE_OPEN_READWRITE | (bCreate ? SQLITE_OPEN_CREATE : 0), 0), zSql);
    exec("PRAGMA journal_mode=WAL");
    snprintf(zSql, sizeof zSql, "PRAGMA synchronous=%s; PRAGMA cache_size=-%lld",
             o->zSync, parseSize(o->zCache) / 1024);
    exec(zSql);
    if (bCreate) exec("CREATE TABLE IF NOT EXISTS kv(key BLOB PRIMARY KEY, value BLOB) WITHOUT ROWID");
  }
}

/* slatedb: the handle's request and cache counters and its LSM shape. */
typedef struct Stats {
  long long gets, puts, lists, bytesIn, hits, misses, cacheBytes, filterSkips, l0, runs, compactions;
} Stats;
static Stats getStats(void) {
  Stats st = { 0 };
  if (!bSlate) return st;
  sqlite3_stmt *p = prep("SELECT gets, puts, lists, bytes_in, cache_hits, cache_misses, cache_bytes,"
                         " filter_skips, l0_ssts, sorted_runs, compactions FROM slatedb_handles");
  if (sqlite3_step(p) == SQLITE_ROW) {
    long long *a[] = { &st.gets, &st.puts, &st.lists, &st.bytesIn, &st.hits, &st.misses, &st.cacheBytes,
                       &st.filterSkips, &st.l0, &st.runs, &st.compactions };
    for (int i = 0; i < 11; i++) *a[i] = sqlite3_column_int64(p, i);
  }
  sqlite3_finalize(p);
  return st;
}

/* " k=v" pairs of the handle's counters for the whole process (else ""). */
static char zStats[1024];
static void readStats(void) {
  zStats[0] = 0;
  if (!bSlate) return;
  Stats st = getStats();
  snprintf(zStats, sizeof zStats,
           " store_gets=%lld store_puts=%lld store_lists=%lld store_bytes_in=%lld cache_hits=%lld"
           " cache_misses=%lld cache_bytes=%lld filter_skips=%lld l0_ssts=%lld sorted_runs=%lld compactions=%lld",
           st.gets, st.puts, st.lists, st.bytesIn, st.hits, st.misses, st.cacheBytes, st.filterSkips,
           st.l0, st.runs, st.compactions);
}

/* The S3 test proxy's counters (SDB_BENCH_PROXY), or all -1 without it. */
typedef struct Px { long long get, put, other; } Px;
static long long jsonCount(const char *zJson, const char *zKey) {
  char zPat[64];
  snprintf(zPat, sizeof zPat, "\"%s\":", zKey);
  const char *z = strstr(zJson, zPat);
  return z ? atoll(z + strlen(zPat)) : 0;
}
static Px proxyStats(void) {
  Px px = { -1, -1, -1 };
  const char *zUrl = getenv("SDB_BENCH_PROXY");
  if (!zUrl || !zUrl[0]) return px;
  char zCmd[1024], zBuf[4096];
  snprintf(zCmd, sizeof zCmd, "curl --noproxy '*' -sS --max-time 10 '%s/__proxy/stats'", zUrl);
  FILE *f = popen(zCmd, "r");
  if (!f) return px;
  size_t n = fread(zBuf, 1, sizeof zBuf - 1, f);
  zBuf[n] = 0;
  pclose(f);
  const char *zM = strstr(zBuf, "\"by_method\"");
  if (!zM) return px;
  long long all = jsonCount(zBuf, "requests");
  px.get = jsonCount(zM, "GET");
  px.put = jsonCount(zM, "PUT");
  px.other = all - px.get - px.put;
  return px;
}

/* " m_gets=.. px_get=.." for the measured phase between two snapshots. */
static char zPhase[512];
static void phaseStats(const Stats *a, const Stats *b, const Px *pa, const Px *pb) {
  int n = 0;
  zPhase[0] = 0;
  if (bSlate) {
    n += snprintf(zPhase + n, sizeof zPhase - (size_t)n, " m_gets=%lld m_puts=%lld m_lists=%lld",
                  b->gets - a->gets, b->puts - a->puts, b->lists - a->lists);
  }
  if (pa->get >= 0 && pb->get >= 0) {
    snprintf(zPhase + n, sizeof zPhase - (size_t)n, " px_get=%lld px_put=%lld px_other=%lld",
             pb->get - pa->get, pb->put - pa->put, pb->other - pa->other);
  }
}

static void closeEngine(void) {
  if (db) check(sqlite3_close(db), "close");
  db = 0;
}

static const char *insertSql(const Opt *o) {
  return !strcmp(o->zInsert, "plain") ? "INSERT INTO kv(key, value) VALUES(?1, ?2)"
                                       : "INSERT OR REPLACE INTO kv(key, value) VALUES(?1, ?2)";
}

/* ------------------------------------------------------------ evict */

static int evictOne(const char *zPath, const struct stat *st, int type, struct FTW *f) {
  if (type != FTW_F) return 0;
  int fd = open(zPath, O_RDONLY);
  if (fd < 0) return 0;
  fdatasync(fd);
  posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
  close(fd);
  return 0;
}

/* ------------------------------------------------------------ operations */

/* A fresh local folder for load and commit (not with --url: a fresh prefix). */
static void freshDir(const Opt *o) {
  if (bSlate && o->zUrl) return;
  char zCmd[4096];
  snprintf(zCmd, sizeof zCmd, "rm -rf '%s' && mkdir -p '%s'", o->zPath, o->zPath);
  if (system(zCmd) != 0) die("cannot create %s", o->zPath);
}

static void opLoad(const Opt *o) {
  freshDir(o);
  double t0 = now();
  openEngine(o, "writer", 1);
  double tOpen = now() - t0;
  sqlite3_stmt *pIns = prep(insertSql(o));
  u8 k[KEY_LEN], v[VAL_LEN];
  double t1 = now();
  for (long i = 0; i < o->n; i++) {
    if (i % o->txn == 0) exec("BEGIN");
    makeKey(k, (u32)i);
    makeVal(v, (u32)i);
    sqlite3_bind_blob(pIns, 1, k, KEY_LEN, SQLITE_STATIC);
    sqlite3_bind_blob(pIns, 2, v, VAL_LEN, SQLITE_STATIC);
    check(sqlite3_step(pIns), "insert");
    sqlite3_reset(pIns);
    if (i % o->txn == o->txn - 1 || i == o->n - 1) exec("COMMIT");
  }
  double tLoad = now() - t1;
  sqlite3_finalize(pIns);
  double t2 = now();
  if (bSlate) exec("INSERT INTO kv(kv) VALUES('flush-memtable')");
  else exec("PRAGMA wal_checkpoint(TRUNCATE)");
  readStats();
  closeEngine();
  double tSettle = now() - t2;
  printf("RESULT op=load rows=%ld txn=%ld open_s=%.4f load_s=%.4f rows_per_s=%.0f settle_s=%.4f%s\n",
         o->n, o->txn, tOpen, tLoad, (double)o->n / tLoad, tSettle, zStats);
}

static void opCommit(const Opt *o) {
  freshDir(o);
  openEngine(o, "writer", 1);
  sqlite3_stmt *pIns = prep(insertSql(o));
  u8 k[KEY_LEN], v[VAL_LEN];
  double *a = malloc(sizeof(double) * (size_t)o->ops);
  double tAll = now();
  for (long i = 0; i < o->ops; i++) {
    makeKey(k, (u32)i);
    makeVal(v, (u32)i);
    double t = now();
    sqlite3_bind_blob(pIns, 1, k, KEY_LEN, SQLITE_STATIC);
    sqlite3_bind_blob(pIns, 2, v, VAL_LEN, SQLITE_STATIC);
    check(sqlite3_step(pIns), "insert");
    sqlite3_reset(pIns);
    a[i] = (now() - t) * 1e6;
  }
  tAll = now() - tAll;
  sqlite3_finalize(pIns);
  readStats();
  closeEngine();
  double mean = tAll * 1e6 / (double)o->ops;
  double p50 = quantile(a, (int)o->ops, 0.50), p99 = quantile(a, (int)o->ops, 0.99);
  printf("RESULT op=commit commits=%ld p50_us=%.1f p99_us=%.1f mean_us=%.1f max_us=%.1f%s\n",
         o->ops, p50, p99, mean, a[o->ops - 1], zStats);
  free(a);
}

static void opGet(const Opt *o) {
  double t0 = now();
  openEngine(o, "reader", 0);
  double tOpen = now() - t0;
  sqlite3_stmt *pGet = prep("SELECT value FROM kv WHERE key = ?1");
  u8 k[KEY_LEN];
  rngState = o->seed;
  long found = 0;
  for (long i = 0; i < o->warmup; i++) {
    makeKey(k, rnd() % (u32)o->n);
    sqlite3_bind_blob(pGet, 1, k, KEY_LEN, SQLITE_STATIC);
    if (sqlite3_step(pGet) == SQLITE_ROW) found++;
    check(sqlite3_reset(pGet), "get");
  }
  if (found != o->warmup) die("warm-up: %s keys missing", "some");
  double *a = malloc(sizeof(double) * (size_t)o->ops);
  found = 0;
  size_t nBytes = 0;
  Stats s0 = getStats();
  Px p0 = proxyStats();
  double tFirst = 0;
  double tAll = now();
  for (long i = 0; i < o->ops; i++) {
    double t = now();
    makeKey(k, rnd() % (u32)o->n);
    sqlite3_bind_blob(pGet, 1, k, KEY_LEN, SQLITE_STATIC);
    if (sqlite3_step(pGet) == SQLITE_ROW) {
      found++;
      nBytes += (size_t)sqlite3_column_bytes(pGet, 0);
      (void)sqlite3_column_blob(pGet, 0);
    }
    check(sqlite3_reset(pGet), "get");
    a[i] = (now() - t) * 1e6;
    if (i == 0) tFirst = a[0];
  }
  tAll = now() - tAll;
  Px p1 = proxyStats();
  Stats s1 = getStats();
  phaseStats(&s0, &s1, &p0, &p1);
  if (found != o->ops) die("lookups: %s keys missing", "some");
  if (nBytes != (size_t)o->ops * VAL_LEN) die("lookups: %s", "wrong value sizes");
  sqlite3_finalize(pGet);
  readStats();
  closeEngine();
  printf("RESULT op=get lookups=%ld warmup=%ld open_s=%.4f total_s=%.4f ops_per_s=%.0f mean_us=%.2f p50_us=%.2f"
         " p99_us=%.2f first_us=%.1f%s%s\n",
         o->ops, o->warmup, tOpen, tAll, (double)o->ops / tAll, tAll * 1e6 / (double)o->ops,
         quantile(a, (int)o->ops, 0.5), quantile(a, (int)o->ops, 0.99), tFirst, zPhase, zStats);
  free(a);
}

static void opScan(const Opt *o) {
  double t0 = now();
  openEngine(o, "reader", 0);
  double tOpen = now() - t0;
  sqlite3_stmt *p = prep("SELECT key, value FROM kv");
  long nRow = 0;
  unsigned long long sum = 0;
  double t = now();
  while (sqlite3_step(p) == SQLITE_ROW) {
    const u8 *k = sqlite3_column_blob(p, 0);
    const u8 *v = sqlite3_column_blob(p, 1);
    int nk = sqlite3_column_bytes(p, 0), nv = sqlite3_column_bytes(p, 1);
    if (nk != KEY_LEN || nv != VAL_LEN) die("scan: %s", "wrong row size");
    sum += k[15] + v[99];
    nRow++;
  }
  check(sqlite3_reset(p), "scan");
  t = now() - t;
  sqlite3_finalize(p);
  readStats();
  closeEngine();
  if (nRow != o->n) {
    fprintf(stderr, "sqlbench: scan returned %ld rows, expected %ld\n", nRow, o->n);
    exit(1);
  }
  printf("RESULT op=scan rows=%ld open_s=%.4f scan_s=%.4f rows_per_s=%.0f check=%llu%s\n",
         nRow, tOpen, t, (double)nRow / t, sum, zStats);
}

/* A random start key whose first word keeps >= o->rows keys on the scanned side. */
static void rangeStart(u8 *k, int bDesc) {
  u32 hi = rnd();
  /* keep away from the ends: 1/16 of the key space either side */
  hi = 0x10000000u + (u32)((unsigned long long)hi * 0xE0000000ull >> 32);
  be32(k, hi);
  be32(k + 4, rnd());
  be32(k + 8, rnd());
  be32(k + 12, rnd());
  (void)bDesc;
}

static void opRange(const Opt *o) {
  openEngine(o, "reader", 0);
  sqlite3_stmt *ap[2] = {
    prep("SELECT key, value FROM kv WHERE key >= ?1 ORDER BY key LIMIT ?2"),
    prep("SELECT key, value FROM kv WHERE key <= ?1 ORDER BY key DESC LIMIT ?2"),
  };
  double res[2][3];
  double *a = malloc(sizeof(double) * (size_t)o->ops);
  for (int d = 0; d < 2; d++) {
    rngState = o->seed + (u32)d;
    sqlite3_stmt *p = ap[d];
    u8 k[KEY_LEN];
    long nTotal = 0;
    double tAll = 0;
    /* --warmup unmeasured scans in this direction first */
    for (long i = -o->warmup; i < o->ops; i++) {
      if (i == 0) { tAll = now(); nTotal = 0; }
      double t = now();
      rangeStart(k, d);
      sqlite3_bind_blob(p, 1, k, KEY_LEN, SQLITE_STATIC);
      sqlite3_bind_int64(p, 2, o->rows);
      long nRow = 0;
      u8 prev[KEY_LEN];
      while (sqlite3_step(p) == SQLITE_ROW) {
        const u8 *kk = sqlite3_column_blob(p, 0);
        (void)sqlite3_column_blob(p, 1);
        if (sqlite3_column_bytes(p, 1) != VAL_LEN) die("range: %s", "wrong value size");
        if (nRow > 0) {
          int c = memcmp(prev, kk, KEY_LEN);
          if (d == 0 ? c >= 0 : c <= 0) die("range: %s", "keys out of order");
        }
        memcpy(prev, kk, KEY_LEN);
        nRow++;
      }
      check(sqlite3_reset(p), "range");
      /* The start key keeps N/16 keys on the scanned side: for N >= 64 x rows a
      ** short scan is a bug; smaller databases may run out of rows. */
      if (nRow == 0 || (nRow != o->rows && o->n >= 64 * o->rows)) {
        fprintf(stderr, "sqlbench: range scan returned %ld rows, expected %ld\n", nRow, o->rows);
        exit(1);
      }
      nTotal += nRow;
      if (i >= 0) a[i] = (now() - t) * 1e6;
    }
    tAll = now() - tAll;
    res[d][0] = (double)nTotal / tAll;
    res[d][1] = quantile(a, (int)o->ops, 0.5);
    res[d][2] = quantile(a, (int)o->ops, 0.99);
  }
  sqlite3_finalize(ap[0]);
  sqlite3_finalize(ap[1]);
  readStats();
  closeEngine();
  free(a);
  printf("RESULT op=range scans=%ld rows=%ld asc_rows_per_s=%.0f asc_p50_us=%.1f asc_p99_us=%.1f"
         " desc_rows_per_s=%.0f desc_p50_us=%.1f desc_p99_us=%.1f%s\n",
         o->ops, o->rows, res[0][0], res[0][1], res[0][2], res[1][0], res[1][1], res[1][2], zStats);
}

/* --ops queries, each `key IN (...)` of --rows random existing keys. */
static void opInlist(const Opt *o) {
  double t0 = now();
  openEngine(o, "reader", 0);
  double tOpen = now() - t0;
  size_t nSql = 64 + 4 * (size_t)o->rows;
  char *zSql = malloc(nSql);
  int n = snprintf(zSql, nSql, "SELECT key, value FROM kv WHERE key IN (");
  for (long i = 0; i < o->rows; i++) n += snprintf(zSql + n, nSql - (size_t)n, i ? ",?" : "?");
  snprintf(zSql + n, nSql - (size_t)n, ")");
  sqlite3_stmt *p = prep(zSql);
  free(zSql);
  u8 *aKey = malloc((size_t)KEY_LEN * (size_t)o->rows);
  double *a = malloc(sizeof(double) * (size_t)o->ops);
  rngState = o->seed;
  Stats s0 = getStats();
  Px p0 = proxyStats();
  double tAll = now();
  for (long q = 0; q < o->ops; q++) {
    double t = now();
    for (long i = 0; i < o->rows; i++) {
      makeKey(aKey + i * KEY_LEN, rnd() % (u32)o->n);
      sqlite3_bind_blob(p, (int)i + 1, aKey + i * KEY_LEN, KEY_LEN, SQLITE_STATIC);
    }
    long nRow = 0;
    while (sqlite3_step(p) == SQLITE_ROW) {
      if (sqlite3_column_bytes(p, 1) != VAL_LEN) die("inlist: %s", "wrong value size");
      nRow++;
    }
    check(sqlite3_reset(p), "inlist");
    /* duplicates among the random keys are returned once */
    if (nRow == 0 || nRow > o->rows) die("inlist: %s", "wrong row count");
    a[q] = (now() - t) * 1e6;
  }
  tAll = now() - tAll;
  Px p1 = proxyStats();
  Stats s1 = getStats();
  phaseStats(&s0, &s1, &p0, &p1);
  sqlite3_finalize(p);
  readStats();
  closeEngine();
  double first = a[0];
  printf("RESULT op=inlist queries=%ld keys=%ld open_s=%.4f total_s=%.4f mean_us=%.1f p50_us=%.1f first_us=%.1f"
         " keys_per_s=%.0f%s%s\n",
         o->ops, o->rows, tOpen, tAll, tAll * 1e6 / (double)o->ops, quantile(a, (int)o->ops, 0.5), first,
         (double)(o->ops * o->rows) / tAll, zPhase, zStats);
  free(a);
  free(aKey);
}

/* One write round of the compaction workload (see the header). */
static void opRound(const Opt *o) {
  long per = o->n / o->rounds, half = per / 2;
  if (o->round == 0) freshDir(o);
  double t0 = now();
  openEngine(o, "writer", o->round == 0);
  sqlite3_stmt *pIns = prep("INSERT OR REPLACE INTO kv(key, value) VALUES(?1, ?2)");
  u8 k[KEY_LEN], v[VAL_LEN];
  long base = o->round == 0 ? 0 : per + (o->round - 1) * half;   /* keys before this round */
  long nNew = 0, nOver = 0;
  rngState = o->seed + (u32)o->round * 7919u;
  double t1 = now();
  for (long i = 0; i < per; i++) {
    u32 idx;
    if (o->round == 0 || i % 2 == 0) idx = (u32)(base + nNew++);
    else { idx = rnd() % (u32)base; nOver++; }
    if (i % o->txn == 0) exec("BEGIN");
    makeKey(k, idx);
    makeVal(v, idx + (u32)o->round * (u32)o->n);
    sqlite3_bind_blob(pIns, 1, k, KEY_LEN, SQLITE_STATIC);
    sqlite3_bind_blob(pIns, 2, v, VAL_LEN, SQLITE_STATIC);
    check(sqlite3_step(pIns), "insert");
    sqlite3_reset(pIns);
    if (i % o->txn == o->txn - 1 || i == per - 1) exec("COMMIT");
  }
  double tWrite = now() - t1;
  sqlite3_finalize(pIns);
  double t2 = now();
  if (bSlate) exec("INSERT INTO kv(kv) VALUES('flush-memtable')");
  else exec("PRAGMA wal_checkpoint(TRUNCATE)");
  if (bSlate && o->waitCompaction) {
    /* until fewer than 4 L0s and nothing changed for 3 s, at most 120 s */
    Stats last = getStats();
    double tStable = now();
    while (now() - t2 < 120) {
      struct timespec ts = { 0, 200 * 1000 * 1000 };
      nanosleep(&ts, 0);
      Stats st = getStats();
      if (st.l0 != last.l0 || st.runs != last.runs || st.compactions != last.compactions) tStable = now();
      last = st;
      if (st.l0 < 4 && now() - tStable >= 3) break;
    }
  }
  double tSettle = now() - t2;
  readStats();
  closeEngine();
  long keys = base + nNew;
  printf("RESULT op=round round=%ld rows=%ld new=%ld overwrites=%ld keys=%ld open_s=%.4f write_s=%.4f"
         " rows_per_s=%.0f settle_s=%.3f total_s=%.3f%s\n",
         o->round, per, nNew, nOver, keys, t1 - t0, tWrite, (double)per / tWrite, tSettle, now() - t0, zStats);
}

static void opMixed(const Opt *o) {
  openEngine(o, "writer", 0);
  sqlite3_stmt *pGet = prep("SELECT value FROM kv WHERE key = ?1");
  sqlite3_stmt *pPut = prep("INSERT OR REPLACE INTO kv(key, value) VALUES(?1, ?2)");
  u8 k[KEY_LEN], v[VAL_LEN];
  rngState = o->seed;
  double *aR = malloc(sizeof(double) * (size_t)o->ops);
  double *aW = malloc(sizeof(double) * (size_t)o->ops);
  int nR = 0, nW = 0;
  long found = 0;
  double tAll = now();
  for (long i = 0; i < o->ops; i++) {
    double t = now();
    u32 r = rnd();
    u32 idx = rnd() % (u32)o->n;
    makeKey(k, idx);
    if (r % 10 == 0) {
      makeVal(v, idx + (u32)o->n);
      sqlite3_bind_blob(pPut, 1, k, KEY_LEN, SQLITE_STATIC);
      sqlite3_bind_blob(pPut, 2, v, VAL_LEN, SQLITE_STATIC);
      check(sqlite3_step(pPut), "put");
      sqlite3_reset(pPut);
      aW[nW++] = (now() - t) * 1e6;
    } else {
      sqlite3_bind_blob(pGet, 1, k, KEY_LEN, SQLITE_STATIC);
      if (sqlite3_step(pGet) == SQLITE_ROW) {
        (void)sqlite3_column_blob(pGet, 0);
        found++;
      }
      check(sqlite3_reset(pGet), "get");
      aR[nR++] = (now() - t) * 1e6;
    }
  }
  tAll = now() - tAll;
  if (found != nR) die("mixed: %s keys missing", "some");
  sqlite3_finalize(pGet);
  sqlite3_finalize(pPut);
  double tClose = now();
  readStats();
  closeEngine();
  tClose = now() - tClose;
  printf("RESULT op=mixed ops=%ld reads=%d writes=%d total_s=%.4f ops_per_s=%.0f read_p50_us=%.2f"
         " read_p99_us=%.2f write_p50_us=%.2f write_p99_us=%.2f close_s=%.4f%s\n",
         o->ops, nR, nW, tAll, (double)o->ops / tAll, quantile(aR, nR, 0.5), quantile(aR, nR, 0.99),
         quantile(aW, nW, 0.5), quantile(aW, nW, 0.99), tClose, zStats);
  free(aR);
  free(aW);
}

int main(int argc, char **argv) {
  Opt o = { 0 };
  o.zCache = "64MiB"; o.zSync = "normal"; o.zDur = "commit"; o.zInsert = "replace";
  o.zSo = "./slatedb.so"; o.n = 1000000; o.txn = 10000; o.ops = 1000; o.rows = 1000;
  o.seed = 1; o.rounds = 5;
  if (argc < 2) die("usage: sqlbench %s --engine slatedb|sqlite --path DIR [options]", "OP");
  o.zOp = argv[1];
  for (int i = 2; i < argc; i++) {
    const char *a = argv[i];
    if (i + 1 >= argc) die("%s needs a value", a);
    const char *v = argv[++i];
    if (!strcmp(a, "--engine")) o.zEngine = v;
    else if (!strcmp(a, "--path")) o.zPath = v;
    else if (!strcmp(a, "--cache")) o.zCache = v;
    else if (!strcmp(a, "--sync")) o.zSync = v;
    else if (!strcmp(a, "--durability")) o.zDur = v;
    else if (!strcmp(a, "--insert")) o.zInsert = v;
    else if (!strcmp(a, "--so")) o.zSo = v;
    else if (!strcmp(a, "--url")) o.zUrl = v;
    else if (!strcmp(a, "--opts")) o.zOpts = v;
    else if (!strcmp(a, "--round")) o.round = atol(v);
    else if (!strcmp(a, "--rounds")) o.rounds = atol(v);
    else if (!strcmp(a, "--wait-compaction")) o.waitCompaction = atol(v);
    else if (!strcmp(a, "--n")) o.n = atol(v);
    else if (!strcmp(a, "--txn")) o.txn = atol(v);
    else if (!strcmp(a, "--ops")) o.ops = atol(v);
    else if (!strcmp(a, "--warmup")) o.warmup = atol(v);
    else if (!strcmp(a, "--rows")) o.rows = atol(v);
    else if (!strcmp(a, "--seed")) o.seed = (u32)atol(v);
    else die("unknown option %s", a);
  }
  if (!o.zPath && !o.zUrl) die("%s", "--path is required");
  if (!o.zPath) o.zPath = ".";
  if (o.rounds <= 0 || o.round < 0 || o.round >= o.rounds) die("%s", "--round must be in 0 .. --rounds - 1");
  if (!o.seed) o.seed = 1;
  if (o.n <= 0 || o.txn <= 0 || o.ops <= 0) die("%s", "--n, --txn and --ops must be > 0");
  if (!strcmp(o.zOp, "evict")) {
    nftw(o.zPath, evictOne, 16, FTW_PHYS);
    return 0;
  }
  if (!o.zEngine) die("%s", "--engine is required");
  if (!strcmp(o.zEngine, "slatedb")) bSlate = 1;
  else if (strcmp(o.zEngine, "sqlite")) die("unknown engine %s", o.zEngine);
  poolInit();
  if (!strcmp(o.zOp, "load")) opLoad(&o);
  else if (!strcmp(o.zOp, "commit")) opCommit(&o);
  else if (!strcmp(o.zOp, "get")) opGet(&o);
  else if (!strcmp(o.zOp, "scan")) opScan(&o);
  else if (!strcmp(o.zOp, "range")) opRange(&o);
  else if (!strcmp(o.zOp, "mixed")) opMixed(&o);
  else if (!strcmp(o.zOp, "inlist")) opInlist(&o);
  else if (!strcmp(o.zOp, "round")) opRound(&o);
  else die("unknown operation %s", o.zOp);
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  printf("RESULT op=rusage maxrss_kb=%ld\n", ru.ru_maxrss);
  return 0;
}
