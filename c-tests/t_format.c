/*
** t_format.c: the byte-level building blocks of the SST format.
**
**   - CRC-32 check value, varints
**   - CRC-32 (PCLMUL folding on x86-64) against zlib's crc32_z for every
**     length 0..600 at every offset 0..15, random lengths up to 1 MiB,
**     exact-size heap buffers (out-of-bounds reads show under ASan)
**   - SipHash-1-3 vectors and the bloom probe vector (spec/SST.md §7.3),
**     bloom build/lookup, zero-length and composite filters
**   - every codec: round trips, a known stored form decoded, truncation,
**     garbage and decompression bombs
**   - V2 blocks: builder -> decoder round trip, cut rule, restarts, seeks and
**     ranges in both directions, the spec §6.1 example block
**   - a hand-built V1 block
**   - corrupt blocks: bad flags, bad prefixes, bad trailers, every truncation
**     and every single-bit flip (SDB_CORRUPT or a clean decode, never a crash)
**   - the block cache: eviction order, pinned entries, duplicate inserts
*/
#include <zlib.h>

#include "test.h"

#include "table/block.h"
#include "table/bloom.h"
#include "util/cache.h"
#include "table/compress.h"
#include "util/rangeutil.h"

static u32 rnd32(u64 *s) {
  *s = *s * 6364136223846793005ull + 1442695040888963407ull;
  return (u32)(*s >> 33);
}

/* ------------------------------------------------------------ basics */
static void testCrcVarint(void) {
  CHECK("crc32 check value", sdbCrc32((const u8 *)"123456789", 9) == 0xCBF43926u);
  CHECK("crc32 of nothing", sdbCrc32((const u8 *)"", 0) == 0);

  static const u32 aV[] = {0, 1, 127, 128, 255, 300, 16383, 16384, 2097151, 2097152,
                           268435455, 268435456, 0xffffffffu};
  int bOk = 1;
  for (int i = 0; i < SDB_ARRAY_SIZE(aV); i++) {
    u8 a[5];
    u32 v = 0;
    int n = sdbPutVarint32(a, aV[i]);
    int m = sdbGetVarint32(a, a + n, &v);
    if (m != n || v != aV[i]) bOk = 0;
    if (n > 1 && sdbGetVarint32(a, a + n - 1, &v) != 0) bOk = 0; /* truncated */
  }
  CHECK("varint32 round trips and truncation", bOk);
  u8 aLong[6] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x01};
  u32 v;
  CHECK("varint32 longer than 5 bytes is rejected", sdbGetVarint32(aLong, aLong + 6, &v) == 0);
  u8 aBig[5] = {0xff, 0xff, 0xff, 0xff, 0x1f};
  CHECK("varint32 above 2^32-1 is rejected", sdbGetVarint32(aBig, aBig + 5, &v) == 0);
  u8 aOne[1] = {0x7f};
  CHECK("varint32 single byte", sdbGetVarint32(aOne, aOne + 1, &v) == 1 && v == 127);
}

/* zlib's CRC-32 of a[0..n): the reference for sdbCrc32. */
static u32 zlibCrc(const u8 *a, size_t n) { return (u32)crc32_z(0, a, (z_size_t)n); }

/* Every length 0..600 at every offset 0..15 of the random buffer aBuf. */
static void testCrcLengths(const u8 *aBuf) {
  int nBad = 0;
  for (size_t iOff = 0; iOff < 16; iOff++) {
    for (size_t n = 0; n <= 600; n++) {
      if (sdbCrc32(aBuf + iOff, n) != zlibCrc(aBuf + iOff, n)) nBad++;
    }
  }
  CHECKF("crc32: lengths 0..600 x offsets 0..15 equal zlib", nBad == 0, "%d mismatches", nBad);
}

/* Random offsets and lengths up to 1 MiB, and a 4 KiB block. */
static void testCrcRandom(const u8 *aBuf, size_t nBuf) {
  u64 s = 42;
  int nBad = 0;
  for (int i = 0; i < 200; i++) {
    size_t n = rnd32(&s) % ((1u << 20) + 1);
    size_t iOff = rnd32(&s) % (nBuf - n + 1);
    if (sdbCrc32(aBuf + iOff, n) != zlibCrc(aBuf + iOff, n)) nBad++;
  }
  CHECKF("crc32: 200 random lengths up to 1 MiB equal zlib", nBad == 0, "%d mismatches", nBad);
  CHECK("crc32: 4 KiB block equals zlib", sdbCrc32(aBuf + 3, 4096) == zlibCrc(aBuf + 3, 4096));
  CHECK("crc32: 1 MiB equals zlib", sdbCrc32(aBuf, 1 << 20) == zlibCrc(aBuf, 1 << 20));
}

/* Each length 0..600 copied into a heap block of exactly that size. */
static void testCrcExactHeap(const u8 *aBuf) {
  int nBad = 0;
  for (size_t n = 0; n <= 600; n++) {
    u8 *p = sdbMemdup(aBuf + n, n);
    if (sdbCrc32(p, n) != zlibCrc(p, n)) nBad++;
    sdbFree(p);
  }
  CHECKF("crc32: exact-size heap buffers equal zlib", nBad == 0, "%d mismatches", nBad);
}

/* sdbCrc32 against zlib on a random buffer of 1 MiB + 64 bytes. */
static void testCrc32(void) {
  size_t nBuf = (1u << 20) + 64;
  u8 *aBuf = sdbMalloc(nBuf);
  u64 s = 7;
  for (size_t i = 0; i < nBuf; i++) aBuf[i] = (u8)rnd32(&s);
  testCrcLengths(aBuf);
  testCrcRandom(aBuf, nBuf);
  testCrcExactHeap(aBuf);
  memset(aBuf, 0xff, 4096);
  CHECK("crc32: 4 KiB of 0xff equals zlib", sdbCrc32(aBuf, 4096) == zlibCrc(aBuf, 4096));
  sdbFree(aBuf);
}

/* ------------------------------------------------------------ bloom */
/* A filter over keys apKey[i] (anKey[i] bytes), hashed the way the SST writer
** hashes rows, appended to pOut; sdbBloomBuildHashes' result. */
static int bloomBuild(const u8 *const *apKey, const size_t *anKey, size_t nKeys, u32 bitsPerKey,
                      SdbBuf *pOut, SdbErr *pErr) {
  u64 *aHash = malloc((nKeys ? nKeys : 1) * sizeof(u64));
  if (!aHash) return SDB_NOMEM;
  for (size_t i = 0; i < nKeys; i++) aHash[i] = sdbSipHash13(apKey[i], anKey[i]);
  int rc = sdbBloomBuildHashes(aHash, nKeys, bitsPerKey, pOut, pErr);
  free(aHash);
  return rc;
}

static void testBloom(void) {
  u8 a16[16];
  for (int i = 0; i < 16; i++) a16[i] = (u8)i;
  CHECK("siphash13 \"\"", sdbSipHash13((const u8 *)"", 0) == 0xd1fba762150c532cull);
  CHECK("siphash13 \"a\"", sdbSipHash13((const u8 *)"a", 1) == 0x407448d2b89b1813ull);
  CHECK("siphash13 \"key00000001\"",
        sdbSipHash13((const u8 *)"key00000001", 11) == 0x878e2f1e9b8665f2ull);
  CHECK("siphash13 00..0f", sdbSipHash13(a16, 16) == 0x8972188433a5c5b7ull);

  u64 aP[7];
  static const u64 aWant[7] = {928559, 107781, 287004, 466229, 645457, 824689, 3926};
  sdbBloomProbes(0xDF77EF56DEADBEEFull, 7, 1000000, aP);
  CHECK("bloom probe vector", memcmp(aP, aWant, sizeof(aWant)) == 0);

  /* Build over 2000 keys; all present, few false positives. */
  enum { N = 2000 };
  static u8 aKey[N][12];
  const u8 *apKey[N];
  size_t anKey[N];
  for (int i = 0; i < N; i++) {
    snprintf((char *)aKey[i], sizeof(aKey[i]), "key%08d", i);
    apKey[i] = aKey[i];
    anKey[i] = 11;
  }
  SdbBuf f = {0};
  SdbErr err = {0};
  CHECK("bloom build", bloomBuild(apKey, anKey, N, 10, &f, &err) == SDB_OK);
  CHECKF("bloom size: 2 + ceil(N*10/8) bytes, 6 probes",
         f.n == 2 + (N * 10 + 7) / 8 && sdbGetU16BE(f.a) == 6, "n=%zu probes=%u", f.n,
         f.n >= 2 ? sdbGetU16BE(f.a) : 0);
  int nMiss = 0;
  for (int i = 0; i < N; i++) nMiss += !sdbBloomMayContain(f.a, f.n, apKey[i], anKey[i]);
  CHECKF("bloom: no false negatives", nMiss == 0, "%d", nMiss);
  int nFp = 0;
  for (int i = N; i < N + 20000; i++) {
    char z[16];
    snprintf(z, sizeof(z), "key%08d", i);
    nFp += sdbBloomMayContain(f.a, f.n, (const u8 *)z, 11);
  }
  CHECKF("bloom: false positive rate below 2%%", nFp < 400, "%d of 20000", nFp);
  CHECK("bloom check accepts a payload", sdbBloomCheck(f.a, f.n, &err) == SDB_OK);

  /* Degenerate payloads never divide by zero or read out of bounds. */
  u8 aZero[2] = {0, 6};
  CHECK("bloom with an empty bit array says maybe", sdbBloomMayContain(aZero, 2, (const u8 *)"x", 1) == 1);
  CHECK("bloom shorter than its header says maybe", sdbBloomMayContain(aZero, 1, (const u8 *)"x", 1) == 1);
  CHECK("bloom check rejects 1 byte", sdbBloomCheck(aZero, 1, &err) == SDB_CORRUPT);
  u8 aAllSet[10] = {0, 30, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  CHECK("bloom with all bits set says maybe", sdbBloomMayContain(aAllSet, 10, (const u8 *)"x", 1));
  SdbBuf g = {0};
  CHECK("bloom refuses to build a zero-key filter", sdbBloomBuildHashes(NULL, 0, 10, &g, &err) == SDB_MISUSE);
  CHECK("bloom refuses zero bits per key", bloomBuild(apKey, anKey, 1, 0, &g, &err) == SDB_MISUSE);

  /* Composite wrapping (0.13+): some other filter, then "_bf". */
  SdbBuf c = {0};
  u8 h[10];
  sdbPutU16BE(h, 2);
  sdbBufAppend(&c, h, 2);
  sdbPutU16BE(h, 3);
  sdbBufAppend(&c, h, 2);
  sdbBufAppend(&c, "_xx", 3);
  sdbPutU64BE(h, 4);
  sdbBufAppend(&c, h, 8);
  sdbBufAppend(&c, "abcd", 4);
  sdbPutU16BE(h, 3);
  sdbBufAppend(&c, h, 2);
  sdbBufAppend(&c, "_bf", 3);
  sdbPutU64BE(h, f.n);
  sdbBufAppend(&c, h, 8);
  sdbBufAppend(&c, f.a, f.n);
  const u8 *pBf = NULL;
  size_t nBf = 0;
  CHECK("composite: finds _bf",
        sdbBloomFromComposite(c.a, c.n, &pBf, &nBf, &err) == SDB_OK && nBf == f.n &&
            memcmp(pBf, f.a, f.n) == 0);
  CHECK("composite: _bf works", sdbBloomMayContain(pBf, nBf, apKey[7], anKey[7]));
  int nBadComposite = 0;
  for (size_t cut = 0; cut < 30; cut++) {
    if (sdbBloomFromComposite(c.a, cut, &pBf, &nBf, &err) != SDB_CORRUPT) nBadComposite++;
  }
  CHECK("composite: truncations are corrupt", nBadComposite == 0);
  sdbPutU16BE(h, 0);
  CHECK("composite: no filters means no bloom",
        sdbBloomFromComposite(h, 2, &pBf, &nBf, &err) == SDB_OK && pBf == NULL);
  sdbBufFree(&c);
  sdbBufFree(&f);
  sdbBufFree(&g);
}

/* ------------------------------------------------------------ codecs */
static const int aCodec[] = {SDB_CODEC_NONE, SDB_CODEC_SNAPPY, SDB_CODEC_ZLIB, SDB_CODEC_LZ4,
                             SDB_CODEC_ZSTD};

static void testCodecs(void) {
  SdbErr err = {0};
  u64 seed = 42;
  /* Inputs: empty, tiny, compressible 200 KB, incompressible 70 KB. */
  size_t anIn[4] = {0, 5, 200000, 70000};
  u8 *apIn[4];
  for (int k = 0; k < 4; k++) {
    apIn[k] = sdbMalloc(anIn[k] + 1);
    for (size_t i = 0; i < anIn[k]; i++) {
      apIn[k][i] = k == 1 ? (u8)"hello"[i] : k == 2 ? (u8)("abcdefgh"[(i / 7) % 8]) : (u8)rnd32(&seed);
    }
  }
  for (int c = 0; c < SDB_ARRAY_SIZE(aCodec); c++) {
    int e = aCodec[c];
    char zName[80];
    for (int k = 0; k < 4; k++) {
      SdbBuf z = {0}, out = {0};
      sdbBufAppend(&z, "PFX", 3); /* encoders append */
      int rc = sdbCompress(e, apIn[k], anIn[k], &z, &err);
      int rc2 = rc ? rc : sdbDecompress(e, z.a + 3, z.n - 3, &out, &err);
      snprintf(zName, sizeof(zName), "codec %s: round trip of %zu bytes", sdbCodecName(e), anIn[k]);
      CHECKF(zName, rc == SDB_OK && rc2 == SDB_OK && out.n == anIn[k] &&
                        (anIn[k] == 0 || memcmp(out.a, apIn[k], anIn[k]) == 0) &&
                        memcmp(z.a, "PFX", 3) == 0,
             "rc=%d rc2=%d n=%zu %s", rc, rc2, out.n, err.zMsg);
      if (k == 2 && e != SDB_CODEC_NONE) {
        snprintf(zName, sizeof(zName), "codec %s: compresses", sdbCodecName(e));
        CHECKF(zName, z.n < anIn[k] / 4, "%zu", z.n);
        /* Bomb guard: a limit below the real size is SDB_CORRUPT. */
        int rc3 = sdbDecompressLimit(e, z.a + 3, z.n - 3, 100000, &out, &err);
        snprintf(zName, sizeof(zName), "codec %s: output limit enforced", sdbCodecName(e));
        CHECKF(zName, rc3 == SDB_CORRUPT, "rc=%d", rc3);
        rc3 = sdbDecompressLimit(e, z.a + 3, z.n - 3, anIn[k], &out, &err);
        snprintf(zName, sizeof(zName), "codec %s: output exactly at the limit", sdbCodecName(e));
        CHECKF(zName, rc3 == SDB_OK && out.n == anIn[k], "rc=%d %s", rc3, err.zMsg);
        /* Every truncation is corrupt (or, for a prefix that happens to be
        ** a valid stream, decodes to something shorter); never a crash. */
        int nBad = 0;
        for (size_t cut = 0; cut + 3 < z.n; cut += (cut < 64 ? 1 : 97)) {
          int r = sdbDecompress(e, z.a + 3, cut, &out, &err);
          if (r != SDB_CORRUPT && !(r == SDB_OK && out.n < anIn[k])) nBad++;
        }
        snprintf(zName, sizeof(zName), "codec %s: truncated input is corrupt", sdbCodecName(e));
        CHECKF(zName, nBad == 0, "%d bad", nBad);
        /* Bit flips: SDB_OK or SDB_CORRUPT, nothing else, no crash. */
        nBad = 0;
        for (size_t i = 3; i < z.n; i += 1 + i / 8) {
          z.a[i] ^= 0x10;
          int r = sdbDecompress(e, z.a + 3, z.n - 3, &out, &err);
          if (r != SDB_OK && r != SDB_CORRUPT) nBad++;
          z.a[i] ^= 0x10;
        }
        snprintf(zName, sizeof(zName), "codec %s: bit flips never crash", sdbCodecName(e));
        CHECKF(zName, nBad == 0, "%d", nBad);
      }
      sdbBufFree(&z);
      sdbBufFree(&out);
    }
  }
  for (int k = 0; k < 4; k++) sdbFree(apIn[k]);

  /* Known stored forms of "hello". */
  static const u8 aSnappy[] = {0x05, 0x10, 'h', 'e', 'l', 'l', 'o'};
  static const u8 aZlib[] = {0x78, 0x9c, 0xcb, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x06, 0x2c, 0x02, 0x15};
  static const u8 aLz4[] = {0x05, 0x00, 0x00, 0x00, 0x50, 'h', 'e', 'l', 'l', 'o'};
  static const u8 aZstd[] = {0x28, 0xb5, 0x2f, 0xfd, 0x20, 0x05, 0x29, 0x00, 0x00, 'h', 'e', 'l', 'l', 'o'};
  struct { int e; const u8 *a; size_t n; } aKnown[] = {
      {SDB_CODEC_SNAPPY, aSnappy, sizeof(aSnappy)},
      {SDB_CODEC_ZLIB, aZlib, sizeof(aZlib)},
      {SDB_CODEC_LZ4, aLz4, sizeof(aLz4)},
      {SDB_CODEC_ZSTD, aZstd, sizeof(aZstd)},
  };
  for (int i = 0; i < SDB_ARRAY_SIZE(aKnown); i++) {
    SdbBuf out = {0};
    int rc = sdbDecompress(aKnown[i].e, aKnown[i].a, aKnown[i].n, &out, &err);
    char zName[64];
    snprintf(zName, sizeof(zName), "codec %s: known vector decodes", sdbCodecName(aKnown[i].e));
    CHECKF(zName, rc == SDB_OK && out.n == 5 && memcmp(out.a, "hello", 5) == 0, "rc=%d %s", rc, err.zMsg);
    sdbBufFree(&out);
  }

  /* Forged sizes: refused before allocating. */
  SdbBuf out = {0};
  u8 aLz4Big[10] = {0x00, 0x00, 0x00, 0x40, 0x50, 'h', 'e', 'l', 'l', 'o'}; /* 1 GiB */
  CHECK("lz4: 1 GiB size prefix is corrupt", sdbDecompress(SDB_CODEC_LZ4, aLz4Big, 10, &out, &err) == SDB_CORRUPT);
  u8 aLz4Short[10] = {0x06, 0x00, 0x00, 0x00, 0x50, 'h', 'e', 'l', 'l', 'o'};
  CHECK("lz4: size prefix larger than the data is corrupt",
        sdbDecompress(SDB_CODEC_LZ4, aLz4Short, 10, &out, &err) == SDB_CORRUPT);
  CHECK("lz4: missing prefix is corrupt", sdbDecompress(SDB_CODEC_LZ4, aLz4Short, 3, &out, &err) == SDB_CORRUPT);
  u8 aSnapBig[8] = {0xff, 0xff, 0xff, 0xff, 0x0f, 0x10, 'h', 'e'}; /* 4 GiB */
  CHECK("snappy: 4 GiB length header is corrupt",
        sdbDecompress(SDB_CODEC_SNAPPY, aSnapBig, 8, &out, &err) == SDB_CORRUPT);
  u8 aZstdBig[] = {0x28, 0xb5, 0x2f, 0xfd, 0xa0, 0x00, 0x00, 0x00, 0x80, 0x29, 0x00, 0x00, 'h', 'e', 'l', 'l', 'o'};
  CHECK("zstd: 2 GiB content size is corrupt",
        sdbDecompress(SDB_CODEC_ZSTD, aZstdBig, sizeof(aZstdBig), &out, &err) == SDB_CORRUPT);
  CHECK("zstd: garbage is corrupt", sdbDecompress(SDB_CODEC_ZSTD, (const u8 *)"garbage!", 8, &out, &err) == SDB_CORRUPT);
  CHECK("zlib: garbage is corrupt", sdbDecompress(SDB_CODEC_ZLIB, (const u8 *)"garbage!", 8, &out, &err) == SDB_CORRUPT);
  CHECK("snappy: garbage is corrupt", sdbDecompress(SDB_CODEC_SNAPPY, (const u8 *)"\x08garbage", 8, &out, &err) == SDB_CORRUPT);
  CHECK("unknown codec is SDB_UNSUPPORTED", sdbDecompress(9, (const u8 *)"x", 1, &out, &err) == SDB_UNSUPPORTED);
  CHECK("none: limit enforced", sdbDecompressLimit(SDB_CODEC_NONE, (const u8 *)"abc", 3, 2, &out, &err) == SDB_CORRUPT);

  /* A zstd stream without a content size (streaming path). */
  {
    SdbBuf z = {0};
    u8 *aIn = sdbMalloc(300000);
    for (int i = 0; i < 300000; i++) aIn[i] = (u8)(i % 251);
    sdbCompress(SDB_CODEC_ZSTD, aIn, 300000, &z, &err);
    /* Two concatenated frames: the first frame's content size is not the
    ** total, so the single-shot path falls back to streaming. */
    size_t n1 = z.n;
    sdbCompress(SDB_CODEC_ZSTD, aIn, 300000, &z, &err);
    int rc = sdbDecompress(SDB_CODEC_ZSTD, z.a, z.n, &out, &err);
    CHECKF("zstd: two concatenated frames decode", rc == SDB_OK && out.n == 600000 &&
                                                       memcmp(out.a + 300000, aIn, 300000) == 0,
           "rc=%d n=%zu n1=%zu %s", rc, out.n, n1, err.zMsg);
    rc = sdbDecompressLimit(SDB_CODEC_ZSTD, z.a, z.n, 400000, &out, &err);
    CHECK("zstd: streaming path enforces the limit", rc == SDB_CORRUPT);
    rc = sdbDecompress(SDB_CODEC_ZSTD, z.a, z.n - 5, &out, &err);
    CHECK("zstd: truncated second frame is corrupt", rc == SDB_CORRUPT);
    sdbFree(aIn);
    sdbBufFree(&z);
  }
  sdbBufFree(&out);
}

/* ------------------------------------------------------------ blocks */
typedef struct Row {
  char zKey[64];
  size_t nKey;
  u8 aVal[64];
  size_t nVal;
  SdbEntry e;
} Row;

static void rowMake(Row *r, int i, u64 *pSeed) {
  memset(r, 0, sizeof(*r));
  /* Groups of keys with shared prefixes; some keys repeat (versions). */
  int k = i / 3;
  r->nKey = (size_t)snprintf(r->zKey, sizeof(r->zKey), "user:%04d:item:%06d", k / 40, k);
  int kind = rnd32(pSeed) % 10;
  r->e.pKey = (const u8 *)r->zKey;
  r->e.nKey = r->nKey;
  r->e.seq = 1000000 - (u64)i;
  r->e.eKind = kind == 0 ? SDB_KIND_TOMBSTONE : kind == 1 ? SDB_KIND_MERGE : SDB_KIND_VALUE;
  if (r->e.eKind != SDB_KIND_TOMBSTONE) {
    r->nVal = rnd32(pSeed) % 40;
    for (size_t j = 0; j < r->nVal; j++) r->aVal[j] = (u8)rnd32(pSeed);
    r->e.pVal = r->aVal;
    r->e.nVal = r->nVal;
  }
  r->e.bHasCreateTs = kind != 3;
  r->e.createTs = r->e.bHasCreateTs ? 1700000000000 + i : 0;
  r->e.bHasExpireTs = kind == 4 || kind == 5;
  r->e.expireTs = r->e.bHasExpireTs ? -5 + i : 0;
}

static int entryEq(const SdbEntry *a, const SdbEntry *b) {
  return a->nKey == b->nKey && memcmp(a->pKey, b->pKey, a->nKey) == 0 && a->nVal == b->nVal &&
         (a->nVal == 0 || memcmp(a->pVal, b->pVal, a->nVal) == 0) && a->seq == b->seq &&
         a->eKind == b->eKind && a->bHasCreateTs == b->bHasCreateTs &&
         a->bHasExpireTs == b->bHasExpireTs && a->createTs == b->createTs &&
         a->expireTs == b->expireTs && (a->eKind != SDB_KIND_TOMBSTONE || b->pVal == NULL);
}

/* Rows [*piLo, *piHi) of sorted block p inside r, found the way the SST
** iterator does (sdbBlockSeek on each bound). */
static void blockSpan(const SdbBlock *p, const SdbRange *r, u32 *piLo, u32 *piHi) {
  *piLo = r->bHasLo ? sdbBlockSeek(p, r->pLo, r->nLo, r->bLoExcl) : 0;
  *piHi = r->bHasHi ? sdbBlockSeek(p, r->pHi, r->nHi, !r->bHiExcl) : p->nRow;
  if (*piHi < *piLo) *piHi = *piLo;
}

/* Decode or fail; never crash. Returns rc. */
static int decodeRc(const u8 *a, size_t n, int v) {
  SdbBlock *b = NULL;
  SdbErr err = {0};
  int rc = sdbBlockDecodeCopy(a, n, v, &b, &err);
  if (rc == SDB_OK) {
    /* Touch every row so ASan sees any bad pointer. */
    volatile u32 sum = 0;
    for (u32 i = 0; i < b->nRow; i++) {
      SdbEntry e;
      sdbBlockRowEntry(b, i, &e);
      for (size_t j = 0; j < e.nKey; j++) sum += e.pKey[j];
      for (size_t j = 0; j < e.nVal; j++) sum += e.pVal[j];
      sum += (u32)e.expireTs + (u32)e.createTs;
    }
    (void)sum;
  }
  sdbBlockFree(b);
  return rc;
}

/* Decoded block b holds the keys aKey[0..n) (lengths anKey) in order, its
** common prefix is shared by all of them and each row's key prefix past it
** is sdbKeyPrefix's. */
static int blockKeysAre(const SdbBlock *b, u8 (*aKey)[24], const int *anKey, int n) {
  if ((int)b->nRow != n) return 0;
  for (int i = 0; i < n; i++) {
    const u8 *k = sdbBlockKey(b, (u32)i);
    u32 nk = b->aRow[i].nKey, nC = b->nCommon;
    if ((int)nk != anKey[i] || memcmp(k, aKey[i], nk) || nC > nk || memcmp(k, sdbBlockKey(b, 0), nC) ||
        b->aPfx[i] != sdbKeyPrefix(k + nC, nk - nC)) {
      printf("# row %d of %d: key or prefix differs\n", i, n);
      return 0;
    }
  }
  return 1;
}

/* Keys of 1..24 bytes sharing every length of prefix with the one before
** (up to all of it: a key that is a prefix of the previous one, as in a WAL
** block), rebuilt by the decoder's 16-byte path and its memcpy path, into a
** new block and into a reused buffer. */
static void testBlockKeyShapes(void) {
  enum { N = 4000 };
  static u8 aKey[N][24];
  static int anKey[N];
  u64 seed = 99;
  SdbErr err = {0};
  for (int i = 0; i < N; i++) {
    int n = 1 + (int)(rnd32(&seed) % 24);
    int k = i ? (int)(rnd32(&seed) % (SDB_MIN(n, anKey[i - 1]) + 1)) : 0;
    if (i % 7 == 0 && i) k = n = SDB_MIN(anKey[i - 1], 16);   /* the previous key's first bytes */
    if (k) memcpy(aKey[i], aKey[i - 1], (size_t)k);
    for (int j = k; j < n; j++) aKey[i][j] = (u8)(rnd32(&seed) % 3 ? 'a' + rnd32(&seed) % 4 : rnd32(&seed));
    anKey[i] = n;
  }
  SdbBlockBuilder bb;
  SdbBlockBuf buf = {0};
  sdbBlockBuilderInit(&bb, 4096);
  int iFirst = 0, nBlk = 0, bOk = 1;
  for (int i = 0; i <= N && bOk; i++) {
    SdbEntry e = {aKey[i < N ? i : 0], (size_t)anKey[i < N ? i : 0], (const u8 *)"v", 1, (u64)i + 1,
                  SDB_KIND_VALUE, 0, 0, 0, 0};
    if (i < N && sdbBlockBuilderWouldFit(&bb, &e)) {
      sdbBlockBuilderAdd(&bb, &e, &err);
      continue;
    }
    SdbBuf out = {0};
    SdbBlock *pB = NULL;
    const SdbBlock *pInto = NULL;
    sdbBlockBuilderFinish(&bb, &out, &err);
    bOk = sdbBlockDecodeCopy(out.a, out.n, 2, &pB, &err) == SDB_OK &&
          sdbBlockDecodeInto(out.a, out.n, 2, &buf, &pInto, &err) == SDB_OK &&
          blockKeysAre(pB, aKey + iFirst, anKey + iFirst, i - iFirst) &&
          blockKeysAre(pInto, aKey + iFirst, anKey + iFirst, i - iFirst);
    sdbBlockFree(pB);
    sdbBufFree(&out);
    sdbBlockBuilderReset(&bb);
    nBlk++;
    iFirst = i;
    if (i < N) sdbBlockBuilderAdd(&bb, &e, &err);
  }
  sdbBlockBuilderFree(&bb);
  sdbBlockBufFree(&buf);
  CHECKF("block v2: keys of 1..24 bytes sharing every prefix length decode exactly (new block and "
         "reused buffer)", bOk && nBlk > 10, "ok %d, %d blocks", bOk, nBlk);
}

static void testBlockV2(void) {
  enum { N = 3000 };
  static Row aRow[N];
  u64 seed = 7;
  SdbErr err = {0};
  for (int i = 0; i < N; i++) rowMake(&aRow[i], i, &seed);

  SdbBlockBuilder bb;
  sdbBlockBuilderInit(&bb, 4096);
  SdbBuf aBlk[64];
  int aFirst[65];
  int nBlk = 0, bSizeOk = 1, bRestartOk = 1;
  memset(aBlk, 0, sizeof(aBlk));
  for (int i = 0; i <= N; i++) {
    if (i == N || !sdbBlockBuilderWouldFit(&bb, &aRow[i].e)) {
      size_t nWant = sdbBlockBuilderSize(&bb);
      u32 nRowsIn = bb.nRow;
      sdbBlockBuilderFinish(&bb, &aBlk[nBlk], &err);
      if (aBlk[nBlk].n != nWant || aBlk[nBlk].n > 4096) bSizeOk = 0;
      if (sdbGetU16BE(aBlk[nBlk].a + aBlk[nBlk].n - 2) != (nRowsIn + 15) / 16) bRestartOk = 0;
      nBlk++;
      sdbBlockBuilderReset(&bb);
      if (i == N) break;
      aFirst[nBlk] = i;
    }
    if (i == 0) aFirst[0] = 0;
    sdbBlockBuilderAdd(&bb, &aRow[i].e, &err);
  }
  aFirst[nBlk] = N;
  CHECKF("block builder: several 4 KiB blocks", nBlk > 5 && nBlk < 64, "%d", nBlk);
  CHECK("block builder: size accounting and 4096 limit", bSizeOk);
  CHECK("block builder: one restart per 16 rows", bRestartOk);

  int bRoundTrip = 1, bCut = 1;
  for (int b = 0; b < nBlk; b++) {
    SdbBlock *pB = NULL;
    SdbBuf copy = {0};
    sdbBufSet(&copy, aBlk[b].a, aBlk[b].n);
    if (sdbBlockDecode(&copy, 2, &pB, &err) != SDB_OK || copy.a != NULL) {
      bRoundTrip = 0;
      printf("# decode failed: %s\n", err.zMsg);
      sdbBufFree(&copy);
      continue;
    }
    if ((int)pB->nRow != aFirst[b + 1] - aFirst[b]) bRoundTrip = 0;
    for (u32 i = 0; i < pB->nRow && bRoundTrip; i++) {
      SdbEntry e;
      sdbBlockRowEntry(pB, i, &e);
      if (!entryEq(&e, &aRow[aFirst[b] + i].e)) {
        bRoundTrip = 0;
        printf("# block %d row %u differs\n", b, i);
      }
    }
    /* The next row would not have fit (cut rule). */
    if (b + 1 < nBlk) {
      SdbBlockBuilder t;
      sdbBlockBuilderInit(&t, 4096);
      for (int i = aFirst[b]; i < aFirst[b + 1]; i++) sdbBlockBuilderAdd(&t, &aRow[i].e, &err);
      if (sdbBlockBuilderWouldFit(&t, &aRow[aFirst[b + 1]].e)) bCut = 0;
      sdbBlockBuilderFree(&t);
    }
    sdbBlockFree(pB);
  }
  CHECK("block v2: encode/decode round trip", bRoundTrip);
  CHECK("block v2: cut rule (next row would not fit)", bCut);

  /* Pass 1 records up to 256 rows for pass 2 and a larger block is parsed
  ** twice: blocks around that size and past it round-trip, and every key
  ** seeks to its first row. */
  static const int aBig[] = {1, 255, 256, 257, 1000};
  int bBig = 1;
  for (size_t t = 0; t < sizeof(aBig) / sizeof(aBig[0]); t++) {
    SdbBlockBuilder big;
    SdbBuf out = {0};
    SdbBlock *pBig = NULL;
    int nIn = 0;
    sdbBlockBuilderInit(&big, 60000);
    while (nIn < aBig[t] && sdbBlockBuilderWouldFit(&big, &aRow[nIn].e)) {
      sdbBlockBuilderAdd(&big, &aRow[nIn++].e, &err);
    }
    sdbBlockBuilderFinish(&big, &out, &err);
    if (nIn != aBig[t] || sdbBlockDecodeCopy(out.a, out.n, 2, &pBig, &err) != SDB_OK ||
        (int)pBig->nRow != nIn) {
      bBig = 0;
    }
    for (int i = 0; bBig && i < nIn; i++) {
      SdbEntry e;
      sdbBlockRowEntry(pBig, (u32)i, &e);
      u32 iSeek = sdbBlockSeek(pBig, aRow[i].e.pKey, aRow[i].e.nKey, 0);
      if (!entryEq(&e, &aRow[i].e) || iSeek > (u32)i ||
          sdbKeyCmp(sdbBlockKey(pBig, iSeek), pBig->aRow[iSeek].nKey, e.pKey, e.nKey) != 0) {
        bBig = 0;
        printf("# %d-row block: row %d differs or seeks to %u\n", aBig[t], i, iSeek);
      }
    }
    sdbBlockFree(pBig);
    sdbBufFree(&out);
    sdbBlockBuilderFree(&big);
  }
  CHECK("block v2: 1, 255, 256, 257 and 1000-row blocks round-trip and seek", bBig);

  /* Ranges in one block, both directions, against a linear filter. */
  SdbBlock *pB = NULL;
  sdbBlockDecodeCopy(aBlk[1].a, aBlk[1].n, 2, &pB, &err);
  int bRange = 1;
  for (int t = 0; t < 200 && pB; t++) {
    u32 i1 = rnd32(&seed) % pB->nRow, i2 = rnd32(&seed) % pB->nRow;
    SdbRange r = {sdbBlockKey(pB, i1), pB->aRow[i1].nKey, (int)(t % 5 != 0), (int)(t % 3 == 0),
                  sdbBlockKey(pB, i2), pB->aRow[i2].nKey, (int)(t % 7 != 0), (int)(t % 2 == 0)};
    if (t % 11 == 0) { r.pLo = (const u8 *)"user:profile:0"; r.nLo = 14; }
    u32 iLo, iHi;
    blockSpan(pB, &r, &iLo, &iHi);
    for (int d = 0; d < 2; d++) {
      u32 nWant = 0;
      for (u32 i = 0; i < pB->nRow; i++) {
        if (sdbRangeContains(&r, sdbBlockKey(pB, i), pB->aRow[i].nKey)) nWant++;
      }
      u32 nGot = 0;
      const SdbEntry *pPrev = NULL;
      SdbEntry prev, cur;
      for (u32 k = iLo; k < iHi; k++) {
        sdbBlockRowEntry(pB, d ? iHi - 1 - (k - iLo) : k, &cur);
        if (!sdbRangeContains(&r, cur.pKey, cur.nKey)) bRange = 0;
        if (pPrev) {
          int c = sdbKeyCmp(prev.pKey, prev.nKey, cur.pKey, cur.nKey);
          if (d ? c < 0 : c > 0) bRange = 0;
        }
        prev = cur;
        pPrev = &prev;
        nGot++;
      }
      if (nGot != nWant) bRange = 0;
    }
  }
  CHECK("block v2: ranges in both directions", bRange);
  CHECK("block: seek past the end", pB && sdbBlockSeek(pB, (const u8 *)"\xff", 1, 0) == pB->nRow);
  sdbBlockFree(pB);

  /* Every truncation and every bit flip of a real block: CORRUPT or OK. */
  int nOther = 0, nCorrupt = 0;
  SdbBuf *pBlk = &aBlk[2];
  for (size_t n = 0; n < pBlk->n; n++) {
    int rc = decodeRc(pBlk->a, n, 2);
    if (rc == SDB_CORRUPT) nCorrupt++;
    else if (rc != SDB_OK) nOther++;
  }
  CHECKF("block v2: truncations are corrupt", nOther == 0 && nCorrupt > (int)pBlk->n * 9 / 10,
         "other=%d corrupt=%d of %zu", nOther, nCorrupt, pBlk->n);
  nOther = 0;
  for (size_t i = 0; i < pBlk->n; i++) {
    for (int bit = 0; bit < 8; bit++) {
      pBlk->a[i] ^= (u8)(1 << bit);
      int rc = decodeRc(pBlk->a, pBlk->n, 2);
      if (rc != SDB_CORRUPT && rc != SDB_OK) nOther++;
      rc = decodeRc(pBlk->a, pBlk->n, 1); /* the V1 decoder on V2 bytes */
      if (rc != SDB_CORRUPT && rc != SDB_OK) nOther++;
      pBlk->a[i] ^= (u8)(1 << bit);
    }
  }
  CHECK("block: every single-bit flip decodes or is corrupt", nOther == 0);

  for (int b = 0; b < nBlk; b++) sdbBufFree(&aBlk[b]);
  sdbBlockBuilderFree(&bb);
}

/* The block from spec/SST.md §6.1 (an L0 written by SlateDB 0.12.1). */
static void testSpecBlock(void) {
  static const u8 a[] = {
      0x00, 0x03, 0x0c, 0x00, 0x01, 0xff, 'b', 'i', 'n', 'a', 'r', 'y', '-', 'k', 'e', 'y', '-', '1',
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x04, 0x00, 0x00, 0x01, 0xa2, 0x01, 0x26, 0xfa, 0xe1,
      0x03, 0x01, 0x0c, 0x00, 'b', 'i', 'n', 'a', 'r', 'y', '-', 'k', 'e', 'y', '-', '2',
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x06, 0x04, 0x00, 0x00, 0x01, 0xa2, 0x01, 0x26, 0xfb, 0x45,
      0x00, 0x00, 0x00, 0x01,
      0x6d, 0x14, 0x1d, 0x78};
  SdbErr err = {0};
  CHECK("spec block: CRC-32 matches", sdbCrc32(a, sizeof(a) - 4) == sdbGetU32BE(a + sizeof(a) - 4));
  SdbBlock *b = NULL;
  int rc = sdbBlockDecodeCopy(a, sizeof(a) - 4, 2, &b, &err);
  CHECKF("spec block: decodes", rc == SDB_OK && b->nRow == 2, "rc=%d %s", rc, err.zMsg);
  if (rc == SDB_OK) {
    SdbEntry e0, e1;
    sdbBlockRowEntry(b, 0, &e0);
    sdbBlockRowEntry(b, 1, &e1);
    CHECK("spec block: row 0", e0.nKey == 3 && memcmp(e0.pKey, "\x00\x01\xff", 3) == 0 &&
                                   e0.nVal == 12 && memcmp(e0.pVal, "binary-key-1", 12) == 0 &&
                                   e0.seq == 5 && e0.eKind == SDB_KIND_VALUE && e0.bHasCreateTs &&
                                   !e0.bHasExpireTs && e0.createTs == 0x1a20126fae1ll);
    CHECK("spec block: row 1 shares 3 bytes", e1.nKey == 4 &&
                                                  memcmp(e1.pKey, "\x00\x01\xff\x00", 4) == 0 &&
                                                  e1.seq == 6 && e1.createTs == 0x1a20126fb45ll);
  }
  sdbBlockFree(b);
}

/* Append a V1 (V0-codec) row. */
static void v1Row(SdbBuf *p, u16 nPrefix, const char *zSuffix, u64 seq, u8 flags, i64 expire,
                  i64 create, const char *zVal) {
  u8 h[8];
  sdbPutU16BE(h, nPrefix);
  sdbPutU16BE(h + 2, (u16)strlen(zSuffix));
  sdbBufAppend(p, h, 4);
  sdbBufAppend(p, zSuffix, strlen(zSuffix));
  sdbPutU64BE(h, seq);
  sdbBufAppend(p, h, 8);
  sdbBufAppend(p, &flags, 1);
  if (flags & 2) { sdbPutU64BE(h, (u64)expire); sdbBufAppend(p, h, 8); }
  if (flags & 4) { sdbPutU64BE(h, (u64)create); sdbBufAppend(p, h, 8); }
  if (!(flags & 1)) {
    sdbPutU32BE(h, (u32)strlen(zVal));
    sdbBufAppend(p, h, 4);
    sdbBufAppend(p, zVal, strlen(zVal));
  }
}

static void testBlockV1(void) {
  SdbBuf b = {0};
  SdbErr err = {0};
  u16 aOff[4];
  aOff[0] = (u16)b.n; v1Row(&b, 0, "apple", 9, 0x04, 0, 111, "red");
  aOff[1] = (u16)b.n; v1Row(&b, 2, "ricot", 8, 0x07, 77, 222, "");        /* tombstone w/ expire */
  aOff[2] = (u16)b.n; v1Row(&b, 5, "", 7, 0x0e, 88, 333, "op");          /* merge, same key as first */
  aOff[3] = (u16)b.n; v1Row(&b, 1, "vocado", 6, 0x00, 0, 0, "");         /* no timestamps, empty value */
  for (int i = 0; i < 4; i++) {
    u8 h[2];
    sdbPutU16BE(h, aOff[i]);
    sdbBufAppend(&b, h, 2);
  }
  u8 h[2];
  sdbPutU16BE(h, 4);
  sdbBufAppend(&b, h, 2);
  SdbBlock *p = NULL;
  int rc = sdbBlockDecodeCopy(b.a, b.n, 1, &p, &err);
  CHECKF("block v1: decodes", rc == SDB_OK && p->nRow == 4, "rc=%d %s", rc, err.zMsg);
  if (rc == SDB_OK) {
    SdbEntry e[4];
    for (int i = 0; i < 4; i++) sdbBlockRowEntry(p, (u32)i, &e[i]);
    CHECK("block v1: row 0", e[0].nKey == 5 && memcmp(e[0].pKey, "apple", 5) == 0 && e[0].seq == 9 &&
                                 e[0].eKind == SDB_KIND_VALUE && e[0].nVal == 3 &&
                                 memcmp(e[0].pVal, "red", 3) == 0 && e[0].createTs == 111);
    CHECK("block v1: tombstone, prefix of the first key, expire dropped",
          e[1].nKey == 7 && memcmp(e[1].pKey, "apricot", 7) == 0 && e[1].eKind == SDB_KIND_TOMBSTONE &&
              e[1].pVal == NULL && e[1].nVal == 0 && e[1].bHasCreateTs && e[1].createTs == 222 &&
              !e[1].bHasExpireTs);
    CHECK("block v1: merge operand sharing the whole first key",
          e[2].nKey == 5 && memcmp(e[2].pKey, "apple", 5) == 0 && e[2].eKind == SDB_KIND_MERGE &&
              e[2].bHasExpireTs && e[2].expireTs == 88 && e[2].createTs == 333 && e[2].nVal == 2);
    CHECK("block v1: prefix relative to the FIRST key, not the previous",
          e[3].nKey == 7 && memcmp(e[3].pKey, "avocado", 7) == 0 && !e[3].bHasCreateTs &&
              e[3].nVal == 0 && e[3].pVal != NULL);
  }
  sdbBlockFree(p);

  /* Corruptions. */
  int nOther = 0, nOk = 0;
  for (size_t n = 0; n < b.n; n++) {
    rc = decodeRc(b.a, n, 1);
    if (rc == SDB_OK) nOk++; /* a prefix can be a valid smaller block */
    else if (rc != SDB_CORRUPT) nOther++;
  }
  CHECKF("block v1: truncations are corrupt (or a valid shorter block)",
         nOther == 0 && nOk <= 2, "ok=%d other=%d", nOk, nOther);
  b.a[aOff[1] + 1] = 9; /* prefix 9 > first key length 5 */
  CHECK("block v1: prefix longer than the first key is corrupt", decodeRc(b.a, b.n, 1) == SDB_CORRUPT);
  b.a[aOff[1] + 1] = 2;
  b.a[b.n - 2 - 8 + 3] = 0xff; /* offset of row 1 -> out of order */
  CHECK("block v1: offset out of range is corrupt", decodeRc(b.a, b.n, 1) == SDB_CORRUPT);
  CHECK("block: unknown format version is corrupt", decodeRc(b.a, b.n, 3) == SDB_CORRUPT);
  sdbBufFree(&b);
}

/* Hand-made V2 corruptions. */
static void testBlockV2Bad(void) {
  SdbBlockBuilder bb;
  SdbErr err = {0};
  SdbBuf b = {0};
  sdbBlockBuilderInit(&bb, 4096);
  SdbEntry e = {0};
  e.pKey = (const u8 *)"abc"; e.nKey = 3; e.pVal = (const u8 *)"v"; e.nVal = 1; e.seq = 1;
  sdbBlockBuilderAdd(&bb, &e, &err);
  e.pKey = (const u8 *)"abd"; e.seq = 2;
  sdbBlockBuilderAdd(&bb, &e, &err);
  sdbBlockBuilderFinish(&bb, &b, &err);
  /* Row 0: 00 03 01 'abc' 'v' seq8 flags -> flags at offset 3+3+1+8 = 15. */
  CHECK("v2 bad: baseline decodes", decodeRc(b.a, b.n, 2) == SDB_OK);
  u8 save = b.a[15];
  b.a[15] = 0x09; /* TOMBSTONE | MERGE */
  CHECK("v2 bad: tombstone+merge flags are corrupt", decodeRc(b.a, b.n, 2) == SDB_CORRUPT);
  b.a[15] = 0x10; /* unknown bit */
  CHECK("v2 bad: unknown flag bit is corrupt", decodeRc(b.a, b.n, 2) == SDB_CORRUPT);
  b.a[15] = save;
  /* Row 1 starts at 16: shared = 2; make it 4 (> previous key length). */
  CHECK("v2 bad: row 1 shares 2 bytes", b.a[16] == 2);
  b.a[16] = 4;
  CHECK("v2 bad: shared longer than the previous key is corrupt", decodeRc(b.a, b.n, 2) == SDB_CORRUPT);
  b.a[16] = 2;
  b.a[0] = 1; /* restart row with shared != 0 */
  CHECK("v2 bad: restart row sharing bytes is corrupt", decodeRc(b.a, b.n, 2) == SDB_CORRUPT);
  b.a[0] = 0;
  b.a[b.n - 1] = 2; /* two restarts claimed: offsets run into the rows */
  CHECK("v2 bad: restart not at a row start is corrupt", decodeRc(b.a, b.n, 2) == SDB_CORRUPT);
  b.a[b.n - 1] = 0x7f;
  CHECK("v2 bad: restart count beyond the block is corrupt", decodeRc(b.a, b.n, 2) == SDB_CORRUPT);
  b.a[b.n - 1] = 0;
  CHECK("v2 bad: rows without restarts are corrupt", decodeRc(b.a, b.n, 2) == SDB_CORRUPT);
  b.a[b.n - 1] = 1;
  b.a[b.n - 3] = 16; /* restart 0 at row 1 (row 0 not a restart) */
  CHECK("v2 bad: first row not a restart is corrupt", decodeRc(b.a, b.n, 2) == SDB_CORRUPT);
  b.a[b.n - 3] = 0;
  u8 aEmpty[2] = {0, 0};
  CHECK("v2: an empty block decodes to no rows", decodeRc(aEmpty, 2, 2) == SDB_OK);
  CHECK("v2 bad: 1-byte block is corrupt", decodeRc(aEmpty, 1, 2) == SDB_CORRUPT);
  /* A value_len varint that claims more than the block. */
  b.a[2] = 0x7f;
  CHECK("v2 bad: value overrunning the block is corrupt", decodeRc(b.a, b.n, 2) == SDB_CORRUPT);
  sdbBufFree(&b);
  sdbBlockBuilderFree(&bb);

  /* Key expansion bomb: many rows sharing a long prefix; each decodes to a
  ** long key. Must either fit the limit or be refused, never explode. */
  SdbBuf big = {0};
  u8 aKey[60000];
  memset(aKey, 'k', sizeof(aKey));
  u8 tmp[16];
  int n = sdbPutVarint32(tmp, 0);
  n += sdbPutVarint32(tmp + n, sizeof(aKey));
  n += sdbPutVarint32(tmp + n, 0);
  sdbBufAppend(&big, tmp, (size_t)n);
  sdbBufAppend(&big, aKey, sizeof(aKey));
  memset(tmp, 0, 9);
  sdbBufAppend(&big, tmp, 9);
  for (int i = 0; i < 5000; i++) {
    int m = sdbPutVarint32(tmp, 59999);
    m += sdbPutVarint32(tmp + m, 1);
    m += sdbPutVarint32(tmp + m, 0);
    tmp[m++] = (u8)('a' + i % 2);
    memset(tmp + m, 0, 9);
    sdbBufAppend(&big, tmp, (size_t)m + 9);
  }
  u8 tr[4] = {0, 0, 0, 1};
  sdbBufAppend(&big, tr, 4);
  int rc = decodeRc(big.a, big.n, 2);
  CHECKF("v2 bad: key expansion bomb is bounded", rc == SDB_CORRUPT, "rc=%d", rc);
  sdbBufFree(&big);
}

/* ------------------------------------------------------------ cache */
static int gFreed[16];
static void freeInt(void *p) { gFreed[*(int *)p]++; sdbFree(p); }
static int *newInt(int v) { int *p = sdbMalloc(sizeof(int)); *p = v; return p; }

static void testCache(void) {
  memset(gFreed, 0, sizeof(gFreed));
  SdbCache *c = sdbCacheNew(300);
  SdbCacheStats st;
  for (int i = 0; i < 3; i++) {
    SdbCacheHandle *h = sdbCacheInsert(c, 1, (u32)i, newInt(i), 100, freeInt);
    sdbCacheRelease(c, h);
  }
  CHECK("cache: three entries fit", gFreed[0] + gFreed[1] + gFreed[2] == 0);
  SdbCacheHandle *h0 = sdbCacheLookup(c, 1, 0); /* touch 0: the hand passes it, takes 1 */
  CHECK("cache: hit", h0 && *(int *)sdbCacheValue(h0) == 0);
  sdbCacheRelease(c, h0);
  sdbCacheRelease(c, sdbCacheInsert(c, 1, 3, newInt(3), 100, freeInt));
  CHECK("cache: unreferenced entry evicted", gFreed[1] == 1 && gFreed[0] == 0 && gFreed[2] == 0);
  CHECK("cache: evicted entry misses", sdbCacheLookup(c, 1, 1) == NULL);
  /* Pin 2, then overflow: 2 survives while pinned. */
  SdbCacheHandle *h2 = sdbCacheLookup(c, 1, 2);
  sdbCacheRelease(c, sdbCacheInsert(c, 2, 0, newInt(4), 250, freeInt));
  CHECK("cache: pinned entry not evicted", gFreed[2] == 0 && *(int *)sdbCacheValue(h2) == 2);
  sdbCacheGetStats(c, &st);
  CHECKF("cache: over capacity while pinned", st.nBytes <= 350 && st.nBytes >= 100, "%llu",
         (unsigned long long)st.nBytes);
  sdbCacheRelease(c, h2);
  sdbCacheGetStats(c, &st);
  CHECKF("cache: back within capacity after release", st.nBytes <= 300, "%llu",
         (unsigned long long)st.nBytes);
  /* Duplicate insert: the existing entry wins, the new value is freed. */
  SdbCacheHandle *a = sdbCacheInsert(c, 9, 9, newInt(5), 10, freeInt);
  SdbCacheHandle *b = sdbCacheInsert(c, 9, 9, newInt(6), 10, freeInt);
  CHECK("cache: duplicate insert shares the first value",
        a == b && *(int *)sdbCacheValue(b) == 5 && gFreed[6] == 1 && gFreed[5] == 0);
  sdbCacheRelease(c, a);
  sdbCacheRelease(c, b);
  sdbCacheEraseUid(c, 9);
  CHECK("cache: erase by uid", gFreed[5] == 1 && sdbCacheLookup(c, 9, 9) == NULL);
  sdbCacheGetStats(c, &st);
  CHECKF("cache: counters", st.nHit >= 2 && st.nMiss >= 2 && st.nInsert == 6 && st.nEvict >= 1,
         "hit=%llu miss=%llu ins=%llu ev=%llu", (unsigned long long)st.nHit,
         (unsigned long long)st.nMiss, (unsigned long long)st.nInsert, (unsigned long long)st.nEvict);
  /* Many entries: the hash table grows; all still findable. */
  int bAll = 1;
  SdbCache *c2 = sdbCacheNew(1 << 30);
  for (u32 i = 0; i < 5000; i++) sdbCacheRelease(c2, sdbCacheInsert(c2, i % 7, i, NULL, 1, NULL));
  for (u32 i = 0; i < 5000; i++) {
    SdbCacheHandle *h = sdbCacheLookup(c2, i % 7, i);
    if (!h) bAll = 0;
    sdbCacheRelease(c2, h);
  }
  CHECK("cache: 5000 entries all found", bAll);
  sdbCacheFree(c2);
  sdbCacheFree(c);
  CHECK("cache: free destroys remaining values", gFreed[0] == 1 && gFreed[3] == 1);
}

int main(void) {
  testCrcVarint();
  testCrc32();
  testBloom();
  testCodecs();
  testSpecBlock();
  testBlockV2();
  testBlockKeyShapes();
  testBlockV1();
  testBlockV2Bad();
  testCache();
  return test_done();
}
