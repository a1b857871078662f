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
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"
#include "manifest_enc.h"
#include "sdbInt.h"

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
  return test_done();
}
