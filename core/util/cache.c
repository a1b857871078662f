/*
** cache.c: the LRU cache described in cache.h.
**
** Structure: a chained hash table of entries keyed by (uid, idx), and a
** doubly linked LRU list holding exactly the entries that are in the table
** and not pinned (nRef == 0), oldest first. Everything is protected by one
** mutex. An entry leaves the table when evicted, replaced or erased; it is
** destroyed when it is out of the table and unpinned. Value destructors run
** after the mutex is released.
*/
#include <pthread.h>

#include "util/cache.h"

struct SdbCacheHandle {
  u64 uid;
  u32 idx;
  u32 nRef;               /* pins held by callers */
  int bInTable;           /* reachable through the hash table */
  void *pVal;             /* owned; destroyed with xFree */
  void (*xFree)(void *);
  size_t nCharge;
  SdbCacheHandle *pHashNext;
  SdbCacheHandle *pPrev;  /* LRU list links (when on the list) */
  SdbCacheHandle *pNext;
};

struct SdbCache {
  pthread_mutex_t mu;
  size_t nCapacity;
  size_t nUsage;          /* sum of nCharge over entries in the table, plus nAhead */
  size_t nAhead;          /* read-ahead bytes charged (sdbCacheAheadCharge) */
  SdbCacheHandle **aHash; /* nHash buckets */
  u32 nHash;              /* power of two */
  u32 nEntry;             /* entries in the table */
  SdbCacheHandle lru;     /* sentinel: lru.pNext oldest, lru.pPrev newest */
  u64 nHit, nMiss, nInsert, nEvict;
};

static u32 cacheHash(u64 uid, u32 idx) {
  u64 h = uid * 0x9e3779b97f4a7c15ull ^ ((u64)idx * 0xc2b2ae3d27d4eb4full);
  h ^= h >> 29;
  return (u32)h;
}

SdbCache *sdbCacheNew(size_t nCapacity) {
  SdbCache *p = sdbMallocZero(sizeof(*p));
  if (!p) return NULL;
  p->nHash = 256;
  p->aHash = sdbMallocZero(sizeof(SdbCacheHandle *) * p->nHash);
  if (!p->aHash) {
    sdbFree(p);
    return NULL;
  }
  pthread_mutex_init(&p->mu, NULL);
  p->nCapacity = nCapacity;
  p->lru.pNext = p->lru.pPrev = &p->lru;
  return p;
}

static void entryDestroy(SdbCacheHandle *e) {
  if (e->xFree) e->xFree(e->pVal);
  sdbFree(e);
}

void sdbCacheFree(SdbCache *p) {
  if (!p) return;
  for (u32 i = 0; i < p->nHash; i++) {
    SdbCacheHandle *e = p->aHash[i];
    while (e) {
      SdbCacheHandle *pNext = e->pHashNext;
      entryDestroy(e);
      e = pNext;
    }
  }
  sdbFree(p->aHash);
  pthread_mutex_destroy(&p->mu);
  sdbFree(p);
}

static void lruRemove(SdbCacheHandle *e) {
  e->pPrev->pNext = e->pNext;
  e->pNext->pPrev = e->pPrev;
  e->pPrev = e->pNext = NULL;
}

static void lruAppend(SdbCache *p, SdbCacheHandle *e) {
  e->pNext = &p->lru;
  e->pPrev = p->lru.pPrev;
  e->pPrev->pNext = e;
  p->lru.pPrev = e;
}

static SdbCacheHandle **hashSlot(SdbCache *p, u64 uid, u32 idx) {
  SdbCacheHandle **pp = &p->aHash[cacheHash(uid, idx) & (p->nHash - 1)];
  while (*pp && ((*pp)->uid != uid || (*pp)->idx != idx)) pp = &(*pp)->pHashNext;
  return pp;
}

/* Double the table when it gets crowded; on OOM keep the old one. */
static void hashGrow(SdbCache *p) {
  if (p->nEntry <= p->nHash || p->nHash >= (1u << 30)) return;
  u32 nNew = p->nHash * 2;
  SdbCacheHandle **aNew = sdbMallocZero(sizeof(SdbCacheHandle *) * nNew);
  if (!aNew) return;
  for (u32 i = 0; i < p->nHash; i++) {
    SdbCacheHandle *e = p->aHash[i];
    while (e) {
      SdbCacheHandle *pNext = e->pHashNext;
      u32 b = cacheHash(e->uid, e->idx) & (nNew - 1);
      e->pHashNext = aNew[b];
      aNew[b] = e;
      e = pNext;
    }
  }
  sdbFree(p->aHash);
  p->aHash = aNew;
  p->nHash = nNew;
}

/* Take e (unpinned, in the table) out of the table and the LRU list and push
** it on *ppDead for destruction outside the mutex. */
static void entryDrop(SdbCache *p, SdbCacheHandle *e, SdbCacheHandle **ppDead) {
  SdbCacheHandle **pp = hashSlot(p, e->uid, e->idx);
  if (*pp == e) *pp = e->pHashNext;
  e->bInTable = 0;
  p->nEntry--;
  p->nUsage -= e->nCharge;
  if (e->pNext) lruRemove(e);
  e->pHashNext = *ppDead;
  *ppDead = e;
}

/* Evict unpinned entries, oldest first, until usage fits. */
static void evict(SdbCache *p, SdbCacheHandle **ppDead) {
  while (p->nUsage > p->nCapacity && p->lru.pNext != &p->lru) {
    entryDrop(p, p->lru.pNext, ppDead);
    p->nEvict++;
  }
}

static void destroyList(SdbCacheHandle *e) {
  while (e) {
    SdbCacheHandle *pNext = e->pHashNext;
    entryDestroy(e);
    e = pNext;
  }
}

SdbCacheHandle *sdbCacheLookup(SdbCache *p, u64 uid, u32 idx) {
  pthread_mutex_lock(&p->mu);
  SdbCacheHandle *e = *hashSlot(p, uid, idx);
  if (e) {
    if (e->nRef++ == 0) lruRemove(e);
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
  pthread_mutex_lock(&p->mu);
  int b = *hashSlot(p, uid, idx) != NULL;
  pthread_mutex_unlock(&p->mu);
  return b;
}

SdbCacheHandle *sdbCacheInsert(SdbCache *p, u64 uid, u32 idx, void *pVal, size_t nCharge,
                               void (*xFree)(void *)) {
  SdbCacheHandle *pDead = NULL;
  pthread_mutex_lock(&p->mu);
  SdbCacheHandle **pp = hashSlot(p, uid, idx);
  SdbCacheHandle *e = *pp;
  if (e) {
    /* Somebody else loaded it first: share theirs, drop ours. */
    if (e->nRef++ == 0) lruRemove(e);
    pthread_mutex_unlock(&p->mu);
    if (xFree) xFree(pVal);
    return e;
  }
  e = sdbMallocZero(sizeof(*e));
  if (!e) {
    pthread_mutex_unlock(&p->mu);
    return NULL;
  }
  e->uid = uid;
  e->idx = idx;
  e->nRef = 1;
  e->bInTable = 1;
  e->pVal = pVal;
  e->xFree = xFree;
  e->nCharge = nCharge;
  *pp = e;
  p->nEntry++;
  p->nUsage += nCharge;
  p->nInsert++;
  hashGrow(p);
  evict(p, &pDead);
  pthread_mutex_unlock(&p->mu);
  destroyList(pDead);
  return e;
}

void *sdbCacheValue(const SdbCacheHandle *h) { return h->pVal; }

void sdbCacheRelease(SdbCache *p, SdbCacheHandle *h) {
  if (!h) return;
  SdbCacheHandle *pDead = NULL;
  pthread_mutex_lock(&p->mu);
  if (--h->nRef == 0) {
    if (h->bInTable) {
      lruAppend(p, h);
      evict(p, &pDead);
    } else {
      h->pHashNext = NULL;
      pDead = h;
    }
  }
  pthread_mutex_unlock(&p->mu);
  destroyList(pDead);
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
  destroyList(pDead);
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
  SdbCacheHandle *e = p->lru.pNext;
  while (e != &p->lru) {
    SdbCacheHandle *pNext = e->pNext;
    if (e->uid == uid) entryDrop(p, e, &pDead);
    e = pNext;
  }
  pthread_mutex_unlock(&p->mu);
  destroyList(pDead);
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
