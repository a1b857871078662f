/*
** t_pointcheck.c: the INSERT uniqueness check's shortcuts against the plain
** scan they replace (issue 16, bulk load).
**
** 1. The memtable's finger (sdbMemtableInsert and sdbMemtableFindNewest
**    search from where the last insert or find ended): random interleavings
**    of ascending runs, descending runs, random keys, newer versions of a key,
**    re-inserts of an existing (key, seq) (which replace the row) and finds;
**    after each step the whole list must be in (key asc, seq desc) order with
**    exactly the model's rows, and FindNewest must return the model's newest
**    version of random keys.
** 2. ext/vtab_write.c's writeLookup: when the transaction's batch has no
**    operation on a key (sdb_batch_has_key) it scans the database alone. On
**    random databases (puts, deletes, expired and expiring rows, TTL puts,
**    several L0s and a sorted run, the rest in the memtable) and random
**    batches (puts, deletes, expired puts, TTL puts), that answer must equal
**    the overlay scan's first row for every key of the key space.
*/
#include <stdint.h>
#include <unistd.h>

#include "test.h"
#include "db/memtable.h"
#include "util/ids.h"
#include "util/sdbInt.h"

#define NKEY 64

static size_t keyOf(int k, u8 *z) { return (size_t)snprintf((char *)z, 16, "k%03d%s", k, k % 5 ? "" : "z"); }

/* ------------------------------------------------------------ 1. finger */

/* model: per key, the value of each seq (0 = no row), seqs 1..NSEQ */
#define NSEQ 24
static int aModel[NKEY][NSEQ + 1];

/* Insert (k, seq) with value tag v into the memtable and the model. */
static int fingerInsert(SdbMemtable *p, int k, int seq, int v) {
  u8 zKey[16], zVal[16];
  size_t nKey = keyOf(k, zKey);
  size_t nVal = (size_t)snprintf((char *)zVal, sizeof(zVal), "v%d", v);
  SdbEntry e = {zKey, nKey, zVal, nVal, (u64)seq, SDB_KIND_VALUE, 0, 0, 0, 0};
  aModel[k][seq] = v;
  return sdbMemtableInsert(p, &e);
}

/* Whether the memtable's rows are exactly the model's, in order. */
static int fingerListOk(SdbMemtable *p) {
  SdbIter *it = NULL;
  SdbErr err;
  int nModel = 0, n = 0, bOk = 1;
  for (int k = 0; k < NKEY; k++) for (int s = 1; s <= NSEQ; s++) nModel += aModel[k][s] != 0;
  if (sdbMemtableIterNew(p, NULL, 0, &it, &err)) return 0;
  u8 zPrev[16];
  size_t nPrev = 0;
  u64 seqPrev = 0;
  for (; bOk && !it->bEof; n++) {
    const SdbEntry *e = &it->cur;
    int c = n ? sdbKeyCmp(zPrev, nPrev, e->pKey, e->nKey) : -1;
    if (c > 0 || (c == 0 && seqPrev <= e->seq)) bOk = 0;
    int k = atoi((const char *)e->pKey + 1);
    char zWant[16];
    snprintf(zWant, sizeof(zWant), "v%d", aModel[k][e->seq]);
    if (e->seq > NSEQ || !aModel[k][e->seq] || e->nVal != strlen(zWant) || memcmp(e->pVal, zWant, e->nVal)) bOk = 0;
    memcpy(zPrev, e->pKey, e->nKey);
    nPrev = e->nKey;
    seqPrev = e->seq;
    if (sdb_iter_next(it, &err)) bOk = 0;
  }
  sdb_iter_free(it);
  return bOk && n == nModel;
}

/* Whether FindNewest(k) agrees with the model. */
static int fingerFindOk(SdbMemtable *p, int k) {
  u8 zKey[16];
  size_t nKey = keyOf(k, zKey);
  SdbEntry e;
  int bFound = sdbMemtableFindNewest(p, zKey, nKey, &e);
  int s = NSEQ;
  while (s > 0 && !aModel[k][s]) s--;
  if (!bFound) return s == 0;
  char zWant[16];
  snprintf(zWant, sizeof(zWant), "v%d", aModel[k][s]);
  return s > 0 && e.seq == (u64)s && e.nKey == nKey && !memcmp(e.pKey, zKey, nKey) &&
         e.nVal == strlen(zWant) && !memcmp(e.pVal, zWant, e.nVal);
}

/* One random step: a run of inserts in some pattern, or finds. */
static int fingerStep(SdbMemtable *p, int *pTag) {
  int k = rand() % NKEY, n = 1 + rand() % 8, seq = 1 + rand() % NSEQ, rc = 0;
  switch (rand() % 7) {
    case 0: for (int i = 0; i < n && k + i < NKEY; i++) rc |= fingerInsert(p, k + i, seq, ++*pTag); break;
    case 1: for (int i = 0; i < n && k - i >= 0; i++) rc |= fingerInsert(p, k - i, seq, ++*pTag); break;
    case 2: for (int i = 0; i < n; i++) rc |= fingerInsert(p, rand() % NKEY, 1 + rand() % NSEQ, ++*pTag); break;
    case 3: for (int s = seq; s <= NSEQ && s < seq + n; s++) rc |= fingerInsert(p, k, s, ++*pTag); break;
    case 4: {   /* find, then insert that key (the uniqueness check's pattern) */
      if (!fingerFindOk(p, k)) return 1;
      rc |= fingerInsert(p, k, seq, ++*pTag);
      break;
    }
    case 5: {   /* re-insert (k, seq) until it is replaced by a shorter node, then append after it */
      for (int i = 0; i < 4; i++) rc |= fingerInsert(p, k, seq, ++*pTag);
      for (int i = 1; i < n && k + i < NKEY; i++) rc |= fingerInsert(p, k + i, 1 + rand() % NSEQ, ++*pTag);
      break;
    }
    default: for (int i = 0; i < n; i++) if (!fingerFindOk(p, rand() % NKEY)) return 1;
  }
  return rc;
}

static void testFinger(void) {
  int nBad = 0, nRuns = 300;
  for (int r = 0; r < nRuns; r++) {
    memset(aModel, 0, sizeof(aModel));
    SdbMemtable *p = sdbMemtableNew();
    int tag = 0, bBad = p == NULL;
    for (int i = 0; !bBad && i < 200; i++) {
      bBad = fingerStep(p, &tag) || !fingerListOk(p);
      for (int k = 0; !bBad && k < NKEY; k += 7) bBad = !fingerFindOk(p, k);
    }
    nBad += bBad;
    sdbMemtableUnref(p);
  }
  CHECKF("pointcheck: memtable finger inserts and finds equal the model", nBad == 0,
         "%d of %d runs differ", nBad, nRuns);
}

/* ------------------------------------------------------------ 2. writeLookup */

/* The first row of a point scan of key k (overlay pB or none): 1 found, 0
** not, -1 error; the value into zVal. */
static int pointScan(SdbDb *db, SdbBatch *pB, const u8 *zKey, size_t nKey, char *zVal) {
  SdbRange r;
  SdbIter *it = NULL;
  SdbErr err;
  memset(&r, 0, sizeof(r));
  r.pLo = r.pHi = zKey;
  r.nLo = r.nHi = nKey;
  r.bHasLo = r.bHasHi = 1;
  if (sdb_db_scan_overlay(db, pB, &r, 0, &it, &err)) return -1;
  int bFound = !it->bEof;
  if (bFound) {
    size_t n = it->cur.nVal < 63 ? it->cur.nVal : 63;
    memcpy(zVal, it->cur.pVal, n);
    zVal[n] = 0;
  }
  sdb_iter_free(it);
  return bFound;
}

/* A random operation on key k into batch b (tag v names its value). */
static int randomOp(SdbBatch *b, int k, int v) {
  u8 zKey[16], zVal[16];
  size_t nKey = keyOf(k, zKey);
  size_t nVal = (size_t)snprintf((char *)zVal, sizeof(zVal), "v%d", v);
  SdbErr err;
  i64 now = sdbNowMs();
  switch (rand() % 8) {
    case 0: case 1: return sdb_batch_delete(b, zKey, nKey, &err);
    case 2: return sdb_batch_put(b, zKey, nKey, zVal, nVal, now - 1000, &err);   /* expired */
    case 3: return sdb_batch_put(b, zKey, nKey, zVal, nVal, now + 3600000, &err);
    case 4: return sdb_batch_put_ttl(b, zKey, nKey, zVal, nVal, 3600000, &err);
    default: return sdb_batch_put(b, zKey, nKey, zVal, nVal, 0, &err);
  }
}

/* Write nBatch random batches, flushing the memtable to L0s and compacting
** now and then. */
static int fillDb(SdbDb *db, int nBatch, int *pTag) {
  SdbErr err;
  int rc = 0;
  for (int i = 0; rc == 0 && i < nBatch; i++) {
    SdbBatch *b = sdb_batch_new();
    for (int j = 0, n = 1 + rand() % 12; rc == 0 && j < n; j++) rc = randomOp(b, rand() % NKEY, ++*pTag);
    if (rc == 0) rc = sdb_db_write(db, b, 1, &err);
    sdb_batch_free(b);
    int r = rand() % 10;
    if (rc == 0 && r < 2) rc = sdb_db_flush(db, 1, &err);
    if (rc == 0 && r == 2) {
      int nDone = 0;
      rc = sdb_db_compact(db, &nDone, &err);
    }
    if (rc) printf("# fill: %s\n", err.zMsg);
  }
  return rc;
}

/* Whether writeLookup's answer equals the overlay scan for every key. */
static int lookupAgrees(SdbDb *db, SdbBatch *b) {
  for (int k = 0; k < NKEY; k++) {
    u8 zKey[16];
    char zA[64], zB[64];
    size_t nKey = keyOf(k, zKey);
    int a = pointScan(db, b, zKey, nKey, zA);
    SdbBatch *pOverlay = sdb_batch_has_key(b, zKey, nKey) ? b : NULL;
    int c = pointScan(db, pOverlay, zKey, nKey, zB);
    if (a < 0 || a != c || (a && strcmp(zA, zB))) return 0;
  }
  return 1;
}

static void testLookup(void) {
  char zDir[] = "/tmp/t_pointcheck.XXXXXX";
  CHECK("pointcheck: temp dir", mkdtemp(zDir) != NULL);
  int nBad = 0, nErr = 0, nRuns = 6, tag = 0;
  for (int r = 0; r < nRuns; r++) {
    char zUrl[128];
    snprintf(zUrl, sizeof(zUrl), "%s/db%d", zDir, r);
    SdbConfig cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.zUrl = zUrl;
    cfg.bCreateIfMissing = 1;
    cfg.compactorPollMs = 600000;   /* compactions: sdb_db_compact's, in this thread */
    cfg.flushIntervalMs = 600000;
    cfg.eMergeOp = SDB_MERGE_CONCAT;
    SdbDb *db = NULL;
    SdbErr err;
    if (sdb_db_open(&cfg, &db, &err)) {
      printf("# open: %s\n", err.zMsg);
      nErr++;
      continue;
    }
    for (int round = 0; round < 8; round++) {
      if (fillDb(db, 4, &tag)) { nErr++; break; }
      SdbBatch *b = sdb_batch_new();
      for (int j = 0, n = rand() % 40; j < n; j++) randomOp(b, rand() % NKEY, ++tag);
      nBad += !lookupAgrees(db, b);
      sdb_batch_free(b);
    }
    sdb_db_close(db);
  }
  CHECKF("pointcheck: writeLookup's database-alone scan equals the overlay scan", nBad == 0 && nErr == 0,
         "%d rounds differ, %d errors", nBad, nErr);
  char zCmd[128];
  snprintf(zCmd, sizeof(zCmd), "rm -rf '%s'", zDir);
  if (system(zCmd)) { /* best effort */ }
}

int main(void) {
  const char *zSeed = getenv("SDB_SEED");
  unsigned seed = zSeed ? (unsigned)strtoul(zSeed, 0, 10) : 20261205u;
  printf("# seed %u (SDB_SEED)\n", seed);
  srand(seed);
  testFinger();
  testLookup();
  return test_done();
}
