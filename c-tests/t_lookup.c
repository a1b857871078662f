/*
** t_lookup.c: the point-seek path of an SST (table/block.c, table/sst.c).
**
** Part 1, key prefixes: the order of (sdbKeyPrefix, sdbKeyCmpTie) and the
** probe against a set sharing a common prefix (sdbKeyProbe*) equal
** sdbKeyCmp's order exactly, over keys made to tie: the empty key, keys
** shorter than 8 bytes, keys that differ only past byte 8, trailing 0x00
** bytes ("ab" < "ab\0"), 0xff bytes. A block holding such keys (several
** sets: all of them, those sharing "k0000000", one key's many versions)
** must seek (sdbBlockSeek, both >= and >; sdbBlockSeekAndProbe, which makes
** the same probe as sdbBlockProbe) exactly as a linear scan, for every probe
** key, present or not; an SST of tiny blocks (the index's first
** keys then share a prefix, and a key's versions fill several blocks whose
** first key is that key) must give every point and range exactly the rows a
** linear filter of all rows gives, from new iterators and from one sought
** iterator, with and without a cache.
**
** Part 2, the bloom filter of a point seek: an absent key the filter rules
** out gives no row whether its block is cached or not; the filter is
** consulted (a skip counted, no block read) when the block is not cached,
** and not consulted (no skip counted) when the block is the iterator's
** current block or is in the cache; a long-lived iterator reads the filter
** from the cache once, not once per seek; without a cache, every absent
** key is a skip. Present keys are always found.
*/
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"
#include "store/objstore.h"
#include "table/block.h"
#include "table/sst.h"
#include "table/sst_build.h"
#include "table/sstinfo.h"
#include "util/cache.h"

/* ------------------------------------------------------------ keys */

#define MAX_KEYS 400
#define MAX_KEY 24

typedef struct Key {
  u8 a[MAX_KEY];
  size_t n;
} Key;

static Key aKey[MAX_KEYS];
static int nKey = 0;

static void keyAdd(const void *a, size_t n) {
  if (nKey >= MAX_KEYS || n > MAX_KEY) return;
  for (int i = 0; i < nKey; i++) {
    if (sdbKeyCmp(aKey[i].a, aKey[i].n, a, n) == 0) return;
  }
  memcpy(aKey[nKey].a, a, n);
  aKey[nKey].n = n;
  nKey++;
}

static u64 gSeed = 0x9e3779b97f4a7c15ull;
static u32 rnd(void) {
  gSeed ^= gSeed << 13;
  gSeed ^= gSeed >> 7;
  gSeed ^= gSeed << 17;
  return (u32)(gSeed >> 11);
}

/* Keys built to tie on their 8-byte prefixes, and random ones over a small
** alphabet (0x00, 0x01, 'k', '0', 0xfe, 0xff) of lengths 0..20. */
static void keysMake(void) {
  static const char *const az[] = {"a", "ab", "abcdefg", "abcdefgh", "abcdefghi", "abcdefgi",
                                   "k0000000", "k00000000", "k0000000a", "k0000000a1",
                                   "k0000000a1b2c3d4", "k0000000a1b2c3d5", "k0000000b"};
  static const u8 aff[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00};
  static const u8 a00[10] = {0};
  static const u8 aAlpha[] = {0x00, 0x01, 'k', '0', 0xfe, 0xff};
  keyAdd("", 0);
  for (size_t n = 1; n <= 10; n++) {
    keyAdd(a00, n);
    keyAdd(aff, n);
  }
  keyAdd(aff, 10);   /* 9 x 0xff then 0x00 */
  for (size_t i = 0; i < sizeof(az) / sizeof(az[0]); i++) keyAdd(az[i], strlen(az[i]));
  keyAdd("ab\0", 3);
  keyAdd("ab\0\0", 4);
  keyAdd("ab\x01", 3);
  keyAdd("abcdefgh\0", 9);
  keyAdd("abcdefgh\xff", 9);
  keyAdd("abcdefg\xff", 8);
  keyAdd("abcdefg\0", 8);
  while (nKey < 300) {
    u8 k[MAX_KEY];
    size_t n = rnd() % 21;
    for (size_t i = 0; i < n; i++) k[i] = aAlpha[rnd() % sizeof(aAlpha)];
    keyAdd(k, n);
  }
}

static int sign(int c) { return c < 0 ? -1 : c > 0; }

static int keyCmpQ(const void *a, const void *b) {
  const Key *x = a, *y = b;
  return sdbKeyCmp(x->a, x->n, y->a, y->n);
}

/* Every pair: the prefix order with its tie break equals sdbKeyCmp. */
static void testPrefixOrder(void) {
  int nBad = 0, nTie = 0;
  for (int i = 0; i < nKey; i++) {
    for (int j = 0; j < nKey; j++) {
      const Key *a = &aKey[i], *b = &aKey[j];
      u64 pa = sdbKeyPrefix(a->a, a->n), pb = sdbKeyPrefix(b->a, b->n);
      int want = sign(sdbKeyCmp(a->a, a->n, b->a, b->n));
      if (pa == pb && i != j) nTie++;
      int got = pa != pb ? (pa < pb ? -1 : 1) : sign(sdbKeyCmpTie(a->a, a->n, b->a, b->n));
      if (got != want) nBad++;
      /* A strictly smaller prefix means a strictly smaller key. */
      if (pa < pb && want >= 0) nBad++;
    }
  }
  CHECKF("prefix order equals sdbKeyCmp on every pair", nBad == 0 && nTie > 100,
         "%d pairs differ, %d ties", nBad, nTie);
  /* Pinned cases. */
  CHECK("prefix: empty key is all zeros", sdbKeyPrefix((const u8 *)"", 0) == 0);
  CHECK("prefix: 'ab' and 'ab\\0' tie", sdbKeyPrefix((const u8 *)"ab", 2) ==
                                          sdbKeyPrefix((const u8 *)"ab\0", 3));
  CHECK("prefix: 'ab' < 'ab\\0' by the tie break",
        sdbKeyCmpTie((const u8 *)"ab", 2, (const u8 *)"ab\0", 3) < 0);
  CHECK("prefix: big-endian", sdbKeyPrefix((const u8 *)"\x01\x02", 2) == 0x0102000000000000ull);
  CHECK("prefix: 0xff bytes compare above 0x7f",
        sdbKeyPrefix((const u8 *)"\xff", 1) > sdbKeyPrefix((const u8 *)"\x7f\xff\xff\xff\xff\xff\xff\xff", 8));
}

/* Every key of aKey against the set s[0..n) (sorted, sharing c[0..nC)): the
** probe's side and comparison equal sdbKeyCmp. */
static int probeBad(const Key *s, int n, size_t nC) {
  int nBad = 0;
  for (int i = 0; i < nKey; i++) {
    SdbKeyProbe q;
    sdbKeyProbeInit(&q, aKey[i].a, aKey[i].n, s[0].a, nC);
    for (int j = 0; j < n; j++) {
      int want = sign(sdbKeyCmp(s[j].a, s[j].n, aKey[i].a, aKey[i].n));
      int got = q.side ? -q.side
                       : sign(sdbKeyProbeCmp(sdbKeyPrefix(s[j].a + nC, s[j].n - nC), s[j].a + nC,
                                             s[j].n - nC, &q));
      if (got != want) nBad++;
    }
  }
  return nBad;
}

/* Build and decode one block of the keys s[0..n) (each nVer versions, seq
** descending), then check sdbBlockSeek against a linear count for every key of
** aKey, both modes. Returns the number of wrong answers (-1: no block). */
static int blockCheck(const Key *s, int n, int nVer, u32 *pnCommon) {
  SdbBlockBuilder b;
  SdbBuf out = {0};
  SdbBlock *pBlock = NULL;
  SdbErr err;
  int rc = SDB_OK, nBad = 0;
  sdbBlockBuilderInit(&b, 1 << 20);
  for (int i = 0; i < n && rc == SDB_OK; i++) {
    for (int v = 0; v < nVer && rc == SDB_OK; v++) {
      SdbEntry e = {s[i].a, s[i].n, (const u8 *)"v", 1, (u64)(1000 - v), SDB_KIND_VALUE, 0, 0, 0, 0};
      rc = sdbBlockBuilderAdd(&b, &e, &err);
    }
  }
  if (rc == SDB_OK) rc = sdbBlockBuilderFinish(&b, &out, &err);
  if (rc == SDB_OK) rc = sdbBlockDecodeCopy(out.a, out.n, 2, &pBlock, &err);
  sdbBlockBuilderFree(&b);
  sdbBufFree(&out);
  if (rc) return -1;
  *pnCommon = pBlock->nCommon;
  for (int i = 0; i < nKey; i++) {
    for (int bAfter = 0; bAfter < 2; bAfter++) {
      u32 want = 0;
      while (want < pBlock->nRow) {
        int c = sdbKeyCmp(sdbBlockKey(pBlock, want), pBlock->aRow[want].nKey, aKey[i].a, aKey[i].n);
        if (c > 0 || (!bAfter && c == 0)) break;
        want++;
      }
      if (sdbBlockSeek(pBlock, aKey[i].a, aKey[i].n, bAfter) != want) nBad++;
      /* The search that makes the probe as it goes: same row, same probe. */
      SdbKeyProbe q, q2;
      sdbBlockProbe(pBlock, aKey[i].a, aKey[i].n, &q);
      if (sdbBlockSeekAndProbe(pBlock, aKey[i].a, aKey[i].n, bAfter, &q2) != want) nBad++;
      if (q.side != q2.side || (!q.side && (q.a != q2.a || q.n != q2.n || q.pfx != q2.pfx))) nBad++;
    }
  }
  sdbBlockFree(pBlock);
  return nBad;
}

static void testBlockSeek(void) {
  Key *s = malloc(sizeof(Key) * MAX_KEYS);
  int n = 0;
  u32 nC = 0;
  /* All non-empty keys (a row's key has at least one byte). */
  for (int i = 0; i < nKey; i++) if (aKey[i].n) s[n++] = aKey[i];
  qsort(s, (size_t)n, sizeof(Key), keyCmpQ);
  CHECK("block seek: all keys", blockCheck(s, n, 1, &nC) == 0 && nC == 0);
  CHECK("block seek: all keys, 3 versions each", blockCheck(s, n, 3, &nC) == 0);
  CHECK("probe: all keys (no common prefix)", probeBad(s, n, 0) == 0);
  /* The keys sharing "k0000000" (a common prefix of 8 bytes). */
  n = 0;
  for (int i = 0; i < nKey; i++) {
    if (aKey[i].n >= 8 && memcmp(aKey[i].a, "k0000000", 8) == 0) s[n++] = aKey[i];
  }
  qsort(s, (size_t)n, sizeof(Key), keyCmpQ);
  CHECKF("block seek: keys sharing 'k0000000'", blockCheck(s, n, 2, &nC) == 0 && nC == 8,
         "n=%d nCommon=%u", n, nC);
  CHECK("probe: keys sharing 'k0000000'", probeBad(s, n, 8) == 0);
  /* Keys sharing 9 x 0xff, and keys sharing 3 zero bytes. */
  n = 0;
  for (int i = 0; i < nKey; i++) {
    if (aKey[i].n >= 3 && memcmp(aKey[i].a, "\0\0\0", 3) == 0) s[n++] = aKey[i];
  }
  qsort(s, (size_t)n, sizeof(Key), keyCmpQ);
  CHECKF("block seek: keys sharing 3 zero bytes", n > 1 && blockCheck(s, n, 1, &nC) == 0 && nC == 3,
         "n=%d nCommon=%u", n, nC);
  CHECK("probe: keys sharing 3 zero bytes", probeBad(s, n, 3) == 0);
  /* One key, many versions: the whole key is common. */
  Key one = {"abcdefgh\xff", 9};
  CHECKF("block seek: one key's 40 versions", blockCheck(&one, 1, 40, &nC) == 0 && nC == 9,
         "nCommon=%u", nC);
  CHECK("probe: one key", probeBad(&one, 1, 9) == 0);
  free(s);
}

/* ------------------------------------------------------------ SSTs */

typedef struct Row {
  const Key *k;
  u64 seq;
} Row;

static Row aRow[MAX_KEYS * 8];
static int nRow = 0;

/* Rows of an SST: the non-empty keys, sorted; keys of the second half of the
** list get 1..3 versions, "k0000000a1" gets 60 (several blocks). */
static void rowsMake(void) {
  static Key s[MAX_KEYS];
  int n = 0;
  for (int i = 0; i < nKey; i++) if (aKey[i].n) s[n++] = aKey[i];
  qsort(s, (size_t)n, sizeof(Key), keyCmpQ);
  for (int i = 0; i < n; i++) {
    int nVer = (s[i].n == 10 && memcmp(s[i].a, "k0000000a1", 10) == 0) ? 60 : 1 + (int)(rnd() % 3);
    for (int v = 0; v < nVer; v++) aRow[nRow++] = (Row){&s[i], (u64)(10000 - v)};
  }
}

/* Build the SST of aRow into zKey with blocks of about blockSize bytes. */
static int sstBuild(SdbStore *pStore, const char *zKey, size_t blockSize, u32 minFilterKeys,
                    SdbSstInfo *pInfo) {
  SdbSstOptions o;
  SdbErr err;
  SdbBuf out = {0};
  sdbSstOptionsDefault(&o);
  o.blockSize = blockSize;
  o.minFilterKeys = minFilterKeys;
  SdbSstBuilder *b = sdbSstBuilderNew(&o);
  int rc = b ? SDB_OK : SDB_NOMEM;
  for (int i = 0; i < nRow && rc == SDB_OK; i++) {
    char v[32];
    int nv = snprintf(v, sizeof(v), "v%d", i);
    SdbEntry e = {aRow[i].k->a, aRow[i].k->n, (const u8 *)v, (size_t)nv, aRow[i].seq,
                  SDB_KIND_VALUE, 0, 0, 0, 0};
    rc = sdbSstBuilderAdd(b, &e, &err);
  }
  if (rc == SDB_OK) rc = sdbSstBuilderFinish(b, &out, pInfo, &err);
  if (rc == SDB_OK) rc = pStore->pMethods->xPut(pStore, zKey, out.a, out.n, 0, &err);
  sdbSstBuilderFree(b);
  sdbBufFree(&out);
  return rc;
}

/* The rows of aRow in r, as "index list" compared with an iterator's rows. */
static int rowsInRange(const SdbRange *r, int *aIdx) {
  int n = 0;
  for (int i = 0; i < nRow; i++) {
    const Key *k = aRow[i].k;
    if (r->bHasLo) {
      int c = sdbKeyCmp(k->a, k->n, r->pLo, r->nLo);
      if (c < 0 || (c == 0 && r->bLoExcl)) continue;
    }
    if (r->bHasHi) {
      int c = sdbKeyCmp(k->a, k->n, r->pHi, r->nHi);
      if (c > 0 || (c == 0 && r->bHiExcl)) continue;
    }
    aIdx[n++] = i;
  }
  return n;
}

/* 1 if the iterator (positioned) yields exactly the rows aIdx[0..n) in its
** direction. */
static int iterMatches(SdbIter *it, const int *aIdx, int n, int bDesc) {
  SdbErr err;
  int j = 0;
  while (!it->bEof) {
    if (j >= n) return 0;
    const Row *w = &aRow[aIdx[bDesc ? n - 1 - j : j]];
    if (sdbKeyCmp(it->cur.pKey, it->cur.nKey, w->k->a, w->k->n) != 0 || it->cur.seq != w->seq) {
      return 0;
    }
    j++;
    if (sdb_iter_next(it, &err)) return 0;
  }
  return j == n;
}

/* Points and ranges over every key of aKey (and each key with 0x00 and 0xff
** appended), from new iterators and one sought iterator. */
static int sstCheckRanges(SdbSst *p, int bDesc) {
  static int aIdx[MAX_KEYS * 8];
  SdbErr err;
  SdbIter *pSeek = NULL;
  int nBad = 0;
  if (sdbSstIterNew(p, NULL, bDesc, &pSeek, &err)) return 1000000;
  for (int i = 0; i < nKey * 3; i++) {
    u8 k[MAX_KEY + 1];
    size_t n = aKey[i / 3].n;
    memcpy(k, aKey[i / 3].a, n);
    if (i % 3) k[n++] = i % 3 == 1 ? 0x00 : 0xff;
    const Key *o = &aKey[rnd() % (u32)nKey];
    SdbRange aR[3] = {
        {k, n, 1, 0, k, n, 1, 0},                      /* the point */
        {k, n, 1, (int)(rnd() % 2), o->a, o->n, 1, (int)(rnd() % 2)},
        {o->a, o->n, 1, 0, k, n, (int)(rnd() % 2), 1},
    };
    for (int j = 0; j < 3; j++) {
      SdbIter *it = NULL;
      int nWant = rowsInRange(&aR[j], aIdx);
      if (sdbSstIterNew(p, &aR[j], bDesc, &it, &err) || !iterMatches(it, aIdx, nWant, bDesc)) nBad++;
      sdb_iter_free(it);
      if (sdb_iter_seek(pSeek, &aR[j], &err) || !iterMatches(pSeek, aIdx, nWant, bDesc)) nBad++;
    }
  }
  sdb_iter_free(pSeek);
  return nBad;
}

static SdbStore *storeNew(char *zDir, size_t nDir) {
  char zCmd[160];
  SdbStore *s = NULL;
  SdbErr err;
  snprintf(zDir, nDir, "/tmp/sdb-lookup-%d", (int)getpid());
  snprintf(zCmd, sizeof(zCmd), "rm -rf %s", zDir);
  (void)!system(zCmd);
  if (mkdir(zDir, 0700) || sdbStoreOpenDir(zDir, 1, 0, &s, &err)) return NULL;
  return s;
}

static void storeDone(SdbStore *s, const char *zDir) {
  char zCmd[160];
  sdbStoreFree(s);
  snprintf(zCmd, sizeof(zCmd), "rm -rf %s", zDir);
  (void)!system(zCmd);
}

static void testSstSeek(SdbStore *s) {
  SdbSstInfo info;
  SdbErr err;
  memset(&info, 0, sizeof(info));
  int rc = sstBuild(s, "compacted/tiny.sst", 64, 1, &info);
  for (int bCache = 0; rc == SDB_OK && bCache < 2; bCache++) {
    SdbCache *pCache = bCache ? sdbCacheNew(1 << 20) : NULL;
    SdbSst *p = NULL;
    rc = sdbSstOpen(s, "compacted/tiny.sst", &info, 2, pCache, &p, &err);
    if (rc == SDB_OK) {
      u32 nEq = 0;   /* blocks whose first key is "k0000000a1" */
      for (u32 i = 0; i < sdbSstBlockCount(p); i++) {
        const u8 *k;
        size_t n;
        sdbSstBlockFirstKey(p, i, &k, &n);
        if (n == 10 && memcmp(k, "k0000000a1", 10) == 0) nEq++;
      }
      char zName[96];
      snprintf(zName, sizeof(zName), "sst seek: %u tiny blocks, %u with one key first%s",
               sdbSstBlockCount(p), nEq, bCache ? ", cache" : "");
      CHECK(zName, sdbSstBlockCount(p) > 100 && nEq >= 2);
      for (int bDesc = 0; bDesc < 2; bDesc++) {
        int nBad = sstCheckRanges(p, bDesc);
        snprintf(zName, sizeof(zName), "sst seek: points and ranges%s%s", bDesc ? ", desc" : "",
                 bCache ? ", cache" : "");
        CHECKF(zName, nBad == 0, "%d wrong", nBad);
      }
    }
    CHECKF("sst seek: open", rc == SDB_OK, "%s", err.zMsg);
    sdbSstUnref(p);
    sdbCacheFree(pCache);
  }
  CHECK("sst seek: build", rc == SDB_OK);
  sdbSstInfoClear(&info);
}

/* ------------------------------------------------------------ filter */

#define F_ROWS 20000
#define F_ABSENT 40

static size_t fKey(int i, u8 *z) { return (size_t)snprintf((char *)z, 24, "fkey%08d", i * 7); }

static int fBuild(SdbStore *s, SdbSstInfo *pInfo) {
  SdbSstOptions o;
  SdbErr err;
  SdbBuf out = {0};
  sdbSstOptionsDefault(&o);
  SdbSstBuilder *b = sdbSstBuilderNew(&o);
  int rc = b ? SDB_OK : SDB_NOMEM;
  for (int i = 0; i < F_ROWS && rc == SDB_OK; i++) {
    u8 k[24];
    SdbEntry e = {k, fKey(i, k), (const u8 *)"value-value-value-value", 23, (u64)i + 1,
                  SDB_KIND_VALUE, 0, 0, 0, 0};
    rc = sdbSstBuilderAdd(b, &e, &err);
  }
  if (rc == SDB_OK) rc = sdbSstBuilderFinish(b, &out, pInfo, &err);
  if (rc == SDB_OK) rc = s->pMethods->xPut(s, "compacted/f.sst", out.a, out.n, 0, &err);
  sdbSstBuilderFree(b);
  sdbBufFree(&out);
  return rc;
}

/* The absent keys: every 401st present key (a block or more apart) with a
** letter appended (then in the same block as it), the first letter the
** filter rules out. */
typedef struct Absent {
  u8 k[32];
  size_t n;
  int iPresent;
} Absent;

static int fAbsent(SdbSst *p, Absent *a) {
  SdbErr err;
  int n = 0;
  for (int i = 0; i < F_ROWS && n < F_ABSENT; i += 401) {   /* a block apart */
    for (char c = 'a'; c <= 'z'; c++) {
      int bMay = 1;
      a[n].n = fKey(i, a[n].k);
      a[n].k[a[n].n++] = (u8)c;
      if (sdbSstMayContain(p, a[n].k, a[n].n, &bMay, &err) == SDB_OK && !bMay) {
        a[n++].iPresent = i;
        break;
      }
    }
  }
  return n;
}

/* A new iterator of the point k: 1 if it gives no row (bWant 0) or one row
** with key k (bWant 1). */
static int pointIs(SdbSst *p, const u8 *k, size_t n, int bWant) {
  SdbRange r = {k, n, 1, 0, k, n, 1, 0};
  SdbIter *it = NULL;
  SdbErr err;
  int ok = sdbSstIterNew(p, &r, 0, &it, &err) == SDB_OK &&
           (bWant ? !it->bEof && sdbKeyCmp(it->cur.pKey, it->cur.nKey, k, n) == 0 : it->bEof);
  sdb_iter_free(it);
  return ok;
}

static int seekIs(SdbIter *it, const u8 *k, size_t n, int bWant) {
  SdbRange r = {k, n, 1, 0, k, n, 1, 0};
  SdbErr err;
  return sdb_iter_seek(it, &r, &err) == SDB_OK &&
         (bWant ? !it->bEof && sdbKeyCmp(it->cur.pKey, it->cur.nKey, k, n) == 0 : it->bEof);
}

static void testFilter(SdbStore *s) {
  SdbSstInfo info;
  SdbErr err;
  Absent a[F_ABSENT];
  memset(&info, 0, sizeof(info));
  int rc = fBuild(s, &info);
  CHECK("filter: build with a filter", rc == SDB_OK && info.filterLen > 0);
  if (rc || !info.filterLen) return;
  SdbCache *pCache = sdbCacheNew(64 << 20);
  SdbSst *p = NULL, *p2 = NULL, *p3 = NULL;
  rc = sdbSstOpen(s, "compacted/f.sst", &info, 2, pCache, &p, &err);
  int nAbs = rc == SDB_OK ? fAbsent(p, a) : 0;   /* loads the filter into the cache */
  CHECKF("filter: absent keys the filter rules out", nAbs == F_ABSENT, "%d", nAbs);
  if (nAbs != F_ABSENT) goto done;

  /* Blocks not cached: the filter answers, no block is read. */
  u64 nSkip0 = sdbSstFilterSkips(), nGet0 = s->stats.nGet;
  int nOk = 0;
  for (int i = 0; i < F_ABSENT; i++) nOk += pointIs(p, a[i].k, a[i].n, 0);
  u64 nSkip = sdbSstFilterSkips() - nSkip0, nGet = s->stats.nGet - nGet0;
  CHECKF("filter: absent keys, blocks not cached: no row, a skip each, no GET",
         nOk == F_ABSENT && nSkip == F_ABSENT && nGet == 0, "%d empty, %llu skips, %llu GETs", nOk,
         (unsigned long long)nSkip, (unsigned long long)nGet);

  /* The blocks cached (the present key of each read first): no row, the
  ** filter is not consulted. */
  nOk = 0;
  for (int i = 0; i < F_ABSENT; i++) {
    u8 k[24];
    nOk += pointIs(p, k, fKey(a[i].iPresent, k), 1);
  }
  CHECKF("filter: present keys found", nOk == F_ABSENT, "%d", nOk);
  nSkip0 = sdbSstFilterSkips();
  nGet0 = s->stats.nGet;
  nOk = 0;
  for (int i = 0; i < F_ABSENT; i++) nOk += pointIs(p, a[i].k, a[i].n, 0);
  nSkip = sdbSstFilterSkips() - nSkip0;
  nGet = s->stats.nGet - nGet0;
  CHECKF("filter: absent keys, blocks cached: no row, the filter not consulted, no GET",
         nOk == F_ABSENT && nSkip == 0 && nGet == 0, "%d empty, %llu skips, %llu GETs", nOk,
         (unsigned long long)nSkip, (unsigned long long)nGet);

  /* One sought iterator on a second open (nothing of it cached): present
  ** key, then an absent one in the same (current) block, then absent keys
  ** elsewhere. The filter is read from the cache once. */
  rc = sdbSstOpen(s, "compacted/f.sst", &info, 2, pCache, &p2, &err);
  SdbIter *it = NULL;
  if (rc == SDB_OK) rc = sdbSstIterNew(p2, NULL, 0, &it, &err);
  if (rc == SDB_OK) {
    u8 k[24];
    size_t n = fKey(a[0].iPresent, k);
    int bPresent = seekIs(it, k, n, 1);
    nSkip0 = sdbSstFilterSkips();
    int bAbsent = seekIs(it, a[0].k, a[0].n, 0);
    CHECKF("filter: seek to an absent key in the current block: no row, no skip",
           bPresent && bAbsent && sdbSstFilterSkips() == nSkip0, "present %d absent %d skips %llu",
           bPresent, bAbsent, (unsigned long long)(sdbSstFilterSkips() - nSkip0));
    SdbCacheStats st0, st1;
    sdbCacheGetStats(pCache, &st0);
    nSkip0 = sdbSstFilterSkips();
    nOk = 0;
    for (int i = 1; i < F_ABSENT; i++) nOk += seekIs(it, a[i].k, a[i].n, 0);
    sdbCacheGetStats(pCache, &st1);
    nSkip = sdbSstFilterSkips() - nSkip0;
    CHECKF("filter: sought iterator, absent keys in uncached blocks: no row, a skip each",
           nOk == F_ABSENT - 1 && nSkip == F_ABSENT - 1, "%d empty, %llu skips", nOk,
           (unsigned long long)nSkip);
    CHECKF("filter: the sought iterator takes the filter from the cache once",
           st1.nHit - st0.nHit <= 1, "%llu cache hits over %d seeks",
           (unsigned long long)(st1.nHit - st0.nHit), F_ABSENT - 1);
    nOk = 0;
    for (int i = 0; i < F_ABSENT; i++) {
      n = fKey(a[i].iPresent, k);
      nOk += seekIs(it, k, n, 1) && seekIs(it, a[i].k, a[i].n, 0);
    }
    CHECKF("filter: sought iterator, present then absent keys", nOk == F_ABSENT, "%d", nOk);
  }
  CHECKF("filter: second open", rc == SDB_OK, "%s", err.zMsg);
  sdb_iter_free(it);

  /* Without a cache the filter answers every time. */
  rc = sdbSstOpen(s, "compacted/f.sst", &info, 2, NULL, &p3, &err);
  if (rc == SDB_OK) {
    nSkip0 = sdbSstFilterSkips();
    nOk = 0;
    for (int i = 0; i < F_ABSENT; i++) {
      u8 k[24];
      nOk += pointIs(p3, a[i].k, a[i].n, 0) + pointIs(p3, k, fKey(a[i].iPresent, k), 1);
    }
    nSkip = sdbSstFilterSkips() - nSkip0;
    CHECKF("filter: no cache: absent keys skipped, present keys found",
           nOk == 2 * F_ABSENT && nSkip == F_ABSENT, "%d ok, %llu skips", nOk,
           (unsigned long long)nSkip);
  }
  CHECKF("filter: open without a cache", rc == SDB_OK, "%s", err.zMsg);
done:
  sdbSstUnref(p);
  sdbSstUnref(p2);
  sdbSstUnref(p3);
  sdbCacheFree(pCache);
  sdbSstInfoClear(&info);
}

int main(void) {
  char zDir[64];
  keysMake();
  testPrefixOrder();
  testBlockSeek();
  rowsMake();
  SdbStore *s = storeNew(zDir, sizeof(zDir));
  CHECK("store", s != NULL);
  if (s) {
    testSstSeek(s);
    testFilter(s);
    storeDone(s, zDir);
  }
  return test_done();
}
