/*
** t_db.c: the engine's read path against every fixture that SlateDB 0.12.1
** wrote (c-tests/fixtures/<name>/{db,expected.txt}).
**
** For each fixture: a full ascending scan must equal SlateDB's dump exactly;
** a descending scan must equal it reversed; random sub-ranges (inclusive and
** exclusive bounds) must equal the matching slice; point lookups of present and
** absent keys must agree. Scans also run on a tiny block cache to exercise
** eviction.
*/
#include <dirent.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"
#include "db/dbInt.h"
#include "meta/manifest_enc.h"
#include "util/sdbInt.h"

typedef struct Row { u8 *k; size_t nk; u8 *v; size_t nv; } Row;
typedef struct Rows { Row *a; int n, nAlloc; } Rows;

static int hexval(int c) { return c <= '9' ? c - '0' : (c | 32) - 'a' + 10; }
static size_t unhex(const char *z, size_t n, u8 *out) {
  for (size_t i = 0; i + 1 < n + 1 && i / 2 < n / 2; i += 2) out[i / 2] = (u8)(hexval(z[i]) * 16 + hexval(z[i + 1]));
  return n / 2;
}

static int loadExpected(const char *zPath, Rows *p) {
  FILE *f = fopen(zPath, "r");
  if (!f) return 0;
  char *zLine = NULL;
  size_t nCap = 0;
  ssize_t n;
  while ((n = getline(&zLine, &nCap, f)) > 0) {
    while (n > 0 && (zLine[n - 1] == '\n' || zLine[n - 1] == '\r')) zLine[--n] = 0;
    char *zSp = strchr(zLine, ' ');
    if (!zSp) continue;
    if (p->n == p->nAlloc) {
      p->nAlloc = p->nAlloc ? p->nAlloc * 2 : 256;
      p->a = realloc(p->a, sizeof(Row) * (size_t)p->nAlloc);
    }
    Row *r = &p->a[p->n++];
    size_t nk = (size_t)(zSp - zLine), nv = strlen(zSp + 1);
    r->k = malloc(nk / 2 + 1);
    r->v = malloc(nv / 2 + 1);
    r->nk = unhex(zLine, nk, r->k);
    r->nv = unhex(zSp + 1, nv, r->v);
  }
  free(zLine);
  fclose(f);
  return 1;
}

static void freeRows(Rows *p) {
  for (int i = 0; i < p->n; i++) { free(p->a[i].k); free(p->a[i].v); }
  free(p->a);
  memset(p, 0, sizeof(*p));
}

/* Compare a scan with rows exp[i0..i1) (reversed when bDesc). Returns the
** index of the first difference, or -1 when equal. */
static int compareScan(SdbDb *db, const SdbRange *r, int bDesc, Rows *exp, int i0, int i1,
                       SdbErr *pErr) {
  SdbIter *it = NULL;
  if (sdb_db_scan(db, r, bDesc, &it, pErr)) return 0;
  int n = i1 - i0, j = 0, bad = -1;
  for (; !it->bEof; j++) {
    if (j >= n) { bad = j; break; }
    Row *w = &exp->a[bDesc ? i1 - 1 - j : i0 + j];
    if (sdbKeyCmp(it->cur.pKey, it->cur.nKey, w->k, w->nk) || it->cur.nVal != w->nv ||
        (w->nv && memcmp(it->cur.pVal, w->v, w->nv))) { bad = j; break; }
    if (sdb_iter_next(it, pErr)) { bad = j; break; }
  }
  if (bad < 0 && j != n) bad = j;
  sdb_iter_free(it);
  return bad;
}

/* Index of the first row >= key (or > key when bExcl). */
static int lowerBound(Rows *p, const u8 *k, size_t nk, int bExcl) {
  int lo = 0, hi = p->n;
  while (lo < hi) {
    int mid = (lo + hi) / 2;
    int c = sdbKeyCmp(p->a[mid].k, p->a[mid].nk, k, nk);
    if (c < 0 || (bExcl && c == 0)) lo = mid + 1; else hi = mid;
  }
  return lo;
}

static void testFixture(const char *zName, const char *zDir) {
  char zPath[1024], zTest[256];
  Rows exp = {0};
  snprintf(zPath, sizeof(zPath), "%s/expected.txt", zDir);
  if (!loadExpected(zPath, &exp)) return;
  snprintf(zPath, sizeof(zPath), "%s/db", zDir);
  for (int bSmallCache = 0; bSmallCache < 2; bSmallCache++) {
    SdbConfig cfg = {.zUrl = zPath, .bReadOnly = 1, .eMergeOp = SDB_MERGE_CONCAT, .nCacheBytes = bSmallCache ? 8192 : 0};
    SdbDb *db = NULL;
    SdbErr err = {0};
    int rc = sdb_db_open(&cfg, &db, &err);
    snprintf(zTest, sizeof(zTest), "db %s%s: open", zName, bSmallCache ? " (8 KiB cache)" : "");
    CHECKF(zTest, rc == SDB_OK, "rc=%d %s", rc, err.zMsg);
    if (rc) continue;
    int bad = compareScan(db, NULL, 0, &exp, 0, exp.n, &err);
    snprintf(zTest, sizeof(zTest), "db %s: full scan equals SlateDB's dump (%d rows)", zName, exp.n);
    CHECKF(zTest, bad < 0, "first difference at row %d %s", bad, err.zMsg);
    bad = compareScan(db, NULL, 1, &exp, 0, exp.n, &err);
    snprintf(zTest, sizeof(zTest), "db %s: descending scan equals the dump reversed", zName);
    CHECKF(zTest, bad < 0, "first difference at row %d %s", bad, err.zMsg);
    if (bSmallCache) { sdb_db_close(db); continue; }
    int nBad = 0;
    srand(42);
    for (int t = 0; t < 200 && exp.n > 0; t++) {
      Row *a = &exp.a[rand() % exp.n], *b = &exp.a[rand() % exp.n];
      if (sdbKeyCmp(a->k, a->nk, b->k, b->nk) > 0) { Row *x = a; a = b; b = x; }
      SdbRange r = {a->k, a->nk, rand() % 5 != 0, rand() % 2, b->k, b->nk, rand() % 5 != 0, rand() % 2};
      int i0 = r.bHasLo ? lowerBound(&exp, a->k, a->nk, r.bLoExcl) : 0;
      int i1 = r.bHasHi ? lowerBound(&exp, b->k, b->nk, !r.bHiExcl) : exp.n;
      if (i1 < i0) i1 = i0;
      if (compareScan(db, &r, t % 2, &exp, i0, i1, &err) >= 0) nBad++;
    }
    snprintf(zTest, sizeof(zTest), "db %s: 200 random range scans", zName);
    CHECKF(zTest, nBad == 0, "%d ranges differ", nBad);
    nBad = 0;
    for (int t = 0; t < 300 && exp.n > 0; t++) {
      Row *a = &exp.a[rand() % exp.n];
      u8 kAbsent[70000];
      size_t nAbsent = a->nk + 1;
      if (t % 2 && nAbsent <= sizeof(kAbsent)) {
        memcpy(kAbsent, a->k, a->nk);
        kAbsent[a->nk] = 0x01;   /* a key just after a present one */
        SdbRange r = {kAbsent, nAbsent, 1, 0, kAbsent, nAbsent, 1, 0};
        int i0 = lowerBound(&exp, kAbsent, nAbsent, 0);
        int i1 = lowerBound(&exp, kAbsent, nAbsent, 1);
        if (compareScan(db, &r, 0, &exp, i0, i1, &err) >= 0) nBad++;
      } else {
        SdbRange r = {a->k, a->nk, 1, 0, a->k, a->nk, 1, 0};
        int i0 = lowerBound(&exp, a->k, a->nk, 0);
        if (compareScan(db, &r, 0, &exp, i0, i0 + 1, &err) >= 0) nBad++;
      }
    }
    snprintf(zTest, sizeof(zTest), "db %s: 300 point lookups (present and absent)", zName);
    CHECKF(zTest, nBad == 0, "%d lookups differ", nBad);
    sdb_db_close(db);
  }
  freeRows(&exp);
}

/* Copy fixture zFixture's database to zDir, decode its latest manifest (id
** *pId) into *pm. 1 on success. */
static int copyFixture(const char *zFixture, const char *zDir, SdbManifest **pm, u64 *pId) {
  char zCmd[2048];
  snprintf(zCmd, sizeof(zCmd), "rm -rf %s && cp -r %s/c-tests/fixtures/%s/db %s", zDir,
           test_srcdir(), zFixture, zDir);
  if (system(zCmd) != 0) return 0;
  SdbStore *s = NULL;
  SdbErr err;
  int rc = sdbStoreOpenDir(zDir, 1, 1, &s, &err);
  if (rc == SDB_OK) rc = sdbManifestLoadLatest(s, pm, pId, &err);
  sdbStoreFree(s);
  return rc == SDB_OK;
}

/* Overwrite manifest id of zDir with m's encoding. 1 on success. */
static int writeManifest(const char *zDir, u64 id, const SdbManifest *m) {
  u8 *a = NULL;
  size_t n = 0;
  SdbErr err;
  char zPath[512];
  if (sdbManifestEncode(m, &a, &n, &err) != SDB_OK) return 0;
  snprintf(zPath, sizeof(zPath), "%s/manifest/%020llu.manifest", zDir, (unsigned long long)id);
  FILE *f = fopen(zPath, "wb");
  int ok = f && fwrite(a, 1, n, f) == n;
  if (f) ok = (fclose(f) == 0) && ok;
  sdbFree(a);
  return ok;
}

/* Open zDir as a reader and scan it all: the first error's rc and message. */
static int openAndScan(const char *zDir, SdbErr *pErr) {
  SdbConfig cfg = {.zUrl = zDir, .bReadOnly = 1, .eMergeOp = SDB_MERGE_CONCAT};
  SdbDb *db = NULL;
  SdbIter *it = NULL;
  sdb_err_clear(pErr);
  int rc = sdb_db_open(&cfg, &db, pErr);
  if (rc == SDB_OK) rc = sdb_db_scan(db, NULL, 0, &it, pErr);
  while (rc == SDB_OK && !it->bEof) rc = sdb_iter_next(it, pErr);
  sdb_iter_free(it);
  sdb_db_close(db);
  return rc;
}

/* A manifest changed in one place (SlateDB's has no checksum) is an error
** naming the object, never a scan with other rows. */
static void testManifestCrossCheck(void) {
  char zDir[64], zName[27], zWant[64];
  snprintf(zDir, sizeof(zDir), "/tmp/sdb-tdb-%d", (int)getpid());
  for (int eCase = 0; eCase < 6; eCase++) {
    SdbManifest *m = NULL;
    u64 id = 0;
    SdbErr err;
    if (!copyFixture("sorted-runs", zDir, &m, &id) || m->nL0 < 1 || m->nRun < 1 ||
        m->aRun[0].nSst < 2) {
      CHECK("db cross-check: sorted-runs fixture copied", 0);
      sdbManifestFree(m);
      return;
    }
    SdbSstHandle *h = &m->aL0[0], *h1 = &m->aRun[0].aSst[1];
    const char *zCase = "", *zMsg = "";
    sdbUlidFormat(h->id, zName);
    snprintf(zWant, sizeof(zWant), "compacted/%s.sst", zName);
    switch (eCase) {
      case 0: zCase = "index_offset"; zMsg = zWant; h->info.indexOffset -= 1; break;
      case 1: zCase = "last key"; zMsg = "last_entry"; h->info.pLast[h->info.nLast - 1] ^= 1; break;
      case 2: zCase = "filter_len"; zMsg = zWant; h->info.filterLen += 8; break;
      case 3:
        zCase = "overlapping run SSTs"; zMsg = "does not start after";
        h1->info.pFirst[h1->info.nFirst - 1] = 0;
        h1->info.nFirst = 1;
        break;
      case 4: zCase = "replay_after_wal_id"; zMsg = "wal_id_last_seen"; m->replayAfterWalId = m->walIdLastSeen + 1; break;
      case 5: zCase = "last_l0_seq too low"; zMsg = "above the manifest's last_l0_seq"; m->lastL0Seq = 1; break;
    }
    int rc = writeManifest(zDir, id, m) ? openAndScan(zDir, &err) : -1;
    char zTest[128];
    snprintf(zTest, sizeof(zTest), "db cross-check: a manifest with another %s is corrupt", zCase);
    CHECKF(zTest, rc == SDB_CORRUPT && strstr(err.zMsg, zMsg), "rc=%d %s", rc, err.zMsg);
    sdbManifestFree(m);
  }
  char zCmd[128];
  snprintf(zCmd, sizeof(zCmd), "rm -rf %s", zDir);
  (void)!system(zCmd);
}

/* ------------------------------------------------------------ store wrapper */
/* A handle's store with the local store's methods except xList, which first
** runs xListHook (when set) with the prefix and pListArg: a test can change
** the store between a reader's manifest read and its WAL listing, fail a
** listing or make it slow. Only handles passed to hookStore are affected. */
static const SdbStoreMethods *pRealMethods;
static SdbStoreMethods hookMethods;
static int (*volatile xListHook)(const char *zPrefix, void *pArg, SdbErr *pErr);
static void *volatile pListArg;
#define HOOK_EMPTY (-1)   /* xListHook's answer: the listing finds nothing */

/* xList of a wrapped store: the hook, then (if it returned SDB_OK) the real
** listing. */
static int hookList(SdbStore *s, const char *zPrefix, SdbObjList *pOut, SdbErr *pErr) {
  int (*xHook)(const char *, void *, SdbErr *) = xListHook;
  int rc = xHook ? xHook(zPrefix, pListArg, pErr) : SDB_OK;
  if (rc == HOOK_EMPTY) {
    sdbObjListFree(pOut);
    return SDB_OK;
  }
  return rc ? rc : pRealMethods->xList(s, zPrefix, pOut, pErr);
}

/* xGet of a wrapped store: the first GET of key zSlowGetKey after it is set
** sleeps 1 s first (bSlowGet is 1 meanwhile). */
static char zSlowGetKey[64];
static volatile int bSlowGet, bSlowGetDone;
static volatile u64 slowFirstOff;   /* offset of the first GET of zSlowGetKey */
static volatile int nSlowFirstOff;  /* GETs of zSlowGetKey at that offset */
static int hookGet(SdbStore *s, const char *zKey, u64 iOff, u64 nLen, SdbBuf *pOut, SdbErr *pErr) {
  if (zSlowGetKey[0] && strcmp(zKey, zSlowGetKey) == 0) {
    if (__atomic_load_n(&nSlowFirstOff, __ATOMIC_SEQ_CST) == 0) slowFirstOff = iOff;
    if (iOff == slowFirstOff) __atomic_add_fetch(&nSlowFirstOff, 1, __ATOMIC_SEQ_CST);
  }
  if (zSlowGetKey[0] && strcmp(zKey, zSlowGetKey) == 0 &&
      !__atomic_exchange_n(&bSlowGetDone, 1, __ATOMIC_SEQ_CST)) {
    __atomic_store_n(&bSlowGet, 1, __ATOMIC_SEQ_CST);
    usleep(1000000);
    __atomic_store_n(&bSlowGet, 0, __ATOMIC_SEQ_CST);
  }
  return pRealMethods->xGet(s, zKey, iOff, nLen, pOut, pErr);
}

/* xPut of a wrapped store: the first PUT under wal/ after bSlowWalPutArmed
** is set sleeps 1 s first (bSlowWalPut is 1 meanwhile). */
static volatile int bSlowWalPutArmed, bSlowWalPut;
static int hookPut(SdbStore *s, const char *zKey, const u8 *a, size_t n, int bIfAbsent,
                   SdbErr *pErr) {
  if (strncmp(zKey, "wal/", 4) == 0 && __atomic_exchange_n(&bSlowWalPutArmed, 0, __ATOMIC_SEQ_CST)) {
    __atomic_store_n(&bSlowWalPut, 1, __ATOMIC_SEQ_CST);
    usleep(1000000);
    __atomic_store_n(&bSlowWalPut, 0, __ATOMIC_SEQ_CST);
  }
  return pRealMethods->xPut(s, zKey, a, n, bIfAbsent, pErr);
}

/* Route db's store's xList, xGet and xPut through the hooks above.
** REQUIRES: a local-directory store. */
static void hookStore(SdbDb *db) {
  pRealMethods = db->pStore->pMethods;
  hookMethods = *pRealMethods;
  hookMethods.xList = hookList;
  hookMethods.xGet = hookGet;
  hookMethods.xPut = hookPut;
  db->pStore->pMethods = &hookMethods;
}

/* ------------------------------------------------------------ GC races */
/* The GC race tests: a writer W reaches the database through "file://<dir>"
** and a reader R through "<dir>", so W's commits do not bump R's change
** counter and R (poll_interval 1 h) refreshes only when it is told to or
** finds an object gone. */
typedef struct Race {
  char zDir[64];
  SdbDb *w, *r;
  int iRound;             /* value version the writer wrote last */
} Race;

#define RACE_ROWS 600
#define RACE_KEY_MAX 40

/* Length of every key of the races (3..RACE_KEY_MAX: "%03d" padded with
** one byte repeated), or 0 for "k%05d". */
static int gRaceKeyLen;

/* Key i of the races into zK (RACE_KEY_MAX + 1 bytes). */
static void raceKey(int i, char *zK) {
  if (gRaceKeyLen == 0) {
    snprintf(zK, RACE_KEY_MAX + 1, "k%05d", i);
    return;
  }
  snprintf(zK, RACE_KEY_MAX + 1, "%03d", i);
  /* The padding byte grows with i (keys 0..199): a key whose copy kept any
  ** byte of the key before it (scanExpose's resume point) is below the key,
  ** so the resumed scan returns the key again (raceScan reports it). */
  memset(zK + 3, 0x21 + i % 200, (size_t)gRaceKeyLen - 3);
  zK[gRaceKeyLen] = 0;
}

/* Write every key with value "<round>:<key>" in batches of 100, one WAL SST
** each (durable). */
static int raceWriteAll(Race *x, SdbErr *pErr) {
  SdbBatch *b = sdb_batch_new();
  int rc = b ? SDB_OK : SDB_NOMEM;
  x->iRound++;
  for (int i = 0; rc == SDB_OK && i < RACE_ROWS; i++) {
    char zK[RACE_KEY_MAX + 1], zV[RACE_KEY_MAX + 16];
    raceKey(i, zK);
    snprintf(zV, sizeof(zV), "%d:%s", x->iRound, zK);
    rc = sdb_batch_put(b, (const u8 *)zK, strlen(zK), (const u8 *)zV, strlen(zV), 0, pErr);
    if (rc == SDB_OK && i % 100 == 99) {
      rc = sdb_db_write(x->w, b, 1, pErr);
      sdb_batch_clear(b);
    }
  }
  sdb_batch_free(b);
  return rc;
}

/* True if W's current version lists compacted SST zName. */
static int raceListed(Race *x, const char *zName) {
  DbVersion *v = sdbDbPinVersion(x->w);
  int b = 0;
  for (int i = 0; i < v->nL0; i++) b |= strstr(v->apL0[i]->zKey, zName) != NULL;
  for (int r = 0; r < v->nRun; r++) {
    for (int i = 0; i < v->aRun[r].nTable; i++) b |= strstr(v->aRun[r].apTable[i]->zKey, zName) != NULL;
  }
  sdbDbVersionUnref(v);
  return b;
}

/* A new round of values, flushed to L0 and compacted into one sorted run of
** small SSTs; then GC with min age 0 deletes the WAL SSTs the latest manifest
** no longer needs, and the compacted SSTs it no longer lists are deleted too
** (GC itself keeps them for the compactor's checkpoint). */
static int raceNewRun(Race *x, SdbErr *pErr) {
  int nDone = 0;
  u64 nDel = 0;
  int rc = raceWriteAll(x, pErr);
  if (rc == SDB_OK) rc = sdb_db_flush(x->w, 1, pErr);
  if (rc == SDB_OK) rc = sdb_db_compact(x->w, &nDone, pErr);
  if (rc == SDB_OK) rc = sdb_db_gc(x->w, 0, &nDel, pErr);
  char zPath[160];
  snprintf(zPath, sizeof(zPath), "%s/compacted", x->zDir);
  DIR *d = opendir(zPath);
  struct dirent *e;
  while (rc == SDB_OK && d && (e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.' || raceListed(x, e->d_name)) continue;
    snprintf(zPath, sizeof(zPath), "%s/compacted/%s", x->zDir, e->d_name);
    unlink(zPath);
  }
  if (d) closedir(d);
  return rc;
}

static int raceOpen(Race *x, SdbErr *pErr) {
  char zUrl[80];
  memset(x, 0, sizeof(*x));
  snprintf(x->zDir, sizeof(x->zDir), "/tmp/sdb-race-%d", (int)getpid());
  snprintf(zUrl, sizeof(zUrl), "file://%s", x->zDir);
  char zCmd[128];
  snprintf(zCmd, sizeof(zCmd), "rm -rf %s", x->zDir);
  (void)!system(zCmd);
  SdbConfig cw = {.zUrl = zUrl, .bCreateIfMissing = 1, .compactorPollMs = 3600000,
                  .gcIntervalMs = 3600000,
                  .maxSstSize = 2048, .blockSize = 512};
  int rc = sdb_db_open(&cw, &x->w, pErr);
  if (rc == SDB_OK) rc = raceNewRun(x, pErr);
  SdbConfig cr = {.zUrl = x->zDir, .bReadOnly = 1, .pollIntervalMs = 3600000, .nCacheBytes = 4096};
  if (rc == SDB_OK) rc = sdb_db_open(&cr, &x->r, pErr);
  return rc;
}

static void raceClose(Race *x) {
  sdb_db_close(x->r);
  sdb_db_close(x->w);
  char zCmd[128];
  snprintf(zCmd, sizeof(zCmd), "rm -rf %s", x->zDir);
  (void)!system(zCmd);
}

/* Scan R fully: *pn rows; *pbBad when a key is not above the one before or
** a value is not "<round>:<key>"; *pnNewest rows after the first nPause hold
** the writer's latest round. After nPause rows xPause (if any) runs. */
static int raceScan(Race *x, int nPause, int (*xPause)(Race *, SdbErr *), int *pn, int *pbBad,
                    int *pnNewest, SdbErr *pErr) {
  SdbIter *it = NULL;
  char zPrev[RACE_KEY_MAX + 1] = "";
  *pn = 0;
  *pbBad = 0;
  *pnNewest = 0;
  int rc = sdb_db_scan(x->r, NULL, 0, &it, pErr);
  while (rc == SDB_OK && !it->bEof) {
    char zK[RACE_KEY_MAX + 1] = {0}, zV[RACE_KEY_MAX + 16] = {0}, zWant[RACE_KEY_MAX + 16];
    memcpy(zK, it->cur.pKey, it->cur.nKey < RACE_KEY_MAX ? it->cur.nKey : RACE_KEY_MAX);
    memcpy(zV, it->cur.pVal, it->cur.nVal < sizeof(zV) - 1 ? it->cur.nVal : sizeof(zV) - 1);
    snprintf(zWant, sizeof(zWant), "%d:%s", x->iRound, zK);
    if (strcmp(zPrev, zK) >= 0 || !strchr(zV, ':') || strcmp(strchr(zV, ':') + 1, zK)) *pbBad = 1;
    if (*pn >= nPause && strcmp(zV, zWant) == 0) (*pnNewest)++;
    memcpy(zPrev, zK, sizeof(zPrev));
    (*pn)++;
    if (*pn == nPause && xPause) rc = xPause(x, pErr);
    if (rc == SDB_OK) rc = sdb_iter_next(it, pErr);
  }
  sdb_iter_free(it);
  return rc;
}

/* xListHook of R, before its WAL listing (once): W commits twice, flushes
** (the manifest now replays after the second WAL SST), commits once more and
** GC deletes the flushed WAL SSTs: what GC does while a reader is between its
** manifest read and its WAL listing. */
static int raceWalHook(const char *zPrefix, void *pArg, SdbErr *pErrList) {
  Race *x = (Race *)pArg;
  SdbErr err;
  if (strcmp(zPrefix, "wal/") != 0) return SDB_OK;
  xListHook = NULL;
  u64 nDel = 0;
  SdbBatch *b = sdb_batch_new();
  for (int i = 0; i < 3 && b; i++) {
    char zK[16];
    snprintf(zK, sizeof(zK), "w%d", i);
    sdb_batch_put(b, (const u8 *)zK, strlen(zK), (const u8 *)"1:x", 3, 0, &err);
    sdb_db_write(x->w, b, 1, &err);
    sdb_batch_clear(b);
    if (i == 1) sdb_db_flush(x->w, 1, &err);
  }
  sdb_batch_free(b);
  sdb_db_gc(x->w, 0, &nDel, &err);
  return SDB_OK;
}

static void testGcRace(void) {
  Race x;
  SdbErr err;
  int n, bBad, nNew;
  int rc = raceOpen(&x, &err);
  CHECKF("gc race: writer, first run, reader", rc == SDB_OK, "rc=%d %s", rc, err.zMsg);
  if (rc) { raceClose(&x); return; }
  hookStore(x.r);

  /* The reader's version lists SSTs that GC deletes before the scan opens them. */
  rc = raceNewRun(&x, &err);
  int rcScan = rc ? rc : raceScan(&x, 0, NULL, &n, &bBad, &nNew, &err);
  CHECKF("gc race: a scan whose SSTs GC deleted re-reads the manifest and sees every row",
         rcScan == SDB_OK && n == RACE_ROWS && !bBad && nNew == RACE_ROWS,
         "rc=%d n=%d bad=%d newest=%d %s", rcScan, n, bBad, nNew, err.zMsg);

  /* GC deletes the run in the middle of a scan: the scan resumes after its
  ** last row on the fresh version. (The reader starts on a run it has not
  ** opened yet: the local store keeps descriptors of SSTs it opened, and
  ** those stay readable after a delete.) */
  rc = raceNewRun(&x, &err);
  if (rc == SDB_OK) rc = sdb_db_refresh(x.r, &err);
  rcScan = rc ? rc : raceScan(&x, 50, raceNewRun, &n, &bBad, &nNew, &err);
  CHECKF("gc race: a scan resumes after its last row when GC deletes SSTs mid-scan",
         rcScan == SDB_OK && n == RACE_ROWS && !bBad && nNew > 0 && nNew <= RACE_ROWS - 50,
         "rc=%d n=%d bad=%d newest=%d %s", rcScan, n, bBad, nNew, err.zMsg);

  /* GC deletes WAL SSTs between the reader's manifest read and its WAL reads. */
  rc = sdb_db_refresh(x.r, &err);
  pListArg = &x;
  xListHook = raceWalHook;
  if (rc == SDB_OK) rc = sdb_db_refresh(x.r, &err);
  int bHookRan = xListHook == NULL;
  xListHook = NULL;
  SdbIter *it = NULL;
  SdbRange r = {(const u8 *)"w", 1, 1, 0, (const u8 *)"x", 1, 1, 1};
  int nW = 0;
  if (rc == SDB_OK) rc = sdb_db_scan(x.r, &r, 0, &it, &err);
  while (rc == SDB_OK && !it->bEof) {
    nW++;
    rc = sdb_iter_next(it, &err);
  }
  sdb_iter_free(it);
  CHECKF("gc race: a refresh whose WAL SSTs GC deleted re-reads the manifest",
         rc == SDB_OK && nW == 3 && bHookRan, "rc=%d rows=%d hook ran %d %s", rc, nW, bHookRan,
         err.zMsg);

  /* An SST that the latest manifest lists and that is gone is corruption,
  ** after a bounded number of fresh manifests. */
  rc = sdb_db_refresh(x.r, &err);
  DbVersion *v = sdbDbPinVersion(x.r);
  char zPath[160];
  snprintf(zPath, sizeof(zPath), "%s/%s", x.zDir, v->nRun ? v->aRun[0].apTable[0]->zKey : "none");
  sdbDbVersionUnref(v);
  u64 nBefore = x.r->nVanished;
  rcScan = (rc == SDB_OK && unlink(zPath) == 0) ? raceScan(&x, 0, NULL, &n, &bBad, &nNew, &err) : -1;
  CHECKF("gc race: an SST missing from the latest manifest's set is corrupt after 3 retries",
         rcScan == SDB_CORRUPT && strstr(err.zMsg, strrchr(zPath, '/') + 1) &&
         x.r->nVanished - nBefore == 3, "rc=%d retries=%llu %s", rcScan,
         (unsigned long long)(x.r->nVanished - nBefore), err.zMsg);
  raceClose(&x);
}

/* The stress test's writer: batches of new keys, an L0 flush every 4 batches,
** until bStop; the background compactor and GC (min age 1 ms) run meanwhile. */
typedef struct Stress {
  SdbDb *w;
  volatile int bStop;
  int nBatch;
  int rc;
  SdbErr err;
} Stress;

/* xListHook: widens the window between a reader's manifest read and its WAL
** listing. */
static int stressPause(const char *zPrefix, void *pArg, SdbErr *pErr) {
  if (strcmp(zPrefix, "wal/") == 0) usleep(10000);
  return SDB_OK;
}

static void *stressWriter(void *pArg) {
  Stress *st = (Stress *)pArg;
  SdbBatch *b = sdb_batch_new();
  while (!__atomic_load_n(&st->bStop, __ATOMIC_ACQUIRE) && st->rc == SDB_OK && b) {
    for (int i = 0; i < 20; i++) {
      char zK[24];
      snprintf(zK, sizeof(zK), "s%07d", st->nBatch * 20 + i);
      sdb_batch_put(b, (const u8 *)zK, strlen(zK), (const u8 *)"v", 1, 0, &st->err);
    }
    st->rc = sdb_db_write(st->w, b, 1, &st->err);
    sdb_batch_clear(b);
    if (st->rc == SDB_OK && ++st->nBatch % 4 == 0) st->rc = sdb_db_flush(st->w, 1, &st->err);
  }
  sdb_batch_free(b);
  return NULL;
}

/* One scanning thread of the stress test: full scans of r until tEnd. */
typedef struct StressScan {
  SdbDb *r;
  i64 tEnd;
  int nScan, nFail, nBad, nPartial, nPrev;
  char zFirstErr[600];
} StressScan;

/* Scan sc->r again and again until sc->tEnd: count failed scans, keys out of
** order or fewer rows than the scan before (nBad), and scans that saw part of
** a writer's batch (nPartial: each batch adds 20 keys in one WAL SST). */
static void *stressScan(void *pArg) {
  StressScan *sc = (StressScan *)pArg;
  SdbErr err;
  while (sdbNowMs() < sc->tEnd) {
    SdbIter *it = NULL;
    char zPrev[24] = "";
    int n = 0;
    int rc = sdb_db_scan(sc->r, NULL, 0, &it, &err);
    while (rc == SDB_OK && !it->bEof) {
      char zK[24] = {0};
      memcpy(zK, it->cur.pKey, it->cur.nKey < 23 ? it->cur.nKey : 23);
      if (strcmp(zPrev, zK) >= 0) sc->nBad++;
      memcpy(zPrev, zK, sizeof(zK));
      n++;
      rc = sdb_iter_next(it, &err);
    }
    sdb_iter_free(it);
    sc->nScan++;
    if (rc) {
      if (!sc->nFail++) snprintf(sc->zFirstErr, sizeof(sc->zFirstErr), "%s", err.zMsg);
    } else {
      if (n < sc->nPrev) sc->nBad++;
      if (n % 20) sc->nPartial++;
      sc->nPrev = n;
    }
  }
  return NULL;
}

/* The resume point of a scan whose SSTs GC deleted mid-scan is a copy of
** the last key returned (read.c scanExpose, which copies keys of up to 32
** bytes with fixed-size moves per length class): for keys of each class
** and their bounds (3 to 38 bytes: 3, 4, 5, 7, 8, 12, 15, 16, 23, 32, 33,
** 38) the scan resumes right after it. */
static void testGcResumeKeyLengths(void) {
  static const int aLen[] = {3, 4, 5, 7, 8, 12, 15, 16, 23, 32, 33, 38};
  for (int k = 0; k < (int)(sizeof(aLen) / sizeof(aLen[0])); k++) {
    Race x;
    SdbErr err;
    int n = 0, bBad = 0, nNew = 0;
    gRaceKeyLen = aLen[k];
    int rc = raceOpen(&x, &err);
    if (rc == SDB_OK) rc = raceNewRun(&x, &err);
    if (rc == SDB_OK) rc = sdb_db_refresh(x.r, &err);
    if (rc == SDB_OK) rc = raceScan(&x, 50, raceNewRun, &n, &bBad, &nNew, &err);
    CHECKF("gc race: a scan resumes right after its last key (keys of each length class)",
           rc == SDB_OK && n == RACE_ROWS && !bBad && nNew > 0 && nNew <= RACE_ROWS - 50,
           "key length %d: rc=%d n=%d bad=%d newest=%d %s", aLen[k], rc, n, bBad, nNew, err.zMsg);
    raceClose(&x);
  }
  gRaceKeyLen = 0;
}

/* GC with a small min age deletes WAL SSTs, SSTs and manifests while two
** threads scan one reader (poll_interval 20 ms, each refresh pausing 10 ms
** between its manifest read and its WAL listing, so scans start during
** refreshes) without pause: no scan fails, each returns its keys in order,
** no scan returns fewer rows than its thread's one before (rows are only
** added), and none sees part of a batch. About 2 s. */
static void testGcStress(void) {
  char zDir[64], zUrl[80], zCmd[128];
  snprintf(zDir, sizeof(zDir), "/tmp/sdb-stress-%d", (int)getpid());
  snprintf(zUrl, sizeof(zUrl), "file://%s", zDir);
  snprintf(zCmd, sizeof(zCmd), "rm -rf %s", zDir);
  (void)!system(zCmd);
  Stress st;
  memset(&st, 0, sizeof(st));
  SdbConfig cw = {.zUrl = zUrl, .bCreateIfMissing = 1, .compactorPollMs = 20, .gcIntervalMs = 10,
                  .gcMinAgeMs = 1, .maxSstSize = 4096, .blockSize = 512};
  SdbConfig cr = {.zUrl = zDir, .bReadOnly = 1, .pollIntervalMs = 20, .nCacheBytes = 8192};
  SdbDb *r = NULL;
  SdbErr err;
  int rc = sdb_db_open(&cw, &st.w, &err);
  if (rc == SDB_OK) rc = sdb_db_open(&cr, &r, &err);
  CHECKF("gc stress: open writer and reader", rc == SDB_OK, "rc=%d %s", rc, err.zMsg);
  if (r) hookStore(r);   /* only r pauses */
  xListHook = stressPause;
  u64 nVanished0 = r ? r->nVanished : 0;
  StressScan sc[2];
  memset(sc, 0, sizeof(sc));
  sc[0].r = sc[1].r = r;
  sc[0].tEnd = sc[1].tEnd = sdbNowMs() + 2000;
  pthread_t th, thScan;
  int bThread = rc == SDB_OK && pthread_create(&th, NULL, stressWriter, &st) == 0;
  int bScan = bThread && pthread_create(&thScan, NULL, stressScan, &sc[1]) == 0;
  if (bScan) stressScan(&sc[0]);
  __atomic_store_n(&st.bStop, 1, __ATOMIC_RELEASE);
  if (bScan) pthread_join(thScan, NULL);
  if (bThread) pthread_join(th, NULL);
  xListHook = NULL;
  SdbStats ws;
  memset(&ws, 0, sizeof(ws));
  if (st.w) sdb_db_stats(st.w, &ws);
  int nScan = sc[0].nScan + sc[1].nScan, nFail = sc[0].nFail + sc[1].nFail;
  printf("# gc stress: %d+%d scans (last %d rows), %d failed, %llu retried on a vanished object;"
         " writer: %d batches, %llu compactions, GC deleted %llu objects\n", sc[0].nScan,
         sc[1].nScan, sc[0].nPrev, nFail,
         (unsigned long long)(r ? r->nVanished - nVanished0 : 0), st.nBatch,
         (unsigned long long)ws.nCompactions, (unsigned long long)ws.nGcDeleted);
  CHECKF("gc stress: the writer kept writing", st.rc == SDB_OK && st.nBatch > 8, "rc=%d %s", st.rc,
         st.err.zMsg);
  CHECKF("gc stress: no scan fails while GC deletes objects",
         bScan && sc[0].nScan > 10 && sc[1].nScan > 10 && nFail == 0,
         "%d of %d scans failed, first: %s%s", nFail, nScan, sc[0].zFirstErr, sc[1].zFirstErr);
  CHECKF("gc stress: scans return keys in order and never fewer rows",
         sc[0].nBad + sc[1].nBad == 0, "%d bad", sc[0].nBad + sc[1].nBad);
  CHECKF("gc stress: scans that start during a refresh see whole batches",
         sc[0].nPartial + sc[1].nPartial == 0, "%d scans saw part of a batch",
         sc[0].nPartial + sc[1].nPartial);
  sdb_db_close(r);
  sdb_db_close(st.w);
  (void)!system(zCmd);
}

/* ------------------------------------------------------------ failed refresh */
/* xListHook: fail the handle's next listing (once). */
static int failListOnce(const char *zPrefix, void *pArg, SdbErr *pErr) {
  xListHook = NULL;
  return sdbErrSet(pErr, SDB_IOERR, "test store: listing %s failed", zPrefix);
}

/* xListHook: the handle's next manifest listing finds none (once), as a local
** directory listing can while the writer adds a manifest and GC deletes the
** one that was the latest. */
static int emptyManifestListOnce(const char *zPrefix, void *pArg, SdbErr *pErr) {
  if (strcmp(zPrefix, "manifest/") != 0) return SDB_OK;
  xListHook = NULL;
  return HOOK_EMPTY;
}

/* Rows of db as "k1,k2," (at most n-1 chars); the scan's rc. */
static int scanKeys(SdbDb *db, char *z, size_t n, SdbErr *pErr) {
  SdbIter *it = NULL;
  z[0] = 0;
  int rc = sdb_db_scan(db, NULL, 0, &it, pErr);
  while (rc == SDB_OK && !it->bEof) {
    if (strlen(z) + it->cur.nKey + 2 < n) {
      strncat(z, (const char *)it->cur.pKey, it->cur.nKey);
      strcat(z, ",");
    }
    rc = sdb_iter_next(it, pErr);
  }
  sdb_iter_free(it);
  return rc;
}

/* Commit key zKey (value "v") durably. */
static int putOne(SdbDb *w, const char *zKey, SdbErr *pErr) {
  SdbBatch *b = sdb_batch_new();
  int rc = b ? sdb_batch_put(b, (const u8 *)zKey, strlen(zKey), (const u8 *)"v", 1, 0, pErr)
             : SDB_NOMEM;
  if (rc == SDB_OK) rc = sdb_db_write(w, b, 1, pErr);
  sdb_batch_free(b);
  return rc;
}

/* A writer on zWriterUrl that commits "a", a reader (poll_interval 1 h) on
** zReaderUrl whose store is hooked (hookStore), then the writer's commit "b".
** The caller closes both (NULL when not opened). */
static int openHookedPair(const char *zWriterUrl, const char *zReaderUrl, SdbDb **pw, SdbDb **pr,
                          SdbErr *pErr) {
  SdbConfig cw = {.zUrl = zWriterUrl, .bCreateIfMissing = 1, .compactorPollMs = 3600000,
                  .gcIntervalMs = 3600000};
  SdbConfig cr = {.zUrl = zReaderUrl, .bReadOnly = 1, .pollIntervalMs = 3600000};
  *pw = *pr = NULL;
  int rc = sdb_db_open(&cw, pw, pErr);
  if (rc == SDB_OK) rc = putOne(*pw, "a", pErr);
  if (rc == SDB_OK) rc = sdb_db_open(&cr, pr, pErr);
  if (rc == SDB_OK) hookStore(*pr);
  if (rc == SDB_OK) rc = putOne(*pw, "b", pErr);
  return rc;
}

/* A reader (poll_interval 1 h) whose refresh after a commit of a writer in
** this process fails: the statement fails, and the next one refreshes again
** and sees the commit (not the version of before it). */
static void testRefreshFailure(void) {
  char zDir[64], zCmd[128], z[64];
  snprintf(zDir, sizeof(zDir), "/tmp/sdb-refail-%d", (int)getpid());
  snprintf(zCmd, sizeof(zCmd), "rm -rf %s", zDir);
  (void)!system(zCmd);
  SdbDb *w = NULL, *r = NULL;
  SdbErr err;
  int rc = openHookedPair(zDir, zDir, &w, &r, &err);
  xListHook = failListOnce;
  int rc1 = rc ? rc : scanKeys(r, z, sizeof(z), &err);
  xListHook = NULL;
  CHECKF("refresh failure: the statement whose refresh fails reports it", rc1 == SDB_IOERR,
         "rc=%d %s", rc1, err.zMsg);
  rc = rc ? rc : scanKeys(r, z, sizeof(z), &err);
  CHECKF("refresh failure: the next statement refreshes again and sees the commit",
         rc == SDB_OK && strcmp(z, "a,b,") == 0, "rc=%d rows '%s' %s", rc, z, err.zMsg);
  if (rc == SDB_OK) rc = putOne(w, "c", &err);
  xListHook = emptyManifestListOnce;
  rc = rc ? rc : scanKeys(r, z, sizeof(z), &err);
  int bHookRan = xListHook == NULL;
  xListHook = NULL;
  CHECKF("refresh failure: a manifest listing that finds none (GC race) is listed again",
         rc == SDB_OK && bHookRan && strcmp(z, "a,b,c,") == 0, "rc=%d hook ran %d rows '%s' %s",
         rc, bHookRan, z, err.zMsg);
  sdb_db_close(r);
  sdb_db_close(w);
  (void)!system(zCmd);
}

/* ------------------------------------------------------------ slow refresh */
static volatile int bSlowListing;   /* slowList is sleeping */

/* xListHook: the WAL listing takes 1 s (as a slow store would). */
static int slowList(const char *zPrefix, void *pArg, SdbErr *pErr) {
  if (strcmp(zPrefix, "wal/") != 0) return SDB_OK;
  __atomic_store_n(&bSlowListing, 1, __ATOMIC_SEQ_CST);
  usleep(1000000);
  __atomic_store_n(&bSlowListing, 0, __ATOMIC_SEQ_CST);
  return SDB_OK;
}

/* A thread's sdb_db_refresh of the reader in pArg. */
static void *refreshThread(void *pArg) {
  SdbErr err;
  return (void *)(intptr_t)sdb_db_refresh((SdbDb *)pArg, &err);
}

/* While a thread refreshes r through the slow listing, a scan of r starts and
** ends without waiting for it and shows zBefore; after the refresh, zAfter.
** 1 if so; the details in zWhy. */
static int slowRefreshCase(SdbDb *r, const char *zBefore, const char *zAfter, char *zWhy,
                           size_t nWhy) {
  char z[64] = "", z2[64] = "";
  SdbErr err = {0};
  pthread_t th;
  xListHook = slowList;
  if (pthread_create(&th, NULL, refreshThread, r) != 0) return 0;
  for (int i = 0; i < 5000 && !__atomic_load_n(&bSlowListing, __ATOMIC_SEQ_CST); i++) usleep(1000);
  int bStarted = __atomic_load_n(&bSlowListing, __ATOMIC_SEQ_CST);
  int rc = scanKeys(r, z, sizeof(z), &err);
  int bDuring = __atomic_load_n(&bSlowListing, __ATOMIC_SEQ_CST);
  void *pRc = NULL;
  pthread_join(th, &pRc);
  xListHook = NULL;
  int rc2 = scanKeys(r, z2, sizeof(z2), &err);
  snprintf(zWhy, nWhy, "listing began %d, scan done during it %d, scan rc=%d '%s', refresh rc=%d,"
           " then rc=%d '%s' %s", bStarted, bDuring, rc, z, (int)(intptr_t)pRc, rc2, z2, err.zMsg);
  return bStarted && bDuring && rc == SDB_OK && strcmp(z, zBefore) == 0 && pRc == NULL &&
         rc2 == SDB_OK && strcmp(z2, zAfter) == 0;
}

/* A refresh waiting on the store (new WAL SSTs, then a new manifest) does not
** hold up a scan of the same reader: the scan sees the version of before. */
static void testSlowRefresh(void) {
  char zDir[64], zUrl[80], zCmd[128], zWhy[400];
  snprintf(zDir, sizeof(zDir), "/tmp/sdb-slow-%d", (int)getpid());
  snprintf(zUrl, sizeof(zUrl), "file://%s", zDir);   /* W's commits leave r's counter alone */
  snprintf(zCmd, sizeof(zCmd), "rm -rf %s", zDir);
  (void)!system(zCmd);
  SdbDb *w = NULL, *r = NULL;
  SdbErr err;
  int rc = openHookedPair(zUrl, zDir, &w, &r, &err);
  int ok = rc == SDB_OK && slowRefreshCase(r, "a,", "a,b,", zWhy, sizeof(zWhy));
  CHECKF("slow refresh: a scan starts while a refresh replays new WAL SSTs", ok, "rc=%d %s %s",
         rc, zWhy, err.zMsg);
  if (rc == SDB_OK) rc = putOne(w, "c", &err);
  if (rc == SDB_OK) rc = sdb_db_flush(w, 1, &err);
  ok = rc == SDB_OK && slowRefreshCase(r, "a,b,", "a,b,c,", zWhy, sizeof(zWhy));
  CHECKF("slow refresh: a scan starts while a refresh builds a new manifest's version", ok,
         "rc=%d %s %s", rc, zWhy, err.zMsg);
  sdb_db_close(r);
  sdb_db_close(w);
  (void)!system(zCmd);
}

/* ------------------------------------------------------------ slow SST open */

/* Scan the single key zKey of db into z ("k," per row). */
static int scanPoint(SdbDb *db, const char *zKey, char *z, size_t n, SdbErr *pErr) {
  SdbRange r = {0};
  r.pLo = r.pHi = (const u8 *)zKey;
  r.nLo = r.nHi = strlen(zKey);
  r.bHasLo = r.bHasHi = 1;
  SdbIter *it = NULL;
  int rc = sdb_db_scan(db, &r, 0, &it, pErr);
  z[0] = 0;
  while (rc == SDB_OK && !it->bEof) {
    size_t len = strlen(z);
    snprintf(z + len, n - len, "%.*s,", (int)it->cur.nKey, (const char *)it->cur.pKey);
    rc = sdb_iter_next(it, pErr);
  }
  sdb_iter_free(it);
  return rc;
}

/* A thread's scan of key "b" of the reader in pArg. */
static void *scanBThread(void *pArg) {
  char z[16];
  SdbErr err;
  return (void *)(intptr_t)scanPoint((SdbDb *)pArg, "b", z, sizeof(z), &err);
}

/* Two L0s, "a" (newer: opened by a first scan) and "b" (not open yet), under a
** reader whose store takes 1 s to read b's SST: while a thread's scan opens
** it, a scan of "a" (its SST open, its block cached) ends without waiting. */
static void testSlowSstOpen(void) {
  char zDir[64], zUrl[80], zCmd[128], z[16] = "", z2[16] = "";
  snprintf(zDir, sizeof(zDir), "/tmp/sdb-slowopen-%d", (int)getpid());
  snprintf(zUrl, sizeof(zUrl), "file://%s", zDir);
  snprintf(zCmd, sizeof(zCmd), "rm -rf %s", zDir);
  (void)!system(zCmd);
  SdbConfig cw = {.zUrl = zUrl, .bCreateIfMissing = 1, .bNoCompactor = 1, .bNoGc = 1};
  SdbConfig cr = {.zUrl = zDir, .bReadOnly = 1, .pollIntervalMs = 3600000};
  SdbDb *w = NULL, *r = NULL;
  SdbErr err = {0};
  int rc = sdb_db_open(&cw, &w, &err);
  if (rc == SDB_OK) rc = putOne(w, "b", &err);
  if (rc == SDB_OK) rc = sdb_db_flush(w, 1, &err);
  if (rc == SDB_OK) rc = putOne(w, "a", &err);
  if (rc == SDB_OK) rc = sdb_db_flush(w, 1, &err);
  if (rc == SDB_OK) rc = sdb_db_open(&cr, &r, &err);
  if (rc == SDB_OK) rc = scanPoint(r, "a", z, sizeof(z), &err);
  DbVersion *v = rc == SDB_OK ? sdbDbPinVersion(r) : NULL;
  bSlowGetDone = 0;
  if (v && v->nL0 == 2) snprintf(zSlowGetKey, sizeof(zSlowGetKey), "%s", v->apL0[1]->zKey);
  sdbDbVersionUnref(v);
  int bStarted = 0, bDuring = 0, rc2 = -1;
  void *pRc = (void *)1;
  pthread_t th;
  if (rc == SDB_OK && zSlowGetKey[0]) hookStore(r);
  if (rc == SDB_OK && zSlowGetKey[0] && pthread_create(&th, NULL, scanBThread, r) == 0) {
    for (int i = 0; i < 5000 && !__atomic_load_n(&bSlowGet, __ATOMIC_SEQ_CST); i++) usleep(1000);
    bStarted = __atomic_load_n(&bSlowGet, __ATOMIC_SEQ_CST);
    rc2 = scanPoint(r, "a", z2, sizeof(z2), &err);
    bDuring = __atomic_load_n(&bSlowGet, __ATOMIC_SEQ_CST);
    pthread_join(th, &pRc);
  }
  zSlowGetKey[0] = 0;
  nSlowFirstOff = 0;
  CHECKF("slow SST open: a scan of an open SST does not wait for another scan's SST open",
         rc == SDB_OK && strcmp(z, "a,") == 0 && bStarted && bDuring && rc2 == SDB_OK &&
             strcmp(z2, "a,") == 0 && pRc == NULL,
         "rc=%d '%s' open began %d, scan done during it %d, scan rc=%d '%s', other scan rc=%d %s",
         rc, z, bStarted, bDuring, rc2, z2, (int)(intptr_t)pRc, err.zMsg);
  sdb_db_close(r);
  sdb_db_close(w);
  (void)!system(zCmd);
}

/* Two scans of "b" at once under a reader whose store takes 1 s for the first
** read of b's SST (the open): the second scan waits for the first one's open
** and uses its SST, so the SST's open span is read once, not twice. */
static void testSstOpenedOnce(void) {
  char zDir[64], zCmd[128], z[16] = "";
  snprintf(zDir, sizeof(zDir), "/tmp/sdb-openonce-%d", (int)getpid());
  snprintf(zCmd, sizeof(zCmd), "rm -rf %s", zDir);
  (void)!system(zCmd);
  SdbConfig cw = {.zUrl = zDir, .bCreateIfMissing = 1, .bNoCompactor = 1, .bNoGc = 1};
  SdbConfig cr = {.zUrl = zDir, .bReadOnly = 1, .pollIntervalMs = 3600000};
  SdbDb *w = NULL, *r = NULL;
  SdbErr err = {0};
  int rc = sdb_db_open(&cw, &w, &err);
  if (rc == SDB_OK) rc = putOne(w, "b", &err);
  if (rc == SDB_OK) rc = sdb_db_flush(w, 1, &err);
  if (rc == SDB_OK) rc = sdb_db_open(&cr, &r, &err);
  DbVersion *v = rc == SDB_OK ? sdbDbPinVersion(r) : NULL;
  bSlowGetDone = 0;
  nSlowFirstOff = 0;
  if (v && v->nL0 == 1) snprintf(zSlowGetKey, sizeof(zSlowGetKey), "%s", v->apL0[0]->zKey);
  sdbDbVersionUnref(v);
  int bStarted = 0;
  void *pRc = (void *)1;
  int rc2 = -1;
  pthread_t th;
  if (rc == SDB_OK && zSlowGetKey[0]) hookStore(r);
  if (rc == SDB_OK && zSlowGetKey[0] && pthread_create(&th, NULL, scanBThread, r) == 0) {
    for (int i = 0; i < 5000 && !__atomic_load_n(&bSlowGet, __ATOMIC_SEQ_CST); i++) usleep(1000);
    bStarted = __atomic_load_n(&bSlowGet, __ATOMIC_SEQ_CST);
    rc2 = scanPoint(r, "b", z, sizeof(z), &err);
    pthread_join(th, &pRc);
  }
  int nOpenReads = __atomic_load_n(&nSlowFirstOff, __ATOMIC_SEQ_CST);
  zSlowGetKey[0] = 0;
  nSlowFirstOff = 0;
  CHECKF("slow SST open: a second scan waits for the first one's open of the same SST instead "
         "of reading it again", rc == SDB_OK && bStarted && rc2 == SDB_OK && strcmp(z, "b,") == 0 &&
             pRc == NULL && nOpenReads == 1,
         "rc=%d open began %d, scan rc=%d '%s', other scan rc=%d, open span read %d times %s", rc,
         bStarted, rc2, z, (int)(intptr_t)pRc, nOpenReads, err.zMsg);
  sdb_db_close(r);
  sdb_db_close(w);
  (void)!system(zCmd);
}

/* ------------------------------------------------------------ slow commit */

/* A thread's durable commit of key "x" to the writer in pArg. */
static void *putXThread(void *pArg) {
  SdbErr err;
  return (void *)(intptr_t)putOne((SdbDb *)pArg, "x", &err);
}

/* While a commit's WAL PUT is held up 1 s by a slow store, sdb_db_stats of
** the same writer (slatedb_handles, the fencing check of a transaction)
** returns without waiting for it. */
static void testStatsDuringCommit(void) {
  char zDir[64], zCmd[128];
  snprintf(zDir, sizeof(zDir), "/tmp/sdb-slowput-%d", (int)getpid());
  snprintf(zCmd, sizeof(zCmd), "rm -rf %s", zDir);
  (void)!system(zCmd);
  SdbConfig cw = {.zUrl = zDir, .bCreateIfMissing = 1, .bNoCompactor = 1, .bNoGc = 1};
  SdbDb *w = NULL;
  SdbErr err = {0};
  SdbStats st;
  memset(&st, 0, sizeof(st));
  int rc = sdb_db_open(&cw, &w, &err);
  if (rc == SDB_OK) rc = putOne(w, "a", &err);
  int bStarted = 0, bDuring = 0;
  void *pRc = (void *)1;
  pthread_t th;
  if (rc == SDB_OK) hookStore(w);
  bSlowWalPutArmed = 1;
  if (rc == SDB_OK && pthread_create(&th, NULL, putXThread, w) == 0) {
    for (int i = 0; i < 5000 && !__atomic_load_n(&bSlowWalPut, __ATOMIC_SEQ_CST); i++) usleep(1000);
    bStarted = __atomic_load_n(&bSlowWalPut, __ATOMIC_SEQ_CST);
    sdb_db_stats(w, &st);
    bDuring = __atomic_load_n(&bSlowWalPut, __ATOMIC_SEQ_CST);
    pthread_join(th, &pRc);
  }
  bSlowWalPutArmed = 0;
  CHECKF("slow commit: a writer's stats do not wait for a commit's WAL PUT",
         rc == SDB_OK && bStarted && bDuring && pRc == NULL && st.bWriter && st.nWalWrites >= 1 &&
             st.nextWalId >= 2,
         "rc=%d PUT began %d, stats done during it %d, commit rc=%d, writer %d, %llu WAL writes,"
         " next WAL id %llu", rc, bStarted, bDuring, (int)(intptr_t)pRc, st.bWriter,
         (unsigned long long)st.nWalWrites, (unsigned long long)st.nextWalId);
  sdb_db_close(w);
  (void)!system(zCmd);
}

int main(void) {
  char zFix[1024];
  snprintf(zFix, sizeof(zFix), "%s/c-tests/fixtures", test_srcdir());
  DIR *d = opendir(zFix);
  int nFixture = 0;
  struct dirent *e;
  while (d && (e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.') continue;
    char zDir[1200];
    snprintf(zDir, sizeof(zDir), "%s/%s", zFix, e->d_name);
    testFixture(e->d_name, zDir);
    nFixture++;
  }
  if (d) closedir(d);
  CHECKF("db: fixtures found", nFixture >= 10, "only %d fixtures under %s", nFixture, zFix);

  /* Opening things that are not databases. */
  SdbDb *db = NULL;
  SdbErr err = {0};
  SdbConfig cfg = {.zUrl = "/nonexistent/sdb", .bReadOnly = 1};
  int rc = sdb_db_open(&cfg, &db, &err);
  CHECKF("db: missing directory", rc == SDB_CANTOPEN, "rc=%d %s", rc, err.zMsg);
  cfg.zUrl = zFix;   /* a directory without manifest/ */
  rc = sdb_db_open(&cfg, &db, &err);
  CHECKF("db: directory without a manifest", rc == SDB_CANTOPEN && strstr(err.zMsg, "no SlateDB database"),
         "rc=%d %s", rc, err.zMsg);
  testManifestCrossCheck();
  testGcRace();
  testGcResumeKeyLengths();
  testGcStress();
  testRefreshFailure();
  testSlowRefresh();
  testSlowSstOpen();
  testSstOpenedOnce();
  testStatsDuringCommit();
  return test_done();
}
