/*
** slatedb_ext.c: the entry point of the loadable extension.
**
**   sqlite> .load ./slatedb          -- the shell calls sqlite3_slatedb_init
**   sqlite> SELECT slatedb_version();
**   sqlite> CREATE VIRTUAL TABLE kv USING slatedb('/data/mydb');
**
** Registers, on the connection that loads it:
**   - the module "slatedb" (vtab.c; not eponymous: xCreate != xConnect);
**   - the eponymous tables slatedb_handles and slatedb_checkpoints (vtab_info.c);
**   - the eponymous table slatedb_cost and slatedb_cost_reset() (cost.c);
**   - the table-valued function slatedb_read(url [, options]) (vtab_read.c);
**   - slatedb_version(): the engine's version string (sdb_version()).
** A second load on the same connection registers nothing (cost.c).
** Test programs that compile ext/ with -DSQLITE_CORE call
** sqlite3_slatedb_init directly or through sqlite3_auto_extension.
*/
#include "extInt.h"

SQLITE_EXTENSION_INIT1

/* slatedb_version(): the version string of the engine (core/slatedb.h). */
static void fnVersion(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  (void)argc;
  (void)argv;
  sqlite3_result_text(ctx, sdb_version(), -1, SQLITE_STATIC);
}

/*
** The extension entry point. Returns SQLITE_OK, or an error code with *pzErr
** set by SQLite's conventions (sqlite3_malloc'd).
*/
#ifdef _WIN32
__declspec(dllexport)
#endif
int sqlite3_slatedb_init(sqlite3 *db, char **pzErrMsg, const sqlite3_api_routines *pApi) {
  SQLITE_EXTENSION_INIT2(pApi);
  (void)pzErrMsg;
  int bLoaded = 0;
  SdbExtCost *pCost = sdbExtCostGet(db, &bLoaded);
  if (!pCost) return SQLITE_NOMEM;
  if (bLoaded) {              /* loaded before: the tables it made keep its records */
    sdbExtCostUnref(pCost);
    return SQLITE_OK;
  }
  int rc = sdbExtRegisterVtab(db, pCost);
  if (rc == SQLITE_OK) rc = sdbExtRegisterCost(db, pCost);
  if (rc == SQLITE_OK) rc = sdbExtRegisterRead(db, pCost);
  if (rc == SQLITE_OK) rc = sdbExtRegisterInfo(db);
  if (rc == SQLITE_OK) {
    rc = sqlite3_create_function(db, "slatedb_version", 0,
                                 SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, 0,
                                 fnVersion, 0, 0);
  }
  if (rc == SQLITE_OK) sdbExtCostSetLoaded(pCost);
  sdbExtCostUnref(pCost);
  return rc;
}
