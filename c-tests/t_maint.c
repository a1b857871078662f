/*
** t_maint.c: the writer's background maintenance (core/maint.c) through the
** public API, on local directories:
**   - L0 backpressure: at l0_max_ssts L0s a flush wakes the compactor and
**     waits for it, so L0s stay bounded while writes go on (compactor poll
**     interval one hour: only the wake-up can explain the compactions);
**   - without a compactor, flushes never wait (L0s simply accumulate);
**   - the compactor claims compactor_epoch and stops for good (the writer
**     goes on) when a newer compactor claims it;
**   - checkpoints: create, list, delete, errors; a checkpoint pins rows that
**     were only in the WAL when it was created.
*/
#include <unistd.h>

#include "test.h"
#include "sdbInt.h"

/* Open a writer on zDir with small L0s. */
static SdbDb *openWriter(const char *zDir, int bCompactor, u32 l0Max, SdbErr *pErr) {
  SdbConfig cfg;
  SdbDb *db = NULL;
  memset(&cfg, 0, sizeof(cfg));
  cfg.zUrl = zDir;
  cfg.bCreateIfMissing = 1;
  cfg.l0SstSizeBytes = 4096;
  cfg.bNoCompactor = !bCompactor;
  cfg.compactorPollMs = 3600000;
  cfg.l0MaxSsts = l0Max;
  cfg.bNoGc = 1;
  return sdb_db_open(&cfg, &db, pErr) == SDB_OK ? db : NULL;
}

/* Commit n batches of 40 rows (keys overwrite each other). */
static int writeRows(SdbDb *db, int n, SdbErr *pErr) {
  SdbBatch *b = sdb_batch_new();
  int rc = b ? SDB_OK : SDB_NOMEM;
  for (int t = 0; rc == SDB_OK && t < n; t++) {
    for (int i = 0; rc == SDB_OK && i < 40; i++) {
      char k[32], v[80];
      snprintf(k, sizeof(k), "key%05d", (t * 40 + i) % 700);
      snprintf(v, sizeof(v), "value-%d-%d-%050d", t, i, 0);
      rc = sdb_batch_put(b, (const u8 *)k, strlen(k), (const u8 *)v, strlen(v), 0, pErr);
    }
    if (rc == SDB_OK) rc = sdb_db_write(db, b, 1, pErr);
    sdb_batch_clear(b);
  }
  sdb_batch_free(b);
  return rc;
}

static void testBackpressure(void) {
  char zDir[] = "/tmp/sdbmaintXXXXXX";
  SdbErr err = {0};
  SdbStats st;
  CHECK("maint: temp dir", mkdtemp(zDir) != NULL);
  SdbDb *db = openWriter(zDir, 1, 4, &err);
  CHECKF("maint: writer with compactor opens", db != NULL, "%s", err.zMsg);
  if (!db) return;
  int rc = writeRows(db, 200, &err);
  if (rc == SDB_OK) rc = sdb_db_flush(db, 1, &err);
  sdb_db_stats(db, &st);
  CHECKF("maint: writes go on at l0_max_ssts", rc == SDB_OK, "rc=%d %s", rc, err.zMsg);
  CHECKF("maint: a flush at l0_max_ssts wakes the compactor", st.nCompactions >= 1 &&
         st.compactorEpoch >= 1, "compactions=%llu epoch=%llu", (unsigned long long)st.nCompactions,
         (unsigned long long)st.compactorEpoch);
  CHECKF("maint: L0s stay bounded", st.nL0 <= 5 && st.nSortedRun >= 1, "l0=%llu runs=%llu",
         (unsigned long long)st.nL0, (unsigned long long)st.nSortedRun);
  sdb_db_close(db);

  char zDir2[] = "/tmp/sdbmaintXXXXXX";
  CHECK("maint: temp dir 2", mkdtemp(zDir2) != NULL);
  db = openWriter(zDir2, 0, 4, &err);
  rc = db ? writeRows(db, 200, &err) : SDB_ERROR;
  if (rc == SDB_OK) rc = sdb_db_flush(db, 1, &err);
  if (db) sdb_db_stats(db, &st);
  CHECKF("maint: without a compactor flushes never wait", rc == SDB_OK && st.nL0 > 4 &&
         st.nCompactions == 0, "rc=%d l0=%llu %s", rc, (unsigned long long)st.nL0, err.zMsg);
  int nDone = 0;
  rc = db ? sdb_db_compact(db, &nDone, &err) : SDB_ERROR;
  CHECKF("maint: 'compact' needs the compactor", rc == SDB_ERROR && strstr(err.zMsg, "compactor"),
         "rc=%d %s", rc, err.zMsg);
  sdb_db_close(db);
}

/* A second writer takes over: the first one's compactor is fenced through
** compactor_epoch (and its writer through writer_epoch). */
static void testCompactorFencing(void) {
  char zDir[] = "/tmp/sdbmaintXXXXXX";
  SdbErr err = {0};
  SdbStats st;
  CHECK("maint: temp dir 3", mkdtemp(zDir) != NULL);
  SdbDb *a = openWriter(zDir, 1, 8, &err);
  int nDone = 0;
  int rc = a ? writeRows(a, 60, &err) : SDB_ERROR;
  if (rc == SDB_OK) rc = sdb_db_flush(a, 1, &err);
  if (rc == SDB_OK) rc = sdb_db_compact(a, &nDone, &err);
  CHECKF("maint: full compaction", rc == SDB_OK && nDone == 1, "rc=%d done=%d %s", rc, nDone, err.zMsg);
  SdbDb *b = openWriter(zDir, 1, 8, &err);
  rc = b ? writeRows(b, 60, &err) : SDB_ERROR;
  if (rc == SDB_OK) rc = sdb_db_flush(b, 1, &err);
  if (rc == SDB_OK) rc = sdb_db_compact(b, &nDone, &err);
  if (b) sdb_db_stats(b, &st);
  CHECKF("maint: the second writer claims a newer compactor epoch", rc == SDB_OK &&
         st.compactorEpoch == 2, "rc=%d epoch=%llu %s", rc, (unsigned long long)st.compactorEpoch,
         err.zMsg);
  SdbErr err2 = {0};
  rc = a ? sdb_db_compact(a, &nDone, &err2) : SDB_ERROR;
  CHECKF("maint: the first compactor is fenced", rc != SDB_OK &&
         (strstr(err2.zMsg, "fenced") != NULL), "rc=%d %s", rc, err2.zMsg);
  sdb_db_close(a);
  sdb_db_close(b);
}

static void testCheckpoints(void) {
  char zDir[] = "/tmp/sdbmaintXXXXXX";
  SdbErr err = {0};
  char zId[37];
  CHECK("maint: temp dir 4", mkdtemp(zDir) != NULL);
  SdbDb *db = openWriter(zDir, 0, 8, &err);
  int rc = db ? writeRows(db, 5, &err) : SDB_ERROR;
  if (rc == SDB_OK) rc = sdb_db_checkpoint_create(db, 60000, "nightly", zId, &err);
  SdbCheckpointInfo *a = NULL;
  int n = 0;
  if (rc == SDB_OK) rc = sdb_db_checkpoints(db, &a, &n, &err);
  CHECKF("maint: a checkpoint is listed", rc == SDB_OK && n == 1 && strcmp(a[0].zId, zId) == 0 &&
         a[0].expireTimeS - a[0].createTimeS == 60 && strcmp(a[0].zName, "nightly") == 0,
         "rc=%d n=%d %s", rc, n, err.zMsg);
  CHECK("maint: a UUID v4 id", strlen(zId) == 36 && zId[14] == '4');
  sdb_free(a);
  rc = sdb_db_checkpoint_delete(db, zId, &err);
  if (rc == SDB_OK) rc = sdb_db_checkpoints(db, &a, &n, &err);
  CHECKF("maint: checkpoint_delete", rc == SDB_OK && n == 0, "rc=%d n=%d", rc, n);
  sdb_free(a);
  rc = sdb_db_checkpoint_delete(db, zId, &err);
  CHECKF("maint: deleting it twice is an error", rc == SDB_ERROR && strstr(err.zMsg, zId), "%s",
         err.zMsg);
  rc = sdb_db_checkpoint_delete(db, "zz", &err);
  CHECKF("maint: a malformed id is an error", rc == SDB_ERROR && strstr(err.zMsg, "malformed"),
         "%s", err.zMsg);
  sdb_db_close(db);
}

/* Count the rows a checkpoint= reader of zDir sees, and how many of them
** have values starting with zPrefix. -1 when it cannot open or scan. */
static int ckptRows(const char *zDir, const char *zId, const char *zPrefix, int *pnPrefix) {
  SdbConfig cfg;
  SdbDb *r = NULL;
  SdbErr err = {0};
  SdbIter *it = NULL;
  memset(&cfg, 0, sizeof(cfg));
  cfg.zUrl = zDir;
  cfg.bReadOnly = 1;
  cfg.zCheckpoint = zId;
  *pnPrefix = 0;
  if (sdb_db_open(&cfg, &r, &err)) { printf("# reader: %s\n", err.zMsg); return -1; }
  int n = 0, rc = sdb_db_scan(r, NULL, 0, &it, &err);
  while (rc == SDB_OK && !it->bEof) {
    n++;
    *pnPrefix += it->cur.nVal >= strlen(zPrefix) && memcmp(it->cur.pVal, zPrefix, strlen(zPrefix)) == 0;
    rc = sdb_iter_next(it, &err);
  }
  sdb_iter_free(it);
  sdb_db_close(r);
  return rc ? -1 : n;
}

/* A checkpoint pins everything committed before it, rows that are only in the
** WAL (durable commits) or only in the WAL buffer (async commits) included:
** it flushes first, as SlateDB's create_checkpoint (scope All) does. */
static void testCheckpointFlushes(void) {
  char zDir[] = "/tmp/sdbmaintXXXXXX";
  SdbErr err = {0};
  char zId[37];
  CHECK("maint: temp dir 5", mkdtemp(zDir) != NULL);
  SdbDb *db = openWriter(zDir, 0, 8, &err);
  SdbBatch *b = sdb_batch_new();
  int rc = db && b ? SDB_OK : SDB_ERROR;
  /* One row in an L0 first: the manifest then bounds the WAL a reader replays. */
  if (rc == SDB_OK) rc = sdb_batch_put(b, (const u8 *)"base", 4, (const u8 *)"l0", 2, 0, &err);
  if (rc == SDB_OK) rc = sdb_db_write(db, b, 1, &err);
  if (rc == SDB_OK) rc = sdb_db_flush(db, 1, &err);
  sdb_batch_clear(b);
  for (int i = 0; rc == SDB_OK && i < 3; i++) {
    char k[16], v[16];
    snprintf(k, sizeof(k), "d%d", i);
    snprintf(v, sizeof(v), "wal%d", i);
    rc = sdb_batch_put(b, (const u8 *)k, strlen(k), (const u8 *)v, strlen(v), 0, &err);
    if (rc == SDB_OK) rc = sdb_db_write(db, b, 1, &err);      /* durable: WAL only */
    sdb_batch_clear(b);
    snprintf(k, sizeof(k), "a%d", i);
    if (rc == SDB_OK) rc = sdb_batch_put(b, (const u8 *)k, strlen(k), (const u8 *)v, strlen(v), 0, &err);
    if (rc == SDB_OK) rc = sdb_db_write(db, b, 0, &err);      /* async: WAL buffer */
    sdb_batch_clear(b);
  }
  SdbStats st;
  if (db) sdb_db_stats(db, &st);
  CHECKF("maint: rows committed, only one L0", rc == SDB_OK && st.nL0 == 1, "rc=%d l0=%llu %s",
         rc, (unsigned long long)st.nL0, err.zMsg);
  if (rc == SDB_OK) rc = sdb_db_checkpoint_create(db, 0, NULL, zId, &err);
  CHECKF("maint: checkpoint after WAL-only rows", rc == SDB_OK, "rc=%d %s", rc, err.zMsg);
  /* Rows committed after the checkpoint are not in it. */
  if (rc == SDB_OK) rc = sdb_batch_put(b, (const u8 *)"late", 4, (const u8 *)"x", 1, 0, &err);
  if (rc == SDB_OK) rc = sdb_db_write(db, b, 1, &err);
  if (rc == SDB_OK) rc = sdb_db_flush(db, 1, &err);
  int nWal = 0, n = rc == SDB_OK ? ckptRows(zDir, zId, "wal", &nWal) : -1;
  CHECKF("maint: a checkpoint= reader sees the rows that were only in the WAL", n == 7 && nWal == 6,
         "rows=%d wal=%d", n, nWal);
  sdb_batch_free(b);
  sdb_db_close(db);
}

int main(void) {
  testBackpressure();
  testCompactorFencing();
  testCheckpoints();
  testCheckpointFlushes();
  return test_done();
}
