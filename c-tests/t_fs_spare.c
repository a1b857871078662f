/*
** t_fs_spare.c: the local store's spare temp file (store/fs.c fsSpareMain):
** the temp file the next create-only PUT into a folder writes, made ahead of
** it. It is never listed, the store's close removes it, a crash leaves it as
** a temp file the sweep deletes, a PUT whose spare was swept under it still
** stores its object, and a PUT that fails (the object exists, a write error)
** leaves no temp file but the next spare.
*/
#include <dirent.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test.h"
#include "store/objstore.h"
#include "util/ids.h"

static char zRoot[256];

static int putOnce(SdbStore *s, const char *zKey, const char *zVal, SdbErr *pErr) {
  return s->pMethods->xPut(s, zKey, (const u8 *)zVal, strlen(zVal), 1, pErr);
}

/* Temp files (".tmp-...") in folder zDir of the root; the last one's path
** into zLast (may be NULL). */
static int countTemps(const char *zDir, char *zLast, size_t nLast) {
  char zPath[512];
  snprintf(zPath, sizeof(zPath), "%s/%s", zRoot, zDir);
  DIR *d = opendir(zPath);
  int n = 0;
  struct dirent *e;
  while (d && (e = readdir(d)) != NULL) {
    if (strncmp(e->d_name, ".tmp-", 5) != 0) continue;
    n++;
    if (zLast) snprintf(zLast, nLast, "%s/%s", zPath, e->d_name);
  }
  if (d) closedir(d);
  return n;
}

/* countTemps once the spare thread made the spare asked for (up to 2 s). */
static int settledTemps(const char *zDir, char *zLast, size_t nLast) {
  for (int i = 0; i < 2000 && countTemps(zDir, NULL, 0) == 0; i++) usleep(1000);
  return countTemps(zDir, zLast, nLast);
}

/* Whether object zKey holds exactly zVal. */
static int holds(SdbStore *s, const char *zKey, const char *zVal) {
  SdbBuf b = {0};
  SdbErr err = {0};
  int ok = s->pMethods->xGet(s, zKey, 0, SDB_TO_END, &b, &err) == SDB_OK && b.n == strlen(zVal) &&
           memcmp(b.a, zVal, b.n) == 0;
  sdbBufFree(&b);
  return ok;
}

/* Two create-only PUTs into wal/: after them a spare waits there. Then it is
** not listed, and closing the store removes it. */
static void testSpareMadeAndRemoved(void) {
  SdbStore *s = NULL;
  SdbErr err = {0};
  SdbObjList l = {0};
  CHECK("spare: open", sdbStoreOpenDir(zRoot, 1, 0, &s, &err) == SDB_OK);
  CHECK("spare: first put", putOnce(s, "wal/00000000000000000001.sst", "one", &err) == SDB_OK);
  CHECK("spare: second put", putOnce(s, "wal/00000000000000000002.sst", "two", &err) == SDB_OK);
  CHECK("spare: the second put used the spare and a new one waits",
        settledTemps("wal", NULL, 0) == 1);
  CHECK("spare: objects hold what was put",
        holds(s, "wal/00000000000000000001.sst", "one") && holds(s, "wal/00000000000000000002.sst", "two"));
  CHECKF("spare: list shows the objects only",
         s->pMethods->xList(s, "wal/", &l, &err) == SDB_OK && l.n == 2, "n=%d", l.n);
  CHECKF("spare: the top listing shows the objects only",
         sdbStoreListTop(s, "wal/", 10, &l, &err) == SDB_OK && l.n == 2, "n=%d", l.n);
  sdbObjListFree(&l);
  sdbStoreFree(s);
  CHECK("spare: closing the store removes the spare", countTemps("wal", NULL, 0) == 0);
}

/* A create-only PUT whose object exists fails with SDB_EXISTS and leaves the
** object and no temp file but the spare; a PUT whose write fails (a file
** size limit) stores nothing and leaves no temp file but the spare; the
** next PUT works. */
static void testSpareFailures(void) {
  SdbStore *s = NULL;
  SdbErr err = {0};
  CHECK("spare fail: open", sdbStoreOpenDir(zRoot, 1, 0, &s, &err) == SDB_OK);
  putOnce(s, "wal/00000000000000000003.sst", "three", &err);
  int rc = putOnce(s, "wal/00000000000000000002.sst", "other", &err);
  CHECKF("spare fail: create-only PUT of an existing object is SDB_EXISTS", rc == SDB_EXISTS, "rc=%d", rc);
  CHECK("spare fail: the existing object is unchanged", holds(s, "wal/00000000000000000002.sst", "two"));
  CHECKF("spare fail: only the next spare is left", settledTemps("wal", NULL, 0) == 1, "temps=%d",
         countTemps("wal", NULL, 0));

  struct rlimit old, lim;
  getrlimit(RLIMIT_FSIZE, &old);
  lim = old;
  lim.rlim_cur = 16;
  signal(SIGXFSZ, SIG_IGN);
  setrlimit(RLIMIT_FSIZE, &lim);
  rc = putOnce(s, "wal/00000000000000000004.sst", "more than sixteen bytes of WAL", &err);
  setrlimit(RLIMIT_FSIZE, &old);
  CHECKF("spare fail: a failed write is an I/O error", rc == SDB_IOERR, "rc=%d %s", rc, err.zMsg);
  u64 size;
  CHECK("spare fail: the failed PUT stored nothing",
        s->pMethods->xHead(s, "wal/00000000000000000004.sst", &size, &err) == SDB_NOTFOUND);
  CHECKF("spare fail: only the next spare is left after a failed write", settledTemps("wal", NULL, 0) == 1,
         "temps=%d", countTemps("wal", NULL, 0));
  CHECK("spare fail: the next PUT works",
        putOnce(s, "wal/00000000000000000004.sst", "four", &err) == SDB_OK &&
        holds(s, "wal/00000000000000000004.sst", "four"));
  sdbStoreFree(s);
  CHECK("spare fail: closing removes the spare", countTemps("wal", NULL, 0) == 0);
}

/* The spare deleted under the store (another process's sweep): the PUT
** that would have used it stores its object all the same. */
static void testSpareSwept(void) {
  SdbStore *s = NULL;
  SdbErr err = {0};
  char zTmp[600];
  int n = 0;
  CHECK("spare swept: open", sdbStoreOpenDir(zRoot, 1, 0, &s, &err) == SDB_OK);
  putOnce(s, "wal/00000000000000000005.sst", "five", &err);
  putOnce(s, "wal/00000000000000000006.sst", "six", &err);
  CHECK("spare swept: a spare waits", settledTemps("wal", zTmp, sizeof(zTmp)) == 1);
  CHECK("spare swept: the sweep deletes it",
        sdbStoreSweepTemp(s, "wal/", 0, sdbNowMs() + 1000, &n, &err) == SDB_OK && n == 1);
  int rc = putOnce(s, "wal/00000000000000000007.sst", "seven", &err);
  CHECKF("spare swept: the PUT succeeds", rc == SDB_OK, "rc=%d %s", rc, err.zMsg);
  CHECK("spare swept: and stored its object", holds(s, "wal/00000000000000000007.sst", "seven"));
  sdbStoreFree(s);
  CHECK("spare swept: nothing left", countTemps("wal", NULL, 0) == 0);
}

/* A process killed with its spare made: the spare stays as a temp file,
** never listed, and the sweep deletes it. */
static void testSpareCrash(void) {
  pid_t pid = fork();
  if (pid == 0) {
    SdbStore *s = NULL;
    SdbErr err = {0};
    if (sdbStoreOpenDir(zRoot, 1, 0, &s, &err) != SDB_OK) _exit(1);
    putOnce(s, "wal/00000000000000000008.sst", "eight", &err);
    putOnce(s, "wal/00000000000000000009.sst", "nine", &err);
    settledTemps("wal", NULL, 0);
    kill(getpid(), SIGKILL);
    _exit(2);
  }
  int st = 0;
  waitpid(pid, &st, 0);
  CHECK("spare crash: the writer was killed", WIFSIGNALED(st));
  CHECK("spare crash: its spare is left", countTemps("wal", NULL, 0) == 1);
  SdbStore *s = NULL;
  SdbErr err = {0};
  SdbObjList l = {0};
  int n = 0;
  CHECK("spare crash: reopen", sdbStoreOpenDir(zRoot, 1, 0, &s, &err) == SDB_OK);
  CHECKF("spare crash: the spare is not listed",
         s->pMethods->xList(s, "wal/", &l, &err) == SDB_OK && l.n == 9, "n=%d", l.n);
  CHECK("spare crash: the sweep deletes it",
        sdbStoreSweepTemp(s, "wal/", 0, sdbNowMs() + 1000, &n, &err) == SDB_OK && n == 1 &&
        countTemps("wal", NULL, 0) == 0);
  sdbObjListFree(&l);
  sdbStoreFree(s);
}

int main(void) {
  snprintf(zRoot, sizeof(zRoot), "%s/sdb-fsspare-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
  CHECK("spare: temp dir", mkdtemp(zRoot) != NULL);
  testSpareMadeAndRemoved();
  testSpareFailures();
  testSpareSwept();
  testSpareCrash();
  char zCmd[300];
  snprintf(zCmd, sizeof(zCmd), "rm -rf '%s'", zRoot);
  if (system(zCmd) != 0) printf("# could not remove %s\n", zRoot);
  return test_done();
}
