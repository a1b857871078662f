/*
** bloom.c: SipHash-1-3, bloom probes, lookups and the filter builder.
**
** Layouts are in bloom.h (spec/SST.md §7.2-§7.4; slatedb/src/filter.rs at
** fce6ed00). In short: a legacy payload is a u16 BE probe count followed by
** the bit array; bit b lives in byte b/8 at mask 1<<(b%8). A key's probes
** come from its SipHash-1-3 (zero keys) h: cur = low32(h) % m,
** delta = high32(h) % m, then for i = 0.. : delta = (delta+i) % m, probe cur,
** cur = (cur+delta) % m.
*/
#include "table/bloom.h"

/* ------------------------------------------------------------ SipHash-1-3 */
#define ROTL(x, b) (u64)(((x) << (b)) | ((x) >> (64 - (b))))

#define SIPROUND                                                    \
  do {                                                              \
    v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32);       \
    v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2;                          \
    v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0;                          \
    v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32);       \
  } while (0)

u64 sdbSipHash13(const u8 *a, size_t n) {
  /* The initial constants xor k0 = k1 = 0. */
  u64 v0 = 0x736f6d6570736575ull;
  u64 v1 = 0x646f72616e646f6dull;
  u64 v2 = 0x6c7967656e657261ull;
  u64 v3 = 0x7465646279746573ull;
  size_t nWhole = n & ~(size_t)7;
  for (size_t i = 0; i < nWhole; i += 8) {
    u64 m = sdbGetU64LE(a + i);
    v3 ^= m;
    SIPROUND;
    v0 ^= m;
  }
  u64 last = (u64)(n & 0xff) << 56;
  for (size_t i = 0; i < (n & 7); i++) last |= (u64)a[nWhole + i] << (8 * i);
  v3 ^= last;
  SIPROUND;
  v0 ^= last;
  v2 ^= 0xff;
  SIPROUND;
  SIPROUND;
  SIPROUND;
  return v0 ^ v1 ^ v2 ^ v3;
}

/* ------------------------------------------------------------ probes */
/* The probe sequence of one key hash over m bits (spec/SST.md §7.3), shared
** by the builder, the lookup and sdbBloomProbes. */
typedef struct Probe {
  u64 cur, delta, m;
} Probe;

static inline void probeInit(Probe *p, u64 h, u64 m) {
  p->m = m;
  p->cur = (h & 0xffffffffull) % m;
  p->delta = (h >> 32) % m;
}

/* The bit of probe i; REQUIRES calls with i = 0, 1, 2, ... in order. */
static inline u64 probeNext(Probe *p, u32 i) {
  u64 bit = p->cur;
  p->delta = (p->delta + i) % p->m;
  p->cur = (p->cur + p->delta) % p->m;
  return bit;
}

void sdbBloomProbes(u64 h, u32 nProbes, u64 m, u64 *aOut) {
  Probe pr;
  probeInit(&pr, h, m);
  for (u32 i = 0; i < nProbes; i++) aOut[i] = probeNext(&pr, i);
}

int sdbBloomMayContainHash(const u8 *p, size_t n, u64 h) {
  if (n < 2) return 1;
  u32 nProbes = sdbGetU16BE(p);
  const u8 *aBits = p + 2;
  u64 m = (u64)(n - 2) * 8;
  if (m == 0) return 1;
  Probe pr;
  probeInit(&pr, h, m);
  for (u32 i = 0; i < nProbes; i++) {
    u64 bit = probeNext(&pr, i);
    if ((aBits[bit >> 3] & (1u << (bit & 7))) == 0) return 0;
  }
  return 1;
}

int sdbBloomMayContain(const u8 *p, size_t n, const u8 *key, size_t nKey) {
  return sdbBloomMayContainHash(p, n, sdbSipHash13(key, nKey));
}

int sdbBloomCheck(const u8 *p, size_t n, SdbErr *pErr) {
  (void)p;
  if (n < 2) return sdbCorrupt(pErr, "bloom filter: payload of %zu bytes is too short", n);
  return SDB_OK;
}

int sdbBloomFromComposite(const u8 *p, size_t n, const u8 **ppBloom, size_t *pnBloom,
                          SdbErr *pErr) {
  *ppBloom = NULL;
  *pnBloom = 0;
  if (n < 2) return sdbCorrupt(pErr, "composite filter: missing filter count");
  u32 nFilter = sdbGetU16BE(p);
  size_t at = 2;
  for (u32 i = 0; i < nFilter; i++) {
    if (n - at < 2) return sdbCorrupt(pErr, "composite filter: truncated entry %u", i);
    size_t nName = sdbGetU16BE(p + at);
    at += 2;
    if (n - at < nName + 8) return sdbCorrupt(pErr, "composite filter: truncated entry %u", i);
    const u8 *zName = p + at;
    at += nName;
    u64 nData = sdbGetU64BE(p + at);
    at += 8;
    if (nData > n - at) return sdbCorrupt(pErr, "composite filter: entry %u overruns", i);
    if (nName == 3 && memcmp(zName, "_bf", 3) == 0 && !*ppBloom) {
      *ppBloom = p + at;
      *pnBloom = (size_t)nData;
    }
    at += (size_t)nData;
  }
  return SDB_OK;
}

/* ------------------------------------------------------------ builder */
int sdbBloomBuildHashes(const u64 *aHash, size_t nHash, u32 bitsPerKey, SdbBuf *pOut,
                        SdbErr *pErr) {
  if (nHash == 0 || bitsPerKey == 0) {
    return sdbErrSet(pErr, SDB_MISUSE, "bloom filter: refusing to build a zero-bit filter");
  }
  if (nHash > (SIZE_MAX - 16) / 8 / bitsPerKey) return SDB_NOMEM_ERR(pErr);
  u16 nProbes = (u16)((float)bitsPerKey * 0.69f);
  size_t nBytes = (nHash * (size_t)bitsPerKey + 7) / 8;
  if (sdbBufReserve(pOut, 2 + nBytes)) return SDB_NOMEM_ERR(pErr);
  u8 *p = pOut->a + pOut->n;
  sdbPutU16BE(p, nProbes);
  u8 *aBits = p + 2;
  memset(aBits, 0, nBytes);
  u64 m = (u64)nBytes * 8;
  for (size_t k = 0; k < nHash; k++) {
    Probe pr;
    probeInit(&pr, aHash[k], m);
    for (u32 i = 0; i < nProbes; i++) {
      u64 bit = probeNext(&pr, i);
      aBits[bit >> 3] |= (u8)(1u << (bit & 7));
    }
  }
  pOut->n += 2 + nBytes;
  return SDB_OK;
}
