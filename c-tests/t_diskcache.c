/*
** t_diskcache.c: the disk cache wrapper (store/diskcache.c) over an in-memory
** store that counts requests: parts reused by a second wrapper (another
** process's view), a corrupted part discarded and fetched again, the size
** bound, concurrent readers in forked processes and threads never seeing a
** torn part, keys with odd characters staying inside the directory,
** manifests, the compactions file and WAL SSTs never cached, deletes dropping parts,
** batches (xGetMany); and a database opened with disk_cache over a local
** directory (a second reader's scan is served from disk).
*/
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test.h"
#include "store/diskcache.h"
#include "util/ids.h"

#define PART 1024u

static char zTmp[256];        /* the test's scratch directory */

/* ------------------------------------------------------------ a memory store */

#define MEM_MAXOBJ 8
typedef struct MemStore {
  SdbStore base;
  char *azKey[MEM_MAXOBJ];
  SdbBuf aObj[MEM_MAXOBJ];
  int nObj;
} MemStore;

static int memFind(MemStore *p, const char *zKey) {
  for (int i = 0; i < p->nObj; i++) {
    if (p->azKey[i] && strcmp(p->azKey[i], zKey) == 0) return i;
  }
  return -1;
}

static int memGet(SdbStore *s, const char *zKey, u64 iOff, u64 nLen, SdbBuf *pOut, SdbErr *pErr) {
  MemStore *p = (MemStore *)s;
  int i = memFind(p, zKey);
  __atomic_add_fetch(&s->stats.nGet, 1, __ATOMIC_RELAXED);
  if (i < 0) return sdbErrSet(pErr, SDB_NOTFOUND, "%s not found", zKey);
  u64 n = p->aObj[i].n;
  u64 iEnd = nLen == SDB_TO_END || iOff + nLen > n ? n : iOff + nLen;
  pOut->n = 0;
  if (iOff < iEnd) sdbBufAppend(pOut, p->aObj[i].a + iOff, iEnd - iOff);
  __atomic_add_fetch(&s->stats.nBytesIn, pOut->n, __ATOMIC_RELAXED);
  return SDB_OK;
}

static int memHead(SdbStore *s, const char *zKey, u64 *pn, SdbErr *pErr) {
  MemStore *p = (MemStore *)s;
  int i = memFind(p, zKey);
  __atomic_add_fetch(&s->stats.nHead, 1, __ATOMIC_RELAXED);
  if (i < 0) return sdbErrSet(pErr, SDB_NOTFOUND, "%s not found", zKey);
  *pn = p->aObj[i].n;
  return SDB_OK;
}

static int memPut(SdbStore *s, const char *zKey, const u8 *a, size_t n, int bIfAbsent, SdbErr *pErr) {
  MemStore *p = (MemStore *)s;
  int i = memFind(p, zKey);
  if (i < 0 && p->nObj == MEM_MAXOBJ) return sdbErrSet(pErr, SDB_ERROR, "full");
  if (i < 0) i = p->nObj++, p->azKey[i] = sdbStrdup(zKey);
  return sdbBufSet(&p->aObj[i], a, n);
}

static int memList(SdbStore *s, const char *zPrefix, SdbObjList *pOut, SdbErr *pErr) {
  return SDB_OK;
}

static int memDelete(SdbStore *s, const char *zKey, SdbErr *pErr) {
  MemStore *p = (MemStore *)s;
  int i = memFind(p, zKey);
  __atomic_add_fetch(&s->stats.nDelete, 1, __ATOMIC_RELAXED);
  if (i >= 0) sdbFree(p->azKey[i]), p->azKey[i] = NULL;
  return SDB_OK;
}

static void memFree(SdbStore *s) {}   /* the tests own their MemStores */

static const SdbStoreMethods memMethods = {memGet, memHead, memPut, memList, memDelete, memFree,
                                           NULL, NULL, NULL};

static void memInit(MemStore *p) {
  memset(p, 0, sizeof(*p));
  p->base.pMethods = &memMethods;
  p->base.zDescr = (char *)"mem://test";
}

static void memClear(MemStore *p) {
  for (int i = 0; i < p->nObj; i++) sdbFree(p->azKey[i]), sdbBufFree(&p->aObj[i]);
  memset(p->azKey, 0, sizeof(p->azKey));
  p->nObj = 0;
}

/* Byte i of object iObj. */
static u8 pat(int iObj, u64 i) { return (u8)(iObj * 37 + i * 11 + (i >> 9)); }

static void memAdd(MemStore *p, const char *zKey, int iObj, size_t n) {
  u8 *a = malloc(n ? n : 1);
  for (size_t i = 0; i < n; i++) a[i] = pat(iObj, i);
  memPut(&p->base, zKey, a, n, 0, NULL);
  free(a);
}

/* ------------------------------------------------------------ helpers */

/* Wrap m in a cache in zDir (part PART, bound nMax). The wrapper does not
** free m (memFree does nothing). */
static SdbStore *wrap(MemStore *m, const char *zDir, u64 nMax) {
  SdbStore *s = &m->base;
  SdbErr err = {0};
  int rc = sdbStoreWrapDiskCache(&s, zDir, nMax, PART, &err);
  if (rc) printf("# wrap: %s\n", err.zMsg);
  return rc ? NULL : s;
}

/* 1 if [iOff, iOff+nLen) of zKey (object iObj of size nObj) reads right. */
static int readOk(SdbStore *s, const char *zKey, int iObj, u64 nObj, u64 iOff, u64 nLen) {
  SdbBuf b = {0};
  SdbErr err = {0};
  int rc = s->pMethods->xGet(s, zKey, iOff, nLen, &b, &err);
  u64 nWant = iOff >= nObj ? 0 : (nLen == SDB_TO_END || nLen > nObj - iOff ? nObj - iOff : nLen);
  int bOk = rc == SDB_OK && b.n == nWant;
  for (u64 i = 0; bOk && i < nWant; i++) bOk = b.a[i] == pat(iObj, iOff + i);
  if (!bOk) printf("# read %s [%llu,+%llu): rc %d n %zu want %llu\n", zKey,
                   (unsigned long long)iOff, (unsigned long long)nLen, rc, b.n,
                   (unsigned long long)nWant);
  sdbBufFree(&b);
  return bOk;
}

/* Walk every file under zDir: *pnFile files, *pnByte bytes; *pbBad set if a
** name outside [A-Za-z0-9._%-] or a directory deeper than one level shows. */
static void walk(const char *zDir, int iDepth, int *pnFile, u64 *pnByte, int *pbBad) {
  DIR *d = opendir(zDir);
  struct dirent *e;
  while (d && (e = readdir(d)) != NULL) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    char zPath[1024];
    struct stat st;
    snprintf(zPath, sizeof(zPath), "%s/%s", zDir, e->d_name);
    if (lstat(zPath, &st) != 0) continue;
    if (S_ISDIR(st.st_mode)) {
      if (iDepth > 0) *pbBad = 1;
      walk(zPath, iDepth + 1, pnFile, pnByte, pbBad);
      continue;
    }
    if (strspn(e->d_name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._%-")
        != strlen(e->d_name) || iDepth != 1) {
      *pbBad = 1;
    }
    (*pnFile)++;
    *pnByte += (u64)st.st_size;
  }
  if (d) closedir(d);
}

/* The path of the first file under zDir whose name ends with zSuffix. */
static int findFile(const char *zDir, const char *zSuffix, char *zOut, size_t nOut) {
  DIR *d = opendir(zDir);
  struct dirent *e;
  int bFound = 0;
  while (!bFound && d && (e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.') continue;
    char zSub[512];
    snprintf(zSub, sizeof(zSub), "%s/%s", zDir, e->d_name);
    DIR *d2 = opendir(zSub);
    struct dirent *f;
    while (!bFound && d2 && (f = readdir(d2)) != NULL) {
      size_t n = strlen(f->d_name), m = strlen(zSuffix);
      if (n >= m && strcmp(f->d_name + n - m, zSuffix) == 0) {
        snprintf(zOut, nOut, "%s/%s", zSub, f->d_name);
        bFound = 1;
      }
    }
    if (d2) closedir(d2);
  }
  if (d) closedir(d);
  return bFound;
}

static void rmrf(const char *z) {
  char zCmd[600];
  snprintf(zCmd, sizeof(zCmd), "rm -rf '%s'", z);
  if (system(zCmd) != 0) printf("# rm failed\n");
}

/* ------------------------------------------------------------ tests */

#define KEY_A "compacted/01J00000000000000000000000.sst"
#define NA 10000                  /* object A: 9 full parts and a short one */

/* Two wrappers over one directory: the second reads without a GET. */
static void testReuse(MemStore *m, const char *zDir) {
  SdbStore *s1 = wrap(m, zDir, 0);
  int bOk = s1 != NULL;
  bOk = bOk && readOk(s1, KEY_A, 1, NA, 0, SDB_TO_END);
  CHECKF("diskcache: first read fetches once", bOk && m->base.stats.nGet == 1 &&
         m->base.stats.nHead == 1, "ok %d gets %llu heads %llu", bOk,
         (unsigned long long)m->base.stats.nGet, (unsigned long long)m->base.stats.nHead);
  CHECK("diskcache: misses counted", s1 && s1->stats.nDiskMiss == 10 && s1->stats.nDiskHit == 0);
  sdbStoreFree(s1);
  u64 nGet0 = m->base.stats.nGet;
  SdbStore *s2 = wrap(m, zDir, 0);
  bOk = s2 != NULL;
  static const u64 aR[][2] = {{0, SDB_TO_END}, {5, 10}, {1000, 100}, {1023, 2}, {4096, 1024},
                              {9990, 100}, {9999, 1}, {10000, 5}, {20000, 5}, {0, 10000}};
  for (size_t i = 0; bOk && i < sizeof(aR) / sizeof(aR[0]); i++) {
    bOk = readOk(s2, KEY_A, 1, NA, aR[i][0], aR[i][1]);
  }
  CHECKF("diskcache: a second wrapper reads from disk only", bOk && m->base.stats.nGet == nGet0,
         "ok %d gets +%llu", bOk, (unsigned long long)(m->base.stats.nGet - nGet0));
  CHECK("diskcache: hits and bytes counted", s2 && s2->stats.nDiskHit > 10 &&
        s2->stats.nDiskBytes >= 2 * NA && s2->stats.nDiskMiss == 0);
  SdbStoreStats st;
  if (s2) sdbStoreGetStats(s2, &st);
  CHECK("diskcache: sdbStoreGetStats sums the wrapper and the inner store",
        s2 && st.nGet == m->base.stats.nGet && st.nDiskHit == s2->stats.nDiskHit);
  sdbStoreFree(s2);
}

/* Ranges read cold fetch only the parts they need, one GET per run. */
static void testPartial(MemStore *m, const char *zDir) {
  rmrf(zDir);
  SdbStore *s = wrap(m, zDir, 0);
  u64 nGet0 = m->base.stats.nGet;
  int bOk = s && readOk(s, KEY_A, 1, NA, 2100, 100);          /* part 2 */
  bOk = bOk && readOk(s, KEY_A, 1, NA, 5000, 100);            /* part 4 */
  u64 nIn0 = m->base.stats.nBytesIn;
  bOk = bOk && readOk(s, KEY_A, 1, NA, 1500, 4000);           /* parts 1..5: 1, 3, 5 missing */
  CHECKF("diskcache: a range fetches only its missing parts", bOk &&
         m->base.stats.nGet - nGet0 == 5 && m->base.stats.nBytesIn - nIn0 == 3 * PART,
         "ok %d gets +%llu bytes +%llu", bOk, (unsigned long long)(m->base.stats.nGet - nGet0),
         (unsigned long long)(m->base.stats.nBytesIn - nIn0));
  /* A cold read with a length far past the object: its parts, not a loop
  ** over the length's. */
  memAdd(m, "compacted/01J00000000000000000000009.sst", 6, 3000);
  nGet0 = m->base.stats.nGet;
  bOk = s && readOk(s, "compacted/01J00000000000000000000009.sst", 6, 3000, 100, 1ull << 50) &&
        readOk(s, "compacted/01J00000000000000000000009.sst", 6, 3000, 200, UINT64_MAX - 100);
  CHECKF("diskcache: a long length reads the object's parts only", bOk &&
         m->base.stats.nGet - nGet0 == 1, "ok %d gets +%llu", bOk,
         (unsigned long long)(m->base.stats.nGet - nGet0));
  sdbStoreFree(s);
}

/* A part with a flipped byte is deleted and fetched again; never returned. */
static void testCorrupt(MemStore *m, const char *zDir) {
  SdbStore *s = wrap(m, zDir, 0);
  int bOk = s && readOk(s, KEY_A, 1, NA, 0, SDB_TO_END);
  char zPath[600];
  int bFound = findFile(zDir, ".p3", zPath, sizeof(zPath));
  unsigned char *a;
  size_t n;
  if (bFound && test_read_file(zPath, &a, &n)) {
    a[n - 100] ^= 0x20;
    FILE *f = fopen(zPath, "wb");
    fwrite(a, 1, n, f);
    fclose(f);
    free(a);
  }
  u64 nGet0 = m->base.stats.nGet;
  bOk = bOk && readOk(s, KEY_A, 1, NA, 3000, 1000);
  CHECKF("diskcache: a corrupted part is fetched again, not returned", bFound && bOk &&
         m->base.stats.nGet - nGet0 == 1, "found %d ok %d gets +%llu", bFound, bOk,
         (unsigned long long)(m->base.stats.nGet - nGet0));
  nGet0 = m->base.stats.nGet;
  bOk = readOk(s, KEY_A, 1, NA, 3000, 1000);
  CHECK("diskcache: the refetched part is cached again", bOk && m->base.stats.nGet == nGet0);
  /* A truncated (torn) part too. */
  bFound = findFile(zDir, ".p7", zPath, sizeof(zPath));
  if (bFound) truncate(zPath, 500);
  bOk = readOk(s, KEY_A, 1, NA, 7000, 1500);
  CHECK("diskcache: a torn part is fetched again", bFound && bOk &&
        m->base.stats.nGet == nGet0 + 1);
  sdbStoreFree(s);
}

/* The directory stays within its bound while reading more than it holds. */
static void testEvict(MemStore *m, const char *zDir) {
  rmrf(zDir);
  const char *zKey = "compacted/01J00000000000000000000BIG.sst";
  memAdd(m, zKey, 2, 64 * PART);
  u64 nMax = 8 * PART;
  SdbStore *s = wrap(m, zDir, nMax);
  int bOk = s != NULL;
  for (int i = 0; bOk && i < 64; i++) bOk = readOk(s, zKey, 2, 64 * PART, (u64)i * PART, PART);
  int nFile = 0, bBad = 0;
  u64 nByte = 0;
  walk(zDir, 0, &nFile, &nByte, &bBad);
  CHECKF("diskcache: eviction keeps the size bound", bOk && nByte <= nMax && nFile >= 4,
         "ok %d files %d bytes %llu bound %llu", bOk, nFile, (unsigned long long)nByte,
         (unsigned long long)nMax);
  /* The last parts read are the ones kept (least recently used go). */
  u64 nGet0 = m->base.stats.nGet;
  bOk = readOk(s, zKey, 2, 64 * PART, 63 * PART, PART);
  CHECK("diskcache: the most recently used part is kept", bOk && m->base.stats.nGet == nGet0);
  sdbStoreFree(s);
}

/* Readers in several processes and threads, all cold on one directory:
** every read is right (no torn part is ever returned). */
typedef struct ThreadArg { MemStore *m; const char *zDir; int bOk; } ThreadArg;

static void *readerThread(void *pArg) {
  ThreadArg *t = pArg;
  SdbStore *s = wrap(t->m, t->zDir, 0);
  t->bOk = s != NULL;
  for (int r = 0; t->bOk && r < 20; r++) {
    t->bOk = readOk(s, KEY_A, 1, NA, (u64)(r * 457) % NA, 3000) &&
             readOk(s, KEY_A, 1, NA, 0, SDB_TO_END);
  }
  sdbStoreFree(s);
  return NULL;
}

static void testConcurrent(MemStore *m, const char *zDir) {
  int bChildOk = 1;
  for (int round = 0; round < 5; round++) {
    rmrf(zDir);
    pid_t aPid[3];
    for (int i = 0; i < 3; i++) {
      aPid[i] = fork();
      if (aPid[i] == 0) {
        ThreadArg t = {m, zDir, 0};
        readerThread(&t);
        _exit(t.bOk ? 0 : 1);
      }
    }
    ThreadArg aT[3];
    pthread_t aTh[3];
    for (int i = 0; i < 3; i++) {
      aT[i] = (ThreadArg){m, zDir, 0};
      pthread_create(&aTh[i], NULL, readerThread, &aT[i]);
    }
    for (int i = 0; i < 3; i++) {
      pthread_join(aTh[i], NULL);
      bChildOk = bChildOk && aT[i].bOk;
    }
    for (int i = 0; i < 3; i++) {
      int st = 1;
      waitpid(aPid[i], &st, 0);
      bChildOk = bChildOk && WIFEXITED(st) && WEXITSTATUS(st) == 0;
    }
  }
  int nFile = 0, bBad = 0;
  u64 nByte = 0;
  walk(zDir, 0, &nFile, &nByte, &bBad);
  CHECKF("diskcache: concurrent processes and threads read right", bChildOk && !bBad &&
         nFile == 11, "ok %d bad %d files %d", bChildOk, bBad, nFile);
}

/* Keys with odd characters stay inside the directory; manifests, the
** compactions file and WAL SSTs are never cached; a delete drops the parts. */
static void testKeys(MemStore *m, const char *zDir) {
  rmrf(zDir);
  static const char *azOdd[] = {
    "compacted/../../../escape.sst", "compacted/.hidden/.. /x%2F y\n.sst",
    "compacted/\xc3\xa9t\xc3\xa9/%00/?#.sst", "compacted/01J00000000000000000000001.sst",
  };
  memClear(m);
  char zLong[400];
  memset(zLong, 'x', sizeof(zLong));
  memcpy(zLong, "compacted/", 10);
  memcpy(zLong + sizeof(zLong) - 5, ".sst", 5);
  for (int i = 0; i < 4; i++) memAdd(m, azOdd[i], 10 + i, 3000);
  memAdd(m, zLong, 14, 3000);
  memAdd(m, "manifest/00000000000000000001.manifest", 15, 3000);
  memAdd(m, "compactions/00000000000000000001.compactions", 16, 3000);
  memAdd(m, "wal/00000000000000000001.sst", 17, 3000);
  SdbStore *s = wrap(m, zDir, 0);
  int bOk = s != NULL;
  for (int r = 0; r < 2; r++) {
    for (int i = 0; bOk && i < 4; i++) bOk = readOk(s, azOdd[i], 10 + i, 3000, 0, SDB_TO_END);
    bOk = bOk && readOk(s, zLong, 14, 3000, 100, 2000);
  }
  u64 nGet0 = m->base.stats.nGet;
  bOk = bOk && readOk(s, "manifest/00000000000000000001.manifest", 15, 3000, 0, SDB_TO_END);
  bOk = bOk && readOk(s, "compactions/00000000000000000001.compactions", 16, 3000, 0, 100);
  bOk = bOk && readOk(s, "manifest/00000000000000000001.manifest", 15, 3000, 0, SDB_TO_END);
  bOk = bOk && readOk(s, "wal/00000000000000000001.sst", 17, 3000, 0, SDB_TO_END);
  bOk = bOk && readOk(s, "wal/00000000000000000001.sst", 17, 3000, 0, SDB_TO_END);
  int nFile = 0, bBad = 0;
  u64 nByte = 0;
  walk(zDir, 0, &nFile, &nByte, &bBad);
  CHECKF("diskcache: odd keys are cached inside the directory", bOk && !bBad && nFile == 4 * 4 + 3,
         "ok %d bad %d files %d", bOk, bBad, nFile);
  CHECK("diskcache: manifests, compactions and WAL SSTs are never cached",
        bOk && m->base.stats.nGet == nGet0 + 5);
  struct stat st;
  char zEscape[300];
  snprintf(zEscape, sizeof(zEscape), "%s/../escape.sst", zDir);
  CHECK("diskcache: nothing is written outside the directory", stat(zEscape, &st) != 0);
  SdbErr err = {0};
  int rc = s ? s->pMethods->xDelete(s, azOdd[0], &err) : 1;
  nFile = 0;
  walk(zDir, 0, &nFile, &nByte, &bBad);
  CHECK("diskcache: a delete drops the object's parts", rc == SDB_OK && nFile == 3 * 4 + 3);
  nGet0 = m->base.stats.nGet;
  SdbBuf b = {0};
  rc = s ? s->pMethods->xGet(s, azOdd[0], 0, 100, &b, &err) : 1;
  CHECK("diskcache: a deleted object is not found", rc == SDB_NOTFOUND && m->base.stats.nGet == nGet0 + 1);
  sdbBufFree(&b);
  sdbStoreFree(s);
}

/* A batch mixing cached, missing, uncacheable and absent objects. */
static void testBatch(MemStore *m, const char *zDir) {
  rmrf(zDir);
  memClear(m);
  memAdd(m, KEY_A, 1, NA);
  memAdd(m, "compacted/01J00000000000000000000002.sst", 3, 5000);
  memAdd(m, "manifest/00000000000000000002.manifest", 4, 700);
  SdbStore *s = wrap(m, zDir, 0);
  int bOk = s && readOk(s, KEY_A, 1, NA, 0, 4000);            /* parts 0..3 cached */
  SdbGetReq a[4];
  memset(a, 0, sizeof(a));
  a[0] = (SdbGetReq){KEY_A, 2000, 6000, {0}, -1, NULL};
  a[1] = (SdbGetReq){"compacted/01J00000000000000000000002.sst", 0, SDB_TO_END, {0}, -1, NULL};
  a[2] = (SdbGetReq){"manifest/00000000000000000002.manifest", 10, 100, {0}, -1, NULL};
  a[3] = (SdbGetReq){"compacted/01J0000000000000000000NONE.sst", 0, 100, {0}, -1, NULL};
  SdbErr err = {0};
  int rc = s ? sdbStoreGetMany(s, a, 4, &err) : 1;
  int bData = rc == SDB_OK && a[0].rc == 0 && a[1].rc == 0 && a[2].rc == 0 &&
              a[3].rc == SDB_NOTFOUND && a[0].out.n == 6000 && a[1].out.n == 5000 &&
              a[2].out.n == 100;
  for (u64 i = 0; bData && i < 6000; i++) bData = a[0].out.a[i] == pat(1, 2000 + i);
  for (u64 i = 0; bData && i < 5000; i++) bData = a[1].out.a[i] == pat(3, i);
  for (u64 i = 0; bData && i < 100; i++) bData = a[2].out.a[i] == pat(4, 10 + i);
  CHECKF("diskcache: a batch reads right", bOk && bData, "rc %d: %s", rc, err.zMsg);
  for (int i = 0; i < 4; i++) sdbBufFree(&a[i].out);
  u64 nGet0 = m->base.stats.nGet;
  bOk = readOk(s, KEY_A, 1, NA, 0, 8000) &&
        readOk(s, "compacted/01J00000000000000000000002.sst", 3, 5000, 0, SDB_TO_END);
  CHECK("diskcache: a batch's parts are cached", bOk && m->base.stats.nGet == nGet0);
  /* Two requests of a batch needing one missing part fetch it once. */
  memAdd(m, "compacted/01J00000000000000000000003.sst", 5, 4 * PART);
  memset(a, 0, sizeof(a));
  a[0] = (SdbGetReq){"compacted/01J00000000000000000000003.sst", 0, 1500, {0}, -1, NULL};
  a[1] = (SdbGetReq){"compacted/01J00000000000000000000003.sst", 1000, 2000, {0}, -1, NULL};
  u64 nIn0 = m->base.stats.nBytesIn;
  rc = s ? sdbStoreGetMany(s, a, 2, &err) : 1;
  bData = rc == SDB_OK && a[0].out.n == 1500 && a[1].out.n == 2000;
  for (u64 i = 0; bData && i < 1500; i++) bData = a[0].out.a[i] == pat(5, i);
  for (u64 i = 0; bData && i < 2000; i++) bData = a[1].out.a[i] == pat(5, 1000 + i);
  CHECKF("diskcache: a batch fetches a part two requests need once", bData &&
         m->base.stats.nBytesIn - nIn0 == 3 * PART, "rc %d bytes %llu", rc,
         (unsigned long long)(m->base.stats.nBytesIn - nIn0));
  for (int i = 0; i < 2; i++) sdbBufFree(&a[i].out);
  sdbStoreFree(s);
}

/* ------------------------------------------------------------ a database */

#include "slatedb.h"

/* Full scan of the database at zDb as a reader with a disk cache in zDir:
** rows counted into *pnRow, stats into *pSt. */
static int scanDb(const char *zDb, const char *zDir, int *pnRow, SdbStats *pSt) {
  SdbConfig cfg;
  memset(&cfg, 0, sizeof(cfg));
  cfg.zUrl = zDb;
  cfg.bReadOnly = 1;
  cfg.zDiskCache = zDir;
  SdbDb *db = NULL;
  SdbIter *it = NULL;
  SdbErr err = {0};
  SdbRange r;
  memset(&r, 0, sizeof(r));
  int rc = sdb_db_open(&cfg, &db, &err);
  if (rc == SDB_OK) rc = sdb_db_scan(db, &r, 0, &it, &err);
  *pnRow = 0;
  while (rc == SDB_OK && !it->bEof) {
    (*pnRow)++;
    rc = sdb_iter_next(it, &err);
  }
  if (rc) printf("# scan: %s\n", err.zMsg);
  sdb_iter_free(it);
  if (db) sdb_db_stats(db, pSt);
  sdb_db_close(db);
  return rc;
}

static void testDb(const char *zDir) {
  char zDb[300];
  snprintf(zDb, sizeof(zDb), "%s/db", zTmp);
  SdbConfig cfg;
  memset(&cfg, 0, sizeof(cfg));
  cfg.zUrl = zDb;
  cfg.bCreateIfMissing = 1;
  cfg.bNoCompactor = cfg.bNoGc = 1;
  cfg.l0SstSizeBytes = 64 * 1024;
  cfg.zDiskCache = zDir;
  SdbDb *db = NULL;
  SdbErr err = {0};
  int rc = sdb_db_open(&cfg, &db, &err);
  SdbBatch *b = sdb_batch_new();
  char zKey[32], zVal[200];
  memset(zVal, 'v', sizeof(zVal));
  for (int i = 0; rc == SDB_OK && i < 3000; i++) {
    snprintf(zKey, sizeof(zKey), "key%06d", i);
    rc = sdb_batch_put(b, (const u8 *)zKey, strlen(zKey), (const u8 *)zVal, sizeof(zVal), 0, &err);
    if (rc == SDB_OK && i % 500 == 499) {
      rc = sdb_db_write(db, b, 1, &err);
      sdb_batch_clear(b);
    }
  }
  sdb_batch_free(b);
  sdb_db_close(db);
  if (rc) printf("# write: %s\n", err.zMsg);
  int n1 = 0, n2 = 0;
  SdbStats s1, s2;
  memset(&s1, 0, sizeof(s1));
  memset(&s2, 0, sizeof(s2));
  rmrf(zDir);
  int rc1 = scanDb(zDb, zDir, &n1, &s1);
  int rc2 = scanDb(zDb, zDir, &n2, &s2);
  printf("# db: first scan %llu bytes in (%llu disk misses), second %llu bytes in, %llu bytes"
         " from disk\n", (unsigned long long)s1.nBytesIn, (unsigned long long)s1.nDiskMiss,
         (unsigned long long)s2.nBytesIn, (unsigned long long)s2.nDiskBytes);
  CHECKF("diskcache: a database's second reader scans from disk", rc == 0 && rc1 == 0 &&
         rc2 == 0 && n1 == 3000 && n2 == 3000 && s1.nDiskMiss > 0 && s2.nDiskHit > 0 &&
         s2.nDiskMiss == 0 && s2.nBytesIn * 10 < s1.nBytesIn,
         "rc %d/%d/%d rows %d/%d in %llu/%llu", rc, rc1, rc2, n1, n2,
         (unsigned long long)s1.nBytesIn, (unsigned long long)s2.nBytesIn);
}

/* GC's sweep of temp files reaches a local store through the cache. */
static void testSweep(const char *zDir) {
  char zDb[300], zFile[400];
  snprintf(zDb, sizeof(zDb), "%s/sweepdb", zTmp);
  SdbStore *s = NULL;
  SdbErr err = {0};
  int rc = sdbStoreOpenDir(zDb, 0, 0, &s, &err);
  if (rc == SDB_OK) rc = s->pMethods->xPut(s, "wal/00000000000000000001.sst", (const u8 *)"x", 1, 0, &err);
  snprintf(zFile, sizeof(zFile), "%s/wal/.tmp-1-2-3", zDb);
  FILE *f = fopen(zFile, "w");
  if (f) fclose(f);
  if (rc == SDB_OK) rc = sdbStoreWrapDiskCache(&s, zDir, 0, PART, &err);
  int n = 0;
  if (rc == SDB_OK) rc = sdbStoreSweepTemp(s, "wal/", 0, sdbNowMs() + 1000, &n, &err);
  CHECKF("diskcache: the temp-file sweep reaches the local store it wraps", rc == SDB_OK && n == 1,
         "rc %d n %d: %s", rc, n, err.zMsg);
  sdbStoreFree(s);
}


/* Symlinks planted in DIR never lead the cache outside it: a symlink named
** like another store's folder is not followed by eviction (the files it
** points to stay), and a symlink in place of this store's own folder, or a
** folder others may write, is refused at open. */
static void testSymlinks(MemStore *m, const char *zDir) {
  char zVictim[400], zLink[400], zF[500];
  rmrf(zDir);
  mkdir(zDir, 0755);
  snprintf(zVictim, sizeof(zVictim), "%s/victim", zTmp);
  rmrf(zVictim);
  mkdir(zVictim, 0755);
  for (int i = 0; i < 5; i++) {
    snprintf(zF, sizeof(zF), "%s/precious%d", zVictim, i);
    FILE *f = fopen(zF, "w");
    if (f) { fputs("precious data precious data precious data\n", f); fclose(f); }
    struct timespec ts[2] = {{1000, 0}, {1000, 0}};   /* old: first in line for eviction */
    utimensat(AT_FDCWD, zF, ts, 0);
  }
  snprintf(zLink, sizeof(zLink), "%s/0123456789abcdef", zDir);
  int bLink = symlink(zVictim, zLink) == 0;
  const char *zKey = "compacted/01J000000000000000000000BIG.sst";
  memAdd(m, zKey, 2, 64 * PART);
  SdbStore *s = wrap(m, zDir, 8 * PART);
  int bOk = s != NULL;
  for (int i = 0; bOk && i < 20; i++) bOk = readOk(s, zKey, 2, 64 * PART, (u64)i * PART, PART);
  int nLeft = 0;
  for (int i = 0; i < 5; i++) {
    snprintf(zF, sizeof(zF), "%s/precious%d", zVictim, i);
    nLeft += access(zF, F_OK) == 0;
  }
  CHECKF("diskcache: eviction never follows a symlink in DIR", bLink && bOk && nLeft == 5,
         "link %d ok %d, %d of 5 files outside DIR left", bLink, bOk, nLeft);
  if (s) sdbStoreFree(s);
  /* This store's own folder replaced by a symlink: refused. */
  rmrf(zDir);
  mkdir(zDir, 0755);
  s = wrap(m, zDir, 0);
  char zOwn[400] = "";
  DIR *d = opendir(zDir);
  struct dirent *e;
  while (d && (e = readdir(d)) != NULL) {
    if (e->d_name[0] != '.') snprintf(zOwn, sizeof(zOwn), "%s/%s", zDir, e->d_name);
  }
  if (d) closedir(d);
  if (s) sdbStoreFree(s);
  rmrf(zOwn);
  int bLink2 = zOwn[0] && symlink(zVictim, zOwn) == 0;
  SdbStore *s2 = &m->base;
  SdbErr err = {0};
  int rc = sdbStoreWrapDiskCache(&s2, zDir, 0, PART, &err);
  CHECKF("diskcache: a symlink in place of the store's own folder is refused", bLink2 &&
         rc == SDB_CANTOPEN && s2 == &m->base, "link %d rc %d: %s", bLink2, rc, err.zMsg);
  if (rc == SDB_OK) sdbStoreFree(s2);
  /* A store folder others may write: refused. */
  unlink(zOwn);
  mkdir(zOwn, 0755);
  chmod(zOwn, 0777);
  s2 = &m->base;
  rc = sdbStoreWrapDiskCache(&s2, zDir, 0, PART, &err);
  CHECKF("diskcache: a store folder others may write is refused", rc == SDB_PERM &&
         s2 == &m->base, "rc %d: %s", rc, err.zMsg);
  if (rc == SDB_OK) sdbStoreFree(s2);
  rmrf(zVictim);
  rmrf(zDir);
}

int main(void) {
  snprintf(zTmp, sizeof(zTmp), "/tmp/t_diskcache.%d", (int)getpid());
  mkdir(zTmp, 0755);
  char zDir[300];
  snprintf(zDir, sizeof(zDir), "%s/cache", zTmp);
  MemStore m;
  memInit(&m);
  memAdd(&m, KEY_A, 1, NA);
  testReuse(&m, zDir);
  testPartial(&m, zDir);
  testCorrupt(&m, zDir);
  testEvict(&m, zDir);
  testConcurrent(&m, zDir);
  testKeys(&m, zDir);
  testBatch(&m, zDir);
  testSymlinks(&m, zDir);
  memClear(&m);
  testDb(zDir);
  testSweep(zDir);
  SdbErr err = {0};
  char zFile[300];
  snprintf(zFile, sizeof(zFile), "%s/afile", zTmp);
  FILE *f = fopen(zFile, "w");
  if (f) fclose(f);
  SdbStore *s = &m.base;
  int rc = sdbStoreWrapDiskCache(&s, zFile, 0, 0, &err);
  CHECKF("diskcache: a directory that cannot be made is an error naming it",
         rc == SDB_CANTOPEN && s == &m.base && strstr(err.zMsg, "afile"), "rc %d: %s", rc, err.zMsg);
  rmrf(zTmp);
  return test_done();
}
