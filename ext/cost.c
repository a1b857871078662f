/*
** cost.c: what a connection's statements cost on the object store.
**
**   SELECT * FROM kv WHERE key BETWEEN 'a' AND 'b';
**   SELECT scope, gets, bytes_in, cache_hits FROM slatedb_cost;
**   SELECT slatedb_cost_reset();
**
** Each connection that loads the extension has one SdbExtCost: two engine
** cost records (core/slatedb.h SdbCost), the last statement's and the sum of
** the statements before it since the last reset. The modules "slatedb" and
** "slatedb_read" are registered through sdbExtCostCreateModule, which gives SQLite a per-
** connection copy of the module whose methods attach the connection's
** statement record to the calling thread (sdb_cost_attach) around the inner
** method and detach it after: the engine then adds every store request, byte
** and cache lookup made for the call to it (read-ahead threads take it over;
** they are joined before the cursor that started them is closed, and a
** connection closes only after its cursors). The copy's address is what
** sqlite3_vtab.pModule holds, so a method finds its connection's record
** without a lookup.
**
** Statements: a virtual table does not see them, so the record's statement
** is told by the calls that start work (xCreate, xConnect, xOpen, xBegin,
** xSync, xCommit, xRollback, and xUpdate while no cursor is open): such a
** call belongs to a new statement if the statement that is running
** (sqlite3_stmt_busy) is another one, or the same prepared statement run
** again (SQLITE_STMTSTATUS_RUN), or if a statement that changed rows ended
** since (sqlite3_total_changes64: SQLite adds a statement's changes when it
** ends, after its commit), or if the previous statement ended: it was a
** CREATE VIRTUAL TABLE, its last cursor closed (unless an autocommit
** statement's commit follows), its transaction committed or rolled back, or
** slatedb_cost was read or reset, or it rolled back to a savepoint (a
** statement that failed in a transaction). Inside an explicit transaction, a
** statement that opens no cursor and changes no row (an INSERT that fails)
** counts with the next one if SQLite prepares that one at its address. The
** new statement's record starts at zero and the previous one's is added to
** the connection's sum. Reading slatedb_cost or calling slatedb_cost_reset
** never starts a statement.
**
** Finding the running statement walks the connection's prepared statements,
** so xUpdate, called once per row, avoids it: while the record has not
** ended, its xUpdates succeeded and sqlite3_total_changes64 has not moved,
** the call is the same statement's (rows of one INSERT); if the total moved,
** a statement that changed rows ended, so the call starts a new one (rows
** inserted one statement each, as executemany does), whose statement is
** found by the next call that walks. A remembered statement is only ever
** compared with live ones, never used: it may have been finalized.
**
** Loading the extension again on a connection registers nothing new: the
** records are found in a process-wide list of connections (the tables
** already created keep counting where slatedb_cost reads); a connection's
** entry goes when its last module or function is destroyed, at close.
*/
#include <pthread.h>
#include <string.h>

#include "extInt.h"

#define COST_NFIELD ((int)(sizeof(SdbCost) / sizeof(uint64_t)))

/* One connection's cost records. */
struct SdbExtCost {
  int nRef;               /* the modules and functions registered with it */
  sqlite3 *db;            /* the connection */
  SdbCost stmt;           /* the current or last statement: the record attached */
  SdbCost done;           /* the statements before it since the last reset */
  sqlite3_stmt *pKey;     /* the statement stmt counts (compared, never used), or NULL */
  int iKeyRun;            /* its SQLITE_STMTSTATUS_RUN then */
  i64 nKeyChanges;        /* sqlite3_total_changes64 then (it moves when a statement
                          ** that changed rows ends, never during one) */
  int bKeyUnknown;        /* pKey not found yet (the record began at an xUpdate
                          ** without the walk): the next walking call sets it */
  int bUpdateFailed;      /* an xUpdate of the record failed: the statement may
                          ** have ended without changing the total */
  int bEnded;             /* the statement ended: the next start is a new one */
  int nCursor;            /* cursors of slatedb tables open on the connection */
  int nTxn;               /* tables in a transaction (xBegin .. xCommit/xRollback) */
  int bLoaded;            /* sqlite3_slatedb_init completed on the connection */
  SdbExtCost *pNext;      /* the next connection's records in costList */
};

/* Every connection's records, guarded by costMutex (so are nRef and bLoaded). */
static pthread_mutex_t costMutex = PTHREAD_MUTEX_INITIALIZER;
static SdbExtCost *costList = 0;

/* A module as registered on one connection: SQLite's copy, the module it
** forwards to, and the connection's records. */
typedef struct CostModule {
  sqlite3_module m;       /* what SQLite sees: must be first */
  const sqlite3_module *pInner;   /* static, not owned */
  void *pInnerAux;        /* the inner module's client data, not owned */
  SdbExtCost *pCost;      /* one reference */
} CostModule;

/* See extInt.h. */
SdbExtCost *sdbExtCostGet(sqlite3 *db, int *pbLoaded) {
  pthread_mutex_lock(&costMutex);
  SdbExtCost *p = costList;
  while (p && p->db != db) p = p->pNext;
  if (p) {
    p->nRef++;
  } else if ((p = sqlite3_malloc64(sizeof(*p))) != 0) {
    memset(p, 0, sizeof(*p));
    p->nRef = 1;
    p->db = db;
    p->pNext = costList;
    costList = p;
  }
  *pbLoaded = p ? p->bLoaded : 0;
  pthread_mutex_unlock(&costMutex);
  return p;
}

/* See extInt.h. */
void sdbExtCostSetLoaded(SdbExtCost *p) {
  pthread_mutex_lock(&costMutex);
  p->bLoaded = 1;
  pthread_mutex_unlock(&costMutex);
}

/* Take one more reference to p. */
static void costRef(SdbExtCost *p) {
  pthread_mutex_lock(&costMutex);
  p->nRef++;
  pthread_mutex_unlock(&costMutex);
}

/* See extInt.h. */
void sdbExtCostUnref(void *pArg) {
  SdbExtCost *p = pArg;
  if (!p) return;
  pthread_mutex_lock(&costMutex);
  int bFree = --p->nRef == 0;
  if (bFree) {
    SdbExtCost **pp = &costList;
    while (*pp != p) pp = &(*pp)->pNext;
    *pp = p->pNext;
  }
  pthread_mutex_unlock(&costMutex);
  if (bFree) sqlite3_free(p);
}

/* The fields of a record, as an array (every field is a uint64_t). */
static uint64_t *costFields(SdbCost *p) { return (uint64_t *)p; }

/* Add the statement record to the sum and zero it. Read-ahead threads of a
** statement are joined before its cursors close, so none adds meanwhile;
** the atomic exchange keeps a straggler's add from being lost all the same. */
static void costFold(SdbExtCost *c) {
  uint64_t *aStmt = costFields(&c->stmt), *aDone = costFields(&c->done);
  for (int i = 0; i < COST_NFIELD; i++) {
    aDone[i] += __atomic_exchange_n(&aStmt[i], 0, __ATOMIC_RELAXED);
  }
}

#ifdef SDB_TESTHOOKS
long long sdbExtTestCostWalk = 0;
#endif

/* The running statement the call comes from: c->pKey if it is still busy
** (a statement stepped while another one is left open counts as that one),
** else the first busy statement, or NULL. */
static sqlite3_stmt *costRunning(SdbExtCost *c) {
  sqlite3_stmt *pFirst = 0;
  for (sqlite3_stmt *s = sqlite3_next_stmt(c->db, 0); s; s = sqlite3_next_stmt(c->db, s)) {
#ifdef SDB_TESTHOOKS
    sdbExtTestCostWalk++;
#endif
    if (!sqlite3_stmt_busy(s)) continue;
    if (s == c->pKey) return s;
    if (!pFirst) pFirst = s;
  }
  return pFirst;
}

/* Begin a new statement record for statement s (NULL: not known yet) at
** run iRun, with the connection's total of changes nChanges. */
static void costNewStatement(SdbExtCost *c, sqlite3_stmt *s, int iRun, i64 nChanges) {
  costFold(c);
  c->pKey = s;
  c->iKeyRun = iRun;
  c->nKeyChanges = nChanges;
  c->bKeyUnknown = 0;
  c->bUpdateFailed = 0;
  c->bEnded = 0;
}

/* A call that starts work: begin a new statement record if it comes from
** another statement than the record's (see the top of the file). */
static void costStart(SdbExtCost *c) {
  sqlite3_stmt *s = costRunning(c);
  int iRun = s ? sqlite3_stmt_status(s, SQLITE_STMTSTATUS_RUN, 0) : 0;
  i64 nChanges = sqlite3_total_changes64(c->db);
  if (!c->bEnded && nChanges == c->nKeyChanges) {
    if (s == 0) return;
    if (c->bKeyUnknown && !c->bUpdateFailed) {
      c->pKey = s;            /* the statement whose xUpdate began the record */
      c->iKeyRun = iRun;
      c->bKeyUnknown = 0;
      return;
    }
    if (!c->bKeyUnknown && s == c->pKey && iRun == c->iKeyRun) return;
  }
  costNewStatement(c, s, iRun, nChanges);
}

/* xUpdate while no cursor is open: as costStart, without the walk when the
** total of changes tells (see the top of the file). */
static void costStartUpdate(SdbExtCost *c) {
  if (c->bEnded || c->bUpdateFailed) {
    costStart(c);
    return;
  }
  i64 nChanges = sqlite3_total_changes64(c->db);
  if (nChanges == c->nKeyChanges) return;     /* the record's statement */
  costNewStatement(c, 0, 0, nChanges);        /* one that changed rows ended */
  c->bKeyUnknown = 1;
}

/* Attach c's statement record to this thread (bStart: the call starts work);
** returns the record attached before, for costLeave. */
static SdbCost *costEnter(SdbExtCost *c, int bStart) {
  if (bStart) costStart(c);
  return sdb_cost_attach(&c->stmt);
}

static void costLeave(SdbCost *pPrev) { sdb_cost_attach(pPrev); }

/* The connection records of a table or cursor of a wrapped module. */
static SdbExtCost *costOfVtab(sqlite3_vtab *v) { return ((const CostModule *)v->pModule)->pCost; }
static SdbExtCost *costOfCursor(sqlite3_vtab_cursor *c) { return costOfVtab(c->pVtab); }

/* ------------------------------------------------------------ wrapped methods */

static int costCreate(sqlite3 *db, void *pAux, int argc, const char *const *argv,
                      sqlite3_vtab **ppVtab, char **pzErr) {
  CostModule *m = pAux;
  SdbCost *pPrev = costEnter(m->pCost, 1);
  int rc = m->pInner->xCreate(db, m->pInnerAux, argc, argv, ppVtab, pzErr);
  m->pCost->bEnded = 1;       /* CREATE VIRTUAL TABLE does nothing else */
  costLeave(pPrev);
  return rc;
}

static int costConnect(sqlite3 *db, void *pAux, int argc, const char *const *argv,
                       sqlite3_vtab **ppVtab, char **pzErr) {
  CostModule *m = pAux;
  SdbCost *pPrev = costEnter(m->pCost, 1);
  int rc = m->pInner->xConnect(db, m->pInnerAux, argc, argv, ppVtab, pzErr);
  costLeave(pPrev);
  return rc;
}

/* The inner module of a table. */
static const sqlite3_module *costInner(sqlite3_vtab *v) {
  return ((const CostModule *)v->pModule)->pInner;
}

static int costOpen(sqlite3_vtab *pVtab, sqlite3_vtab_cursor **ppCursor) {
  SdbExtCost *c = costOfVtab(pVtab);
  SdbCost *pPrev = costEnter(c, 1);
  int rc = costInner(pVtab)->xOpen(pVtab, ppCursor);
  if (rc == SQLITE_OK) c->nCursor++;
  costLeave(pPrev);
  return rc;
}

static int costClose(sqlite3_vtab_cursor *pCursor) {
  sqlite3_vtab *pVtab = pCursor->pVtab;
  SdbExtCost *c = costOfVtab(pVtab);
  SdbCost *pPrev = costEnter(c, 0);
  int rc = costInner(pVtab)->xClose(pCursor);
  /* The statement ends with its cursors unless it commits next (autocommit). */
  if (c->nCursor > 0 && --c->nCursor == 0 && (c->nTxn == 0 || !sqlite3_get_autocommit(c->db))) {
    c->bEnded = 1;
  }
  costLeave(pPrev);
  return rc;
}

static int costFilter(sqlite3_vtab_cursor *pCursor, int idxNum, const char *idxStr, int argc,
                      sqlite3_value **argv) {
  SdbCost *pPrev = costEnter(costOfCursor(pCursor), 0);
  int rc = costInner(pCursor->pVtab)->xFilter(pCursor, idxNum, idxStr, argc, argv);
  costLeave(pPrev);
  return rc;
}

static int costNext(sqlite3_vtab_cursor *pCursor) {
  SdbCost *pPrev = costEnter(costOfCursor(pCursor), 0);
  int rc = costInner(pCursor->pVtab)->xNext(pCursor);
  costLeave(pPrev);
  return rc;
}

static int costUpdate(sqlite3_vtab *pVtab, int argc, sqlite3_value **argv, sqlite3_int64 *pRowid) {
  SdbExtCost *c = costOfVtab(pVtab);
  if (c->nCursor == 0) costStartUpdate(c);
  SdbCost *pPrev = costEnter(c, 0);
  int rc = costInner(pVtab)->xUpdate(pVtab, argc, argv, pRowid);
  if (rc != SQLITE_OK) c->bUpdateFailed = 1;
  costLeave(pPrev);
  return rc;
}

static int costBegin(sqlite3_vtab *pVtab) {
  SdbExtCost *c = costOfVtab(pVtab);
  SdbCost *pPrev = costEnter(c, 1);
  int rc = costInner(pVtab)->xBegin(pVtab);
  if (rc == SQLITE_OK) c->nTxn++;
  costLeave(pPrev);
  return rc;
}

/* xSync: a durable commit's WAL PUT is made here, in this thread. */
static int costSync(sqlite3_vtab *pVtab) {
  SdbCost *pPrev = costEnter(costOfVtab(pVtab), 1);
  int rc = costInner(pVtab)->xSync(pVtab);
  costLeave(pPrev);
  return rc;
}

/* xCommit and xRollback: the table's transaction ends. */
static int costEnd(sqlite3_vtab *pVtab, int bCommit) {
  SdbExtCost *c = costOfVtab(pVtab);
  SdbCost *pPrev = costEnter(c, 1);
  const sqlite3_module *pIn = costInner(pVtab);
  int rc = bCommit ? pIn->xCommit(pVtab) : pIn->xRollback(pVtab);
  if (c->nTxn > 0 && --c->nTxn == 0 && c->nCursor == 0) c->bEnded = 1;
  costLeave(pPrev);
  return rc;
}
static int costCommit(sqlite3_vtab *pVtab) { return costEnd(pVtab, 1); }
static int costRollback(sqlite3_vtab *pVtab) { return costEnd(pVtab, 0); }

/* xRollbackTo: a statement that failed in a transaction, or ROLLBACK TO,
** ends with it. */
static int costRollbackTo(sqlite3_vtab *pVtab, int iSavepoint) {
  SdbExtCost *c = costOfVtab(pVtab);
  SdbCost *pPrev = costEnter(c, 0);
  int rc = costInner(pVtab)->xRollbackTo(pVtab, iSavepoint);
  c->bEnded = 1;
  costLeave(pPrev);
  return rc;
}

/* Module destructor: drop the connection's records and the inner client data. */
static void costModuleFree(void *pArg) {
  CostModule *m = pArg;
  sdbExtCostUnref(m->pCost);
  sqlite3_free(m);
}

/* See extInt.h. */
int sdbExtCostCreateModule(sqlite3 *db, const char *zName, const sqlite3_module *pInner,
                           void *pInnerAux, SdbExtCost *pCost) {
  CostModule *m = sqlite3_malloc64(sizeof(*m));
  if (!m) return SQLITE_NOMEM;
  m->m = *pInner;
  m->pInner = pInner;
  m->pInnerAux = pInnerAux;
  m->pCost = pCost;
  costRef(pCost);
  /* Eponymous modules keep their shape: no xCreate, or xCreate == xConnect. */
  if (pInner->xCreate) m->m.xCreate = pInner->xCreate == pInner->xConnect ? costConnect : costCreate;
  if (pInner->xConnect) m->m.xConnect = costConnect;
  if (pInner->xOpen) m->m.xOpen = costOpen;
  if (pInner->xClose) m->m.xClose = costClose;
  if (pInner->xFilter) m->m.xFilter = costFilter;
  if (pInner->xNext) m->m.xNext = costNext;
  if (pInner->xUpdate) m->m.xUpdate = costUpdate;
  if (pInner->xBegin) m->m.xBegin = costBegin;
  if (pInner->xSync) m->m.xSync = costSync;
  if (pInner->xCommit) m->m.xCommit = costCommit;
  if (pInner->xRollback) m->m.xRollback = costRollback;
  if (pInner->iVersion >= 2 && pInner->xRollbackTo) m->m.xRollbackTo = costRollbackTo;
  /* On failure SQLite calls costModuleFree itself. */
  return sqlite3_create_module_v2(db, zName, &m->m, m, costModuleFree);
}

/* ------------------------------------------------------------ slatedb_cost */

static const char *const azCostCol[] = {
  "gets", "puts", "lists", "deletes", "heads", "bytes_in", "bytes_out", "retries",
  "disk_cache_hits", "disk_cache_misses", "disk_cache_bytes", "cache_hits", "cache_misses"
};
#define COST_NCOL ((int)(sizeof(azCostCol) / sizeof(azCostCol[0])))
#define COST_FIRST 2          /* columns scope, requests, then azCostCol (SdbCost's order) */

typedef struct CostVtab {
  sqlite3_vtab base;      /* Base class - must be first */
  SdbExtCost *pCost;      /* the connection's records, borrowed (the module holds one) */
} CostVtab;

typedef struct CostCursor {
  sqlite3_vtab_cursor base;   /* Base class - must be first */
  SdbCost aRow[2];        /* snapshot: the last statement, the connection */
  int iRow;
} CostCursor;

/* xConnect: declare the columns (DIRECTONLY, read-only). */
static int tabConnect(sqlite3 *db, void *pAux, int argc, const char *const *argv,
                      sqlite3_vtab **ppVtab, char **pzErr) {
  sqlite3_str *pStr = sqlite3_str_new(db);
  sqlite3_str_appendall(pStr, "CREATE TABLE x(scope TEXT, requests INTEGER");
  for (int i = 0; i < COST_NCOL; i++) sqlite3_str_appendf(pStr, ", %s INTEGER", azCostCol[i]);
  sqlite3_str_appendall(pStr, ")");
  char *zSql = sqlite3_str_finish(pStr);
  int rc = zSql ? sqlite3_declare_vtab(db, zSql) : SQLITE_NOMEM;
  sqlite3_free(zSql);
  if (rc != SQLITE_OK) return rc;
  sqlite3_vtab_config(db, SQLITE_VTAB_DIRECTONLY);
  CostVtab *p = sqlite3_malloc64(sizeof(*p));
  if (!p) return SQLITE_NOMEM;
  memset(p, 0, sizeof(*p));
  p->pCost = pAux;
  *ppVtab = &p->base;
  return SQLITE_OK;
}

static int tabDisconnect(sqlite3_vtab *pVtab) {
  sqlite3_free(pVtab);
  return SQLITE_OK;
}

/* xBestIndex: two rows, always scanned. */
static int tabBestIndex(sqlite3_vtab *pVtab, sqlite3_index_info *pInfo) {
  pInfo->estimatedCost = 2;
  pInfo->estimatedRows = 2;
  return SQLITE_OK;
}

static int tabOpen(sqlite3_vtab *pVtab, sqlite3_vtab_cursor **ppCursor) {
  CostCursor *p = sqlite3_malloc64(sizeof(*p));
  if (!p) return SQLITE_NOMEM;
  memset(p, 0, sizeof(*p));
  *ppCursor = &p->base;
  return SQLITE_OK;
}

static int tabClose(sqlite3_vtab_cursor *pCursor) {
  sqlite3_free(pCursor);
  return SQLITE_OK;
}

/* xFilter: snapshot the records; the statement they count has ended. */
static int tabFilter(sqlite3_vtab_cursor *pCursor, int idxNum, const char *idxStr, int argc,
                     sqlite3_value **argv) {
  CostCursor *p = (CostCursor *)pCursor;
  SdbExtCost *c = ((CostVtab *)pCursor->pVtab)->pCost;
  uint64_t *aStmt = costFields(&c->stmt), *aDone = costFields(&c->done);
  uint64_t *a0 = costFields(&p->aRow[0]), *a1 = costFields(&p->aRow[1]);
  for (int i = 0; i < COST_NFIELD; i++) {
    a0[i] = __atomic_load_n(&aStmt[i], __ATOMIC_RELAXED);
    a1[i] = a0[i] + aDone[i];
  }
  p->iRow = 0;
  c->bEnded = 1;
  return SQLITE_OK;
}

static int tabNext(sqlite3_vtab_cursor *pCursor) {
  ((CostCursor *)pCursor)->iRow++;
  return SQLITE_OK;
}

static int tabEof(sqlite3_vtab_cursor *pCursor) { return ((CostCursor *)pCursor)->iRow >= 2; }

static int tabColumn(sqlite3_vtab_cursor *pCursor, sqlite3_context *ctx, int iCol) {
  CostCursor *p = (CostCursor *)pCursor;
  SdbCost *r = &p->aRow[p->iRow];
  if (iCol == 0) {
    sqlite3_result_text(ctx, p->iRow == 0 ? "last statement" : "connection", -1, SQLITE_STATIC);
  } else if (iCol == 1) {
    sqlite3_result_int64(ctx, (i64)(r->nGet + r->nPut + r->nList + r->nDelete + r->nHead));
  } else {
    sqlite3_result_int64(ctx, (i64)costFields(r)[iCol - COST_FIRST]);
  }
  return SQLITE_OK;
}

static int tabRowid(sqlite3_vtab_cursor *pCursor, sqlite3_int64 *pRowid) {
  *pRowid = ((CostCursor *)pCursor)->iRow + 1;
  return SQLITE_OK;
}

static sqlite3_module costTabModule = {
  .iVersion = 0,
  .xCreate = 0,                   /* eponymous-only */
  .xConnect = tabConnect,
  .xBestIndex = tabBestIndex,
  .xDisconnect = tabDisconnect,
  .xDestroy = tabDisconnect,
  .xOpen = tabOpen,
  .xClose = tabClose,
  .xFilter = tabFilter,
  .xNext = tabNext,
  .xEof = tabEof,
  .xColumn = tabColumn,
  .xRowid = tabRowid,
};

/* slatedb_cost_reset(): zero the connection's records. Returns NULL. */
static void fnCostReset(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  SdbExtCost *c = sqlite3_user_data(ctx);
  uint64_t *aStmt = costFields(&c->stmt), *aDone = costFields(&c->done);
  for (int i = 0; i < COST_NFIELD; i++) {
    __atomic_store_n(&aStmt[i], 0, __ATOMIC_RELAXED);
    aDone[i] = 0;
  }
  c->bEnded = 1;
}

/* See extInt.h. */
int sdbExtRegisterCost(sqlite3 *db, SdbExtCost *pCost) {
  _Static_assert(COST_NCOL == COST_NFIELD, "a column per SdbCost field");
  costRef(pCost);
  int rc = sqlite3_create_module_v2(db, "slatedb_cost", &costTabModule, pCost, sdbExtCostUnref);
  if (rc != SQLITE_OK) return rc;
  costRef(pCost);
  return sqlite3_create_function_v2(db, "slatedb_cost_reset", 0,
                                    SQLITE_UTF8 | SQLITE_DIRECTONLY, pCost, fnCostReset, 0, 0,
                                    sdbExtCostUnref);
}
