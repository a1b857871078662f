/*
** checkpoint.c: SlateDB 0.12.1's checkpoints (spec/MANIFEST.md §7), entries
** of the manifest that pin the manifest they name so that GC keeps what it
** references. Created, dropped and expired as manifest edits committed with
** the writer's CAS (sdbWriterUpdateManifest); listed from the current
** version. Used by db.c (the public sdb_db_checkpoint* calls) and by maint.c
** (the compactor's 15-minute checkpoint, the expiry before each GC run).
*/
#include <stdio.h>

#include "db/dbInt.h"

typedef struct CkptCtx {
  const u8 *aId;            /* 16 bytes */
  u64 lifetimeS;            /* 0 = never expires */
  const char *zName;        /* or NULL */
} CkptCtx;

/* Manifest edit: add a checkpoint pinning this very manifest (§7). */
static int editAddCheckpoint(SdbManifest *m, void *pCtx, SdbErr *pErr) {
  CkptCtx *k = pCtx;
  SdbCheckpoint *a = sdbRealloc(m->aCkpt, sizeof(SdbCheckpoint) * (size_t)(m->nCkpt + 1));
  if (!a) return SDB_NOMEM_ERR(pErr);
  m->aCkpt = a;
  SdbCheckpoint *c = &a[m->nCkpt];
  memset(c, 0, sizeof(*c));
  memcpy(c->aId, k->aId, 16);
  c->manifestId = m->nextId;
  c->createTimeS = (u32)(sdbNowMs() / 1000);
  c->expireTimeS = k->lifetimeS ? (u32)(c->createTimeS + k->lifetimeS) : 0;
  if (k->zName && !(c->zName = sdbStrdup(k->zName))) return SDB_NOMEM_ERR(pErr);
  m->nCkpt++;
  return SDB_OK;
}

/* See dbInt.h. */
int sdbCheckpointAdd(SdbDb *db, const u8 aId[16], u64 lifetimeS, const char *zName,
                     SdbErr *pErr) {
  CkptCtx ck = {aId, lifetimeS, zName};
  return sdbWriterUpdateManifest(db, editAddCheckpoint, &ck, NULL, pErr);
}

/* See dbInt.h. */
int sdbCheckpointCreate(SdbDb *db, uint64_t lifetimeMs, const char *zName, char zId[37],
                        SdbErr *pErr) {
  u8 aId[16];
  if (sdbUuidNew(aId)) return sdbErrSet(pErr, SDB_IOERR, "no randomness for a checkpoint id");
  /* SlateDB's create_checkpoint (scope All) flushes the WAL and the memtable
  ** first, so the pinned manifest holds every row committed before the call. */
  int rc = sdbWriterFlush(db, 1, pErr);
  if (rc == SDB_OK) {
    rc = sdbCheckpointAdd(db, aId, lifetimeMs ? (lifetimeMs + 999) / 1000 : 0, zName, pErr);
  }
  if (rc == SDB_OK) sdbUuidFormat(aId, zId);
  return rc;
}

/* Manifest edit: remove the checkpoint whose id is pCtx (16 bytes). */
static int editDropCheckpoint(SdbManifest *m, void *pCtx, SdbErr *pErr) {
  const u8 *aId = pCtx;
  for (int i = 0; i < m->nCkpt; i++) {
    if (memcmp(m->aCkpt[i].aId, aId, 16) != 0) continue;
    sdbFree(m->aCkpt[i].zName);
    memmove(&m->aCkpt[i], &m->aCkpt[i + 1], sizeof(SdbCheckpoint) * (size_t)(m->nCkpt - i - 1));
    m->nCkpt--;
    return SDB_OK;
  }
  char z[37];
  sdbUuidFormat(aId, z);
  return sdbErrSet(pErr, SDB_ERROR, "no checkpoint %s in the latest manifest", z);
}

/* See dbInt.h. */
int sdbCheckpointDelete(SdbDb *db, const char *zId, SdbErr *pErr) {
  u8 aId[16];
  int rc = sdbCheckpointIdParse(zId, aId, pErr);
  if (rc == SDB_OK) rc = sdbWriterUpdateManifest(db, editDropCheckpoint, aId, NULL, pErr);
  return rc;
}

/* Manifest edit: drop checkpoints that expired (expire_time_s != 0, past). */
static int editDropExpired(SdbManifest *m, void *pCtx, SdbErr *pErr) {
  (void)pErr;
  u32 nowS = *(u32 *)pCtx;
  int n = 0;
  for (int i = 0; i < m->nCkpt; i++) {
    SdbCheckpoint *c = &m->aCkpt[i];
    if (c->expireTimeS != 0 && c->expireTimeS <= nowS) {
      sdbFree(c->zName);
    } else {
      m->aCkpt[n++] = *c;
    }
  }
  m->nCkpt = n;
  return SDB_OK;
}

/* See dbInt.h. */
int sdbCheckpointDropExpired(SdbDb *db, SdbErr *pErr) {
  u32 nowS = (u32)(sdbNowMs() / 1000);
  DbVersion *v = sdbDbPinVersion(db);
  int bExpired = 0;
  for (int i = 0; i < v->pManifest->nCkpt; i++) {
    u32 e = v->pManifest->aCkpt[i].expireTimeS;
    if (e != 0 && e <= nowS) bExpired = 1;
  }
  sdbDbVersionUnref(v);
  return bExpired ? sdbWriterUpdateManifest(db, editDropExpired, &nowS, NULL, pErr) : SDB_OK;
}

/* See dbInt.h. */
int sdbCheckpointList(SdbDb *db, SdbCheckpointInfo **pa, int *pn, SdbErr *pErr) {
  DbVersion *v = sdbDbPinVersion(db);
  const SdbManifest *m = v->pManifest;
  *pa = NULL;
  *pn = 0;
  int rc = SDB_OK;
  if (m->nCkpt > 0) {
    *pa = sdbMallocZero(sizeof(SdbCheckpointInfo) * (size_t)m->nCkpt);
    if (!*pa) rc = SDB_NOMEM_ERR(pErr);
  }
  for (int i = 0; rc == SDB_OK && i < m->nCkpt; i++) {
    SdbCheckpointInfo *o = &(*pa)[i];
    sdbUuidFormat(m->aCkpt[i].aId, o->zId);
    o->manifestId = m->aCkpt[i].manifestId;
    o->createTimeS = m->aCkpt[i].createTimeS;
    o->expireTimeS = m->aCkpt[i].expireTimeS;
    snprintf(o->zName, sizeof(o->zName), "%s", m->aCkpt[i].zName ? m->aCkpt[i].zName : "");
  }
  if (rc == SDB_OK) *pn = m->nCkpt;
  sdbDbVersionUnref(v);
  return rc;
}
