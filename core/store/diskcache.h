/*
** diskcache.h: a local disk cache of immutable objects in front of another
** store (disk_cache= of CREATE VIRTUAL TABLE; see diskcache.c).
*/
#ifndef SDB_DISKCACHE_H
#define SDB_DISKCACHE_H

#include "store/objstore.h"

/* Part size: 1 MiB, the size of a scan's read-ahead GETs, so a miss fetches
** no more than a read without the cache would (SlateDB's default: 4 MiB). */
#define SDB_DISKCACHE_PART (1u << 20)
#define SDB_DISKCACHE_DEFAULT_MAX (1ull << 30) /* disk_cache_size default: 1 GiB */

/*
** Wrap *ppStore in a disk cache kept in directory zDir (created if missing).
** Immutable objects (compacted/ *.sst and wal/ *.sst) are kept in parts of
** partSize bytes (0: SDB_DISKCACHE_PART; tests use small ones); nMaxBytes
** bounds the directory's size (0: SDB_DISKCACHE_DEFAULT_MAX). On success the
** wrapper owns the old *ppStore and *ppStore is the wrapper; on error
** *ppStore is unchanged (still the caller's).
*/
int sdbStoreWrapDiskCache(SdbStore **ppStore, const char *zDir, u64 nMaxBytes, u32 partSize,
                          SdbErr *pErr);

#endif /* SDB_DISKCACHE_H */
