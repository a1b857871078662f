/*
** t_compactions.c: the .compactions codec (core/meta/compactions.c).
**
** - Decoding files written by SlateDB 0.12.1: c-tests/fixtures/compactions/
**   and every fixture database's db/compactions/ folder. Each is decoded,
**   re-encoded, decoded again (same values), and encoding is a fixed point.
**   Whether our bytes equal SlateDB's is reported (the builders differ: the
**   Rust one writes back to front), not required.
** - Round trips of synthetic objects covering every field, present-but-empty
**   vectors, all statuses.
** - Refusals and errors: short objects, other versions, a missing required
**   field, unknown union members and statuses, truncations of every length.
** - sdbCompactionsLoadLatest on a local-directory store.
**
** Regenerating c-tests/fixtures/compactions/ (SlateDB 0.12.1 via the oracle;
** scripts/gen-fixtures.sh is not involved):
**   bash scripts/oracle-install.sh
**   rm -rf /tmp/x && node scripts/oracle/slatedb-tool.mjs gen /tmp/x/db --seed 7 \
**       --compactor --codec none --keys 60 --rounds 6 --end memtable --runs-after 4
**   cp /tmp/x/db/compactions/0000000000000000000{1,3,4,6}.compactions \
**       c-tests/fixtures/compactions/
** giving: 1 = empty list at epoch 0 (created on the compactor's first start),
** 3 = empty list at epoch 1 (after the epoch claim), 4 = one L0 compaction
** (l0_view_ids only) Submitted, 6 = the same compaction Completed (this run
** recorded no output_ssts; c-tests/fixtures/sorted-runs/db/compactions/ has
** records with outputs). The exact ULIDs change from run to run; the tests below only
** rely on this shape.
*/
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"
#include "meta/compactions.h"
#include "util/fbbuild.h"
#include "meta/manifest_enc.h"

static int sameUlids(const SdbUlid *a, const SdbUlid *b, int n) {
  for (int i = 0; i < n; i++) {
    if (a[i].hi != b[i].hi || a[i].lo != b[i].lo) return 0;
  }
  return 1;
}

static int sameBytes(const u8 *a, u32 na, const u8 *b, u32 nb) {
  return na == nb && (na == 0 || memcmp(a, b, na) == 0);
}

static int sameBound(const SdbBound *a, const SdbBound *b) {
  return a->eType == b->eType && a->bHasKey == b->bHasKey && sameBytes(a->pKey, a->nKey, b->pKey, b->nKey);
}

static int sameHandle(const SdbSstHandle *a, const SdbSstHandle *b) {
  const SdbSstInfo *x = &a->info, *y = &b->info;
  return a->id.hi == b->id.hi && a->id.lo == b->id.lo && a->bHasFormatVersion == b->bHasFormatVersion &&
         a->formatVersion == b->formatVersion && a->bHasVisibleRange == b->bHasVisibleRange &&
         (!a->bHasVisibleRange || (sameBound(&a->visStart, &b->visStart) && sameBound(&a->visEnd, &b->visEnd))) &&
         x->indexOffset == y->indexOffset && x->indexLen == y->indexLen && x->filterOffset == y->filterOffset &&
         x->filterLen == y->filterLen && x->statsOffset == y->statsOffset && x->statsLen == y->statsLen &&
         x->eCodec == y->eCodec && x->eSstType == y->eSstType && x->bHasFirst == y->bHasFirst &&
         x->bHasLast == y->bHasLast && sameBytes(x->pFirst, x->nFirst, y->pFirst, y->nFirst) &&
         sameBytes(x->pLast, x->nLast, y->pLast, y->nLast);
}

/* Every decoded value equal (the raw bytes aside). */
static int sameCompactions(const SdbCompactions *a, const SdbCompactions *b) {
  if (a->compactorEpoch != b->compactorEpoch || a->n != b->n || a->bUnknownFields != b->bUnknownFields) return 0;
  for (int i = 0; i < a->n; i++) {
    const SdbCompactionRec *x = &a->a[i], *y = &b->a[i];
    if (x->id.hi != y->id.hi || x->id.lo != y->id.lo || x->specType != y->specType || x->status != y->status) return 0;
    if (x->nSstId != y->nSstId || x->bHasSstIds != y->bHasSstIds || !sameUlids(x->aSstId, y->aSstId, x->nSstId)) return 0;
    if (x->nL0View != y->nL0View || x->bHasL0Views != y->bHasL0Views ||
        !sameUlids(x->aL0View, y->aL0View, x->nL0View)) return 0;
    if (x->nRunId != y->nRunId || x->bHasRunIds != y->bHasRunIds ||
        (x->nRunId && memcmp(x->aRunId, y->aRunId, sizeof(u32) * (size_t)x->nRunId))) return 0;
    if (x->nOut != y->nOut || x->bHasOut != y->bHasOut) return 0;
    for (int j = 0; j < x->nOut; j++) {
      if (!sameHandle(&x->aOut[j], &y->aOut[j])) return 0;
    }
  }
  return 1;
}

/* Counters over all SlateDB-written files. */
typedef struct FixStats {
  int nFile, nBad, nFixed, nIdentical, nWithJobs, nWithOut, nL0Only, nOddOut;
} FixStats;

/* decode -> encode -> decode one SlateDB-written file. */
static void checkFile(const char *zPath, FixStats *st) {
  u8 *a = NULL, *b = NULL, *c = NULL;
  size_t n = 0, nb = 0, nc = 0;
  SdbCompactions *p1 = NULL, *p2 = NULL;
  SdbErr err = {0};
  if (!test_read_file(zPath, &a, &n)) return;
  st->nFile++;
  int ok = sdbCompactionsDecode(a, n, &p1, &err) == SDB_OK && !p1->bUnknownFields &&
           p1->nRaw == n && sdbCompactionsEncode(p1, &b, &nb, &err) == SDB_OK &&
           sdbCompactionsDecode(b, nb, &p2, &err) == SDB_OK && sameCompactions(p1, p2);
  if (!ok) {
    st->nBad++;
    printf("# %s: %s\n", zPath, err.zMsg);
  } else {
    if (sdbCompactionsEncode(p2, &c, &nc, &err) == SDB_OK && nc == nb && memcmp(b, c, nb) == 0) st->nFixed++;
    if (nb == n && memcmp(a, b, n) == 0) st->nIdentical++;
    if (p1->n > 0) st->nWithJobs++;
    for (int i = 0; i < p1->n; i++) {
      const SdbCompactionRec *r = &p1->a[i];
      if (r->nOut > 0) st->nWithOut++;
      for (int j = 0; j < r->nOut; j++) {
        const SdbSstHandle *h = &r->aOut[j];
        if (!h->bHasFormatVersion || h->formatVersion != 2 || !h->info.bHasFirst || h->info.indexLen == 0 ||
            h->bHasVisibleRange) st->nOddOut++;
      }
      if (r->nL0View > 0 && !r->bHasSstIds && !r->bHasRunIds) st->nL0Only++;
    }
  }
  sdbCompactionsFree(p1);
  sdbCompactionsFree(p2);
  free(a);
  sdbFree(b);
  sdbFree(c);
}

/* Every file of directory zDir. */
static void checkDir(const char *zDir, FixStats *st) {
  DIR *d = opendir(zDir);
  struct dirent *e;
  while (d && (e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.') continue;
    char zPath[2400];
    snprintf(zPath, sizeof(zPath), "%s/%s", zDir, e->d_name);
    checkFile(zPath, st);
  }
  if (d) closedir(d);
}

/* Decode one fixture of c-tests/fixtures/compactions (caller frees). */
static SdbCompactions *loadFixture(const char *zName) {
  char zPath[1200];
  u8 *a = NULL;
  size_t n = 0;
  SdbCompactions *p = NULL;
  SdbErr err = {0};
  snprintf(zPath, sizeof(zPath), "%s/c-tests/fixtures/compactions/%s", test_srcdir(), zName);
  if (test_read_file(zPath, &a, &n)) sdbCompactionsDecode(a, n, &p, &err);
  free(a);
  return p;
}

static void testFixtures(void) {
  char zFix[1024], zDir[1400];
  FixStats st;
  memset(&st, 0, sizeof(st));
  snprintf(zFix, sizeof(zFix), "%s/c-tests/fixtures", test_srcdir());
  snprintf(zDir, sizeof(zDir), "%s/compactions", zFix);
  checkDir(zDir, &st);
  CHECKF("compactions: own fixtures found", st.nFile == 4, "%d", st.nFile);
  DIR *d = opendir(zFix);
  struct dirent *e;
  while (d && (e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.') continue;
    snprintf(zDir, sizeof(zDir), "%s/%s/db/compactions", zFix, e->d_name);
    checkDir(zDir, &st);
  }
  if (d) closedir(d);
  CHECKF("compactions: SlateDB files decode, re-encode and decode to the same values", st.nBad == 0,
         "%d of %d", st.nBad, st.nFile);
  CHECKF("compactions: encoding is a fixed point", st.nFixed == st.nFile, "%d of %d", st.nFixed, st.nFile);
  CHECKF("compactions: files with jobs, outputs and L0-only specs were seen",
         st.nWithJobs >= 3 && st.nWithOut >= 1 && st.nL0Only >= 1, "jobs %d out %d l0only %d",
         st.nWithJobs, st.nWithOut, st.nL0Only);
  CHECKF("compactions: SlateDB's output SSTs carry format_version 2 and an info", st.nOddOut == 0, "%d", st.nOddOut);
  printf("# compactions: %d of %d SlateDB files re-encode byte-identically\n", st.nIdentical, st.nFile);

  SdbCompactions *p = loadFixture("00000000000000000001.compactions");
  CHECK("compactions: fixture 1 = epoch 0, no jobs", p && p->compactorEpoch == 0 && p->n == 0);
  sdbCompactionsFree(p);
  p = loadFixture("00000000000000000003.compactions");
  CHECK("compactions: fixture 3 = epoch 1, no jobs", p && p->compactorEpoch == 1 && p->n == 0);
  sdbCompactionsFree(p);
  p = loadFixture("00000000000000000004.compactions");
  CHECKF("compactions: fixture 4 = one L0 compaction, l0_view_ids only",
         p && p->compactorEpoch == 1 && p->n == 1 && p->a[0].specType == 1 && p->a[0].nL0View >= 4 &&
         !p->a[0].bHasSstIds && !p->a[0].bHasRunIds && p->a[0].status <= SDB_COMPACTION_RUNNING,
         "n=%d", p ? p->n : -1);
  SdbUlid id4 = p && p->n ? p->a[0].id : (SdbUlid){0, 0};
  sdbCompactionsFree(p);
  p = loadFixture("00000000000000000006.compactions");
  CHECK("compactions: fixture 6 = the same job, Completed",
        p && p->n == 1 && p->a[0].id.hi == id4.hi && p->a[0].id.lo == id4.lo &&
        p->a[0].status == SDB_COMPACTION_COMPLETED && p->a[0].nL0View >= 4);
  sdbCompactionsFree(p);
}

/* A synthetic SST handle (owned copies). */
static void makeHandle(SdbSstHandle *h, u64 seed, int bRange) {
  memset(h, 0, sizeof(*h));
  h->id.hi = 0x0190000000000000ull + seed;
  h->id.lo = seed * 7;
  h->viewId = h->id;
  h->info.pFirst = sdbMemdup("first", 5);
  h->info.nFirst = 5;
  h->info.bHasFirst = 1;
  h->info.pLast = sdbMemdup("last", 4);
  h->info.nLast = 4;
  h->info.bHasLast = 1;
  h->info.indexOffset = 100 + seed;
  h->info.indexLen = 30;
  h->info.filterOffset = 80;
  h->info.filterLen = 20;
  h->info.statsOffset = 130 + seed;
  h->info.statsLen = 9;
  h->info.eCodec = SDB_CODEC_LZ4;
  h->bHasFormatVersion = 1;
  h->formatVersion = 2;
  if (bRange) {
    h->bHasVisibleRange = 1;
    h->visStart.eType = SDB_BOUND_INCLUDED;
    h->visStart.bHasKey = 1;
    h->visStart.pKey = sdbMemdup("a", 1);
    h->visStart.nKey = 1;
    h->visEnd.eType = SDB_BOUND_UNBOUNDED;
  }
}

static void testRoundTrip(void) {
  SdbCompactions *c = sdbMallocZero(sizeof(*c));
  c->compactorEpoch = 0x1122334455ull;
  c->n = 5;
  c->a = sdbMallocZero(sizeof(SdbCompactionRec) * 5);
  for (int i = 0; i < 5; i++) {
    SdbCompactionRec *r = &c->a[i];
    r->id.hi = 0x0190000000000000ull | (u64)i;
    r->id.lo = 0xabcdef0000000000ull + (u64)i;
    r->specType = SDB_COMPACTION_SPEC_TIERED;
    r->status = (i8)(i % 4);
  }
  /* 0: L0 only, as 0.12.1 writes it */
  c->a[0].nL0View = 3;
  c->a[0].aL0View = sdbMallocZero(sizeof(SdbUlid) * 3);
  for (int i = 0; i < 3; i++) c->a[0].aL0View[i] = (SdbUlid){0x0180000000000000ull + (u64)i, (u64)i};
  /* 1: sorted runs + outputs */
  c->a[1].nRunId = 4;
  c->a[1].aRunId = sdbMalloc(sizeof(u32) * 4);
  for (int i = 0; i < 4; i++) c->a[1].aRunId[i] = (u32)(3 - i) * 0x10001u;
  c->a[1].nOut = 2;
  c->a[1].aOut = sdbMallocZero(sizeof(SdbSstHandle) * 2);
  makeHandle(&c->a[1].aOut[0], 1, 0);
  makeHandle(&c->a[1].aOut[1], 2, 1);
  /* 2: the deprecated ssts + runs + L0 views */
  c->a[2].nSstId = 1;
  c->a[2].aSstId = sdbMallocZero(sizeof(SdbUlid));
  c->a[2].aSstId[0] = (SdbUlid){5, 6};
  c->a[2].nRunId = 1;
  c->a[2].aRunId = sdbMallocZero(sizeof(u32));
  c->a[2].nL0View = 1;
  c->a[2].aL0View = sdbMallocZero(sizeof(SdbUlid));
  /* 3: present but empty vectors */
  c->a[3].bHasSstIds = c->a[3].bHasRunIds = c->a[3].bHasL0Views = c->a[3].bHasOut = 1;
  /* 4: nothing at all */

  u8 *a = NULL, *b = NULL;
  size_t n = 0, nb = 0;
  SdbErr err = {0};
  SdbCompactions *p = NULL, *q = NULL;
  int rc = sdbCompactionsEncode(c, &a, &n, &err);
  CHECKF("compactions: synthetic encodes", rc == SDB_OK && n > 2 && a[0] == 0 && a[1] == 1, "rc=%d %s", rc, err.zMsg);
  rc = sdbCompactionsDecode(a, n, &p, &err);
  CHECKF("compactions: synthetic decodes", rc == SDB_OK, "rc=%d %s", rc, err.zMsg);
  /* Flags that the decoder derives from presence. */
  c->a[0].bHasL0Views = 1;
  c->a[1].bHasRunIds = c->a[1].bHasOut = 1;
  c->a[2].bHasSstIds = c->a[2].bHasRunIds = c->a[2].bHasL0Views = 1;
  CHECK("compactions: synthetic round trip keeps every value", p && sameCompactions(c, p));
  CHECK("compactions: present-but-empty vectors stay present",
        p && p->a[3].bHasSstIds && p->a[3].bHasRunIds && p->a[3].bHasL0Views && p->a[3].bHasOut &&
        !p->a[4].bHasSstIds && !p->a[4].bHasOut && p->a[4].nOut == 0);
  CHECK("compactions: run ids and statuses", p && p->a[1].aRunId[0] == 3 * 0x10001u && p->a[3].status == 3 &&
        p->a[1].aOut[1].visStart.nKey == 1 && p->a[1].aOut[1].visEnd.eType == SDB_BOUND_UNBOUNDED);
  rc = p ? sdbCompactionsEncode(p, &b, &nb, &err) : SDB_ERROR;
  CHECK("compactions: re-encoding is byte-identical", rc == SDB_OK && nb == n && memcmp(a, b, n) == 0);
  if (rc == SDB_OK && sdbCompactionsDecode(b, nb, &q, &err) == SDB_OK) {
    CHECK("compactions: second decode equal", sameCompactions(p, q));
  }

  /* Every truncation is a clean error; every 1-byte corruption is clean too. */
  int nBadTrunc = 0;
  for (size_t k = 0; k < n; k++) {
    u8 *t = malloc(k ? k : 1);
    memcpy(t, a, k);
    SdbCompactions *x = NULL;
    SdbErr e2 = {0};
    int r2 = sdbCompactionsDecode(t, k, &x, &e2);
    if (r2 == SDB_OK || x || (r2 != SDB_CORRUPT && r2 != SDB_UNSUPPORTED)) nBadTrunc++;
    sdbCompactionsFree(x);
    free(t);
  }
  CHECKF("compactions: every truncation fails cleanly", nBadTrunc == 0, "%d", nBadTrunc);
  int nBadFlip = 0;
  for (size_t k = 0; k < n; k++) {
    u8 *t = malloc(n);
    memcpy(t, a, n);
    t[k] ^= 0xff;
    SdbCompactions *x = NULL;
    SdbErr e2 = {0};
    int r2 = sdbCompactionsDecode(t, n, &x, &e2);
    if ((r2 == SDB_OK) != (x != NULL)) nBadFlip++;
    sdbCompactionsFree(x);
    free(t);
  }
  CHECKF("compactions: byte flips give a result or a clean error", nBadFlip == 0, "%d", nBadFlip);

  sdbCompactionsFree(p);
  sdbCompactionsFree(q);
  sdbCompactionsFree(c);
  sdbFree(a);
  sdbFree(b);
}

/* A CompactionsV1 with one record whose spec_type / status / extra field are
** chosen by the caller; bNoList drops the required recent_compactions. */
static u8 *buildOdd(u8 specType, u8 status, int bExtraField, int bNoList, size_t *pn) {
  static const u8 kVer[2] = {0, 1};
  SdbFbb f;
  u8 *a = NULL;
  sdbFbbInit(&f, kVer, 2);
  SdbFbbTable root, rec, spec;
  sdbFbbTableInit(&root);
  sdbFbbAddU64(&root, 0, 3);
  if (!bNoList) sdbFbbAddRef(&root, 1);
  sdbFbbSetRoot(&f, sdbFbbTableWrite(&f, &root));
  if (!bNoList) {
    u32 vec = sdbFbbVecTables(&f, 1);
    sdbFbbPatchField(&f, &root, 1, vec);
    sdbFbbTableInit(&rec);
    sdbFbbAddRef(&rec, 0);
    sdbFbbAddU8(&rec, 1, specType);
    sdbFbbAddRef(&rec, 2);
    if (status) sdbFbbAddU8(&rec, 3, status);
    if (bExtraField) sdbFbbAddU64(&rec, 6, 42);      /* e.g. a newer "subcompactions" slot */
    sdbFbbPatchElem(&f, vec, 0, sdbFbbTableWrite(&f, &rec));
    sdbFbbPatchField(&f, &rec, 0, sdbUlidWrite(&f, (SdbUlid){0x0190000000000000ull, 1}));
    sdbFbbTableInit(&spec);
    sdbFbbAddU32(&spec, 4, 7);                       /* a newer "destination" field */
    sdbFbbPatchField(&f, &rec, 2, sdbFbbTableWrite(&f, &spec));
  }
  sdbFbbFinish(&f, &a, pn);
  return a;
}

static void testErrors(void) {
  SdbCompactions *p = NULL;
  SdbErr err = {0};
  u8 one[1] = {0};
  CHECK("compactions: 1 byte is corrupt", sdbCompactionsDecode(one, 1, &p, &err) == SDB_CORRUPT && !p);
  CHECK("compactions: 0 bytes is corrupt", sdbCompactionsDecode(NULL, 0, &p, &err) == SDB_CORRUPT && !p);
  u8 v2[8] = {0, 2, 4, 0, 0, 0, 0, 0};
  CHECK("compactions: version 2 is unsupported", sdbCompactionsDecode(v2, 8, &p, &err) == SDB_UNSUPPORTED);

  size_t n = 0;
  u8 *a = buildOdd(1, 0, 0, 1, &n);
  int rc = sdbCompactionsDecode(a, n, &p, &err);
  CHECKF("compactions: a missing recent_compactions is corrupt and named",
         rc == SDB_CORRUPT && strstr(err.zMsg, "recent_compactions") != NULL, "rc=%d %s", rc, err.zMsg);
  sdbFree(a);

  a = buildOdd(1, 1, 0, 0, &n);
  rc = sdbCompactionsDecode(a, n, &p, &err);
  CHECKF("compactions: spec with a newer field decodes, flagged", rc == SDB_OK && p->bUnknownFields &&
         p->n == 1 && p->a[0].status == 1, "rc=%d %s", rc, err.zMsg);
  u8 *b = NULL;
  size_t nb = 0;
  CHECK("compactions: unknown data is not rewritten",
        p && sdbCompactionsEncode(p, &b, &nb, &err) == SDB_UNSUPPORTED && !b);
  sdbCompactionsFree(p);
  p = NULL;
  sdbFree(a);

  a = buildOdd(2, 0, 0, 0, &n);
  rc = sdbCompactionsDecode(a, n, &p, &err);
  CHECKF("compactions: an unknown spec union member is flagged", rc == SDB_OK && p->bUnknownFields &&
         p->a[0].specType == 2, "rc=%d %s", rc, err.zMsg);
  sdbCompactionsFree(p);
  p = NULL;
  sdbFree(a);

  a = buildOdd(0, 0, 0, 0, &n);
  rc = sdbCompactionsDecode(a, n, &p, &err);
  CHECKF("compactions: spec_type NONE with a spec is corrupt",
         rc == SDB_CORRUPT && strstr(err.zMsg, "recent_compactions[0].spec_type"), "rc=%d %s", rc, err.zMsg);
  sdbFree(a);

  a = buildOdd(1, 5, 1, 0, &n);
  rc = sdbCompactionsDecode(a, n, &p, &err);
  CHECKF("compactions: a newer status and field are flagged", rc == SDB_OK && p->bUnknownFields &&
         p->a[0].status == 5, "rc=%d", rc);
  sdbCompactionsFree(p);
  p = NULL;
  sdbFree(a);

  SdbCompactions c;
  memset(&c, 0, sizeof(c));
  SdbCompactionRec r;
  memset(&r, 0, sizeof(r));
  r.specType = 2;
  c.a = &r;
  c.n = 1;
  CHECK("compactions: a non-tiered spec is not encoded", sdbCompactionsEncode(&c, &b, &nb, &err) == SDB_UNSUPPORTED);
}

/* Write a file (mkdir -p of its folder is the caller's job). */
static void writeFile(const char *zPath, const u8 *a, size_t n) {
  FILE *f = fopen(zPath, "wb");
  if (f) { fwrite(a, 1, n, f); fclose(f); }
}

static void testLoadLatest(void) {
  char zRoot[] = "/tmp/t_compactions_XXXXXX";
  SdbStore *s = NULL;
  SdbErr err = {0};
  SdbCompactions *p = NULL;
  u64 id = 0;
  if (!mkdtemp(zRoot) || sdbStoreOpenDir(zRoot, 1, 0, &s, &err) != SDB_OK) {
    CHECK("compactions: temp store", 0);
    return;
  }
  CHECK("compactions: empty store is NOTFOUND", sdbCompactionsLoadLatest(s, &p, &id, &err) == SDB_NOTFOUND && !p);
  char zDir[256], zPath[512];
  snprintf(zDir, sizeof(zDir), "%s/compactions", zRoot);
  mkdir(zDir, 0755);
  CHECK("compactions: empty folder is NOTFOUND", sdbCompactionsLoadLatest(s, &p, &id, &err) == SDB_NOTFOUND);
  const char *az[] = {"00000000000000000003.compactions", "00000000000000000004.compactions",
                      "00000000000000000006.compactions"};
  for (int i = 0; i < 3; i++) {
    char zSrc[1200];
    u8 *a = NULL;
    size_t n = 0;
    snprintf(zSrc, sizeof(zSrc), "%s/c-tests/fixtures/compactions/%s", test_srcdir(), az[i]);
    if (test_read_file(zSrc, &a, &n)) {
      snprintf(zPath, sizeof(zPath), "%s/%s", zDir, az[i]);
      writeFile(zPath, a, n);
    }
    free(a);
  }
  /* Junk that must be skipped: wrong extension, wrong digits, nested. */
  snprintf(zPath, sizeof(zPath), "%s/00000000000000000009.manifest", zDir);
  writeFile(zPath, (const u8 *)"x", 1);
  snprintf(zPath, sizeof(zPath), "%s/0000000000000000009.compactions", zDir);
  writeFile(zPath, (const u8 *)"x", 1);
  snprintf(zPath, sizeof(zPath), "%s/00000000000000000009.compactions.tmp", zDir);
  writeFile(zPath, (const u8 *)"x", 1);
  int rc = sdbCompactionsLoadLatest(s, &p, &id, &err);
  CHECKF("compactions: latest is id 6", rc == SDB_OK && id == 6 && p && p->n == 1 &&
         p->a[0].status == SDB_COMPACTION_COMPLETED, "rc=%d id=%llu %s", rc, (unsigned long long)id, err.zMsg);
  sdbCompactionsFree(p);
  p = NULL;
  snprintf(zPath, sizeof(zPath), "%s/00000000000000000007.compactions", zDir);
  writeFile(zPath, (const u8 *)"\x00\x01\x00", 3);
  rc = sdbCompactionsLoadLatest(s, &p, &id, &err);
  CHECKF("compactions: a corrupt latest is an error naming the key",
         rc == SDB_CORRUPT && !p && strstr(err.zMsg, "compactions/00000000000000000007.compactions"),
         "rc=%d %s", rc, err.zMsg);
  sdbStoreFree(s);
  char zCmd[600];
  snprintf(zCmd, sizeof(zCmd), "rm -rf '%s'", zRoot);
  if (system(zCmd)) {}
}

/* sdbCompactionsRetain: SlateDB's retain_active_and_last_finished. */
static void testRetain(void) {
  static const i8 aStatus[] = {SDB_COMPACTION_COMPLETED, SDB_COMPACTION_FAILED, SDB_COMPACTION_RUNNING,
                               SDB_COMPACTION_SUBMITTED, SDB_COMPACTION_COMPLETED, SDB_COMPACTION_FAILED};
  static const u64 aId[] = {1, 5, 3, 6, 4, 2};     /* file order is not id order */
  SdbCompactions *c = sdbMallocZero(sizeof(*c));
  c->a = sdbMallocZero(sizeof(SdbCompactionRec) * 6);
  c->n = 6;
  for (int i = 0; i < 6; i++) {
    c->a[i].id.hi = 7;
    c->a[i].id.lo = aId[i];
    c->a[i].specType = SDB_COMPACTION_SPEC_TIERED;
    c->a[i].status = aStatus[i];
    c->a[i].aRunId = sdbMalloc(sizeof(u32));   /* freed by the trim or at the end */
    c->a[i].nRunId = 1;
  }
  sdbCompactionsRetain(c);
  CHECKF("retain: the active jobs and the finished one with the greatest id, by id",
         c->n == 3 && c->a[0].id.lo == 3 && c->a[1].id.lo == 5 && c->a[2].id.lo == 6 &&
         c->a[1].status == SDB_COMPACTION_FAILED, "n=%d", c->n);
  sdbCompactionsRetain(c);
  CHECK("retain: a fixed point", c->n == 3);
  for (int i = 0; i < c->n; i++) c->a[i].status = SDB_COMPACTION_COMPLETED;
  sdbCompactionsRetain(c);
  CHECK("retain: all finished -> only the newest", c->n == 1 && c->a[0].id.lo == 6);
  sdbCompactionsFree(c);
}

int main(void) {
  testRetain();
  testFixtures();
  testRoundTrip();
  testErrors();
  testLoadLatest();
  return test_done();
}
