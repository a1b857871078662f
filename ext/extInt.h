/*
** extInt.h: the one internal header of ext/, the SQLite glue of sqlite-slatedb.
**
** ext/ translates between SQLite's virtual-table interface and the engine's
** public API (core/slatedb.h). It never reaches into core/ internals. Files:
**
**   slatedb_ext.c   sqlite3_slatedb_init(): registers the module "slatedb",
**                   the eponymous table slatedb_handles and slatedb_version()
**   vtab.c          the sqlite3_module of USING slatedb(...): lifecycle,
**                   cursors, xFilter, xColumn, and the read-only xUpdate
**   vtab_args.c     CREATE VIRTUAL TABLE argument parsing and validation
**   vtab_plan.c     xBestIndex (what is pushed down) and its idxStr parser
**   keycodec.c      key encodings per key_type, and SQLite comparison
**                   semantics turned into key-byte bounds
**   handles.c       the process-wide registry of open databases, and the
**                   SdbErr -> SQLite error mapping
**   vtab_info.c     the eponymous table slatedb_handles
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

/* ------------------------------------------------------------ arguments */

/* key_type= values. */
#define SDB_KEY_TEXT    0
#define SDB_KEY_BLOB    1
#define SDB_KEY_INT64   2
#define SDB_KEY_UINT64  3

/* value_type= values. */
#define SDB_VAL_TEXT    0
#define SDB_VAL_BLOB    1

/* The parsed arguments of one CREATE VIRTUAL TABLE ... USING slatedb(...). */
typedef struct SdbExtArgs {
  char *zRoot;            /* database root directory (file:// removed, %XX
                          ** decoded); sqlite3_malloc'd, owned */
  int eKeyType;           /* SDB_KEY_* (default SDB_KEY_TEXT) */
  int eValueType;         /* SDB_VAL_* (default SDB_VAL_TEXT) */
  int bWriter;            /* mode=writer (always 0 in this build) */
  int eMergeOp;           /* SDB_MERGE_* (default SDB_MERGE_NONE) */
  u64 nCacheBytes;        /* cache_size= in bytes (default 64 MiB) */
} SdbExtArgs;

/*
** Parse argv[3..argc-1] of xCreate/xConnect into *p. Returns SQLITE_OK, or
** SQLITE_ERROR / SQLITE_NOMEM with *pzErr set to a sqlite3_malloc'd message
** (caller frees). On error *p holds nothing that needs freeing.
*/
int sdbExtArgsParse(int argc, const char *const *argv, SdbExtArgs *p, char **pzErr);
/* Release what sdbExtArgsParse allocated. NULL-safe, idempotent. */
void sdbExtArgsFree(SdbExtArgs *p);
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

/* One row of slatedb_handles: a snapshot of one registry entry. */
typedef struct SdbExtHandleInfo {
  char *zPath;            /* canonical path; sqlite3_malloc'd, owned */
  int bWriter;            /* mode */
  int eMergeOp;           /* merge_operator */
  int nRef;               /* tables using the handle */
  SdbStats stats;         /* engine counters at snapshot time */
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
#define SDB_COL_SEQ       3
#define SDB_COL_CREATE_TS 4
#define SDB_COL_EXPIRE_TS 5

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

#define SDB_PLAN_MAXARG  64       /* more constraints are left to SQLite */

/* A plan, as xFilter reads it back from idxStr. */
typedef struct SdbExtPlan {
  int nArg;                       /* entries in aRole */
  u8 aRole[SDB_PLAN_MAXARG];      /* SDB_ARG_* of argv[i] */
  u8 aLoose[SDB_PLAN_MAXARG];     /* argv[i] is a loose key term (see below) */
  int bDesc;                      /* scan in descending key order */
} SdbExtPlan;

/*
** xBestIndex of the slatedb module. nEstRows: estimated rows in the table.
** bNoOmit (tests): never set omit, to prove the bounds are supersets.
**
** Loose terms. For key_type=text, SQLite compares `key = rhs` as text when
** rhs has no affinity (a literal, a parameter) but numerically when rhs has
** INTEGER/REAL/NUMERIC affinity (an INTEGER column, CAST(.. AS INTEGER), an
** IN (SELECT intcol ...)): then '007' = 7. xFilter cannot tell these apart
** from the value alone, so a text-key term whose right-hand side is not a
** known constant is "loose": omit=0 (SQLite re-checks it) and xFilter scans a
** superset valid under both readings.
*/
int sdbExtBestIndex(sqlite3_index_info *pInfo, double nEstRows, int eKeyType, int bNoOmit);
/* Parse idxStr (as sdbExtBestIndex wrote it). SQLITE_OK or SQLITE_ERROR. */
int sdbExtPlanParse(const char *zIdxStr, int argc, SdbExtPlan *pPlan);

/* ------------------------------------------------------------ key codec */

/* An owned byte string. */
typedef struct SdbExtKey {
  u8 *a;                  /* sqlite3_malloc'd, never NULL once set */
  int n;
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
/* Release the bound buffers. */
void sdbExtBoundsFree(SdbExtBounds *p);
/* True if key a[0..n-1] lies within *p. */
int sdbExtBoundsContain(const SdbExtBounds *p, const u8 *a, int n);

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

/* ------------------------------------------------------------ modules */

/* Register slatedb_handles on db. */
int sdbExtRegisterInfo(sqlite3 *db);
/* Register the slatedb module on db. */
int sdbExtRegisterVtab(sqlite3 *db);

/* Test builds (-DSDB_TESTHOOKS): when non-zero, xBestIndex never sets omit. */
#ifdef SDB_TESTHOOKS
extern int sdbExtTestNoOmit;
#endif

#endif /* SDB_EXT_INT_H */
