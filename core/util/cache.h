/*
** cache.h: a thread-safe LRU cache of decoded SST parts, bounded in bytes.
**
** Entries are keyed by (u64 sstUid, u32 idx). idx is a data block index, or
** SDB_CACHE_FILTER for an SST's filter (the only other section cached). Values are
** opaque to the cache: each comes with its charge (bytes) and a destructor.
**
** Entries are reference-counted through handles. A handle returned by Lookup
** or Insert pins its entry: the value stays valid until sdbCacheRelease, even
** if the entry is evicted or replaced meanwhile. Only unpinned entries sit on
** the LRU list and can be evicted, so the cache may exceed its capacity while
** many entries are pinned (it shrinks back as they are released).
*/
#ifndef SDB_CACHE_H
#define SDB_CACHE_H

#include "util/sdbInt.h"

#define SDB_CACHE_FILTER (UINT32_MAX - 1)   /* idx of an SST's bloom filter */

typedef struct SdbCache SdbCache;
typedef struct SdbCacheHandle SdbCacheHandle;

typedef struct SdbCacheStats {
  u64 nHit, nMiss;        /* lookups that found / did not find an entry */
  u64 nInsert, nEvict;    /* entries added / evicted for space */
  u64 nBytes;             /* charge of the entries held (pinned or not) and of read-ahead */
  u64 nAhead;             /* bytes of read-ahead charged now */
  u64 nEntry;             /* entries held */
  u64 nCapacity;          /* configured capacity in bytes */
} SdbCacheStats;

/* A new cache of nCapacity bytes (0 = keep only what is pinned). Caller owns
** it (sdbCacheFree). NULL on OOM. */
SdbCache *sdbCacheNew(size_t nCapacity);
/* Free the cache and every value it holds. REQUIRES: no handle is still held.
** NULL-safe. */
void sdbCacheFree(SdbCache *p);

/* The entry for (uid, idx), pinned, or NULL. Counts a hit or a miss (also on
** the calling thread's cost record, sdb_cost_attach). */
SdbCacheHandle *sdbCacheLookup(SdbCache *p, u64 uid, u32 idx);

/* True if (uid, idx) is held now. Pins nothing, counts nothing and leaves the
** LRU order alone: a hint for planning reads, which may be stale at once. */
int sdbCacheContains(SdbCache *p, u64 uid, u32 idx);

/*
** Add pVal for (uid, idx) with charge nCharge and destructor xFree (may be
** NULL), and return it pinned. Ownership of pVal passes to the cache.
** If an entry for (uid, idx) already exists (another thread loaded the same
** block), that entry is returned instead and pVal is destroyed at once, so
** callers must use sdbCacheValue(handle), not pVal, afterwards.
** Returns NULL only when out of memory; then the caller still owns pVal.
*/
SdbCacheHandle *sdbCacheInsert(SdbCache *p, u64 uid, u32 idx, void *pVal, size_t nCharge,
                               void (*xFree)(void *));

/* The value of a pinned entry. */
void *sdbCacheValue(const SdbCacheHandle *h);

/*
** Read-ahead accounting: bytes that scans hold as fetched but not yet decoded
** blocks count against the capacity like entries (blocks are evicted to make
** room), and at most a quarter of the capacity may be read-ahead.
** AheadRoom is what may still be charged (a hint: threads race); Charge and
** Release move n bytes in and out.
*/
size_t sdbCacheAheadRoom(SdbCache *p);
void sdbCacheAheadCharge(SdbCache *p, size_t n);
void sdbCacheAheadRelease(SdbCache *p, size_t n);

/* Unpin. h must not be used afterwards. NULL-safe. */
void sdbCacheRelease(SdbCache *p, SdbCacheHandle *h);

/* Drop every unpinned entry of uid now (e.g. the SST was deleted). Pinned
** entries stay until they are released and later evicted. */
void sdbCacheEraseUid(SdbCache *p, u64 uid);

void sdbCacheGetStats(SdbCache *p, SdbCacheStats *pStats);

#endif /* SDB_CACHE_H */
