/*
** sst.h: reading SST objects (WAL and compacted) of SlateDB 0.12.1.
**
** File layout (spec/SST.md §2; slatedb/src/format/sst.rs at fce6ed00):
**
**   [block 0 .. block N-1] [filter] [index] [stats] [SsTableInfo][u32 BE CRC]
**   [u64 BE meta_offset][u16 BE format_version]
**
** Every section except the info and the footer is stored as
** codec(payload) || u32 BE CRC-32(codec(payload)). Block i spans
** [index.block_meta[i].offset, block_meta[i+1].offset); the last block ends at
** SsTableInfo.filter_offset.
**
** An SdbSst is an open, immutable, reference-counted view of one object: its
** SsTableInfo, format version, and the parsed index (block offsets and first
** keys). Data blocks and the bloom filter are fetched with ranged GETs on
** demand, through an optional SdbCache. Several threads may iterate one
** SdbSst at once.
*/
#ifndef SDB_SST_H
#define SDB_SST_H

#include "table/block.h"
#include "util/cache.h"
#include "table/sstinfo.h"
#include "store/objstore.h"
#include "util/sdbInt.h"

typedef struct SdbSst SdbSst;

/*
** Open the SST stored at zKey in pStore.
**
** - Compacted SSTs (L0 and sorted runs): pass the manifest's SsTableInfo copy
**   in pInfo and the manifest's format_version (1 when the manifest has none).
**   One ranged GET reads from the index to the end of the object (index,
**   stats, info, footer): the manifest's entry is cross-checked against the
**   SST's own checksummed SsTableInfo (every
**   field, first and last keys included), a mismatch being SDB_CORRUPT, since
**   SlateDB's manifest has no checksum of its own.
** - WAL SSTs: pass pInfo = NULL (formatVersion is then ignored). The object is
**   HEADed, and its tail (footer, SsTableInfo and usually the index) is read
**   in one ranged GET. The footer's version must be 1 or 2; an object of 10
**   bytes or fewer is corrupt ("empty SST"). The info's CRC is checked.
**
** The index CRC is checked, the index decompressed and parsed, and the block
** offsets validated (strictly increasing, last block ending at filter_offset,
** sections in order and, when the size is known, inside the object).
**
** pStore and pCache (may be NULL: no caching) are borrowed: REQUIRES both
** outlive the SST and every iterator on it. pInfo is copied.
** On success the caller owns one reference to *pp (sdbSstUnref).
** Returns SDB_OK, SDB_NOTFOUND (object missing), SDB_CORRUPT, SDB_IOERR,
** SDB_NOMEM, SDB_UNSUPPORTED; pErr names the object.
*/
int sdbSstOpen(SdbStore *pStore, const char *zKey, const SdbSstInfo *pInfo,
               u16 formatVersion, SdbCache *pCache, SdbSst **pp, SdbErr *pErr);
/* As sdbSstOpen, for a reader about to look keys up: with a cache, a filter
** stored right before the index is read in the same GET and cached. */
int sdbSstOpenForLookups(SdbStore *pStore, const char *zKey, const SdbSstInfo *pInfo,
                         u16 formatVersion, SdbCache *pCache, SdbSst **pp, SdbErr *pErr);

/* As sdbSstOpen with pInfo, for a scan that starts at the first block (the
** last if bDesc). Where the store overlaps reads (S3) and there is a cache,
** the data is requested with the index instead of after it: ascending, the
** first 2.3 MiB as 4 windows on background threads that the first iterator
** from block 0 adopts (SstRaw in sst.c; any other iterator cancels them);
** descending, or if no thread starts, the last (first) 64 KiB read in one
** batch with the index, whose whole blocks go to the cache. */
int sdbSstOpenForScan(SdbStore *pStore, const char *zKey, const SdbSstInfo *pInfo,
                      u16 formatVersion, SdbCache *pCache, int bDesc, SdbSst **pp,
                      SdbErr *pErr);

/* The bytes [*pOff, *pOff + *pLen) an open with pInfo reads: from the index
** (for lookups, bForLookups, a filter right before it) to the end of the
** object (*pLen = SDB_TO_END). */
void sdbSstOpenSpan(const SdbSstInfo *pInfo, int bForLookups, u64 *pOff, u64 *pLen);
/* As sdbSstOpen (bForLookups: sdbSstOpenForLookups) with pInfo, taking the
** span's bytes from a[0..n), read from offset off to the end of the object,
** instead of a GET (a GET still happens if they do not cover the index). a is
** borrowed. */
int sdbSstOpenFromBytes(SdbStore *pStore, const char *zKey, const SdbSstInfo *pInfo,
                        u16 formatVersion, SdbCache *pCache, int bForLookups, const u8 *a,
                        size_t n, u64 off, SdbSst **pp, SdbErr *pErr);

/* Reference counting (atomic). The SST is freed when the last reference is
** dropped. Both NULL-safe. */
void sdbSstRef(SdbSst *p);
void sdbSstUnref(SdbSst *p);

/* Accessors. Returned pointers live as long as the SST. */
const SdbSstInfo *sdbSstGetInfo(const SdbSst *p);
u16 sdbSstFormatVersion(const SdbSst *p);
u32 sdbSstBlockCount(const SdbSst *p);
const char *sdbSstKey(const SdbSst *p);
/* Object size when known (WAL path), else 0. */
u64 sdbSstObjectSize(const SdbSst *p);
/* Rows of a compacted SST never have a seq above the last_l0_seq of a
** manifest that lists it: iterators report a row above maxSeq as SDB_CORRUPT
** (default UINT64_MAX: no check). Set once, right after the open, before any
** iterator exists. */
void sdbSstSetMaxSeq(SdbSst *p, u64 maxSeq);
/* Index first key of block i (REQUIRES i < block count). */
void sdbSstBlockFirstKey(const SdbSst *p, u32 i, const u8 **ppKey, size_t *pnKey);

/*
** Iterate rows exactly as stored (every version; tombstones and merge operands
** included) whose key lies in pRange (NULL = all), ascending or descending.
**
** Compacted SSTs (sorted by key, then seq descending): the index picks the
** first and last block to visit; within blocks binary search. For a point
** range (lo == hi, both inclusive) the bloom filter is consulted first (loaded
** and cached on first use); if it says absent the iterator is empty and
** sdbSstFilterSkips() is incremented.
** WAL SSTs (rows in seq order, keys unsorted): every block is read and rows
** outside the range are skipped; ascending = file order, descending = the
** reverse of file order.
**
** Blocks come from the cache or from ranged GETs; after two blocks a scan
** reads the following blocks several at a time in one coalesced GET.
** The iterator holds a reference on the SST; the range is copied. A row's
** pointers stay valid one step longer than SdbIter requires, until the
** second xNext after it (also when the first one reaches EOF), or a seek
** (merge.h's lookahead rule): the block it lies in stays pinned that long.
** Caller owns *pp (sdb_iter_free). Errors (also from xNext) are SDB_CORRUPT,
** SDB_IOERR, SDB_NOMEM with pErr naming the object and block.
*/
int sdbSstIterNew(SdbSst *p, const SdbRange *pRange, int bDesc, SdbIter **pp,
                  SdbErr *pErr);

/*
** Call xTail(pArg) once, in the thread that steps the iterator, as soon as
** pIter (from sdbSstIterNew; other iterators are left alone) requests no more
** blocks: the ones it still needs are fetched, in flight, or it is at EOF
** (then at once). A sorted run uses it to open its next SST while this one
** is still being read. xTail must not step or free pIter.
*/
void sdbSstIterOnTail(SdbIter *pIter, void (*xTail)(void *), void *pArg);
/* Treat pIter (from sdbSstIterNew; others are left alone) as a long scan:
** start reading ahead now, in windows of the largest size, instead of after
** two blocks with growing windows (a sorted run's next SST, once the scan has
** read the whole SST before it). */
void sdbSstIterReadAhead(SdbIter *pIter);

/*
** *pbMay = 0 if the SST's bloom filter proves key absent, else 1 (also when
** the SST has no filter). Loads the filter on first use. Does not count a
** skip. Returns SDB_OK or an error reading the filter.
*/
int sdbSstMayContain(SdbSst *p, const u8 *key, size_t nKey, int *pbMay, SdbErr *pErr);

/* Point lookups answered "absent" by a bloom filter, process-wide. */
u64 sdbSstFilterSkips(void);

/*
** Read and check every section of the SST: each block (CRC, codec, rows),
** the filter, the index and the stats (CRC and codec). For tests and
** integrity checks. Returns SDB_OK or the first error.
*/
int sdbSstVerify(SdbSst *p, SdbErr *pErr);

/*
** Prefetch planning (batch reads on high-latency stores). sdbSstPrefetchPlan
** sets *pSpan to the uncached blocks a read of r would load first (bNeed = 0:
** nothing to fetch: no overlap, filtered out, cached, or no cache). After the
** caller has read [off, off+len) of the SST's object, sdbSstPrefetchInstall
** decodes the blocks into the cache; a block that does not decode is skipped
** (the iterator that needs it reports the error).
*/
typedef struct SdbSstSpan {
  int bNeed;
  u32 iFirst, iLast;      /* blocks, inclusive */
  u64 off, len;           /* their bytes in the object */
} SdbSstSpan;
int sdbSstPrefetchPlan(SdbSst *p, const SdbRange *r, int bDesc, SdbSstSpan *pSpan,
                       SdbErr *pErr);
void sdbSstPrefetchInstall(SdbSst *p, const SdbSstSpan *pSpan, const SdbBuf *pBytes);

/*
** Fuzzing builds only (-DSDB_FUZZING: `make fuzz` and the fuzz-replay
** binaries, whose core objects are built apart under $(BUILD)/fuzzing/): when
** non-zero, section checksum mismatches are ignored so that mutated inputs
** reach the FlatBuffer, codec and block decoders (which must then reject them
** on their own). The extension and the c-tests have no such variable.
*/
#ifdef SDB_FUZZING
extern int sdbSstFuzzIgnoreCrc;
#endif

#endif /* SDB_SST_H */
