/*
** t_manifest.c: the manifest decoder (core/meta/manifest.c) and the FlatBuffers
** builder (core/util/fbbuild.c).
**
**  - every manifest of every fixture database (c-tests/fixtures/<name>/db,
**    written by SlateDB 0.12.1) decodes and keeps the invariants of
**    spec/MANIFEST.md §2.3; the latest one's SST infos equal the SST footers;
**  - the fresh 106-byte manifest 1 (§2.2);
**  - hand-built ManifestV1 and ManifestV2 buffers using every field;
**  - corruption: missing required fields, dangling V2 views, bad bounds,
**    shared-object blow-up, truncations and bit flips (never a crash);
**  - the sequence tracker (§2.4), 20-digit ids, and loading the latest
**    manifest from a store, including a listing that races with GC.
**
** With T_MANIFEST_DUMP=<dir> the hand-built buffers are also written there so
** they can be cross-checked with an independent decoder.
*/
#include <dirent.h>
#include <ftw.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"
#include "util/fbbuild.h"
#include "meta/manifest.h"
#include "manifest_view.h"

/* ================================================================ utilities */

static void dumpBuf(const char *zName, const u8 *a, size_t n) {
  const char *zDir = getenv("T_MANIFEST_DUMP");
  if (!zDir) return;
  char z[512];
  snprintf(z, sizeof(z), "%s/%s", zDir, zName);
  FILE *f = fopen(z, "wb");
  if (f) { fwrite(a, 1, n, f); fclose(f); }
}

static int cmpStr(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names in zDir (not starting with '.'); caller frees with freeNames. */
static int listNames(const char *zDir, char ***paz) {
  DIR *d = opendir(zDir);
  int n = 0;
  *paz = NULL;
  if (!d) return 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.') continue;
    *paz = realloc(*paz, sizeof(char *) * (size_t)(n + 1));
    (*paz)[n++] = strdup(e->d_name);
  }
  closedir(d);
  if (n) qsort(*paz, (size_t)n, sizeof(char *), cmpStr);
  return n;
}

static void freeNames(char **az, int n) {
  for (int i = 0; i < n; i++) free(az[i]);
  free(az);
}

#define WHY_SIZE 2048           /* every zWhy buffer (failure details) */

static int ulidEq(SdbUlid a, SdbUlid b) { return a.hi == b.hi && a.lo == b.lo; }

static int bytesEq(const u8 *a, u32 na, int ha, const u8 *b, u32 nb, int hb) {
  return ha == hb && na == nb && (na == 0 || memcmp(a, b, na) == 0);
}

static int infoEq(const SdbSstInfo *a, const SdbSstInfo *b) {
  return bytesEq(a->pFirst, a->nFirst, a->bHasFirst, b->pFirst, b->nFirst, b->bHasFirst) &&
         bytesEq(a->pLast, a->nLast, a->bHasLast, b->pLast, b->nLast, b->bHasLast) &&
         a->indexOffset == b->indexOffset && a->indexLen == b->indexLen &&
         a->filterOffset == b->filterOffset && a->filterLen == b->filterLen &&
         a->statsOffset == b->statsOffset && a->statsLen == b->statsLen &&
         a->eCodec == b->eCodec && a->eSstType == b->eSstType &&
         a->eFilterFormat == b->eFilterFormat;
}

/* Read the SsTableInfo from an SST's footer (spec/SST.md §2). 0 on success,
** else a reason in zWhy. */
static int readSstFooterInfo(const char *zPath, SdbSstInfo *pInfo, u16 *pVer, char *zWhy) {
  u8 *a = NULL;
  size_t n = 0;
  int rc = -1;
  memset(pInfo, 0, sizeof(*pInfo));
  if (!test_read_file(zPath, &a, &n)) { snprintf(zWhy, WHY_SIZE, "cannot read %s", zPath); goto out; }
  if (n <= 14) { snprintf(zWhy, WHY_SIZE, "%s: %zu bytes", zPath, n); goto out; }
  u64 meta = sdbGetU64BE(a + n - 10);
  *pVer = sdbGetU16BE(a + n - 2);
  if (meta >= n - 14) { snprintf(zWhy, WHY_SIZE, "%s: meta_offset %llu", zPath, (unsigned long long)meta); goto out; }
  size_t nInfo = n - 14 - (size_t)meta;
  if (sdbCrc32(a + meta, nInfo) != sdbGetU32BE(a + n - 14)) { snprintf(zWhy, WHY_SIZE, "%s: info CRC", zPath); goto out; }
  SdbFb fb = {a + meta, nInfo};
  SdbFbTable t;
  SdbErr err = {0};
  if (sdbFbRoot(&fb, &t, &err) || sdbSstInfoFromTable(&t, pInfo, &err)) {
    snprintf(zWhy, WHY_SIZE, "%s: %s", zPath, err.zMsg);
    goto out;
  }
  rc = 0;
out:
  free(a);
  return rc;
}

/* ================================================================ fixtures */

typedef struct Prev {           /* the previous manifest of one database */
  int bValid;
  u64 writerEpoch, compactorEpoch, lastL0Seq, replayAfter;
} Prev;

/* SST invariants of one handle; appends to zWhy on failure. */
static int checkHandle(const SdbSstHandle *h, const char *zWhere, char *zWhy) {
  if (!h->bHasFormatVersion || h->formatVersion != 2) {
    snprintf(zWhy, WHY_SIZE, "%s: format_version %d/%d", zWhere, h->bHasFormatVersion, h->formatVersion);
    return 0;
  }
  if (!ulidEq(h->id, h->viewId)) { snprintf(zWhy, WHY_SIZE, "%s: V1 view id != id", zWhere); return 0; }
  if (h->info.eSstType != SDB_SST_COMPACTED) { snprintf(zWhy, WHY_SIZE, "%s: sst_type", zWhere); return 0; }
  if (h->bHasVisibleRange) { snprintf(zWhy, WHY_SIZE, "%s: unexpected visible_range", zWhere); return 0; }
  if (h->info.indexLen == 0) { snprintf(zWhy, WHY_SIZE, "%s: index_len 0", zWhere); return 0; }
  return 1;
}

static int cmpUlid(const void *a, const void *b) {
  const SdbUlid *x = a, *y = b;
  if (x->hi != y->hi) return x->hi < y->hi ? -1 : 1;
  return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* Every SST id appears once (spec/MANIFEST.md §2.3). */
static int checkUniqueIds(const SdbManifest *m, char *zWhy) {
  int n = m->nL0;
  for (int r = 0; r < m->nRun; r++) n += m->aRun[r].nSst;
  SdbUlid *a = malloc(sizeof(SdbUlid) * (size_t)(n + 1));
  int k = 0, ok = 1;
  for (int i = 0; i < m->nL0; i++) a[k++] = m->aL0[i].id;
  for (int r = 0; r < m->nRun; r++) {
    for (int i = 0; i < m->aRun[r].nSst; i++) a[k++] = m->aRun[r].aSst[i].id;
  }
  qsort(a, (size_t)n, sizeof(SdbUlid), cmpUlid);
  for (int i = 1; i < n; i++) {
    if (ulidEq(a[i - 1], a[i])) { strcpy(zWhy, "duplicate SST id"); ok = 0; }
  }
  free(a);
  return ok;
}

static int checkTracker(const SdbManifest *m, char *zWhy) {
  SdbSeqSample *a = NULL;
  u32 n = 0;
  SdbErr err = {0};
  if (!m->bHasSeqTracker) { strcpy(zWhy, "no sequence_tracker"); return 0; }
  int rc = seqTrackerDecode(m->pSeqTracker, m->nSeqTracker, &a, &n, &err);
  int ok = rc == SDB_OK;
  for (u32 i = 1; ok && i < n; i++) ok = a[i].seq >= a[i - 1].seq;
  for (u32 i = 0; ok && i < n; i++) ok = a[i].seq <= m->lastL0Seq || m->lastL0Seq == 0;
  if (!ok) snprintf(zWhy, WHY_SIZE, "tracker: rc=%d %s", rc, err.zMsg);
  free(a);
  return ok;
}

/* spec/MANIFEST.md §2.3 invariants of one manifest `id`. */
static int checkInvariants(const SdbManifest *m, u64 id, Prev *p, char *zWhy) {
  char zWhere[64];
  if (m->eFormat != 1 || m->manifestIdField != 0) { strcpy(zWhy, "format/manifest_id"); return 0; }
  if (!m->bInitialized) { strcpy(zWhy, "not initialized"); return 0; }
  if (m->walIdLastSeen < m->replayAfterWalId) { strcpy(zWhy, "wal_id_last_seen < replay_after"); return 0; }
  if (m->bUnknownFields || m->nExtDb || m->zWalObjectStoreUri) { strcpy(zWhy, "unexpected fields"); return 0; }
  for (int i = 0; i < m->nL0; i++) {
    snprintf(zWhere, sizeof(zWhere), "l0[%d]", i);
    if (!checkHandle(&m->aL0[i], zWhere, zWhy)) return 0;
  }
  for (int r = 0; r < m->nRun; r++) {
    if (r > 0 && m->aRun[r].id >= m->aRun[r - 1].id) { strcpy(zWhy, "run ids not descending"); return 0; }
    if (m->aRun[r].nSst == 0) { strcpy(zWhy, "empty sorted run"); return 0; }
    for (int i = 0; i < m->aRun[r].nSst; i++) {
      snprintf(zWhere, sizeof(zWhere), "compacted[%d][%d]", r, i);
      if (!checkHandle(&m->aRun[r].aSst[i], zWhere, zWhy)) return 0;
    }
  }
  for (int i = 0; i < m->nCkpt; i++) {
    if (m->aCkpt[i].manifestId > id || m->aCkpt[i].manifestId == 0) {
      snprintf(zWhy, WHY_SIZE, "checkpoint %d pins manifest %llu", i, (unsigned long long)m->aCkpt[i].manifestId);
      return 0;
    }
  }
  if (!checkUniqueIds(m, zWhy) || !checkTracker(m, zWhy)) return 0;
  if (p->bValid && (m->writerEpoch < p->writerEpoch || m->compactorEpoch < p->compactorEpoch ||
                    m->lastL0Seq < p->lastL0Seq || m->replayAfterWalId < p->replayAfter)) {
    strcpy(zWhy, "epochs / last_l0_seq / replay_after_wal_id went backwards");
    return 0;
  }
  p->bValid = 1;
  p->writerEpoch = m->writerEpoch;
  p->compactorEpoch = m->compactorEpoch;
  p->lastL0Seq = m->lastL0Seq;
  p->replayAfter = m->replayAfterWalId;
  return 1;
}

/* The fresh manifest 1 (spec/MANIFEST.md §2.2, §3.1). */
static void checkFresh(const SdbManifest *m, const char *zDb) {
  char zName[256];
  snprintf(zName, sizeof(zName), "manifest: fresh manifest 1 of %s", zDb);
  CHECKF(zName,
         m->nRaw == 106 && m->pRaw[0] == 0 && m->pRaw[1] == 1 && m->eFormat == 1 &&
         m->bInitialized && m->writerEpoch == 0 && m->compactorEpoch == 0 &&
         m->replayAfterWalId == 0 && m->walIdLastSeen == 0 && !m->bHasL0LastCompacted &&
         m->nL0 == 0 && m->aL0 == NULL && m->nRun == 0 && m->nCkpt == 0 &&
         m->lastL0ClockTick == INT64_MIN && m->lastL0Seq == 0 && m->recentSnapshotMinSeq == 0 &&
         m->zWalObjectStoreUri == NULL && m->nExtDb == 0 && m->bHasSeqTracker &&
         m->nSeqTracker == 13 && !m->bUnknownFields,
         "size %zu epochs %llu/%llu tick %lld tracker %u", m->nRaw,
         (unsigned long long)m->writerEpoch, (unsigned long long)m->compactorEpoch,
         (long long)m->lastL0ClockTick, m->nSeqTracker);
  static const u8 aEmpty[13] = {1};
  CHECK("manifest: fresh manifest tracker is the empty one",
        m->nSeqTracker == 13 && memcmp(m->pSeqTracker, aEmpty, 13) == 0);
}

/* The latest manifest's SSTs exist and their infos equal the footers'. */
static void checkSstFiles(const SdbManifest *m, const char *zDbDir, const char *zDb) {
  char zWhy[WHY_SIZE] = "", zName[256];
  int nSst = 0, ok = 1;
  for (int r = -1; ok && r < m->nRun; r++) {
    const SdbSstHandle *a = r < 0 ? m->aL0 : m->aRun[r].aSst;
    int n = r < 0 ? m->nL0 : m->aRun[r].nSst;
    for (int i = 0; ok && i < n; i++) {
      char zU[27];
      SdbSstInfo info;
      u16 ver = 0;
      sdbUlidFormat(a[i].id, zU);
      char *zPath = sdbMprintf("%s/compacted/%s.sst", zDbDir, zU);
      if (readSstFooterInfo(zPath, &info, &ver, zWhy)) { ok = 0; sdbFree(zPath); break; }
      if (!infoEq(&info, &a[i].info) || ver != a[i].formatVersion) {
        snprintf(zWhy, WHY_SIZE, "%s: info or version differs from the manifest", zPath);
        ok = 0;
      }
      sdbSstInfoClear(&info);
      sdbFree(zPath);
      nSst++;
    }
  }
  snprintf(zName, sizeof(zName), "manifest: %s latest: %d SST infos equal their footers", zDb, nSst);
  CHECKF(zName, ok, "%s", zWhy);
}

/* Decode and check every manifest of one fixture database. */
static void checkFixtureDb(const char *zDbDir, const char *zDb, u8 **paBig, size_t *pnBig) {
  char zName[256], zWhy[WHY_SIZE];
  char *zMan = sdbMprintf("%s/manifest", zDbDir);
  char **az;
  int nName = listNames(zMan, &az), nOk = 0, nMan = 0;
  Prev prev = {0};
  u64 maxId = 0;
  for (int i = 0; i < nName; i++) {
    u64 id;
    u8 *a;
    size_t n;
    SdbManifest *m = NULL;
    SdbErr err = {0};
    if (sdbParseId20(az[i], ".manifest", &id)) continue;
    nMan++;
    maxId = id;
    char *zPath = sdbMprintf("%s/%s", zMan, az[i]);
    if (!test_read_file(zPath, &a, &n)) { sdbFree(zPath); continue; }
    int rc = sdbManifestDecode(a, n, &m, &err);
    snprintf(zWhy, WHY_SIZE, "%s", err.zMsg);
    if (rc == SDB_OK && checkInvariants(m, id, &prev, zWhy) && m->nRaw == n &&
        memcmp(m->pRaw, a, n) == 0) {
      nOk++;
    } else {
      printf("  %s: rc=%d %s\n", zPath, rc, zWhy);
    }
    sdbFree(zPath);
    if (rc == SDB_OK && id == 1) checkFresh(m, zDb);
    if (n > *pnBig) { free(*paBig); *paBig = a; *pnBig = n; }
    else free(a);
    sdbManifestFree(m);
  }
  snprintf(zName, sizeof(zName), "manifest: %s: %d manifests decode with invariants", zDb, nMan);
  CHECKF(zName, nMan > 0 && nOk == nMan, "%d of %d ok", nOk, nMan);
  freeNames(az, nName);
  sdbFree(zMan);

  SdbStore *s = NULL;
  SdbManifest *m = NULL;
  SdbErr err = {0};
  u64 id = 0;
  int rc = sdbStoreOpenDir(zDbDir, 1, 1, &s, &err);
  if (rc == SDB_OK) rc = sdbManifestLoadLatest(s, &m, &id, &err);
  snprintf(zName, sizeof(zName), "manifest: %s: load latest = %llu", zDb, (unsigned long long)maxId);
  CHECKF(zName, rc == SDB_OK && id == maxId, "rc=%d id=%llu %s", rc, (unsigned long long)id, err.zMsg);
  if (m) checkSstFiles(m, zDbDir, zDb);
  sdbManifestFree(m);
  sdbStoreFree(s);
}

/* Returns the raw bytes of the largest fixture manifest (caller frees). */
static u8 *testFixtures(size_t *pn) {
  char *zDir = sdbMprintf("%s/c-tests/fixtures", test_srcdir());
  char **az;
  int n = listNames(zDir, &az), nDb = 0;
  u8 *aBig = NULL;
  *pn = 0;
  for (int i = 0; i < n; i++) {
    struct stat st;
    char *zDbDir = sdbMprintf("%s/%s/db", zDir, az[i]);
    char *zMan = sdbMprintf("%s/manifest", zDbDir);
    if (stat(zMan, &st) == 0 && S_ISDIR(st.st_mode)) {
      nDb++;
      checkFixtureDb(zDbDir, az[i], &aBig, pn);
    }
    sdbFree(zMan);
    sdbFree(zDbDir);
  }
  freeNames(az, n);
  CHECKF("manifest: fixture databases found", nDb > 0, "no */db/manifest under %s", zDir);
  sdbFree(zDir);
  return aBig;
}

/* ================================================================ builders */

/* Builders for hand-made manifests: each writes its table, then its children
** (front to back), and returns the table position. */
static u32 wUlid(SdbFbb *b, u64 hi, u64 lo) {
  SdbFbbTable t;
  sdbFbbTableInit(&t);
  if (hi) sdbFbbAddU64(&t, 0, hi);
  if (lo) sdbFbbAddU64(&t, 1, lo);
  return sdbFbbTableWrite(b, &t);
}

static void patchBytes(SdbFbb *b, SdbFbbTable *t, int id, const char *z) {
  if (z) sdbFbbPatchField(b, t, id, sdbFbbBytes(b, z, (u32)strlen(z)));
}

static u32 wInfo(SdbFbb *b, const char *zFirst, const char *zLast, u64 io, u8 codec) {
  SdbFbbTable t;
  sdbFbbTableInit(&t);
  if (zFirst) sdbFbbAddRef(&t, 0);
  sdbFbbAddU64(&t, 1, io);
  sdbFbbAddU64(&t, 2, 100);
  sdbFbbAddU64(&t, 3, io);
  if (codec) sdbFbbAddU8(&t, 5, codec);
  if (zLast) sdbFbbAddRef(&t, 7);
  sdbFbbAddU64(&t, 8, io + 100);
  sdbFbbAddU64(&t, 9, 40);
  u32 pos = sdbFbbTableWrite(b, &t);
  patchBytes(b, &t, 0, zFirst);
  patchBytes(b, &t, 7, zLast);
  return pos;
}

/* A BytesBound: eType, optional key. */
static u32 wBound(SdbFbb *b, u8 eType, const char *zKey) {
  SdbFbbTable t;
  sdbFbbTableInit(&t);
  if (zKey) sdbFbbAddRef(&t, 0);
  if (eType) sdbFbbAddU8(&t, 1, eType);
  u32 pos = sdbFbbTableWrite(b, &t);
  patchBytes(b, &t, 0, zKey);
  return pos;
}

static u32 wRange(SdbFbb *b, u8 eLo, const char *zLo, u8 eHi, const char *zHi) {
  SdbFbbTable t;
  sdbFbbTableInit(&t);
  sdbFbbAddRef(&t, 0);
  sdbFbbAddRef(&t, 1);
  u32 pos = sdbFbbTableWrite(b, &t);
  sdbFbbPatchField(b, &t, 0, wBound(b, eLo, zLo));
  sdbFbbPatchField(b, &t, 1, wBound(b, eHi, zHi));
  return pos;
}

/* Options for one SST handle. */
typedef struct SstSpec {
  u64 hi, lo;                   /* id (V1, V2 ssts) or view id (V2 view) */
  u64 sstHi, sstLo;             /* V2 view: sst_id */
  int fv;                       /* format_version, -1 = absent */
  int bRange;                   /* add a visible_range */
  int bNoId, bNoInfo;           /* omit required fields */
  u32 *pInfoFieldPos;           /* out: position of the info uoffset */
} SstSpec;

/* V1 CompactedSsTable or V2 CompactedSsTableV2 (bV2: format_version at 2). */
static u32 wSst(SdbFbb *b, const SstSpec *s, int bV2) {
  SdbFbbTable t;
  int idFv = bV2 ? 2 : 3;
  sdbFbbTableInit(&t);
  if (!s->bNoId) sdbFbbAddRef(&t, 0);
  if (!s->bNoInfo) sdbFbbAddRef(&t, 1);
  if (s->bRange && !bV2) sdbFbbAddRef(&t, 2);
  if (s->fv >= 0) sdbFbbAddU16(&t, idFv, (u16)s->fv);
  u32 pos = sdbFbbTableWrite(b, &t);
  if (s->pInfoFieldPos) *s->pInfoFieldPos = t.aPos[1];
  if (!s->bNoId) sdbFbbPatchField(b, &t, 0, wUlid(b, s->hi, s->lo));
  if (!s->bNoInfo) sdbFbbPatchField(b, &t, 1, wInfo(b, "a", "m", 4096 + s->lo, 1));
  if (s->bRange && !bV2) {
    sdbFbbPatchField(b, &t, 2, wRange(b, SDB_BOUND_INCLUDED, "b", SDB_BOUND_EXCLUDED, "k"));
  }
  return pos;
}

/* V2 CompactedSsTableView. */
static u32 wView(SdbFbb *b, const SstSpec *s) {
  SdbFbbTable t;
  sdbFbbTableInit(&t);
  sdbFbbAddRef(&t, 0);
  sdbFbbAddRef(&t, 1);
  if (s->bRange) sdbFbbAddRef(&t, 2);
  u32 pos = sdbFbbTableWrite(b, &t);
  sdbFbbPatchField(b, &t, 0, wUlid(b, s->hi, s->lo));
  sdbFbbPatchField(b, &t, 1, wUlid(b, s->sstHi, s->sstLo));
  if (s->bRange) sdbFbbPatchField(b, &t, 2, wRange(b, SDB_BOUND_UNBOUNDED, NULL, SDB_BOUND_INCLUDED, "z"));
  return pos;
}

/* A vector of n SSTs (views when bView) patched into field id of t. */
static void wSstVec(SdbFbb *b, SdbFbbTable *t, int id, const SstSpec *a, int n, int bView, int bV2) {
  u32 v = sdbFbbVecTables(b, (u32)n);
  sdbFbbPatchField(b, t, id, v);
  for (int i = 0; i < n; i++) {
    sdbFbbPatchElem(b, v, (u32)i, bView ? wView(b, &a[i]) : wSst(b, &a[i], bV2));
  }
}

static u32 wRun(SdbFbb *b, u32 id, const SstSpec *a, int n, int bView) {
  SdbFbbTable t;
  sdbFbbTableInit(&t);
  if (id) sdbFbbAddU32(&t, 0, id);
  sdbFbbAddRef(&t, 1);
  u32 pos = sdbFbbTableWrite(b, &t);
  wSstVec(b, &t, 1, a, n, bView, 0);
  return pos;
}

typedef struct CkptSpec {
  u64 hi, lo, manifestId;
  u32 expire, create;
  int eMeta;                    /* metadata_type; 1 = WriterCheckpoint */
  int bMetaTable;               /* write the metadata table */
  u64 epoch;
  const char *zName;
  int bNoId;
} CkptSpec;

static u32 wCkpt(SdbFbb *b, const CkptSpec *c) {
  SdbFbbTable t;
  sdbFbbTableInit(&t);
  if (!c->bNoId) sdbFbbAddRef(&t, 0);
  if (c->manifestId) sdbFbbAddU64(&t, 1, c->manifestId);
  if (c->expire) sdbFbbAddU32(&t, 2, c->expire);
  if (c->create) sdbFbbAddU32(&t, 3, c->create);
  if (c->eMeta) sdbFbbAddU8(&t, 4, (u8)c->eMeta);
  if (c->bMetaTable) sdbFbbAddRef(&t, 5);
  if (c->zName) sdbFbbAddRef(&t, 6);
  u32 pos = sdbFbbTableWrite(b, &t);
  if (!c->bNoId) sdbFbbPatchField(b, &t, 0, wUlid(b, c->hi, c->lo));
  if (c->bMetaTable) {
    SdbFbbTable w;
    sdbFbbTableInit(&w);
    sdbFbbAddU64(&w, 0, c->epoch);
    sdbFbbPatchField(b, &t, 5, sdbFbbTableWrite(b, &w));
  }
  if (c->zName) sdbFbbPatchField(b, &t, 6, sdbFbbString(b, c->zName));
  return pos;
}

static void wCkptVec(SdbFbb *b, SdbFbbTable *t, int id, const CkptSpec *a, int n) {
  u32 v = sdbFbbVecTables(b, (u32)n);
  sdbFbbPatchField(b, t, id, v);
  for (int i = 0; i < n; i++) sdbFbbPatchElem(b, v, (u32)i, wCkpt(b, &a[i]));
}

/* One ExternalDb with a final checkpoint and two SST ids. */
static u32 wExtDb(SdbFbb *b) {
  SdbFbbTable t;
  sdbFbbTableInit(&t);
  sdbFbbAddRef(&t, 0);
  sdbFbbAddRef(&t, 1);
  sdbFbbAddRef(&t, 2);
  sdbFbbAddRef(&t, 3);
  u32 pos = sdbFbbTableWrite(b, &t);
  sdbFbbPatchField(b, &t, 0, sdbFbbString(b, "parent/db"));
  sdbFbbPatchField(b, &t, 1, wUlid(b, 0x1111111111111111ull, 0x2222222222222222ull));
  sdbFbbPatchField(b, &t, 2, wUlid(b, 0x3333333333333333ull, 0x4444444444444444ull));
  u32 v = sdbFbbVecTables(b, 2);
  sdbFbbPatchField(b, &t, 3, v);
  sdbFbbPatchElem(b, v, 0, wUlid(b, 7, 8));
  sdbFbbPatchElem(b, v, 1, wUlid(b, 9, 10));
  return pos;
}

/* A tracker with pairs (1, 1795315594) as in spec/MANIFEST.md §2.4. */
static const u8 kTracker1[] = {0x01, 0x01, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1,
                               0, 0, 0, 1, 0, 0, 0, 0, 0x6b, 0x02, 0x57, 0x8a};

/* What to put in a hand-built manifest; flags drop or break parts. */
typedef struct ManSpec {
  int bV2;
  int bNoL0, bNoCompacted, bNoCheckpoints, bNoSsts;
  int bExtDb, bUri;
  const SstSpec *aL0; int nL0;
  const SstSpec *aRun0; int nRun0;       /* run id 5 */
  const SstSpec *aRun1; int nRun1;       /* run id 0 */
  const SstSpec *aSsts; int nSsts;       /* V2 ssts */
  const CkptSpec *aCkpt; int nCkpt;
  int nUnknownField;                     /* extra root field id (0 = none) */
} ManSpec;

/* Root fields: common scalars. */
static void addRootScalars(SdbFbbTable *t, const ManSpec *s) {
  sdbFbbAddU8(t, 2, 1);
  sdbFbbAddU64(t, 3, 41);
  sdbFbbAddU64(t, 4, 7);
  sdbFbbAddU64(t, 5, 12);
  sdbFbbAddU64(t, 6, 15);
  sdbFbbAddRef(t, 7);
  sdbFbbAddU64(t, s->bV2 ? 11 : 10, (u64)-5);
  sdbFbbAddU64(t, s->bV2 ? 13 : 12, 1234);
  sdbFbbAddU64(t, 14, 1200);
  sdbFbbAddRef(t, 15);
  if (s->bExtDb) sdbFbbAddRef(t, 1);
  if (s->bUri && !s->bV2) sdbFbbAddRef(t, 13);
  if (s->nUnknownField) sdbFbbAddU32(t, s->nUnknownField, 99);
}

/* Build a manifest (envelope + FlatBuffer). Caller frees *pa. */
static int buildManifest(const ManSpec *s, u8 **pa, size_t *pn) {
  SdbFbb b;
  SdbFbbTable t;
  u8 aVer[2] = {0, (u8)(s->bV2 ? 2 : 1)};
  int idL0 = s->bV2 ? 9 : 8, idRuns = s->bV2 ? 10 : 9, idCk = s->bV2 ? 12 : 11;
  sdbFbbInit(&b, aVer, 2);
  sdbFbbTableInit(&t);
  addRootScalars(&t, s);
  if (!s->bNoL0) sdbFbbAddRef(&t, idL0);
  if (!s->bNoCompacted) sdbFbbAddRef(&t, idRuns);
  if (!s->bNoCheckpoints) sdbFbbAddRef(&t, idCk);
  if (s->bV2 && !s->bNoSsts) sdbFbbAddRef(&t, 8);
  sdbFbbSetRoot(&b, sdbFbbTableWrite(&b, &t));
  if (s->bExtDb) {
    u32 v = sdbFbbVecTables(&b, 1);
    sdbFbbPatchField(&b, &t, 1, v);
    sdbFbbPatchElem(&b, v, 0, wExtDb(&b));
  }
  sdbFbbPatchField(&b, &t, 7, wUlid(&b, 0xABCull, 0xDEFull));
  if (s->bV2 && !s->bNoSsts) wSstVec(&b, &t, 8, s->aSsts, s->nSsts, 0, 1);
  if (!s->bNoL0) wSstVec(&b, &t, idL0, s->aL0, s->nL0, s->bV2, 0);
  if (!s->bNoCompacted) {
    u32 v = sdbFbbVecTables(&b, 2);
    sdbFbbPatchField(&b, &t, idRuns, v);
    sdbFbbPatchElem(&b, v, 0, wRun(&b, 5, s->aRun0, s->nRun0, s->bV2));
    sdbFbbPatchElem(&b, v, 1, wRun(&b, 0, s->aRun1, s->nRun1, s->bV2));
  }
  if (!s->bNoCheckpoints) wCkptVec(&b, &t, idCk, s->aCkpt, s->nCkpt);
  if (s->bUri && !s->bV2) sdbFbbPatchField(&b, &t, 13, sdbFbbString(&b, "s3://wal-bucket/x"));
  sdbFbbPatchField(&b, &t, 15, sdbFbbBytes(&b, kTracker1, sizeof(kTracker1)));
  return sdbFbbFinish(&b, pa, pn);
}

/* ================================================================ hand-built */

static const SstSpec kL0V1[] = {
  {.hi = 0x0190000000000001ull, .lo = 1, .fv = 2, .bRange = 1},
  {.hi = 0x0190000000000001ull, .lo = 2, .fv = -1},
  {.hi = 0x0190000000000001ull, .lo = 3, .fv = 1},
  {.hi = 0x0190000000000001ull, .lo = 4, .fv = 2},
};
static const SstSpec kRunV1[] = {{.hi = 5, .lo = 50, .fv = 2}, {.hi = 5, .lo = 51, .fv = 2}};
static const CkptSpec kCkpts[] = {
  {.hi = 0x0123456789abcdefull, .lo = 0xfedcba9876543210ull, .manifestId = 9, .expire = 1800000000u,
   .create = 1700000000u, .eMeta = 1, .bMetaTable = 1, .epoch = 40, .zName = "foreign-ckpt"},
  {.hi = 1, .lo = 2, .manifestId = 3},
};

static void checkBound(const SdbBound *b, int eType, const char *zKey, const char *zName) {
  CHECKF(zName, b->eType == eType && b->bHasKey == (zKey != NULL) &&
                (!zKey || (b->nKey == strlen(zKey) && memcmp(b->pKey, zKey, b->nKey) == 0)),
         "type %d hasKey %d", b->eType, b->bHasKey);
}

static void checkCommon(const SdbManifest *m, const char *zWhat) {
  char zName[128];
  snprintf(zName, sizeof(zName), "manifest: %s scalars", zWhat);
  CHECK(zName, m->bInitialized && m->writerEpoch == 41 && m->compactorEpoch == 7 &&
               m->replayAfterWalId == 12 && m->walIdLastSeen == 15 && m->lastL0ClockTick == -5 &&
               m->lastL0Seq == 1234 && m->recentSnapshotMinSeq == 1200 && m->bHasL0LastCompacted &&
               m->l0LastCompacted.hi == 0xABC && m->l0LastCompacted.lo == 0xDEF);
  snprintf(zName, sizeof(zName), "manifest: %s checkpoints", zWhat);
  const SdbCheckpoint *c = &m->aCkpt[0];
  char zU[37];
  sdbUuidFormat(c->aId, zU);
  CHECKF(zName, m->nCkpt == 2 && strcmp(zU, "01234567-89ab-cdef-fedc-ba9876543210") == 0 &&
                c->manifestId == 9 && c->expireTimeS == 1800000000u && c->createTimeS == 1700000000u &&
                c->eMetaType == 1 && c->bHasWriterEpoch && c->writerEpoch == 40 && c->zName &&
                strcmp(c->zName, "foreign-ckpt") == 0 && m->aCkpt[1].manifestId == 3 &&
                !m->aCkpt[1].bHasWriterEpoch && m->aCkpt[1].zName == NULL && m->aCkpt[1].aId[7] == 1,
         "uuid %s", zU);
  snprintf(zName, sizeof(zName), "manifest: %s tracker", zWhat);
  SdbSeqSample *a = NULL;
  u32 n = 0;
  CHECK(zName, m->bHasSeqTracker && seqTrackerDecode(m->pSeqTracker, m->nSeqTracker, &a, &n, NULL) == 0 &&
               n == 1 && a[0].seq == 1 && a[0].tsS == 1795315594);
  free(a);
}

static void testHandV1(void) {
  ManSpec s = {.aL0 = kL0V1, .nL0 = 4, .aRun0 = kRunV1, .nRun0 = 2, .aRun1 = kRunV1, .nRun1 = 1,
               .aCkpt = kCkpts, .nCkpt = 2, .bExtDb = 1, .bUri = 1};
  u8 *a;
  size_t n;
  SdbManifest *m = NULL;
  SdbErr err = {0};
  CHECK("manifest: build V1", buildManifest(&s, &a, &n) == SDB_OK);
  dumpBuf("hand-v1.manifest", a, n);
  int rc = sdbManifestDecode(a, n, &m, &err);
  CHECKF("manifest: hand-built V1 decodes", rc == SDB_OK, "rc=%d %s", rc, err.zMsg);
  if (!m) { free(a); return; }
  checkCommon(m, "V1");
  const SdbSstHandle *h = m->aL0;
  CHECK("manifest: V1 l0 ids and views", m->nL0 == 4 && h[0].id.lo == 1 && h[3].id.lo == 4 &&
                                          ulidEq(h[2].id, h[2].viewId));
  CHECK("manifest: V1 format_version present/absent",
        h[0].bHasFormatVersion && h[0].formatVersion == 2 && !h[1].bHasFormatVersion &&
        h[1].formatVersion == 1 && h[2].bHasFormatVersion && h[2].formatVersion == 1);
  CHECK("manifest: V1 info", h[0].info.indexOffset == 4097 && h[0].info.indexLen == 100 &&
                             h[0].info.eCodec == SDB_CODEC_SNAPPY && h[0].info.nFirst == 1 &&
                             h[0].info.pFirst[0] == 'a' && h[0].info.pLast[0] == 'm' &&
                             h[0].info.statsLen == 40);
  CHECK("manifest: V1 visible range", h[0].bHasVisibleRange && !h[1].bHasVisibleRange);
  checkBound(&h[0].visStart, SDB_BOUND_INCLUDED, "b", "manifest: V1 range start");
  checkBound(&h[0].visEnd, SDB_BOUND_EXCLUDED, "k", "manifest: V1 range end");
  CHECK("manifest: V1 sorted runs", m->nRun == 2 && m->aRun[0].id == 5 && m->aRun[0].nSst == 2 &&
                                     m->aRun[0].aSst[1].id.lo == 51 && m->aRun[1].id == 0 &&
                                     m->aRun[1].nSst == 1);
  CHECK("manifest: V1 wal_object_store_uri",
        m->zWalObjectStoreUri && strcmp(m->zWalObjectStoreUri, "s3://wal-bucket/x") == 0);
  const SdbExternalDb *x = m->aExtDb;
  CHECK("manifest: V1 external_dbs",
        m->nExtDb == 1 && strcmp(x->zPath, "parent/db") == 0 && x->aSourceCkpt[0] == 0x11 &&
        x->aSourceCkpt[15] == 0x22 && x->bHasFinalCkpt && x->aFinalCkpt[8] == 0x44 &&
        x->nSstId == 2 && x->aSstId[0].hi == 7 && x->aSstId[1].lo == 10);
  CHECK("manifest: V1 raw copy and no unknown fields",
        m->nRaw == n && memcmp(m->pRaw, a, n) == 0 && !m->bUnknownFields && m->eFormat == 1);
  char *z = manifestSummary(m);
  CHECKF("manifest: summary", z && strstr(z, "\"writer_epoch\":41") &&
                              strstr(z, "\"01234567-89ab-cdef-fedc-ba9876543210\"") &&
                              strstr(z, "\"sorted_runs\":[{\"id\":5,\"ssts\":2},{\"id\":0,\"ssts\":1}]") &&
                              strstr(z, "\"wal_object_store_uri\":\"s3://wal-bucket/x\""),
         "%s", z ? z : "NULL");
  sdbFree(z);
  sdbManifestFree(m);
  free(a);
}

/* V2: views over a shared `ssts` table. */
static const SstSpec kSstsV2[] = {
  {.hi = 0x0190000000000002ull, .lo = 9, .fv = 2},
  {.hi = 0x0190000000000002ull, .lo = 3, .fv = -1},
  {.hi = 0x0190000000000001ull, .lo = 5, .fv = 2},
};
static const SstSpec kL0V2[] = {
  {.hi = 100, .lo = 1, .sstHi = 0x0190000000000002ull, .sstLo = 9, .bRange = 1},
  {.hi = 100, .lo = 2, .sstHi = 0x0190000000000002ull, .sstLo = 3},
};
static const SstSpec kRunV2[] = {
  {.hi = 200, .lo = 1, .sstHi = 0x0190000000000001ull, .sstLo = 5},
  {.hi = 200, .lo = 2, .sstHi = 0x0190000000000002ull, .sstLo = 9},
};
static const SstSpec kDangling[] = {{.hi = 100, .lo = 1, .sstHi = 1, .sstLo = 1}};

static void testHandV2(void) {
  ManSpec s = {.bV2 = 1, .aL0 = kL0V2, .nL0 = 2, .aRun0 = kRunV2, .nRun0 = 2, .aRun1 = kRunV2,
               .nRun1 = 1, .aSsts = kSstsV2, .nSsts = 3, .aCkpt = kCkpts, .nCkpt = 2, .bExtDb = 1};
  u8 *a;
  size_t n;
  SdbManifest *m = NULL;
  SdbErr err = {0};
  CHECK("manifest: build V2", buildManifest(&s, &a, &n) == SDB_OK);
  dumpBuf("hand-v2.manifest", a, n);
  int rc = sdbManifestDecode(a, n, &m, &err);
  CHECKF("manifest: hand-built V2 decodes", rc == SDB_OK, "rc=%d %s", rc, err.zMsg);
  if (!m) { free(a); return; }
  checkCommon(m, "V2");
  const SdbSstHandle *h = m->aL0;
  CHECK("manifest: V2 views resolve to ssts",
        m->eFormat == 2 && m->nL0 == 2 && h[0].viewId.hi == 100 && h[0].viewId.lo == 1 &&
        h[0].id.lo == 9 && h[0].info.indexOffset == 4096 + 9 && h[0].bHasFormatVersion &&
        h[1].id.lo == 3 && !h[1].bHasFormatVersion && h[1].formatVersion == 1 &&
        h[1].info.indexOffset == 4096 + 3);
  checkBound(&h[0].visStart, SDB_BOUND_UNBOUNDED, NULL, "manifest: V2 range start");
  checkBound(&h[0].visEnd, SDB_BOUND_INCLUDED, "z", "manifest: V2 range end");
  const SdbSortedRun *r = m->aRun;
  CHECK("manifest: V2 runs share an SST with L0",
        m->nRun == 2 && r[0].id == 5 && r[0].nSst == 2 && r[0].aSst[0].id.lo == 5 &&
        r[0].aSst[1].id.lo == 9 && r[0].aSst[1].viewId.hi == 200 &&
        infoEq(&r[0].aSst[1].info, &h[0].info) && r[0].aSst[1].info.pFirst != h[0].info.pFirst);
  CHECK("manifest: V2 has no wal_object_store_uri", m->zWalObjectStoreUri == NULL && m->nExtDb == 1);
  sdbManifestFree(m);
  free(a);

  ManSpec bad = s;
  bad.aL0 = kDangling;
  bad.nL0 = 1;
  CHECK("manifest: build dangling V2", buildManifest(&bad, &a, &n) == SDB_OK);
  rc = sdbManifestDecode(a, n, &m, &err);
  CHECKF("manifest: V2 dangling view is corrupt",
         rc == SDB_CORRUPT && m == NULL && strstr(err.zMsg, "manifest: l0[0].sst_id: ") &&
         strstr(err.zMsg, "not in ssts"), "rc=%d %s", rc, err.zMsg);
  free(a);
  SstSpec aDup[2] = {kSstsV2[0], kSstsV2[0]};
  bad = s;
  bad.aSsts = aDup;
  bad.nSsts = 2;
  bad.nRun0 = bad.nRun1 = 0;
  bad.nL0 = 1;
  buildManifest(&bad, &a, &n);
  rc = sdbManifestDecode(a, n, &m, &err);
  CHECKF("manifest: V2 duplicate ssts id is corrupt",
         rc == SDB_CORRUPT && strstr(err.zMsg, "ssts: duplicate id"), "rc=%d %s", rc, err.zMsg);
  free(a);
}

/* Decode the manifest built from s; expect SDB_CORRUPT and zMsg in the message. */
static void expectCorrupt(const ManSpec *s, const char *zMsg, const char *zName) {
  u8 *a = NULL;
  size_t n = 0;
  SdbManifest *m = NULL;
  SdbErr err = {0};
  int rcB = buildManifest(s, &a, &n);
  int rc = sdbManifestDecode(a, n, &m, &err);
  CHECKF(zName, rcB == SDB_OK && rc == SDB_CORRUPT && m == NULL && strstr(err.zMsg, zMsg),
         "build %d, rc=%d, message \"%s\"", rcB, rc, err.zMsg);
  sdbManifestFree(m);
  free(a);
}

static void testRequired(void) {
  ManSpec s = {.aL0 = kL0V1, .nL0 = 4, .aRun0 = kRunV1, .nRun0 = 2, .aCkpt = kCkpts, .nCkpt = 2};
  ManSpec t = s;
  t.bNoL0 = 1;
  expectCorrupt(&t, "manifest: l0: required field missing", "manifest: missing l0");
  t = s;
  t.bNoCompacted = 1;
  expectCorrupt(&t, "manifest: compacted: required field missing", "manifest: missing compacted");
  t = s;
  t.bNoCheckpoints = 1;
  expectCorrupt(&t, "manifest: checkpoints: required field missing", "manifest: missing checkpoints");
  t = (ManSpec){.bV2 = 1, .bNoSsts = 1, .aCkpt = kCkpts, .nCkpt = 1};
  expectCorrupt(&t, "manifest: ssts: required field missing", "manifest: V2 missing ssts");

  SstSpec aSst[2] = {kL0V1[0], kL0V1[1]};
  aSst[1].bNoId = 1;
  t = s;
  t.aL0 = aSst;
  t.nL0 = 2;
  expectCorrupt(&t, "manifest: l0[1].id: required field missing", "manifest: missing sst id");
  aSst[1] = kL0V1[1];
  aSst[1].bNoInfo = 1;
  t.aRun0 = aSst;
  t.aL0 = kL0V1;
  expectCorrupt(&t, "manifest: compacted[0].ssts[1].info: required field missing",
                "manifest: missing sst info in a sorted run");

  CkptSpec aCk[2] = {kCkpts[0], kCkpts[1]};
  aCk[1].bNoId = 1;
  t = s;
  t.aCkpt = aCk;
  expectCorrupt(&t, "manifest: checkpoints[1].id: required field missing", "manifest: checkpoint id");
  aCk[1] = kCkpts[1];
  aCk[1].eMeta = 1;
  expectCorrupt(&t, "checkpoints[1].metadata: missing for metadata_type 1",
                "manifest: union type without value");
  aCk[1].eMeta = 0;
  aCk[1].bMetaTable = 1;
  expectCorrupt(&t, "checkpoints[1].metadata: present without metadata_type",
                "manifest: union value without type");
  aCk[1].eMeta = 7;
  u8 *a;
  size_t n;
  SdbManifest *m = NULL;
  buildManifest(&t, &a, &n);
  CHECK("manifest: unknown checkpoint metadata type is kept as unknown",
        sdbManifestDecode(a, n, &m, NULL) == SDB_OK && m->aCkpt[1].eMetaType == 7 &&
        !m->aCkpt[1].bHasWriterEpoch && m->bUnknownFields);
  sdbManifestFree(m);
  free(a);

  t = s;
  t.nUnknownField = 20;
  buildManifest(&t, &a, &n);
  CHECK("manifest: unknown root field is flagged",
        sdbManifestDecode(a, n, &m, NULL) == SDB_OK && m->bUnknownFields);
  sdbManifestFree(m);
  free(a);
}

/* Bounds: a BytesRange with an Unknown type, and an Included bound with no key. */
static void testBadBounds(void) {
  for (int k = 0; k < 2; k++) {
    SdbFbb b;
    SdbFbbTable t, sst;
    u8 aVer[2] = {0, 1};
    sdbFbbInit(&b, aVer, 2);
    sdbFbbTableInit(&t);
    sdbFbbAddRef(&t, 8);
    sdbFbbAddRef(&t, 9);
    sdbFbbAddRef(&t, 11);
    sdbFbbSetRoot(&b, sdbFbbTableWrite(&b, &t));
    u32 v = sdbFbbVecTables(&b, 1);
    sdbFbbPatchField(&b, &t, 8, v);
    sdbFbbTableInit(&sst);
    sdbFbbAddRef(&sst, 0);
    sdbFbbAddRef(&sst, 1);
    sdbFbbAddRef(&sst, 2);
    sdbFbbPatchElem(&b, v, 0, sdbFbbTableWrite(&b, &sst));
    sdbFbbPatchField(&b, &sst, 0, wUlid(&b, 1, 2));
    sdbFbbPatchField(&b, &sst, 1, wInfo(&b, NULL, NULL, 10, 0));
    sdbFbbPatchField(&b, &sst, 2, k ? wRange(&b, 1, NULL, 2, NULL) : wRange(&b, 0, "a", 1, NULL));
    sdbFbbPatchField(&b, &t, 9, sdbFbbVecTables(&b, 0));
    sdbFbbPatchField(&b, &t, 11, sdbFbbVecTables(&b, 0));
    u8 *a;
    size_t n;
    SdbErr err = {0};
    SdbManifest *m = NULL;
    int rcB = sdbFbbFinish(&b, &a, &n);
    int rc = sdbManifestDecode(a, n, &m, &err);
    const char *zWant = k ? "manifest: l0[0].visible_range.end_bound.key: required"
                          : "manifest: l0[0].visible_range.start_bound.bound_type: invalid value 0";
    CHECKF(k ? "manifest: included bound without key" : "manifest: unknown bound type",
           rcB == SDB_OK && rc == SDB_CORRUPT && strstr(err.zMsg, zWant), "rc=%d %s", rc, err.zMsg);
    free(a);
  }
}

/* Break l0[3].info's uoffset: the message must name the path. */
static void testFieldPath(void) {
  u32 aPos[4] = {0};
  SstSpec aSst[4];
  for (int i = 0; i < 4; i++) { aSst[i] = kL0V1[i]; aSst[i].pInfoFieldPos = &aPos[i]; }
  ManSpec s = {.aL0 = aSst, .nL0 = 4, .aCkpt = kCkpts, .nCkpt = 1};
  u8 *a;
  size_t n;
  SdbErr err = {0};
  SdbManifest *m = NULL;
  CHECK("manifest: build for path test", buildManifest(&s, &a, &n) == SDB_OK && aPos[3] != 0);
  sdbPutU32LE(a + 2 + aPos[3], 0x7ffffff0u);
  int rc = sdbManifestDecode(a, n, &m, &err);
  CHECKF("manifest: error names the field path",
         rc == SDB_CORRUPT && strncmp(err.zMsg, "manifest: l0[3].info: flatbuffer: ", 34) == 0,
         "rc=%d %s", rc, err.zMsg);
  free(a);
}

/* A string without its NUL, an absent-NUL at the very end, and a NUL inside. */
static void testStrings(void) {
  CkptSpec aCk[1] = {kCkpts[0]};
  ManSpec s = {.aCkpt = aCk, .nCkpt = 1};
  u8 *a;
  size_t n;
  SdbErr err = {0};
  SdbManifest *m = NULL;
  buildManifest(&s, &a, &n);
  u8 *p = memmem(a, n, "foreign-ckpt", 12);
  CHECK("manifest: string found in the built buffer", p && p[12] == 0);
  if (!p) { free(a); return; }
  p[12] = 'X';
  int rc = sdbManifestDecode(a, n, &m, &err);
  CHECKF("manifest: string without NUL is corrupt",
         rc == SDB_CORRUPT && strstr(err.zMsg, "checkpoints[0].name: string not NUL-terminated"),
         "rc=%d %s", rc, err.zMsg);
  p[12] = 0;
  p[3] = 0;
  rc = sdbManifestDecode(a, n, &m, &err);
  CHECKF("manifest: string with a NUL inside is corrupt",
         rc == SDB_CORRUPT && strstr(err.zMsg, "contains a NUL"), "rc=%d %s", rc, err.zMsg);
  free(a);
}

/* 20000 l0 entries sharing one SST with a 64 KiB first key: rejected, not
** expanded to 1.3 GB. */
static void testSharedBlowup(void) {
  SdbFbb b;
  SdbFbbTable t, sst;
  u8 aVer[2] = {0, 1};
  u32 nElem = 20000;
  char *zKey = malloc(65537);
  memset(zKey, 'k', 65536);
  zKey[65536] = 0;
  sdbFbbInit(&b, aVer, 2);
  sdbFbbTableInit(&t);
  sdbFbbAddRef(&t, 8);
  sdbFbbAddRef(&t, 9);
  sdbFbbAddRef(&t, 11);
  sdbFbbSetRoot(&b, sdbFbbTableWrite(&b, &t));
  u32 v = sdbFbbVecTables(&b, nElem);
  sdbFbbPatchField(&b, &t, 8, v);
  sdbFbbTableInit(&sst);
  sdbFbbAddRef(&sst, 0);
  sdbFbbAddRef(&sst, 1);
  u32 pos = sdbFbbTableWrite(&b, &sst);
  for (u32 i = 0; i < nElem; i++) sdbFbbPatchElem(&b, v, i, pos);
  sdbFbbPatchField(&b, &sst, 0, wUlid(&b, 1, 2));
  sdbFbbPatchField(&b, &sst, 1, wInfo(&b, zKey, NULL, 10, 0));
  sdbFbbPatchField(&b, &t, 9, sdbFbbVecTables(&b, 0));
  sdbFbbPatchField(&b, &t, 11, sdbFbbVecTables(&b, 0));
  u8 *a;
  size_t n;
  SdbErr err = {0};
  SdbManifest *m = NULL;
  int rcB = sdbFbbFinish(&b, &a, &n);
  int rc = sdbManifestDecode(a, n, &m, &err);
  CHECKF("manifest: shared sub-objects cannot blow up memory",
         rcB == SDB_OK && rc == SDB_CORRUPT && strstr(err.zMsg, "too large"), "rc=%d %s", rc, err.zMsg);
  free(a);
  free(zKey);
}

static void testEnvelope(void) {
  u8 a[8] = {0, 3, 4, 0, 0, 0};
  SdbErr err = {0};
  SdbManifest *m = (SdbManifest *)1;
  int rc = sdbManifestDecode(NULL, 0, &m, &err);
  CHECKF("manifest: 0 bytes is an empty manifest",
         rc == SDB_CORRUPT && m == NULL && strstr(err.zMsg, "empty manifest"), "%s", err.zMsg);
  rc = sdbManifestDecode(a, 1, &m, &err);
  CHECKF("manifest: 1 byte is an empty manifest", rc == SDB_CORRUPT && strstr(err.zMsg, "empty manifest"),
         "%s", err.zMsg);
  rc = sdbManifestDecode(a, sizeof(a), &m, &err);
  CHECKF("manifest: version 3 is unsupported",
         rc == SDB_UNSUPPORTED && strstr(err.zMsg, "unsupported manifest format version 3"), "%s", err.zMsg);
  a[1] = 0;
  CHECK("manifest: version 0 is unsupported", sdbManifestDecode(a, sizeof(a), &m, &err) == SDB_UNSUPPORTED);
  a[1] = 1;
  CHECK("manifest: V1 with a bad root is corrupt", sdbManifestDecode(a, 2, &m, &err) == SDB_CORRUPT &&
                                                   sdbManifestDecode(a, sizeof(a), &m, &err) == SDB_CORRUPT);
  sdbManifestFree(NULL);
}

/* Every truncation of a real manifest is corrupt; bit flips never crash. */
static void testMutations(const u8 *aReal, size_t nReal) {
  if (!aReal) return;
  int nBad = 0, nOk = 0, nErr = 0, nOther = 0;
  for (size_t n = 0; n < nReal; n++) {
    SdbManifest *m = NULL;
    u8 *aCut = malloc(n ? n : 1);         /* exact size, so ASan sees the end */
    memcpy(aCut, aReal, n);
    int rc = sdbManifestDecode(aCut, n, &m, NULL);
    if (rc != SDB_CORRUPT || m) { nBad++; printf("  truncated to %zu: rc=%d\n", n, rc); }
    sdbManifestFree(m);
    free(aCut);
  }
  u8 *a = malloc(nReal);
  CHECKF("manifest: every truncation of a real manifest is corrupt", nBad == 0, "%d not corrupt", nBad);
  for (size_t i = 0; i < nReal * 8; i++) {
    SdbManifest *m = NULL;
    memcpy(a, aReal, nReal);
    a[i / 8] ^= (u8)(1u << (i % 8));
    int rc = sdbManifestDecode(a, nReal, &m, NULL);
    if (rc == SDB_OK) {
      char *z = manifestSummary(m);
      SdbSeqSample *aS = NULL;
      u32 nS;
      seqTrackerDecode(m->pSeqTracker, m->nSeqTracker, &aS, &nS, NULL);
      free(aS);
      sdbFree(z);
      nOk++;
    } else if (rc == SDB_CORRUPT || rc == SDB_UNSUPPORTED) {
      nErr++;
    } else {
      nOther++;
    }
    sdbManifestFree(m);
  }
  CHECKF("manifest: bit flips give OK, CORRUPT or UNSUPPORTED", nOther == 0 && nErr > 0,
         "ok %d err %d other %d", nOk, nErr, nOther);
  free(a);
}

/* ================================================================ tracker */

typedef struct BitW {
  u8 a[4096];
  size_t nBit;
} BitW;

static void bitPut(BitW *w, u64 v, int nBits) {
  for (int i = nBits - 1; i >= 0; i--, w->nBit++) {
    if ((v >> i) & 1) w->a[w->nBit / 8] |= (u8)(0x80 >> (w->nBit % 8));
  }
}

/* Gorilla-encode a series (spec/MANIFEST.md §2.4), independent of the reader. */
static void gorillaPut(BitW *w, const u64 *a, u32 n) {
  u64 prevDelta = 0;
  bitPut(w, n, 32);
  for (u32 i = 0; i < n; i++) {
    if (i == 0) { bitPut(w, a[0], 64); continue; }
    u64 delta = a[i] - a[i - 1];
    i64 dod = (i64)(delta - prevDelta);
    prevDelta = delta;
    if (dod == 0) bitPut(w, 0, 1);
    else if (dod >= -63 && dod <= 63) { bitPut(w, 2, 2); bitPut(w, (u64)dod & 0x7f, 7); }
    else if (dod >= -255 && dod <= 255) { bitPut(w, 6, 3); bitPut(w, (u64)dod & 0x1ff, 9); }
    else if (dod >= -2047 && dod <= 2047) { bitPut(w, 14, 4); bitPut(w, (u64)dod & 0xfff, 12); }
    else { bitPut(w, 15, 4); bitPut(w, (u64)dod & 0xffffffffu, 32); }
  }
  w->nBit = (w->nBit + 7) / 8 * 8;
}

static void testTracker(void) {
  static const u8 aEmpty[13] = {1};
  SdbSeqSample *a = NULL;
  u32 n = 99;
  SdbErr err = {0};
  CHECK("tracker: empty (13 bytes)", seqTrackerDecode(aEmpty, 13, &a, &n, &err) == SDB_OK &&
                                     n == 0 && a == NULL);
  CHECK("tracker: spec example (seq 1, 1795315594 s)",
        seqTrackerDecode(kTracker1, sizeof(kTracker1), &a, &n, &err) == SDB_OK && n == 1 &&
        a[0].seq == 1 && a[0].tsS == 1795315594);
  free(a);

  /* Every delta-of-delta class, both signs, plus the lossy 32-bit case. */
  u64 aSeq[12] = {5, 5, 5, 70, 70, 300, 301, 2400, 9000, 9001, 1ull << 40, (1ull << 40) + 3};
  u64 aTs[12] = {1795315594, 1795315654, 1795315714, 1795315700, 1795316000, 1795315000,
                 1795315000, 1795300000, 1795400000, 1795400001, 1795400002, 1795400003};
  BitW w;
  memset(&w, 0, sizeof(w));
  w.a[0] = 1;
  sdbPutU32LE(w.a + 1, 12);
  w.nBit = 40;
  gorillaPut(&w, aSeq, 12);
  gorillaPut(&w, aTs, 12);
  size_t nBytes = w.nBit / 8;
  int rc = seqTrackerDecode(w.a, nBytes, &a, &n, &err);
  int ok = rc == SDB_OK && n == 12;
  for (u32 i = 0; ok && i < 10; i++) ok = a[i].seq == aSeq[i] && a[i].tsS == (i64)aTs[i];
  CHECKF("tracker: all delta-of-delta widths round-trip", ok, "rc=%d n=%u %s", rc, n, err.zMsg);
  /* 2^40 - 9001 does not fit the 32-bit case: the Rust encoder keeps only the
  ** low 32 bits; so does ours, and the reader must reproduce that value. */
  i64 dod = (i64)((1ull << 40) - 9001 - 1);
  u64 want = 9001 + (u64)(i64)(int32_t)(u32)((u64)dod & 0xffffffffu) + 1;
  CHECK("tracker: 32-bit delta-of-delta is truncated like Rust", ok && a[10].seq == want);
  free(a);
  dumpBuf("tracker.bin", w.a, nBytes);

  int nBad = 0;
  for (size_t k = 0; k < nBytes - 1; k++) {
    if (seqTrackerDecode(w.a, k, &a, &n, NULL) != SDB_CORRUPT || a) nBad++;
  }
  CHECKF("tracker: every truncation is corrupt", nBad == 0, "%d not corrupt", nBad);
  u8 aBad[sizeof(kTracker1)];
  memcpy(aBad, kTracker1, sizeof(aBad));
  aBad[1] = 2;
  rc = seqTrackerDecode(aBad, sizeof(aBad), &a, &n, &err);
  CHECKF("tracker: count mismatch is corrupt", rc == SDB_CORRUPT, "rc=%d", rc);
  aBad[1] = 1;
  aBad[0] = 2;
  rc = seqTrackerDecode(aBad, sizeof(aBad), &a, &n, &err);
  CHECKF("tracker: version 2 is unsupported", rc == SDB_UNSUPPORTED, "rc=%d", rc);
  u8 aHuge[9] = {1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  CHECK("tracker: impossible count is corrupt before allocating",
        seqTrackerDecode(aHuge, sizeof(aHuge), &a, &n, NULL) == SDB_CORRUPT);
}

/* ================================================================ ids */

static void testIds(void) {
  char z[21];
  u64 id = 0;
  sdbFormatId20(17, z);
  CHECK("ids: format 17", strcmp(z, "00000000000000000017") == 0);
  sdbFormatId20(UINT64_MAX, z);
  CHECK("ids: format max", strcmp(z, "18446744073709551615") == 0);
  CHECK("ids: parse sst", sdbParseId20("00000000000000000017.sst", ".sst", &id) == SDB_OK && id == 17);
  CHECK("ids: parse with folder", sdbParseId20("wal/00000000000000000018.sst", ".sst", &id) == SDB_OK &&
                                  id == 18);
  CHECK("ids: parse max", sdbParseId20("18446744073709551615.manifest", ".manifest", &id) == SDB_OK &&
                          id == UINT64_MAX);
  const char *azBad[] = {"18446744073709551616.manifest", "99999999999999999999.manifest",
                         "0000000000000000017.manifest", "000000000000000000017.manifest",
                         "00000000000000000017.manifest.tmp", "00000000000000000017.sst",
                         "0000000000000000001x.manifest", "", "00000000000000000017", "manifest"};
  int nBad = 0;
  for (int i = 0; i < (int)(sizeof(azBad) / sizeof(azBad[0])); i++) {
    if (sdbParseId20(azBad[i], ".manifest", &id) != SDB_ERROR) { nBad++; printf("  accepted %s\n", azBad[i]); }
  }
  CHECK("ids: malformed names are rejected", nBad == 0);
  u8 aU[16] = {0xde, 0xad, 0xbe, 0xef, 0, 1, 0x40, 2, 0x80, 3, 4, 5, 6, 7, 8, 9};
  char zU[37];
  sdbUuidFormat(aU, zU);
  CHECK("ids: uuid text", strcmp(zU, "deadbeef-0001-4002-8003-040506070809") == 0);
}

/* ================================================================ loading */

/* A store wrapper whose listing names a manifest that does not exist (as if
** GC deleted it between LIST and GET) for its first nFake listings. */
typedef struct FakeStore {
  SdbStore base;
  SdbStore *pReal;
  int nFake;
} FakeStore;

static int fakeGet(SdbStore *p, const char *zKey, u64 o, u64 n, SdbBuf *pOut, SdbErr *e) {
  SdbStore *r = ((FakeStore *)p)->pReal;
  return r->pMethods->xGet(r, zKey, o, n, pOut, e);
}

static int fakeList(SdbStore *p, const char *zPrefix, SdbObjList *pOut, SdbErr *e) {
  FakeStore *f = (FakeStore *)p;
  int rc = f->pReal->pMethods->xList(f->pReal, zPrefix, pOut, e);
  if (rc == SDB_OK && f->nFake > 0) {
    f->nFake--;
    rc = sdbObjListAdd(pOut, "manifest/00000000000000000099.manifest", 10, 0);
  }
  return rc;
}

static const SdbStoreMethods kFakeMethods = {fakeGet, NULL, NULL, fakeList, NULL, NULL, NULL, NULL, NULL};

static int rmOne(const char *zPath, const struct stat *st, int flag, struct FTW *ftw) {
  (void)st; (void)flag; (void)ftw;
  return remove(zPath);
}

static int putBytes(SdbStore *s, const char *zKey, const u8 *a, size_t n) {
  return s->pMethods->xPut(s, zKey, a, n, 0, NULL);
}

static void testLoad(const u8 *aReal, size_t nReal) {
  char zRoot[512];
  SdbStore *s = NULL;
  SdbManifest *m = NULL;
  SdbErr err = {0};
  u64 id = 0;
  snprintf(zRoot, sizeof(zRoot), "%s/sdb-manifest-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
  if (!mkdtemp(zRoot) || sdbStoreOpenDir(zRoot, 1, 0, &s, &err) != SDB_OK || !aReal) {
    CHECKF("load: temp store", 0, "%s", err.zMsg);
    return;
  }
  int rc = sdbManifestLoadLatest(s, &m, &id, &err);
  CHECKF("load: empty store is NOTFOUND with a hint",
         rc == SDB_NOTFOUND && m == NULL && strstr(err.zMsg, "no manifest found under ") &&
         strstr(err.zMsg, "/manifest/ (not a SlateDB database?)"), "rc=%d %s", rc, err.zMsg);
  putBytes(s, "manifest/junk", (const u8 *)"x", 1);
  putBytes(s, "manifest/00000000000000000009.manifest.tmp", (const u8 *)"x", 1);
  putBytes(s, "manifest/9.manifest", (const u8 *)"x", 1);
  putBytes(s, "manifest/sub/00000000000000000008.manifest", (const u8 *)"x", 1);
  putBytes(s, "compactions/00000000000000000009.compactions", (const u8 *)"x", 1);
  rc = sdbManifestLoadLatest(s, &m, &id, &err);
  CHECKF("load: other names are ignored", rc == SDB_NOTFOUND, "rc=%d %s", rc, err.zMsg);

  putBytes(s, "manifest/00000000000000000001.manifest", aReal, nReal);
  putBytes(s, "manifest/00000000000000000002.manifest", (const u8 *)"\x00\x01junk", 6);
  putBytes(s, "manifest/00000000000000000003.manifest", aReal, nReal);
  rc = sdbManifestLoadLatest(s, &m, &id, &err);
  CHECKF("load: picks the largest id", rc == SDB_OK && id == 3 && m && m->nRaw == nReal,
         "rc=%d id=%llu %s", rc, (unsigned long long)id, err.zMsg);
  sdbManifestFree(m);
  rc = sdbManifestLoad(s, 2, &m, &err);
  CHECKF("load: a corrupt manifest names its key",
         rc == SDB_CORRUPT && m == NULL &&
         strncmp(err.zMsg, "manifest/00000000000000000002.manifest: ", 40) == 0, "rc=%d %s", rc, err.zMsg);
  rc = sdbManifestLoad(s, 7, &m, &err);
  CHECKF("load: a missing id is NOTFOUND", rc == SDB_NOTFOUND && strstr(err.zMsg, "00000000000000000007"),
         "rc=%d %s", rc, err.zMsg);
  rc = sdbManifestLoad(s, 1, &m, &err);
  CHECK("load: by id", rc == SDB_OK && m && m->nRaw == nReal);
  sdbManifestFree(m);

  FakeStore f = {{&kFakeMethods, {0}, (char *)"fake", NULL}, s, 2};
  rc = sdbManifestLoadLatest(&f.base, &m, &id, &err);
  CHECKF("load: a vanished manifest is listed again", rc == SDB_OK && id == 3 && f.nFake == 0,
         "rc=%d id=%llu %s", rc, (unsigned long long)id, err.zMsg);
  sdbManifestFree(m);
  f.nFake = 1000;
  rc = sdbManifestLoadLatest(&f.base, &m, &id, &err);
  CHECKF("load: retries are bounded", rc == SDB_BUSY && m == NULL && f.nFake > 900, "rc=%d %s", rc, err.zMsg);

  putBytes(s, "manifest/00000000000000000004.manifest", (const u8 *)"\x00\x01", 2);
  rc = sdbManifestLoadLatest(s, &m, &id, &err);
  CHECKF("load: latest corrupt manifest names its key",
         rc == SDB_CORRUPT && strncmp(err.zMsg, "manifest/00000000000000000004.manifest: ", 40) == 0,
         "rc=%d %s", rc, err.zMsg);
  sdbStoreFree(s);
  nftw(zRoot, rmOne, 16, FTW_DEPTH | FTW_PHYS);
}

/* ================================================================ builder */

/* Alignment rules of spec/SST.md §4.3 on a buffer with a 2-byte prefix. */
static void testBuilder(void) {
  SdbFbb b;
  SdbFbbTable t;
  u8 aPre[3] = {9, 9, 9};
  sdbFbbInit(&b, aPre, 3);
  sdbFbbTableInit(&t);
  sdbFbbAddU8(&t, 0, 0xAA);
  sdbFbbAddU64(&t, 1, 0x1122334455667788ull);
  sdbFbbAddU16(&t, 2, 0xBEEF);
  sdbFbbAddRef(&t, 3);
  sdbFbbAddU32(&t, 4, 0xCAFEBABE);
  u32 pos = sdbFbbTableWrite(&b, &t);
  sdbFbbSetRoot(&b, pos);
  sdbFbbPatchField(&b, &t, 3, sdbFbbString(&b, "hi"));
  u8 *a;
  size_t n;
  CHECK("fbbuild: finish", sdbFbbFinish(&b, &a, &n) == SDB_OK);
  CHECK("fbbuild: alignment relative to the FlatBuffer start",
        pos % 4 == 0 && t.aPos[1] % 8 == 0 && t.aPos[4] % 4 == 0 && t.aPos[2] % 2 == 0 &&
        memcmp(a, aPre, 3) == 0);
  SdbFb fb = {a + 3, n - 3};
  SdbFbTable r;
  u64 v64 = 0;
  u32 v32 = 0, nStr = 0;
  u16 v16 = 0;
  u8 v8 = 0;
  const u8 *pStr = NULL;
  int bHas = 0;
  CHECK("fbbuild: reads back with fb.h",
        sdbFbRoot(&fb, &r, NULL) == SDB_OK && sdbFbU64(&r, 1, 0, &v64, NULL) == SDB_OK &&
        sdbFbU32(&r, 4, 0, &v32, NULL) == SDB_OK && sdbFbU16(&r, 2, 0, &v16, NULL) == SDB_OK &&
        sdbFbU8(&r, 0, 0, &v8, NULL) == SDB_OK &&
        sdbFbBytes(&r, 3, &pStr, &nStr, &bHas, NULL) == SDB_OK && v64 == 0x1122334455667788ull &&
        v32 == 0xCAFEBABE && v16 == 0xBEEF && v8 == 0xAA && bHas && nStr == 2 &&
        memcmp(pStr, "hi", 3) == 0 && !sdbFbHas(&r, 5));
  free(a);

  sdbFbbInit(&b, NULL, 0);
  sdbFbbTableInit(&t);
  sdbFbbAddRef(&t, 0);
  pos = sdbFbbTableWrite(&b, &t);
  sdbFbbPatchField(&b, &t, 0, pos);       /* a backward reference is misuse */
  CHECK("fbbuild: backward reference is an error", sdbFbbFinish(&b, &a, &n) == SDB_INTERNAL && !a);
  sdbFbbInit(&b, NULL, 0);
  sdbFbbTableInit(&t);
  sdbFbbAddU8(&t, SDB_FBB_MAX_FIELDS, 1);
  CHECK("fbbuild: bad field id is an error",
        sdbFbbTableWrite(&b, &t) == 0 && sdbFbbFinish(&b, &a, &n) == SDB_INTERNAL);
}

int main(void) {
  size_t nBig = 0;
  u8 *aBig = testFixtures(&nBig);
  testEnvelope();
  testHandV1();
  testHandV2();
  testRequired();
  testBadBounds();
  testFieldPath();
  testStrings();
  testSharedBlowup();
  testMutations(aBig, nBig);
  testTracker();
  testIds();
  testLoad(aBig, nBig);
  testBuilder();
  free(aBig);
  return test_done();
}
