/*
** fuzz_keycodec.c: libFuzzer target for the key codec (ext/keycodec.c), with
** SQLite itself as the oracle.
**
** Input: 5 header bytes, then three byte strings A, B and R of the lengths in
** the header (clipped to what is there) and the rest, P:
**   h[0] bits 0-1  key type (text, blob, int64, uint64)
**        bits 2-4  operator (=, >, >=, <, <=; 5..7 wrap around)
**        bit  5    loose text term (sdbExtBestIndex's "loose")
**   h[1] bits 0-2  type of the right-hand side R: NULL, INTEGER (8 bytes BE),
**                  REAL (8 bytes, the double's bits), TEXT, BLOB (mod 5)
**        bits 3-5  a second operator, applied with B's value as right-hand side
**   h[2..4]        lengths of A, B and R
** A and B are stored keys, R the right-hand side, P a prefix. Checked:
**   - decoding (sdbExtKeyCheck + sdbExtKeyResult) accepts exactly the keys
**     of the type's shape and encodes back (sdbExtKeyEncode) to the same bytes;
**   - the memcmp order of A and B equals SQLite's order of their values;
**   - sdbExtBoundsApply(`key OP R`) holds A exactly when SQLite's
**     `CAST(A AS decl) OP R` is true (loose: a superset of the text and the
**     numeric reading);
**   - sdbExtKeyFromValue(R) is A exactly when SQLite says A = R (loose: the
**     member's numeric hull holds A when either reading says A = R);
**   - sdbExtKeyEncode(R), when it accepts R, gives a key whose value SQLite
**     finds equal to R under the column's affinity;
**   - sdbExtBoundsPrefix(P) holds exactly the keys that start with P;
**   - `key OP R AND key OP2 B AND key starts with P` (bounds intersected)
**     holds A exactly when SQLite says all three do.
** Any disagreement aborts. The ext/ file is compiled in (-DSQLITE_CORE), as the
** c-tests do; link with -lsqlite3.
*/
#define SQLITE_CORE 1
#include "../ext/keycodec.c"
#include "../ext/options.c"        /* sdbExtKeyTypeName */

#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* SQL type a column of each key_type has (its affinity). */
static const char *const azDecl[] = { "TEXT", "BLOB", "INTEGER", "INTEGER" };
/* SQL operator of each SDB_ARG_KEY_* role (IN has none). */
static const char *const azOp[] = { "", "=", "", ">", ">=", "<", "<=" };

/* The oracle connection and its statements, prepared once per process. */
typedef struct Oracle {
  sqlite3 *db;
  sqlite3_stmt *pCmp[4];          /* a < b, a = b for two decoded keys */
  sqlite3_stmt *pTerm[4][7];      /* CAST(decode(?1) AS decl) OP ?2 */
  sqlite3_stmt *pLoose[7];        /* text key vs a NUMERIC column value */
  sqlite3_stmt *pSetR;            /* replace the one row of r */
  sqlite3_stmt *pEncEq[4];        /* CAST(decode(?1) AS decl) = ?2 */
} Oracle;
static Oracle gO;

static void fail(const char *zWhat, int eKeyType) {
  fprintf(stderr, "fuzz_keycodec: %s (key_type=%s)\n", zWhat, sdbExtKeyTypeName(eKeyType));
  abort();
}

/* SQL function kc_decode(key_type, stored_key): the key's SQL value as the
** virtual table's xColumn returns it, or an error for a key it rejects. */
static void kcDecode(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  int eKeyType = sqlite3_value_int(argv[0]);
  const u8 *a = sqlite3_value_blob(argv[1]);
  size_t n = (size_t)sqlite3_value_bytes(argv[1]);
  char *zErr = 0;
  int rc = sdbExtKeyCheck(eKeyType, a, n, "t", &zErr);
  if (rc == SQLITE_OK) {
    sdbExtKeyResult(ctx, eKeyType, a, n);
  } else {
    sqlite3_result_error(ctx, zErr ? zErr : "decode", -1);
  }
  sqlite3_free(zErr);
}

static sqlite3_stmt *prep(const char *zSql) {
  sqlite3_stmt *p = 0;
  if (sqlite3_prepare_v2(gO.db, zSql, -1, &p, 0) != SQLITE_OK) {
    fprintf(stderr, "fuzz_keycodec: %s: %s\n", zSql, sqlite3_errmsg(gO.db));
    abort();
  }
  return p;
}

/* prep() of a sqlite3_mprintf format with up to three string arguments. */
static sqlite3_stmt *prepf(const char *zFmt, const char *z1, const char *z2, const char *z3) {
  char *zSql = sqlite3_mprintf(zFmt, z1, z2, z3);
  sqlite3_stmt *p = prep(zSql);
  sqlite3_free(zSql);
  return p;
}

/* Open the oracle once. The statements live until the process ends. */
static void oracleInit(void) {
  if (gO.db) return;
  if (sqlite3_open(":memory:", &gO.db) != SQLITE_OK) abort();
  sqlite3_create_function(gO.db, "kc_decode", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC, 0,
                          kcDecode, 0, 0);
  if (sqlite3_exec(gO.db, "CREATE TABLE r(v NUMERIC); INSERT INTO r VALUES(NULL)", 0, 0, 0)) {
    abort();
  }
  gO.pSetR = prep("UPDATE r SET v = ?1");
  for (int t = 0; t < 4; t++) {
    gO.pCmp[t] = prepf("SELECT CAST(kc_decode(?3, ?1) AS %s) < CAST(kc_decode(?3, ?2) AS %s),"
                       " kc_decode(?3, ?1) = kc_decode(?3, ?2)%s", azDecl[t], azDecl[t], "");
    gO.pEncEq[t] = prepf("SELECT CAST(kc_decode(?3, ?1) AS %s) = ?2%s%s", azDecl[t], "", "");
    for (int e = SDB_ARG_KEY_EQ; e <= SDB_ARG_KEY_LE; e++) {
      if (e == SDB_ARG_KEY_IN) continue;
      gO.pTerm[t][e] = prepf("SELECT CAST(kc_decode(?3, ?1) AS %s) %s ?2%s", azDecl[t], azOp[e], "");
    }
  }
  for (int e = SDB_ARG_KEY_EQ; e <= SDB_ARG_KEY_LE; e++) {
    if (e == SDB_ARG_KEY_IN) continue;
    gO.pLoose[e] = prepf("SELECT CAST(kc_decode(0, ?1) AS TEXT) %s v,"
                         " CAST(kc_decode(0, ?1) AS TEXT) %s +v, v FROM r%s", azOp[e], azOp[e], "");
  }
}

/* Step p (bound by the caller) for one row; column i as a truth value (NULL
** is false). Resets p. */
static int stepTruth(sqlite3_stmt *p, int i, int *pb2) {
  if (sqlite3_step(p) != SQLITE_ROW) {
    fprintf(stderr, "fuzz_keycodec: oracle: %s\n", sqlite3_errmsg(gO.db));
    abort();
  }
  int b = sqlite3_column_type(p, i) != SQLITE_NULL && sqlite3_column_int(p, i);
  if (pb2) *pb2 = sqlite3_column_type(p, i + 1) != SQLITE_NULL && sqlite3_column_int(p, i + 1);
  sqlite3_reset(p);
  return b;
}

/* Whether a stored key of this type decodes: the shape of the encodings. */
static int keyShapeOk(int eKeyType, const u8 *a, size_t n) {
  if (eKeyType == SDB_KEY_INT64) return n == 8;
  if (eKeyType == SDB_KEY_UINT64) return n == 8 && a[0] < 0x80;
  return 1;
}

/* Bind the right-hand side described by eRhs and r[0..n) to p's parameter i. */
static void bindRhs(sqlite3_stmt *p, int i, int eRhs, const u8 *r, size_t n) {
  u64 u = 0;
  for (size_t j = 0; j < 8; j++) u = (u << 8) | (j < n ? r[j] : 0);
  double x;
  memcpy(&x, &u, sizeof(x));
  switch (eRhs) {
    case 0: sqlite3_bind_null(p, i); break;
    case 1: sqlite3_bind_int64(p, i, (i64)u); break;
    case 2: sqlite3_bind_double(p, i, x); break;
    case 3: sqlite3_bind_text(p, i, (const char *)r, (int)n, SQLITE_TRANSIENT); break;
    default: sqlite3_bind_blob(p, i, n ? r : (const u8 *)"", (int)n, SQLITE_TRANSIENT); break;
  }
}

/* The right-hand side as a protected sqlite3_value (caller frees it). */
static sqlite3_value *rhsValue(int eRhs, const u8 *r, size_t n) {
  sqlite3_stmt *p = prep("SELECT ?1");
  bindRhs(p, 1, eRhs, r, n);
  if (sqlite3_step(p) != SQLITE_ROW) abort();
  sqlite3_value *v = sqlite3_value_dup(sqlite3_column_value(p, 0));
  sqlite3_finalize(p);
  if (!v) abort();
  return v;
}

/* Decoding, and encoding the decoded value back. */
static void checkDecode(int eKeyType, const u8 *a, size_t n) {
  char *zErr = 0;
  int rc = sdbExtKeyCheck(eKeyType, a, n, "t", &zErr);
  int bOk = keyShapeOk(eKeyType, a, n);
  if ((rc == SQLITE_OK) != bOk || (rc != SQLITE_OK && !zErr)) fail("sdbExtKeyCheck", eKeyType);
  sqlite3_free(zErr);
  if (!bOk) return;
  sqlite3_stmt *p = prep("SELECT kc_decode(?1, ?2)");
  sqlite3_bind_int(p, 1, eKeyType);
  sqlite3_bind_blob(p, 2, n ? a : (const u8 *)"", (int)n, SQLITE_STATIC);
  if (sqlite3_step(p) != SQLITE_ROW) fail("kc_decode", eKeyType);
  SdbExtKey k = { 0, 0, 0 };
  zErr = 0;
  rc = sdbExtKeyEncode(eKeyType, sqlite3_column_value(p, 0), &k, &zErr);
  if (n == 0) {
    if (rc != SQLITE_CONSTRAINT_CHECK || !zErr || k.a) fail("empty key encodes", eKeyType);
  } else if (rc != SQLITE_OK || k.n != (int)n || memcmp(k.a, a, n) != 0) {
    fail("decode then encode changes the key", eKeyType);
  }
  sqlite3_free(k.a);
  sqlite3_free(zErr);
  sqlite3_finalize(p);
}

/* memcmp order of two keys equals SQLite's order of their values. */
static void checkOrder(int eKeyType, const u8 *a, size_t na, const u8 *b, size_t nb) {
  if (!keyShapeOk(eKeyType, a, na) || !keyShapeOk(eKeyType, b, nb)) return;
  sqlite3_stmt *p = gO.pCmp[eKeyType];
  sqlite3_bind_blob(p, 1, na ? a : (const u8 *)"", (int)na, SQLITE_STATIC);
  sqlite3_bind_blob(p, 2, nb ? b : (const u8 *)"", (int)nb, SQLITE_STATIC);
  sqlite3_bind_int(p, 3, eKeyType);
  int bEq;
  int bLt = stepTruth(p, 0, &bEq);
  int c = sdbExtKeyCmp(a, (int)na, b, (int)nb);
  if ((c < 0) != bLt || (c == 0) != bEq) fail("key order differs from SQLite's", eKeyType);
}

/* An IN member R, as xFilter takes it (ext/vtab.c cursorInMember): exactly the
** key SQLite finds equal; loose, a numeric member widens the scan to the hull
** of the members and the numeric-looking keys. bSql: SQLite's a = R. */
static void checkInMember(int eKeyType, int bLoose, const u8 *a, size_t n, sqlite3_value *pRhs,
                          int bSql) {
  SdbExtKey k;
  int e = sdbExtKeyFromValue(eKeyType, bLoose, pRhs, &k);
  int bIn = e == SDB_MATCH_KEY && sdbExtKeyCmp(k.a, k.n, a, (int)n) == 0;
  if (e == SDB_MATCH_NUMERIC) {
    SdbExtBounds h;
    memset(&h, 0, sizeof(h));
    if (!bLoose || sdbExtBoundsNumericHull(&h, &k, 1) != SQLITE_OK) fail("numeric member", eKeyType);
    bIn = sdbExtBoundsContain(&h, a, (int)n);
    sdbExtBoundsFree(&h);
  }
  if (e < 0 || (bLoose ? (bSql && !bIn) : (bIn != bSql))) {
    fail("IN member differs from SQLite's =", eKeyType);
  }
  sqlite3_free(k.a);
}

/* Bounds of `key eRole R` against SQLite for stored key a. */
static void checkBounds(int eKeyType, int eRole, int bLoose, const u8 *a, size_t n,
                        int eRhs, const u8 *r, size_t nr) {
  if (!keyShapeOk(eKeyType, a, n)) return;
  bLoose = bLoose && eKeyType == SDB_KEY_TEXT;
  sqlite3_value *pRhs = rhsValue(eRhs, r, nr);
  int bSql;
  if (!bLoose) {
    sqlite3_stmt *p = gO.pTerm[eKeyType][eRole];
    sqlite3_bind_blob(p, 1, n ? a : (const u8 *)"", (int)n, SQLITE_STATIC);
    sqlite3_bind_value(p, 2, pRhs);
    sqlite3_bind_int(p, 3, eKeyType);
    bSql = stepTruth(p, 0, NULL);
  } else {
    /* The value as a NUMERIC column holds it; SQLite compares numerically or
    ** as text depending on the other side's affinity: a superset of both. */
    sqlite3_bind_value(gO.pSetR, 1, pRhs);
    if (sqlite3_step(gO.pSetR) != SQLITE_DONE) abort();
    sqlite3_reset(gO.pSetR);
    sqlite3_stmt *p = gO.pLoose[eRole];
    sqlite3_bind_blob(p, 1, n ? a : (const u8 *)"", (int)n, SQLITE_STATIC);
    if (sqlite3_step(p) != SQLITE_ROW) abort();
    bSql = (sqlite3_column_type(p, 0) != SQLITE_NULL && sqlite3_column_int(p, 0))
        || (sqlite3_column_type(p, 1) != SQLITE_NULL && sqlite3_column_int(p, 1));
    sqlite3_value_free(pRhs);
    pRhs = sqlite3_value_dup(sqlite3_column_value(p, 2));
    sqlite3_reset(p);
    if (!pRhs) abort();
  }
  SdbExtBounds b;
  memset(&b, 0, sizeof(b));
  if (sdbExtBoundsApply(&b, eKeyType, eRole, bLoose, pRhs) != SQLITE_OK) abort();
  int bIn = sdbExtBoundsContain(&b, a, (int)n);
  if (bLoose ? (bSql && !bIn) : (bSql != bIn)) fail("bounds differ from SQLite's term", eKeyType);
  sdbExtBoundsFree(&b);
  if (eRole == SDB_ARG_KEY_EQ) checkInMember(eKeyType, bLoose, a, n, pRhs, bSql);
  sqlite3_value_free(pRhs);
}

/* SQLite's `CAST(A AS decl) eRole pVal` for stored key a (valid shape). */
static int sqlTerm(int eKeyType, int eRole, const u8 *a, size_t n, sqlite3_value *pVal) {
  sqlite3_stmt *p = gO.pTerm[eKeyType][eRole];
  sqlite3_bind_blob(p, 1, n ? a : (const u8 *)"", (int)n, SQLITE_STATIC);
  sqlite3_bind_value(p, 2, pVal);
  sqlite3_bind_int(p, 3, eKeyType);
  return stepTruth(p, 0, NULL);
}

/* The decoded SQL value of stored key b (caller frees), or NULL. */
static sqlite3_value *keyValue(int eKeyType, const u8 *b, size_t nb) {
  if (!keyShapeOk(eKeyType, b, nb)) return 0;
  sqlite3_stmt *p = prep("SELECT kc_decode(?1, ?2)");
  sqlite3_bind_int(p, 1, eKeyType);
  sqlite3_bind_blob(p, 2, nb ? b : (const u8 *)"", (int)nb, SQLITE_STATIC);
  if (sqlite3_step(p) != SQLITE_ROW) fail("kc_decode", eKeyType);
  sqlite3_value *v = sqlite3_value_dup(sqlite3_column_value(p, 0));
  sqlite3_finalize(p);
  if (!v) abort();
  return v;
}

/* Two terms and a prefix at once (the bounds' intersection): `key eRole R
** AND key eRole2 B AND key starts with P` holds A exactly when all three do. */
static void checkIntersection(int eKeyType, int eRole, int eRhs, const u8 *r, size_t nr,
                              int eRole2, const u8 *b, size_t nb, const u8 *a, size_t n,
                              const u8 *pfx, size_t np) {
  if (!keyShapeOk(eKeyType, a, n)) return;
  sqlite3_value *pB = keyValue(eKeyType, b, nb);
  if (!pB) return;
  sqlite3_value *pRhs = rhsValue(eRhs, r, nr);
  int bSql = sqlTerm(eKeyType, eRole, a, n, pRhs) && sqlTerm(eKeyType, eRole2, a, n, pB);
  bSql = bSql && n >= np && (np == 0 || memcmp(a, pfx, np) == 0);
  SdbExtBounds bd;
  memset(&bd, 0, sizeof(bd));
  if (sdbExtBoundsApply(&bd, eKeyType, eRole, 0, pRhs) != SQLITE_OK
   || sdbExtBoundsApply(&bd, eKeyType, eRole2, 0, pB) != SQLITE_OK
   || sdbExtBoundsPrefix(&bd, pfx, (int)np) != SQLITE_OK) {
    abort();
  }
  if (sdbExtBoundsContain(&bd, a, (int)n) != bSql) fail("intersected bounds", eKeyType);
  sdbExtBoundsFree(&bd);
  sqlite3_value_free(pB);
  sqlite3_value_free(pRhs);
}

/* A value the codec accepts for writing reads back equal to it. */
static void checkEncode(int eKeyType, int eRhs, const u8 *r, size_t nr) {
  sqlite3_value *pVal = rhsValue(eRhs, r, nr);
  if (sqlite3_value_type(pVal) == SQLITE_NULL) {  /* NOT NULL is checked before */
    sqlite3_value_free(pVal);                     /* (a NaN REAL binds as NULL) */
    return;
  }
  SdbExtKey k = { 0, 0, 0 };
  char *zErr = 0;
  int rc = sdbExtKeyEncode(eKeyType, pVal, &k, &zErr);
  if ((rc == SQLITE_OK) != (zErr == 0) || (rc != SQLITE_OK && k.a)) fail("encode result", eKeyType);
  if (rc == SQLITE_OK) {
    if (!keyShapeOk(eKeyType, k.a, (size_t)k.n)) fail("encoded key does not decode", eKeyType);
    sqlite3_stmt *p = gO.pEncEq[eKeyType];
    sqlite3_bind_blob(p, 1, k.a, k.n, SQLITE_STATIC);
    sqlite3_bind_value(p, 2, pVal);
    sqlite3_bind_int(p, 3, eKeyType);
    if (!stepTruth(p, 0, NULL)) fail("encoded key reads back unequal", eKeyType);
  }
  sqlite3_free(k.a);
  sqlite3_free(zErr);
  sqlite3_value_free(pVal);
}

/* Prefix bounds hold exactly the keys that start with the prefix. */
static void checkPrefix(const u8 *a, size_t n, const u8 *pfx, size_t np) {
  SdbExtBounds b;
  memset(&b, 0, sizeof(b));
  if (sdbExtBoundsPrefix(&b, pfx, (int)np) != SQLITE_OK) abort();
  int bStarts = n >= np && (np == 0 || memcmp(a, pfx, np) == 0);
  if (sdbExtBoundsContain(&b, a, (int)n) != bStarts) fail("prefix bounds", SDB_KEY_BLOB);
  sdbExtBoundsFree(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 5) return 0;
  oracleInit();
  int eKeyType = data[0] & 3;
  int eRole = SDB_ARG_KEY_EQ + (int)(((data[0] >> 2) & 7) % 5);
  if (eRole >= SDB_ARG_KEY_IN) eRole++;   /* EQ, GT, GE, LT, LE */
  int bLoose = (data[0] >> 5) & 1;
  int eRhs = (data[1] & 7) % 5;
  const u8 *p = data + 5, *pEnd = data + size;
  size_t aLen[3];
  const u8 *aPtr[3];
  for (int i = 0; i < 3; i++) {
    size_t nLeft = (size_t)(pEnd - p);
    aLen[i] = data[2 + i] < nLeft ? data[2 + i] : nLeft;
    aPtr[i] = p;
    p += aLen[i];
  }
  checkDecode(eKeyType, aPtr[0], aLen[0]);
  checkDecode(eKeyType, aPtr[1], aLen[1]);
  checkOrder(eKeyType, aPtr[0], aLen[0], aPtr[1], aLen[1]);
  checkBounds(eKeyType, eRole, bLoose, aPtr[0], aLen[0], eRhs, aPtr[2], aLen[2]);
  checkEncode(eKeyType, eRhs, aPtr[2], aLen[2]);
  checkPrefix(aPtr[0], aLen[0], p, (size_t)(pEnd - p));
  int eRole2 = SDB_ARG_KEY_EQ + (int)(((data[1] >> 3) & 7) % 5);
  if (eRole2 >= SDB_ARG_KEY_IN) eRole2++;
  checkIntersection(eKeyType, eRole, eRhs, aPtr[2], aLen[2], eRole2, aPtr[1], aLen[1],
                    aPtr[0], aLen[0], p, (size_t)(pEnd - p));
  return 0;
}
