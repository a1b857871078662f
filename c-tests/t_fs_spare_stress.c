/*
** t_fs_spare_stress.c: review check (no bug found): threads doing create-only
** and plain PUTs into three folders of one local store at once, so that the
** spare is asked for, replaced, taken and waited for concurrently. Every
** object must hold exactly its own bytes (a spare handed to two PUTs would
** mix them), no temp file may be left after close, and nothing hangs.
*/
#include <dirent.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"
#include "store/objstore.h"

#define N_THREADS 4
#define N_PUTS 150

static char zRoot[256];
static SdbStore *pStore;
static int nBad = 0;

static void *worker(void *pArg) {
  int iT = (int)(long)pArg;
  static const char *const azDir[] = {"wal", "manifest", "compactions"};
  for (int i = 0; i < N_PUTS; i++) {
    char zKey[96], zVal[96];
    const char *zDir = azDir[(i / (1 + iT)) % 3];   /* runs of different lengths per thread */
    snprintf(zKey, sizeof(zKey), "%s/%02d%018d.obj", zDir, iT, i);
    snprintf(zVal, sizeof(zVal), "thread %d put %d into %s", iT, i, zDir);
    SdbErr err = {0};
    int rc = pStore->pMethods->xPut(pStore, zKey, (const u8 *)zVal, strlen(zVal), (i % 5) != 4, &err);
    if (rc) __atomic_add_fetch(&nBad, 1, __ATOMIC_RELAXED);
  }
  return NULL;
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

int main(void) {
  snprintf(zRoot, sizeof(zRoot), "%s/sdb-sparestress-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
  CHECK("temp dir", mkdtemp(zRoot) != NULL);
  for (int iRound = 0; iRound < 3; iRound++) {
    SdbErr err = {0};
    CHECK("open", sdbStoreOpenDir(zRoot, 1, 0, &pStore, &err) == SDB_OK);
    pthread_t a[N_THREADS];
    for (long i = 0; i < N_THREADS; i++) pthread_create(&a[i], NULL, worker, (void *)i);
    for (int i = 0; i < N_THREADS; i++) pthread_join(a[i], NULL);
    sdbStoreFree(pStore);
    CHECK("no temp file left after close",
          countTemps("wal") + countTemps("manifest") + countTemps("compactions") == 0);
    char zCmd[300];
    CHECKF("every PUT succeeded", nBad == 0, "%d failed", nBad);
    /* every object holds its own bytes */
    int nWrong = 0, nSeen = 0;
    for (int iT = 0; iT < N_THREADS; iT++) {
      for (int i = 0; i < N_PUTS; i++) {
        static const char *const azDir[] = {"wal", "manifest", "compactions"};
        const char *zDir = azDir[(i / (1 + iT)) % 3];
        char zPath[600], zVal[96];
        snprintf(zPath, sizeof(zPath), "%s/%s/%02d%018d.obj", zRoot, zDir, iT, i);
        snprintf(zVal, sizeof(zVal), "thread %d put %d into %s", iT, i, zDir);
        unsigned char *b = NULL;
        size_t n = 0;
        if (test_read_file(zPath, &b, &n)) {
          nSeen++;
          if (n != strlen(zVal) || memcmp(b, zVal, n) != 0) nWrong++;
        }
        free(b);
      }
    }
    CHECKF("every object holds its own bytes", nWrong == 0 && nSeen == N_THREADS * N_PUTS, "%d wrong of %d seen", nWrong, nSeen);
    snprintf(zCmd, sizeof(zCmd), "rm -rf '%s'/wal '%s'/manifest '%s'/compactions", zRoot, zRoot, zRoot);
    if (system(zCmd) != 0) printf("# rm failed\n");
    nBad = 0;
  }
  char zCmd[300];
  snprintf(zCmd, sizeof(zCmd), "rm -rf '%s'", zRoot);
  if (system(zCmd) != 0) printf("# could not remove %s\n", zRoot);
  return test_done();
}
