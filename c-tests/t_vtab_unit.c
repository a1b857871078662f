/*
** t_vtab_unit.c: unit tests of the ext/ building blocks, without fixtures.
**
**   - argument parsing (vtab_args.c): accepted spellings set the right fields,
**     rejected ones give the documented message;
**   - the key codec (keycodec.c): for random pairs of SQL values, memcmp order
**     of the encoded keys equals SQLite's own order of the values (SQLite,
**     `SELECT a < b`, is the oracle), for int64, uint64, text and blob;
**   - bounds: sdbExtBoundsApply agrees with SQLite's `key OP rhs` on random
**     keys and right-hand sides of every type (NULL, REAL, numeric-looking
**     text, integers, text, blobs);
**   - the idxStr parser reads back what xBestIndex writes.
**
** The ext/ sources are compiled in (-DSQLITE_CORE) as in t_vtab_diff.c.
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

#include <stdio.h>

#include "test.h"

static uint64_t rngState = 0x1234567;

/* xorshift64*. */
static uint64_t rngNext(void) {
  rngState ^= rngState >> 12;
  rngState ^= rngState << 25;
  rngState ^= rngState >> 27;
  return rngState * 0x2545F4914F6CDD1DULL;
}

/* ------------------------------------------------------------ arguments */

/* Parse the arguments in azArg (after the three fixed ones). */
static int parse(const char *const *azArg, int nArg, SdbExtArgs *p, char **pzErr) {
  const char *azArgv[16] = { "slatedb", "main", "kv" };
  for (int i = 0; i < nArg; i++) azArgv[3 + i] = azArg[i];
  *pzErr = 0;
  return sdbExtArgsParse(3 + nArg, azArgv, p, pzErr);
}

/* Accepted spellings. */
static void testArgsOk(void) {
  SdbExtArgs a;
  char *zErr;
  const char *az1[] = { "'/data/db'" };
  int rc = parse(az1, 1, &a, &zErr);
  CHECK("args: defaults (a reader)", rc == SQLITE_OK && strcmp(a.zRoot, "/data/db") == 0 &&
        a.eKeyType == SDB_KEY_TEXT && a.eValueType == SDB_VAL_TEXT && !a.bWriter &&
        a.eMergeOp == SDB_MERGE_NONE && a.nCacheBytes == 64u << 20 &&
        a.eCreate == SDB_CREATE_IF_MISSING && a.eDurability == SDB_DURABLE_COMMIT &&
        a.busyTimeoutMs == 5000 && a.opts.l0SstSizeBytes == 64u << 20 &&
        a.opts.maxUnflushedBytes == 1u << 30 && a.opts.flushIntervalMs == 100 &&
        a.opts.blockSize == 4096 && a.opts.filterBitsPerKey == 10 &&
        a.opts.minFilterKeys == 1000 && a.opts.eCodec == 0 && a.opts.pollIntervalMs == 1000);
  sdbExtArgsFree(&a);
  const char *az2[] = { "\"file:///a%20b/it''s\"", "KEY_TYPE = 'UINT64'", "\"value_type\"=blob",
                        "cache_size='3 KiB'", "merge_operator=Concat", "mode=reader" };
  rc = parse(az2, 6, &a, &zErr);
  CHECKF("args: every option", rc == SQLITE_OK && strcmp(a.zRoot, "/a b/it''s") == 0 &&
         a.eKeyType == SDB_KEY_UINT64 && a.eValueType == SDB_VAL_BLOB &&
         a.eMergeOp == SDB_MERGE_CONCAT && a.nCacheBytes == 3072, "rc=%d root=%s err=%s", rc,
         rc ? "" : a.zRoot, zErr ? zErr : "");
  sdbExtArgsFree(&a);
  sqlite3_free(zErr);
  const char *az3[] = { "'it''s here'", "cache_size=1048576" };
  rc = parse(az3, 2, &a, &zErr);
  CHECK("args: SQL dequoting", rc == SQLITE_OK && strcmp(a.zRoot, "it's here") == 0 &&
        a.nCacheBytes == 1048576);
  sdbExtArgsFree(&a);
  const char *az5[] = { "'/d'", "l0_sst_size_bytes='16KiB'", "max_unflushed_bytes=1048576",
                        "flush_interval='2s'", "compression=ZSTD", "block_size='64KiB'",
                        "filter_bits_per_key=64", "min_filter_keys=1", "durability=async",
                        "busy_timeout=0", "create=never", "mode=writer" };
  rc = parse(az5, 12, &a, &zErr);
  CHECKF("args: writer settings", rc == SQLITE_OK && a.opts.l0SstSizeBytes == 16384 &&
         a.opts.maxUnflushedBytes == 1048576 && a.opts.flushIntervalMs == 2000 &&
         a.opts.eCodec == 4 && a.opts.blockSize == 65536 && a.opts.filterBitsPerKey == 64 &&
         a.opts.minFilterKeys == 1 && a.eDurability == SDB_DURABLE_ASYNC &&
         a.busyTimeoutMs == 0 && a.eCreate == SDB_CREATE_NEVER && a.bWriter,
         "rc=%d err=%s", rc, zErr ? zErr : "");
  sdbExtArgsFree(&a);
  sqlite3_free(zErr);
  const char *az6[] = { "'/d'", "mode=reader", "poll_interval='1m'", "busy_timeout" };
  rc = parse(az6, 3, &a, &zErr);
  CHECK("args: reader poll_interval", rc == SQLITE_OK && a.opts.pollIntervalMs == 60000 && !a.bWriter);
  sdbExtArgsFree(&a);
  const char *az7[] = { "'/d'", "flush_interval=250", "busy_timeout = '1500 MS'", "mode=writer" };
  rc = parse(az7, 4, &a, &zErr);
  CHECK("args: bare durations are ms", rc == SQLITE_OK && a.opts.flushIntervalMs == 250 &&
        a.busyTimeoutMs == 1500);
  sdbExtArgsFree(&a);
  const char *az4[] = { "url = 'file://localhost/x'" };
  rc = parse(az4, 1, &a, &zErr);
  CHECK("args: url= and localhost", rc == SQLITE_OK && strcmp(a.zRoot, "/x") == 0);
  sdbExtArgsFree(&a);
}

/* One rejected argument list and the start of its message. */
typedef struct BadArgs {
  const char *azArg[4];
  int nArg;
  const char *zMsg;
} BadArgs;

/* Rejected spellings. */
static void testArgsBad(void) {
  static const BadArgs aBad[] = {
    { { 0 }, 0, "slatedb: usage: " },
    { { "'/d'", "foo=1" }, 2, "slatedb: unrecognized option: \"foo\"" },
    { { "'/d'", "key_type=text", "Key_Type=blob" }, 3, "slatedb: more than one 'key_type' option" },
    { { "'/d'", "key_type=float" }, 2, "slatedb: malformed key_type=float option" },
    { { "'/d'", "mode=writer", "poll_interval=5" }, 3, "slatedb: option poll_interval applies to mode=reader only" },
    { { "'/d'", "mode=reader", "durability=async" }, 3, "slatedb: option durability applies to mode=writer only" },
    { { "'/d'", "mode=rw" }, 2, "slatedb: malformed mode=rw option (expected reader or writer)" },
    { { "'/d'", "block_size=3000" }, 2, "slatedb: malformed block_size=3000 option" },
    { { "'/d'", "block_size='128KiB'" }, 2, "slatedb: malformed block_size=128KiB option" },
    { { "'/d'", "flush_interval=0" }, 2, "slatedb: malformed flush_interval=0 option" },
    { { "'/d'", "flush_interval='5d'" }, 2, "slatedb: malformed flush_interval=5d option" },
    { { "'/d'", "busy_timeout='2147483648ms'" }, 2, "slatedb: malformed busy_timeout=" },
    { { "'/d'", "l0_sst_size_bytes=0" }, 2, "slatedb: malformed l0_sst_size_bytes=0 option" },
    { { "'/d'", "max_unflushed_bytes=-1" }, 2, "slatedb: malformed max_unflushed_bytes=-1 option" },
    { { "'/d'", "compression=gzip" }, 2, "slatedb: malformed compression=gzip option" },
    { { "'/d'", "filter_bits_per_key=65" }, 2, "slatedb: malformed filter_bits_per_key=65 option" },
    { { "'/d'", "min_filter_keys=0" }, 2, "slatedb: malformed min_filter_keys=0 option" },
    { { "'/d'", "create=always" }, 2, "slatedb: malformed create=always option" },
    { { "'/d'", "durability=fsync" }, 2, "slatedb: malformed durability=fsync option" },
    { { "'/d'", "mode=reader", "poll_interval=0" }, 3, "slatedb: malformed poll_interval=0 option" },
    { { "'s3://b/p'" }, 1, "slatedb: malformed s3 URL s3://b/p (expected s3://bucket/prefix" },
    { { "'gs://b/p'" }, 1, "slatedb: unsupported URL scheme \"gs\"" },
    { { "'/d'", "aws_access_key_id='x'" }, 2, "slatedb: option \"aws_access_key_id\" looks like a credential" },
    { { "'s3://x'", "password=x" }, 2, "slatedb: option \"password\" looks like a credential" },
    { { "'/d'", "cache_size='1 TiB'" }, 2, "slatedb: malformed cache_size=1 TiB option" },
    { { "'/d'", "cache_size='18446744073709551615 GiB'" }, 2, "slatedb: malformed cache_size=" },
    { { "key_type=text" }, 1, "slatedb: missing database root" },
    { { "'/d'", "'/e'" }, 2, "slatedb: unexpected argument '/e'" },
    { { "'/d'", "url='/e'" }, 2, "slatedb: the database root is given twice" },
    { { "'file:///a%zz'" }, 1, "slatedb: malformed %-escape in file URL" },
    { { "'file:///a%00'" }, 1, "slatedb: malformed %-escape in file URL" },
    { { "''" }, 1, "slatedb: the database root must not be empty" },
    { { "'/d'", "value_type=" }, 2, "slatedb: malformed value_type option" },
  };
  for (int i = 0; i < (int)(sizeof(aBad) / sizeof(aBad[0])); i++) {
    SdbExtArgs a;
    char *zErr = 0;
    char zName[64];
    int rc = parse(aBad[i].azArg, aBad[i].nArg, &a, &zErr);
    snprintf(zName, sizeof(zName), "args: rejected case %d", i);
    CHECKF(zName, rc == SQLITE_ERROR && zErr && strncmp(zErr, aBad[i].zMsg, strlen(aBad[i].zMsg)) == 0,
           "rc=%d msg=%s", rc, zErr ? zErr : "(none)");
    CHECK("args: nothing left allocated on error", a.zRoot == 0);
    sqlite3_free(zErr);
  }
}

/* ------------------------------------------------------------ key codec */

/* A random SQL value of the natural type of eKeyType into p (a prepared
** statement's parameter iParam). */
static void bindRandomKey(sqlite3_stmt *p, int iParam, int eKeyType) {
  u8 a[8];
  int n = 1 + (int)(rngNext() % 6);
  uint64_t r = rngNext();
  switch (eKeyType) {
    case SDB_KEY_INT64:
      sqlite3_bind_int64(p, iParam, (r & 1) ? (i64)(r >> (rngNext() % 64)) : (i64)r);
      break;
    case SDB_KEY_UINT64:
      sqlite3_bind_int64(p, iParam, (i64)((r >> 1) >> (rngNext() % 63)));
      break;
    default:
      for (int i = 0; i < n; i++) a[i] = (u8)"\x00\x01\x7f\x80\xff" "abAB"[rngNext() % 9];
      if (eKeyType == SDB_KEY_TEXT) sqlite3_bind_text(p, iParam, (const char *)a, n, SQLITE_TRANSIENT);
      else sqlite3_bind_blob(p, iParam, a, n, SQLITE_TRANSIENT);
      break;
  }
}

/* memcmp order of encoded keys equals SQLite's order of the values. */
static void testCodecOrder(sqlite3 *db) {
  static const char *const azDecl[] = { "TEXT", "BLOB", "INTEGER", "INTEGER" };
  for (int eKeyType = 0; eKeyType < 4; eKeyType++) {
    sqlite3_stmt *p = 0;
    char *zSql = sqlite3_mprintf("SELECT CAST(?1 AS %s) AS a, CAST(?2 AS %s) AS b,"
                                 " CAST(?1 AS %s) < CAST(?2 AS %s), CAST(?1 AS %s) = CAST(?2 AS %s)",
                                 azDecl[eKeyType], azDecl[eKeyType], azDecl[eKeyType],
                                 azDecl[eKeyType], azDecl[eKeyType], azDecl[eKeyType]);
    sqlite3_prepare_v2(db, zSql, -1, &p, 0);
    sqlite3_free(zSql);
    int nBad = 0;
    for (int i = 0; i < 20000; i++) {
      SdbExtKey ka, kb;
      bindRandomKey(p, 1, eKeyType);
      bindRandomKey(p, 2, eKeyType);
      if (sqlite3_step(p) != SQLITE_ROW) { nBad++; sqlite3_reset(p); continue; }
      int bLt = sqlite3_column_int(p, 2), bEq = sqlite3_column_int(p, 3);
      int ea = sdbExtKeyFromValue(eKeyType, 0, sqlite3_column_value(p, 0), &ka);
      int eb = sdbExtKeyFromValue(eKeyType, 0, sqlite3_column_value(p, 1), &kb);
      if (ea != SDB_MATCH_KEY || eb != SDB_MATCH_KEY) {
        nBad++;
      } else {
        int c = sdbExtKeyCmp(ka.a, ka.n, kb.a, kb.n);
        if ((c < 0) != bLt || (c == 0) != bEq) nBad++;
      }
      sqlite3_free(ka.a);
      sqlite3_free(kb.a);
      sqlite3_reset(p);
    }
    sqlite3_finalize(p);
    char zName[80];
    snprintf(zName, sizeof(zName), "codec: key_type=%s order equals SQLite's", sdbExtKeyTypeName(eKeyType));
    CHECKF(zName, nBad == 0, "%d of 20000 pairs disagree", nBad);
  }
}

/* ------------------------------------------------------------ bounds */

/* Bind a right-hand side of a random type. */
static void bindRandomRhs(sqlite3_stmt *p, int iParam, int eKeyType) {
  static const char *const azText[] = { "5", " 7 ", "2.5", "abc", "", "1e3", "-3", "a", "\x80" };
  static const double aReal[] = { 2.5, -2.5, 0.0, 1e19, -1e19, 7.0, 3e-5 };
  switch (rngNext() % 6) {
    case 0: sqlite3_bind_null(p, iParam); break;
    case 1: sqlite3_bind_double(p, iParam, aReal[rngNext() % 7]); break;
    case 2: sqlite3_bind_text(p, iParam, azText[rngNext() % 9], -1, SQLITE_STATIC); break;
    case 3: sqlite3_bind_int64(p, iParam, (i64)(rngNext() % 21) - 10); break;
    default: bindRandomKey(p, iParam, (rngNext() & 1) ? eKeyType : (int)(rngNext() % 4)); break;
  }
}

/* sdbExtBoundsApply selects exactly the keys SQLite's comparison selects:
** for a random key k and right-hand side r, k lies within the bounds of
** `key OP r` iff SQLite says `CAST(k AS <decl>) OP r` (the CAST gives the
** comparison the affinity a column of that declared type has). */
static void testBounds(sqlite3 *db) {
  static const char *const azDecl[] = { "TEXT", "BLOB", "INTEGER", "INTEGER" };
  static const char *const azOp[] = { "", "=", "", ">", ">=", "<", "<=" };
  for (int eKeyType = 0; eKeyType < 4; eKeyType++) {
    int nBad = 0, nTrue = 0;
    sqlite3_stmt *ap[7] = { 0 };
    for (int eRole = SDB_ARG_KEY_EQ; eRole <= SDB_ARG_KEY_LE; eRole++) {
      if (eRole == SDB_ARG_KEY_IN) continue;
      char *zSql = sqlite3_mprintf("SELECT CAST(?1 AS %s), CAST(?1 AS %s) %s ?2, ?2",
                                   azDecl[eKeyType], azDecl[eKeyType], azOp[eRole]);
      sqlite3_prepare_v2(db, zSql, -1, &ap[eRole], 0);
      sqlite3_free(zSql);
    }
    for (int i = 0; i < 30000; i++) {
      int eRole = SDB_ARG_KEY_EQ + (int)(rngNext() % 6);
      if (eRole == SDB_ARG_KEY_IN) eRole = SDB_ARG_KEY_EQ;
      sqlite3_stmt *p = ap[eRole];
      bindRandomKey(p, 1, eKeyType);
      bindRandomRhs(p, 2, eKeyType);
      if (sqlite3_step(p) != SQLITE_ROW) { nBad++; sqlite3_reset(p); continue; }
      int bSql = sqlite3_column_type(p, 1) != SQLITE_NULL && sqlite3_column_int(p, 1);
      sqlite3_value *pKey = sqlite3_value_dup(sqlite3_column_value(p, 0));
      sqlite3_value *pRhs = sqlite3_value_dup(sqlite3_column_value(p, 2));
      SdbExtBounds b;
      SdbExtKey k;
      memset(&b, 0, sizeof(b));
      if (sdbExtKeyFromValue(eKeyType, 0, pKey, &k) != SDB_MATCH_KEY
       || sdbExtBoundsApply(&b, eKeyType, eRole, 0, pRhs) != SQLITE_OK) {
        nBad++;
      } else if (sdbExtBoundsContain(&b, k.a, k.n) != bSql) {
        if (nBad++ < 5) {
          printf("  mismatch: key %s %s %s: SQLite says %d\n", sqlite3_column_text(p, 0), azOp[eRole],
                 sqlite3_column_text(p, 2), bSql);
        }
      }
      nTrue += bSql;
      sqlite3_free(k.a);
      sdbExtBoundsFree(&b);
      sqlite3_value_free(pKey);
      sqlite3_value_free(pRhs);
      sqlite3_reset(p);
    }
    for (int r = 0; r < 7; r++) sqlite3_finalize(ap[r]);
    char zName[80];
    snprintf(zName, sizeof(zName), "bounds: key_type=%s terms select what SQLite selects",
             sdbExtKeyTypeName(eKeyType));
    CHECKF(zName, nBad == 0 && nTrue > 1000, "%d of 30000 disagree (%d true)", nBad, nTrue);
  }
}

/* n random bytes from az[0..nz) into a. */
static void randomBytes(u8 *a, int n, const u8 *az, int nz) {
  for (int i = 0; i < n; i++) a[i] = az[rngNext() % (u64)nz];
}

/* sdbExtBoundsLike keeps every key SQLite's LIKE matches (keys of any bytes,
** invalid UTF-8 and NULs included, bound as text: SQLite's LIKE reads a
** blob's bytes the same way where it matches blobs at all), with
** case_sensitive_like off and on, and excludes most of the others; and its
** bounds on a few patterns. */
static void testLikeBounds(sqlite3 *db) {
  static const u8 azKey[] = { 'a', 'A', 'b', 'B', '_', '%', '\\', 'z', 'Z', '[', '`', '0',
                              0x7f, 0xc3, 0xa9, 0xff, 0x80, 0x00, 0xe2, 0x84, 0xaa };
  static const u8 azPat[] = { 'a', 'A', 'b', '_', '%', 'z', '[', 0xc3, 0xa9, '\\', 0x7f };
  int nBad = 0, nMatch = 0, nCut = 0, nOther = 0;
  for (int bCase = 0; bCase < 2; bCase++) {
    sqlite3_exec(db, bCase ? "PRAGMA case_sensitive_like=ON" : "PRAGMA case_sensitive_like=OFF",
                 0, 0, 0);
    sqlite3_stmt *p = 0;
    sqlite3_prepare_v2(db, "SELECT ?1 LIKE ?2", -1, &p, 0);
    for (int i = 0; p && i < 20000; i++) {
      u8 aKey[8], aPat[6];
      int nKey = 1 + (int)(rngNext() % 7), nPat = (int)(rngNext() % 5);
      randomBytes(aKey, nKey, azKey, (int)sizeof(azKey));
      randomBytes(aPat, nPat, azPat, (int)sizeof(azPat));
      if (rngNext() % 2) memcpy(aKey, aPat, (size_t)(nPat < nKey ? nPat : nKey));
      sqlite3_bind_text(p, 1, (const char *)aKey, nKey, SQLITE_TRANSIENT);
      sqlite3_bind_text(p, 2, (const char *)aPat, nPat, SQLITE_TRANSIENT);
      int bMatch = sqlite3_step(p) == SQLITE_ROW && sqlite3_column_int(p, 0);
      sqlite3_reset(p);
      SdbExtBounds b;
      memset(&b, 0, sizeof(b));
      sqlite3_stmt *q = 0;            /* the pattern as an sqlite3_value */
      sqlite3_prepare_v2(db, "SELECT ?1", -1, &q, 0);
      sqlite3_bind_text(q, 1, (const char *)aPat, nPat, SQLITE_TRANSIENT);
      sqlite3_step(q);
      int rc = sdbExtBoundsLike(&b, sqlite3_column_value(q, 0));
      int bIn = sdbExtBoundsContain(&b, aKey, nKey);
      if (rc != SQLITE_OK || (bMatch && !bIn)) {
        if (nBad++ < 5) printf("  LIKE keeps out a match: key of %d bytes, pattern of %d\n", nKey, nPat);
      }
      u8 zPat[8];
      memcpy(zPat, aPat, (size_t)nPat);
      zPat[nPat] = 0;
      nMatch += bMatch;
      if (!bMatch && sdbExtLikePrefixLen(zPat) > 0) { nOther++; nCut += !bIn; }
      sqlite3_finalize(q);
      sdbExtBoundsFree(&b);
    }
    sqlite3_finalize(p);
  }
  sqlite3_exec(db, "PRAGMA case_sensitive_like=OFF", 0, 0, 0);
  CHECKF("like bounds: every match is within the range (random bytes, both case modes)",
         nBad == 0 && nMatch > 1000, "%d of 40000 matches outside (%d matches)", nBad, nMatch);
  CHECKF("like bounds: a third of the non-matches of a pattern with a literal prefix are outside",
         nCut * 3 > nOther, "%d of %d non-matches outside", nCut, nOther);
}

/* The bounds of one pattern: lo inclusive, hi exclusive ("" = none). */
static int likeBoundsAre(sqlite3 *db, const char *zPat, const char *zLo, const char *zHi) {
  sqlite3_stmt *q = 0;
  SdbExtBounds b;
  memset(&b, 0, sizeof(b));
  sqlite3_prepare_v2(db, "SELECT ?1", -1, &q, 0);
  if (zPat) sqlite3_bind_text(q, 1, zPat, -1, SQLITE_STATIC);
  sqlite3_step(q);
  int ok = sdbExtBoundsLike(&b, sqlite3_column_value(q, 0)) == SQLITE_OK;
  if (!zLo) {
    ok = ok && b.bEmpty;
  } else {
    ok = ok && !b.bEmpty && b.bHasLo == (zLo[0] != 0) && b.bHasHi == (zHi[0] != 0);
    if (ok && b.bHasLo) ok = !b.bLoExcl && b.lo.n == (int)strlen(zLo) && !memcmp(b.lo.a, zLo, strlen(zLo));
    if (ok && b.bHasHi) ok = b.bHiExcl && b.hi.n == (int)strlen(zHi) && !memcmp(b.hi.a, zHi, strlen(zHi));
  }
  sdbExtBoundsFree(&b);
  sqlite3_finalize(q);
  return ok;
}

static void testLikeExamples(sqlite3 *db) {
  CHECK("like bounds: 'aB_c%' -> [AB, ac)", likeBoundsAre(db, "aB_c%", "AB", "ac"));
  CHECK("like bounds: 'user:1%' -> [USER:1, user:2)", likeBoundsAre(db, "user:1%", "USER:1", "user:2"));
  CHECK("like bounds: 'a[z' -> [A[Z, a[{)", likeBoundsAre(db, "a[z", "A[Z", "a[{"));
  CHECK("like bounds: 'a\\%' (no ESCAPE) -> [A\\, a])", likeBoundsAre(db, "a\\%", "A\\", "a]"));
  CHECK("like bounds: 'ab\\xc3\\xa9%' stops before non-ASCII", likeBoundsAre(db, "ab\xc3\xa9%", "AB", "ac"));
  CHECK("like bounds: '%a', '_a', '\\xc3\\xa9' none", likeBoundsAre(db, "%a", "", "")
        && likeBoundsAre(db, "_a", "", "") && likeBoundsAre(db, "\xc3\xa9", "", ""));
  CHECK("like bounds: NULL pattern: empty", likeBoundsAre(db, 0, 0, 0));
}

/* ------------------------------------------------------------ plans */

/* The idxStr parser reads back every token, loose marks included. */
static void testPlanParse(void) {
  SdbExtPlan plan;
  int rc = sdbExtPlanParse("key>= key<~ prefix= key IN~ ORDER DESC LIMIT OFFSET", 6, &plan);
  CHECK("plan: parse", rc == SQLITE_OK && plan.nArg == 6 && plan.bDesc &&
        plan.aRole[0] == SDB_ARG_KEY_GE && !plan.aLoose[0] &&
        plan.aRole[1] == SDB_ARG_KEY_LT && plan.aLoose[1] &&
        plan.aRole[2] == SDB_ARG_PREFIX && plan.aRole[3] == SDB_ARG_KEY_IN && plan.aLoose[3] &&
        plan.aRole[4] == SDB_ARG_LIMIT && plan.aRole[5] == SDB_ARG_OFFSET);
  CHECK("plan: FULL", sdbExtPlanParse("FULL", 0, &plan) == SQLITE_OK && plan.nArg == 0);
  CHECK("plan: argc mismatch", sdbExtPlanParse("key=", 2, &plan) == SQLITE_ERROR);
  CHECK("plan: junk", sdbExtPlanParse("key=x", 1, &plan) == SQLITE_ERROR);
  CHECK("plan: NULL", sdbExtPlanParse(0, 0, &plan) == SQLITE_OK);
}

int main(void) {
  sqlite3 *db = 0;
  sqlite3_open(":memory:", &db);
  testArgsOk();
  testArgsBad();
  testCodecOrder(db);
  testBounds(db);
  testLikeBounds(db);
  testLikeExamples(db);
  testPlanParse();
  sqlite3_close(db);
  return test_done();
}
