/*
** cache.c: the CLOCK cache described in cache.h.
**
** Structure: an open-addressing hash table (linear probing, at most half
** full while memory allows) whose slots hold the hash of (uid, idx) beside
** the entry's handle, so a probe compares hashes in one cache line and touches
** only the handle it finds; and the clock, a circular list of the entries in
** the table (but pinned ones the hand took off it), with a hand. A hit pins its entry and sets its
** referenced bit; a release only unpins. To make room the hand walks the
** clock: it takes a pinned entry off the clock (its last release puts it
** back), takes the bit off a referenced one (its second chance) and evicts
** the first unpinned, unreferenced entry it meets. New entries join just
** behind the hand, unreferenced, so the hand reaches them last; so does an
** entry put back. Each step of the hand evicts, clears a bit a hit set or
** takes a pinned entry off, so eviction is amortised O(1) however many
** entries are pinned (the hand never passes one twice), and a sweep ends
** within two turns of the clock: after it the cache is within capacity or
** the clock is empty (everything left is pinned, off the clock).
**
** One mutex protects everything but a release. nRef is atomic: the pin count
** and, in its top bit (PIN_OFF), "off the clock". Pins are taken only under
** the mutex. A release decrements without the mutex, except the last pin of
** an entry off the clock: that release takes the mutex, puts the entry back
** and evicts (the cache was over capacity when the hand took it off). The
** hand sets PIN_OFF with a compare-and-swap, so of a last release and the
** hand on the same entry one comes first in nRef's modification order: the
** hand sees the entry unpinned (and may evict it), or the release sees
** PIN_OFF (and evicts under the mutex). No other release needs to evict:
** while the cache is over capacity outside the mutex, every entry still on
** the clock is one an evict running now will reach. An entry leaves the table
** only unpinned (evicted or erased under the mutex); its value destructor runs
** after the mutex is released, then its handle goes back to the free list
** (poisoned there under AddressSanitizer, so a release or use of a handle
** after its last release is reported while the handle waits on the free
** list; the list hands back the handle freed last first, so once an insert
** has reused it a stale release takes the new entry's pin instead, and
** ASan reports the new holder's next use). A release of an entry with no pin
** aborts: the count would wrap and another caller's pin be lost.
*/
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "util/cache.h"

#if defined(__SANITIZE_ADDRESS__)
#define CACHE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CACHE_ASAN 1
#endif
#endif
#ifdef CACHE_ASAN
#include <sanitizer/asan_interface.h>
#define handlePoison(e) ASAN_POISON_MEMORY_REGION((e), sizeof(SdbCacheHandle))
#define handleUnpoison(e) ASAN_UNPOISON_MEMORY_REGION((e), sizeof(SdbCacheHandle))
#else
#define handlePoison(e) ((void)(e))
#define handleUnpoison(e) ((void)(e))
#endif

struct SdbCacheHandle {
  void *pVal;             /* owned; destroyed with xFree */
  u64 uid;
  u32 idx;
  u32 nRef;               /* atomic: pins held by callers, | PIN_OFF if off the clock */
  int bRef;               /* referenced since the hand last passed */
  size_t nCharge;
  void (*xFree)(void *);
  SdbCacheHandle *pPrev;  /* clock links; pNext also links a list of dead entries */
  SdbCacheHandle *pNext;
};

/* Handles come from chunks the cache allocates (and frees only with itself),
** so they lie together rather than between the blocks: a hit's handle is
** more likely still in a CPU cache. Free handles are linked through pNext. */
#define CACHE_CHUNK 256
typedef struct CacheChunk CacheChunk;
struct CacheChunk {
  CacheChunk *pNext;
  SdbCacheHandle a[CACHE_CHUNK];
};

#define PIN_OFF 0x80000000u   /* nRef: the hand took the pinned entry off the clock */
#define PIN_MASK 0x7fffffffu  /* nRef: the pin count */

typedef struct CacheSlot {
  u64 hash;               /* cacheHash of h's key; meaningless while h is NULL */
  SdbCacheHandle *h;      /* NULL: an empty slot */
} CacheSlot;

struct SdbCache {
  pthread_mutex_t mu;
  size_t nCapacity;
  size_t nUsage;          /* sum of nCharge over entries in the table, plus nAhead */
  size_t nAhead;          /* read-ahead bytes charged (sdbCacheAheadCharge) */
  CacheSlot *aSlot;       /* nSlot slots */
  u32 nSlot;              /* power of two, more than nEntry */
  u32 nEntry;             /* entries in the table */
  u32 nClock;             /* entries on the clock (the table's but those off it, PIN_OFF) */
  SdbCacheHandle *pHand;  /* the clock's hand; NULL when it is empty */
  CacheChunk *pChunk;     /* every chunk of handles, linked */
  SdbCacheHandle *pFree;  /* handles not in use */
  u64 nHit, nMiss, nInsert, nEvict;
};

#define CACHE_SLOTS_MIN 256u
#define CACHE_SLOTS_MAX (1u << 30)

/* A 64-bit mix of the key (the finaliser of MurmurHash3); its low bits pick
** the home slot. */
static u64 cacheHash(u64 uid, u32 idx) {
  u64 h = uid * 0x9e3779b97f4a7c15ull + idx;
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ull;
  h ^= h >> 33;
  return h;
}

SdbCache *sdbCacheNew(size_t nCapacity) {
  SdbCache *p = sdbMallocZero(sizeof(*p));
  if (!p) return NULL;
  p->nSlot = CACHE_SLOTS_MIN;
  p->aSlot = sdbMallocZero(sizeof(CacheSlot) * p->nSlot);
  if (!p->aSlot) {
    sdbFree(p);
    return NULL;
  }
  pthread_mutex_init(&p->mu, NULL);
  p->nCapacity = nCapacity;
  return p;
}

/* Push e on the free list (poisoned there). REQUIRES: the mutex. */
static void entryPushFree(SdbCache *p, SdbCacheHandle *e) {
  e->pNext = p->pFree;
  p->pFree = e;
  handlePoison(e);
}

/* A zeroed handle from the free list, or NULL on OOM. REQUIRES: the mutex. */
static SdbCacheHandle *entryNew(SdbCache *p) {
  if (!p->pFree) {
    CacheChunk *c = sdbMalloc(sizeof(*c));
    if (!c) return NULL;
    c->pNext = p->pChunk;
    p->pChunk = c;
    for (int i = CACHE_CHUNK - 1; i >= 0; i--) entryPushFree(p, &c->a[i]);
  }
  SdbCacheHandle *e = p->pFree;
  handleUnpoison(e);
  p->pFree = e->pNext;
  memset(e, 0, sizeof(*e));
  return e;
}

void sdbCacheFree(SdbCache *p) {
  if (!p) return;
  for (u32 i = 0; i < p->nSlot; i++) {
    SdbCacheHandle *e = p->aSlot[i].h;
    if (e && e->xFree) e->xFree(e->pVal);
  }
  while (p->pChunk) {
    CacheChunk *c = p->pChunk;
    p->pChunk = c->pNext;
    for (int i = 0; i < CACHE_CHUNK; i++) handleUnpoison(&c->a[i]);
    sdbFree(c);
  }
  sdbFree(p->aSlot);
  pthread_mutex_destroy(&p->mu);
  sdbFree(p);
}

/* True if e is pinned. REQUIRES: the mutex (pins are taken only under it, so
** an entry seen unpinned stays so until it is released). Acquire, pairing with
** the release ordering of the decrement in sdbCacheRelease: the releaser's
** reads of the value happen before a caller that sees its pin gone frees it. */
static int entryPinned(SdbCacheHandle *e) {
  return __atomic_load_n(&e->nRef, __ATOMIC_ACQUIRE) != 0;
}

/* Pin e. REQUIRES: the mutex. Relaxed is enough: whoever reads nRef to free
** the entry (an evict, an erase) holds the mutex too, which orders it after
** this pin; a releaser only decrements a pin it holds, and the increment
** being atomic keeps the count exact against concurrent decrements. */
static void entryPin(SdbCacheHandle *e) {
  __atomic_add_fetch(&e->nRef, 1, __ATOMIC_RELAXED);
  if (!e->bRef) e->bRef = 1;
}

/* ------------------------------------------------------------ hash table */

/* The slot holding (uid, idx), or else the empty slot where the probe ended
** (where it would be inserted). REQUIRES: the mutex; an empty slot exists. */
static CacheSlot *slotFind(SdbCache *p, u64 hash, u64 uid, u32 idx) {
  u32 mask = p->nSlot - 1;
  for (u32 i = (u32)hash & mask;; i = (i + 1) & mask) {
    CacheSlot *s = &p->aSlot[i];
    if (!s->h || (s->hash == hash && s->h->uid == uid && s->h->idx == idx)) return s;
  }
}

/* The index of the slot holding e. REQUIRES: the mutex; e in the table. */
static u32 slotOf(SdbCache *p, const SdbCacheHandle *e) {
  u32 mask = p->nSlot - 1;
  u32 i = (u32)cacheHash(e->uid, e->idx) & mask;
  while (p->aSlot[i].h != e) i = (i + 1) & mask;
  return i;
}

/* Empty slot i, moving back each later slot of its probe run that may sit
** there (backward-shift deletion: no tombstones). REQUIRES: the mutex. */
static void slotDelete(SdbCache *p, u32 i) {
  u32 mask = p->nSlot - 1;
  for (u32 j = (i + 1) & mask; p->aSlot[j].h; j = (j + 1) & mask) {
    u32 home = (u32)p->aSlot[j].hash & mask;
    /* j's entry may move to i unless its home lies after i (cyclically). */
    if (((j - home) & mask) >= ((j - i) & mask)) {
      p->aSlot[i] = p->aSlot[j];
      i = j;
    }
  }
  p->aSlot[i].h = NULL;
}

/* Double the table. 0 on OOM (the old one stays). REQUIRES: the mutex. */
static int tableGrow(SdbCache *p) {
  u32 nNew = p->nSlot * 2, mask = nNew - 1;
  CacheSlot *aNew = sdbMallocZero(sizeof(CacheSlot) * nNew);
  if (!aNew) return 0;
  for (u32 i = 0; i < p->nSlot; i++) {
    if (!p->aSlot[i].h) continue;
    u32 j = (u32)p->aSlot[i].hash & mask;
    while (aNew[j].h) j = (j + 1) & mask;
    aNew[j] = p->aSlot[i];
  }
  sdbFree(p->aSlot);
  p->aSlot = aNew;
  p->nSlot = nNew;
  return 1;
}

/* Room for one more entry: the table is doubled rather than filled beyond
** half; on OOM (or at the largest size) it takes entries up to 7/8 full.
** 0 if there is no room. Slot pointers are stale afterwards. */
static int tableRoom(SdbCache *p) {
  u64 nNeed = (u64)p->nEntry + 1;
  if (nNeed * 2 <= p->nSlot) return 1;
  if (p->nSlot < CACHE_SLOTS_MAX && tableGrow(p)) return 1;
  return nNeed * 8 <= (u64)p->nSlot * 7;
}

/* ------------------------------------------------------------ clock */

/* Put e on the clock just behind the hand (the hand reaches it last). */
static void clockInsert(SdbCache *p, SdbCacheHandle *e) {
  SdbCacheHandle *pHand = p->pHand;
  p->nClock++;
  if (!pHand) {
    e->pNext = e->pPrev = e;
    p->pHand = e;
    return;
  }
  e->pNext = pHand;
  e->pPrev = pHand->pPrev;
  pHand->pPrev->pNext = e;
  pHand->pPrev = e;
}

static void clockRemove(SdbCache *p, SdbCacheHandle *e) {
  p->nClock--;
  if (e->pNext == e) {
    p->pHand = NULL;
  } else {
    e->pPrev->pNext = e->pNext;
    e->pNext->pPrev = e->pPrev;
    if (p->pHand == e) p->pHand = e->pNext;
  }
  e->pPrev = e->pNext = NULL;
}

/* Take e (unpinned, in the table) out of the table and the clock and push it
** on *ppDead for destruction outside the mutex. */
static void entryDrop(SdbCache *p, SdbCacheHandle *e, SdbCacheHandle **ppDead) {
  slotDelete(p, slotOf(p, e));
  clockRemove(p, e);
  p->nEntry--;
  p->nUsage -= e->nCharge;
  e->pNext = *ppDead;
  *ppDead = e;
}

/* If e (on the clock) is pinned, take it off the clock, marking it PIN_OFF
** so that its last release puts it back, and return 1; else return 0 (e
** stays unpinned: pins are taken only under the mutex). REQUIRES: the mutex.
** The compare-and-swap fails if a release changed nRef since the load: then
** the new count decides. Acquire on the loads: see entryPinned. */
static int handTakePinned(SdbCache *p, SdbCacheHandle *e) {
  u32 n = __atomic_load_n(&e->nRef, __ATOMIC_ACQUIRE);
  while (n != 0) {
    if (__atomic_compare_exchange_n(&e->nRef, &n, n | PIN_OFF, 0, __ATOMIC_ACQUIRE,
                                    __ATOMIC_ACQUIRE)) {
      clockRemove(p, e);
      return 1;
    }
  }
  return 0;
}

/* Evict until usage fits or the clock is empty: the hand takes pinned
** entries off the clock, clears referenced ones and evicts the first other.
** Ends within two turns (the first clears every bit; no bit is set and no
** entry pinned meanwhile, both needing the mutex). REQUIRES: the mutex. */
static void evict(SdbCache *p, SdbCacheHandle **ppDead) {
  while (p->nUsage > p->nCapacity && p->pHand) {
    SdbCacheHandle *e = p->pHand;
    p->pHand = e->pNext;
    if (handTakePinned(p, e)) continue;
    if (e->bRef) {
      e->bRef = 0;
      continue;
    }
    entryDrop(p, e, ppDead);
    p->nEvict++;
  }
}

/* Run the value destructors of the dead entries linked from e (without the
** mutex), then give their handles back to the free list. */
static void destroyList(SdbCache *p, SdbCacheHandle *e) {
  if (!e) return;
  for (SdbCacheHandle *d = e; d; d = d->pNext) {
    if (d->xFree) d->xFree(d->pVal);
  }
  pthread_mutex_lock(&p->mu);
  while (e) {
    SdbCacheHandle *pNext = e->pNext;
    entryPushFree(p, e);
    e = pNext;
  }
  pthread_mutex_unlock(&p->mu);
}

/* ------------------------------------------------------------ API */

SdbCacheHandle *sdbCacheLookup(SdbCache *p, u64 uid, u32 idx) {
  u64 hash = cacheHash(uid, idx);
  pthread_mutex_lock(&p->mu);
  SdbCacheHandle *e = slotFind(p, hash, uid, idx)->h;
  if (e) {
    entryPin(e);
    p->nHit++;
  } else {
    p->nMiss++;
  }
  pthread_mutex_unlock(&p->mu);
  if (e) SDB_COST_ADD(nCacheHit, 1);
  else SDB_COST_ADD(nCacheMiss, 1);
  return e;
}

int sdbCacheContains(SdbCache *p, u64 uid, u32 idx) {
  u64 hash = cacheHash(uid, idx);
  pthread_mutex_lock(&p->mu);
  int b = slotFind(p, hash, uid, idx)->h != NULL;
  pthread_mutex_unlock(&p->mu);
  return b;
}

SdbCacheHandle *sdbCacheInsert(SdbCache *p, u64 uid, u32 idx, void *pVal, size_t nCharge,
                               void (*xFree)(void *)) {
  u64 hash = cacheHash(uid, idx);
  SdbCacheHandle *pDead = NULL;
  pthread_mutex_lock(&p->mu);
  SdbCacheHandle *e = slotFind(p, hash, uid, idx)->h;
  if (e) {
    /* Somebody else loaded it first: share theirs (a reference), drop ours. */
    entryPin(e);
    pthread_mutex_unlock(&p->mu);
    if (xFree) xFree(pVal);
    return e;
  }
  e = tableRoom(p) ? entryNew(p) : NULL;
  if (!e) {
    pthread_mutex_unlock(&p->mu);
    return NULL;
  }
  e->uid = uid;
  e->idx = idx;
  e->nRef = 1;
  e->pVal = pVal;
  e->xFree = xFree;
  e->nCharge = nCharge;
  CacheSlot *s = slotFind(p, hash, uid, idx);
  s->hash = hash;
  s->h = e;
  clockInsert(p, e);
  p->nEntry++;
  p->nUsage += nCharge;
  p->nInsert++;
  evict(p, &pDead);
  pthread_mutex_unlock(&p->mu);
  destroyList(p, pDead);
  return e;
}

void *sdbCacheValue(const SdbCacheHandle *h) { return h->pVal; }

/* A release of a handle whose entry has no pin: a caller released it twice
** (or released a handle it never had). Its pin count would wrap and another
** caller's pin be lost, so the process stops here. */
static void releaseUnpinned(const SdbCacheHandle *h) {
  fprintf(stderr, "slatedb: block cache: release of an unpinned handle %p (released twice?)\n",
          (const void *)h);
  abort();
}

/* The last pin of h, an entry off the clock: put it back on the clock and
** evict (the cache was over capacity when the hand took it off). Under the
** mutex the count can only have grown since the caller saw PIN_OFF|1 (a
** lookup pinned h again): then the last of those pins puts it back. h stays
** valid meanwhile: an entry off the clock is neither evicted nor erased. */
static void releaseOffClock(SdbCache *p, SdbCacheHandle *h) {
  SdbCacheHandle *pDead = NULL;
  pthread_mutex_lock(&p->mu);
  if (__atomic_sub_fetch(&h->nRef, 1, __ATOMIC_ACQ_REL) == PIN_OFF) {
    __atomic_store_n(&h->nRef, 0, __ATOMIC_RELAXED);
    clockInsert(p, h);
    evict(p, &pDead);
  }
  pthread_mutex_unlock(&p->mu);
  destroyList(p, pDead);
}

void sdbCacheRelease(SdbCache *p, SdbCacheHandle *h) {
  if (!h) return;
  /* Release ordering on the decrement: see entryPinned. Once the count is 0
  ** on the clock h may be evicted and its handle reused by another thread. */
  u32 n = 1;   /* the usual count: no load before the compare-and-swap */
  while (!__atomic_compare_exchange_n(&h->nRef, &n, n - 1, 0, __ATOMIC_RELEASE,
                                      __ATOMIC_RELAXED)) {
    if ((n & PIN_MASK) == 0) releaseUnpinned(h);
    if (n == (PIN_OFF | 1)) {
      releaseOffClock(p, h);
      return;
    }
  }
}

size_t sdbCacheAheadRoom(SdbCache *p) {
  pthread_mutex_lock(&p->mu);
  size_t nMax = p->nCapacity / 4;
  size_t n = p->nAhead < nMax ? nMax - p->nAhead : 0;
  pthread_mutex_unlock(&p->mu);
  return n;
}

void sdbCacheAheadCharge(SdbCache *p, size_t n) {
  SdbCacheHandle *pDead = NULL;
  pthread_mutex_lock(&p->mu);
  p->nAhead += n;
  p->nUsage += n;
  evict(p, &pDead);
  pthread_mutex_unlock(&p->mu);
  destroyList(p, pDead);
}

void sdbCacheAheadRelease(SdbCache *p, size_t n) {
  pthread_mutex_lock(&p->mu);
  p->nAhead -= n;
  p->nUsage -= n;
  pthread_mutex_unlock(&p->mu);
}

void sdbCacheEraseUid(SdbCache *p, u64 uid) {
  SdbCacheHandle *pDead = NULL;
  pthread_mutex_lock(&p->mu);
  SdbCacheHandle *e = p->pHand;
  for (u32 n = p->nClock; n > 0; n--) {
    SdbCacheHandle *pNext = e->pNext;
    if (e->uid == uid && !entryPinned(e)) entryDrop(p, e, &pDead);
    e = pNext;
  }
  pthread_mutex_unlock(&p->mu);
  destroyList(p, pDead);
}

void sdbCacheGetStats(SdbCache *p, SdbCacheStats *pStats) {
  pthread_mutex_lock(&p->mu);
  pStats->nHit = p->nHit;
  pStats->nMiss = p->nMiss;
  pStats->nInsert = p->nInsert;
  pStats->nEvict = p->nEvict;
  pStats->nBytes = p->nUsage;
  pStats->nAhead = p->nAhead;
  pStats->nEntry = p->nEntry;
  pStats->nCapacity = p->nCapacity;
  pthread_mutex_unlock(&p->mu);
}
