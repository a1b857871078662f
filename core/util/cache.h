/*
** cache.h: a thread-safe cache of decoded SST parts, bounded in bytes, with a
** CLOCK (second chance) replacement policy.
**
** Entries are keyed by (u64 sstUid, u32 idx). idx is a data block index, or
** SDB_CACHE_FILTER for an SST's filter (the only other section cached). Values are
** opaque to the cache: each comes with its charge (bytes) and a destructor.
**
** Entries are reference-counted through handles. A handle returned by Lookup
** or Insert pins its entry: it is neither evicted nor erased, and its value
** stays valid, until sdbCacheRelease. Only unpinned entries can be evicted,
** so the cache may exceed its capacity while many entries are pinned (it
** shrinks back as they are released).
**
** Replacement: a hit marks its entry referenced. To make room a clock hand
** walks the entries in insertion order: it takes pinned ones off the clock
** (the last release puts one back, behind the hand), takes the mark off a
** referenced one (it stays for another turn) and evicts the first unmarked
** one. A new entry starts unmarked, so a block read once (a scan) goes before
** one that was hit again. An operation costs O(1) amortised however many
** entries are pinned.
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

/* True if (uid, idx) is held now. Pins nothing, counts nothing and does not
** mark the entry referenced: a hint for planning reads, which may be stale at
** once. */
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
