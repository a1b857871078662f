/*
** t_fs_spare_rev.c: review reproducers for the local store's spare temp file
** (store/fs.c fsSpareMain, commit 127ede6) and the lazy loaders (051f432,
** 72e88c9). Each check states the behaviour the old code had or a fix should
** give; the FAILs are the findings.
**
**   1. fork: a child that uses a store inherited from its parent (the
**      extension's handle registry hands a fresh connection the parent's
**      handle) takes the parent's spare. Both processes then write one
**      open file description (shared offset): the parent's next PUT appends
**      its bytes to the object the child already published, so a create-only
**      object is changed after it was acknowledged. The old code made a
**      fresh temp file per PUT.
**   2. fork: the child inherits bSpThread = 1 but no thread; a spare asked for
**      and not yet made makes the child's next PUT into that folder wait
**      forever (and sdbStoreFree joins a thread the child does not have).
**   3. renameat2 refused with EPERM (a seccomp filter whose default action is
**      EPERM, as container profiles have): the fallback to link() runs only
**      for EINVAL/ENOSYS/ENOTSUP, so every create-only PUT fails where the old
**      code's link() worked.
**   4. the message of a missing libsnappy / libcrypto reads
**      "... need(s) cannot load ...".
*/
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test.h"
#include "store/objstore.h"
#include "store/sigv4.h"
#include "table/compress.h"

static char zRoot[256];

/* dlopen of the three lazily loaded libraries fails when bNoLibs (the
** executable's definition interposes libc's for the statically linked core). */
static int bNoLibs = 0;
void *dlopen(const char *zFile, int flags) {
  static void *(*xReal)(const char *, int);
  if (bNoLibs && zFile &&
      (strstr(zFile, "libsnappy") || strstr(zFile, "libcrypto") || strstr(zFile, "libcurl"))) {
    return NULL;
  }
  if (!xReal) xReal = (void *(*)(const char *, int))dlsym(RTLD_NEXT, "dlopen");
  return xReal(zFile, flags);
}
char *dlerror(void) {
  static char *(*xReal)(void);
  if (bNoLibs) return (char *)"libsnappy.so.1: cannot open shared object file: No such file or directory";
  if (!xReal) xReal = (char *(*)(void))dlsym(RTLD_NEXT, "dlerror");
  return xReal();
}

static int putOnce(SdbStore *s, const char *zKey, const char *zVal, SdbErr *pErr) {
  return s->pMethods->xPut(s, zKey, (const u8 *)zVal, strlen(zVal), 1, pErr);
}

static int countTemps(const char *zDir) {
  char zPath[512];
  snprintf(zPath, sizeof(zPath), "%s/%s", zRoot, zDir);
  DIR *d = opendir(zPath);
  int n = 0;
  struct dirent *e;
  while (d && (e = readdir(d)) != NULL) n += strncmp(e->d_name, ".tmp-", 5) == 0;
  if (d) closedir(d);
  return n;
}

static void settle(const char *zDir) {
  for (int i = 0; i < 2000 && countTemps(zDir) == 0; i++) usleep(1000);
}

/* The bytes of object zKey as a string (static buffer), "" if unreadable;
** read from the file (the store's descriptor cache keeps the size it saw). */
static const char *content(SdbStore *s, const char *zKey) {
  static char z[256];
  char zPath[600];
  unsigned char *a = NULL;
  size_t n = 0;
  (void)s;
  z[0] = 0;
  snprintf(zPath, sizeof(zPath), "%s/%s", zRoot, zKey);
  if (test_read_file(zPath, &a, &n)) snprintf(z, sizeof(z), "%.*s", (int)n, (const char *)a);
  free(a);
  return z;
}

/* 1. A forked child commits through the inherited store; the parent commits
** next. The child's object must keep the child's bytes. */
static void testForkSharedSpare(void) {
  SdbStore *s = NULL;
  SdbErr err = {0};
  CHECK("fork spare: open", sdbStoreOpenDir(zRoot, 1, 0, &s, &err) == SDB_OK);
  putOnce(s, "wal/00000000000000000001.sst", "one", &err);
  putOnce(s, "wal/00000000000000000002.sst", "two", &err);
  settle("wal");
  pid_t pid = fork();
  if (pid == 0) {
    SdbErr e2 = {0};
    int rc = putOnce(s, "wal/00000000000000000003.sst", "child-commit", &e2);
    _exit(rc == SDB_OK ? 0 : 1);   /* (no sdbStoreFree: it would join a thread the child lacks) */
  }
  int st = 0;
  waitpid(pid, &st, 0);
  CHECK("fork spare: the child's create-only PUT succeeded", WIFEXITED(st) && WEXITSTATUS(st) == 0);
  CHECKF("fork spare: the child's object holds its bytes",
         strcmp(content(s, "wal/00000000000000000003.sst"), "child-commit") == 0, "got \"%s\"",
         content(s, "wal/00000000000000000003.sst"));
  int rc = putOnce(s, "wal/00000000000000000004.sst", "PARENT", &err);
  CHECKF("fork spare: the parent's next PUT succeeds", rc == SDB_OK, "rc=%d %s", rc, err.zMsg);
  CHECKF("fork spare: the parent's PUT did not change the child's published object",
         strcmp(content(s, "wal/00000000000000000003.sst"), "child-commit") == 0, "got \"%s\"",
         content(s, "wal/00000000000000000003.sst"));
  sdbStoreFree(s);
}

/* 2. After a fork the child has no spare thread but bSpThread = 1: its first
** create-only PUT takes the inherited spare and asks the missing thread for
** the next one (WANTED, never made); its second PUT into that folder waits
** for it forever (alarm after 3 s). */
static void testForkChildHangs(void) {
  SdbStore *s = NULL;
  SdbErr err = {0};
  CHECK("fork hang: open", sdbStoreOpenDir(zRoot, 1, 0, &s, &err) == SDB_OK);
  putOnce(s, "hang/00000000000000000001.manifest", "1", &err);
  putOnce(s, "hang/00000000000000000002.manifest", "2", &err);
  pid_t pid = fork();
  if (pid == 0) {
    alarm(3);
    SdbErr e2 = {0};
    int rc = putOnce(s, "hang/00000000000000000003.manifest", "3", &e2);
    if (rc == SDB_OK) rc = putOnce(s, "hang/00000000000000000004.manifest", "4", &e2);
    _exit(rc == SDB_OK ? 0 : 1);
  }
  int st = 0;
  waitpid(pid, &st, 0);
  CHECKF("fork hang: a child's second create-only PUT into a folder returns",
         !(WIFSIGNALED(st) && WTERMSIG(st) == SIGALRM), "the child was killed by its 3 s alarm");
  sdbStoreFree(s);
}

/* 3. renameat2 answered EPERM by a seccomp filter, link() allowed: the
** create-only PUT should fall back to link() as it does for EINVAL. */
static void testRenameat2Eperm(void) {
  pid_t pid = fork();
  if (pid == 0) {
    struct sock_filter f[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_renameat2, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA)),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = {(unsigned short)(sizeof(f) / sizeof(f[0])), f};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog)) _exit(3);
    SdbStore *s = NULL;
    SdbErr err = {0};
    if (sdbStoreOpenDir(zRoot, 1, 0, &s, &err) != SDB_OK) _exit(4);
    int rc = putOnce(s, "eperm/00000000000000000001.manifest", "x", &err);
    if (rc) printf("# create-only PUT under the filter: rc=%d %s\n", rc, err.zMsg);
    sdbStoreFree(s);
    _exit(rc == SDB_OK ? 0 : 1);
  }
  int st = 0;
  waitpid(pid, &st, 0);
  CHECKF("eperm: a create-only PUT works where renameat2 is refused with EPERM and link() is allowed",
         WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %d", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

/* 4. The messages of a missing library. */
static void testLoaderMessages(void) {
  bNoLibs = 1;
  SdbBuf out = {0};
  SdbErr err = {0};
  int rc = sdbCompress(SDB_CODEC_SNAPPY, (const u8 *)"abc", 3, &out, &err);
  CHECKF("loader: a missing libsnappy is an error", rc != SDB_OK, "rc=%d", rc);
  CHECKF("loader: its message reads well", strstr(err.zMsg, "need cannot") == NULL && strstr(err.zMsg, "libsnappy"), "\"%s\"", err.zMsg);
  memset(&err, 0, sizeof(err));
  rc = sdbSigv4Load(&err);
  CHECKF("loader: a missing libcrypto is an error", rc != SDB_OK, "rc=%d", rc);
  CHECKF("loader: its message reads well", strstr(err.zMsg, "needs cannot") == NULL, "\"%s\"", err.zMsg);
  sdbBufFree(&out);
  bNoLibs = 0;
}

/* 5. (no bug) No descriptor left: the PUT holding the spare works, the thread
** fails to make the next one without spinning, the PUT after it fails as
** before (EMFILE), and once descriptors are back the spare resumes. */
static double cpuSec(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}
static void testEmfile(void) {
  SdbStore *s = NULL;
  SdbErr err = {0};
  CHECK("emfile: open", sdbStoreOpenDir(zRoot, 1, 0, &s, &err) == SDB_OK);
  putOnce(s, "emf/00000000000000000001.manifest", "1", &err);
  putOnce(s, "emf/00000000000000000002.manifest", "2", &err);
  settle("emf");
  usleep(50000);
  int fd = dup(0);   /* the lowest free descriptor */
  close(fd);
  struct rlimit old, lim;
  getrlimit(RLIMIT_NOFILE, &old);
  lim = old;
  lim.rlim_cur = (rlim_t)fd;
  setrlimit(RLIMIT_NOFILE, &lim);
  int rc1 = putOnce(s, "emf/00000000000000000003.manifest", "3", &err);
  int aFill[8], nFill = 0;   /* take the descriptors that PUT freed (the spare's) */
  while (nFill < 8 && (aFill[nFill] = dup(0)) >= 0) nFill++;
  int rc2 = SDB_OK, iKey = 4;
  double t0 = cpuSec();
  for (; iKey < 8 && rc2 == SDB_OK; iKey++) {   /* a spare made meanwhile serves one more */
    char zKey[64];
    snprintf(zKey, sizeof(zKey), "emf/%020d.manifest", iKey);
    rc2 = putOnce(s, zKey, "n", &err);
  }
  usleep(300000);
  double dt = cpuSec() - t0;
  while (nFill > 0) close(aFill[--nFill]);
  setrlimit(RLIMIT_NOFILE, &old);
  CHECKF("emfile: the PUT that holds the spare needs no descriptor", rc1 == SDB_OK, "rc=%d %s", rc1, err.zMsg);
  CHECKF("emfile: a PUT without a spare fails as before", rc2 == SDB_IOERR, "rc=%d %s", rc2, err.zMsg);
  CHECKF("emfile: no thread spins", dt < 0.1, "cpu %.3f s in 0.3 s", dt);
  int rc3 = putOnce(s, "emf/00000000000000000009.manifest", "9", &err);
  CHECKF("emfile: with descriptors back the PUT works", rc3 == SDB_OK, "rc=%d %s", rc3, err.zMsg);
  CHECK("emfile: and a spare is made again", (settle("emf"), countTemps("emf") == 1));
  sdbStoreFree(s);
  CHECK("emfile: close removes it", countTemps("emf") == 0);
}

/* 6. (no bug) A read-only store refuses the PUT and starts no thread. */
static int nTasks(void) {
  DIR *d = opendir("/proc/self/task");
  int n = 0;
  struct dirent *e;
  while (d && (e = readdir(d)) != NULL) n += e->d_name[0] != '.';
  if (d) closedir(d);
  return n;
}
static void testReadOnly(void) {
  SdbStore *s = NULL;
  SdbErr err = {0};
  int n0 = nTasks();
  CHECK("read-only: open", sdbStoreOpenDir(zRoot, 1, 1, &s, &err) == SDB_OK);
  int rc = putOnce(s, "wal/00000000000000000099.sst", "x", &err);
  CHECKF("read-only: a create-only PUT is refused", rc == SDB_READONLY, "rc=%d", rc);
  usleep(20000);
  CHECKF("read-only: no spare thread", nTasks() == n0, "%d -> %d threads", n0, nTasks());
  CHECK("read-only: no temp file", countTemps("wal") == 0);
  sdbStoreFree(s);
}

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  snprintf(zRoot, sizeof(zRoot), "%s/sdb-fsspare-rev-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
  CHECK("temp dir", mkdtemp(zRoot) != NULL);
  setvbuf(stdout, NULL, _IONBF, 0);
  testForkSharedSpare();
  testForkChildHangs();
  testRenameat2Eperm();
  testLoaderMessages();
  testEmfile();
  testReadOnly();
  char zCmd[300];
  snprintf(zCmd, sizeof(zCmd), "rm -rf '%s'", zRoot);
  if (system(zCmd) != 0) printf("# could not remove %s\n", zRoot);
  return test_done();
}
