/*
** t_cache_inv.c: white-box invariants of the block cache (util/cache.c is
** included, so its state can be read under its mutex) while threads look up,
** insert, pin across steps, release, erase and charge read-ahead:
**
**   - every entry on the clock has PIN_OFF clear; every entry of the table
**     not on the clock has PIN_OFF set (the hand took it off) and the clock's
**     ring holds nClock entries; entries = on the clock + off it
**   - usage = the charges of the table's entries + read-ahead
**   - outside the mutex, a cache over capacity has an empty clock (so a
**     release of an entry still on the clock need not evict)
**   - once the threads are done: nothing pinned, nothing off the clock,
**     within capacity; no value destroyed while pinned or twice
**
** A checker thread takes the mutex in a loop; the workers run on caches of
** 0, 100, 500, 2000 and 8000 bytes.
*/
#include <pthread.h>

#include "test.h"

#include "util/cache.c"

static u32 rnd32(u64 *s) {
  *s = *s * 6364136223846793005ull + 1442695040888963407ull;
  return (u32)(*s >> 33);
}

static u64 gBad, gOverClock, gOffSeen, gChecks;
static char gWhy[200];
static void bad(const char *z) {
  if (!gBad) snprintf(gWhy, sizeof(gWhy), "%s", z);
  gBad++;
}

/* Check the invariants; bQuiet: no thread is in the cache. */
static void check(SdbCache *p, int bQuiet) {
  pthread_mutex_lock(&p->mu);
  u32 nRing = 0;
  SdbCacheHandle *e = p->pHand;
  if (e) {
    do {
      if (e->pNext->pPrev != e) bad("clock links");
      if (__atomic_load_n(&e->nRef, __ATOMIC_RELAXED) & PIN_OFF) bad("PIN_OFF on the clock");
      nRing++;
      e = e->pNext;
    } while (e != p->pHand && nRing <= p->nEntry);
  }
  if (nRing != p->nClock) bad("ring length != nClock");
  u32 nEntry = 0, nOff = 0;
  size_t nUsage = p->nAhead;
  for (u32 i = 0; i < p->nSlot; i++) {
    SdbCacheHandle *h = p->aSlot[i].h;
    if (!h) continue;
    u32 r = __atomic_load_n(&h->nRef, __ATOMIC_RELAXED);
    nEntry++;
    nUsage += h->nCharge;
    if (!h->pPrev) {
      nOff++;
      if (!(r & PIN_OFF)) bad("off the clock without PIN_OFF");
    }
    if (bQuiet && r) bad("pinned or off the clock with no thread in the cache");
  }
  if (nEntry != p->nEntry) bad("nEntry");
  if (nEntry != nOff + p->nClock) bad("entries != off the clock + on it");
  if (nUsage != p->nUsage) bad("usage != charges + read-ahead");
  if (p->nUsage > p->nCapacity && p->pHand) gOverClock++;
  if (bQuiet && p->nUsage > p->nCapacity) bad("over capacity with nothing pinned");
  if (nOff) gOffSeen++;
  gChecks++;
  pthread_mutex_unlock(&p->mu);
}

typedef struct IVal {
  u32 magic;
  int nPin;               /* atomic: pins test threads hold */
} IVal;
static u64 gNew, gDead, gPinnedFree;
static void freeIVal(void *x) {
  IVal *v = x;
  if (__atomic_load_n(&v->nPin, __ATOMIC_SEQ_CST)) __atomic_add_fetch(&gPinnedFree, 1, __ATOMIC_RELAXED);
  if (v->magic != 0x5a5a5a5a) __atomic_add_fetch(&gBad, 1, __ATOMIC_RELAXED);
  v->magic = 0;
  __atomic_add_fetch(&gDead, 1, __ATOMIC_RELAXED);
  sdbFree(v);
}

typedef struct IArg {
  SdbCache *c;
  u64 seed;
  int nIter, nKey;
} IArg;
static void unpin(SdbCache *c, SdbCacheHandle *h) {
  IVal *v = sdbCacheValue(h);
  __atomic_sub_fetch(&v->nPin, 1, __ATOMIC_SEQ_CST);
  sdbCacheRelease(c, h);
}
static void *workerMain(void *pArg) {
  IArg *a = pArg;
  SdbCacheHandle *aHold[16] = {0};
  for (int i = 0; i < a->nIter; i++) {
    u32 r = rnd32(&a->seed) % 1000;
    u64 uid = 1 + rnd32(&a->seed) % 2;
    u32 idx = rnd32(&a->seed) % (u32)a->nKey;
    if (r < 2) {
      sdbCacheEraseUid(a->c, uid);
      continue;
    }
    if (r < 6) {
      sdbCacheAheadCharge(a->c, 150);
      sdbCacheAheadRelease(a->c, 150);
      continue;
    }
    SdbCacheHandle *h = sdbCacheLookup(a->c, uid, idx);
    if (!h) {
      IVal *v = sdbMalloc(sizeof(*v));
      *v = (IVal){0x5a5a5a5a, 0};
      __atomic_add_fetch(&gNew, 1, __ATOMIC_RELAXED);
      h = sdbCacheInsert(a->c, uid, idx, v, 10 + rnd32(&a->seed) % 100, freeIVal);
      if (!h) abort();
    }
    IVal *v = sdbCacheValue(h);
    __atomic_add_fetch(&v->nPin, 1, __ATOMIC_SEQ_CST);
    if (v->magic != 0x5a5a5a5a) __atomic_add_fetch(&gBad, 1, __ATOMIC_RELAXED);
    int k = (int)(r % 16);
    if (aHold[k]) unpin(a->c, aHold[k]);
    aHold[k] = (r & 1) ? h : NULL;
    if (!(r & 1)) unpin(a->c, h);
  }
  for (int k = 0; k < 16; k++) {
    if (aHold[k]) unpin(a->c, aHold[k]);
  }
  return NULL;
}

static SdbCache *gC;
static int gStop;
static void *checkerMain(void *pArg) {
  while (!__atomic_load_n(&gStop, __ATOMIC_SEQ_CST)) check(gC, 0);
  return NULL;
}

int main(int argc, char **argv) {
  enum { NTHREAD = 3 };
  int nIter = argc > 1 ? atoi(argv[1]) : 30000;
  size_t aCap[] = {0, 100, 500, 2000, 8000};
  for (int ci = 0; ci < 5; ci++) {
    gNew = gDead = 0;
    gStop = 0;
    gC = sdbCacheNew(aCap[ci]);
    pthread_t tc, t[NTHREAD];
    IArg a[NTHREAD];
    pthread_create(&tc, NULL, checkerMain, NULL);
    for (int i = 0; i < NTHREAD; i++) {
      a[i] = (IArg){gC, 77 + (u64)i * 13 + (u64)ci, nIter, aCap[ci] ? 128 : 16};
      pthread_create(&t[i], NULL, workerMain, &a[i]);
    }
    for (int i = 0; i < NTHREAD; i++) pthread_join(t[i], NULL);
    __atomic_store_n(&gStop, 1, __ATOMIC_SEQ_CST);
    pthread_join(tc, NULL);
    check(gC, 1);
    sdbCacheFree(gC);
    char z[100];
    snprintf(z, sizeof(z), "inv: capacity %zu: every value destroyed once", aCap[ci]);
    CHECKF(z, gNew == gDead, "%llu made, %llu destroyed", (unsigned long long)gNew,
           (unsigned long long)gDead);
  }
  CHECKF("inv: clock, PIN_OFF, entries and usage consistent under the mutex", gBad == 0,
         "%llu bad, first: %s", (unsigned long long)gBad, gWhy);
  CHECKF("inv: over capacity only with an empty clock", gOverClock == 0, "%llu of %llu checks",
         (unsigned long long)gOverClock, (unsigned long long)gChecks);
  CHECKF("inv: no value destroyed while pinned", gPinnedFree == 0, "%llu",
         (unsigned long long)gPinnedFree);
  printf("# %llu checks, %llu with entries off the clock\n", (unsigned long long)gChecks,
         (unsigned long long)gOffSeen);
  return test_done();
}
