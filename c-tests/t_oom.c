/*
** t_oom.c: out-of-memory testing through sdb_config_alloc (SQLite's model).
**
** A counting allocator (a size header in front of each block) is installed
** with sdb_config_alloc. A representative workload on a local-directory
** database (writer open, durable and async batches with TTL puts, expired
** puts and deletes on one reused batch, rollbacks by clearing it, WAL flush,
** memtable flushes to L0, compaction, checkpoint create/list/delete and a
** reader at the checkpoint, GC, scans both ways, point reads, an overlay scan
** of an uncommitted batch after a savepoint truncate, a reader handle and a
** refresh, close, reopen with WAL replay) first runs without failures to count
** its allocations A (about 1,700). Then, for every N in 1..A (each run takes a
** few ms, so no stride is needed), it runs again with the Nth allocation
** failing, once ("once") and from there on ("persistent"), and each run must:
**   - end every call in SDB_OK or a clean error (SDB_NOMEM, or another code
**     with a message; never SDB_CORRUPT, never a crash); with no failure
**     injected every call must succeed;
**   - see only rows the model allows (acknowledged, or maybe-written);
**   - once: after the call that met the failure, every later call succeeds
**     (the handles stay usable);
**   - free everything: the allocator's live count and bytes are 0 after close;
**   - leave a database that opens (a writer, failures off) and holds every
**     acknowledged write with its value (unacknowledged ones may or may not be).
** Background threads stay idle, so each N is reproducible: the compactor's
** poll interval, the GC interval, the flusher's flush_interval and the
** reader's poll_interval are an hour (the maintenance API needs the compactor
** and GC on; the two L0s stay below l0_max_ssts, which would wake the
** compactor), compaction and GC are called explicitly, and async rows are
** flushed by explicit sdb_db_flush calls. The count still varies by a few
** dozen between runs (GC with min_age 0 deletes an object only once its
** millisecond-resolution age is above 0, which changes later listings; the
** timestamps in the rows change the compressed sizes, so buffer growth), so
** a given N can land on a neighbouring allocation in another run.
**
** Environment: SDB_OOM_N=<n> runs only that N (both modes) and prints each
** failing call; SDB_OOM_STRIDE=<k> tests every k-th N only (default 1).
*/
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include "test.h"
#include "util/sdbInt.h"

/* ------------------------------------------------------------ allocator */

/* The header in front of every block: its size (16 bytes keeps alignment). */
typedef struct Hdr { size_t n; size_t pad; } Hdr;

static struct {
  pthread_mutex_t mu;
  long nCall;          /* xMalloc/xRealloc calls that allocate */
  long iFail;          /* the call that fails first (1-based); 0 = none */
  int bPersist;        /* every call after iFail fails too */
  long nFailed;        /* calls failed so far */
  long nLive;          /* blocks not freed */
  long nBytes;         /* their bytes */
} ta = {PTHREAD_MUTEX_INITIALIZER, 0, 0, 0, 0, 0, 0};

/* Whether this allocation fails. REQUIRES ta.mu. */
static int taShouldFail(void) {
  ta.nCall++;
  int bFail = ta.iFail && (ta.nCall == ta.iFail || (ta.bPersist && ta.nCall > ta.iFail));
  if (bFail) ta.nFailed++;
  return bFail;
}

static void *taRealloc(void *pCtx, void *p, size_t n) {
  pthread_mutex_lock(&ta.mu);
  int bFail = taShouldFail();
  pthread_mutex_unlock(&ta.mu);
  if (bFail) return NULL;
  Hdr *h = p ? (Hdr *)p - 1 : NULL;
  size_t nOld = h ? h->n : 0;
  Hdr *hNew = realloc(h, sizeof(Hdr) + n);
  if (!hNew) return NULL;
  hNew->n = n;
  pthread_mutex_lock(&ta.mu);
  ta.nBytes += (long)n - (long)nOld;
  if (!p) ta.nLive++;
  pthread_mutex_unlock(&ta.mu);
  return hNew + 1;
}

static void *taMalloc(void *pCtx, size_t n) { return taRealloc(pCtx, NULL, n); }

static void taFree(void *pCtx, void *p) {
  Hdr *h = (Hdr *)p - 1;
  pthread_mutex_lock(&ta.mu);
  ta.nLive--;
  ta.nBytes -= (long)h->n;
  pthread_mutex_unlock(&ta.mu);
  free(h);
}

/* Start counting afresh with the iFail-th call failing (0: none). */
static void taArm(long iFail, int bPersist) {
  pthread_mutex_lock(&ta.mu);
  ta.nCall = 0;
  ta.iFail = iFail;
  ta.bPersist = bPersist;
  ta.nFailed = 0;
  pthread_mutex_unlock(&ta.mu);
}

/* ------------------------------------------------------------ model */

#define NKEY 40
#define NMAYBE 8
#define VALSZ 24

/* Per key: the acknowledged state and the values a write that failed (or was
** not yet durable) may have left; "" stands for "absent". bAny: too many
** to track, anything goes. */
typedef struct Model {
  int bHas[NKEY];
  char val[NKEY][VALSZ];
  char maybe[NKEY][NMAYBE][VALSZ];
  int nMaybe[NKEY];
  int bAny[NKEY];
} Model;

enum { OP_PUT, OP_TTL, OP_EXPIRED, OP_DEL };
typedef struct Op { int eOp; int k; } Op;

static void keyOf(int k, u8 *z, size_t *pn) { *pn = (size_t)snprintf((char *)z, 16, "k%02d", k); }

/* The value batch iBatch writes for key k ("" for a delete or an expired put). */
static void valOf(int iBatch, const Op *op, char *z) {
  if (op->eOp == OP_DEL || op->eOp == OP_EXPIRED) z[0] = 0;
  else snprintf(z, VALSZ, "b%d-k%02d-%s", iBatch, op->k, op->eOp == OP_TTL ? "ttl" : "v");
}

static void modelMaybe(Model *m, int k, const char *zVal) {
  if (m->nMaybe[k] == NMAYBE) m->bAny[k] = 1;
  else snprintf(m->maybe[k][m->nMaybe[k]++], VALSZ, "%s", zVal);
}

/* Record batch iBatch's ops: acknowledged (bAck) or maybe written. */
static void modelApply(Model *m, int iBatch, const Op *a, int n, int bAck) {
  for (int i = 0; i < n; i++) {
    char z[VALSZ];
    int k = a[i].k;
    valOf(iBatch, &a[i], z);
    if (!bAck) {
      modelMaybe(m, k, z);
    } else {
      m->bHas[k] = z[0] != 0;
      memcpy(m->val[k], z, VALSZ);
      m->nMaybe[k] = 0;
      m->bAny[k] = 0;
    }
    /* Expired rows read until a flush or compaction drops them (SlateDB). */
    if (a[i].eOp == OP_EXPIRED) modelMaybe(m, k, "gone");
  }
}

/* Whether key k may read as zVal (NULL: absent). */
static int modelAllows(const Model *m, int k, const char *zVal, size_t nVal) {
  if (m->bAny[k]) return 1;
  const char *zAck = m->bHas[k] ? m->val[k] : "";
  if (!zVal) zVal = "", nVal = 0;
  if (strlen(zAck) == nVal && memcmp(zAck, zVal, nVal) == 0) return 1;
  for (int i = 0; i < m->nMaybe[k]; i++) {
    if (strlen(m->maybe[k][i]) == nVal && memcmp(m->maybe[k][i], zVal, nVal) == 0) return 1;
  }
  return 0;
}

/* ------------------------------------------------------------ one run */

typedef struct Run {
  Model m;
  const char *zDir;
  int bVerbose;
  int nBadErr;          /* calls that failed uncleanly */
  int nBadRows;         /* reads the model does not allow */
  long nFailedSeen;     /* injected failures up to the previous check */
  int nSticky;          /* calls that failed with no failure injected since the last check */
  SdbBatch *pShared;    /* the batch the first writer's commits reuse (NULL: one each) */
  char zWhy[300];       /* the first problem */
} Run;

static void runBad(Run *r, int *pn, const char *zFmt, const char *zWhat, int rc, const char *zMsg) {
  (*pn)++;
  char z[300];
  snprintf(z, sizeof(z), zFmt, zWhat, rc, zMsg);
  if (!r->zWhy[0]) snprintf(r->zWhy, sizeof(r->zWhy), "%s", z);
  if (r->bVerbose) printf("# %s\n", z);
}

/* Judge one call's outcome: OK, or clean given the failures injected so far.
** Returns rc == SDB_OK. */
static int runCheck(Run *r, const char *zWhat, int rc, const SdbErr *pErr) {
  long nFailed;
  pthread_mutex_lock(&ta.mu);
  nFailed = ta.nFailed;
  pthread_mutex_unlock(&ta.mu);
  if (r->bVerbose && rc) printf("# %s: rc %d: %s\n", zWhat, rc, pErr->zMsg);
  int bNew = nFailed > r->nFailedSeen;
  r->nFailedSeen = nFailed;
  if (rc == SDB_OK) return 1;
  if (!bNew && nFailed) {
    r->nSticky++;
    if (r->bVerbose) printf("# ^ failed with no new allocation failure\n");
  }
  if (nFailed == 0) {
    runBad(r, &r->nBadErr, "%s failed without an allocation failure: rc %d: %s", zWhat, rc, pErr->zMsg);
  } else if (rc == SDB_CORRUPT || (rc != SDB_NOMEM && pErr->zMsg[0] == 0)) {
    runBad(r, &r->nBadErr, "%s: unclean error rc %d: '%s'", zWhat, rc, pErr->zMsg);
  }
  return 0;
}

/* After a commit or a rollback: the shared batch is cleared for the next
** transaction (as the extension does with its handle's batch), any other freed. */
static void runBatchDone(Run *r, SdbBatch *b) {
  if (b && b == r->pShared) sdb_batch_clear(b);
  else sdb_batch_free(b);
}

/* A transaction rolled back: batch 97 puts key 38 into the shared batch, which
** is then cleared; no later commit may store it. */
static void runRollback(Run *r) {
  static const Op op = {OP_PUT, 38};
  SdbErr err = {0};
  char z[VALSZ];
  u8 kb[16]; size_t nk;
  if (!r->pShared) return;
  keyOf(op.k, kb, &nk);
  valOf(97, &op, z);
  runCheck(r, "batch", sdb_batch_put(r->pShared, kb, nk, (u8 *)z, strlen(z), 0, &err), &err);
  runBatchDone(r, r->pShared);
}

/* Commit batch iBatch (a[0..n)) to db; record it in the model. An async
** commit counts as acknowledged only once a flush after it succeeded. */
static int runWrite(Run *r, SdbDb *db, int iBatch, const Op *a, int n, int bDurable) {
  SdbErr err = {0};
  SdbBatch *b = r->pShared ? r->pShared : sdb_batch_new();
  int rc = b ? SDB_OK : SDB_NOMEM;
  i64 now = (i64)time(NULL) * 1000;
  for (int i = 0; i < n && rc == SDB_OK; i++) {
    u8 kb[16]; size_t nk; char z[VALSZ];
    keyOf(a[i].k, kb, &nk);
    valOf(iBatch, &a[i], z);
    switch (a[i].eOp) {
      case OP_PUT: rc = sdb_batch_put(b, kb, nk, (u8 *)z, strlen(z), 0, &err); break;
      case OP_TTL: rc = sdb_batch_put_ttl(b, kb, nk, (u8 *)z, strlen(z), 3600000, &err); break;
      case OP_EXPIRED: rc = sdb_batch_put(b, kb, nk, (u8 *)"gone", 4, now - 60000, &err); break;
      default: rc = sdb_batch_delete(b, kb, nk, &err); break;
    }
  }
  if (!runCheck(r, "batch", rc, &err)) {
    runBatchDone(r, b);
    return rc;
  }
  rc = sdb_db_write(db, b, bDurable, &err);
  runBatchDone(r, b);
  if (rc == SDB_OK && !bDurable) rc = sdb_db_flush(db, 0, &err);
  modelApply(&r->m, iBatch, a, n, rc == SDB_OK);
  runCheck(r, bDurable ? "write" : "async write + flush", rc, &err);
  return rc;
}

/* Read rng (NULL: all) of db, with pOv's uncommitted operations on top (may
** be NULL), in one direction and compare with the model. */
static void runScanOv(Run *r, SdbDb *db, SdbBatch *pOv, const SdbRange *rng, int bDesc,
                      const char *zWhat) {
  SdbErr err = {0};
  SdbIter *it = NULL;
  int aSeen[NKEY] = {0};
  int rc = sdb_db_scan_overlay(db, pOv, rng, bDesc, &it, &err);
  int prev = bDesc ? NKEY : -1;
  while (rc == SDB_OK && !it->bEof) {
    int k = -1;
    const u8 *p = it->cur.pKey;
    if (it->cur.nKey == 3 && p[0] == 'k' && p[1] >= '0' && p[1] <= '9' && p[2] >= '0' && p[2] <= '9') {
      k = (p[1] - '0') * 10 + (p[2] - '0');
    }
    if (k < 0 || k >= NKEY || (bDesc ? k >= prev : k <= prev) ||
        !modelAllows(&r->m, k, (const char *)it->cur.pVal, it->cur.nVal)) {
      char zGot[VALSZ + 8];
      snprintf(zGot, sizeof(zGot), "%.*s", (int)SDB_MIN(it->cur.nVal, (size_t)VALSZ), it->cur.pVal);
      runBad(r, &r->nBadRows, "%s: row not allowed: key %d = '%s'", zWhat, k, zGot);
    } else {
      aSeen[k] = 1;
      prev = k;
    }
    rc = sdb_iter_next(it, &err);
  }
  sdb_iter_free(it);
  if (!runCheck(r, zWhat, rc, &err)) return;
  for (int k = 0; k < NKEY; k++) {
    u8 kb[16]; size_t nk;
    keyOf(k, kb, &nk);
    int bIn = !rng || (sdbKeyCmp(kb, nk, rng->pLo, rng->nLo) == 0);
    if (bIn && !aSeen[k] && !modelAllows(&r->m, k, NULL, 0)) {
      runBad(r, &r->nBadRows, "%s: key %d missing (acknowledged '%s')", zWhat, k, r->m.val[k]);
    }
  }
}

static void runScan(Run *r, SdbDb *db, const SdbRange *rng, int bDesc, const char *zWhat) {
  runScanOv(r, db, NULL, rng, bDesc, zWhat);
}

/* Point read of key k (a one-key range). */
static void runGet(Run *r, SdbDb *db, int k) {
  u8 kb[16]; size_t nk;
  keyOf(k, kb, &nk);
  SdbRange rng = {kb, nk, 1, 0, kb, nk, 1, 0};
  runScan(r, db, &rng, 0, "get");
}

/* A scan of db with an uncommitted batch on top (two puts, a delete, and a
** put rolled back by a truncate, or kept if the truncate fails): the model
** with the batch applied. */
static void runOverlay(Run *r, SdbDb *db) {
  static const Op aOv[] = {{OP_PUT, 35}, {OP_DEL, 0}, {OP_TTL, 36}, {OP_PUT, 37}};
  SdbErr err = {0};
  SdbBatch *b = sdb_batch_new();
  int rc = b ? SDB_OK : SDB_NOMEM;
  for (int i = 0; i < 4 && rc == SDB_OK; i++) {
    u8 kb[16]; size_t nk; char z[VALSZ];
    keyOf(aOv[i].k, kb, &nk);
    valOf(99, &aOv[i], z);
    if (aOv[i].eOp == OP_DEL) rc = sdb_batch_delete(b, kb, nk, &err);
    else if (aOv[i].eOp == OP_TTL) rc = sdb_batch_put_ttl(b, kb, nk, (u8 *)z, strlen(z), 60000, &err);
    else rc = sdb_batch_put(b, kb, nk, (u8 *)z, strlen(z), 0, &err);
  }
  int nOp = 4;
  if (runCheck(r, "overlay batch", rc, &err)) {
    /* A failed truncate leaves the batch as it was. */
    rc = sdb_batch_truncate(b, 3, &err);
    if (runCheck(r, "truncate", rc, &err)) nOp = 3;
    if (sdb_batch_count(b) != nOp) {
      runBad(r, &r->nBadRows, "%s: %d operations after it (it %s)", "truncate", sdb_batch_count(b),
             nOp == 3 ? "succeeded" : "failed");
    }
    Model *pSave = malloc(sizeof(Model));
    memcpy(pSave, &r->m, sizeof(Model));
    modelApply(&r->m, 99, aOv, nOp, 1);
    runScanOv(r, db, b, NULL, 1, "overlay scan desc");
    runScanOv(r, db, b, NULL, 0, "overlay scan asc");
    memcpy(&r->m, pSave, sizeof(Model));
    free(pSave);
  }
  sdb_batch_free(b);
}

static int runOpen(Run *r, SdbDb **pDb, int bReader, const char *zCkpt) {
  SdbErr err = {0};
  SdbConfig cfg;
  memset(&cfg, 0, sizeof(cfg));
  cfg.zUrl = r->zDir;
  cfg.bReadOnly = bReader;
  cfg.bCreateIfMissing = !bReader;
  cfg.eMergeOp = SDB_MERGE_CONCAT;
  cfg.blockSize = 256;             /* several blocks per SST */
  cfg.minFilterKeys = 1;           /* bloom filters on every SST */
  cfg.maxSstSize = 512;            /* compaction output in several SSTs */
  cfg.eCodec = 4;                  /* zstd */
  cfg.flushIntervalMs = 3600000;   /* the flusher stays idle */
  cfg.pollIntervalMs = UINT64_MAX; /* readers refresh only when told */
  cfg.compactorPollMs = 3600000;   /* the maintenance thread stays idle too */
  cfg.gcIntervalMs = 3600000;
  cfg.zCheckpoint = zCkpt;
  if (bReader) cfg.nCacheBytes = 2048;  /* readers evict blocks: the cache's paths too */
  *pDb = NULL;
  int rc = sdb_db_open(&cfg, pDb, &err);
  runCheck(r, zCkpt ? "open checkpoint reader" : bReader ? "open reader" : "open writer", rc, &err);
  return rc;
}

/* The workload. Every step runs whatever failed before it (on a handle that
** opened), so that a failure's aftermath is exercised too. */
static void runWorkload(Run *r) {
  SdbErr err = {0};
  SdbDb *w = NULL, *rd = NULL;
  Op a1[20], a2[] = {{OP_TTL, 5}, {OP_DEL, 7}, {OP_PUT, 20}, {OP_EXPIRED, 8}};
  Op a3[] = {{OP_PUT, 1}, {OP_PUT, 21}, {OP_DEL, 2}};
  Op a4[10], a5[] = {{OP_PUT, 31}, {OP_TTL, 3}, {OP_DEL, 4}};
  Op a6[] = {{OP_PUT, 32}, {OP_PUT, 0}};
  for (int i = 0; i < 20; i++) a1[i] = (Op){OP_PUT, i};
  for (int i = 0; i < 9; i++) a4[i] = (Op){OP_PUT, 22 + i};
  a4[9] = (Op){OP_DEL, 3};

  if (runOpen(r, &w, 0, NULL) == SDB_OK) {
    r->pShared = sdb_batch_new();
    runWrite(r, w, 1, a1, 20, 1);
    runRollback(r);
    runWrite(r, w, 2, a2, 4, 1);
    runWrite(r, w, 3, a3, 3, 0);                       /* async + WAL flush */
    runCheck(r, "flush memtable", sdb_db_flush(w, 1, &err), &err);
    runRollback(r);
    runWrite(r, w, 4, a4, 10, 1);
    sdb_batch_free(r->pShared);
    r->pShared = NULL;
    runCheck(r, "flush memtable", sdb_db_flush(w, 1, &err), &err);
    int nDone = 0;
    runCheck(r, "compact", sdb_db_compact(w, &nDone, &err), &err);
    char zId[37];
    if (runCheck(r, "checkpoint create", sdb_db_checkpoint_create(w, 0, "oom", zId, &err), &err)) {
      SdbCheckpointInfo *aInfo = NULL;
      int n = 0;
      runCheck(r, "checkpoints", sdb_db_checkpoints(w, &aInfo, &n, &err), &err);
      sdb_free(aInfo);
      SdbDb *ck = NULL;
      if (runOpen(r, &ck, 1, zId) == SDB_OK) {
        runScan(r, ck, NULL, 0, "checkpoint scan");
        sdb_db_close(ck);
      }
      runCheck(r, "checkpoint delete", sdb_db_checkpoint_delete(w, zId, &err), &err);
    }
    u64 nDel = 0;
    runCheck(r, "gc", sdb_db_gc(w, 0, &nDel, &err), &err);
    runScan(r, w, NULL, 0, "scan asc");
    runScan(r, w, NULL, 1, "scan desc");
    runGet(r, w, 5);
    runGet(r, w, 7);
    runGet(r, w, 39);
    runOverlay(r, w);
    SdbStats st;
    sdb_db_stats(w, &st);
    if (runOpen(r, &rd, 1, NULL) == SDB_OK) {
      runScan(r, rd, NULL, 0, "reader scan");
      runWrite(r, w, 5, a5, 3, 1);                     /* left in the WAL */
      runCheck(r, "refresh", sdb_db_refresh(rd, &err), &err);
      runGet(r, rd, 31);
      runScan(r, rd, NULL, 1, "reader scan desc");
      sdb_db_close(rd);
    } else {
      runWrite(r, w, 5, a5, 3, 1);
    }
    sdb_db_close(w);
  }
  if (runOpen(r, &w, 0, NULL) == SDB_OK) {                  /* replays batch 5's WAL SST */
    runScan(r, w, NULL, 0, "reopened scan");
    runWrite(r, w, 6, a6, 2, 1);
    runGet(r, w, 32);
    sdb_db_close(w);
  }
}

/* After a run: the database opens (failures off) and holds what was
** acknowledged. */
static void runVerify(Run *r) {
  SdbDb *w = NULL;
  taArm(0, 0);
  if (runOpen(r, &w, 0, NULL) != SDB_OK) return;
  runScan(r, w, NULL, 0, "verify scan asc");
  runScan(r, w, NULL, 1, "verify scan desc");
  sdb_db_close(w);
}

/* ------------------------------------------------------------ driver */

static char gDir[128];

static void freshDir(void) {
  char zCmd[200];
  snprintf(zCmd, sizeof(zCmd), "rm -rf %s", gDir);
  (void)!system(zCmd);
}

/* Totals of one mode's sweep. */
typedef struct Sweep {
  long nRun, nBadErr, nBadRows, nLeak, nNoFail, nSticky;
  long iFirstErr, iFirstRows, iFirstLeak;
  char zErr[300], zRows[300], zLeak[120];
} Sweep;

/* One run with the iFail-th allocation failing (0: none). Returns the
** number of allocations the workload made. */
static long runOne(Sweep *s, long iFail, int bPersist, int bVerbose) {
  Run *r = calloc(1, sizeof(*r));
  r->zDir = gDir;
  r->bVerbose = bVerbose;
  freshDir();
  taArm(iFail, bPersist);
  runWorkload(r);
  pthread_mutex_lock(&ta.mu);
  long nCall = ta.nCall, nFailed = ta.nFailed, nLive = ta.nLive, nBytes = ta.nBytes;
  pthread_mutex_unlock(&ta.mu);
  s->nRun++;
  if (r->nSticky) s->nSticky++;
  if (iFail && nFailed == 0) s->nNoFail++;
  if (r->nBadErr && !s->nBadErr++) {
    s->iFirstErr = iFail;
    snprintf(s->zErr, sizeof(s->zErr), "%s", r->zWhy);
  }
  if (nLive || nBytes) {
    if (!s->nLeak++) {
      s->iFirstLeak = iFail;
      snprintf(s->zLeak, sizeof(s->zLeak), "%ld blocks, %ld bytes live after close", nLive, nBytes);
    }
    if (bVerbose) printf("# leak: %ld blocks, %ld bytes\n", nLive, nBytes);
    /* Count from here on, so one leak is reported once. */
    pthread_mutex_lock(&ta.mu);
    ta.nLive = ta.nBytes = 0;
    pthread_mutex_unlock(&ta.mu);
  }
  r->zWhy[0] = 0;
  int nRowsBefore = r->nBadRows, nErrBefore = r->nBadErr;
  runVerify(r);
  if (r->nBadRows > nRowsBefore || r->nBadErr > nErrBefore) {
    if (!s->nBadRows++) {
      s->iFirstRows = iFail;
      snprintf(s->zRows, sizeof(s->zRows), "%s", r->zWhy[0] ? r->zWhy : "(during the run)");
    }
  }
  pthread_mutex_lock(&ta.mu);
  if (ta.nLive) {
    if (!s->nLeak++) {
      s->iFirstLeak = -iFail;
      snprintf(s->zLeak, sizeof(s->zLeak), "verify: %ld blocks live after close", ta.nLive);
    }
    ta.nLive = ta.nBytes = 0;
  }
  pthread_mutex_unlock(&ta.mu);
  free(r);
  return nCall;
}

static void report(const char *zMode, const Sweep *s) {
  char zName[80];
  snprintf(zName, sizeof(zName), "oom %s: every call succeeds or fails cleanly", zMode);
  CHECKF(zName, s->nBadErr == 0, "%ld of %ld runs, first at N=%ld: %s", s->nBadErr, s->nRun,
         s->iFirstErr, s->zErr);
  if (strcmp(zMode, "once") == 0) {
    CHECKF("oom once: after the failed call every later call succeeds", s->nSticky == 0,
           "%ld runs had a later call fail (rerun with SDB_OOM_N)", s->nSticky);
  }
  snprintf(zName, sizeof(zName), "oom %s: no leak", zMode);
  CHECKF(zName, s->nLeak == 0, "%ld runs, first at N=%ld: %s", s->nLeak, s->iFirstLeak, s->zLeak);
  snprintf(zName, sizeof(zName), "oom %s: no corruption (acknowledged writes kept)", zMode);
  CHECKF(zName, s->nBadRows == 0, "%ld runs, first at N=%ld: %s", s->nBadRows, s->iFirstRows,
         s->zRows);
}

/* sdb_config_alloc's contract: NULL methods refused, no swap while memory
** is live, NULL restores the C library's allocator. */
static void testConfigApi(const SdbAllocMethods *pCounting) {
  SdbAllocMethods bad = *pCounting;
  bad.xFree = NULL;
  CHECK("config_alloc: a NULL method is refused", sdb_config_alloc(&bad) == SDB_MISUSE);
  CHECK("config_alloc: install the counting allocator", sdb_config_alloc(pCounting) == SDB_OK);
  SdbBatch *b = sdb_batch_new();
  CHECK("config_alloc: engine memory comes from the installed methods", b && ta.nLive > 0);
  CHECK("config_alloc: refused while memory is live", sdb_config_alloc(NULL) == SDB_MISUSE);
  sdb_batch_free(b);
  CHECK("config_alloc: everything freed", ta.nLive == 0 && ta.nBytes == 0);
  CHECK("config_alloc: NULL restores malloc", sdb_config_alloc(NULL) == SDB_OK);
  b = sdb_batch_new();
  CHECK("config_alloc: malloc in use again", b && ta.nLive == 0);
  sdb_batch_free(b);
}

int main(void) {
  const char *zBase = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : (getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
  snprintf(gDir, sizeof(gDir), "%s/sdb-oom-%d", zBase, (int)getpid());
  static const SdbAllocMethods counting = {taMalloc, taRealloc, taFree, NULL};
  testConfigApi(&counting);
  sdb_config_alloc(&counting);

  Sweep s0 = {0};
  long nAlloc = runOne(&s0, 0, 0, getenv("SDB_OOM_N") != NULL);
  CHECKF("oom: the workload runs clean without failures", s0.nBadErr == 0 && s0.nBadRows == 0 && s0.nLeak == 0,
         "%s%s%s", s0.zErr, s0.zRows, s0.zLeak);
  printf("# workload: %ld allocations\n", nAlloc);

  long iOnly = getenv("SDB_OOM_N") ? atol(getenv("SDB_OOM_N")) : 0;
  long nStride = getenv("SDB_OOM_STRIDE") ? atol(getenv("SDB_OOM_STRIDE")) : 1;
  if (nStride < 1) nStride = 1;
  static const char *azMode[] = {"once", "persistent"};
  for (int bPersist = 0; bPersist < 2; bPersist++) {
    Sweep s = {0};
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (long n = iOnly ? iOnly : 1; n <= (iOnly ? iOnly : nAlloc); n += nStride) {
      if (iOnly) printf("# N=%ld %s\n", n, azMode[bPersist]);
      runOne(&s, n, bPersist, iOnly != 0);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    printf("# %s: %ld runs in %.1f s (%ld injected nothing; %ld had a later call fail too)\n",
           azMode[bPersist], s.nRun,
           (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9, s.nNoFail,
           s.nSticky);
    report(azMode[bPersist], &s);
  }
  freshDir();
  return test_done();
}
