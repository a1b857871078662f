/*
** fuzz_walreplay.c: libFuzzer target for opening a database whose WAL is a
** sequence of arbitrary WAL SST objects: the engine's open, WAL replay
** (db.c), memtable, merge and visible-row iterators, and for writers the
** fence, the L0 flush of the replayed rows and the close.
**
** Input: 2 header bytes, then up to WR_MAX_WAL objects, each a u16 length
** (little-endian, clipped to what is left) and that many bytes:
**   h[0] bit 0     merge_operator concat (else none: a merge operand is an error)
**        bit 1     ignore SST checksums (sdbSstFuzzIgnoreCrc), so that mutated
**                  objects reach the decoders behind them
**        bit 2     after the reader, open a writer too (fence, replay by id),
**                  overwrite a replayed key, add a new one, read both back,
**                  flush the memtable to an L0 and scan again
**        bit 3     add crash leftovers (hidden temp files of an interrupted
**                  PUT, a stray non-id name) to wal/ and manifest/ after the
**                  first reader, then open a reader again: it must see the same
**        bits 4-5  replay_after_wal_id of the manifest (0..3, or 2^64 - 9 + that)
**        bit 6     WAL ids end at 2^64 - 1: object i is wal/<2^64 - 8 + i>.sst
**        bit 7     first open a reader on the first half of the objects, store
**                  the rest, refresh it (sdb_db_refresh): it must then see
**                  what a new reader sees
**   h[1]           last_l0_seq of the manifest
** Object i (from 0) is stored as wal/<i+1>.sst in a fresh local directory (under
** $SDB_FUZZ_TMPDIR, else /dev/shm, else $TMPDIR or /tmp) next to manifest 1,
** a valid ManifestV1 with the header's fields. The database is opened by a
** reader and scanned ascending, descending and over a sub-range.
**
** Every call must end in SDB_OK or a clean error (SDB_CORRUPT, SDB_ERROR for a
** merge operand without an operator, SDB_UNSUPPORTED) without a crash, leak,
** hang or sanitizer report; scans must be strictly ordered, agree in both
** directions, and a writer must see what the reader saw. SDB_FUZZ_VERBOSE=1
** prints each open's outcome (to see what a corpus file exercises).
*/
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "meta/manifest_enc.h"
#include "slatedb.h"
#include "table/sst.h"

/* sdbSstFuzzIgnoreCrc exists only in -DSDB_FUZZING builds of core. */
#ifndef SDB_FUZZING
#error "build with -DSDB_FUZZING (make fuzz, or the Makefile's fuzz-replay rule)"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define WR_MAX_WAL 8

static char gzBase[512];      /* this process's scratch directory */

/* Report a broken expectation and abort (libFuzzer saves the input). */
static void wrFail(const char *zWhat, int rc, const SdbErr *pErr) {
  fprintf(stderr, "fuzz_walreplay: %s: rc=%d %s\n", zWhat, rc, pErr ? pErr->zMsg : "");
  abort();
}

/* nftw callback of rmTree: remove one file or (emptied) directory. */
static int rmEntry(const char *zPath, const struct stat *st, int eFlag, struct FTW *f) {
  (void)st; (void)eFlag; (void)f;
  return remove(zPath);
}

/* Remove a directory tree (no symlinks are followed). */
static void rmTree(const char *zDir) {
  nftw(zDir, rmEntry, 16, FTW_DEPTH | FTW_PHYS);
}

/* atexit: remove the scratch directory. */
static void baseRemove(void) {
  if (gzBase[0]) rmTree(gzBase);
}

/* Create the process's scratch directory once. */
static void baseInit(void) {
  if (gzBase[0]) return;
  const char *zDir = getenv("SDB_FUZZ_TMPDIR");
  if (!zDir && access("/dev/shm", W_OK) == 0) zDir = "/dev/shm";
  if (!zDir) zDir = getenv("TMPDIR");
  if (!zDir) zDir = "/tmp";
  snprintf(gzBase, sizeof(gzBase), "%s/sdb-fuzz-wal-XXXXXX", zDir);
  if (!mkdtemp(gzBase)) {
    perror(gzBase);
    abort();
  }
  atexit(baseRemove);
}

/* Write a[0..n) to zDir/zName. */
static void writeFile(const char *zDir, const char *zName, const u8 *a, size_t n) {
  char zPath[640];
  snprintf(zPath, sizeof(zPath), "%s/%s", zDir, zName);
  FILE *f = fopen(zPath, "wb");
  if (!f || (n && fwrite(a, 1, n, f) != n) || fclose(f) != 0) {
    perror(zPath);
    abort();
  }
}

/* First WAL id of the input's objects. */
static u64 walBase(const uint8_t *data) {
  return (data[0] & 64) ? UINT64_MAX - WR_MAX_WAL : 0;
}

/* Lay out the database: the folders and manifest 1. */
static void writeDb(const char *zDir, const uint8_t *data) {
  char zPath[640];
  if (mkdir(zDir, 0700)) abort();
  snprintf(zPath, sizeof(zPath), "%s/manifest", zDir);
  if (mkdir(zPath, 0700)) abort();
  snprintf(zPath, sizeof(zPath), "%s/wal", zDir);
  if (mkdir(zPath, 0700)) abort();
  SdbManifest m;
  memset(&m, 0, sizeof(m));
  m.eFormat = 1;
  m.bInitialized = 1;
  m.writerEpoch = 1;
  m.replayAfterWalId = walBase(data) + ((data[0] >> 4) & 3);
  m.walIdLastSeen = m.replayAfterWalId;
  m.lastL0Seq = data[1];
  m.recentSnapshotMinSeq = data[1];
  m.lastL0ClockTick = INT64_MIN;
  u8 *a = NULL;
  size_t n = 0;
  SdbErr err = {0};
  int rc = sdbManifestEncode(&m, &a, &n, &err);
  if (rc) wrFail("manifest encode", rc, &err);
  writeFile(zDir, "manifest/00000000000000000001.manifest", a, n);
  sdbFree(a);
}

/* Store the input's WAL objects iFrom..iTo-1 (0-based; fewer if the input
** holds fewer). Returns how many objects the input holds. */
static int writeWal(const char *zDir, const uint8_t *data, size_t size, int iFrom, int iTo) {
  const uint8_t *p = data + 2, *pEnd = data + size;
  int i = 0;
  for (; i < WR_MAX_WAL && pEnd - p >= 2; i++) {
    size_t nObj = (size_t)p[0] | (size_t)p[1] << 8;
    p += 2;
    if (nObj > (size_t)(pEnd - p)) nObj = (size_t)(pEnd - p);
    if (i >= iFrom && i < iTo) {
      char zId[21], zName[48];
      sdbFormatId20(walBase(data) + 1 + (u64)i, zId);
      snprintf(zName, sizeof(zName), "wal/%s.sst", zId);
      writeFile(zDir, zName, p, nObj);
    }
    p += nObj;
  }
  return i;
}

/* What a crash can leave behind in a local store: temporary files of PUTs
** that never got renamed into place (the last object's bytes, and a torn
** half of them), and a name that is not an object id. */
static void writeLeftovers(const char *zDir, const uint8_t *data, size_t size) {
  writeFile(zDir, "wal/.tmp-1-1-0", data, size);
  writeFile(zDir, "wal/.tmp-1-2-0", data, size / 2);
  writeFile(zDir, "manifest/.tmp-1-3-0", data, size / 2);
  writeFile(zDir, "wal/00000000000000000001.sst.bak", data, size);
}

/* The codes an open or a scan may end with. */
static void checkRc(const char *zWhat, int rc, const SdbErr *pErr) {
  if (rc != SDB_OK && rc != SDB_CORRUPT && rc != SDB_ERROR && rc != SDB_UNSUPPORTED) {
    wrFail(zWhat, rc, pErr);
  }
}

/* What one scan saw. */
typedef struct ScanSum {
  int rc;
  u64 nRow;
  u64 hash;               /* of keys and values, in scan order */
  SdbBuf mid;             /* a key from the middle; owned */
} ScanSum;

/* FNV-1a over a[0..n), then the length. */
static u64 hashBytes(u64 h, const u8 *a, size_t n) {
  for (size_t i = 0; i < n; i++) h = (h ^ a[i]) * 0x100000001b3ull;
  return (h ^ n) * 0x100000001b3ull;
}

/* Scan r (NULL: everything) and check the key order. Direction-independent
** hash: the sum of per-row hashes. The caller frees s->mid. */
static void scan(SdbDb *db, const SdbRange *r, int bDesc, ScanSum *s) {
  SdbIter *it = NULL;
  SdbErr err = {0};
  SdbBuf prev = {0};
  memset(s, 0, sizeof(*s));
  int rc = sdb_db_scan(db, r, bDesc, &it, &err);
  while (rc == SDB_OK && !it->bEof) {
    const SdbEntry *e = &it->cur;
    if (e->eKind != SDB_KIND_VALUE) wrFail("scan returned a non-value row", e->eKind, NULL);
    if (s->nRow) {
      int c = sdbKeyCmp(prev.a, prev.n, e->pKey, e->nKey);
      if (bDesc ? c <= 0 : c >= 0) wrFail("scan out of order", 0, NULL);
    }
    prev.n = 0;
    if (sdbBufAppend(&prev, e->pKey, e->nKey)) abort();
    s->hash += hashBytes(hashBytes(0xcbf29ce484222325ull, e->pKey, e->nKey), e->pVal, e->nVal);
    if (s->nRow == 0 || (s->nRow & 3) == 3) {
      s->mid.n = 0;
      if (sdbBufAppend(&s->mid, e->pKey, e->nKey)) abort();
    }
    s->nRow++;
    rc = sdb_iter_next(it, &err);
  }
  sdb_iter_free(it);
  sdbBufFree(&prev);
  checkRc("scan", rc, &err);
  s->rc = rc;
}

/* Ascending, descending and sub-range (keys above a middle one) scans of an
** open database; *pAsc gets the ascending one's summary. */
static void scanAll(SdbDb *db, ScanSum *pAsc) {
  ScanSum desc, sub;
  scan(db, NULL, 0, pAsc);
  scan(db, NULL, 1, &desc);
  if (pAsc->rc == SDB_OK && desc.rc == SDB_OK &&
      (pAsc->nRow != desc.nRow || pAsc->hash != desc.hash)) {
    wrFail("ascending and descending scans differ", 0, NULL);
  }
  sdbBufFree(&desc.mid);
  if (pAsc->nRow) {
    SdbRange r = {pAsc->mid.a, pAsc->mid.n, 1, 1, NULL, 0, 0, 0};
    scan(db, &r, 1, &sub);
    if (pAsc->rc == SDB_OK && sub.rc == SDB_OK && sub.nRow >= pAsc->nRow) {
      wrFail("a sub-range holds every row", 0, NULL);
    }
    sdbBufFree(&sub.mid);
  }
  sdbBufFree(&pAsc->mid);
}

/* Commit key -> "v" (one write batch, durable) and read it back. Returns the
** commit's rc. */
static int putAndRead(SdbDb *db, const u8 *aKey, size_t nKey) {
  SdbErr err = {0};
  SdbBatch *b = sdb_batch_new();
  if (!b) abort();
  int rc = sdb_batch_put(b, aKey, nKey, (const u8 *)"v", 1, 0, &err);
  if (rc == SDB_OK) rc = sdb_db_write(db, b, 1, &err);
  sdb_batch_free(b);
  checkRc("write", rc, &err);
  if (rc) return rc;
  SdbRange r = {aKey, nKey, 1, 0, aKey, nKey, 1, 0};
  SdbIter *it = NULL;
  rc = sdb_db_scan(db, &r, 0, &it, &err);
  checkRc("point read", rc, &err);
  if (rc == SDB_OK && (it->bEof || it->cur.nVal != 1 || it->cur.pVal[0] != 'v')) {
    wrFail("a committed row is not what a read returns", 0, NULL);
  }
  sdb_iter_free(it);
  return SDB_OK;
}

/* Whether key a[0..n) has a visible row (-1: the read failed). */
static int hasKey(SdbDb *db, const u8 *a, size_t n) {
  SdbRange r = {a, n, 1, 0, a, n, 1, 0};
  SdbIter *it = NULL;
  SdbErr err = {0};
  int rc = sdb_db_scan(db, &r, 0, &it, &err);
  checkRc("point read", rc, &err);
  int bHas = rc == SDB_OK ? !it->bEof : -1;
  sdb_iter_free(it);
  return bHas;
}

/* A writer overwrites the first replayed key and adds a new one; reads must
** return the new values (newer writes get higher sequence numbers) and a
** full scan every other row as before. nRow: rows before the writes. */
static void writeAfterReplay(SdbDb *db, u64 nRow) {
  static const u8 aNew[] = "\xff\xff fuzz put";
  SdbIter *it = NULL;
  SdbBuf first = {0};
  SdbErr err = {0};
  int rc = sdb_db_scan(db, NULL, 0, &it, &err);
  if (rc == SDB_OK && !it->bEof && it->cur.nKey > 0) {
    if (sdbBufAppend(&first, it->cur.pKey, it->cur.nKey)) abort();
  }
  sdb_iter_free(it);
  int bHadNew = hasKey(db, aNew, sizeof(aNew) - 1);
  if (first.n) rc = putAndRead(db, first.a, first.n);
  if (rc == SDB_OK) rc = putAndRead(db, aNew, sizeof(aNew) - 1);
  sdbBufFree(&first);
  ScanSum s;
  scan(db, NULL, 0, &s);
  sdbBufFree(&s.mid);
  if (rc == SDB_OK && s.rc == SDB_OK && bHadNew == 0 && s.nRow != nRow + 1) {
    wrFail("rows replayed before a write are not visible after it", (int)s.nRow, NULL);
  }
}

/* Open the database at zDir (no polling, no background maintenance). */
static int openDb(const char *zDir, int bWriter, int eMergeOp, SdbDb **pDb, SdbErr *pErr) {
  SdbConfig c;
  memset(&c, 0, sizeof(c));
  c.zUrl = zDir;
  c.bReadOnly = !bWriter;
  c.eMergeOp = eMergeOp;
  c.nCacheBytes = 1 << 20;
  c.pollIntervalMs = UINT64_MAX;
  c.bNoCompactor = 1;
  c.bNoGc = 1;
  c.flushIntervalMs = 3600 * 1000;
  return sdb_db_open(&c, pDb, pErr);
}

/* A reader opened on the first half of the WAL objects, refreshed after the
** rest appeared, scanned into *pSum (rc SDB_OK only if all of it worked). */
static void openRefreshScan(const char *zDir, const uint8_t *data, size_t size, int eMergeOp,
                            ScanSum *pSum) {
  int nObj = writeWal(zDir, data, size, 0, 0);
  writeWal(zDir, data, size, 0, (nObj + 1) / 2);
  SdbDb *db = NULL;
  SdbErr err = {0};
  memset(pSum, 0, sizeof(*pSum));
  int rc = openDb(zDir, 0, eMergeOp, &db, &err);
  checkRc("reader open", rc, &err);
  if (rc == SDB_OK) {
    ScanSum first;
    scanAll(db, &first);
  }
  writeWal(zDir, data, size, (nObj + 1) / 2, WR_MAX_WAL);
  if (rc == SDB_OK) {
    rc = sdb_db_refresh(db, &err);
    checkRc("refresh", rc, &err);
  }
  pSum->rc = rc;
  if (rc == SDB_OK) scanAll(db, pSum);
  if (getenv("SDB_FUZZ_VERBOSE")) {
    printf("# refreshed reader: rc=%d rows=%llu %s\n", pSum->rc, (unsigned long long)pSum->nRow,
           rc ? err.zMsg : "");
  }
  sdb_db_close(db);
}

/* Open (reader or writer), scan, and for a writer write, flush and scan again. */
static void openAndScan(const char *zDir, int bWriter, int eMergeOp, ScanSum *pAsc) {
  SdbDb *db = NULL;
  SdbErr err = {0};
  int rc = openDb(zDir, bWriter, eMergeOp, &db, &err);
  checkRc(bWriter ? "writer open" : "reader open", rc, &err);
  memset(pAsc, 0, sizeof(*pAsc));
  pAsc->rc = rc;
  if (rc == SDB_OK) scanAll(db, pAsc);
  if (getenv("SDB_FUZZ_VERBOSE")) {
    printf("# %s: rc=%d rows=%llu %s\n", bWriter ? "writer" : "reader", pAsc->rc,
           (unsigned long long)pAsc->nRow, rc ? err.zMsg : "");
  }
  if (rc) return;
  if (bWriter) {
    ScanSum after;
    if (pAsc->rc == SDB_OK) writeAfterReplay(db, pAsc->nRow);
    rc = sdb_db_flush(db, 1, &err);
    checkRc("flush", rc, &err);
    scanAll(db, &after);
  }
  sdb_db_close(db);
}

/* One input: lay out the database, then the opens the header asks for. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 2) return 0;
  baseInit();
  char zDir[600];
  snprintf(zDir, sizeof(zDir), "%s/db", gzBase);
  rmTree(zDir);
  writeDb(zDir, data);
  int eMergeOp = (data[0] & 1) ? SDB_MERGE_CONCAT : SDB_MERGE_NONE;
  sdbSstFuzzIgnoreCrc = (data[0] >> 1) & 1;
  ScanSum rd, wr, rf;
  if (data[0] & 128) openRefreshScan(zDir, data, size, eMergeOp, &rf);
  else writeWal(zDir, data, size, 0, WR_MAX_WAL);
  openAndScan(zDir, 0, eMergeOp, &rd);
  if ((data[0] & 128) && rd.rc == SDB_OK && rf.rc == SDB_OK &&
      (rd.nRow != rf.nRow || rd.hash != rf.hash)) {
    wrFail("a refreshed reader sees other rows than a new one", 0, NULL);
  }
  if (data[0] & 8) {
    ScanSum rd2;
    writeLeftovers(zDir, data, size);
    openAndScan(zDir, 0, eMergeOp, &rd2);
    if (rd.rc != rd2.rc || rd.nRow != rd2.nRow || rd.hash != rd2.hash) {
      wrFail("crash leftovers change what a reader sees", rd2.rc, NULL);
    }
  }
  if (data[0] & 4) {
    openAndScan(zDir, 1, eMergeOp, &wr);
    if (rd.rc == SDB_OK && wr.rc == SDB_OK && (rd.nRow != wr.nRow || rd.hash != wr.hash)) {
      wrFail("the writer sees other rows than the reader", 0, NULL);
    }
  }
  sdbSstFuzzIgnoreCrc = 0;
  rmTree(zDir);
  return 0;
}
