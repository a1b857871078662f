/*
** vtab_read.c: slatedb_read, an eponymous-only table-valued function for
** ad-hoc reads without CREATE VIRTUAL TABLE:
**
**   SELECT * FROM slatedb_read('s3://bucket/db');
**   SELECT key, value FROM slatedb_read('/data/db', 'key_type=int64, cache_size=16MiB')
**    WHERE key BETWEEN 10 AND 20 ORDER BY key DESC LIMIT 5;
**
** Its schema (declared once per connection):
**
**   CREATE TABLE x(key NOT NULL, value NOT NULL, url HIDDEN,
**                  options HIDDEN, extra_arg HIDDEN, seq INTEGER HIDDEN,
**                  create_ts INTEGER HIDDEN, expire_ts INTEGER HIDDEN,
**                  PRIMARY KEY (key, url, options)) WITHOUT ROWID
**
** The primary key is (key, url, options), not key: one statement may read
** several databases (url IN (...), an OR of urls, a join), and SQLite trusts
** the primary key to tell rows apart (an OR's branches are merged on it,
** DISTINCT key is skipped when key is the whole key). So xColumn returns url
** and options for every row, options as '' when not given (a primary key
** column is NOT NULL; no options and '' mean the same). An options argument
** that is NULL (options = NULL) matches no row, as = NULL never holds.
**
** key and value have no declared type: the key_type= and value_type= of the
** options, known only when a statement runs, decide what they hold (SQLite
** then compares them without conversions, as stored). url and options are the
** two arguments; extra_arg catches a third (an error, as is any constraint on
** it). The arguments must be usable values when the scan starts (constants,
** parameters, or columns of tables to the left in a join): xBestIndex fails
** plans where they are not (SQLITE_CONSTRAINT); without a URL at all, xFilter
** fails the statement.
**
** It is always a reader: the options are those of CREATE VIRTUAL TABLE ...
** USING slatedb(url, ...) for mode=reader, parsed by the same code
** (vtab_args.c, options.c) from one string, comma-separated name=value, a
** value with a comma quoted ("..." or doubled '' inside the SQL literal);
** mode=reader may be written, mode=writer is an error.
**
** Handles. Each connection's slatedb_read keeps up to READ_NKEEP sources
** (URL and options string as written → parsed arguments and a reference on
** the process's shared handle, handles.c), most recently used first, and
** drops the least recently used idle one beyond that; a source in use by a
** cursor is never dropped. They are released when the connection closes
** (xDisconnect). So an analyst's successive statements on one database
** share one open handle (one open, one cache), a reader table on the same
** database and settings shares it too, and a connection holds at most
** READ_NKEEP idle handles. An idle reader handle does no I/O. A kept handle
** sees new commits as a reader table does: the engine refreshes it before a
** scan once poll_interval has passed, or when a writer of this process
** committed (no request per statement otherwise).
**
** Scans, pushdown (key =, IN, ranges, GLOB and LIKE prefixes, ORDER BY key,
** LIMIT) and xColumn are the cursor of vtab.c with the source as its table.
** The planner's row count is the engine's estimate of a kept source that
** constant arguments name, else a million (no source is opened to plan).
** DIRECTONLY: a view or trigger stored in a database file cannot call it.
*/
#include <string.h>

#include "extInt.h"

#define READ_NKEEP 4              /* idle sources kept per connection */
#define READ_NAME "slatedb_read"

/* One database as slatedb_read's arguments name it. */
typedef struct ReadSrc {
  SdbExtVtab tab;         /* the source table of cursors: args, handle, name (first) */
  char *zUrl;             /* the first argument as given (sqlite3_malloc'd) */
  char *zOpts;            /* the second, or NULL when not given (sqlite3_malloc'd) */
  int nCursor;            /* cursors reading it now */
  u64 iUsed;              /* ReadVtab.iClock at its last use (LRU) */
} ReadSrc;

/* The eponymous table of one connection. */
typedef struct ReadVtab {
  sqlite3_vtab base;      /* Base class - must be first */
  sqlite3 *db;
  ReadSrc **apSrc;        /* kept sources, owned */
  int nSrc, nAlloc;
  u64 iClock;             /* use counter */
  int eEnc;               /* the text encoding (sdbExtTextIsUtf16), 0 until asked */
} ReadVtab;

/* Free a source (unlisted): its handle reference and arguments. NULL-safe. */
static void readSrcFree(ReadSrc *p) {
  if (!p) return;
  sdbExtHandleRelease(p->tab.pHandle);
  sdbExtArgsFree(&p->tab.args);
  sqlite3_free(p->tab.zName);
  sqlite3_free(p->zUrl);
  sqlite3_free(p->zOpts);
  sqlite3_free(p);
}

/* Drop idle sources, least recently used first, while more than nKeep.
** Returns the number dropped. */
static int readTrim(ReadVtab *pTab, int nKeep) {
  int nDrop = 0;
  while (pTab->nSrc > nKeep) {
    int iOld = -1;
    for (int i = 0; i < pTab->nSrc; i++) {
      if (pTab->apSrc[i]->nCursor > 0) continue;
      if (iOld < 0 || pTab->apSrc[i]->iUsed < pTab->apSrc[iOld]->iUsed) iOld = i;
    }
    if (iOld < 0) break;                        /* all in use */
    readSrcFree(pTab->apSrc[iOld]);
    pTab->apSrc[iOld] = pTab->apSrc[--pTab->nSrc];
    nDrop++;
  }
  return nDrop;
}

/* xConnect: declare the schema (see the file comment). */
static int readConnect(sqlite3 *db, void *pAux, int argc, const char *const *argv,
                       sqlite3_vtab **ppVtab, char **pzErr) {
  int rc = sqlite3_declare_vtab(db, "CREATE TABLE x(key NOT NULL, value NOT NULL,"
                                    " url HIDDEN, options HIDDEN, extra_arg HIDDEN,"
                                    " seq INTEGER HIDDEN, create_ts INTEGER HIDDEN,"
                                    " expire_ts INTEGER HIDDEN, PRIMARY KEY (key, url, options)) WITHOUT ROWID");
  if (rc != SQLITE_OK) return rc;
  sqlite3_vtab_config(db, SQLITE_VTAB_DIRECTONLY);
  ReadVtab *p = sqlite3_malloc64(sizeof(*p));
  if (!p) return SQLITE_NOMEM;
  memset(p, 0, sizeof(*p));
  p->db = db;
  *ppVtab = &p->base;
  return SQLITE_OK;
}

/* xDisconnect: release every kept source (no cursor is open). */
static int readDisconnect(sqlite3_vtab *pVtab) {
  ReadVtab *p = (ReadVtab *)pVtab;
  readTrim(p, 0);
  sqlite3_free(p->apSrc);
  sqlite3_free(p->base.zErrMsg);
  sqlite3_free(p);
  return SQLITE_OK;
}

/* xOpen: a cursor without a source yet (xFilter picks it). */
static int readOpen(sqlite3_vtab *pVtab, sqlite3_vtab_cursor **ppCursor) {
  return sdbExtCursorNew(0, ppCursor);
}

/* The source of a cursor, or NULL. */
static ReadSrc *readCursorSrc(sqlite3_vtab_cursor *pCursor) {
  return (ReadSrc *)sdbExtCursorSource(pCursor);   /* tab is ReadSrc's first member */
}

/* xClose: the cursor stops using its source; trim the kept ones. */
static int readClose(sqlite3_vtab_cursor *pCursor) {
  ReadVtab *pTab = (ReadVtab *)pCursor->pVtab;
  ReadSrc *pSrc = readCursorSrc(pCursor);
  if (pSrc) pSrc->nCursor--;
  sdbExtCursorClose(pCursor);
  readTrim(pTab, READ_NKEEP);
  return SQLITE_OK;
}

/* True if two optional strings are equal. */
static int readStrEq(const char *a, const char *b) {
  return (a == 0 || b == 0) ? a == b : strcmp(a, b) == 0;
}

/* The kept source for (zUrl, zOpts), or NULL. */
static ReadSrc *readFind(ReadVtab *pTab, const char *zUrl, const char *zOpts) {
  for (int i = 0; i < pTab->nSrc; i++) {
    ReadSrc *p = pTab->apSrc[i];
    if (strcmp(p->zUrl, zUrl) == 0 && readStrEq(p->zOpts, zOpts)) return p;
  }
  return 0;
}

/*
** The constant text or NULL (*pz = 0) that constraint i of pInfo compares
** column iCol with (an EQ term), valid during xBestIndex. 1 if there is none
** (*pz = 0), 0 if the term is there but its value is not known here.
*/
static int readRhsText(sqlite3_index_info *pInfo, int iCol, const char **pz) {
  *pz = 0;
  for (int i = 0; i < pInfo->nConstraint; i++) {
    const struct sqlite3_index_constraint *pCons = &pInfo->aConstraint[i];
    if (pCons->iColumn != iCol || pCons->op != SQLITE_INDEX_CONSTRAINT_EQ || !pCons->usable) {
      continue;
    }
    sqlite3_value *pVal = 0;
    if (sqlite3_vtab_rhs_value(pInfo, i, &pVal) != SQLITE_OK || !pVal) return 0;
    int eType = sqlite3_value_type(pVal);
    if (eType == SQLITE_TEXT) *pz = (const char *)sqlite3_value_text(pVal);
    return eType == SQLITE_NULL || (eType == SQLITE_TEXT && *pz);
  }
  return 1;
}

/*
** The rows the planner assumes: when the arguments are constants and name a
** kept source, its engine estimate (sdb_db_estimate: no I/O); else, as for a
** table not open yet, a million.
*/
static double readEstRows(ReadVtab *pTab, sqlite3_index_info *pInfo) {
  const char *zUrl = 0, *zOpts = 0;
  if (!readRhsText(pInfo, SDB_RCOL_URL, &zUrl) || !zUrl) return 1e6;
  if (!readRhsText(pInfo, SDB_RCOL_OPTIONS, &zOpts)) return 1e6;
  ReadSrc *pSrc = readFind(pTab, zUrl, zOpts);
  if (!pSrc) return 1e6;
  uint64_t nRows = 0, nBytes = 0;
  sdb_db_estimate(sdbExtHandleDb(pSrc->tab.pHandle), &nRows, &nBytes);
  return nRows > 0 ? (double)nRows : 1.0;
}

/* xBestIndex: vtab_plan.c with slatedb_read's columns. The key type is not
** known yet: planned as text (non-constant key terms are re-checked; a
** pushed LIKE gets its range in xFilter for text and blob keys only). The
** rows: see readEstRows. */
static int readBestIndex(sqlite3_vtab *pVtab, sqlite3_index_info *pInfo) {
  int bNoOmit = 0;
#ifdef SDB_TESTHOOKS
  bNoOmit = sdbExtTestNoOmit;
#endif
  ReadVtab *p = (ReadVtab *)pVtab;
  int rc = sdbExtBestIndexCols(p->db, pInfo, readEstRows(p, pInfo), SDB_KEY_TEXT, bNoOmit, 0,
                               &p->eEnc, &sdbExtPlanColsRead);
  if (rc == SDB_PLAN_EXTRA_ARG) {
    return sdbExtVtabError(pVtab, SQLITE_ERROR, sqlite3_mprintf(
        "slatedb: " READ_NAME " takes at most 2 arguments: a URL and an options string, as in "
        READ_NAME "('s3://bucket/db', 'key_type=blob, value_type=blob')"));
  }
  return rc;
}

/* True if option text z (one piece of the options string) names mode=. */
static int readIsMode(const char *z, int n) {
  while (n > 0 && (*z == ' ' || *z == '\t' || *z == '\n' || *z == '"' || *z == '\'')) { z++; n--; }
  return n >= 4 && sqlite3_strnicmp(z, "mode", 4) == 0 &&
         (n == 4 || z[4] == '=' || z[4] == ' ' || z[4] == '\t' || z[4] == '"' || z[4] == '\'');
}

/*
** Split zOpts at the commas outside quotes ('...', "...", `...`, [...]) and
** append each non-blank piece to azArg (room for all of them), as
** sqlite3_malloc'd copies. *pbMode: a piece names mode=. SQLITE_OK or NOMEM.
*/
static int readSplit(const char *zOpts, char **azArg, int *pnArg, int *pbMode) {
  const char *zStart = zOpts;
  char cClose = 0;
  for (const char *z = zOpts;; z++) {
    if (*z && cClose) {
      if (*z == cClose) cClose = 0;
      continue;
    }
    if (*z == '\'' || *z == '"' || *z == '`' || *z == '[') {
      cClose = *z == '[' ? ']' : *z;
      continue;
    }
    if (*z != ',' && *z != 0) continue;
    int n = (int)(z - zStart);
    if ((int)strspn(zStart, " \t\r\n") < n) {
      if (readIsMode(zStart, n)) *pbMode = 1;
      azArg[*pnArg] = sqlite3_mprintf("%.*s", n, zStart);
      if (!azArg[(*pnArg)++]) return SQLITE_NOMEM;
    }
    if (*z == 0) return SQLITE_OK;
    zStart = z + 1;
  }
}

/*
** Parse the arguments into *pArgs as CREATE VIRTUAL TABLE ... USING
** slatedb('<zUrl>', <options>) would, as a reader. SQLITE_OK, or an error with
** *pzErr set (sqlite3_malloc'd).
*/
static int readParse(const char *zUrl, const char *zOpts, SdbExtArgs *pArgs, char **pzErr) {
  int nMax = 6;                  /* 4 fixed, mode=, one piece more than commas */
  for (const char *z = zOpts; z && *z; z++) nMax += *z == ',';
  char **azArg = sqlite3_malloc64(sizeof(char *) * (u64)nMax);
  int nArg = 0, bMode = 0, rc = SQLITE_NOMEM;
  if (!azArg) return SQLITE_NOMEM;
  memset(azArg, 0, sizeof(char *) * (size_t)nMax);
  azArg[nArg++] = sqlite3_mprintf("slatedb");
  azArg[nArg++] = sqlite3_mprintf("main");
  azArg[nArg++] = sqlite3_mprintf(READ_NAME);
  azArg[nArg++] = sqlite3_mprintf("%Q", zUrl);
  if (azArg[0] && azArg[1] && azArg[2] && azArg[3]) {
    rc = zOpts ? readSplit(zOpts, azArg, &nArg, &bMode) : SQLITE_OK;
  }
  if (rc == SQLITE_OK && !bMode) {
    azArg[nArg] = sqlite3_mprintf("mode=reader");
    if (!azArg[nArg++]) rc = SQLITE_NOMEM;
  }
  if (rc == SQLITE_OK) rc = sdbExtArgsParse(nArg, (const char *const *)azArg, pArgs, pzErr);
  if (rc == SQLITE_OK && pArgs->bWriter) {
    sdbExtArgsFree(pArgs);
    *pzErr = sqlite3_mprintf("slatedb: " READ_NAME " only reads: mode=writer is not allowed (to"
                             " write, CREATE VIRTUAL TABLE name USING slatedb(..., mode=writer))");
    rc = *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
  }
  for (int i = 0; i < nArg; i++) sqlite3_free(azArg[i]);
  sqlite3_free(azArg);
  return rc;
}

/* Open a new source for (zUrl, zOpts) and keep it. SQLITE_OK with *ppSrc, or
** an error with *pzErr set and *pbOpen set if the arguments were good and the
** handle did not open (or could not be shared). */
static int readSrcNew(ReadVtab *pTab, const char *zUrl, const char *zOpts, ReadSrc **ppSrc,
                      char **pzErr, int *pbOpen) {
  ReadSrc *p = sqlite3_malloc64(sizeof(*p));
  if (!p) return SQLITE_NOMEM;
  memset(p, 0, sizeof(*p));
  p->zUrl = sqlite3_mprintf("%s", zUrl);
  p->zOpts = zOpts ? sqlite3_mprintf("%s", zOpts) : 0;
  p->tab.zName = sqlite3_mprintf(READ_NAME);
  p->tab.db = pTab->db;
  p->tab.bUntypedKey = 1;
  int rc = (!p->zUrl || (zOpts && !p->zOpts) || !p->tab.zName) ? SQLITE_NOMEM : SQLITE_OK;
  if (rc == SQLITE_OK) rc = readParse(zUrl, zOpts, &p->tab.args, pzErr);
  if (rc == SQLITE_OK) {
    rc = sdbExtHandleAcquire(&p->tab.args, &p->tab.pHandle, pzErr);
    *pbOpen = rc != SQLITE_OK;
  }
  if (rc == SQLITE_OK && pTab->nSrc >= pTab->nAlloc) {
    int nNew = pTab->nAlloc ? pTab->nAlloc * 2 : READ_NKEEP;
    ReadSrc **apNew = sqlite3_realloc64(pTab->apSrc, sizeof(ReadSrc *) * (u64)nNew);
    if (apNew) { pTab->apSrc = apNew; pTab->nAlloc = nNew; }
    else rc = SQLITE_NOMEM;
  }
  if (rc != SQLITE_OK) { readSrcFree(p); return rc; }
  pTab->apSrc[pTab->nSrc++] = p;
  *ppSrc = p;
  return SQLITE_OK;
}

/* Check the argument values: a text URL, text or NULL options. */
static int readCheckArgs(sqlite3_vtab *pVtab, sqlite3_value *pUrl, sqlite3_value *pOpts) {
  static const char *const azType[] = { "", "an integer", "a real", "text", "a blob", "NULL" };
  if (!pUrl) {
    return sdbExtVtabError(pVtab, SQLITE_ERROR, sqlite3_mprintf(
        "slatedb: " READ_NAME " needs a URL as its first argument: " READ_NAME "('/path/to/db'),"
        " " READ_NAME "('file:///path/to/db') or " READ_NAME "('s3://bucket/prefix')"));
  }
  int eUrl = pUrl ? sqlite3_value_type(pUrl) : SQLITE_NULL;
  int eOpts = pOpts ? sqlite3_value_type(pOpts) : SQLITE_NULL;
  if (eUrl != SQLITE_TEXT) {
    return sdbExtVtabError(pVtab, SQLITE_ERROR, sqlite3_mprintf(
        "slatedb: " READ_NAME "'s first argument must be the database URL as text (a directory"
        " path, file:///absolute/path or s3://bucket/prefix), not %s", azType[eUrl]));
  }
  if (eOpts != SQLITE_TEXT && eOpts != SQLITE_NULL) {
    return sdbExtVtabError(pVtab, SQLITE_ERROR, sqlite3_mprintf(
        "slatedb: " READ_NAME "'s second argument must be the options as text, such as"
        " 'key_type=blob, cache_size=16MiB', not %s", azType[eOpts]));
  }
  return SQLITE_OK;
}

/* The source for the argument values (kept or new). SQLITE_OK with *ppSrc,
** or an error. */
static int readSource(sqlite3_vtab_cursor *pCursor, sqlite3_value *pUrl, sqlite3_value *pOpts,
                      ReadSrc **ppSrc) {
  ReadVtab *pTab = (ReadVtab *)pCursor->pVtab;
  int rc = readCheckArgs(&pTab->base, pUrl, pOpts);
  if (rc != SQLITE_OK) return rc;
  const char *zUrl = (const char *)sqlite3_value_text(pUrl);
  const char *zOpts = pOpts ? (const char *)sqlite3_value_text(pOpts) : 0;
  if (!zUrl) return SQLITE_NOMEM;
  ReadSrc *pSrc = readFind(pTab, zUrl, zOpts);
  char *zErr = 0;
  if (!pSrc) {
    int bOpen = 0;
    rc = readSrcNew(pTab, zUrl, zOpts, &pSrc, &zErr, &bOpen);
    if (rc == SQLITE_ERROR && bOpen && readTrim(pTab, 0) > 0) {
      /* Maybe a kept handle of the same database with other settings (say
      ** merge_operator) was in the way: retry without the idle ones. */
      sqlite3_free(zErr);
      zErr = 0;
      rc = readSrcNew(pTab, zUrl, zOpts, &pSrc, &zErr, &bOpen);
    }
    if (rc != SQLITE_OK) return zErr ? sdbExtVtabError(&pTab->base, rc, zErr) : rc;
  }
  pSrc->iUsed = ++pTab->iClock;
  *ppSrc = pSrc;
  return SQLITE_OK;
}

/* xFilter: find the source the arguments name, then scan it as vtab.c does.
** The source the cursor read before is released, and the idle kept sources
** trimmed to READ_NKEEP at once (not only when the cursor closes). */
static int readFilter(sqlite3_vtab_cursor *pCursor, int idxNum, const char *idxStr, int argc,
                      sqlite3_value **argv) {
  SdbExtPlan plan;
  sqlite3_value *pUrl = 0, *pOpts = 0;
  if (sdbExtPlanParse(idxStr, argc, &plan) == SQLITE_OK) {
    for (int i = 0; i < plan.nArg; i++) {
      if (plan.aRole[i] == SDB_ARG_URL) pUrl = argv[i];
      if (plan.aRole[i] == SDB_ARG_OPTIONS) pOpts = argv[i];
    }
  }
  if (pOpts && sqlite3_value_type(pOpts) == SQLITE_NULL) {
    int rc = readCheckArgs(pCursor->pVtab, pUrl, pOpts);
    return rc != SQLITE_OK ? rc : sdbExtCursorEmpty(pCursor);   /* options = NULL */
  }
  ReadSrc *pSrc = 0, *pOld = readCursorSrc(pCursor);
  int rc = readSource(pCursor, pUrl, pOpts, &pSrc);
  if (rc != SQLITE_OK) return rc;
  if (pSrc != pOld) {
    pSrc->nCursor++;
    sdbExtCursorSetSource(pCursor, &pSrc->tab);
    if (pOld) pOld->nCursor--;
    readTrim((ReadVtab *)pCursor->pVtab, READ_NKEEP);  /* a join with a URL per row */
  }
  return sdbExtCursorFilter(pCursor, idxNum, idxStr, argc, argv);
}

/* xColumn: the arguments, NULL for extra_arg, else vtab.c's columns. */
static int readColumn(sqlite3_vtab_cursor *pCursor, sqlite3_context *ctx, int iCol) {
  ReadSrc *pSrc = readCursorSrc(pCursor);
  switch (iCol) {
    case SDB_RCOL_URL:
      sqlite3_result_text(ctx, pSrc->zUrl, -1, SQLITE_TRANSIENT);
      return SQLITE_OK;
    case SDB_RCOL_OPTIONS:
      sqlite3_result_text(ctx, pSrc->zOpts ? pSrc->zOpts : "", -1, SQLITE_TRANSIENT);
      return SQLITE_OK;
    case SDB_RCOL_EXTRA:
      return SQLITE_OK;
    default:
      return sdbExtCursorColumn(pCursor, ctx, iCol < SDB_RCOL_SEQ ? iCol : iCol - 1);
  }
}

/* xRowid: never called for a WITHOUT ROWID table. */
static int readRowid(sqlite3_vtab_cursor *pCursor, sqlite3_int64 *pRowid) {
  *pRowid = 0;
  return SQLITE_ERROR;
}

static sqlite3_module readModule = {
  .iVersion = 2,
  .xCreate = 0,                 /* eponymous-only */
  .xConnect = readConnect,
  .xBestIndex = readBestIndex,
  .xDisconnect = readDisconnect,
  .xDestroy = readDisconnect,
  .xOpen = readOpen,
  .xClose = readClose,
  .xFilter = readFilter,
  .xNext = sdbExtCursorNext,
  .xEof = sdbExtCursorEof,
  .xColumn = readColumn,
  .xRowid = readRowid,
};

/* See extInt.h. */
int sdbExtRegisterRead(sqlite3 *db, SdbExtCost *pCost) {
  return sdbExtCostCreateModule(db, READ_NAME, &readModule, 0, pCost);
}
