/*
** slatedb.h: the public C interface of the SlateDB engine in core/.
**
** The engine reads (and later writes) databases in the format of SlateDB 0.12.1
** (Rust, release commit fce6ed00). It never includes sqlite3.h; ext/ translates
** between SQLite and this interface.
**
** Conventions (see docs/internals.md "Layout and conventions"):
**   - Every fallible function returns an int rc. SDB_OK is 0 and codes that mean
**     the same as SQLite's have SQLite's numbers, so ext/ can pass them through.
**   - Details go into a caller-owned SdbErr (may be NULL): rc plus a message
**     that names the object and the problem.
**   - Types are SdbCamel, public functions sdb_noun_verb, internal functions
**     sdbModuleVerb, static helpers moduleVerb.
*/
#ifndef SLATEDB_H
#define SLATEDB_H

#include <stddef.h>
#include <stdint.h>

/* Result codes. Equal to SQLite's where the meaning is the same. */
#define SDB_OK          0
#define SDB_ERROR       1   /* generic error, bad option, bad URL */
#define SDB_INTERNAL    2
#define SDB_PERM        3   /* access denied (S3 403) */
#define SDB_BUSY        5
#define SDB_NOMEM       7
#define SDB_READONLY    8
#define SDB_IOERR      10   /* store unavailable, I/O failure */
#define SDB_CORRUPT    11   /* checksum, bad encoding, missing referenced object */
#define SDB_NOTFOUND   12   /* object or key not found (SQLite: SQLITE_NOTFOUND) */
#define SDB_CANTOPEN   14
#define SDB_CONSTRAINT 19
#define SDB_MISMATCH   20
#define SDB_MISUSE     21
#define SDB_RANGE      25
/* Engine-specific codes, above SQLite's primary range. */
#define SDB_EXISTS    101   /* create-only PUT found an existing object */
#define SDB_FENCED    102   /* a newer writer owns the database */
#define SDB_CONFLICT  103   /* versioned-object commit lost a race */
#define SDB_UNSUPPORTED 104 /* a format feature this build does not support */
#define SDB_UNKNOWN   105   /* a create-only write's outcome could not be learned in time:
                            ** it may or may not have happened (see docs/sql.md) */

/* Error detail, owned by the caller. zMsg is always NUL-terminated. */
typedef struct SdbErr {
  int rc;                 /* SDB_OK or the first error code recorded */
  char zMsg[512];         /* human-readable message, "" when rc==SDB_OK */
} SdbErr;

void sdb_err_clear(SdbErr *pErr);

/* Kinds of row. */
#define SDB_KIND_VALUE     0
#define SDB_KIND_TOMBSTONE 1
#define SDB_KIND_MERGE     2

/*
** One row version as produced by any iterator. All pointers are borrowed: valid
** until the next xNext() or xFree() of the iterator that produced them.
*/
typedef struct SdbEntry {
  const uint8_t *pKey;    /* key bytes (1..65535 for real rows) */
  size_t nKey;
  const uint8_t *pVal;    /* value bytes; NULL/0 for tombstones */
  size_t nVal;
  uint64_t seq;           /* SlateDB sequence number */
  int eKind;              /* SDB_KIND_* */
  int bHasCreateTs;       /* row carried a create_ts */
  int bHasExpireTs;       /* row carried an expire_ts */
  int64_t createTs;       /* ms since epoch; 0 when absent */
  int64_t expireTs;       /* ms since epoch; 0 when absent */
} SdbEntry;

/*
** The one iterator interface. Every iterator in core/ (block, SST, sorted run,
** memtable, merge, visible-row) is an SdbIter. A constructor positions the
** iterator on its first entry (or sets bEof). xNext moves to the next entry in
** the iterator's direction. cur is valid while !bEof. xSeek (NULL if the
** iterator cannot seek) restarts it on another range in the same direction:
** it then yields exactly what a new iterator over the same data and pRange
** would, reusing what it holds (open tables, the current block) instead of
** building the stack again. On error the iterator is at EOF (it may seek again).
*/
typedef struct SdbIter SdbIter;
typedef struct SdbRange SdbRange;
typedef struct SdbIterMethods {
  int (*xNext)(SdbIter *pIter, SdbErr *pErr);   /* advance; SDB_OK or error */
  void (*xFree)(SdbIter *pIter);                /* free; NULL-safe via sdb_iter_free */
  /* position on the first entry of pRange (NULL = everything; borrowed for the call) */
  int (*xSeek)(SdbIter *pIter, const SdbRange *pRange, SdbErr *pErr);
} SdbIterMethods;
struct SdbIter {
  const SdbIterMethods *pMethods;
  int bEof;               /* true once past the last entry */
  SdbEntry cur;           /* current entry, valid while !bEof */
};

static inline int sdb_iter_next(SdbIter *p, SdbErr *pErr) { return p->pMethods->xNext(p, pErr); }
static inline void sdb_iter_free(SdbIter *p) { if (p) p->pMethods->xFree(p); }
/* True if p can seek. */
static inline int sdb_iter_can_seek(const SdbIter *p) { return p && p->pMethods->xSeek != 0; }
/* Seek p (sdb_iter_can_seek) to pRange; SDB_OK or an error (then p is at EOF). */
static inline int sdb_iter_seek(SdbIter *p, const SdbRange *pRange, SdbErr *pErr) {
  return p->pMethods->xSeek(p, pRange, pErr);
}

/*
** A key range. An absent bound is unbounded. Bounds are borrowed for the
** duration of the call that receives the range (constructors copy them).
*/
struct SdbRange {
  const uint8_t *pLo; size_t nLo; int bHasLo; int bLoExcl;
  const uint8_t *pHi; size_t nHi; int bHasHi; int bHiExcl;
};

/* ---------------------------------------------------------------- databases */

typedef struct SdbDb SdbDb;

/* Built-in merge operators. */
#define SDB_MERGE_NONE   0   /* reading a merge operand is an error */
#define SDB_MERGE_CONCAT 1   /* existing ++ operand (merge(None,x) == x) */

/*
** S3 settings that are not secrets (credentials come only from the
** environment: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN).
** NULL strings and 0 numbers mean "the environment, else the default"; the
** two flags take -1 for that (0 is an explicit "no"). While credentials are
** set, an endpoint other than the environment's, eAllowHttp 1 without
** AWS_ALLOW_HTTP=true, or an eVirtualHosted (0/1) other than the environment's
** makes the store open fail with SDB_PERM.
*/
typedef struct SdbS3Config {
  const char *zEndpoint;       /* NULL: $AWS_ENDPOINT, $AWS_ENDPOINT_URL_S3, $AWS_ENDPOINT_URL, else AWS */
  const char *zRegion;         /* NULL: $AWS_REGION, $AWS_DEFAULT_REGION, "us-east-1" */
  int eAllowHttp;              /* -1: $AWS_ALLOW_HTTP; 0 refuse http://; 1 allow */
  int eVirtualHosted;          /* -1: $AWS_VIRTUAL_HOSTED_STYLE_REQUEST; 0 path; 1 vhost */
  uint64_t timeoutMs;          /* one store operation, retries included (30000) */
  uint64_t connectTimeoutMs;   /* one TCP+TLS connect (3000) */
  int nParallel;               /* concurrent GETs of one batch read (8) */
  /* Plain PUTs (SSTs: compaction outputs, large L0s; never the create-only
  ** manifest, WAL and compactions objects) of at least multipartThreshold
  ** bytes go as S3 multipart uploads of multipartPartSize-byte parts, 4 in
  ** flight (0: 16 MiB and 8 MiB; parts are at least 5 MiB, S3's minimum). */
  uint64_t multipartThreshold;
  uint64_t multipartPartSize;
} SdbS3Config;

/* Open configuration. Strings are borrowed for the duration of sdb_db_open. */
typedef struct SdbConfig {
  const char *zUrl;       /* database root: a directory path, file:///abs, ... */
  int bReadOnly;          /* reader: never writes anything to the store */
  int eMergeOp;           /* SDB_MERGE_* */
  uint64_t nCacheBytes;   /* block cache budget; 0 = default (64 MiB) */
  /* Writer settings (SlateDB's names); 0 means SlateDB 0.12.1's default. */
  uint64_t l0SstSizeBytes;     /* memtable -> L0 at this estimated size (64 MiB) */
  uint64_t closeFlushBytes;    /* at close, memtable -> L0 from this size (4 MiB) */
  uint64_t maxUnflushedBytes;  /* async writes block above this (1 GiB) */
  uint64_t flushIntervalMs;    /* async WAL flush interval (100 ms) */
  uint64_t blockSize;          /* SST block size (4096) */
  uint32_t filterBitsPerKey;   /* bloom bits per key (10) */
  uint32_t minFilterKeys;      /* no filter below this many rows (1000) */
  int eCodec;                  /* compression: 0 none .. 4 zstd (none) */
  int bCreateIfMissing;        /* writer: create an empty database if none */
  uint64_t pollIntervalMs;     /* reader: re-read manifest/WAL before a scan when
                               ** this long has passed (1000); UINT64_MAX = never */
  SdbS3Config s3;              /* s3:// URLs only (see SdbS3Config) */
  /* Background maintenance of a writer (SlateDB 0.12.1 runs both by default). */
  int bNoCompactor;            /* do not run the compactor */
  uint64_t compactorPollMs;    /* compactor poll interval (5000) */
  uint64_t maxSstSize;         /* compaction output SST size (256 MiB) */
  uint32_t l0MaxSsts;          /* L0 flushes wait for the compactor at this many L0s (8) */
  int bNoGc;                   /* do not run the garbage collector */
  uint64_t gcIntervalMs;       /* GC interval (60000) */
  uint64_t gcMinAgeMs;         /* objects younger than this are never deleted (300000) */
  /* Readers: open the state a checkpoint pins ("8-4-4-4-12" UUID), or NULL. */
  const char *zCheckpoint;
  /* A local disk cache of immutable objects (SSTs), shared by processes, or
  ** NULL; nDiskCacheBytes bounds it (0 = 1 GiB). */
  const char *zDiskCache;
  uint64_t nDiskCacheBytes;
} SdbConfig;

/* Open a database. On success *ppDb owns the handle (free with sdb_db_close).
** Where no database is (no manifest) and none is to be created (a reader, or
** a writer without bCreateIfMissing), it fails with SDB_CANTOPEN and a message
** that starts with SDB_MSG_NO_DB. A writer creates a database only where the
** location is empty or holds only SlateDB's folders; elsewhere it fails with
** SDB_CANTOPEN, having written nothing. */
#define SDB_MSG_NO_DB "no SlateDB database at "
int sdb_db_open(const SdbConfig *pConfig, SdbDb **ppDb, SdbErr *pErr);
void sdb_db_close(SdbDb *pDb);

/*
** Scan the visible rows of pRange in key order (descending if bDesc). The
** iterator yields only SDB_KIND_VALUE entries: tombstones hidden, merge
** operands resolved, newest sequence number wins. It pins the database state
** it started with. Caller owns *ppIter (sdb_iter_free).
*/
int sdb_db_scan(SdbDb *pDb, const SdbRange *pRange, int bDesc, SdbIter **ppIter,
                SdbErr *pErr);

/*
** Warm the block cache for reads of aRange[0..nRange) (e.g. an IN-list's
** points) by fetching the first block each SST would load, all at once,
** where the store can overlap requests (S3). Every scan does this for its
** own range. A no-op on local stores. Fetch errors are left for the reads
** that follow to report.
*/
int sdb_db_prefetch(SdbDb *pDb, const SdbRange *aRange, int nRange, int bDesc, SdbErr *pErr);

/* Re-read the manifest and WAL (readers). */
int sdb_db_refresh(SdbDb *pDb, SdbErr *pErr);

/* ------------------------------------------------------------ writes */

/*
** A write batch: the operations of one SQLite transaction. Later operations on
** a key replace earlier ones. Marks let a caller roll back to a savepoint.
** A batch is not thread-safe; one connection owns it.
*/
typedef struct SdbBatch SdbBatch;
SdbBatch *sdb_batch_new(void);                      /* NULL on OOM; caller owns */
void sdb_batch_free(SdbBatch *pBatch);              /* NULL-safe */
/* Put key -> value. expireTs: ms since the epoch, or 0 for no expiry. */
int sdb_batch_put(SdbBatch *pBatch, const uint8_t *pKey, size_t nKey, const uint8_t *pVal,
                  size_t nVal, int64_t expireTs, SdbErr *pErr);
/* Put key -> value expiring ttlMs (> 0) after the commit that writes it
** (SlateDB's Ttl::ExpireAfter: stamped at commit, not now). Until then a scan
** of the batch shows now + ttlMs. */
int sdb_batch_put_ttl(SdbBatch *pBatch, const uint8_t *pKey, size_t nKey, const uint8_t *pVal,
                      size_t nVal, int64_t ttlMs, SdbErr *pErr);
int sdb_batch_delete(SdbBatch *pBatch, const uint8_t *pKey, size_t nKey, SdbErr *pErr);
int sdb_batch_count(const SdbBatch *pBatch);        /* operations so far */
/* Whether the batch (may be NULL) has an operation (put or delete) on key.
** Searches the batch's index from where its last insert or search ended, so
** the put that usually follows searches no more. REQUIRES: the thread that
** adds to the batch. */
int sdb_batch_has_key(SdbBatch *pBatch, const uint8_t *pKey, size_t nKey);
/* Undo every operation after the first nKeep. On failure (SDB_NOMEM) the
** batch is unchanged. */
int sdb_batch_truncate(SdbBatch *pBatch, int nKeep, SdbErr *pErr);
void sdb_batch_clear(SdbBatch *pBatch);             /* never fails */

/*
** Commit a batch atomically as one write batch: one sequence number, one WAL
** SST (create-only PUT). With bAwaitDurable the call returns once the WAL SST
** is stored; otherwise the rows are visible at once and a background thread
** writes them within flush_interval. An empty batch is a no-op.
** SDB_FENCED: a newer writer owns the database (every later write fails too).
*/
int sdb_db_write(SdbDb *pDb, SdbBatch *pBatch, int bAwaitDurable, SdbErr *pErr);

/* Like sdb_db_scan, with the uncommitted operations of pOverlay (may be NULL)
** applied on top: the transaction reads its own writes, deletes included.
** The scan reads the operations pOverlay has when it starts: later ones (a
** statement writing while it scans) are not seen, and a key they change
** keeps its value. The database under the overlay is read as sdb_db_scan
** reads it (rows committed up to the start). */
int sdb_db_scan_overlay(SdbDb *pDb, SdbBatch *pOverlay, const SdbRange *pRange, int bDesc,
                        SdbIter **ppIter, SdbErr *pErr);

/*
** Like sdb_db_scan_overlay, reusing *ppIter: NULL, or a scan an earlier call
** (or sdb_db_scan / sdb_db_scan_overlay) returned on pDb. When it scans in
** direction bDesc with the same overlay and the database state it pinned is
** still the current one (no commit, refresh or new version since), it seeks
** it to pRange (no refresh: a statement's lookups stay on the state it
** started with); otherwise it frees it and starts a new scan, as
** sdb_db_scan_overlay does. *ppIter is the scan afterwards (NULL on error).
** A scan of pDb passed in *ppIter keeps its view of the overlay: the
** operations pOverlay had when *ppIter first started (none if it had none),
** whether it seeks or starts again, also after pOverlay was truncated or
** cleared (one statement's cursor never sees the statement's own writes).
*/
int sdb_db_scan_seek(SdbDb *pDb, SdbBatch *pOverlay, const SdbRange *pRange, int bDesc,
                     SdbIter **ppIter, SdbErr *pErr);

/* Flush buffered WAL rows (durability=async) and, with bMemtable, the
** memtable to a new L0 SST. */
int sdb_db_flush(SdbDb *pDb, int bMemtable, SdbErr *pErr);

/*
** Maintenance (writers). sdb_db_compact runs one full compaction: every L0
** and sorted run into one bottom run (*pnDone: 1, or 0 if the database
** already is a single run). sdb_db_gc deletes what SlateDB's
** garbage collector would, with minAgeMs (UINT64_MAX = the configured age)
** (*pnDeleted: objects). Both run in the caller's thread, one at a time with
** the background thread.
*/
int sdb_db_compact(SdbDb *pDb, int *pnDone, SdbErr *pErr);
int sdb_db_gc(SdbDb *pDb, uint64_t minAgeMs, uint64_t *pnDeleted, SdbErr *pErr);

/*
** Checkpoints (SlateDB's manifest form). sdb_db_checkpoint_create pins the
** current state for lifetimeMs (0 = no expiry), optionally named; the new
** id (36-character UUID text + NUL) goes to zId. sdb_db_checkpoint_delete
** removes one (SDB_ERROR if absent).
*/
int sdb_db_checkpoint_create(SdbDb *pDb, uint64_t lifetimeMs, const char *zName, char zId[37],
                             SdbErr *pErr);
int sdb_db_checkpoint_delete(SdbDb *pDb, const char *zId, SdbErr *pErr);

/* One checkpoint of the current manifest. */
typedef struct SdbCheckpointInfo {
  char zId[37];
  uint64_t manifestId;
  int64_t createTimeS, expireTimeS;   /* Unix seconds; expire 0 = never */
  char zName[128];
} SdbCheckpointInfo;
/* The checkpoints of the current version: *pa is allocated by the engine's
** allocator (caller frees with sdb_free, NULL-safe), *pn entries. */
int sdb_db_checkpoints(SdbDb *pDb, SdbCheckpointInfo **pa, int *pn, SdbErr *pErr);
void sdb_free(void *p);

/* Statistics of a handle, for SQL inspection. */
typedef struct SdbStats {
  uint64_t nGet, nPut, nList, nDelete, nHead; /* object-store requests */
  uint64_t nBytesIn, nBytesOut, nRetry;
  uint64_t nCacheHit, nCacheMiss, nCacheBytes;
  uint64_t nFilterSkip;                       /* SSTs skipped by bloom filters */
  uint64_t manifestId, lastSeq, lastL0Seq;
  uint64_t nL0, nSortedRun, nMemtableRows, nMemtableBytes;
  uint64_t writerEpoch, durableSeq, nextWalId, nWalWrites, nL0Flushes;
  int bWriter, bFenced;
  uint64_t compactorEpoch;     /* ours, 0 when the compactor is not running */
  uint64_t nCompactions;       /* compactions this handle committed */
  uint64_t nGcDeleted;         /* objects this handle's GC deleted */
  uint64_t nCheckpoints;       /* checkpoints in the current manifest */
  uint64_t nDiskHit, nDiskMiss;  /* disk cache: parts read from disk, parts fetched */
  uint64_t nDiskBytes;           /* disk cache: bytes served from disk (GETs saved) */
} SdbStats;
void sdb_db_stats(SdbDb *pDb, SdbStats *pStats);

/*
** Estimate the size of the database as the handle sees it now, for query
** planning: *pnRows rows and *pnBytes bytes (stored data blocks plus the
** memtables). No store I/O: L0s and sorted runs count from the manifest's
** SsTableInfo copies (a table with a bloom filter from the filter's size at
** the handle's filter_bits_per_key, one without from its bytes at the average
** row size of the others, else of the memtables, else 64 bytes), memtables
** exactly. Rows are stored row versions: overwritten rows and tombstones not
** yet compacted away count, so this is an upper estimate of the visible rows.
*/
void sdb_db_estimate(SdbDb *pDb, uint64_t *pnRows, uint64_t *pnBytes);

/*
** Whether the database as the handle sees it now may hold a key (a row or a
** tombstone, any version) below pKey[0..nKey-1]: 1 unless every L0 SST and the
** first SST of every sorted run has a first key >= pKey (a table without a
** recorded first key counts as may) and no memtable (active or frozen) holds
** a key below it. No I/O, no lock beyond pinning the version. For planning:
** the answer may change as soon as it is given.
*/
int sdb_db_may_hold_below(SdbDb *pDb, const uint8_t *pKey, size_t nKey);

/*
** Whether the database as the handle sees it now may hold any key (a row or a
** tombstone): 0 only when its memtables hold no row and it has no L0 SST and
** no sorted run with a table. No I/O. A write's uniqueness check skips its
** read of the database on 0 (a bulk load into a new table).
*/
int sdb_db_may_hold_any(SdbDb *pDb);

/*
** What work cost, for one caller's account (a statement, a connection). Every
** field is a uint64_t the engine adds to with atomic adds, so a record may be
** shared by the threads that work for one caller; read it with atomic loads
** while such work may run.
*/
typedef struct SdbCost {
  uint64_t nGet, nPut, nList, nDelete, nHead; /* object-store requests */
  uint64_t nBytesIn, nBytesOut;               /* object bytes read, written */
  uint64_t nRetry;                            /* requests retried (S3) */
  uint64_t nDiskHit, nDiskMiss, nDiskBytes;   /* disk cache: parts found, parts fetched,
                                              ** bytes served from disk */
  uint64_t nCacheHit, nCacheMiss;             /* block cache lookups */
} SdbCost;
/*
** Charge the work the calling thread does from now on to *pCost (NULL: to no
** one) and return the record charged before. The store's requests and bytes
** and the block cache's lookups are added to it, also those of the threads a
** scan starts to read ahead (they take the record of the thread that starts
** them, and are joined before the scan's iterator is freed). Background
** threads of a handle (flusher, compactor, GC) charge no one. REQUIRES:
** *pCost outlives every iterator used while it is attached.
*/
SdbCost *sdb_cost_attach(SdbCost *pCost);

const char *sdb_version(void);

/*
** Check the value of an S3 setting with the rules the store applies, before
** anything is opened (CREATE VIRTUAL TABLE options). zOption is "bucket"
** (S3's bucket naming rules), "region" ([a-z0-9-], 1 to 63 characters) or
** "endpoint" (http:// or https://, host[:port], nothing else). Returns SDB_OK;
** SDB_ERROR with pErr->zMsg a phrase saying what is wrong, which never repeats
** the value (the caller names the option and shows the value with
** sdb_value_shown); or SDB_MISUSE for another zOption or a NULL zOption or zValue.
*/
int sdb_s3_option_check(const char *zOption, const char *zValue, SdbErr *pErr);
/* z if it may be repeated in an error message, else a static placeholder
** saying why it is not shown ('@', '?', '#' or control characters: it could
** hold user:password or a signature). Never NULL. */
const char *sdb_value_shown(const char *z);

/* ------------------------------------------------------------ memory */

/*
** The engine's allocator (SQLite's SQLITE_CONFIG_MALLOC). Every allocation of
** the engine (not those libcurl, OpenSSL or the codecs make internally) goes
** through these methods; by default malloc/realloc/free. xMalloc(pCtx, n) and
** xRealloc(pCtx, p, n) are called with n >= 1 and return NULL on failure
** (xRealloc then leaves p as it was; xRealloc(pCtx, NULL, n) allocates);
** xFree(pCtx, p) is never called with NULL. They may be called from any
** thread at once: they must be thread-safe. A failure is reported by the
** call that needed the memory (SDB_NOMEM or an error with a message) and
** leaves the database and the handle usable.
*/
typedef struct SdbAllocMethods {
  void *(*xMalloc)(void *pCtx, size_t n);
  void *(*xRealloc)(void *pCtx, void *p, size_t n);
  void (*xFree)(void *pCtx, void *p);
  void *pCtx;
} SdbAllocMethods;

/*
** Install *pMethods (copied; NULL restores malloc) as the allocator. Call it
** before anything is allocated (no handle, batch, iterator or sdb_free array
** alive): while memory from the current methods is outstanding it changes
** nothing and returns SDB_MISUSE; a NULL method also gives SDB_MISUSE.
** Concurrent calls are serialised; a call racing with another thread's
** first sdb_* call is not allowed.
*/
int sdb_config_alloc(const SdbAllocMethods *pMethods);

#endif /* SLATEDB_H */
