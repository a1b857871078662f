/*
** vtab.c: the sqlite3_module behind CREATE VIRTUAL TABLE ... USING slatedb(...).
**
**   CREATE VIRTUAL TABLE kv USING slatedb('/data/mydb', key_type=text, value_type=text);
**   SELECT key, value FROM kv WHERE key >= 'user:' AND key < 'user;' ORDER BY key DESC;
**   SELECT * FROM kv('user:');            -- prefix scan through the hidden column
**   INSERT INTO kv VALUES ('user:1', '{"name":"ada"}');     -- see vtab_write.c
**
** The declared schema (design/SQL.md §4.1), for a table named kv:
**
**   CREATE TABLE x(key <TEXT|BLOB|INTEGER> PRIMARY KEY NOT NULL,
**                  value <TEXT|BLOB> NOT NULL, prefix HIDDEN, extra_arg HIDDEN,
**                  seq INTEGER HIDDEN,
**                  create_ts INTEGER HIDDEN, expire_ts INTEGER HIDDEN,
**                  ttl INTEGER HIDDEN, "kv" HIDDEN) WITHOUT ROWID
**
** The last column is the FTS5-style command column, named like the table
** (INSERT INTO kv(kv) VALUES('flush')); a table may therefore not be named
** like one of the other columns. ttl and the command column read as NULL.
** extra_arg catches a second table-function argument, kv('p', 'x'), which
** would otherwise silently become `seq = 'x'`: any constraint on it fails the
** statement ("kv takes at most 1 argument"); it reads as NULL.
**
** The cursor code below also serves slatedb_read (vtab_read.c): a cursor
** reads from a source table (pSrc: its key type, name and handle), which is
** the cursor's own table here and a per-URL entry there; errors go to the
** table SQLite knows (base.pVtab).
**
** Lifecycle (§4.10): xCreate parses the arguments and opens the database (so a
** wrong path fails at CREATE, and a writer creates a missing database there);
** xConnect only parses and declares, and the database is opened at the first
** cursor or write, so .schema and DROP TABLE work while it is unreachable.
** xDestroy is xDisconnect: dropping the table never deletes data. Both set
** DIRECTONLY (a view or trigger stored in a database file cannot reach the
** table) and CONSTRAINT_SUPPORT (vtab_write.c).
**
** Reads: xBestIndex (vtab_plan.c) decides what is pushed down; xFilter turns
** the arguments into one key range with SQLite's comparison semantics
** (keycodec.c) and scans it, or looks up the keys of an IN list one by one in
** key order. While the connection has a write transaction open on the
** database, scans overlay its uncommitted batch (sdb_db_scan_overlay): the
** transaction reads its own writes, deletes included, through every table of
** the connection on that database; such rows have NULL seq and create_ts.
** Writes are in vtab_write.c.
*/
#include <stdlib.h>
#include <string.h>

#include "extInt.h"

/* A table (extInt.h). */
typedef SdbExtVtab SdbVtab;

/* Engine sequence numbers from here up mark uncommitted rows of the overlay
** batch (the engine numbers a batch's operations from 2^62: core/db/batch.h). */
#define VTAB_UNCOMMITTED_SEQ ((u64)1 << 62)

/* One scan. */
typedef struct SdbCursor {
  sqlite3_vtab_cursor base;   /* Base class - must be first */
  SdbIter *pIter;         /* engine iterator positioned on the row, owned */
  int bEof;               /* no current row */
  SdbExtKey *aKey;        /* IN list: keys to look up in scan order, owned */
  int nKey;               /* entries in aKey (0: range scan mode) */
  int iKey;               /* next entry of aKey to look up */
  int bPoints;            /* point-lookup mode (IN list) */
  SdbExtVtab *pSrc;       /* what it reads: key type, name, handle (borrowed) */
  sqlite3_value *pPrefix; /* the prefix argument (a copy), or NULL */
  i64 nLimit;             /* rows still to return; -1 = no limit */
  SdbExtBounds bounds;    /* the range of the last xFilter; its key buffers
                          ** are reused by the next one, freed at xClose */
  SdbExtZone zone;        /* keys its checked terms cannot answer (bOn) */
  const char *zPlanStr;   /* idxStr the plan below was parsed from (SQLite's,
                          ** alive as long as the statement, so as the cursor) */
  SdbExtPlan plan;
} SdbCursor;

/* See extInt.h. */
int sdbExtVtabError(sqlite3_vtab *pVtab, int rc, char *zMsg) {
  sqlite3_free(pVtab->zErrMsg);
  pVtab->zErrMsg = zMsg;
  return zMsg ? rc : SQLITE_NOMEM;
}

/* See extInt.h. */
int sdbExtVtabEngineError(sqlite3_vtab *pVtab, const SdbErr *pErr, int sdbRc) {
  /* A fenced writer's message (engine wording) says the database was opened
  ** by a newer writer; SQLITE_READONLY via sdbExtRc. */
  return sdbExtVtabError(pVtab, sdbExtRc(sdbRc, 0), sdbExtErrMsg(pErr));
}

/* See extInt.h. */
int sdbExtVtabEnsureHandle(SdbVtab *p) {
  char *zErr = 0;
  if (p->pHandle) return SQLITE_OK;
  int rc = sdbExtHandleAcquire(&p->args, &p->pHandle, &zErr);
  if (rc != SQLITE_OK) {
    sqlite3_free(p->base.zErrMsg);
    p->base.zErrMsg = zErr;
  }
  return rc;
}

/* Column names that a table name would clash with (the command column). */
static int vtabNameClashes(const char *zName) {
  static const char *const az[] = { "key", "value", "prefix", "extra_arg", "seq", "create_ts",
                                    "expire_ts", "ttl" };
  for (int i = 0; i < (int)(sizeof(az) / sizeof(az[0])); i++) {
    if (sqlite3_stricmp(zName, az[i]) == 0) return 1;
  }
  return 0;
}

/* The CREATE TABLE statement declared for key and value types and the
** command column zName. */
static char *vtabSchema(const SdbExtArgs *pArgs, const char *zName) {
  const char *zKey = pArgs->eKeyType == SDB_KEY_TEXT ? "TEXT"
                   : pArgs->eKeyType == SDB_KEY_BLOB ? "BLOB" : "INTEGER";
  const char *zVal = pArgs->eValueType == SDB_VAL_TEXT ? "TEXT" : "BLOB";
  return sqlite3_mprintf("CREATE TABLE x(key %s PRIMARY KEY NOT NULL, value %s NOT NULL,"
                         " prefix HIDDEN, extra_arg HIDDEN, seq INTEGER HIDDEN,"
                         " create_ts INTEGER HIDDEN, expire_ts INTEGER HIDDEN, ttl INTEGER HIDDEN,"
                         " \"%w\" HIDDEN)"
                         " WITHOUT ROWID", zKey, zVal, zName);
}

/* Free a table. NULL-safe. */
static void vtabFree(SdbVtab *p) {
  if (!p) return;
  sdbExtWriteAbandon(p);
  sdbExtHandleRelease(p->pHandle);
  sdbExtArgsFree(&p->args);
  sqlite3_free(p->zName);
  sqlite3_free(p->base.zErrMsg);
  sqlite3_free(p);
}

/*
** xCreate and xConnect: parse argv, open the database when bOpen (xCreate),
** declare the schema and set DIRECTONLY. On error *pzErr gets the message.
*/
static int vtabInit(sqlite3 *db, int argc, const char *const *argv, sqlite3_vtab **ppVtab,
                    char **pzErr, int bOpen) {
  SdbVtab *p = sqlite3_malloc64(sizeof(*p));
  char *zSchema = 0;
  int rc = SQLITE_NOMEM;
  *ppVtab = 0;
  if (!p) return SQLITE_NOMEM;
  memset(p, 0, sizeof(*p));
  p->db = db;
  p->zName = sqlite3_mprintf("%s", argv[2]);
  if (!p->zName) goto init_failed;
  rc = sdbExtArgsParse(argc, argv, &p->args, pzErr);
  if (rc != SQLITE_OK) goto init_failed;
  if (vtabNameClashes(argv[2])) {
    *pzErr = sqlite3_mprintf("slatedb: a slatedb table cannot be named \"%s\": its command"
                             " column is named like the table and would clash with the column"
                             " of that name", argv[2]);
    rc = SQLITE_ERROR;
    goto init_failed;
  }
  if (bOpen) {
    rc = sdbExtHandleAcquire(&p->args, &p->pHandle, pzErr);
    if (rc != SQLITE_OK) goto init_failed;
  }
  zSchema = vtabSchema(&p->args, argv[2]);
  rc = zSchema ? sqlite3_declare_vtab(db, zSchema) : SQLITE_NOMEM;
  sqlite3_free(zSchema);
  if (rc != SQLITE_OK) goto init_failed;
  sqlite3_vtab_config(db, SQLITE_VTAB_DIRECTONLY);
  sqlite3_vtab_config(db, SQLITE_VTAB_CONSTRAINT_SUPPORT, 1);
  *ppVtab = &p->base;
  return SQLITE_OK;

init_failed:
  vtabFree(p);
  return rc;
}

/* xCreate: CREATE VIRTUAL TABLE. Opens the database to fail fast. */
static int vtabCreate(sqlite3 *db, void *pAux, int argc, const char *const *argv,
                      sqlite3_vtab **ppVtab, char **pzErr) {
  return vtabInit(db, argc, argv, ppVtab, pzErr, 1);
}

/* xConnect: a connection reads the schema. No I/O: the database opens lazily. */
static int vtabConnect(sqlite3 *db, void *pAux, int argc, const char *const *argv,
                       sqlite3_vtab **ppVtab, char **pzErr) {
  return vtabInit(db, argc, argv, ppVtab, pzErr, 0);
}

/* xDisconnect and xDestroy: drop the reference. Never deletes data. */
static int vtabDisconnect(sqlite3_vtab *pVtab) {
  vtabFree((SdbVtab *)pVtab);
  return SQLITE_OK;
}

/* The rows the planner assumes: the engine's estimate once the database is
** open, else (lazy connect: xBestIndex does no I/O) a million. */
static double vtabEstRows(SdbVtab *p) {
  uint64_t nRows = 0, nBytes = 0;
  if (!p->pHandle) return 1e6;
  sdb_db_estimate(sdbExtHandleDb(p->pHandle), &nRows, &nBytes);
  return nRows > 0 ? (double)nRows : 1.0;
}

/* True if loose range terms may be checked (vtab_plan.c): the table is open,
** holds no key below ':' and the connection has no uncommitted write on it.
** No I/O. */
static int vtabNoLowKeys(SdbVtab *p) {
  if (!p->pHandle || p->args.eKeyType != SDB_KEY_TEXT) return 0;
  SdbBatch *pBatch = sdbExtHandleBatch(p->pHandle, p->db);
  if (pBatch && sdb_batch_count(pBatch) > 0) return 0;
  return !sdb_db_may_hold_below(sdbExtHandleDb(p->pHandle), (const uint8_t *)":", 1);
}

/* xBestIndex: see vtab_plan.c. */
static int vtabBestIndex(sqlite3_vtab *pVtab, sqlite3_index_info *pInfo) {
  int bNoOmit = 0;
#ifdef SDB_TESTHOOKS
  bNoOmit = sdbExtTestNoOmit;
#endif
  SdbVtab *p = (SdbVtab *)pVtab;
  int rc = sdbExtBestIndex(p->db, pInfo, vtabEstRows(p), p->args.eKeyType, bNoOmit,
                           vtabNoLowKeys(p), &p->eEnc);
  if (rc == SDB_PLAN_EXTRA_ARG) {
    const char *zName = p->zName;
    return sdbExtVtabError(pVtab, SQLITE_ERROR,
                           sqlite3_mprintf("slatedb: %s takes at most 1 argument (a key prefix:"
                                           " %s('user:')); more arguments, or a constraint on its"
                                           " hidden column extra_arg, are errors", zName, zName));
  }
  return rc;
}

/* See extInt.h. */
int sdbExtCursorNew(SdbExtVtab *pSrc, sqlite3_vtab_cursor **ppCursor) {
  SdbCursor *pCur = sqlite3_malloc64(sizeof(*pCur));
  if (!pCur) return SQLITE_NOMEM;
  memset(pCur, 0, sizeof(*pCur));
  pCur->bEof = 1;
  pCur->pSrc = pSrc;
  *ppCursor = &pCur->base;
  return SQLITE_OK;
}

/* See extInt.h. */
void sdbExtCursorSetSource(sqlite3_vtab_cursor *pCursor, SdbExtVtab *pSrc) {
  SdbCursor *p = (SdbCursor *)pCursor;
  if (p->pSrc != pSrc) {        /* the kept iterator belongs to the old source's handle, */
    sdb_iter_free(p->pIter);    /* which may close once the cursor leaves it: free it now */
    p->pIter = 0;
  }
  p->pSrc = pSrc;
}

/* See extInt.h. */
SdbExtVtab *sdbExtCursorSource(sqlite3_vtab_cursor *pCursor) {
  return ((SdbCursor *)pCursor)->pSrc;
}

/* xOpen: a new cursor; opens the database on first use after xConnect. */
static int vtabOpen(sqlite3_vtab *pVtab, sqlite3_vtab_cursor **ppCursor) {
  int rc = sdbExtVtabEnsureHandle((SdbVtab *)pVtab);
  if (rc != SQLITE_OK) return rc;
  return sdbExtCursorNew((SdbVtab *)pVtab, ppCursor);
}

/* Drop the IN keys (point-lookup mode ends). */
static void cursorFreeKeys(SdbCursor *p) {
  for (int i = 0; i < p->nKey; i++) sqlite3_free(p->aKey[i].a);
  sqlite3_free(p->aKey);
  p->aKey = 0;
  p->nKey = p->iKey = 0;
  p->bPoints = 0;
}

/* Release what a scan holds but its engine iterator, which the next xFilter
** of the cursor seeks (sdb_db_scan_seek); the cursor is at EOF afterwards. */
static void cursorReset(SdbCursor *p) {
  cursorFreeKeys(p);
  sqlite3_value_free(p->pPrefix);
  p->pPrefix = 0;
  p->bEof = 1;
  p->nLimit = -1;
  sdbExtZoneReset(&p->zone);
}

/* See extInt.h. */
int sdbExtCursorEmpty(sqlite3_vtab_cursor *pCursor) {
  cursorReset((SdbCursor *)pCursor);
  return SQLITE_OK;
}

/* xClose; see extInt.h (sdbExtCursorClose). */
int sdbExtCursorClose(sqlite3_vtab_cursor *pCursor) {
  SdbCursor *p = (SdbCursor *)pCursor;
  cursorReset(p);
  sdb_iter_free(p->pIter);
  sdbExtBoundsFree(&p->bounds);
  sdbExtZoneFree(&p->zone);
  sqlite3_free(p);
  return SQLITE_OK;
}

/* The source table of a cursor (see the file comment). */
static SdbVtab *cursorVtab(SdbCursor *p) {
  return p->pSrc;
}

/* Check the key of the current row, on a row, against an integer key_type. */
static int cursorCheckIntKey(SdbCursor *p) {
  SdbVtab *pTab = cursorVtab(p);
  char *zErr = 0;
  const SdbEntry *e = &p->pIter->cur;
  int rc = sdbExtKeyCheck(pTab->args.eKeyType, e->pKey, e->nKey, pTab->zName, &zErr);
  if (rc != SQLITE_OK) return sdbExtVtabError(p->base.pVtab, rc, zErr);
  return SQLITE_OK;
}

/* True if the cursor's keys must be checked (key_type int64/uint64: 8 bytes). */
static int cursorIntKeys(SdbCursor *p) {
  int eKeyType = cursorVtab(p)->args.eKeyType;
  return eKeyType == SDB_KEY_INT64 || eKeyType == SDB_KEY_UINT64;
}

/* A row of a cursor with an unclear zone (text keys): fail if it lies in it. */
static int cursorZoneRow(SdbCursor *p) {
  const SdbEntry *e = &p->pIter->cur;
  if (!sdbExtZoneContains(&p->zone, e->pKey, e->nKey)) return SQLITE_OK;
  p->bEof = 1;
  return sdbExtVtabError(p->base.pVtab, SQLITE_ERROR,
                         sdbExtZoneMsg(&p->zone, cursorVtab(p)->zName, e->pKey, e->nKey));
}

/* Check the key of the current row, on a row: the checked terms' zone, or
** an integer key_type's length (text and blob keys: any bytes). Inline: the
** range step calls it per row. */
static inline int cursorCheckKey(SdbCursor *p) {
  if (p->zone.bOn) return cursorZoneRow(p);
  return cursorIntKeys(p) ? cursorCheckIntKey(p) : SQLITE_OK;
}

/* Check the key of the current row against key_type (after every move). */
static int cursorCheckRow(SdbCursor *p) {
  if (!p->pIter || p->pIter->bEof) { p->bEof = 1; return SQLITE_OK; }
  p->bEof = 0;
  return cursorCheckKey(p);
}

/* Start an engine scan of pRange; the cursor lands on its first row. The
** iterator of the cursor's previous scan seeks when it can (joins and IN
** lists call xFilter per outer row or key): no stack to build again. */
static int cursorScan(SdbCursor *p, const SdbRange *pRange, int bDesc) {
  SdbVtab *pTab = cursorVtab(p);
  SdbErr err;
  sdb_err_clear(&err);
  SdbBatch *pOverlay = sdbExtHandleBatch(pTab->pHandle, pTab->db);
  int rc = sdb_db_scan_seek(sdbExtHandleDb(pTab->pHandle), pOverlay, pRange, bDesc,
                            &p->pIter, &err);
  if (rc != SDB_OK) {
    p->pIter = 0;
    return sdbExtVtabEngineError(p->base.pVtab, &err, rc);
  }
  return SQLITE_OK;
}

/* The point range of key k. */
static SdbRange cursorPointRange(const SdbExtKey *k) {
  SdbRange r;
  memset(&r, 0, sizeof(r));
  r.pLo = r.pHi = k->a;
  r.nLo = r.nHi = (size_t)k->n;
  r.bHasLo = r.bHasHi = 1;
  return r;
}

#define CURSOR_PREFETCH_KEYS 64   /* IN-list keys fetched together */

/* Every CURSOR_PREFETCH_KEYS keys, warm the cache for the next ones at once
** (parallel reads on S3; a no-op on local stores). */
static int cursorPrefetchPoints(SdbCursor *p) {
  int n = p->nKey - p->iKey;
  if (p->iKey % CURSOR_PREFETCH_KEYS != 0 || n < 1) return SQLITE_OK;
  if (n > CURSOR_PREFETCH_KEYS) n = CURSOR_PREFETCH_KEYS;
  SdbRange aRange[CURSOR_PREFETCH_KEYS];
  for (int i = 0; i < n; i++) aRange[i] = cursorPointRange(&p->aKey[p->iKey + i]);
  SdbVtab *pTab = cursorVtab(p);
  SdbErr err;
  sdb_err_clear(&err);
  int rc = sdb_db_prefetch(sdbExtHandleDb(pTab->pHandle), aRange, n, 0, &err);
  return rc == SDB_OK ? SQLITE_OK : sdbExtVtabEngineError(p->base.pVtab, &err, rc);
}

/* Point-lookup mode: move to the next key of aKey that exists. */
static int cursorNextPoint(SdbCursor *p) {
  while (p->iKey < p->nKey) {
    int rc = cursorPrefetchPoints(p);
    if (rc != SQLITE_OK) return rc;
    SdbRange r = cursorPointRange(&p->aKey[p->iKey++]);
    rc = cursorScan(p, &r, 0);
    if (rc != SQLITE_OK) return rc;
    if (!p->pIter->bEof) return cursorCheckRow(p);
  }
  p->bEof = 1;
  return SQLITE_OK;
}

/* Move to the next row in either mode. Called per row: the range scan's
** step makes no call of its own (an SdbErr is cleared in place, the key
** check is a call only for integer keys or a checked term's zone). */
static int cursorAdvance(SdbCursor *p) {
  if (p->bPoints) return cursorNextPoint(p);
  SdbIter *pIter = p->pIter;
  if (!pIter || pIter->bEof) { p->bEof = 1; return SQLITE_OK; }
  SdbErr err;
  err.rc = SDB_OK;
  err.zMsg[0] = 0;
  int rc = sdb_iter_next(pIter, &err);
  if (rc != SDB_OK) {
    p->bEof = 1;
    return sdbExtVtabEngineError(p->base.pVtab, &err, rc);
  }
  p->bEof = pIter->bEof;
  return p->bEof ? SQLITE_OK : cursorCheckKey(p);
}

/* Compare two IN keys (qsort). */
static int cursorKeyCmp(const void *a, const void *b) {
  const SdbExtKey *x = a, *y = b;
  return sdbExtKeyCmp(x->a, x->n, y->a, y->n);
}

/* Append a copy-free key (ownership taken) to the IN list. */
static int cursorAddKey(SdbCursor *p, SdbExtKey *pKey, int *pnAlloc) {
  if (p->nKey >= *pnAlloc) {
    int nNew = *pnAlloc ? *pnAlloc * 2 : 16;
    SdbExtKey *aNew = sqlite3_realloc64(p->aKey, sizeof(SdbExtKey) * (u64)nNew);
    if (!aNew) { sqlite3_free(pKey->a); return SQLITE_NOMEM; }
    p->aKey = aNew;
    *pnAlloc = nNew;
  }
  p->aKey[p->nKey++] = *pKey;
  return SQLITE_OK;
}

/* Sort the IN keys in scan order and drop duplicates. */
static void cursorSortKeys(SdbCursor *p, int bDesc) {
  int j = 0;
  if (p->nKey == 0) return;
  qsort(p->aKey, (size_t)p->nKey, sizeof(SdbExtKey), cursorKeyCmp);
  for (int i = 1; i < p->nKey; i++) {
    if (cursorKeyCmp(&p->aKey[i], &p->aKey[j]) == 0) { sqlite3_free(p->aKey[i].a); continue; }
    p->aKey[++j] = p->aKey[i];
  }
  p->nKey = j + 1;
  for (int i = 0; bDesc && i < p->nKey / 2; i++) {
    SdbExtKey t = p->aKey[i];
    p->aKey[i] = p->aKey[p->nKey - 1 - i];
    p->aKey[p->nKey - 1 - i] = t;
  }
}

/*
** Add one IN member pVal (if it can equal a key within pB). *pbNumeric is set
** when a loose member needs the numeric-looking keys too.
*/
static int cursorInMember(SdbCursor *p, const SdbExtBounds *pB, int bLoose, sqlite3_value *pVal,
                          int *pnAlloc, int *pbNumeric) {
  SdbExtKey k;
  int eMatch = sdbExtKeyFromValue(cursorVtab(p)->args.eKeyType, bLoose, pVal, &k);
  if (eMatch < 0) return -eMatch;
  if (eMatch == SDB_MATCH_NUMERIC) *pbNumeric = 1;
  else if (eMatch != SDB_MATCH_KEY) return SQLITE_OK;
  else if (!sdbExtBoundsContain(pB, k.a, k.n)) { sqlite3_free(k.a); return SQLITE_OK; }
  return cursorAddKey(p, &k, pnAlloc);
}

/*
** Collect the IN list pList (all at once, or a single value if SQLite handed
** it over one at a time) into aKey, keeping only keys within pB. A loose list
** with a numeric member becomes a range scan instead: pB is narrowed to the
** hull of the members and the numeric-looking keys, and SQLite re-checks.
*/
static int cursorInList(SdbCursor *p, SdbExtBounds *pB, int bLoose, sqlite3_value *pList,
                        int bDesc) {
  sqlite3_value *pVal = 0;
  int nAlloc = 0, bNumeric = 0;
  int rc = sqlite3_vtab_in_first(pList, &pVal);
  p->bPoints = 1;
  if (rc == SQLITE_ERROR) {
    rc = cursorInMember(p, pB, bLoose, pList, &nAlloc, &bNumeric);
  } else {
    while (rc == SQLITE_OK && pVal) {
      rc = cursorInMember(p, pB, bLoose, pVal, &nAlloc, &bNumeric);
      if (rc == SQLITE_OK) rc = sqlite3_vtab_in_next(pList, &pVal);
    }
    if (rc == SQLITE_DONE) rc = SQLITE_OK;
  }
  if (rc == SQLITE_OK && bNumeric) {
    rc = sdbExtBoundsNumericHull(pB, p->aKey, p->nKey);
    cursorFreeKeys(p);
  }
  if (rc == SQLITE_OK) cursorSortKeys(p, bDesc);
  return rc;
}

/*
** Apply the prefix argument: keys starting with its bytes (TEXT or BLOB; a
** number is taken as its text). A NULL prefix selects nothing.
*/
static int cursorPrefix(SdbCursor *p, SdbExtBounds *pB, sqlite3_value *pVal) {
  SdbVtab *pTab = cursorVtab(p);
  int eKeyType = pTab->args.eKeyType;
  p->pPrefix = sqlite3_value_dup(pVal);
  if (!p->pPrefix) return SQLITE_NOMEM;
  if (eKeyType == SDB_KEY_INT64 || eKeyType == SDB_KEY_UINT64) {
    return sdbExtVtabError(p->base.pVtab, SQLITE_ERROR,
                        sqlite3_mprintf("slatedb: table %s: prefix scans need key_type=text"
                                        " or key_type=blob (this table has key_type=%s)",
                                        pTab->zName, sdbExtKeyTypeName(eKeyType)));
  }
  sqlite3_value *pCopy = sqlite3_value_dup(pVal);
  if (!pCopy) return SQLITE_NOMEM;
  int rc = SQLITE_OK;
  int eType = sqlite3_value_type(pCopy);
  if (eType == SQLITE_NULL) {
    pB->bEmpty = 1;
  } else {
    const u8 *a = eType == SQLITE_BLOB ? sqlite3_value_blob(pCopy) : sqlite3_value_text(pCopy);
    int n = sqlite3_value_bytes(pCopy);
    rc = (a || n == 0) ? sdbExtBoundsPrefix(pB, a ? a : (const u8 *)"", n) : SQLITE_NOMEM;
  }
  sqlite3_value_free(pCopy);
  return rc;
}

/* The integer value of a LIMIT or OFFSET argument; -1 if it is not one. */
static i64 cursorIntArg(sqlite3_value *pVal) {
  sqlite3_value *pDup = sqlite3_value_dup(pVal);
  i64 v = -1;
  if (pDup && sqlite3_value_numeric_type(pDup) == SQLITE_INTEGER) v = sqlite3_value_int64(pDup);
  sqlite3_value_free(pDup);
  return v;
}

/* Turn bounds into an engine range (borrowing the bound bytes). */
static void cursorRange(const SdbExtBounds *pB, SdbRange *pR) {
  memset(pR, 0, sizeof(*pR));
  if (pB->bHasLo) {
    pR->bHasLo = 1; pR->bLoExcl = pB->bLoExcl; pR->pLo = pB->lo.a; pR->nLo = (size_t)pB->lo.n;
  }
  if (pB->bHasHi) {
    pR->bHasHi = 1; pR->bHiExcl = pB->bHiExcl; pR->pHi = pB->hi.a; pR->nHi = (size_t)pB->hi.n;
  }
}

/* What a key term of an untyped key column does (cursorUntypedTerm). */
#define TERM_CODEC 0      /* bound the keys as the key codec says */
#define TERM_ALL   1      /* true for every key: no bound */
#define TERM_NONE  2      /* true for no key */

/* The rank of SQLite's storage classes in its sort order (numbers first). */
static int cursorClassRank(int eType) {
  return eType == SQLITE_INTEGER || eType == SQLITE_FLOAT ? 1 : eType == SQLITE_TEXT ? 2 : 3;
}

/*
** What key term `key <eRole> pVal` (bLoose: see extInt.h) does on the untyped
** key column of slatedb_read (SdbExtVtab.bUntypedKey). The keys' storage
** class follows key_type (text: TEXT, int64/uint64: INTEGER, blob: BLOB, whose
** codec already has these semantics). A value of the keys' class bounds them
** as the codec says. Against a constant of another class (not loose), SQLite
** compares by class (numbers < text < blob), so the term is true for all keys
** or for none. A loose term may convert the keys (the right-hand side has an
** affinity), so its range bound of another class is dropped (SQLite re-checks
** it) and its point term left to the codec's superset.
*/
static int cursorUntypedTerm(const SdbVtab *pTab, int eRole, int bLoose, sqlite3_value *pVal) {
  int eType = sqlite3_value_type(pVal);
  int eKeyType = pTab->args.eKeyType;
  if (!pTab->bUntypedKey || eKeyType == SDB_KEY_BLOB || eType == SQLITE_NULL) return TERM_CODEC;
  int iKey = eKeyType == SDB_KEY_TEXT ? 2 : 1, iVal = cursorClassRank(eType);
  if (iKey == iVal || (bLoose && eRole == SDB_ARG_KEY_EQ)) return TERM_CODEC;
  if (bLoose) return TERM_ALL;
  switch (eRole) {
    case SDB_ARG_KEY_GT:
    case SDB_ARG_KEY_GE: return iKey > iVal ? TERM_ALL : TERM_NONE;
    case SDB_ARG_KEY_LT:
    case SDB_ARG_KEY_LE: return iKey < iVal ? TERM_ALL : TERM_NONE;
    default:             return TERM_NONE;
  }
}

/* Apply every xFilter argument to pB (and the cursor). *piIn: the IN argument. */
static int cursorArgs(SdbCursor *p, const SdbExtPlan *pPlan, sqlite3_value **argv,
                      SdbExtBounds *pB, int *piIn, i64 *pnOffset) {
  int eKeyType = cursorVtab(p)->args.eKeyType;
  int rc = SQLITE_OK;
  for (int i = 0; rc == SQLITE_OK && i < pPlan->nArg; i++) {
    switch (pPlan->aRole[i]) {
      case SDB_ARG_KEY_IN: *piIn = i; break;
      case SDB_ARG_PREFIX: rc = cursorPrefix(p, pB, argv[i]); break;
      case SDB_ARG_LIMIT:  p->nLimit = cursorIntArg(argv[i]); break;
      case SDB_ARG_OFFSET: *pnOffset = cursorIntArg(argv[i]); break;
      case SDB_ARG_KEY_LIKE:
        /* slatedb_read plans LIKE before it knows the key type: integer
        ** keys get no range (their LIKE reads the decimal text; SQLite filters) */
        if (eKeyType != SDB_KEY_TEXT && eKeyType != SDB_KEY_BLOB) break;
        rc = sdbExtBoundsLike(pB, argv[i]);
        break;
      case SDB_ARG_URL:
      case SDB_ARG_OPTIONS: break;     /* slatedb_read's: its xFilter took them */
      default:
        if (pPlan->aChecked[i]) {
          rc = sdbExtZoneApply(&p->zone, pB, pPlan->aRole[i], argv[i]);
          break;
        }
        switch (cursorUntypedTerm(cursorVtab(p), pPlan->aRole[i], pPlan->aLoose[i], argv[i])) {
          case TERM_ALL:  break;
          case TERM_NONE: pB->bEmpty = 1; break;
          default:
            rc = sdbExtBoundsApply(pB, eKeyType, pPlan->aRole[i], pPlan->aLoose[i], argv[i]);
        }
        break;
    }
  }
  return rc;
}

/* Position a freshly filtered cursor on its first row, honouring OFFSET. */
static int cursorStart(SdbCursor *p, const SdbExtBounds *pB, int bDesc, i64 nOffset) {
  int rc;
  if (p->bPoints) {
    rc = cursorNextPoint(p);
  } else {
    SdbRange r;
    cursorRange(pB, &r);
    rc = cursorScan(p, &r, bDesc);
    if (rc == SQLITE_OK) rc = cursorCheckRow(p);
  }
  for (i64 i = 0; rc == SQLITE_OK && i < nOffset && !p->bEof; i++) rc = cursorAdvance(p);
  return rc;
}

/* A cursor's view of the transaction's batch is the one its iterator took
** at its first scan (every later xFilter keeps it: sdb_db_scan_seek). An
** xFilter that scans nothing (an empty range, no IN member) takes it all the
** same while a transaction is open and the cursor has none yet, with a scan
** of no key (below "\0"): else its first real scan, after the statement
** wrote, would see those writes. */
static int cursorTakeView(SdbCursor *p) {
  SdbVtab *pTab = cursorVtab(p);
  if (p->pIter || !sdbExtHandleBatch(pTab->pHandle, pTab->db)) return SQLITE_OK;
  SdbRange r;
  memset(&r, 0, sizeof(r));
  r.pHi = (const u8 *)"";     /* the byte 0, exclusive */
  r.nHi = 1;
  r.bHasHi = r.bHiExcl = 1;
  int rc = cursorScan(p, &r, p->plan.bDesc);
  p->bEof = 1;
  return rc;
}

/* xFilter: start a scan as the plan in idxStr says. See extInt.h
** (sdbExtCursorFilter). */
int sdbExtCursorFilter(sqlite3_vtab_cursor *pCursor, int idxNum, const char *idxStr, int argc,
                      sqlite3_value **argv) {
  SdbCursor *p = (SdbCursor *)pCursor;
  SdbExtBounds *pB = &p->bounds;
  int iIn = -1;
  i64 nOffset = 0;
  cursorReset(p);
  /* A join calls xFilter per outer row with the same idxStr: parse it once. */
  if (!idxStr || idxStr != p->zPlanStr || argc != p->plan.nArg) {
    p->zPlanStr = 0;
    if (sdbExtPlanParse(idxStr, argc, &p->plan) != SQLITE_OK) {
      return sdbExtVtabError(pCursor->pVtab, SQLITE_INTERNAL,
                          sqlite3_mprintf("slatedb: unreadable plan \"%s\"", idxStr ? idxStr : ""));
    }
    p->zPlanStr = idxStr;
  }
  const SdbExtPlan *pPlan = &p->plan;
  sdbExtBoundsReset(pB);
  int rc = cursorArgs(p, pPlan, argv, pB, &iIn, &nOffset);
  if (rc == SQLITE_OK && iIn >= 0 && !pB->bEmpty) {
    rc = cursorInList(p, pB, pPlan->aLoose[iIn], argv[iIn], pPlan->bDesc);
  }
  if (rc == SQLITE_OK && !pB->bEmpty) rc = cursorStart(p, pB, pPlan->bDesc, nOffset);
  if (rc == SQLITE_OK && !p->pIter) rc = cursorTakeView(p);
  if (rc != SQLITE_OK) p->bEof = 1;
  return rc;
}

/* xNext. */
int sdbExtCursorNext(sqlite3_vtab_cursor *pCursor) {
  SdbCursor *p = (SdbCursor *)pCursor;
  if (p->nLimit > 0 && --p->nLimit == 0) return SQLITE_OK;   /* no more reads */
  return cursorAdvance(p);
}

/* xEof. */
int sdbExtCursorEof(sqlite3_vtab_cursor *pCursor) {
  SdbCursor *p = (SdbCursor *)pCursor;
  return p->bEof || p->nLimit == 0;
}

/* Set an INTEGER result, or NULL when bHas is false. */
static void resultOptInt(sqlite3_context *ctx, int bHas, i64 v) {
  if (bHas) sqlite3_result_int64(ctx, v);
  else sqlite3_result_null(ctx);
}

/* The value column per value_type (empty values stay non-NULL). */
static void resultValue(sqlite3_context *ctx, int eValueType, const SdbEntry *e) {
  const char *z = e->nVal ? (const char *)e->pVal : "";
  if (eValueType == SDB_VAL_TEXT) sqlite3_result_text(ctx, z, (int)e->nVal, SQLITE_TRANSIENT);
  else if (e->nVal) sqlite3_result_blob(ctx, z, (int)e->nVal, SQLITE_TRANSIENT);
  else sqlite3_result_zeroblob(ctx, 0);
}

/* The seq column: NULL for an uncommitted row of the transaction. */
static void resultSeq(sqlite3_context *ctx, u64 seq) {
  if (seq >= VTAB_UNCOMMITTED_SEQ) sqlite3_result_null(ctx);
  else sqlite3_result_int64(ctx, (i64)seq);
}

/*
** xColumn. REQUIRES: the cursor is on a row. In an UPDATE, SQLite asks for
** the columns the statement does not change with sqlite3_vtab_nochange()
** true: value, seq and create_ts then stay unset, so xUpdate sees them as
** "unchanged" (value: no read unless needed; seq, create_ts: not a write).
** expire_ts is always returned, so an UPDATE keeps the row's expiry.
*/
static __attribute__((noinline)) int cursorColumnOther(SdbCursor *p, sqlite3_context *ctx,
                                                       int iCol);

int sdbExtCursorColumn(sqlite3_vtab_cursor *pCursor, sqlite3_context *ctx, int iCol) {
  SdbCursor *p = (SdbCursor *)pCursor;
  SdbVtab *pTab = cursorVtab(p);
  const SdbEntry *e = &p->pIter->cur;
  if (iCol == SDB_COL_KEY) {               /* per row: no switch, no other column's setup */
    if (pTab->args.eKeyType == SDB_KEY_TEXT) {
      sqlite3_result_text(ctx, e->nKey ? (const char *)e->pKey : "", (int)e->nKey, SQLITE_TRANSIENT);
    } else {
      sdbExtKeyResult(ctx, pTab->args.eKeyType, e->pKey, e->nKey);
    }
    return SQLITE_OK;
  }
  if (iCol != SDB_COL_VALUE) return cursorColumnOther(p, ctx, iCol);
  if (sqlite3_vtab_nochange(ctx)) return SQLITE_OK;   /* UPDATE that keeps the value */
  if (e->nVal > 0x7fffffff) return SQLITE_TOOBIG;
  resultValue(ctx, pTab->args.eValueType, e);
  return SQLITE_OK;
}

/* xColumn of the columns other than key and value (sdbExtCursorColumn). */
static int cursorColumnOther(SdbCursor *p, sqlite3_context *ctx, int iCol) {
  const SdbEntry *e = &p->pIter->cur;
  switch (iCol) {
    case SDB_COL_PREFIX:
      if (p->pPrefix) sqlite3_result_value(ctx, p->pPrefix);
      else sqlite3_result_null(ctx);
      break;
    case SDB_COL_SEQ:
      if (!sqlite3_vtab_nochange(ctx)) resultSeq(ctx, e->seq);
      break;
    case SDB_COL_CREATE_TS:
      if (!sqlite3_vtab_nochange(ctx)) resultOptInt(ctx, e->bHasCreateTs, e->createTs);
      break;
    case SDB_COL_EXPIRE_TS:
      resultOptInt(ctx, e->bHasExpireTs, e->expireTs);
      break;
    default:                                    /* extra_arg; ttl, command: write-only */
      sqlite3_result_null(ctx);
      break;
  }
  return SQLITE_OK;
}

/* xRowid: never called for a WITHOUT ROWID table. */
static int vtabRowid(sqlite3_vtab_cursor *pCursor, sqlite3_int64 *pRowid) {
  *pRowid = 0;
  return SQLITE_ERROR;
}

/* xRename: nothing is stored under the name; keep messages current. */
static int vtabRename(sqlite3_vtab *pVtab, const char *zNew) {
  SdbVtab *p = (SdbVtab *)pVtab;
  char *z = sqlite3_mprintf("%s", zNew);
  if (!z) return SQLITE_NOMEM;
  sqlite3_free(p->zName);
  p->zName = z;
  return SQLITE_OK;
}

static sqlite3_module slatedbModule = {
  .iVersion = 2,
  .xCreate = vtabCreate,
  .xConnect = vtabConnect,
  .xBestIndex = vtabBestIndex,
  .xDisconnect = vtabDisconnect,
  .xDestroy = vtabDisconnect,
  .xOpen = vtabOpen,
  .xClose = sdbExtCursorClose,
  .xFilter = sdbExtCursorFilter,
  .xNext = sdbExtCursorNext,
  .xEof = sdbExtCursorEof,
  .xColumn = sdbExtCursorColumn,
  .xRowid = vtabRowid,
  .xUpdate = sdbExtWriteUpdate,
  .xBegin = sdbExtWriteBegin,
  .xSync = sdbExtWriteSync,
  .xCommit = sdbExtWriteCommit,
  .xRollback = sdbExtWriteRollback,
  .xRename = vtabRename,
  .xSavepoint = sdbExtWriteSavepoint,
  .xRelease = sdbExtWriteRelease,
  .xRollbackTo = sdbExtWriteRollbackTo,
};

/* See extInt.h. */
int sdbExtRegisterVtab(sqlite3 *db, SdbExtCost *pCost) {
  return sdbExtCostCreateModule(db, "slatedb", &slatedbModule, 0, pCost);
}
