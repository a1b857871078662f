/*
** keycodec.c: how SQL key values map to SlateDB key bytes, and how SQLite's
** comparison semantics become key-byte bounds.
**
** Encodings (design/SQL.md §4.4), chosen so that memcmp order on the stored
** bytes (shorter prefix first) equals SQLite's order for the declared type:
**
**   key_type=text    the UTF-8 bytes, as is (BINARY collation = memcmp)
**   key_type=blob    the bytes, as is
**   key_type=int64   8 bytes big-endian of (u64)v ^ 0x8000000000000000
**   key_type=uint64  8 bytes big-endian of v, 0 <= v < 2^63 (SQL integers
**                    are signed: a stored key >= 2^63 cannot be returned)
**
** Comparison semantics (design/SQL.md §4.5). For `key OP rhs` SQLite would:
**   1. give no row for a NULL rhs;
**   2. apply the key column's affinity to rhs: TEXT affinity turns numbers
**      into text, INTEGER affinity turns numeric-looking text into a number;
**   3. order values by class NULL < numeric < TEXT < BLOB, so a rhs of
**      another class than the key's selects all keys or none;
**   4. else compare: memcmp for text and blobs, numerically for integers
**      (an INTEGER key against a REAL rhs exactly: key > 2.5 is key >= 3).
** The affinity conversions are done by SQLite itself on a copy of the value
** (sqlite3_value_text / sqlite3_value_numeric_type), so they match exactly.
*/
#include <math.h>
#include <string.h>

#include "extInt.h"

/* Value classes in SQLite's sort order. */
#define CLASS_NUMERIC 1
#define CLASS_TEXT    2
#define CLASS_BLOB    3

#define TWO_POW_63 9223372036854775808.0

/* An integer-domain view of one constraint: NONE, ALL, or inclusive bounds. */
typedef struct IntRange {
  int eMatch;             /* SDB_MATCH_NONE, _ALL, or _KEY (bounds below) */
  int bLo, bHi;           /* which bounds are present */
  i64 lo, hi;             /* inclusive */
} IntRange;

/* See extInt.h. */
int sdbExtKeyCmp(const u8 *a, int na, const u8 *b, int nb) {
  int n = na < nb ? na : nb;
  int c = n > 0 ? memcmp(a, b, (size_t)n) : 0;
  if (c) return c;
  return na < nb ? -1 : (na > nb ? 1 : 0);
}

/* Replace *p with a copy of a[0..n-1], in p's own buffer when it is large
** enough (a may not point into it). SQLITE_OK or SQLITE_NOMEM. */
static int keySet(SdbExtKey *p, const u8 *a, int n) {
  if (!p->a || p->nAlloc <= n) {
    int nAlloc = n < 32 ? 32 : n + 1;
    u8 *aNew = sqlite3_malloc(nAlloc);
    if (!aNew) return SQLITE_NOMEM;
    sqlite3_free(p->a);
    p->a = aNew;
    p->nAlloc = nAlloc;
  }
  if (n > 0) memcpy(p->a, a, (size_t)n);
  p->n = n;
  return SQLITE_OK;
}

/* Encode integer v for an integer key type into a[8]. */
static void keyPutInt(int eKeyType, i64 v, u8 *a) {
  u64 u = (u64)v;
  if (eKeyType == SDB_KEY_INT64) u ^= (u64)1 << 63;
  for (int i = 7; i >= 0; i--) { a[i] = (u8)u; u >>= 8; }
}

/* Decode 8 key bytes: the raw big-endian u64. */
static u64 keyGetU64(const u8 *a) {
  u64 u = 0;
  for (int i = 0; i < 8; i++) u = (u << 8) | a[i];
  return u;
}

/* ------------------------------------------------------------ bounds */

/* Tighten the lower bound to (a, bExcl) if that is higher. */
static int boundsLo(SdbExtBounds *p, const u8 *a, int n, int bExcl) {
  if (p->bHasLo) {
    int c = sdbExtKeyCmp(a, n, p->lo.a, p->lo.n);
    if (c < 0) return SQLITE_OK;
    if (c == 0) { p->bLoExcl |= bExcl; return SQLITE_OK; }
  }
  p->bHasLo = 1;
  p->bLoExcl = bExcl;
  return keySet(&p->lo, a, n);
}

/* Tighten the upper bound to (a, bExcl) if that is lower. */
static int boundsHi(SdbExtBounds *p, const u8 *a, int n, int bExcl) {
  if (p->bHasHi) {
    int c = sdbExtKeyCmp(a, n, p->hi.a, p->hi.n);
    if (c > 0) return SQLITE_OK;
    if (c == 0) { p->bHiExcl |= bExcl; return SQLITE_OK; }
  }
  p->bHasHi = 1;
  p->bHiExcl = bExcl;
  return keySet(&p->hi, a, n);
}

/* Mark the bounds empty if lo > hi (or lo == hi with an exclusive side). */
static void boundsCheckEmpty(SdbExtBounds *p) {
  if (!p->bHasLo || !p->bHasHi) return;
  int c = sdbExtKeyCmp(p->lo.a, p->lo.n, p->hi.a, p->hi.n);
  if (c > 0 || (c == 0 && (p->bLoExcl || p->bHiExcl))) p->bEmpty = 1;
}

/* Apply `key eRole a[0..n-1]` in key-byte space. */
static int boundsBytes(SdbExtBounds *p, int eRole, const u8 *a, int n) {
  int rc = SQLITE_OK;
  switch (eRole) {
    case SDB_ARG_KEY_EQ:
      rc = boundsLo(p, a, n, 0);
      if (rc == SQLITE_OK) rc = boundsHi(p, a, n, 0);
      break;
    case SDB_ARG_KEY_GT: rc = boundsLo(p, a, n, 1); break;
    case SDB_ARG_KEY_GE: rc = boundsLo(p, a, n, 0); break;
    case SDB_ARG_KEY_LT: rc = boundsHi(p, a, n, 1); break;
    default:             rc = boundsHi(p, a, n, 0); break;
  }
  boundsCheckEmpty(p);
  return rc;
}

/*
** The outcome of `key eRole rhs` when rhs's class differs from the key's:
** bRhsBelow means rhs sorts before every key.
*/
static int classOutcome(int eRole, int bRhsBelow) {
  switch (eRole) {
    case SDB_ARG_KEY_EQ: return SDB_MATCH_NONE;
    case SDB_ARG_KEY_GT:
    case SDB_ARG_KEY_GE: return bRhsBelow ? SDB_MATCH_ALL : SDB_MATCH_NONE;
    default:             return bRhsBelow ? SDB_MATCH_NONE : SDB_MATCH_ALL;
  }
}

/* Apply an ALL/NONE outcome. */
static void boundsOutcome(SdbExtBounds *p, int eMatch) {
  if (eMatch == SDB_MATCH_NONE) p->bEmpty = 1;
}

/*
** Class of pVal after the affinity of a text or blob key column, and its bytes
** in *pa and *pn when it has the key's class. *ppConv receives a converted copy
** the caller frees (sqlite3_value_free) when TEXT affinity changed a number.
** Returns the class, 0 for NULL, or -1 on OOM.
*/
static int bytesClass(int eKeyType, sqlite3_value *pVal, sqlite3_value **ppConv,
                      const u8 **pa, int *pn) {
  int eType = sqlite3_value_type(pVal);
  *ppConv = 0;
  if (eType == SQLITE_NULL) return 0;
  if (eType == SQLITE_BLOB) {
    *pa = sqlite3_value_blob(pVal);
    *pn = sqlite3_value_bytes(pVal);
    return CLASS_BLOB;
  }
  if (eType != SQLITE_TEXT && eKeyType == SDB_KEY_BLOB) return CLASS_NUMERIC;
  if (eType != SQLITE_TEXT) {             /* TEXT affinity: number -> text */
    *ppConv = sqlite3_value_dup(pVal);
    if (!*ppConv) return -1;
    pVal = *ppConv;
  }
  *pa = sqlite3_value_text(pVal);
  if (!*pa) return -1;
  *pn = sqlite3_value_bytes(pVal);
  return CLASS_TEXT;
}

/* The range of numeric-looking text: first byte white space (0x09-0x0d, 0x20),
** '+', '-', '.' or a digit, as sqlite3AtoF accepts. [aNumLo, aNumHi). */
static const u8 aNumLo[1] = { 0x09 };
static const u8 aNumHi[1] = { 0x3a };

/* Upper bound max((a, bExcl), (aNumHi, exclusive)) into *p. */
static int boundsHiAtLeastNumeric(SdbExtBounds *p, const u8 *a, int n, int bExcl) {
  int c = sdbExtKeyCmp(a, n, aNumHi, 1);
  if (c >= 0) return boundsHi(p, a, n, bExcl);    /* key <= ':' holds ':' */
  return boundsHi(p, aNumHi, 1, 1);
}

/*
** A loose term `key eRole rhs` on a text key (see sdbExtBestIndex): a superset
** of the rows under both readings. a[0..n-1] is rhs as text; bNumeric: rhs
** was a number. Read numerically, a numeric-looking key is a number (below
** every text, equal to rhs only inside the numeric region) and any other key
** compares as text.
*/
static int boundsLoose(SdbExtBounds *p, int eRole, const u8 *a, int n, int bNumeric) {
  int rc = SQLITE_OK;
  switch (eRole) {
    case SDB_ARG_KEY_LT:
    case SDB_ARG_KEY_LE:
      rc = boundsHiAtLeastNumeric(p, a, n, eRole == SDB_ARG_KEY_LT);
      break;
    case SDB_ARG_KEY_EQ:
      if (!bNumeric) return boundsBytes(p, eRole, a, n);
      if (sdbExtKeyCmp(a, n, aNumLo, 1) < 0) rc = boundsLo(p, a, n, 0);
      else rc = boundsLo(p, aNumLo, 1, 0);
      if (rc == SQLITE_OK) rc = boundsHiAtLeastNumeric(p, a, n, 0);
      break;
    default:                              /* GT, GE */
      if (!bNumeric) return boundsBytes(p, eRole, a, n);
      break;                              /* every non-numeric text is above */
  }
  boundsCheckEmpty(p);
  return rc;
}

/* See extInt.h. */
int sdbExtBoundsNumericHull(SdbExtBounds *p, const SdbExtKey *aKey, int nKey) {
  const u8 *aLo = aNumLo, *aHi = aNumHi;
  int nLo = 1, nHi = 1, bHiExcl = 1;
  for (int i = 0; i < nKey; i++) {
    if (sdbExtKeyCmp(aKey[i].a, aKey[i].n, aLo, nLo) < 0) { aLo = aKey[i].a; nLo = aKey[i].n; }
    if (sdbExtKeyCmp(aKey[i].a, aKey[i].n, aHi, nHi) >= 0) {
      aHi = aKey[i].a; nHi = aKey[i].n; bHiExcl = 0;
    }
  }
  int rc = boundsLo(p, aLo, nLo, 0);
  if (rc == SQLITE_OK) rc = boundsHi(p, aHi, nHi, bHiExcl);
  boundsCheckEmpty(p);
  return rc;
}

/* sdbExtBoundsApply for text and blob keys. */
static int boundsApplyBytes(SdbExtBounds *p, int eKeyType, int eRole, int bLoose,
                            sqlite3_value *pVal) {
  sqlite3_value *pConv;
  const u8 *a = 0;
  int n = 0;
  int eClass = bytesClass(eKeyType, pVal, &pConv, &a, &n);
  int eKeyClass = eKeyType == SDB_KEY_TEXT ? CLASS_TEXT : CLASS_BLOB;
  int rc = SQLITE_OK;
  if (eClass < 0) {
    rc = SQLITE_NOMEM;
  } else if (eClass == 0) {
    p->bEmpty = 1;
  } else if (eClass != eKeyClass) {
    boundsOutcome(p, classOutcome(eRole, eClass < eKeyClass));
  } else if (bLoose && eKeyType == SDB_KEY_TEXT) {
    rc = boundsLoose(p, eRole, a ? a : (const u8 *)"", n, pConv != 0);
  } else {
    rc = boundsBytes(p, eRole, a ? a : (const u8 *)"", n);
  }
  sqlite3_value_free(pConv);
  return rc;
}

/* The integer-domain meaning of `key eRole v` for an integer v. */
static void intFromInt(int eRole, i64 v, IntRange *r) {
  r->eMatch = SDB_MATCH_KEY;
  switch (eRole) {
    case SDB_ARG_KEY_EQ: r->bLo = r->bHi = 1; r->lo = r->hi = v; break;
    case SDB_ARG_KEY_GE: r->bLo = 1; r->lo = v; break;
    case SDB_ARG_KEY_LE: r->bHi = 1; r->hi = v; break;
    case SDB_ARG_KEY_GT:
      if (v == INT64_MAX) r->eMatch = SDB_MATCH_NONE;
      else { r->bLo = 1; r->lo = v + 1; }
      break;
    default:  /* LT */
      if (v == INT64_MIN) r->eMatch = SDB_MATCH_NONE;
      else { r->bHi = 1; r->hi = v - 1; }
      break;
  }
}

/*
** The integer-domain meaning of `key eRole x` for a REAL x, compared exactly
** as SQLite compares an INTEGER with a REAL: key > 2.5 is key >= 3.
*/
static void intFromReal(int eRole, double x, IntRange *r) {
  double f = floor(x), c = ceil(x);
  r->eMatch = SDB_MATCH_KEY;
  if (isnan(x)) { r->eMatch = SDB_MATCH_NONE; return; }
  switch (eRole) {
    case SDB_ARG_KEY_EQ:
      if (f != x || x < -TWO_POW_63 || x >= TWO_POW_63) r->eMatch = SDB_MATCH_NONE;
      else { r->bLo = r->bHi = 1; r->lo = r->hi = (i64)x; }
      break;
    case SDB_ARG_KEY_GT:                  /* key >= floor(x) + 1 */
      if (f >= TWO_POW_63) r->eMatch = SDB_MATCH_NONE;
      else if (f < -TWO_POW_63) r->eMatch = SDB_MATCH_ALL;
      else { r->bLo = 1; r->lo = (i64)f + 1; }
      break;
    case SDB_ARG_KEY_GE:                  /* key >= ceil(x) */
      if (c >= TWO_POW_63) r->eMatch = SDB_MATCH_NONE;
      else if (c <= -TWO_POW_63) r->eMatch = SDB_MATCH_ALL;
      else { r->bLo = 1; r->lo = (i64)c; }
      break;
    case SDB_ARG_KEY_LT:                  /* key <= ceil(x) - 1 */
      if (c >= TWO_POW_63) r->eMatch = SDB_MATCH_ALL;
      else if (c <= -TWO_POW_63) r->eMatch = SDB_MATCH_NONE;
      else { r->bHi = 1; r->hi = (i64)c - 1; }
      break;
    default:                              /* LE: key <= floor(x) */
      if (f >= TWO_POW_63) r->eMatch = SDB_MATCH_ALL;
      else if (f < -TWO_POW_63) r->eMatch = SDB_MATCH_NONE;
      else { r->bHi = 1; r->hi = (i64)f; }
      break;
  }
}

/*
** The integer-domain meaning of `key eRole pVal` for an integer key column:
** INTEGER affinity first turns numeric-looking text into a number.
** SQLITE_OK or SQLITE_NOMEM.
*/
static int intRangeOf(int eRole, sqlite3_value *pVal, IntRange *r) {
  memset(r, 0, sizeof(*r));
  sqlite3_value *pDup = sqlite3_value_dup(pVal);
  if (!pDup) return SQLITE_NOMEM;
  switch (sqlite3_value_numeric_type(pDup)) {
    case SQLITE_NULL:    r->eMatch = SDB_MATCH_NONE; break;
    case SQLITE_INTEGER: intFromInt(eRole, sqlite3_value_int64(pDup), r); break;
    case SQLITE_FLOAT:   intFromReal(eRole, sqlite3_value_double(pDup), r); break;
    default:             r->eMatch = classOutcome(eRole, 0); break;  /* TEXT, BLOB */
  }
  sqlite3_value_free(pDup);
  return SQLITE_OK;
}

/* uint64 keys are 0..2^63-1: clip r to that domain. */
static void intClipUnsigned(IntRange *r) {
  if (r->eMatch != SDB_MATCH_KEY) return;
  if (r->bHi && r->hi < 0) { r->eMatch = SDB_MATCH_NONE; return; }
  if (r->bLo && r->lo <= 0) r->bLo = 0;
  if (!r->bLo && !r->bHi) r->eMatch = SDB_MATCH_ALL;
}

/* sdbExtBoundsApply for int64 and uint64 keys. */
static int boundsApplyInt(SdbExtBounds *p, int eKeyType, int eRole, sqlite3_value *pVal) {
  IntRange r;
  u8 a[8];
  int rc = intRangeOf(eRole, pVal, &r);
  if (rc != SQLITE_OK) return rc;
  if (eKeyType == SDB_KEY_UINT64) intClipUnsigned(&r);
  if (r.eMatch != SDB_MATCH_KEY) {
    boundsOutcome(p, r.eMatch);
    return SQLITE_OK;
  }
  if (r.bLo) {
    keyPutInt(eKeyType, r.lo, a);
    rc = boundsLo(p, a, 8, 0);
  }
  if (rc == SQLITE_OK && r.bHi) {
    keyPutInt(eKeyType, r.hi, a);
    rc = boundsHi(p, a, 8, 0);
  }
  boundsCheckEmpty(p);
  return rc;
}

/* See extInt.h. */
int sdbExtBoundsApply(SdbExtBounds *p, int eKeyType, int eRole, int bLoose, sqlite3_value *pVal) {
  if (p->bEmpty) return SQLITE_OK;
  if (eKeyType == SDB_KEY_INT64 || eKeyType == SDB_KEY_UINT64) {
    return boundsApplyInt(p, eKeyType, eRole, pVal);
  }
  return boundsApplyBytes(p, eKeyType, eRole, bLoose, pVal);
}

/* See extInt.h. The upper bound is the shortest key above every key that
** starts with the prefix: drop trailing 0xff bytes and increment the last. */
int sdbExtBoundsPrefix(SdbExtBounds *p, const u8 *a, int n) {
  int rc = n > 0 ? boundsLo(p, a, n, 0) : SQLITE_OK;
  int m = n;
  while (m > 0 && a[m - 1] == 0xff) m--;
  if (rc == SQLITE_OK && m > 0) {
    u8 *aHi = sqlite3_malloc64((u64)m);
    if (!aHi) return SQLITE_NOMEM;
    memcpy(aHi, a, (size_t)m);
    aHi[m - 1]++;
    rc = boundsHi(p, aHi, m, 1);
    sqlite3_free(aHi);
  }
  boundsCheckEmpty(p);
  return rc;
}

/* See extInt.h. Stops at a wildcard, the end (a NUL: LIKE reads its
** operands as C strings) and the first non-ASCII byte: LIKE compares
** characters after decoding UTF-8, and an invalid sequence in a key can
** decode to the character of a different byte sequence in the pattern, so
** only ASCII characters are known to match exactly the bytes they are. */
int sdbExtLikePrefixLen(const u8 *z) {
  int n = 0;
  while (z[n] != 0 && z[n] < 0x80 && z[n] != '%' && z[n] != '_') n++;
  return n;
}

/* Restrict *p to keys that may match LIKE pattern z (NUL-terminated):
** with ASCII prefix c[0..n), every key in [upper(c), successor(lower(c))):
** a key whose first n bytes equal c up to ASCII case lies between them byte
** by byte ('A' < 'a'), and the successor (the last byte + 1; ASCII, so no
** carry) is above every key starting with lower(c). */
static int boundsLikeText(SdbExtBounds *p, const u8 *z) {
  int n = sdbExtLikePrefixLen(z);
  if (n == 0) return SQLITE_OK;
  u8 *a = sqlite3_malloc64((u64)n * 2);
  if (!a) return SQLITE_NOMEM;
  for (int i = 0; i < n; i++) {
    u8 c = z[i];
    a[i] = (c >= 'a' && c <= 'z') ? (u8)(c - 'a' + 'A') : c;
    a[n + i] = (c >= 'A' && c <= 'Z') ? (u8)(c - 'A' + 'a') : c;
  }
  a[2 * n - 1]++;
  int rc = boundsLo(p, a, n, 0);
  if (rc == SQLITE_OK) rc = boundsHi(p, a + n, n, 1);
  sqlite3_free(a);
  boundsCheckEmpty(p);
  return rc;
}

/* See extInt.h. */
int sdbExtBoundsLike(SdbExtBounds *p, sqlite3_value *pPattern) {
  if (sqlite3_value_type(pPattern) == SQLITE_NULL) { p->bEmpty = 1; return SQLITE_OK; }
  sqlite3_value *pCopy = sqlite3_value_dup(pPattern);
  const u8 *z = pCopy ? sqlite3_value_text(pCopy) : 0;
  int rc = z ? boundsLikeText(p, z) : SQLITE_NOMEM;
  sqlite3_value_free(pCopy);
  return rc;
}

/* See extInt.h. */
void sdbExtBoundsFree(SdbExtBounds *p) {
  sqlite3_free(p->lo.a);
  sqlite3_free(p->hi.a);
  memset(p, 0, sizeof(*p));
}

/* See extInt.h. */
void sdbExtBoundsReset(SdbExtBounds *p) {
  SdbExtKey lo = p->lo, hi = p->hi;
  memset(p, 0, sizeof(*p));
  p->lo = lo;
  p->hi = hi;
}

/* See extInt.h. */
int sdbExtBoundsContain(const SdbExtBounds *p, const u8 *a, int n) {
  if (p->bEmpty) return 0;
  if (p->bHasLo) {
    int c = sdbExtKeyCmp(a, n, p->lo.a, p->lo.n);
    if (c < 0 || (c == 0 && p->bLoExcl)) return 0;
  }
  if (p->bHasHi) {
    int c = sdbExtKeyCmp(a, n, p->hi.a, p->hi.n);
    if (c > 0 || (c == 0 && p->bHiExcl)) return 0;
  }
  return 1;
}

/* ------------------------------------------------------------ checked terms */

/* True if checked-term value pVal is clear (vtab_plan.c): NULL, BLOB, or TEXT
** whose first byte is ':' or above. */
static int zoneIsClear(sqlite3_value *pVal) {
  int eType = sqlite3_value_type(pVal);
  if (eType == SQLITE_NULL || eType == SQLITE_BLOB) return 1;
  if (eType != SQLITE_TEXT || sqlite3_value_bytes(pVal) == 0) return 0;
  const u8 *z = sqlite3_value_text(pVal);
  return z && z[0] >= aNumHi[0];
}

/* Widen *pZ to keys up to (a[0..n-1], bIncl) when that is larger, and
** remember pVal (copied) as the value to name. */
static int zoneWiden(SdbExtZone *pZ, const u8 *a, int n, int bIncl, sqlite3_value *pVal) {
  if (pZ->bOn) {
    int c = sdbExtKeyCmp(a, n, pZ->hi.a, pZ->hi.n);
    if (c < 0 || (c == 0 && (pZ->bIncl || !bIncl))) return SQLITE_OK;
  }
  sqlite3_value *pDup = sqlite3_value_dup(pVal);
  if (!pDup || keySet(&pZ->hi, a, n) != SQLITE_OK) {
    sqlite3_value_free(pDup);
    return SQLITE_NOMEM;
  }
  sqlite3_value_free(pZ->pVal);
  pZ->pVal = pDup;
  pZ->bOn = 1;
  pZ->bIncl = bIncl;
  return SQLITE_OK;
}

/* See extInt.h. The zone of an unclear value: keys below ':', and for a
** number also keys up to its text (when that is above ':': 'Inf'). */
int sdbExtZoneApply(SdbExtZone *pZ, SdbExtBounds *pB, int eRole, sqlite3_value *pVal) {
  if (zoneIsClear(pVal)) return sdbExtBoundsApply(pB, SDB_KEY_TEXT, eRole, 1, pVal);
  int rc = SQLITE_OK;
  if (eRole == SDB_ARG_KEY_LT || eRole == SDB_ARG_KEY_LE) {
    rc = sdbExtBoundsApply(pB, SDB_KEY_TEXT, eRole, 1, pVal);  /* the zone at most */
  }                             /* > and >=: every key outside the zone holds */
  if (rc != SQLITE_OK) return rc;
  if (sqlite3_value_type(pVal) == SQLITE_TEXT) return zoneWiden(pZ, aNumHi, 1, 0, pVal);
  sqlite3_value *pDup = sqlite3_value_dup(pVal);
  const u8 *z = pDup ? sqlite3_value_text(pDup) : 0;
  if (!z) rc = SQLITE_NOMEM;
  else if (sdbExtKeyCmp(z, sqlite3_value_bytes(pDup), aNumHi, 1) >= 0) {
    rc = zoneWiden(pZ, z, sqlite3_value_bytes(pDup), 1, pVal);
  } else {
    rc = zoneWiden(pZ, aNumHi, 1, 0, pVal);
  }
  sqlite3_value_free(pDup);
  return rc;
}

/* See extInt.h. */
int sdbExtZoneContains(const SdbExtZone *pZ, const u8 *a, size_t n) {
  int c = sdbExtKeyCmp(a, (int)n, pZ->hi.a, pZ->hi.n);
  return c < 0 || (c == 0 && pZ->bIncl);
}

/* See extInt.h. */
void sdbExtZoneReset(SdbExtZone *pZ) {
  sqlite3_value_free(pZ->pVal);
  pZ->pVal = 0;
  pZ->bOn = 0;
}

/* See extInt.h. */
void sdbExtZoneFree(SdbExtZone *pZ) {
  sdbExtZoneReset(pZ);
  sqlite3_free(pZ->hi.a);
  memset(pZ, 0, sizeof(*pZ));
}

/* ------------------------------------------------------------ IN members */

/* See extInt.h. */
int sdbExtKeyFromValue(int eKeyType, int bLoose, sqlite3_value *pVal, SdbExtKey *pKey) {
  memset(pKey, 0, sizeof(*pKey));
  if (eKeyType == SDB_KEY_INT64 || eKeyType == SDB_KEY_UINT64) {
    IntRange r;
    u8 a[8];
    if (intRangeOf(SDB_ARG_KEY_EQ, pVal, &r) != SQLITE_OK) return -SQLITE_NOMEM;
    if (eKeyType == SDB_KEY_UINT64 && r.eMatch == SDB_MATCH_KEY && r.lo < 0) return SDB_MATCH_NONE;
    if (r.eMatch != SDB_MATCH_KEY) return SDB_MATCH_NONE;
    keyPutInt(eKeyType, r.lo, a);
    return keySet(pKey, a, 8) == SQLITE_OK ? SDB_MATCH_KEY : -SQLITE_NOMEM;
  }
  sqlite3_value *pConv;
  const u8 *a = 0;
  int n = 0;
  int eClass = bytesClass(eKeyType, pVal, &pConv, &a, &n);
  int eKeyClass = eKeyType == SDB_KEY_TEXT ? CLASS_TEXT : CLASS_BLOB;
  int eRet = SDB_MATCH_NONE;
  if (eClass < 0) {
    eRet = -SQLITE_NOMEM;
  } else if (eClass == eKeyClass) {
    eRet = (bLoose && pConv) ? SDB_MATCH_NUMERIC : SDB_MATCH_KEY;
    if (keySet(pKey, a ? a : (const u8 *)"", n) != SQLITE_OK) eRet = -SQLITE_NOMEM;
  }
  sqlite3_value_free(pConv);
  return eRet;
}

/* ------------------------------------------------------------ stored keys */

/* sqlite3_mprintf'd x'..' literal of a key (at most 64 bytes shown). */
static char *keyHex(const u8 *a, size_t n) {
  static const char hex[] = "0123456789abcdef";
  char z[64 * 2 + 1];
  size_t m = n > 64 ? 64 : n;
  for (size_t i = 0; i < m; i++) {
    z[2 * i] = hex[a[i] >> 4];
    z[2 * i + 1] = hex[a[i] & 15];
  }
  z[2 * m] = 0;
  return sqlite3_mprintf("x'%s'%s", z, n > m ? "..." : "");
}

/* sqlite3_mprintf'd quoted text of a key: its first 40 bytes (cut before a
** UTF-8 continuation byte) as an SQL literal, or x'..' when it holds a
** control byte. */
static char *keyShown(const u8 *a, size_t n) {
  char z[41];
  size_t m = n > 40 ? 40 : n;
  for (size_t i = 0; i < n; i++) {
    if (a[i] < 0x20 || a[i] == 0x7f) return keyHex(a, n);
  }
  while (m < n && m > 0 && (a[m] & 0xc0) == 0x80) m--;
  if (m) memcpy(z, a, m);
  z[m] = 0;
  return sqlite3_mprintf("%Q%s", z, m < n ? "..." : "");
}

/* Name of the SQL type of pVal, as typeof() gives it, in capitals. */
static const char *keyTypeName(sqlite3_value *pVal);

/* See extInt.h. */
char *sdbExtZoneMsg(const SdbExtZone *pZ, const char *zTab, const u8 *a, size_t n) {
  sqlite3_value *pDup = sqlite3_value_dup(pZ->pVal);
  const u8 *zVal = pDup ? sqlite3_value_text(pDup) : 0;
  int nVal = pDup ? sqlite3_value_bytes(pDup) : 0;
  char *zKey = keyShown(a, n), *zShown = 0, *zMsg = 0;
  if (zVal && sqlite3_value_type(pZ->pVal) == SQLITE_TEXT) zShown = keyShown(zVal, (size_t)nVal);
  else if (zVal) zShown = sqlite3_mprintf("%s", zVal);
  if (zKey && zShown) {
    int bLow = n == 0 || a[0] < aNumHi[0];
    zMsg = sqlite3_mprintf("slatedb: %s: key %s cannot be compared with %s %s exactly: SQLite"
                           " applies text or numeric affinity depending on the right-hand side,"
                           " which a virtual table is not told; %s", zTab, zKey,
                           keyTypeName(pZ->pVal), zShown,
                           bLow ? "the statement was planned when the table held no key below"
                                  " ':' - prepare it again, or write +key (SQLite then compares each row"
                                  " itself)"
                                : "CAST the right-hand side AS TEXT (text order) or write +key"
                                  " (SQLite then compares each row itself)");
  }
  sqlite3_free(zKey);
  sqlite3_free(zShown);
  sqlite3_value_free(pDup);
  return zMsg;
}

/* See extInt.h. */
int sdbExtKeyCheck(int eKeyType, const u8 *a, size_t n, const char *zTab, char **pzErr) {
  if (eKeyType != SDB_KEY_INT64 && eKeyType != SDB_KEY_UINT64) return SQLITE_OK;
  if (n == 8 && (eKeyType == SDB_KEY_INT64 || a[0] < 0x80)) return SQLITE_OK;
  char *zHex = keyHex(a, n);
  sqlite3_free(*pzErr);
  if (n != 8) {
    *pzErr = sqlite3_mprintf("slatedb: table %s: stored key %s is %d bytes long, but key_type=%s"
                             " keys are 8 bytes (corrupt data, or the database was written with"
                             " another key_type)", zTab, zHex, (int)n, sdbExtKeyTypeName(eKeyType));
  } else {
    *pzErr = sqlite3_mprintf("slatedb: table %s: stored key %s is 2^63 or more, which an SQL"
                             " INTEGER cannot hold (key_type=uint64)", zTab, zHex);
  }
  sqlite3_free(zHex);
  return n != 8 ? SQLITE_CORRUPT : SQLITE_MISMATCH;
}

/* See extInt.h. REQUIRES: sdbExtKeyCheck accepted the key. */
void sdbExtKeyResult(sqlite3_context *ctx, int eKeyType, const u8 *a, size_t n) {
  switch (eKeyType) {
    case SDB_KEY_TEXT:
      sqlite3_result_text(ctx, n ? (const char *)a : "", (int)n, SQLITE_TRANSIENT);
      break;
    case SDB_KEY_BLOB:
      if (n) sqlite3_result_blob(ctx, a, (int)n, SQLITE_TRANSIENT);
      else sqlite3_result_zeroblob(ctx, 0);
      break;
    case SDB_KEY_INT64:
      sqlite3_result_int64(ctx, (i64)(keyGetU64(a) ^ ((u64)1 << 63)));
      break;
    default:
      sqlite3_result_int64(ctx, (i64)keyGetU64(a));
      break;
  }
}

/* ------------------------------------------------------------ writes */

/* Name of the SQL type of pVal, as typeof() gives it, in capitals. */
static const char *keyTypeName(sqlite3_value *pVal) {
  switch (sqlite3_value_type(pVal)) {
    case SQLITE_INTEGER: return "INTEGER";
    case SQLITE_FLOAT:   return "REAL";
    case SQLITE_TEXT:    return "TEXT";
    case SQLITE_BLOB:    return "BLOB";
    default:             return "NULL";
  }
}

/* The message for a key value that key_type eKeyType does not accept
** (sqlite3_malloc'd; NULL on OOM). Shows at most 40 bytes of text. */
static char *keyMismatchMsg(int eKeyType, sqlite3_value *pVal) {
  const char *zType = keyTypeName(pVal);
  if (eKeyType == SDB_KEY_BLOB) {
    return sqlite3_mprintf("slatedb: key must be a BLOB for key_type=blob (got %s; use"
                           " CAST(x AS BLOB), x'..' literals, or key_type=text)", zType);
  }
  if (eKeyType == SDB_KEY_TEXT) {
    return sqlite3_mprintf("slatedb: key must be TEXT for key_type=text (got a BLOB; use"
                           " CAST(x AS TEXT) or key_type=blob)");
  }
  if (sqlite3_value_type(pVal) == SQLITE_BLOB) {
    return sqlite3_mprintf("slatedb: key must be an INTEGER%s for key_type=%s (got a BLOB)",
                           eKeyType == SDB_KEY_UINT64 ? " from 0 to 9223372036854775807" : "",
                           sdbExtKeyTypeName(eKeyType));
  }
  sqlite3_value *pDup = sqlite3_value_dup(pVal);
  const char *z = pDup ? (const char *)sqlite3_value_text(pDup) : 0;
  char *zMsg = 0;
  if (z) {
    zMsg = sqlite3_mprintf("slatedb: key must be an INTEGER%s for key_type=%s (got %s %.40Q%s)",
                           eKeyType == SDB_KEY_UINT64 ? " from 0 to 9223372036854775807" : "",
                           sdbExtKeyTypeName(eKeyType), zType, z, strlen(z) > 40 ? "..." : "");
  }
  sqlite3_value_free(pDup);
  return zMsg;
}

/* See extInt.h. */
int sdbExtKeyEncode(int eKeyType, sqlite3_value *pVal, SdbExtKey *pKey, char **pzErr) {
  int eMatch = sdbExtKeyFromValue(eKeyType, 0, pVal, pKey);
  sqlite3_free(*pzErr);
  *pzErr = 0;
  if (eMatch < 0) return -eMatch;
  if (eMatch != SDB_MATCH_KEY) {
    *pzErr = keyMismatchMsg(eKeyType, pVal);
    return *pzErr ? SQLITE_MISMATCH : SQLITE_NOMEM;
  }
  int rc = SQLITE_OK;
  if (pKey->n == 0) {
    *pzErr = sqlite3_mprintf("slatedb: key must not be empty");
    rc = SQLITE_CONSTRAINT_CHECK;
  } else if (pKey->n > 65535) {
    *pzErr = sqlite3_mprintf("slatedb: key of %d bytes is too long (SlateDB's limit is 65535)",
                             pKey->n);
    rc = SQLITE_TOOBIG;
  }
  if (rc != SQLITE_OK) {
    sqlite3_free(pKey->a);
    memset(pKey, 0, sizeof(*pKey));
    if (!*pzErr) rc = SQLITE_NOMEM;
  }
  return rc;
}
