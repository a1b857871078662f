/*
** vtab_write.c: the write side of the slatedb module (design/SQL.md §4.8,
** §4.9, §4.11): xUpdate, the table commands, and the transaction methods.
**
**   INSERT INTO kv VALUES ('user:1', '{"name":"ada"}');   -- durable on return
**   BEGIN; INSERT ...; DELETE ...; COMMIT;                 -- one atomic batch
**   INSERT INTO kv(kv) VALUES ('flush');                   -- a command
**
** Transactions. One SQLite transaction (one statement in autocommit) is one
** SdbBatch per database, committed by one sdb_db_write in xSync: one
** sequence number, one WAL SST. xSync's error reaches the user and SQLite
** then calls xRollback; xCommit only releases (SQLite ignores its return
** value). xBegin runs lazily at the first write and takes the database's
** writer lock (handles.c), waiting up to busy_timeout while another
** connection of this process holds it: SQLITE_BUSY "database is locked by
** another connection in this process". The lock and the batch belong to the
** shared handle and are re-entrant per connection: all slatedb tables of one
** connection that name one database write into, and read through, the same
** batch, committed by the first of their xSync calls (the others find it
** empty). A transaction that writes two different databases (or slatedb
** plus native tables) is atomic per database only. Savepoint marks are per
** table: xSavepoint(i) records the batch length, xRollbackTo(i) truncates to
** it (to the length when the table joined for i < 0 or a missing mark: the
** state at its xBegin), xRelease(i) forgets marks >= i. durability=commit
** waits until the WAL SST is stored (if any table of the transaction asks
** for it); durability=async returns once the rows are visible and the
** engine's flusher stores them within flush_interval ('flush' forces it).
**
** xUpdate, per statement:
**   INSERT             duplicate key -> "UNIQUE constraint failed: kv.key"
**                      (SQLITE_CONSTRAINT_PRIMARYKEY), checked by a point
**                      read of committed data plus the batch; OR IGNORE / OR
**                      FAIL / OR ROLLBACK work through CONSTRAINT_SUPPORT,
**                      since every check runs before the batch changes
**   INSERT OR REPLACE  a blind put (no read): the bulk-load path
**   UPDATE SET value   put(key, value), keeping the row's expire_ts unless
**                      expire_ts or ttl is set
**   UPDATE SET key     delete(old) + put(new); reads the old value when the
**                      statement does not set it; a new key that exists is a
**                      UNIQUE error unless OR REPLACE
**   DELETE             a blind tombstone
** NULL key or value -> "NOT NULL constraint failed: kv.key" / "kv.value";
** wrong key type -> SQLITE_MISMATCH; empty key -> SQLITE_CONSTRAINT_CHECK;
** key > 65535 bytes -> SQLITE_TOOBIG (keycodec.c). Values are stored as
** bytes: value_type=text stores numbers as their text, a BLOB as its bytes.
** ttl (ms from the COMMIT that writes the row, as SlateDB's Ttl::ExpireAfter
** counts from the write; until then a read shows now + ttl) or expire_ts
** (absolute ms since 1970) give the row an
** expiry; an INSERT may set only one of them, an UPDATE's ttl wins over the
** carried-over expire_ts. Writing seq, create_ts or prefix is an error
** (SQLITE_ERROR, so that OR IGNORE does not hide it). A mode=reader table
** answers every write with SQLITE_READONLY; its xBegin still succeeds so
** that the 'refresh' command works (a write that matches no row therefore
** succeeds on a reader).
**
** Commands (INSERT INTO kv(kv) VALUES('<command>'); run at once, not undone
** by ROLLBACK, and they do not commit the open transaction's rows):
**   'flush'            make committed durability=async writes durable
**   'flush-memtable'   write the memtable as an L0 SST
**   'compact'          a full compaction: every L0 and run into one run
**   'gc [min age]'     garbage-collect now (default min age: gc_min_age)
**   'checkpoint [lifetime]'   add a checkpoint of the current state
**   'checkpoint-delete <id>'  remove a checkpoint
**   'refresh'          re-read the manifest and WAL (readers; a writer
**                      checks whether a newer writer fenced it)
**
** A fenced writer (SDB_FENCED: a newer writer opened the database) answers
** the commit, and every later write at xBegin, with SQLITE_READONLY and a
** message that says so; reads keep working. A commit whose WAL PUT got no
** settling answer within request_timeout (SDB_UNKNOWN) is SQLITE_IOERR with
** "slatedb: commit outcome unknown: ...": it may have been stored; the
** engine settles it before the next write (docs/sql.md, Writing, "Unknown outcomes").
*/
#include <stdarg.h>
#include <string.h>
#include <time.h>

#include "extInt.h"

/* One row of an INSERT or UPDATE, decoded from argv. */
typedef struct WriteRow {
  SdbExtKey key;          /* the (new) key; owned */
  SdbExtKey oldKey;       /* UPDATE: the key before; owned */
  int bUpdate;            /* an UPDATE (else an INSERT) */
  int bRename;            /* UPDATE that changes the key bytes */
  sqlite3_value *pVal;    /* the value, or NULL when the UPDATE keeps it */
  i64 expireTs;           /* ms since 1970; 0 = no expiry (with ttl: now + ttlMs) */
  int bTtl;               /* the row set ttl */
  i64 ttlMs;              /* the ttl, counted from COMMIT (SlateDB's ExpireAfter); 0 = none */
} WriteRow;

/* A row as stored, read back for an UPDATE. */
typedef struct WriteOld {
  u8 *aVal;               /* value bytes; sqlite3_malloc'd, owned */
  size_t nVal;
  i64 expireTs;           /* 0 = none */
} WriteOld;

/* The table behind pVtab. */
static SdbExtVtab *writeTab(sqlite3_vtab *pVtab) {
  return (SdbExtVtab *)pVtab;
}

/* Set the table's error to a formatted message. Returns rc (or NOMEM). */
static int writeError(SdbExtVtab *p, int rc, const char *zFmt, ...) {
  va_list ap;
  va_start(ap, zFmt);
  char *zMsg = sqlite3_vmprintf(zFmt, ap);
  va_end(ap);
  return sdbExtVtabError(&p->base, rc, zMsg);
}

/* The error of every write to a mode=reader table. */
static int writeReadOnly(SdbExtVtab *p) {
  return writeError(p, SQLITE_READONLY, "slatedb: table %s is read-only (mode=reader): to write,"
                    " DROP TABLE %s (this deletes no data) and create it again with mode=writer",
                    p->zName, p->zName);
}

/* The wall clock in ms since 1970. */
static i64 writeNowMs(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (i64)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* argv entry of column iCol in an INSERT/UPDATE call. */
static sqlite3_value *writeArg(sqlite3_value **argv, int iCol) {
  return argv[2 + iCol];
}

/* True if an UPDATE/INSERT argument carries a value (not NULL, not "unchanged"). */
static int writeIsSet(sqlite3_value *pVal) {
  return !sqlite3_value_nochange(pVal) && sqlite3_value_type(pVal) != SQLITE_NULL;
}

/* Release what a WriteRow owns. */
static void writeRowFree(WriteRow *r) {
  sqlite3_free(r->key.a);
  sqlite3_free(r->oldKey.a);
  memset(r, 0, sizeof(*r));
}

/* ------------------------------------------------------------ decoding */

/* Encode key value pVal into *pKey; errors go to the table. */
static int writeKey(SdbExtVtab *p, sqlite3_value *pVal, SdbExtKey *pKey) {
  char *zErr = 0;
  int rc = sdbExtKeyEncode(p->args.eKeyType, pVal, pKey, &zErr);
  if (rc != SQLITE_OK) return sdbExtVtabError(&p->base, rc, zErr);
  return SQLITE_OK;
}

/*
** The integer number of milliseconds in pVal (column zCol), with INTEGER
** affinity: an integral REAL or numeric text is accepted. Must be positive.
*/
static int writeMillis(SdbExtVtab *p, sqlite3_value *pVal, const char *zCol, i64 *pMs) {
  sqlite3_value *pDup = sqlite3_value_dup(pVal);
  if (!pDup) return SQLITE_NOMEM;
  int eType = sqlite3_value_numeric_type(pDup);
  double x = sqlite3_value_double(pDup);
  int bReal = eType == SQLITE_FLOAT && x > -9.2e18 && x < 9.2e18 && x == (double)(i64)x;
  int bOk = eType == SQLITE_INTEGER || bReal;
  *pMs = eType == SQLITE_INTEGER ? sqlite3_value_int64(pDup) : bReal ? (i64)x : 0;
  sqlite3_value_free(pDup);
  if (!bOk) {
    return writeError(p, SQLITE_MISMATCH, "slatedb: column %s takes an integer number of"
                      " milliseconds", zCol);
  }
  if (*pMs <= 0) {
    return writeError(p, SQLITE_ERROR, "slatedb: column %s must be positive (got %lld)", zCol,
                      (long long)*pMs);
  }
  return SQLITE_OK;
}

/* The expiry a row asks for: ttl (ms from now) wins over expire_ts. */
static int writeExpiry(SdbExtVtab *p, sqlite3_value **argv, WriteRow *r) {
  sqlite3_value *pExp = writeArg(argv, SDB_COL_EXPIRE_TS), *pTtl = writeArg(argv, SDB_COL_TTL);
  i64 ms = 0;
  int rc = SQLITE_OK;
  r->expireTs = 0;
  r->ttlMs = 0;
  r->bTtl = writeIsSet(pTtl);
  if (r->bTtl && !r->bUpdate && writeIsSet(pExp)) {
    return writeError(p, SQLITE_ERROR, "slatedb: set either expire_ts or ttl, not both");
  }
  if (r->bTtl) {
    rc = writeMillis(p, pTtl, "ttl", &ms);
    i64 now = writeNowMs();
    if (rc == SQLITE_OK && ms > INT64_MAX - now) {
      rc = writeError(p, SQLITE_ERROR, "slatedb: ttl %lld is too large", (long long)ms);
    }
    if (rc == SQLITE_OK) {
      r->expireTs = now + ms;
      r->ttlMs = ms;
    }
  } else if (writeIsSet(pExp)) {
    rc = writeMillis(p, pExp, "expire_ts", &r->expireTs);
  }
  return rc;
}

/* Reject writes to the read-only columns (INSERT: prefix too). */
static int writeCheckReadOnlyCols(SdbExtVtab *p, sqlite3_value **argv, int bUpdate) {
  static const int aCol[] = { SDB_COL_SEQ, SDB_COL_CREATE_TS, SDB_COL_EXTRA, SDB_COL_PREFIX };
  static const char *const azCol[] = { "seq", "create_ts", "extra_arg", "prefix" };
  for (int i = 0; i < (bUpdate ? 3 : 4); i++) {
    if (writeIsSet(writeArg(argv, aCol[i]))) {
      return writeError(p, SQLITE_ERROR, "slatedb: column %s is read-only", azCol[i]);
    }
  }
  return SQLITE_OK;
}

/* NOT NULL checks of key and value, with SQLite's own message. */
static int writeCheckNotNull(SdbExtVtab *p, sqlite3_value **argv) {
  if (sqlite3_value_type(writeArg(argv, SDB_COL_KEY)) == SQLITE_NULL) {
    return writeError(p, SQLITE_CONSTRAINT_NOTNULL, "NOT NULL constraint failed: %s.key", p->zName);
  }
  sqlite3_value *pVal = writeArg(argv, SDB_COL_VALUE);
  if (!sqlite3_value_nochange(pVal) && sqlite3_value_type(pVal) == SQLITE_NULL) {
    return writeError(p, SQLITE_CONSTRAINT_NOTNULL, "NOT NULL constraint failed: %s.value",
                      p->zName);
  }
  return SQLITE_OK;
}

/* Decode the argv of an INSERT (argv[0] NULL) or UPDATE into *r. */
static int writeDecode(SdbExtVtab *p, int argc, sqlite3_value **argv, WriteRow *r) {
  memset(r, 0, sizeof(*r));
  r->bUpdate = sqlite3_value_type(argv[0]) != SQLITE_NULL;
  int rc = writeCheckNotNull(p, argv);
  if (rc == SQLITE_OK) rc = writeCheckReadOnlyCols(p, argv, r->bUpdate);
  if (rc == SQLITE_OK) rc = writeKey(p, writeArg(argv, SDB_COL_KEY), &r->key);
  if (rc == SQLITE_OK && r->bUpdate) {
    rc = writeKey(p, argv[0], &r->oldKey);
    r->bRename = rc == SQLITE_OK && sdbExtKeyCmp(r->key.a, r->key.n, r->oldKey.a, r->oldKey.n) != 0;
  }
  if (rc == SQLITE_OK) rc = writeExpiry(p, argv, r);
  sqlite3_value *pVal = writeArg(argv, SDB_COL_VALUE);
  r->pVal = sqlite3_value_nochange(pVal) ? 0 : pVal;
  return rc;
}

/* ------------------------------------------------------------ engine calls */

/* The engine database of a table. REQUIRES: the handle is open. */
static SdbDb *writeDb(SdbExtVtab *p) {
  return sdbExtHandleDb(p->pHandle);
}

/*
** Point-read key k with the transaction's uncommitted writes applied. Sets
** *pbFound; with pOld non-NULL also copies the row's value and expiry.
*/
static int writeLookup(SdbExtVtab *p, const SdbExtKey *k, int *pbFound, WriteOld *pOld) {
  SdbRange r;
  SdbIter *pIter = 0;
  SdbErr err;
  memset(&r, 0, sizeof(r));
  sdb_err_clear(&err);
  r.pLo = r.pHi = k->a;
  r.nLo = r.nHi = (size_t)k->n;
  r.bHasLo = r.bHasHi = 1;
  /* Without an operation on k in the batch, the overlay cannot change what
  ** the database says about k: scan the database alone (a smaller stack). */
  SdbBatch *pOverlay = sdb_batch_has_key(p->txn.pBatch, k->a, (size_t)k->n) ? p->txn.pBatch : 0;
  /* Nor, then, can an empty database hold k (no iterator to build). */
  if (!pOverlay && !sdb_db_may_hold_any(writeDb(p))) {
    *pbFound = 0;
    return SQLITE_OK;
  }
  int rc = sdb_db_scan_overlay(writeDb(p), pOverlay, &r, 0, &pIter, &err);
  if (rc != SDB_OK) return sdbExtVtabEngineError(&p->base, &err, rc);
  *pbFound = !pIter->bEof;
  if (*pbFound && pOld) {
    const SdbEntry *e = &pIter->cur;
    pOld->aVal = sqlite3_malloc64(e->nVal + 1);
    if (pOld->aVal && e->nVal) memcpy(pOld->aVal, e->pVal, e->nVal);
    pOld->nVal = e->nVal;
    pOld->expireTs = e->bHasExpireTs ? e->expireTs : 0;
    if (!pOld->aVal) rc = SQLITE_NOMEM;
  }
  sdb_iter_free(pIter);
  return rc;
}

/* The bytes to store for value pVal (per value_type; numbers as text), or
** NULL if converting a number to text ran out of memory. */
static const u8 *writeValueBytes(SdbExtVtab *p, sqlite3_value *pVal, size_t *pn) {
  const u8 *a;
  int eType = sqlite3_value_type(pVal);
  if (p->args.eValueType == SDB_VAL_BLOB || eType == SQLITE_BLOB) {
    a = sqlite3_value_blob(pVal);
  } else {
    a = sqlite3_value_text(pVal);
  }
  *pn = (size_t)sqlite3_value_bytes(pVal);
  if (!a && *pn == 0 && (eType == SQLITE_BLOB || eType == SQLITE_TEXT)) a = (const u8 *)"";
  return a;
}

/* Append put(k, a[0..n-1]) to the batch, expiring ttlMs after the COMMIT
** when ttlMs > 0, else at expireTs (0: never). */
static int writePut(SdbExtVtab *p, const SdbExtKey *k, const u8 *a, size_t n, i64 expireTs,
                    i64 ttlMs) {
  SdbErr err;
  sdb_err_clear(&err);
  int rc = ttlMs > 0 ? sdb_batch_put_ttl(p->txn.pBatch, k->a, (size_t)k->n, a, n, ttlMs, &err)
                     : sdb_batch_put(p->txn.pBatch, k->a, (size_t)k->n, a, n, expireTs, &err);
  return rc == SDB_OK ? SQLITE_OK : sdbExtVtabEngineError(&p->base, &err, rc);
}

/* Append a tombstone for k to the batch. */
static int writeDelete(SdbExtVtab *p, const SdbExtKey *k) {
  SdbErr err;
  sdb_err_clear(&err);
  int rc = sdb_batch_delete(p->txn.pBatch, k->a, (size_t)k->n, &err);
  return rc == SDB_OK ? SQLITE_OK : sdbExtVtabEngineError(&p->base, &err, rc);
}

/* Put the new row r (its value argument, or the stored value pOld). */
static int writePutRow(SdbExtVtab *p, const WriteRow *r, const WriteOld *pOld) {
  if (r->pVal) {
    size_t n = 0;
    const u8 *a = writeValueBytes(p, r->pVal, &n);
    if (!a) return SQLITE_NOMEM;
    return writePut(p, &r->key, a, n, r->expireTs, r->ttlMs);
  }
  return writePut(p, &r->key, pOld->aVal, pOld->nVal, r->expireTs, r->ttlMs);
}

/* Undo the batch operations after nKeep (a failed multi-operation row). */
static void writeTruncate(SdbExtVtab *p, int nKeep) {
  SdbErr err;
  sdb_err_clear(&err);
  if (sdb_batch_count(p->txn.pBatch) > nKeep) sdb_batch_truncate(p->txn.pBatch, nKeep, &err);
}

/* ------------------------------------------------------------ statements */

/* The duplicate-key error (under OR IGNORE SQLite just skips the row). */
static int writeUnique(SdbExtVtab *p) {
  return writeError(p, SQLITE_CONSTRAINT_PRIMARYKEY, "UNIQUE constraint failed: %s.key", p->zName);
}

/* Fail with the UNIQUE error if key k exists, unless the statement is
** OR REPLACE (then nothing is read). */
static int writeCheckUnique(SdbExtVtab *p, const SdbExtKey *k) {
  int bFound = 0;
  if (sqlite3_vtab_on_conflict(p->db) == SQLITE_REPLACE) return SQLITE_OK;
  int rc = writeLookup(p, k, &bFound, 0);
  if (rc == SQLITE_OK && bFound) rc = writeUnique(p);
  return rc;
}

/* INSERT [OR ...] of row r. */
static int writeInsert(SdbExtVtab *p, const WriteRow *r) {
  int rc = writeCheckUnique(p, &r->key);
  if (rc == SQLITE_OK) rc = writePutRow(p, r, 0);
  return rc;
}

/* UPDATE that keeps the key: put the new value (or rewrite the stored value
** with the new expiry; nothing to do if that does not change either). */
static int writeUpdateInPlace(SdbExtVtab *p, const WriteRow *r) {
  WriteOld old;
  int bFound = 0;
  if (r->pVal) return writePutRow(p, r, 0);
  memset(&old, 0, sizeof(old));
  int rc = writeLookup(p, &r->key, &bFound, &old);
  if (rc == SQLITE_OK && bFound && (r->bTtl || r->expireTs != old.expireTs)) {
    rc = writePutRow(p, r, &old);
  }
  sqlite3_free(old.aVal);
  return rc;
}

/* UPDATE that changes the key: delete(old) + put(new), atomically within the
** batch. Reads the old value when the statement does not set one. */
static int writeUpdateRename(SdbExtVtab *p, const WriteRow *r) {
  WriteOld old;
  int bFound = 1;
  memset(&old, 0, sizeof(old));
  int rc = writeCheckUnique(p, &r->key);
  if (rc == SQLITE_OK && !r->pVal) rc = writeLookup(p, &r->oldKey, &bFound, &old);
  if (rc == SQLITE_OK && bFound) {
    int nKeep = sdb_batch_count(p->txn.pBatch);
    rc = writeDelete(p, &r->oldKey);
    if (rc == SQLITE_OK) rc = writePutRow(p, r, &old);
    if (rc != SQLITE_OK) writeTruncate(p, nKeep);
  }
  sqlite3_free(old.aVal);
  return rc;
}

/* DELETE: argv[0] is the key of the row (as xColumn returned it). */
static int writeDeleteRow(SdbExtVtab *p, sqlite3_value *pKey) {
  SdbExtKey k;
  memset(&k, 0, sizeof(k));
  int rc = writeKey(p, pKey, &k);
  if (rc == SQLITE_OK) rc = writeDelete(p, &k);
  sqlite3_free(k.a);
  return rc;
}

/* ------------------------------------------------------------ commands */

/* Run a flush command (bMemtable: 'flush-memtable'). */
static int writeFlush(SdbExtVtab *p, int bMemtable) {
  SdbErr err;
  sdb_err_clear(&err);
  if (!p->args.bWriter) return writeReadOnly(p);
  int rc = sdb_db_flush(writeDb(p), bMemtable, &err);
  return rc == SDB_OK ? SQLITE_OK : sdbExtVtabEngineError(&p->base, &err, rc);
}

/* Run the 'refresh' command. */
static int writeRefresh(SdbExtVtab *p) {
  SdbErr err;
  sdb_err_clear(&err);
  int rc = sdb_db_refresh(writeDb(p), &err);
  return rc == SDB_OK ? SQLITE_OK : sdbExtVtabEngineError(&p->base, &err, rc);
}

/* Parse the duration argument of a command (after its leading spaces). */
static int writeParseDuration(const char *z, u64 *pMs) {
  while (*z == ' ') z++;
  return sdbExtParseDuration(z, pMs);
}

/* 'compact': a full compaction, everything into one bottom run. */
static int writeCompact(SdbExtVtab *p) {
  SdbErr err;
  int n = 0;
  sdb_err_clear(&err);
  if (!p->args.bWriter) return writeReadOnly(p);
  int rc = sdb_db_compact(writeDb(p), &n, &err);
  return rc == SDB_OK ? SQLITE_OK : sdbExtVtabEngineError(&p->base, &err, rc);
}

/* 'gc' or 'gc <min age>': garbage-collect now. */
static int writeGc(SdbExtVtab *p, const char *zArg) {
  SdbErr err;
  u64 minAge = UINT64_MAX;
  uint64_t n = 0;
  sdb_err_clear(&err);
  if (!p->args.bWriter) return writeReadOnly(p);
  if (*zArg && !writeParseDuration(zArg, &minAge)) {
    return writeError(p, SQLITE_ERROR, "slatedb: malformed command 'gc%s' (expected 'gc' or"
                      " 'gc <min age>', e.g. 'gc 10m' or 'gc 0')", zArg);
  }
  int rc = sdb_db_gc(writeDb(p), minAge, &n, &err);
  return rc == SDB_OK ? SQLITE_OK : sdbExtVtabEngineError(&p->base, &err, rc);
}

/* 'checkpoint' or 'checkpoint <lifetime>': pin the current state. */
static int writeCheckpoint(SdbExtVtab *p, const char *zArg) {
  SdbErr err;
  u64 lifetime = 0;
  char zId[37];
  sdb_err_clear(&err);
  if (!p->args.bWriter) return writeReadOnly(p);
  if (*zArg && !writeParseDuration(zArg, &lifetime)) {
    return writeError(p, SQLITE_ERROR, "slatedb: malformed command 'checkpoint%s' (expected"
                      " 'checkpoint' or 'checkpoint <lifetime>', e.g. 'checkpoint 1h')", zArg);
  }
  int rc = sdb_db_checkpoint_create(writeDb(p), lifetime, NULL, zId, &err);
  return rc == SDB_OK ? SQLITE_OK : sdbExtVtabEngineError(&p->base, &err, rc);
}

/* 'checkpoint-delete <id>'. */
static int writeCheckpointDelete(SdbExtVtab *p, const char *zArg) {
  SdbErr err;
  sdb_err_clear(&err);
  if (!p->args.bWriter) return writeReadOnly(p);
  while (*zArg == ' ') zArg++;
  int rc = sdb_db_checkpoint_delete(writeDb(p), zArg, &err);
  return rc == SDB_OK ? SQLITE_OK : sdbExtVtabEngineError(&p->base, &err, rc);
}

/* True if z is zCmd, alone or followed by a space; *pzArg = what follows. */
static int writeIsCommand(const char *z, const char *zCmd, const char **pzArg) {
  size_t n = strlen(zCmd);
  if (sqlite3_strnicmp(z, zCmd, (int)n) != 0 || (z[n] != 0 && z[n] != ' ')) return 0;
  *pzArg = z + n;
  return 1;
}

/* INSERT INTO kv(kv) VALUES('<command>'): run it. Key and value must be NULL. */
static int writeCommand(SdbExtVtab *p, sqlite3_value *pCmd, sqlite3_value **argv) {
  const char *z = (const char *)sqlite3_value_text(pCmd);
  if (!z) return SQLITE_NOMEM;
  if (sqlite3_value_type(writeArg(argv, SDB_COL_KEY)) != SQLITE_NULL ||
      sqlite3_value_type(writeArg(argv, SDB_COL_VALUE)) != SQLITE_NULL) {
    return writeError(p, SQLITE_ERROR, "slatedb: a command sets only the column %s:"
                      " INSERT INTO %s(%s) VALUES('<command>')", p->zName, p->zName, p->zName);
  }
  int rc = sdbExtVtabEnsureHandle(p);
  if (rc != SQLITE_OK) return rc;
  if (sqlite3_stricmp(z, "flush") == 0) return writeFlush(p, 0);
  if (sqlite3_stricmp(z, "flush-memtable") == 0) return writeFlush(p, 1);
  if (sqlite3_stricmp(z, "refresh") == 0) return writeRefresh(p);
  if (sqlite3_stricmp(z, "compact") == 0) return writeCompact(p);
  const char *zArg;
  if (writeIsCommand(z, "gc", &zArg)) return writeGc(p, zArg);
  if (writeIsCommand(z, "checkpoint", &zArg)) return writeCheckpoint(p, zArg);
  if (writeIsCommand(z, "checkpoint-delete", &zArg)) return writeCheckpointDelete(p, zArg);
  return writeError(p, SQLITE_ERROR, "slatedb: unknown command %Q for table %s (expected"
                    " 'flush', 'flush-memtable', 'refresh', 'compact', 'gc [min age]',"
                    " 'checkpoint [lifetime]' or 'checkpoint-delete <id>')", z, p->zName);
}

/* ------------------------------------------------------------ xUpdate */

/* INSERT or UPDATE (argc > 1) of a row. */
static int writeRow(SdbExtVtab *p, int argc, sqlite3_value **argv) {
  WriteRow r;
  int rc = writeDecode(p, argc, argv, &r);
  if (rc == SQLITE_OK && !r.bUpdate) rc = writeInsert(p, &r);
  else if (rc == SQLITE_OK && r.bRename) rc = writeUpdateRename(p, &r);
  else if (rc == SQLITE_OK) rc = writeUpdateInPlace(p, &r);
  writeRowFree(&r);
  return rc;
}

/* See extInt.h. xUpdate: argc == 1 is a DELETE of argv[0]; else argv[0] is
** NULL (INSERT) or the old key (UPDATE), argv[2..] the columns. */
int sdbExtWriteUpdate(sqlite3_vtab *pVtab, int argc, sqlite3_value **argv, sqlite3_int64 *pRowid) {
  SdbExtVtab *p = writeTab(pVtab);
  if (argc > 1) {
    sqlite3_value *pCmd = writeArg(argv, SDB_COL_COMMAND);
    if (writeIsSet(pCmd) && sqlite3_value_type(argv[0]) == SQLITE_NULL) {
      return writeCommand(p, pCmd, argv);
    }
    if (writeIsSet(pCmd)) {
      return writeError(p, SQLITE_ERROR, "slatedb: commands run through INSERT:"
                        " INSERT INTO %s(%s) VALUES('<command>')", p->zName, p->zName);
    }
  }
  if (!p->args.bWriter) return writeReadOnly(p);
  if (!p->txn.pBatch) {
    return writeError(p, SQLITE_INTERNAL, "slatedb: table %s: write outside a transaction", p->zName);
  }
  if (argc == 1) return writeDeleteRow(p, argv[0]);
  return writeRow(p, argc, argv);
}

/* ------------------------------------------------------------ transactions */

/* True if the table's engine writer has been fenced by a newer writer. */
static int writeIsFenced(SdbExtVtab *p) {
  SdbStats st;
  sdb_db_stats(writeDb(p), &st);
  return st.bFenced;
}

/* End the table's part in the transaction: drop its marks and its
** reference on the lock (the last one frees the shared batch). */
static void writeEnd(SdbExtVtab *p) {
  SdbExtTxn *t = &p->txn;
  sqlite3_free(t->aMark);
  if (t->bLocked) sdbExtHandleUnlock(p->pHandle, p->db);
  memset(t, 0, sizeof(*t));
}

/* xBegin for a writer: open the database, join the connection's transaction
** on it (taking the lock, waiting up to busy_timeout). */
static int writeBeginWriter(SdbExtVtab *p) {
  int rc = sdbExtVtabEnsureHandle(p);
  if (rc != SQLITE_OK) return rc;
  int bAwait = p->args.eDurability == SDB_DURABLE_COMMIT;
  rc = sdbExtHandleLock(p->pHandle, p->db, p->args.busyTimeoutMs, bAwait, &p->txn.pBatch);
  if (rc == SQLITE_BUSY) {
    return writeError(p, SQLITE_BUSY, "slatedb: database is locked by another connection in"
                      " this process (table %s waited busy_timeout=%llums)", p->zName,
                      (unsigned long long)p->args.busyTimeoutMs);
  }
  if (rc != SQLITE_OK) return rc;
  p->txn.bLocked = 1;
  p->txn.bOpen = 1;
  p->txn.nBase = sdb_batch_count(p->txn.pBatch);
  if (writeIsFenced(p)) {
    writeEnd(p);
    return writeError(p, SQLITE_READONLY, "slatedb: writer fenced: the database was opened by a"
                      " newer writer; reopen the table or use mode=reader");
  }
  return SQLITE_OK;
}

/* See extInt.h. */
int sdbExtWriteBegin(sqlite3_vtab *pVtab) {
  SdbExtVtab *p = writeTab(pVtab);
  if (p->txn.bOpen) writeEnd(p);      /* not expected: a stale transaction */
  if (!p->args.bWriter) {
    p->txn.bOpen = 1;                 /* commands only; xUpdate refuses rows */
    return SQLITE_OK;
  }
  return writeBeginWriter(p);
}

/* See extInt.h. xSync: commit the shared batch as one atomic write, then
** empty it (the other tables of the transaction find nothing to write). */
int sdbExtWriteSync(sqlite3_vtab *pVtab) {
  SdbExtVtab *p = writeTab(pVtab);
  SdbErr err;
  if (!p->txn.pBatch || sdb_batch_count(p->txn.pBatch) == 0) return SQLITE_OK;
  sdb_err_clear(&err);
  int bAwait = sdbExtHandleAwait(p->pHandle);
  int rc = sdb_db_write(writeDb(p), p->txn.pBatch, bAwait, &err);
  if (rc == SDB_UNKNOWN) {
    char zWhy[sizeof(err.zMsg)];
    const char *z = err.zMsg;
    if (strncmp(z, "outcome unknown: ", 17) == 0) z += 17;
    sqlite3_snprintf((int)sizeof(zWhy), zWhy, "%s", z);
    sqlite3_snprintf((int)sizeof(err.zMsg), err.zMsg, "commit outcome unknown: the transaction may or may not "
             "have been stored; the table settles it before its next write (%s)", zWhy);
  }
  if (rc != SDB_OK) return sdbExtVtabEngineError(pVtab, &err, rc);
  sdb_batch_clear(p->txn.pBatch);
  return SQLITE_OK;
}

/* See extInt.h. xCommit: the write happened in xSync; only release. */
int sdbExtWriteCommit(sqlite3_vtab *pVtab) {
  writeEnd(writeTab(pVtab));
  return SQLITE_OK;
}

/* See extInt.h. xRollback: discard the whole transaction's batch. */
int sdbExtWriteRollback(sqlite3_vtab *pVtab) {
  SdbExtVtab *p = writeTab(pVtab);
  if (p->txn.pBatch) sdb_batch_clear(p->txn.pBatch);
  writeEnd(p);
  return SQLITE_OK;
}

/* See extInt.h. */
void sdbExtWriteAbandon(SdbExtVtab *p) {
  if (p) writeEnd(p);
}

/* See extInt.h. xSavepoint(i): remember the batch length; forget marks > i. */
int sdbExtWriteSavepoint(sqlite3_vtab *pVtab, int iSave) {
  SdbExtTxn *t = &writeTab(pVtab)->txn;
  if (!t->pBatch || iSave < 0) return SQLITE_OK;
  if (iSave >= t->nMarkAlloc) {
    int nNew = iSave + 8;
    int *aNew = sqlite3_realloc64(t->aMark, sizeof(int) * (u64)nNew);
    if (!aNew) return SQLITE_NOMEM;
    t->aMark = aNew;
    t->nMarkAlloc = nNew;
  }
  for (int i = t->nMark; i < iSave; i++) t->aMark[i] = -1;
  t->aMark[iSave] = sdb_batch_count(t->pBatch);
  t->nMark = iSave + 1;
  return SQLITE_OK;
}

/* See extInt.h. xRelease(i): forget marks >= i (their operations stay). */
int sdbExtWriteRelease(sqlite3_vtab *pVtab, int iSave) {
  SdbExtTxn *t = &writeTab(pVtab)->txn;
  if (iSave < 0) iSave = 0;
  if (iSave < t->nMark) t->nMark = iSave;
  return SQLITE_OK;
}

/* See extInt.h. xRollbackTo(i): back to mark i (or the nearest lower one;
** none, or i < 0: the state when this table joined). Marks > i are
** forgotten. Each table of a shared batch gets the call; the lowest target
** wins, since truncation never grows the batch. */
int sdbExtWriteRollbackTo(sqlite3_vtab *pVtab, int iSave) {
  SdbExtVtab *p = writeTab(pVtab);
  SdbExtTxn *t = &p->txn;
  SdbErr err;
  int nKeep = t->nBase;
  if (!t->pBatch) return SQLITE_OK;
  for (int i = (iSave < t->nMark ? iSave : t->nMark - 1); i >= 0; i--) {
    if (t->aMark[i] >= 0) { nKeep = t->aMark[i]; break; }
  }
  if (iSave < 0) t->nMark = 0;
  else if (iSave + 1 < t->nMark) t->nMark = iSave + 1;
  if (sdb_batch_count(t->pBatch) <= nKeep) return SQLITE_OK;
  sdb_err_clear(&err);
  int rc = sdb_batch_truncate(t->pBatch, nKeep, &err);
  return rc == SDB_OK ? SQLITE_OK : sdbExtVtabEngineError(pVtab, &err, rc);
}
