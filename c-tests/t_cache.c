/*
** t_cache.c: the block cache's replacement policy (util/cache.c), beyond the
** basics t_format checks (hits, pins, duplicate inserts, erase, growth).
**
**   - eviction order under a fixed sequence of inserts and hits (CLOCK:
**     a hit sets a referenced bit, the hand clears it once and evicts the
**     first unreferenced, unpinned entry it meets)
**   - second chance: one hit keeps an entry of a full cache through a whole
**     turn of the hand (as many cold inserts as the cache holds; an LRU list
**     evicts it one insert sooner), and an entry hit every half turn survives
**     a scan of cold entries ten times the capacity
**   - pinned entries are never evicted, whatever passes through
**   - usage never exceeds capacity + pinned bytes + read-ahead, checked after
**     every step of a random workload, and comes back within capacity once
**     nothing is pinned
**   - a capacity of 0 keeps only what is pinned
**   - two threads hitting, inserting, releasing and erasing one small cache
**     (values intact, every value destroyed exactly once)
**   - four threads on caches of 0, 100, 1000 and 4000 bytes: no value is
**     destroyed while a test thread holds a pin on it (values count their pins)
**   - a release of the last pin racing an insert that goes over capacity: one
**     of them evicts (fails if the hand and the release can both miss the other)
**   - with many entries pinned over capacity, an operation costs no walk of
**     the hand past them (time per operation bounded)
**   - a double release aborts (a child process); under AddressSanitizer a
**     release or sdbCacheValue of a handle after its last release is reported
**
** `t_cache --bench` instead prints the hit rate of Lookup + Release over
** 100k entries in random order, and of a miss + Insert + Release that
** evicts (the figures of docs/performance.md). `t_cache --bench-pinned N`
** times insert + lookup + release of one block while N others stay pinned in
** a cache whose capacity holds N/2 (the hand once passed every pinned entry).
*/
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "test.h"

#include "util/cache.h"

static u32 rnd32(u64 *s) {
  *s = *s * 6364136223846793005ull + 1442695040888963407ull;
  return (u32)(*s >> 33);
}

/* Values are ints; each destruction is recorded in order. */
#define NLOG 4096
static int aFreed[NLOG];     /* destructions per value */
static int aOrder[NLOG];     /* values in the order they were destroyed */
static int nOrder;
static void freeInt(void *p) {
  int v = *(int *)p;
  if (v >= 0 && v < NLOG) aFreed[v]++;
  if (nOrder < NLOG) aOrder[nOrder++] = v;
  sdbFree(p);
}
static int *newInt(int v) {
  int *p = sdbMalloc(sizeof(int));
  *p = v;
  return p;
}
static void resetLog(void) {
  memset(aFreed, 0, sizeof(aFreed));
  nOrder = 0;
}
/* Insert value v as (1, v) with charge n, unpinned afterwards. */
static void put(SdbCache *c, int v, size_t n) {
  sdbCacheRelease(c, sdbCacheInsert(c, 1, (u32)v, newInt(v), n, freeInt));
}
/* Look (1, v) up and release it at once: a hit, if it is there. */
static int touch(SdbCache *c, int v) {
  SdbCacheHandle *h = sdbCacheLookup(c, 1, (u32)v);
  int b = h && *(int *)sdbCacheValue(h) == v;
  sdbCacheRelease(c, h);
  return b;
}
static u64 usage(SdbCache *c) {
  SdbCacheStats st;
  sdbCacheGetStats(c, &st);
  return st.nBytes;
}

/* A fixed sequence; the expected order follows the CLOCK rules by hand. */
static void testOrder(void) {
  resetLog();
  SdbCache *c = sdbCacheNew(400);    /* four entries of 100 */
  for (int v = 0; v < 4; v++) put(c, v, 100);   /* ring 0 1 2 3, hand at 0 */
  CHECK("order: four entries fit", nOrder == 0);
  touch(c, 1);
  touch(c, 3);
  put(c, 4, 100);   /* joins behind the hand: 0 1 2 3 4; 0 unreferenced: evicted */
  put(c, 5, 100);   /* 1 2 3 4 5: 1 loses its bit, 2 evicted */
  put(c, 6, 100);   /* 3 4 5 1 6: 3 loses its bit, 4 (inserted unreferenced) evicted */
  touch(c, 5);
  put(c, 7, 100);   /* 5 1 6 3 7: 5 loses its bit, 1 (cleared before) evicted */
  put(c, 8, 100);   /* 6 3 7 5 8: 6 evicted */
  put(c, 9, 100);   /* 3 7 5 8 9: 3 (cleared before) evicted */
  int aWant[] = {0, 2, 4, 1, 6, 3};
  int bOk = nOrder == 6;
  for (int i = 0; bOk && i < 6; i++) bOk = aOrder[i] == aWant[i];
  CHECKF("order: evictions follow the clock", bOk, "%d evicted: %d %d %d %d %d %d", nOrder,
         aOrder[0], aOrder[1], aOrder[2], aOrder[3], aOrder[4], aOrder[5]);
  CHECK("order: the survivors hit", touch(c, 5) && touch(c, 7) && touch(c, 8) && touch(c, 9));
  CHECK("order: the evicted miss", !touch(c, 0) && !touch(c, 1) && !touch(c, 6));
  sdbCacheFree(c);
  CHECK("order: free destroys the rest", aFreed[5] + aFreed[7] + aFreed[8] + aFreed[9] == 4);
}

/* Second chance: the hand's first pass takes a hit entry's bit instead of
** the entry, so one hit keeps it through a full turn of cold inserts. */
static void testSecondChance(void) {
  resetLog();
  enum { CAP = 64, HOT = 0 };
  SdbCache *c = sdbCacheNew(CAP * 10);
  for (int v = 0; v < CAP; v++) put(c, v, 10);   /* full: HOT and 63 cold ones */
  touch(c, HOT);
  for (int v = CAP; v < 2 * CAP; v++) put(c, v, 10);
  CHECKF("second chance: one hit keeps an entry through 64 cold inserts into a full cache",
         aFreed[HOT] == 0 && sdbCacheContains(c, 1, HOT), "evicted after %d", nOrder);
  put(c, 2 * CAP, 10);
  CHECKF("second chance: without another hit it goes on the next turn", aFreed[HOT] == 1,
         "%d evicted", nOrder);
  /* Hit every half turn, it stays through a scan of 10x the capacity. */
  put(c, HOT, 10);
  int bAll = 1;
  for (int v = 1; v <= 10 * CAP; v++) {
    if (v % (CAP / 2) == 0) bAll &= touch(c, HOT);
    put(c, 1000 + v, 10);
  }
  CHECKF("second chance: a hot entry survives a scan of 10x the capacity",
         bAll && aFreed[HOT] == 1 && touch(c, HOT), "freed %d", aFreed[HOT]);
  CHECK("second chance: usage within capacity", usage(c) <= CAP * 10);
  sdbCacheFree(c);
}

static void testPinned(void) {
  resetLog();
  SdbCache *c = sdbCacheNew(1000);
  SdbCacheHandle *aPin[5];
  for (int i = 0; i < 5; i++) {
    aPin[i] = sdbCacheInsert(c, 1, (u32)(i * 100), newInt(i * 100), 100, freeInt);
    if (i % 2) touch(c, i * 100);
  }
  for (int v = 1000; v < 1600; v++) put(c, v, 50);
  int bOk = 1;
  for (int i = 0; i < 5; i++) bOk &= aFreed[i * 100] == 0 && *(int *)sdbCacheValue(aPin[i]) == i * 100;
  CHECK("pinned: never evicted by 600 inserts", bOk);
  CHECK("pinned: still found", touch(c, 0) && touch(c, 400));
  CHECKF("pinned: usage = capacity with the pins inside", usage(c) <= 1000, "%llu",
         (unsigned long long)usage(c));
  /* A cache full of pins: inserts go over capacity and come back. */
  SdbCache *c2 = sdbCacheNew(300);
  SdbCacheHandle *aH[6];
  for (int i = 0; i < 6; i++) aH[i] = sdbCacheInsert(c2, 2, (u32)i, newInt(2000 + i), 100, freeInt);
  CHECKF("pinned: over capacity while all pinned", usage(c2) == 600, "%llu",
         (unsigned long long)usage(c2));
  for (int i = 0; i < 6; i++) sdbCacheRelease(c2, aH[i]);
  CHECKF("pinned: back to capacity once released", usage(c2) == 300, "%llu",
         (unsigned long long)usage(c2));
  for (int i = 0; i < 5; i++) sdbCacheRelease(c, aPin[i]);
  for (int v = 2000; v < 2100; v++) put(c, v, 50);
  int nGone = 0;
  for (int i = 0; i < 5; i++) nGone += aFreed[i * 100];
  CHECK("pinned: evictable once released", nGone == 5);
  sdbCacheFree(c);
  sdbCacheFree(c2);
}

static void testCapacityZero(void) {
  resetLog();
  SdbCache *c = sdbCacheNew(0);
  SdbCacheHandle *h = sdbCacheInsert(c, 1, 1, newInt(1), 100, freeInt);
  CHECK("capacity 0: a pinned entry is held", h && usage(c) == 100 && touch(c, 1));
  sdbCacheRelease(c, h);
  CHECK("capacity 0: released means gone", aFreed[1] == 1 && usage(c) == 0 && !touch(c, 1));
  sdbCacheFree(c);
}

/* A random workload; after every step usage <= capacity + pinned + ahead. */
static void testBound(void) {
  resetLog();
  enum { NPIN = 8, NVAL = 400, CAP = 5000 };
  SdbCache *c = sdbCacheNew(CAP);
  SdbCacheHandle *aPin[NPIN] = {0};
  int aPinV[NPIN];
  size_t aCharge[NVAL] = {0};   /* charge of value v's latest insert */
  size_t nAhead = 0;
  u64 s = 42;
  int bOk = 1, nStep = 0;
  u64 nBound = 0;
  for (; nStep < 20000 && bOk; nStep++) {
    u32 r = rnd32(&s) % 100;
    int v = (int)(rnd32(&s) % NVAL);
    size_t n = 20 + rnd32(&s) % 200;
    SdbCacheHandle *h = NULL;
    if (r < 40) {
      touch(c, v);
    } else if (r < 90) {
      h = sdbCacheLookup(c, 1, (u32)v);
      if (!h) {
        aCharge[v] = n;
        h = sdbCacheInsert(c, 1, (u32)v, newInt(v), n, freeInt);
      }
      int k = (int)(rnd32(&s) % NPIN);
      if (r < 75 || aPin[k]) {
        sdbCacheRelease(c, h);
        if (r >= 75) {
          sdbCacheRelease(c, aPin[k]);
          aPin[k] = NULL;
        }
      } else {
        aPin[k] = h;
        aPinV[k] = v;
      }
    } else if (r < 95) {
      size_t a = 100 + rnd32(&s) % 1000;
      if (nAhead + a <= CAP / 4) {
        sdbCacheAheadCharge(c, a);
        nAhead += a;
      }
    } else if (nAhead) {
      sdbCacheAheadRelease(c, nAhead);
      nAhead = 0;
    }
    /* Pinned bytes: the charge of each distinct pinned entry. */
    size_t nPinned = 0;
    for (int k = 0; k < NPIN; k++) {
      int bDup = 0;
      for (int j = 0; j < k; j++) bDup |= aPin[j] && aPin[j] == aPin[k];
      if (aPin[k] && !bDup) nPinned += aCharge[aPinV[k]];
    }
    nBound = CAP + nPinned + nAhead;
    bOk = usage(c) <= nBound;
  }
  CHECKF("bound: usage <= capacity + pinned + read-ahead at every step", bOk,
         "step %d: %llu > %llu", nStep, (unsigned long long)usage(c), (unsigned long long)nBound);
  for (int k = 0; k < NPIN; k++) sdbCacheRelease(c, aPin[k]);
  sdbCacheAheadRelease(c, nAhead);
  CHECKF("bound: within capacity once nothing is pinned", usage(c) <= CAP, "%llu",
         (unsigned long long)usage(c));
  SdbCacheStats st;
  sdbCacheGetStats(c, &st);
  CHECKF("bound: the workload hit, missed and evicted",
         st.nEvict > 100 && st.nHit > 100 && st.nMiss > 100, "hit %llu miss %llu evict %llu",
         (unsigned long long)st.nHit, (unsigned long long)st.nMiss, (unsigned long long)st.nEvict);
  CHECKF("bound: inserts = entries + evictions",
         st.nInsert == st.nEntry + st.nEvict, "ins %llu entry %llu evict %llu",
         (unsigned long long)st.nInsert, (unsigned long long)st.nEntry, (unsigned long long)st.nEvict);
  sdbCacheFree(c);
  int bOnce = 1, nFreed = 0;
  for (int v = 0; v < NVAL; v++) nFreed += aFreed[v];
  bOnce = (u64)nFreed == st.nInsert;
  CHECKF("bound: every value destroyed once", bOnce, "%d of %llu", nFreed,
         (unsigned long long)st.nInsert);
}

/* ------------------------------------------------------------ threads */
/* Two threads share one small cache: lookups, inserts (racing on the same
** keys), pins held across steps, and erases of a uid. */
typedef struct TVal {
  u64 uid;
  u32 idx;
} TVal;
static u64 gNNew, gNDead;
static void freeTVal(void *p) {
  __atomic_add_fetch(&gNDead, 1, __ATOMIC_RELAXED);
  memset(p, 0xdd, sizeof(TVal));
  sdbFree(p);
}
typedef struct ThreadArg {
  SdbCache *c;
  u64 seed;
  int nBad;
} ThreadArg;

static void *threadMain(void *pArg) {
  ThreadArg *a = pArg;
  SdbCacheHandle *aHold[4] = {0};
  for (int i = 0; i < 100000; i++) {
    u32 r = rnd32(&a->seed) % 1000;
    u64 uid = 1 + rnd32(&a->seed) % 3;
    u32 idx = rnd32(&a->seed) % 64;
    if (r == 0) {
      sdbCacheEraseUid(a->c, uid);
      continue;
    }
    if (r < 5) {
      sdbCacheAheadCharge(a->c, 300);
      sdbCacheAheadRelease(a->c, 300);
      continue;
    }
    SdbCacheHandle *h = sdbCacheLookup(a->c, uid, idx);
    if (!h) {
      TVal *v = sdbMalloc(sizeof(*v));
      v->uid = uid;
      v->idx = idx;
      __atomic_add_fetch(&gNNew, 1, __ATOMIC_RELAXED);
      h = sdbCacheInsert(a->c, uid, idx, v, 100, freeTVal);
    }
    const TVal *v = sdbCacheValue(h);
    if (v->uid != uid || v->idx != idx) a->nBad++;
    int k = (int)(r % 4);
    sdbCacheRelease(a->c, aHold[k]);
    aHold[k] = h;
  }
  for (int k = 0; k < 4; k++) {
    const TVal *v = aHold[k] ? sdbCacheValue(aHold[k]) : NULL;
    if (v && (v->uid < 1 || v->uid > 3)) a->nBad++;
    sdbCacheRelease(a->c, aHold[k]);
  }
  return NULL;
}

static void testThreads(void) {
  SdbCache *c = sdbCacheNew(40 * 100);
  ThreadArg a[2] = {{c, 1, 0}, {c, 2, 0}};
  pthread_t t[2];
  for (int i = 0; i < 2; i++) pthread_create(&t[i], NULL, threadMain, &a[i]);
  for (int i = 0; i < 2; i++) pthread_join(t[i], NULL);
  CHECKF("threads: every pinned value intact", a[0].nBad + a[1].nBad == 0, "%d bad",
         a[0].nBad + a[1].nBad);
  CHECKF("threads: within capacity after", usage(c) <= 40 * 100, "%llu",
         (unsigned long long)usage(c));
  sdbCacheFree(c);
  CHECKF("threads: every value destroyed once", gNNew == gNDead, "%llu made, %llu destroyed",
         (unsigned long long)gNNew, (unsigned long long)gNDead);
}


/* ------------------------------------------------------------ stress */
/* Four threads; each value counts the pins test threads hold on it, and its
** destructor counts a destruction of a value still pinned. */
typedef struct SVal {
  u64 uid;
  u32 idx;
  u32 magic;
  int nPin;               /* atomic */
} SVal;
static u64 gSNew, gSDead, gSBad, gSPinnedFree;
static void freeSVal(void *p) {
  SVal *v = p;
  if (__atomic_load_n(&v->nPin, __ATOMIC_SEQ_CST)) __atomic_add_fetch(&gSPinnedFree, 1, __ATOMIC_RELAXED);
  if (v->magic != 0x5a5a5a5a) __atomic_add_fetch(&gSBad, 1, __ATOMIC_RELAXED);
  v->magic = 0xdeaddead;
  __atomic_add_fetch(&gSDead, 1, __ATOMIC_RELAXED);
  sdbFree(v);
}
typedef struct StressArg {
  SdbCache *c;
  u64 seed;
  int nIter, nKey;
} StressArg;
static void stressUnpin(SdbCache *c, SdbCacheHandle *h) {
  SVal *v = sdbCacheValue(h);
  __atomic_sub_fetch(&v->nPin, 1, __ATOMIC_SEQ_CST);
  sdbCacheRelease(c, h);
}
static void *stressMain(void *pArg) {
  StressArg *a = pArg;
  SdbCacheHandle *aHold[8] = {0};
  for (int i = 0; i < a->nIter; i++) {
    u32 r = rnd32(&a->seed) % 1000;
    u64 uid = 1 + rnd32(&a->seed) % 3;
    u32 idx = rnd32(&a->seed) % (u32)a->nKey;
    if (r < 3) {
      sdbCacheEraseUid(a->c, uid);
      continue;
    }
    if (r < 10) {
      sdbCacheAheadCharge(a->c, 150);
      sdbCacheAheadRelease(a->c, 150);
      continue;
    }
    SdbCacheHandle *h = sdbCacheLookup(a->c, uid, idx);
    if (!h) {
      SVal *v = sdbMalloc(sizeof(*v));
      *v = (SVal){uid, idx, 0x5a5a5a5a, 0};
      __atomic_add_fetch(&gSNew, 1, __ATOMIC_RELAXED);
      h = sdbCacheInsert(a->c, uid, idx, v, 100, freeSVal);
      if (!h) abort();
    }
    SVal *v = sdbCacheValue(h);
    __atomic_add_fetch(&v->nPin, 1, __ATOMIC_SEQ_CST);
    if (v->uid != uid || v->idx != idx || v->magic != 0x5a5a5a5a) {
      __atomic_add_fetch(&gSBad, 1, __ATOMIC_RELAXED);
    }
    int k = (int)(r % 8);
    if (aHold[k]) stressUnpin(a->c, aHold[k]);
    aHold[k] = NULL;
    if (r & 1) aHold[k] = h;
    else stressUnpin(a->c, h);
  }
  for (int k = 0; k < 8; k++) {
    if (aHold[k]) stressUnpin(a->c, aHold[k]);
  }
  return NULL;
}

static void testStress(void) {
  enum { NTHREAD = 4 };
  size_t aCap[] = {0, 100, 1000, 4000};
  for (int ci = 0; ci < 4; ci++) {
    gSNew = gSDead = 0;
    SdbCache *c = sdbCacheNew(aCap[ci]);
    StressArg a[NTHREAD];
    pthread_t t[NTHREAD];
    for (int i = 0; i < NTHREAD; i++) {
      a[i] = (StressArg){c, 1000 + (u64)i * 7 + (u64)ci, 50000, aCap[ci] ? 64 : 8};
      pthread_create(&t[i], NULL, stressMain, &a[i]);
    }
    for (int i = 0; i < NTHREAD; i++) pthread_join(t[i], NULL);
    SdbCacheStats st;
    sdbCacheGetStats(c, &st);
    char z[100];
    snprintf(z, sizeof(z), "stress: capacity %zu: within capacity once unpinned", aCap[ci]);
    CHECKF(z, st.nBytes <= aCap[ci] && st.nAhead == 0, "%llu bytes, %llu entries",
           (unsigned long long)st.nBytes, (unsigned long long)st.nEntry);
    sdbCacheFree(c);
    snprintf(z, sizeof(z), "stress: capacity %zu: every value destroyed once", aCap[ci]);
    CHECKF(z, gSNew == gSDead, "%llu made, %llu destroyed", (unsigned long long)gSNew,
           (unsigned long long)gSDead);
  }
  CHECKF("stress: no value destroyed while pinned", gSPinnedFree == 0, "%llu",
         (unsigned long long)gSPinnedFree);
  CHECKF("stress: values intact", gSBad == 0, "%llu", (unsigned long long)gSBad);
}

/* A holds the only pin on E in a cache at capacity and releases it while B
** inserts F (pinned), going over capacity: B's evict must see E unpinned or
** A's release must see that the hand took E off the clock. E gone after
** both, each round. Written against the first CLOCK code, where A's release
** read the usage: with a release store of the usage and an acquire load of
** the pin count it failed 785 rounds of 300k on x86 (a store-buffer
** reordering); cut to 10k rounds (t_cache ~0.2 s), that mutant failed 5 runs
** of 8 (1-40 bad rounds each). Now the hand and the release meet on nRef
** alone: a hand setting PIN_OFF by load + store instead of compare-and-swap
** (with a 20-iteration delay between) failed 2 runs of 6. */
static SdbCache *gLC;
static SdbCacheHandle *gLE;
static int gLGo[2];
/* Spins (both threads then leave it close together, which the race needs),
** yielding after a while: on a loaded machine the other thread may not be
** running at all. */
static void litmusBarrier(int me, int r) {
  __atomic_store_n(&gLGo[me], r, __ATOMIC_SEQ_CST);
  for (int n = 0; __atomic_load_n(&gLGo[1 - me], __ATOMIC_SEQ_CST) < r; n++) {
    if (n >= 2000) sched_yield();
  }
}
enum { LITMUS_ROUNDS = 10000 };
static void *litmusA(void *pArg) {
  for (int r = 1; r <= LITMUS_ROUNDS; r++) {
    litmusBarrier(0, 2 * r - 1);
    sdbCacheRelease(gLC, gLE);
    litmusBarrier(0, 2 * r);
  }
  return NULL;
}
static void testLitmus(void) {
  int nBad = 0;
  gLC = sdbCacheNew(100);
  gLGo[0] = gLGo[1] = 0;
  pthread_t t;
  pthread_create(&t, NULL, litmusA, NULL);
  for (int r = 1; r <= LITMUS_ROUNDS; r++) {
    gLE = sdbCacheInsert(gLC, 1, (u32)r, NULL, 100, NULL);   /* at capacity, pinned */
    litmusBarrier(1, 2 * r - 1);
    SdbCacheHandle *hF = sdbCacheInsert(gLC, 2, (u32)r, NULL, 100, NULL);
    litmusBarrier(1, 2 * r);
    if (sdbCacheContains(gLC, 1, (u32)r)) nBad++;
    sdbCacheRelease(gLC, hF);
    if (sdbCacheContains(gLC, 1, (u32)r)) sdbCacheEraseUid(gLC, 1);
  }
  pthread_join(t, NULL);
  CHECKF("litmus: a last release racing an insert over capacity: one of them evicts", nBad == 0,
         "%d of %d rounds left an unpinned entry in an over-capacity cache", nBad, LITMUS_ROUNDS);
  sdbCacheFree(gLC);
}

/* ------------------------------------------------------------ bench */
/* CPU time of the calling thread: the machine is shared, preemption would
** count otherwise. */
static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void bench(void) {
  enum { N = 100000, NOPS = 1000000, NREP = 15 };
  u32 *aKey = malloc(sizeof(u32) * NOPS);
  u64 s = 7;
  for (int i = 0; i < NOPS; i++) aKey[i] = rnd32(&s) % N;
  SdbCache *c = sdbCacheNew((size_t)N * 4096);
  for (u32 i = 0; i < N; i++) sdbCacheRelease(c, sdbCacheInsert(c, 1 + i % 8, i / 8, NULL, 4096, NULL));
  double best = 1e9;
  for (int rep = 0; rep < NREP; rep++) {
    double t0 = now();
    for (int i = 0; i < NOPS; i++) {
      u32 k = aKey[i];
      SdbCacheHandle *h = sdbCacheLookup(c, 1 + k % 8, k / 8);
      if (!h) abort();
      sdbCacheRelease(c, h);
    }
    double t = now() - t0;
    if (t < best) best = t;
  }
  printf("bench hit: %.1f M lookups+releases/s (%.1f ns each; 100k entries, random order; "
         "best of %d)\n",
         NOPS / best / 1e6, best / NOPS * 1e9, NREP);
  sdbCacheFree(c);
  /* Half the keys fit: about half the lookups miss, insert and evict. */
  c = sdbCacheNew((size_t)N / 2 * 4096);
  best = 1e9;
  for (int rep = 0; rep < NREP; rep++) {
    double t0 = now();
    for (int i = 0; i < NOPS; i++) {
      u32 k = aKey[i];
      SdbCacheHandle *h = sdbCacheLookup(c, 1 + k % 8, k / 8);
      if (!h) h = sdbCacheInsert(c, 1 + k % 8, k / 8, NULL, 4096, NULL);
      sdbCacheRelease(c, h);
    }
    double t = now() - t0;
    if (t < best) best = t;
  }
  SdbCacheStats st;
  sdbCacheGetStats(c, &st);
  printf("bench mixed: %.1f M ops/s (%.1f ns each; 50k of 100k keys fit, %.0f%% hits)\n",
         NOPS / best / 1e6, best / NOPS * 1e9, 100.0 * (double)st.nHit / (double)(st.nHit + st.nMiss));
  sdbCacheFree(c);
  free(aKey);
}

/* nPin entries stay pinned in a cache that holds nPin/2: every insert and
** every last release goes over capacity (the hand once walked past the pins). */
static void benchPinned(int nPin) {
  enum { N = 100000 };
  SdbCache *c = sdbCacheNew((size_t)nPin / 2 * 4096);
  SdbCacheHandle **aPin = malloc(sizeof(*aPin) * (size_t)nPin);
  for (int i = 0; i < nPin; i++) aPin[i] = sdbCacheInsert(c, 1, (u32)i, NULL, 4096, NULL);
  double t0 = now();
  for (int i = 0; i < N; i++) {
    SdbCacheHandle *h = sdbCacheInsert(c, 2, (u32)i, NULL, 4096, NULL);
    SdbCacheHandle *h2 = sdbCacheLookup(c, 2, (u32)i);
    sdbCacheRelease(c, h2);
    sdbCacheRelease(c, h);
  }
  double t = now() - t0;
  printf("bench pinned: %d pinned, %.0f ns per insert + lookup + release\n", nPin, t / N * 1e9);
  for (int i = 0; i < nPin; i++) sdbCacheRelease(c, aPin[i]);
  free(aPin);
  sdbCacheFree(c);
}

/* 8000 entries stay pinned in a cache that holds 4000: inserting, hitting
** and releasing another block must not cost a walk past the pinned entries
** (it cost ~40 us an operation when the hand passed them every time; it
** takes well under 1 us, so 5 us leaves room for a loaded machine and for
** the sanitizer builds). */
static void testManyPinned(void) {
  enum { NPIN = 8000, NOP = 2000 };
  SdbCache *c = sdbCacheNew(NPIN / 2 * 100);
  SdbCacheHandle **aPin = malloc(sizeof(*aPin) * NPIN);
  for (int i = 0; i < NPIN; i++) aPin[i] = sdbCacheInsert(c, 1, (u32)i, NULL, 100, NULL);
  double t0 = now();
  for (int i = 0; i < NOP; i++) {
    SdbCacheHandle *h = sdbCacheInsert(c, 2, (u32)i, NULL, 100, NULL);
    sdbCacheRelease(c, sdbCacheLookup(c, 2, (u32)i));
    sdbCacheRelease(c, h);
  }
  double us = (now() - t0) / NOP * 1e6;
  CHECKF("many pinned: an insert + hit + release does not walk past the pinned entries", us < 5.0,
         "%.1f us per operation with %d entries pinned", us, NPIN);
  CHECKF("many pinned: what is released is evicted", usage(c) <= (u64)NPIN * 100 + 100,
         "%llu bytes", (unsigned long long)usage(c));
  for (int i = 0; i < NPIN; i++) sdbCacheRelease(c, aPin[i]);
  CHECKF("many pinned: back within capacity once released", usage(c) <= NPIN / 2 * 100,
         "%llu bytes", (unsigned long long)usage(c));
  free(aPin);
  sdbCacheFree(c);
}

/* ------------------------------------------------------------ misuse */
#if defined(__SANITIZE_ADDRESS__)
#define T_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define T_ASAN 1
#endif
#endif

/* Run xChild(c) in a child process on a new cache of nCap bytes; its stderr
** goes to zErr (up to nErr bytes, NUL-terminated). Returns the wait status. */
static int runChild(size_t nCap, void (*xChild)(SdbCache *), char *zErr, size_t nErr) {
  int fds[2];
  if (pipe(fds) != 0) return -1;
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    dup2(fds[1], 2);
    xChild(sdbCacheNew(nCap));
    _exit(0);
  }
  close(fds[1]);
  size_t n = 0;
  ssize_t k;
  while (n + 1 < nErr && (k = read(fds[0], zErr + n, nErr - 1 - n)) > 0) n += (size_t)k;
  zErr[n] = 0;
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  return status;
}
/* Release a handle twice while its entry is still held (nothing evicts it). */
static void childDoubleRelease(SdbCache *c) {
  SdbCacheHandle *h = sdbCacheInsert(c, 1, 1, NULL, 100, NULL);
  sdbCacheRelease(c, h);
  sdbCacheRelease(c, h);
}
#ifdef T_ASAN
/* Release a handle whose entry was evicted (capacity 0) at its last release. */
static void childReleaseEvicted(SdbCache *c) {
  SdbCacheHandle *h = sdbCacheInsert(c, 1, 1, NULL, 100, NULL);
  sdbCacheRelease(c, h);
  sdbCacheRelease(c, h);
}
/* Read the value of a handle after its last release (evicted, capacity 0). */
static void childValueAfterRelease(SdbCache *c) {
  SdbCacheHandle *h = sdbCacheInsert(c, 1, 1, NULL, 100, NULL);
  sdbCacheRelease(c, h);
  fprintf(stderr, "value %p\n", sdbCacheValue(h));
}
#endif

/* A double release aborts (always); under AddressSanitizer a handle on the
** free list is poisoned, so a release or a read of the value after the last
** release is reported even though the handle's memory stays allocated. */
static void testMisuse(void) {
  char z[4096];
  int st = runChild(1000, childDoubleRelease, z, sizeof(z));
  CHECKF("misuse: a double release aborts", WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT &&
         strstr(z, "release of an unpinned handle"), "status %#x, stderr: %.200s", st, z);
#ifdef T_ASAN
  st = runChild(0, childReleaseEvicted, z, sizeof(z));
  CHECKF("misuse: asan: a release of an evicted entry's handle is a use-after-poison",
         st != 0 && strstr(z, "use-after-poison"), "status %#x, stderr: %.200s", st, z);
  st = runChild(0, childValueAfterRelease, z, sizeof(z));
  CHECKF("misuse: asan: sdbCacheValue after the last release is a use-after-poison",
         st != 0 && strstr(z, "use-after-poison"), "status %#x, stderr: %.200s", st, z);
#else
  printf("SKIP misuse: asan: handles on the free list are poisoned: not an AddressSanitizer "
         "build\n");
#endif
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "--bench") == 0) {
    bench();
    return 0;
  }
  if (argc > 2 && strcmp(argv[1], "--bench-pinned") == 0) {
    benchPinned(atoi(argv[2]));
    return 0;
  }
  testOrder();
  testSecondChance();
  testPinned();
  testCapacityZero();
  testBound();
  testThreads();
  testStress();
  testLitmus();
  testManyPinned();
  testMisuse();
  return test_done();
}
