/*
** t_objstore.c: the local-directory object store: put/get ranges, create-only
** puts, listing order and prefixes, deletes, unsafe keys, read-only stores,
** file:// URLs, and the descriptor cache for ".sst" reads (hits, eviction,
** invalidation by DELETE and PUT, bounded open descriptors, concurrent readers).
*/
#include <dirent.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"
#include "store/objstore.h"

static char zRoot[256];

static int put(SdbStore *s, const char *zKey, const char *zVal, int bIfAbsent, SdbErr *pErr) {
  return s->pMethods->xPut(s, zKey, (const u8 *)zVal, strlen(zVal), bIfAbsent, pErr);
}

/* ------------------------------------------------------------ fd cache */

#define FD_OBJ_SIZE 3000      /* bytes in each test object */

/* Byte iOff of test object iObj, version iVer. */
static u8 fdPattern(int iObj, int iVer, u64 iOff) {
  return (u8)(iObj * 31 + iVer * 101 + iOff * 7 + (iOff >> 8));
}

/* Key of test object iObj, in "compacted/" as SSTs are. zOut has 64 bytes. */
static void fdKey(char *zOut, int iObj) {
  snprintf(zOut, 64, "compacted/01M90VQ0SHYKWVF1J5A25R%04d.sst", iObj);
}

/* Store FD_OBJ_SIZE bytes of version iVer of object iObj. */
static int fdPut(SdbStore *s, int iObj, int iVer, SdbErr *pErr) {
  u8 a[FD_OBJ_SIZE];
  char zKey[64];
  for (int i = 0; i < FD_OBJ_SIZE; i++) a[i] = fdPattern(iObj, iVer, (u64)i);
  fdKey(zKey, iObj);
  return s->pMethods->xPut(s, zKey, a, sizeof(a), 0, pErr);
}

/* Read [iOff, iOff+nLen) of object iObj; 1 if it matches version iVer
** (clipped at FD_OBJ_SIZE), else 0. *pRc gets xGet's rc. */
static int fdReadOk(SdbStore *s, int iObj, int iVer, u64 iOff, u64 nLen, SdbBuf *pB, int *pRc) {
  char zKey[64];
  SdbErr err = {0};
  fdKey(zKey, iObj);
  *pRc = s->pMethods->xGet(s, zKey, iOff, nLen, pB, &err);
  if (*pRc) return 0;
  u64 nWant = iOff >= FD_OBJ_SIZE ? 0 : SDB_MIN(nLen, FD_OBJ_SIZE - iOff);
  if (pB->n != nWant) return 0;
  for (u64 i = 0; i < nWant; i++) {
    if (pB->a[i] != fdPattern(iObj, iVer, iOff + i)) return 0;
  }
  return 1;
}

/* Number of open descriptors of this process (entries of /proc/self/fd), or
** -1 if /proc is not available. */
static int fdCount(void) {
  DIR *d = opendir("/proc/self/fd");
  int n = 0;
  if (!d) return -1;
  for (struct dirent *e; (e = readdir(d)) != NULL;) {
    if (e->d_name[0] != '.') n++;
  }
  closedir(d);
  return n;
}

/* (1) Many ranged reads of one .sst object, then DELETE: NOTFOUND. */
static void testFdRepeat(SdbStore *s) {
  SdbBuf b = {0};
  SdbErr err = {0};
  int rc, nBad = 0;
  CHECK("fdcache: put", fdPut(s, 0, 0, &err) == SDB_OK);
  u64 nGet0 = s->stats.nGet, nIn0 = s->stats.nBytesIn, nWant = 0;
  for (int i = 0; i < 2000; i++) {
    u64 iOff = (u64)(i * 37) % FD_OBJ_SIZE, nLen = 1 + (u64)(i * 13) % 200;
    if (!fdReadOk(s, 0, 0, iOff, nLen, &b, &rc)) nBad++;
    nWant += SDB_MIN(nLen, FD_OBJ_SIZE - iOff);
  }
  CHECKF("fdcache: 2000 ranged reads of one object are correct", nBad == 0, "%d bad", nBad);
  CHECKF("fdcache: counters count every cached read",
         s->stats.nGet - nGet0 == 2000 && s->stats.nBytesIn - nIn0 == nWant,
         "nGet+%llu nBytesIn+%llu want %llu", (unsigned long long)(s->stats.nGet - nGet0),
         (unsigned long long)(s->stats.nBytesIn - nIn0), (unsigned long long)nWant);
  char zKey[64];
  fdKey(zKey, 0);
  CHECK("fdcache: delete", s->pMethods->xDelete(s, zKey, &err) == SDB_OK);
  fdReadOk(s, 0, 0, 0, SDB_TO_END, &b, &rc);
  CHECKF("fdcache: read after delete is SDB_NOTFOUND", rc == SDB_NOTFOUND, "rc=%d", rc);
  fdReadOk(s, 0, 0, 10, 10, &b, &rc);
  CHECKF("fdcache: failed open is not cached", rc == SDB_NOTFOUND, "rc=%d", rc);
  sdbBufFree(&b);
}

/* (2) More objects than cache slots, read round robin (eviction). */
static void testFdEvict(SdbStore *s) {
  SdbBuf b = {0};
  SdbErr err = {0};
  int rc, nBad = 0, nPutBad = 0;
  for (int i = 1; i <= 40; i++) nPutBad += fdPut(s, i, 0, &err) != SDB_OK;
  CHECK("fdcache: put 40 objects", nPutBad == 0);
  for (int r = 0; r < 10; r++) {
    for (int i = 1; i <= 40; i++) {
      u64 iOff = (u64)(r * 211 + i * 17) % FD_OBJ_SIZE;
      if (!fdReadOk(s, i, 0, iOff, 300, &b, &rc)) nBad++;
    }
  }
  CHECKF("fdcache: round robin over 40 objects is correct", nBad == 0, "%d bad", nBad);
  sdbBufFree(&b);
}

/* (3) Reads past the end are clipped, cached or not. */
static void testFdPastEnd(SdbStore *s) {
  SdbBuf b = {0};
  int rc, nBad = 0;
  for (int k = 0; k < 2; k++) {   /* k == 0 may open the file, k == 1 hits the cache */
    if (!fdReadOk(s, 5, 0, FD_OBJ_SIZE - 10, 100, &b, &rc) || b.n != 10) nBad++;
    if (!fdReadOk(s, 5, 0, FD_OBJ_SIZE - 1, SDB_TO_END, &b, &rc) || b.n != 1) nBad++;
    if (!fdReadOk(s, 5, 0, FD_OBJ_SIZE, 5, &b, &rc) || b.n != 0) nBad++;
    if (!fdReadOk(s, 5, 0, FD_OBJ_SIZE + 1000, 5, &b, &rc) || b.n != 0) nBad++;
    if (!fdReadOk(s, 5, 0, 0, SDB_TO_END, &b, &rc) || b.n != FD_OBJ_SIZE) nBad++;
  }
  CHECKF("fdcache: reads past the end return the tail", nBad == 0, "%d bad", nBad);
  sdbBufFree(&b);
}

/* (4) DELETE then PUT of a cached key, and a plain overwriting PUT: reads
** see the new bytes. */
static void testFdReput(SdbStore *s) {
  SdbBuf b = {0};
  SdbErr err = {0};
  char zKey[64];
  int rc;
  fdKey(zKey, 7);
  CHECK("fdcache: cached before re-put", fdReadOk(s, 7, 0, 0, 64, &b, &rc));
  s->pMethods->xDelete(s, zKey, &err);
  CHECK("fdcache: re-put after delete", fdPut(s, 7, 1, &err) == SDB_OK);
  CHECK("fdcache: read after re-put sees the new bytes",
        fdReadOk(s, 7, 1, 0, SDB_TO_END, &b, &rc) && fdReadOk(s, 7, 1, 100, 50, &b, &rc));
  CHECK("fdcache: overwriting put", fdPut(s, 7, 2, &err) == SDB_OK);
  CHECK("fdcache: read after overwriting put sees the new bytes",
        fdReadOk(s, 7, 2, 0, SDB_TO_END, &b, &rc));
  const char *zShort = "short";
  CHECK("fdcache: overwrite with a shorter object",
        s->pMethods->xPut(s, zKey, (const u8 *)zShort, 5, 0, &err) == SDB_OK &&
        s->pMethods->xGet(s, zKey, 0, SDB_TO_END, &b, &err) == SDB_OK && b.n == 5 &&
        memcmp(b.a, "short", 5) == 0);
  /* A miss first (NOTFOUND), then a create-only put of the same key. */
  fdKey(zKey, 99);
  fdReadOk(s, 99, 0, 0, 10, &b, &rc);
  CHECK("fdcache: create-only put after a failed read",
        rc == SDB_NOTFOUND && fdPut(s, 99, 0, &err) == SDB_OK && fdReadOk(s, 99, 0, 0, 10, &b, &rc));
  s->pMethods->xDelete(s, zKey, &err);
  sdbBufFree(&b);
}

/* Open descriptors stay bounded: reading 100 distinct objects grows
** /proc/self/fd by at most 32, and freeing the store closes them all. */
static void testFdBounded(const char *zDir) {
  SdbStore *s = NULL;
  SdbErr err = {0};
  SdbBuf b = {0};
  int rc, nBad = 0, nPutBad = 0;
  if (sdbStoreOpenDir(zDir, 0, 0, &s, &err) != SDB_OK) {
    CHECKF("fdcache: open second store", 0, "%s", err.zMsg);
    return;
  }
  for (int i = 100; i < 200; i++) nPutBad += fdPut(s, i, 0, &err) != SDB_OK;
  CHECK("fdcache: put 100 objects", nPutBad == 0);
  int nBefore = fdCount();
  for (int i = 100; i < 200; i++) {
    if (!fdReadOk(s, i, 0, (u64)i, 500, &b, &rc)) nBad++;
  }
  int nAfter = fdCount();
  CHECKF("fdcache: 100 distinct objects read correctly", nBad == 0, "%d bad", nBad);
  CHECKF("fdcache: open descriptors grow by at most 32",
         nBefore >= 0 && nAfter - nBefore <= 32, "before %d after %d", nBefore, nAfter);
  sdbStoreFree(s);
  int nFreed = fdCount();
  CHECKF("fdcache: freeing the store closes its descriptors", nFreed <= nBefore,
         "before %d after free %d", nBefore, nFreed);
  sdbBufFree(&b);
}

/* Concurrent readers while the main thread deletes and re-puts objects with
** the same bytes: every read is either correct or SDB_NOTFOUND. */
typedef struct FdThread {
  SdbStore *s;
  int iSeed;
  int nBad;               /* wrong bytes or unexpected errors */
} FdThread;

static void *fdReader(void *pArg) {
  FdThread *t = pArg;
  SdbBuf b = {0};
  int rc;
  for (int i = 0; i < 3000; i++) {
    int iObj = 1 + (t->iSeed * 7 + i) % 40;
    if (iObj == 7) continue;   /* holds other bytes since testFdReput */
    if (!fdReadOk(t->s, iObj, 0, (u64)(i * 53) % FD_OBJ_SIZE, 400, &b, &rc) && rc != SDB_NOTFOUND) {
      t->nBad++;
    }
  }
  sdbBufFree(&b);
  return NULL;
}

static void testFdThreads(SdbStore *s) {
  FdThread a[4];
  pthread_t aTid[4];
  SdbErr err = {0};
  int nStarted = 0;
  for (int i = 0; i < 4; i++) {
    a[i].s = s;
    a[i].iSeed = i;
    a[i].nBad = 0;
    if (pthread_create(&aTid[i], NULL, fdReader, &a[i]) == 0) nStarted++;
  }
  for (int i = 0; i < 200; i++) {
    char zKey[64];
    int iObj = 1 + (i * 11) % 40;
    fdKey(zKey, iObj);
    if (iObj == 7) continue;   /* holds other bytes since testFdReput */
    s->pMethods->xDelete(s, zKey, &err);
    fdPut(s, iObj, 0, &err);
  }
  int nBad = 0;
  for (int i = 0; i < nStarted; i++) {
    pthread_join(aTid[i], NULL);
    nBad += a[i].nBad;
  }
  CHECKF("fdcache: concurrent readers with deletes and puts", nStarted == 4 && nBad == 0,
         "%d threads, %d bad", nStarted, nBad);
}

static void testFdCache(void) {
  char zDir[300];
  SdbStore *s = NULL;
  SdbErr err = {0};
  snprintf(zDir, sizeof(zDir), "%s/fdcache", zRoot);
  if (sdbStoreOpenDir(zDir, 0, 0, &s, &err) != SDB_OK) {
    CHECKF("fdcache: open", 0, "%s", err.zMsg);
    return;
  }
  testFdRepeat(s);
  testFdEvict(s);
  testFdPastEnd(s);
  testFdReput(s);
  testFdThreads(s);
  sdbStoreFree(s);
  snprintf(zDir, sizeof(zDir), "%s/fdbound", zRoot);
  testFdBounded(zDir);
}

int main(void) {
  SdbStore *s = NULL;
  SdbErr err = {0};
  SdbBuf b = {0};
  snprintf(zRoot, sizeof(zRoot), "%s/sdb-objstore-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
  CHECK("objstore: temp dir", mkdtemp(zRoot) != NULL);
  CHECK("objstore: open", sdbStoreOpenDir(zRoot, 1, 0, &s, &err) == SDB_OK);

  CHECK("objstore: put", put(s, "wal/00000000000000000001.sst", "hello world", 0, &err) == SDB_OK);
  CHECK("objstore: create-only on new key", put(s, "manifest/00000000000000000001.manifest", "m1", 1, &err) == SDB_OK);
  int rc = put(s, "manifest/00000000000000000001.manifest", "m1-again", 1, &err);
  CHECKF("objstore: create-only on existing key is SDB_EXISTS", rc == SDB_EXISTS, "rc=%d", rc);
  CHECK("objstore: existing object unchanged",
        s->pMethods->xGet(s, "manifest/00000000000000000001.manifest", 0, SDB_TO_END, &b, &err) == SDB_OK &&
        b.n == 2 && memcmp(b.a, "m1", 2) == 0);
  CHECK("objstore: range get",
        s->pMethods->xGet(s, "wal/00000000000000000001.sst", 6, 5, &b, &err) == SDB_OK && b.n == 5 &&
        memcmp(b.a, "world", 5) == 0);
  CHECK("objstore: range past the end is clipped",
        s->pMethods->xGet(s, "wal/00000000000000000001.sst", 8, 100, &b, &err) == SDB_OK && b.n == 3);
  rc = s->pMethods->xGet(s, "wal/00000000000000000009.sst", 0, SDB_TO_END, &b, &err);
  CHECKF("objstore: missing object is SDB_NOTFOUND", rc == SDB_NOTFOUND, "rc=%d", rc);
  u64 size = 0;
  CHECK("objstore: head", s->pMethods->xHead(s, "wal/00000000000000000001.sst", &size, &err) == SDB_OK && size == 11);

  put(s, "wal/00000000000000000003.sst", "c", 0, &err);
  put(s, "wal/00000000000000000002.sst", "b", 0, &err);
  put(s, "walrus/x", "x", 0, &err);
  SdbObjList l = {0};
  CHECK("objstore: list", s->pMethods->xList(s, "wal/", &l, &err) == SDB_OK);
  CHECKF("objstore: list is sorted and prefix-exact",
         l.n == 3 && strcmp(l.a[0].zKey, "wal/00000000000000000001.sst") == 0 &&
         strcmp(l.a[2].zKey, "wal/00000000000000000003.sst") == 0 && l.a[2].size == 1,
         "n=%d", l.n);
  CHECK("objstore: list of a missing folder is empty",
        s->pMethods->xList(s, "compacted/", &l, &err) == SDB_OK && l.n == 0);
  CHECK("objstore: delete", s->pMethods->xDelete(s, "wal/00000000000000000002.sst", &err) == SDB_OK);
  CHECK("objstore: delete of a missing object is OK", s->pMethods->xDelete(s, "wal/00000000000000000002.sst", &err) == SDB_OK);
  CHECK("objstore: list after delete", s->pMethods->xList(s, "wal/", &l, &err) == SDB_OK && l.n == 2);

  const char *azBad[] = {"../escape", "wal/../../x", "/abs", "wal//x", ".hidden", "wal/.tmp-1", ""};
  int nBadOk = 0;
  for (int i = 0; i < (int)(sizeof(azBad) / sizeof(azBad[0])); i++) {
    if (put(s, azBad[i], "x", 0, &err) == SDB_MISUSE) nBadOk++;
  }
  CHECKF("objstore: keys that could leave the root are refused", nBadOk == 7, "%d of 7", nBadOk);
  char zOutside[300];
  snprintf(zOutside, sizeof(zOutside), "%s/../escape", zRoot);
  CHECK("objstore: nothing written outside the root", access(zOutside, F_OK) != 0);
  CHECK("objstore: temp files are never listed",
        s->pMethods->xList(s, "", &l, &err) == SDB_OK && l.n == 4);
  CHECK("objstore: request counters", s->stats.nPut >= 5 && s->stats.nGet >= 3 && s->stats.nList >= 3);
  sdbStoreFree(s);

  /* Read-only store. */
  CHECK("objstore: open read-only", sdbStoreOpenDir(zRoot, 1, 1, &s, &err) == SDB_OK);
  rc = put(s, "wal/00000000000000000009.sst", "x", 0, &err);
  CHECKF("objstore: read-only store refuses puts", rc == SDB_READONLY, "rc=%d", rc);
  sdbStoreFree(s);

  /* URLs */
  char zUrl[400];
  snprintf(zUrl, sizeof(zUrl), "file://%s", zRoot);
  CHECK("objstore: file:// URL", sdbStoreOpenUrl(zUrl, 1, 0, NULL, &s, &err) == SDB_OK &&
        s->pMethods->xHead(s, "wal/00000000000000000001.sst", &size, &err) == SDB_OK);
  sdbStoreFree(s);
  s = NULL;
  rc = sdbStoreOpenUrl("gs://bucket/db", 1, 0, NULL, &s, &err);
  CHECKF("objstore: unsupported scheme", rc == SDB_ERROR && strstr(err.zMsg, "\"gs\""), "rc=%d %s", rc, err.zMsg);
  rc = sdbStoreOpenUrl("/nonexistent/sdb/dir", 1, 0, NULL, &s, &err);
  CHECKF("objstore: missing directory for a reader", rc == SDB_CANTOPEN, "rc=%d %s", rc, err.zMsg);
  rc = sdbStoreOpenUrl("file://relative/x", 1, 0, NULL, &s, &err);
  CHECKF("objstore: relative file URL refused", rc == SDB_ERROR, "rc=%d", rc);

  testFdCache();

  sdbObjListFree(&l);
  sdbBufFree(&b);
  char zCmd[400];
  snprintf(zCmd, sizeof(zCmd), "rm -rf '%s'", zRoot);
  if (system(zCmd)) {}
  return test_done();
}
