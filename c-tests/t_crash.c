/*
** t_crash.c: kill -9 loses nothing acknowledged.
**
** In a loop, a forked child opens the database as the writer and commits
** batches of 5 keys with durability=commit (small l0_sst_size_bytes, so L0
** flushes and manifest updates happen while it is killed), reporting each
** acknowledged batch number through a pipe. The parent SIGKILLs it after a
** random delay, then reopens the database and checks that every acknowledged
** batch is fully present and that no batch is partly visible.
*/
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "test.h"
#include "util/sdbInt.h"

#define KEYS_PER_BATCH 5

static SdbDb *openDb(const char *zDir, int bReadOnly, SdbErr *pErr) {
  SdbConfig cfg;
  memset(&cfg, 0, sizeof(cfg));
  cfg.zUrl = zDir;
  cfg.bReadOnly = bReadOnly;
  cfg.bCreateIfMissing = 1;
  cfg.l0SstSizeBytes = 4096;
  SdbDb *db = NULL;
  return sdb_db_open(&cfg, &db, pErr) == SDB_OK ? db : NULL;
}

/* The child: commit batches forever, writing each acknowledged number. */
static void childMain(const char *zDir, int fd, int iFirst) {
  SdbErr err = {0};
  SdbDb *db = openDb(zDir, 0, &err);
  if (!db) _exit(2);
  SdbBatch *b = sdb_batch_new();
  for (int i = iFirst;; i++) {
    for (int k = 0; k < KEYS_PER_BATCH; k++) {
      char zKey[32], zVal[32];
      snprintf(zKey, sizeof(zKey), "b%07d-%d", i, k);
      snprintf(zVal, sizeof(zVal), "val-%d-%d", i, k);
      sdb_batch_put(b, (const u8 *)zKey, strlen(zKey), (const u8 *)zVal, strlen(zVal), 0, &err);
    }
    if (sdb_db_write(db, b, 1, &err) != SDB_OK) _exit(3);
    sdb_batch_clear(b);
    if (write(fd, &i, sizeof(i)) != sizeof(i)) _exit(4);
  }
}

/* Count keys of batch i present with the right values (0..KEYS_PER_BATCH). */
static int batchPresent(SdbDb *db, int i, SdbErr *pErr) {
  char zLo[32], zHi[32];
  snprintf(zLo, sizeof(zLo), "b%07d-", i);
  snprintf(zHi, sizeof(zHi), "b%07d.", i);
  SdbRange r = {(const u8 *)zLo, strlen(zLo), 1, 0, (const u8 *)zHi, strlen(zHi), 1, 1};
  SdbIter *it = NULL;
  int n = 0;
  if (sdb_db_scan(db, &r, 0, &it, pErr)) return -1;
  for (; !it->bEof; sdb_iter_next(it, pErr)) {
    char zWant[32];
    snprintf(zWant, sizeof(zWant), "val-%d-%c", i, it->cur.pKey[it->cur.nKey - 1]);
    if (it->cur.nVal == strlen(zWant) && memcmp(it->cur.pVal, zWant, it->cur.nVal) == 0) n++;
  }
  sdb_iter_free(it);
  return n;
}

int main(void) {
  char zDir[256];
  snprintf(zDir, sizeof(zDir), "%s/sdb-crash-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
  CHECK("crash: temp dir", mkdtemp(zDir) != NULL);
  srand((unsigned)time(NULL));
  int nAcked = 0, iNext = 0, nLost = 0, nPartial = 0, nRounds = 0, nChildFail = 0;
  for (int round = 0; round < 8; round++) {
    int fds[2];
    if (pipe(fds)) break;
    pid_t pid = fork();
    if (pid == 0) {
      close(fds[0]);
      childMain(zDir, fds[1], iNext);
    }
    close(fds[1]);
    usleep((useconds_t)(50000 + rand() % 250000));
    kill(pid, SIGKILL);
    int status = 0, v;
    while (read(fds[0], &v, sizeof(v)) == sizeof(v)) {
      if (v >= nAcked) nAcked = v + 1;
    }
    close(fds[0]);
    waitpid(pid, &status, 0);
    if (!(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)) nChildFail++;
    /* Verify with a fresh reader. */
    SdbErr err = {0};
    SdbDb *db = openDb(zDir, 1, &err);
    if (!db) { nLost++; printf("# reopen failed: %s\n", err.zMsg); break; }
    int i;
    for (i = 0; i < nAcked; i++) {
      if (batchPresent(db, i, &err) != KEYS_PER_BATCH) { nLost++; printf("# batch %d lost\n", i); }
    }
    /* Unacknowledged batches that landed must be complete. */
    for (;; i++) {
      int n = batchPresent(db, i, &err);
      if (n <= 0) break;
      if (n != KEYS_PER_BATCH) nPartial++;
    }
    iNext = i;
    if (iNext > nAcked) nAcked = iNext;
    sdb_db_close(db);
    nRounds++;
  }
  CHECKF("crash: kill -9 of a writer in a loop loses no acknowledged batch", nLost == 0 && nRounds == 8,
         "%d lost in %d rounds", nLost, nRounds);
  CHECKF("crash: no batch is ever partly visible", nPartial == 0, "%d partial", nPartial);
  CHECKF("crash: the writer was killed mid-work every round (not failing on its own)", nChildFail == 0,
         "%d children exited otherwise", nChildFail);
  CHECKF("crash: enough batches were acknowledged to mean something", nAcked >= 40, "%d", nAcked);
  printf("# %d batches acknowledged over %d kills\n", nAcked, nRounds);
  char zCmd[300];
  snprintf(zCmd, sizeof(zCmd), "rm -rf '%s'", zDir);
  if (system(zCmd)) {}
  return test_done();
}
