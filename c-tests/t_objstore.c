/*
** t_objstore.c: the local-directory object store: put/get ranges, create-only
** puts, listing order and prefixes, deletes, unsafe keys, read-only stores,
** file:// URLs.
*/
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"
#include "objstore.h"

static char zRoot[256];

static int put(SdbStore *s, const char *zKey, const char *zVal, int bIfAbsent, SdbErr *pErr) {
  return s->pMethods->xPut(s, zKey, (const u8 *)zVal, strlen(zVal), bIfAbsent, pErr);
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

  sdbObjListFree(&l);
  sdbBufFree(&b);
  char zCmd[400];
  snprintf(zCmd, sizeof(zCmd), "rm -rf '%s'", zRoot);
  if (system(zCmd)) {}
  return test_done();
}
