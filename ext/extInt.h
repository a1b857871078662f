/*
** extInt.h: the one internal header of ext/, the SQLite glue of sqlite-slatedb.
**
** ext/ translates between SQLite's virtual-table interface and the engine's
** public API (core/slatedb.h). It never reaches into core/ internals. Files:
**
**   slatedb_ext.c   sqlite3_slatedb_init(): registers the module "slatedb",
**                   the eponymous table slatedb_handles and slatedb_version()
**   vtab.c          the sqlite3_module of USING slatedb(...): lifecycle,
**                   cursors, xFilter (reading the transaction's own writes
**                   while one is open), xColumn
**   vtab_write.c    the write side of that module: xUpdate, commands,
**                   xBegin/xSync/xCommit/xRollback and savepoints
**   vtab_args.c     CREATE VIRTUAL TABLE argument parsing and validation
**   options.c       the table of options (name, type, mode, default, range,
**                   doc) that drives the parser, the defaults, the usage
**                   text, the shared-handle checks and slatedb_handles
**   vtab_plan.c     xBestIndex (what is pushed down) and its idxStr parser
**   keycodec.c      key encodings per key_type, and SQLite comparison
**                   semantics turned into key-byte bounds
**   handles.c       the process-wide registry of open databases, the
**                   per-database writer lock, and the SdbErr -> SQLite
**                   error mapping
**   vtab_info.c     the eponymous table slatedb_handles
**   cost.c          per connection, what the last statement and the
**                   connection cost (slatedb_cost, slatedb_cost_reset())
**   vtab_read.c     the table-valued function slatedb_read(url, options):
**                   ad-hoc reads through the cursor of vtab.c
**
** Naming: internal functions are sdbExtModuleVerb, static helpers moduleVerb,
** types SdbExtCamel. All memory handed between ext/ files comes from
** sqlite3_malloc64() and is released with sqlite3_free().
**
** When compiled with -DSQLITE_CORE (the c-tests link ext/ statically), the
** sqlite3ext.h indirection disappears and calls go straight to libsqlite3.
*/
#ifndef SDB_EXT_INT_H
#define SDB_EXT_INT_H

#include "sqlite3ext.h"
SQLITE_EXTENSION_INIT3

#include <stddef.h>
#include <stdint.h>

#include "slatedb.h"

typedef sqlite3_int64 i64;
typedef sqlite3_uint64 u64;
typedef unsigned char u8;
typedef uint32_t u32;

/* ------------------------------------------------------------ arguments */

/* key_type= values. */
#define SDB_KEY_TEXT    0
#define SDB_KEY_BLOB    1
#define SDB_KEY_INT64   2
#define SDB_KEY_UINT64  3

/* value_type= values. */
#define SDB_VAL_TEXT    0
#define SDB_VAL_BLOB    1

/* create= values. */
#define SDB_CREATE_IF_MISSING 0
#define SDB_CREATE_NEVER      1

/* durability= values. */
#define SDB_DURABLE_COMMIT 0          /* xSync waits until the WAL SST is stored */
#define SDB_DURABLE_ASYNC  1          /* the engine's flusher writes it later */

/*
** Settings that belong to the shared engine handle (handles.c): every table
** of the process that names one database must agree on them. Values are
** resolved (defaults filled in), so an omitted option equals its default.
** Each field is set by one row of the table of options (options.c), which
** also holds its default and range.
*/
typedef struct SdbExtHandleOpts {
  u64 l0SstSizeBytes;     /* l0_sst_size_bytes= */
  u64 closeFlushBytes;    /* close_flush_bytes= */
  u64 maxUnflushedBytes;  /* max_unflushed_bytes= */
  u64 flushIntervalMs;    /* flush_interval= */
  u64 blockSize;          /* block_size= */
  u32 filterBitsPerKey;   /* filter_bits_per_key= */
  u32 minFilterKeys;      /* min_filter_keys= */
  int eCodec;             /* compression=: 0 none, 1 snappy, 2 zlib, 3 lz4, 4 zstd */
  u64 pollIntervalMs;     /* readers: poll_interval= */
  /* s3:// databases only. Empty string / -1: from the environment. */
  char zEndpoint[256];    /* endpoint= ("": from the environment) */
  char zRegion[64];       /* region= ("": from the environment) */
  int eAllowHttp;         /* allow_http=: -1 $AWS_ALLOW_HTTP, 0 false, 1 true */
  int eVirtualHosted;     /* virtual_hosted_style=: -1 env, 0 false, 1 true */
  u64 requestTimeoutMs;   /* request_timeout= (retries included) */
  u64 connectTimeoutMs;   /* connect_timeout= */
  u32 nParallelReads;     /* parallel_reads= */
  /* Writers: background maintenance. */
  int bCompactor;         /* compactor= */
  u64 compactorPollMs;    /* compactor_poll_interval= */
  u64 maxSstSize;         /* max_sst_size= */
  u32 l0MaxSsts;          /* l0_max_ssts= */
  int bGc;                /* gc= */
  u64 gcIntervalMs;       /* gc_interval= */
  u64 gcMinAgeMs;         /* gc_min_age= */
  /* Readers: checkpoint= UUID text ("" = the latest state). */
  char zCheckpoint[37];
  /* disk_cache= directory ("" = none) and disk_cache_size= bytes. */
  char zDiskCache[512];
  u64 nDiskCacheBytes;
} SdbExtHandleOpts;

/* The parsed arguments of one CREATE VIRTUAL TABLE ... USING slatedb(...). */
typedef struct SdbExtArgs {
  char *zRoot;            /* database root directory (file:// removed, %XX
                          ** decoded), or the s3://bucket/prefix URL as
                          ** written; sqlite3_malloc'd, owned */
  int bS3;                /* zRoot is an s3:// URL */
  int eKeyType;           /* SDB_KEY_ */
  int eValueType;         /* SDB_VAL_ */
  int bWriter;            /* mode=writer (the default) or mode=reader */
  int eMergeOp;           /* SDB_MERGE_ */
  u64 nCacheBytes;        /* cache_size= in bytes */
  int eCreate;            /* writers: SDB_CREATE_ */
  int eDurability;        /* writers: SDB_DURABLE_ */
  u64 busyTimeoutMs;      /* writers: busy_timeout= */
  SdbExtHandleOpts opts;  /* the handle's settings */
} SdbExtArgs;

/* ------------------------------------------------------------ options */

/* Value types of options (options.c). */
#define SDB_OPT_ROOT     0   /* the database root: first argument or url= (vtab_args.c) */
#define SDB_OPT_ENUM     1   /* one of azChoice, case-insensitive; stores aValue[i] or i (int) */
#define SDB_OPT_BOOL     2   /* true|false (also 1|0, on|off); int 1|0, -1 = from the environment */
#define SDB_OPT_SIZE     3   /* bytes, or quoted with a unit B, KiB, MiB, GiB; u64 */
#define SDB_OPT_DURATION 4   /* ms, or quoted with a unit ms, s, m, h; u64 */
#define SDB_OPT_INT      5   /* a plain integer; u32 */
#define SDB_OPT_TEXT     6   /* text xCheck accepts, copied into a char[nField] */

/* The tables an option applies to. */
#define SDB_OPTM_BOTH    0
#define SDB_OPTM_WRITER  1
#define SDB_OPTM_READER  2

/* Option flags. */
#define SDB_OPTF_S3      0x01   /* s3:// databases only */
#define SDB_OPTF_SHARED  0x02   /* a setting of the shared handle: tables on one database agree */
#define SDB_OPTF_ECHO    0x04   /* a column of slatedb_handles (after path, in table order) */
#define SDB_OPTF_POW2    0x08   /* SIZE: a power of two */

/* One option of USING slatedb(...): a row of sdbExtOptionTable. */
typedef struct SdbExtOption {
  const char *zName;      /* as written, lower case */
  u8 eType;               /* SDB_OPT_* */
  u8 eMode;               /* SDB_OPTM_* */
  u8 flags;               /* SDB_OPTF_* */
  const char *zDefault;   /* as SQL writes it ('64MiB', 8, none), parsed like a value given;
                          ** "$VAR[, else ...]": the store reads environment variable VAR (BOOL
                          ** -1, TEXT ""), the rest says what it falls back to (docs/sql.md's
                          ** wording, without backticks); NULL: none (the field stays zero) */
  u64 iMin, iMax;         /* SIZE, DURATION, INT: the accepted range */
  const char *const *azChoice;   /* ENUM, BOOL: the values, NULL-terminated, default first */
  const int *aValue;      /* ENUM: the number stored for each choice (NULL: its index) */
  size_t iOff, nField;    /* the field of SdbExtArgs that holds the value */
  int (*xCheck)(const char *zVal, SdbErr *pErr);   /* TEXT: 1 if acceptable, else 0 (and
                          ** maybe pErr->zMsg: what is wrong, not repeating the value) */
  const char *zExpect;    /* what errors say is expected, if not the type's wording */
  const char *zDoc;       /* one line: what it does (docs/sql.md has the long form) */
  const char *zExample;   /* what the usage text shows after name= ('<uuid>'); NULL: the
                          ** choices of ENUM and BOOL, else the default; TEXT needs one */
} SdbExtOption;

/* Every option, in the order of docs/sql.md's option table. */
extern const SdbExtOption sdbExtOptionTable[];
extern const int sdbExtNOption;

/* The row named zName (case-insensitive), or NULL. */
const SdbExtOption *sdbExtOptionFind(const char *zName);
/* The option name closest to the unknown zName by edit distance, if close
** enough to be a misspelling of it ("did you mean"), else NULL. Static. */
const char *sdbExtOptionSuggest(const char *zName);
/* Set *p (zeroed first) to every option's default. SQLITE_OK, or
** SQLITE_INTERNAL if a default of the table does not parse. */
int sdbExtOptionDefaults(SdbExtArgs *p);
/*
** Parse zVal (dequoted) as option pOpt (not SDB_OPT_ROOT) into *p. Returns
** SQLITE_OK, or SQLITE_ERROR / SQLITE_NOMEM with *pzErr (previous one freed)
** a sqlite3_malloc'd "slatedb: malformed name=value option ..." message.
*/
int sdbExtOptionSet(const SdbExtOption *pOpt, const char *zVal, SdbExtArgs *p, char **pzErr);
/* True if a table of mode bWriter takes pOpt. */
int sdbExtOptionApplies(const SdbExtOption *pOpt, int bWriter);
/* True if a and b hold different values of pOpt. */
int sdbExtOptionDiffers(const SdbExtOption *pOpt, const SdbExtArgs *a, const SdbExtArgs *b);
/* pOpt's value in *p as SQL would write it ('100ms', zstd, true; "(env)" for
** a BOOL from the environment); sqlite3_malloc'd, NULL on OOM. */
char *sdbExtOptionText(const SdbExtOption *pOpt, const SdbExtArgs *p);
/* The usage text of USING slatedb(); sqlite3_malloc'd, NULL on OOM. */
char *sdbExtOptionUsage(void);

/*
** Parse argv[3..argc-1] of xCreate/xConnect into *p. Returns SQLITE_OK, or
** SQLITE_ERROR / SQLITE_NOMEM with *pzErr set to a sqlite3_malloc'd message
** (caller frees). On error *p holds nothing that needs freeing.
*/
int sdbExtArgsParse(int argc, const char *const *argv, SdbExtArgs *p, char **pzErr);
/* True if option name z (lower-cased) looks like a credential: such values
** must never be written to sqlite_schema (design/SQL.md §4.3). options.c. */
int sdbExtIsSecretName(const char *z);
/* z as an error message may repeat it (options.c): sdb_value_shown's
** placeholder for '@', '?', '#' or control characters; another placeholder
** when z holds an '=' right after a word sdbExtIsSecretName calls a
** credential (a malformed piece such as 'key_type=text
** aws_secret_access_key=X', a comma missing, would otherwise repeat the
** secret); else z. Never NULL. */
const char *sdbExtShown(const char *z);
/* Release what sdbExtArgsParse allocated. NULL-safe, idempotent. */
void sdbExtArgsFree(SdbExtArgs *p);
/* Parse a duration: digits, optional white space, optional unit ms, s, m or
** h (none = ms). 1 and *pMs, or 0 if malformed or above 2147483647 ms. */
int sdbExtParseDuration(const char *z, u64 *pMs);
/* "text", "blob", "int64", "uint64". */
const char *sdbExtKeyTypeName(int eKeyType);

/* ------------------------------------------------------------ handles */

/* A shared, reference-counted open database (see handles.c). */
typedef struct SdbExtHandle SdbExtHandle;

/*
** Return (in *pp) the process's handle for the database p names, opening it
** if this is its first user. The caller owns one reference and drops it with
** sdbExtHandleRelease. On error returns a SQLite code and sets *pzErr to a
** sqlite3_malloc'd "slatedb: ..." message (caller frees).
*/
int sdbExtHandleAcquire(const SdbExtArgs *p, SdbExtHandle **pp, char **pzErr);
/* Drop one reference; the last one closes the database. NULL-safe. */
void sdbExtHandleRelease(SdbExtHandle *p);
/* The engine handle; valid while the caller holds a reference. */
SdbDb *sdbExtHandleDb(SdbExtHandle *p);

/*
** The handle's writer lock, held from xBegin to xCommit/xRollback, and the
** write batch of the transaction that holds it. The lock is re-entrant per
** owner (the sqlite3* connection): every table of one connection that names
** the database joins the same transaction and gets the same batch in
** *ppBatch (created by the first, freed by the last sdbExtHandleUnlock);
** another owner waits up to nTimeoutMs. bAwait: this table wants
** durability=commit (the transaction then waits if any table does).
** Returns SQLITE_OK, SQLITE_BUSY on timeout, or SQLITE_NOMEM. Every
** successful sdbExtHandleLock is matched by one sdbExtHandleUnlock.
*/
int sdbExtHandleLock(SdbExtHandle *p, const void *pOwner, u64 nTimeoutMs, int bAwait,
                     SdbBatch **ppBatch);
void sdbExtHandleUnlock(SdbExtHandle *p, const void *pOwner);
/* The open batch of pOwner's transaction on p, or NULL (no transaction, or
** another connection holds the lock). For scans that read their own writes. */
SdbBatch *sdbExtHandleBatch(SdbExtHandle *p, const void *pOwner);
/* True if the locked transaction must wait for durability (see bAwait). */
int sdbExtHandleAwait(SdbExtHandle *p);

/* One row of slatedb_handles: a snapshot of one registry entry. */
typedef struct SdbExtHandleInfo {
  char *zPath;            /* canonical path; sqlite3_malloc'd, owned */
  SdbExtArgs args;        /* the settings it was opened with (args.zRoot NULL) */
  int nRef;               /* tables using the handle */
  SdbStats stats;         /* engine counters at snapshot time */
  SdbCheckpointInfo *aCkpt;  /* checkpoints of its current manifest; owned
                          ** (engine allocation, freed with sdb_free) */
  int nCkpt;
} SdbExtHandleInfo;
/* Snapshot the registry. *paInfo is sqlite3_malloc'd (free with
** sdbExtHandleInfoFree). SQLITE_OK or SQLITE_NOMEM. */
int sdbExtHandleList(SdbExtHandleInfo **paInfo, int *pnInfo);
void sdbExtHandleInfoFree(SdbExtHandleInfo *aInfo, int nInfo);

/*
** Map an engine result code to the SQLite code the user sees. bOpen: the error
** came from opening a database (a missing object then means "cannot open"
** rather than "corrupt").
*/
int sdbExtRc(int sdbRc, int bOpen);
/* "slatedb: <engine message>" (sqlite3_malloc'd, NULL on OOM). */
char *sdbExtErrMsg(const SdbErr *pErr);

/* ------------------------------------------------------------ planning */

/* Column numbers of the declared schema (vtab.c declares them). */
#define SDB_COL_KEY       0
#define SDB_COL_VALUE     1
#define SDB_COL_PREFIX    2
#define SDB_COL_EXTRA     3       /* extra_arg: catches a 2nd table-function argument */
#define SDB_COL_SEQ       4
#define SDB_COL_CREATE_TS 5
#define SDB_COL_EXPIRE_TS 6
#define SDB_COL_TTL       7       /* write-only: expire_ts = now + ttl */
#define SDB_COL_COMMAND   8       /* named like the table: 'flush', ... */

/* Columns of slatedb_read(url, options) (vtab_read.c): key and value as
** above, then its two argument columns and its catcher; seq, create_ts and
** expire_ts follow (SDB_RCOL_SEQ - 1 == SDB_COL_SEQ, and so on). */
#define SDB_RCOL_URL      2
#define SDB_RCOL_OPTIONS  3
#define SDB_RCOL_EXTRA    4
#define SDB_RCOL_SEQ      5
#define SDB_RCOL_LAST     7       /* expire_ts */

/* Roles of xFilter arguments, in argv order (parsed from idxStr). */
#define SDB_ARG_KEY_EQ    1       /* key = ? / key IS ? */
#define SDB_ARG_KEY_IN    2       /* key IN (...), all at once */
#define SDB_ARG_KEY_GT    3
#define SDB_ARG_KEY_GE    4
#define SDB_ARG_KEY_LT    5
#define SDB_ARG_KEY_LE    6
#define SDB_ARG_PREFIX    7       /* the hidden prefix column */
#define SDB_ARG_LIMIT     8
#define SDB_ARG_OFFSET    9
#define SDB_ARG_KEY_LIKE 10       /* key LIKE pattern: a superset range, never omitted */
#define SDB_ARG_URL      11       /* slatedb_read: its first argument */
#define SDB_ARG_OPTIONS  12       /* slatedb_read: its second argument */

#define SDB_PLAN_MAXARG  64       /* more constraints are left to SQLite */

/* A plan, as xFilter reads it back from idxStr. */
typedef struct SdbExtPlan {
  int nArg;                       /* entries in aRole */
  u8 aRole[SDB_PLAN_MAXARG];      /* SDB_ARG_* of argv[i] */
  u8 aLoose[SDB_PLAN_MAXARG];     /* argv[i] is a loose key term (see below) */
  u8 aChecked[SDB_PLAN_MAXARG];   /* argv[i] is a checked key term (see below) */
  int bDesc;                      /* scan in descending key order */
} SdbExtPlan;

/*
** xBestIndex of the slatedb module on connection db (its like() is probed
** before a LIKE term is pushed). nEstRows: estimated rows in the table.
** bNoOmit (tests): never set omit, to prove the bounds are supersets.
**
** Loose terms. For key_type=text, SQLite compares `key = rhs` as text when
** rhs has no affinity (a literal, a parameter) but numerically when rhs has
** INTEGER/REAL/NUMERIC affinity (an INTEGER column, CAST(.. AS INTEGER), an
** IN (SELECT intcol ...)): then '007' = 7. xFilter cannot tell these apart
** from the value alone, so a text-key term whose right-hand side is not a
** known constant is "loose": omit=0 (SQLite re-checks it) and xFilter scans a
** superset valid under both readings.
**
** Checked terms. bNoLowKeys: the table is open and holds no key below ':'
** (sdb_db_may_hold_below) and no uncommitted write of the connection. Then
** a loose range term (>, >=, <, <=) is "checked" instead: omit=1, and
** xFilter makes it exact (sdbExtZoneApply), or fails a row it cannot
** answer exactly (vtab_plan.c explains the rule).
**
** *peEnc caches the connection's text encoding for sdbExtTextIsUtf16 (0 at
** first; the caller keeps it with the table). In a UTF-16 database a text
** key gets = and IN only, and no LIKE is pushed (vtab_plan.c).
*/
int sdbExtBestIndex(sqlite3 *db, sqlite3_index_info *pInfo, double nEstRows, int eKeyType,
                    int bNoOmit, int bNoLowKeys, int *peEnc);
/* True unless the text encoding of db's databases is UTF-8 (PRAGMA encoding,
** asked once: *peEnc is 0 before, then SQLITE_UTF8 or SQLITE_UTF16; a failed
** probe leaves it 0 and answers true, the exact side). Runs a nested
** statement: call from xBestIndex, as the like() probe does. */
int sdbExtTextIsUtf16(sqlite3 *db, int *peEnc);

/*
** Where the columns that xBestIndex treats specially are, for one of the two
** schemas: the slatedb table's (sdbExtPlanColsTable) or slatedb_read's
** (sdbExtPlanColsRead). -1: the schema has no such column.
*/
typedef struct SdbExtPlanCols {
  int iPrefix;            /* the prefix argument column */
  int iUrl, iOptions;     /* slatedb_read's argument columns */
  int iExtra;             /* the catcher: any constraint on it is an error */
} SdbExtPlanCols;
extern const SdbExtPlanCols sdbExtPlanColsTable;
extern const SdbExtPlanCols sdbExtPlanColsRead;

/* Results of sdbExtBestIndexCols beyond SQLite's codes (never returned to
** SQLite: the caller turns them into SQLITE_ERROR with its message). */
#define SDB_PLAN_EXTRA_ARG  (-1)  /* a constraint on the catcher column: too many
                                  ** table-function arguments */

/*
** sdbExtBestIndex for the schema pCols describes. The argument columns of
** slatedb_read take EQ constraints only, each given to xFilter (roles
** SDB_ARG_URL, SDB_ARG_OPTIONS) and omitted; a plan where one of them is not
** usable fails with SQLITE_CONSTRAINT. A call without any url term is still
** answered, at a prohibitive cost: SQLite plans each branch of an OR with
** that branch's terms only (then the plan must lose to one with the URL),
** and a statement without a URL must reach xFilter, which says so.
*/
int sdbExtBestIndexCols(sqlite3 *db, sqlite3_index_info *pInfo, double nEstRows, int eKeyType,
                        int bNoOmit, int bNoLowKeys, int *peEnc, const SdbExtPlanCols *pCols);
/* Parse idxStr (as sdbExtBestIndex wrote it). SQLITE_OK or SQLITE_ERROR. */
int sdbExtPlanParse(const char *zIdxStr, int argc, SdbExtPlan *pPlan);

/* ------------------------------------------------------------ key codec */

/* An owned byte string. */
typedef struct SdbExtKey {
  u8 *a;                  /* sqlite3_malloc'd, never NULL once set */
  int n;
  int nAlloc;             /* bytes at a; a later set of at most nAlloc - 1
                          ** bytes reuses them (0: unknown, never reused) */
} SdbExtKey;

/*
** The key-byte range an xFilter call selects: the intersection of every
** pushed-down constraint. bEmpty: no key can match.
*/
typedef struct SdbExtBounds {
  int bEmpty;
  int bHasLo, bLoExcl;
  int bHasHi, bHiExcl;
  SdbExtKey lo, hi;       /* valid when bHasLo / bHasHi */
} SdbExtBounds;

/* Results of sdbExtKeyFromValue. */
#define SDB_MATCH_NONE    0       /* no key satisfies the constraint */
#define SDB_MATCH_ALL     1       /* every key does */
#define SDB_MATCH_KEY     2       /* *pKey is the bound */
#define SDB_MATCH_NUMERIC 3       /* loose text key, numeric value: *pKey is its
                                  ** text; numeric-looking keys may match too */

/*
** Apply constraint `key <eRole> pVal` (eRole one of SDB_ARG_KEY_EQ/GT/GE/LT/LE)
** to *p with SQLite's comparison semantics for the key column's affinity.
** bLoose (text keys): widen to a superset valid whether SQLite compares as
** text or numerically (see sdbExtBestIndex). SQLITE_OK or SQLITE_NOMEM.
*/
int sdbExtBoundsApply(SdbExtBounds *p, int eKeyType, int eRole, int bLoose, sqlite3_value *pVal);
/*
** Intersect *p with the smallest range holding aKey[0..nKey-1] and every
** numeric-looking text (first byte in 0x09..0x39: white space, sign, '.',
** digits). Used for loose IN lists with numeric members.
*/
int sdbExtBoundsNumericHull(SdbExtBounds *p, const SdbExtKey *aKey, int nKey);
/* Restrict *p to keys starting with the bytes a[0..n-1]. */
int sdbExtBoundsPrefix(SdbExtBounds *p, const u8 *a, int n);
/*
** LIKE pushdown (key_type=text and blob: LIKE reads the key's bytes as
** text). The literal prefix of a LIKE pattern z (NUL-terminated, no ESCAPE:
** SQLite offers only two-argument LIKE to a virtual table) is its leading
** ASCII characters other than % and _; sdbExtLikePrefixLen gives its length.
** sdbExtBoundsLike restricts *p to a superset of the keys `key LIKE
** pPattern` can match under the case-insensitive default (ASCII case folds,
** nothing else), so also under case_sensitive_like; SQLite re-checks the
** LIKE. A NULL pattern matches nothing. SQLITE_OK or SQLITE_NOMEM.
*/
int sdbExtLikePrefixLen(const u8 *z);
int sdbExtBoundsLike(SdbExtBounds *p, sqlite3_value *pPattern);
/* Release the bound buffers. */
void sdbExtBoundsFree(SdbExtBounds *p);
/* Empty *p (no bound, not empty) and keep its key buffers for reuse: an
** xFilter per outer row of a join then allocates nothing. */
void sdbExtBoundsReset(SdbExtBounds *p);
/* True if key a[0..n-1] lies within *p. */
int sdbExtBoundsContain(const SdbExtBounds *p, const u8 *a, int n);

/*
** The unclear zone of a cursor's checked terms (vtab_plan.c): keys below hi
** (or equal to it when bIncl) whose comparison with the value of an unclear
** term depends on an affinity the table is not told. bOn: some checked term
** had an unclear value. pVal: a copy of the value that set hi (messages).
*/
typedef struct SdbExtZone {
  int bOn;
  int bIncl;
  SdbExtKey hi;           /* its buffer is reused by the next xFilter */
  sqlite3_value *pVal;
} SdbExtZone;

/*
** Apply checked term `key eRole pVal` (range roles, key_type=text) to *pB
** and *pZ: exactly for a clear value, else a superset of the rows outside
** the zone that satisfy it, plus the zone (widened). SQLITE_OK or SQLITE_NOMEM.
*/
int sdbExtZoneApply(SdbExtZone *pZ, SdbExtBounds *pB, int eRole, sqlite3_value *pVal);
/* True if key a[0..n-1] lies within the zone. REQUIRES: pZ->bOn. */
int sdbExtZoneContains(const SdbExtZone *pZ, const u8 *a, size_t n);
/* The error for a row of key a[0..n-1] within the zone, of table zTab
** (sqlite3_malloc'd; NULL on OOM). */
char *sdbExtZoneMsg(const SdbExtZone *pZ, const char *zTab, const u8 *a, size_t n);
/* Switch the zone off (keeps hi's buffer); sdbExtZoneFree releases all. */
void sdbExtZoneReset(SdbExtZone *pZ);
void sdbExtZoneFree(SdbExtZone *pZ);

/*
** The key (if any) equal to pVal under the column's comparison semantics.
** Returns SDB_MATCH_NONE, SDB_MATCH_KEY or (bLoose) SDB_MATCH_NUMERIC, with
** *pKey then owned by the caller, or -SQLITE_NOMEM.
*/
int sdbExtKeyFromValue(int eKeyType, int bLoose, sqlite3_value *pVal, SdbExtKey *pKey);

/*
** Check a stored key against the key type and set the SQL result to its value.
** On a key that cannot be decoded returns SQLITE_CORRUPT (not 8 bytes) or
** SQLITE_MISMATCH (uint64 >= 2^63) with *pzErr set (sqlite3_malloc'd).
*/
int sdbExtKeyCheck(int eKeyType, const u8 *a, size_t n, const char *zTab, char **pzErr);
void sdbExtKeyResult(sqlite3_context *ctx, int eKeyType, const u8 *a, size_t n);

/* memcmp order, shorter prefix first (SQLite's BLOB/BINARY order). */
int sdbExtKeyCmp(const u8 *a, int na, const u8 *b, int nb);

/*
** The key bytes for a value written to the key column (INSERT, UPDATE),
** with the conversions a native column of the declared type applies:
** key_type=text takes TEXT and turns INTEGER/REAL into their text; int64 and
** uint64 take integers and text or REAL that convert to one losslessly
** (uint64: 0..2^63-1); blob takes BLOB only. REQUIRES: pVal is not NULL.
** Returns SQLITE_OK with *pKey owned by the caller, SQLITE_MISMATCH (wrong
** type), SQLITE_CONSTRAINT_CHECK (empty key), SQLITE_TOOBIG (more than 65535
** bytes) with *pzErr set (sqlite3_malloc'd), or SQLITE_NOMEM.
*/
int sdbExtKeyEncode(int eKeyType, sqlite3_value *pVal, SdbExtKey *pKey, char **pzErr);

/* ------------------------------------------------------------ tables */

/*
** One table's part in its connection's write transaction (vtab_write.c).
** The batch itself belongs to the handle (sdbExtHandleLock): all tables of
** one connection on one database share it. Savepoint marks are per table;
** a table that joined late (nBase > 0) rolls back no further than nBase.
*/
typedef struct SdbExtTxn {
  int bOpen;              /* between xBegin and xCommit/xRollback */
  int bLocked;            /* holds a reference on the handle's writer lock */
  SdbBatch *pBatch;       /* the shared batch (borrowed); NULL for readers */
  int nBase;              /* batch length when this table joined */
  int *aMark;             /* aMark[i]: batch length at xSavepoint(i), -1 none */
  int nMark;              /* valid entries of aMark */
  int nMarkAlloc;         /* allocated entries of aMark */
} SdbExtTxn;

/* One slatedb table of one connection. */
typedef struct SdbExtVtab {
  sqlite3_vtab base;      /* Base class - must be first */
  sqlite3 *db;            /* the connection (owner of the writer lock) */
  char *zName;            /* table name for messages; sqlite3_malloc'd */
  SdbExtArgs args;        /* parsed CREATE arguments, owned */
  SdbExtHandle *pHandle;  /* shared database; NULL until first needed */
  SdbExtTxn txn;          /* the open write transaction, if any */
  int bUntypedKey;        /* slatedb_read's source: the key column has no declared
                          ** type (vtab.c cursorUntypedTerm) */
  int eEnc;               /* the connection's text encoding, 0 until xBestIndex
                          ** asks (sdbExtTextIsUtf16) */
} SdbExtVtab;

/* Replace the table's error message (zMsg sqlite3_malloc'd, ownership
** taken; NULL means out of memory). Returns rc (SQLITE_NOMEM if !zMsg). */
int sdbExtVtabError(sqlite3_vtab *pVtab, int rc, char *zMsg);
/* Record an engine error (sdbRc, *pErr) on the table; returns the SQLite code. */
int sdbExtVtabEngineError(sqlite3_vtab *pVtab, const SdbErr *pErr, int sdbRc);
/* Open the shared database if this table has not yet done so. */
int sdbExtVtabEnsureHandle(SdbExtVtab *p);

/* The write-side methods of the slatedb module (vtab_write.c). */
int sdbExtWriteUpdate(sqlite3_vtab *pVtab, int argc, sqlite3_value **argv, sqlite3_int64 *pRowid);
int sdbExtWriteBegin(sqlite3_vtab *pVtab);
int sdbExtWriteSync(sqlite3_vtab *pVtab);
int sdbExtWriteCommit(sqlite3_vtab *pVtab);
int sdbExtWriteRollback(sqlite3_vtab *pVtab);
int sdbExtWriteSavepoint(sqlite3_vtab *pVtab, int iSavepoint);
int sdbExtWriteRelease(sqlite3_vtab *pVtab, int iSavepoint);
int sdbExtWriteRollbackTo(sqlite3_vtab *pVtab, int iSavepoint);
/* Drop an open transaction without committing (xDisconnect). NULL-safe. */
void sdbExtWriteAbandon(SdbExtVtab *p);

/*
** The cursor of the slatedb module (vtab.c), shared with slatedb_read: it
** reads the source table pSrc (borrowed: key type, name, handle; its
** pHandle must be set before xFilter) and reports errors on the table SQLite
** opened it on. sdbExtCursorNew: a cursor at EOF (SQLITE_OK or
** SQLITE_NOMEM); the others are the sqlite3_module methods of that name.
*/
int sdbExtCursorNew(SdbExtVtab *pSrc, sqlite3_vtab_cursor **ppCursor);
void sdbExtCursorSetSource(sqlite3_vtab_cursor *pCursor, SdbExtVtab *pSrc);
SdbExtVtab *sdbExtCursorSource(sqlite3_vtab_cursor *pCursor);
int sdbExtCursorFilter(sqlite3_vtab_cursor *pCursor, int idxNum, const char *idxStr, int argc,
                       sqlite3_value **argv);
int sdbExtCursorNext(sqlite3_vtab_cursor *pCursor);
int sdbExtCursorEof(sqlite3_vtab_cursor *pCursor);
int sdbExtCursorColumn(sqlite3_vtab_cursor *pCursor, sqlite3_context *ctx, int iCol);
int sdbExtCursorClose(sqlite3_vtab_cursor *pCursor);
/* An xFilter without rows (its source kept): the cursor at EOF. SQLITE_OK. */
int sdbExtCursorEmpty(sqlite3_vtab_cursor *pCursor);

/* ------------------------------------------------------------ modules */

/* Register slatedb_handles on db. */
int sdbExtRegisterInfo(sqlite3 *db);   /* slatedb_handles and slatedb_checkpoints */
/* ------------------------------------------------------------ cost (cost.c) */

/* A connection's cost records: its last statement's and its own since the
** last reset (slatedb_cost). Reference counted by what is registered with it. */
typedef struct SdbExtCost SdbExtCost;
/* Register the slatedb module on db, its calls charged to pCost (vtab.c). */
int sdbExtRegisterVtab(sqlite3 *db, SdbExtCost *pCost);
/* db's records, one reference held by the caller: the ones an earlier load
** made if any (*pbLoaded: that load completed), else new; NULL on OOM. */
SdbExtCost *sdbExtCostGet(sqlite3 *db, int *pbLoaded);
/* Mark p's connection as loaded: a later load registers nothing. */
void sdbExtCostSetLoaded(SdbExtCost *p);
/* Drop one reference (a destructor for SQLite); the last frees. NULL-safe. */
void sdbExtCostUnref(void *pCost);
/*
** Register pInner (static) as zName on db through a per-connection copy whose
** methods charge the store and cache work of each call to pCost's statement
** record and tell statements apart (see cost.c). pInnerAux is handed to the
** inner xCreate/xConnect. Takes a reference to pCost. SQLite's code.
*/
int sdbExtCostCreateModule(sqlite3 *db, const char *zName, const sqlite3_module *pInner,
                           void *pInnerAux, SdbExtCost *pCost);
/* Register the eponymous table-valued function slatedb_read on db, its calls
** charged to pCost as the slatedb module's are (vtab_read.c). */
int sdbExtRegisterRead(sqlite3 *db, SdbExtCost *pCost);
/* Register the table slatedb_cost and slatedb_cost_reset() on pCost. */
int sdbExtRegisterCost(sqlite3 *db, SdbExtCost *pCost);

/* Test builds (-DSDB_TESTHOOKS): when non-zero, xBestIndex never sets omit;
** the prepared statements cost.c has walked to tell statements apart. */
#ifdef SDB_TESTHOOKS
extern int sdbExtTestNoOmit;
extern long long sdbExtTestCostWalk;
#endif

#endif /* SDB_EXT_INT_H */
