/*
** util.c: allocation shim, error helpers, SdbBuf, varints and small helpers
** shared by every core/ module (CRC-32 is in crc32.c). See sdbInt.h for the
** contracts.
*/
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "util/sdbInt.h"

/* ------------------------------------------------------------ allocation */
/* The default methods: the C library's. */
static void *libcMalloc(void *pCtx, size_t n) { return malloc(n); }
static void *libcRealloc(void *pCtx, void *p, size_t n) { return realloc(p, n); }
static void libcFree(void *pCtx, void *p) { free(p); }

/* The installed methods (sdb_config_alloc) and the number of allocations made
** through them and not yet freed, which keeps them from being swapped while
** memory is live. allocMu serialises sdb_config_alloc; the methods are read
** without it (changing them while the library is in use is not allowed). */
static SdbAllocMethods gAlloc = {libcMalloc, libcRealloc, libcFree, NULL};
static pthread_mutex_t allocMu = PTHREAD_MUTEX_INITIALIZER;
static u64 nAllocLive = 0;   /* atomic */

int sdb_config_alloc(const SdbAllocMethods *pMethods) {
  static const SdbAllocMethods libc = {libcMalloc, libcRealloc, libcFree, NULL};
  if (!pMethods) pMethods = &libc;
  if (!pMethods->xMalloc || !pMethods->xRealloc || !pMethods->xFree) return SDB_MISUSE;
  pthread_mutex_lock(&allocMu);
  int rc = SDB_MISUSE;
  if (__atomic_load_n(&nAllocLive, __ATOMIC_SEQ_CST) == 0) {
    gAlloc = *pMethods;
    rc = SDB_OK;
  }
  pthread_mutex_unlock(&allocMu);
  return rc;
}

void *sdbMalloc(size_t n) {
  void *p = gAlloc.xMalloc(gAlloc.pCtx, n ? n : 1);
  if (p) __atomic_add_fetch(&nAllocLive, 1, __ATOMIC_RELAXED);
  return p;
}

void *sdbMallocZero(size_t n) {
  void *p = sdbMalloc(n);
  if (p) memset(p, 0, n);
  return p;
}

void *sdbRealloc(void *p, size_t n) {
  void *pNew = gAlloc.xRealloc(gAlloc.pCtx, p, n ? n : 1);
  if (pNew && !p) __atomic_add_fetch(&nAllocLive, 1, __ATOMIC_RELAXED);
  return pNew;
}

void sdbFree(void *p) {
  if (!p) return;
  gAlloc.xFree(gAlloc.pCtx, p);
  __atomic_sub_fetch(&nAllocLive, 1, __ATOMIC_RELAXED);
}

/* Memory the engine returned to an application (sdb_db_checkpoints). */
void sdb_free(void *p) { sdbFree(p); }

char *sdbStrdup(const char *z) {
  return z ? (char *)sdbMemdup(z, strlen(z) + 1) : NULL;
}

void *sdbMemdup(const void *p, size_t n) {
  void *pNew = sdbMalloc(n);
  if (pNew && n) memcpy(pNew, p, n);
  return pNew;
}

static char *vmprintf(const char *zFmt, va_list ap) {
  va_list ap2;
  va_copy(ap2, ap);
  int n = vsnprintf(NULL, 0, zFmt, ap2);
  va_end(ap2);
  if (n < 0) return NULL;
  char *z = sdbMalloc((size_t)n + 1);
  if (z) vsnprintf(z, (size_t)n + 1, zFmt, ap);
  return z;
}

char *sdbMprintf(const char *zFmt, ...) {
  va_list ap;
  va_start(ap, zFmt);
  char *z = vmprintf(zFmt, ap);
  va_end(ap);
  return z;
}

/* ------------------------------------------------------------ cost */
/* The calling thread's cost record (sdb_cost_attach); never owned here. */
static __thread SdbCost *tlsCost __attribute__((tls_model("initial-exec")));

/* See slatedb.h. */
SdbCost *sdb_cost_attach(SdbCost *pCost) {
  SdbCost *pOld = tlsCost;
  tlsCost = pCost;
  return pOld;
}

/* See sdbInt.h. */
SdbCost *sdbCostSink(void) { return tlsCost; }

/* See sdbInt.h. */
void sdbCostAddToSink(const SdbCost *p) {
  SdbCost *pSink = tlsCost;
  if (!pSink) return;
  const uint64_t *a = (const uint64_t *)p;
  uint64_t *b = (uint64_t *)pSink;
  for (size_t i = 0; i < sizeof(*p) / sizeof(uint64_t); i++) {
    uint64_t v = __atomic_load_n(&a[i], __ATOMIC_RELAXED);
    if (v) __atomic_add_fetch(&b[i], v, __ATOMIC_RELAXED);
  }
}

/* ------------------------------------------------------------ errors */
/* See sdbInt.h. */
int sdbLibLoad(const char *zSoname, const char *const *azSym, int nSym, void **apFn, char *zWhy,
               size_t nWhy) {
  void *h = dlopen(zSoname, RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    const char *z = dlerror();
    snprintf(zWhy, nWhy, "cannot load %s: %s", zSoname, z ? z : "unknown reason");
    return 0;
  }
  for (int i = 0; i < nSym; i++) {
    if ((apFn[i] = dlsym(h, azSym[i])) == NULL) {
      snprintf(zWhy, nWhy, "%s lacks %s", zSoname, azSym[i]);
      return 0;
    }
  }
  return 1;
}

void sdb_err_clear(SdbErr *pErr) {
  if (pErr) { pErr->rc = SDB_OK; pErr->zMsg[0] = 0; }
}

int sdbErrSet(SdbErr *pErr, int rc, const char *zFmt, ...) {
  if (pErr) {
    va_list ap;
    va_start(ap, zFmt);
    vsnprintf(pErr->zMsg, sizeof(pErr->zMsg), zFmt, ap);
    va_end(ap);
    pErr->rc = rc;
  }
  return rc;
}

void sdbErrWrap(SdbErr *pErr, const char *zFmt, ...) {
  if (!pErr) return;
  char zPrefix[sizeof(pErr->zMsg)];
  char zOld[sizeof(pErr->zMsg)];
  va_list ap;
  va_start(ap, zFmt);
  vsnprintf(zPrefix, sizeof(zPrefix), zFmt, ap);
  va_end(ap);
  memcpy(zOld, pErr->zMsg, sizeof(zOld));
  snprintf(pErr->zMsg, sizeof(pErr->zMsg), "%s%s", zPrefix, zOld);
}

int sdbCorrupt(SdbErr *pErr, const char *zFmt, ...) {
  if (pErr) {
    va_list ap;
    va_start(ap, zFmt);
    vsnprintf(pErr->zMsg, sizeof(pErr->zMsg), zFmt, ap);
    va_end(ap);
    pErr->rc = SDB_CORRUPT;
  }
  return SDB_CORRUPT;
}

/* ------------------------------------------------------------ SdbBuf */
int sdbBufReserve(SdbBuf *p, size_t nExtra) {
  if (p->n + nExtra <= p->nAlloc) return SDB_OK;
  if (nExtra > SIZE_MAX / 2 - p->n) return SDB_NOMEM;
  /* The first allocation is exact (a block read into a fresh buffer, which
  ** the cache then charges, takes what it needs); later ones double. */
  size_t nNew = p->nAlloc ? p->nAlloc : SDB_MAX(nExtra, (size_t)16);
  while (nNew < p->n + nExtra) nNew *= 2;
  u8 *aNew = sdbRealloc(p->a, nNew);
  if (!aNew) return SDB_NOMEM;
  p->a = aNew;
  p->nAlloc = nNew;
  return SDB_OK;
}

int sdbBufAppend(SdbBuf *p, const void *a, size_t n) {
  if (sdbBufReserve(p, n)) return SDB_NOMEM;
  if (n) memcpy(p->a + p->n, a, n);
  p->n += n;
  return SDB_OK;
}

int sdbBufSet(SdbBuf *p, const void *a, size_t n) {
  p->n = 0;
  return sdbBufAppend(p, a, n);
}

void sdbBufFree(SdbBuf *p) {
  sdbFree(p->a);
  p->a = NULL;
  p->n = p->nAlloc = 0;
}

u8 *sdbBufDetach(SdbBuf *p) {
  u8 *a = p->a;
  p->a = NULL;
  p->n = p->nAlloc = 0;
  return a;
}

/* ------------------------------------------------------------ coding */
int sdbGetVarint32(const u8 *p, const u8 *pEnd, u32 *pV) {
  u64 v = 0;
  for (int i = 0; i < 5; i++) {
    if (p + i >= pEnd) return 0;
    v |= (u64)(p[i] & 0x7f) << (7 * i);
    if ((p[i] & 0x80) == 0) {
      if (v > 0xffffffffu) return 0;
      *pV = (u32)v;
      return i + 1;
    }
  }
  return 0;
}

int sdbPutVarint32(u8 *p, u32 v) {
  int i = 0;
  while (v >= 0x80) {
    p[i++] = (u8)(v | 0x80);
    v >>= 7;
  }
  p[i++] = (u8)v;
  return i;
}

int sdbKeyCmp(const u8 *a, size_t na, const u8 *b, size_t nb) {
  size_t n = na < nb ? na : nb;
  int c = n ? memcmp(a, b, n) : 0;
  if (c) return c;
  return na < nb ? -1 : (na > nb ? 1 : 0);
}

void sdbHexForMsg(const u8 *a, size_t n, char *zOut, size_t nOut) {
  static const char hex[] = "0123456789abcdef";
  size_t j = 0;
  if (nOut < 8) {
    if (nOut) zOut[0] = 0;
    return;
  }
  for (size_t i = 0; i < n; i++) {
    if (j + 2 + 4 > nOut) {
      memcpy(zOut + j, "...", 3);
      j += 3;
      break;
    }
    zOut[j++] = hex[a[i] >> 4];
    zOut[j++] = hex[a[i] & 15];
  }
  zOut[j] = 0;
}

int sdbHexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

char *sdbUrlDecode(const char *z, size_t n, int *pbBad) {
  char *zOut = sdbMalloc(n + 1), *o = zOut;
  *pbBad = 0;
  if (!zOut) return NULL;
  for (size_t i = 0; i < n; i++) {
    int hi = z[i] == '%' && i + 2 < n ? sdbHexValue(z[i + 1]) : -1;
    int lo = hi >= 0 ? sdbHexValue(z[i + 2]) : -1;
    if (lo < 0) {
      *o++ = z[i];
      continue;
    }
    if (hi == 0 && lo == 0) {
      *pbBad = 1;
      sdbFree(zOut);
      return NULL;
    }
    *o++ = (char)(hi * 16 + lo);
    i += 2;
  }
  *o = 0;
  return zOut;
}
