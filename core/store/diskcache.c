/*
** diskcache.c: a local disk cache in front of another store, for immutable
** objects only (SlateDB's object_store_cache_options): SSTs under compacted/.
** Manifests, the compactions file, WAL SSTs and everything else go straight
** to the wrapped store. WAL SSTs are immutable too, but their names repeat
** from one database to the next (wal/00000000000000000001.sst), so a database
** deleted and created again at the same URL would read the old one's WAL from
** the cache; a compacted SST's name is a ULID, never reused.
**
** Layout: DIR/<16 hex digits of XXH3(wrapped store's zDescr)>/ holds, per
** object, its parts "<escaped key>.p<index>" (part i holds bytes
** [i*P, (i+1)*P) of the object; a shorter part is the object's last) and its
** size "<escaped key>.h". Keys are escaped to [A-Za-z0-9._-] with %XX (a
** leading '.' too, so no name is "." or ".." or a temp file), or replaced by
** "H<XXH3 of the key>" when long; nothing outside DIR is ever touched.
**
** Each file: a 40-byte header (magic "SDBDCP1\n"; XXH3-64 of everything after
** these 16 bytes; part index, UINT64_MAX for the size record; data length;
** key length; part size; 0), the key, the data. A file that fails any check
** (checksum, key, index, lengths, part size) is deleted and treated as a miss:
** its bytes are fetched again, never returned.
**
** Several processes may share DIR: a file is written to ".tmp-<pid>-<n>" in
** the same folder and renamed into place, so a reader sees a whole file or
** none (a torn one, after a crash, fails its checksum). No fsync.
**
** Reads: a GET of [off, end) takes each part from disk when present; a run of
** missing parts is fetched with one ranged GET of whole parts, written as new
** parts, and served from memory. Batches (xGetMany) fetch every request's
** missing run in one batch of the wrapped store, so S3 keeps its parallelism.
**
** Eviction: the bytes of DIR are counted at open and by each eviction; our
** writes add to the count. Above disk_cache_size one thread (an atomic flag)
** rescans DIR (every store folder) and deletes the least recently used
** files (file mtime: set when written, refreshed on a hit once it is a
** minute old) until 90% of the bound. Another process reading a deleted part
** keeps its open file (POSIX). Each process enforces the bound from its own
** count, so several writers may overshoot it by their writes since their
** last rescan.
**
** Threads and locks: the counters are atomic; the files are shared state
** replaced only by rename and unlink. One leaf lock (DcStore.mu, no I/O
** under it) guards the parts batches of this store are fetching: a batch
** notes the parts it fetches, and another batch that needs one of them (two
** read-ahead windows sharing a part) waits until it is stored and reads it
** from disk instead of fetching it again. Any thread may call any method at
** once (as for every store).
*/
#include <dirent.h>
#include <pthread.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#define XXH_STATIC_LINKING_ONLY   /* XXH3_state_t on the stack: no allocation */
#include <xxhash.h>

#include "store/diskcache.h"

#define DC_MAGIC "SDBDCP1\n"
#define DC_HDR 40                     /* header bytes */
#define DC_SIZE_REC UINT64_MAX        /* part index of the size record */
#define DC_MAX_NAME 200               /* longest escaped key kept as is */
#define DC_TOUCH_S 60                 /* refresh a hit's mtime once it is this old */
/* Count on the store and on the calling thread's cost record (sdb_cost_attach). */
#define DC_STAT_ADD(p, f, v)                                         \
  do {                                                               \
    __atomic_add_fetch(&(p)->base.stats.f, (v), __ATOMIC_RELAXED);   \
    SDB_COST_ADD(f, (v));                                            \
  } while (0)
#define DC_TMP_AGE_S 600              /* leftover temp files older than this go */
#define DC_MAX_CLAIMS 256             /* parts being fetched, noted at once */
#define DC_WAIT_MS 60000              /* longest wait for another batch's part */

/* A part some batch of this store is fetching: the key's XXH3 and the index. */
typedef struct DcClaim {
  u64 h, iPart;
} DcClaim;

typedef struct DcStore {
  SdbStore base;
  SdbStoreMethods methods;    /* xPutOnce only if the wrapped store has it */
  char *zRoot;                /* DIR, owned */
  char *zDir;                 /* DIR/<hash>/, owned */
  u32 partSize;
  u64 nMax;                   /* disk_cache_size */
  u64 nTotal;                 /* atomic: bytes of DIR as last counted + our writes */
  int bEvicting;              /* atomic: one eviction at a time */
  pthread_mutex_t mu;         /* guards aClaim, nClaim (a leaf lock: no I/O under it) */
  pthread_cond_t cond;        /* signalled when claims are released */
  DcClaim aClaim[DC_MAX_CLAIMS];
  int nClaim;
} DcStore;

/* Temp file names: "<pid>-<n>", n from this counter (atomic), so two
** wrappers of one process never pick the same name. */
static u64 dcTmpSeq;

/* A fetched range of whole parts: bytes [iOff, iOff + buf.n) of the object;
** bShort: the object ends at iOff + buf.n. */
typedef struct DcRange {
  u64 iOff;
  SdbBuf buf;
  int bShort;
} DcRange;

/* ------------------------------------------------------------ names */

/* 1 if zKey names an object whose name is never reused: compacted/ *.sst
** (see the top of the file for why not wal/). */
static int dcCacheable(const char *zKey) {
  size_t n = strlen(zKey);
  int bSst = n > 4 && memcmp(zKey + n - 4, ".sst", 4) == 0;
  return bSst && strncmp(zKey, "compacted/", 10) == 0;
}

/* The file of part iPart (DC_SIZE_REC: the size record) of zKey: a
** sdbMalloc'd path the caller frees, NULL on OOM. */
static char *dcPath(const DcStore *p, const char *zKey, u64 iPart) {
  static const char aHex[] = "0123456789ABCDEF";
  char zEsc[DC_MAX_NAME + 4];
  size_t j = 0;
  for (size_t i = 0; zKey[i] && j <= DC_MAX_NAME; i++) {
    unsigned char c = (unsigned char)zKey[i];
    int bPlain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '-' || c == '_' || (c == '.' && i > 0);
    if (bPlain) {
      zEsc[j++] = (char)c;
    } else {
      zEsc[j++] = '%';
      zEsc[j++] = aHex[c >> 4];
      zEsc[j++] = aHex[c & 15];
    }
  }
  zEsc[j] = 0;
  if (j > DC_MAX_NAME) {
    snprintf(zEsc, sizeof(zEsc), "H%016llx", (unsigned long long)XXH3_64bits(zKey, strlen(zKey)));
  }
  if (iPart == DC_SIZE_REC) return sdbMprintf("%s%s.h", p->zDir, zEsc);
  return sdbMprintf("%s%s.p%llu", p->zDir, zEsc, (unsigned long long)iPart);
}

/* ------------------------------------------------------------ files */

/* XXH3-64 of a file's bytes after its first 16 (header rest, key, data). */
static u64 dcChecksum(const u8 *aHdr, const char *zKey, size_t nKey, const u8 *a, size_t n) {
  XXH3_state_t st;
  XXH3_64bits_reset(&st);
  XXH3_64bits_update(&st, aHdr + 16, DC_HDR - 16);
  XXH3_64bits_update(&st, zKey, nKey);
  XXH3_64bits_update(&st, a, n);
  return XXH3_64bits_digest(&st);
}

/* Add n bytes to the count of DIR and evict if it passed the bound. */
static void dcAccount(DcStore *p, u64 n);

/*
** Write a[0..n) as part iPart of zKey: a temp file renamed into place. Best
** effort: a failure (disk full, permissions) leaves no file and is ignored.
*/
static void dcWrite(DcStore *p, const char *zKey, u64 iPart, const u8 *a, size_t n) {
  size_t nKey = strlen(zKey);
  u8 aHdr[DC_HDR] = {0};
  memcpy(aHdr, DC_MAGIC, 8);
  sdbPutU64LE(aHdr + 16, iPart);
  sdbPutU32LE(aHdr + 24, (u32)n);
  sdbPutU32LE(aHdr + 28, (u32)nKey);
  sdbPutU32LE(aHdr + 32, p->partSize);
  sdbPutU64LE(aHdr + 8, dcChecksum(aHdr, zKey, nKey, a, n));
  u64 iSeq = __atomic_fetch_add(&dcTmpSeq, 1, __ATOMIC_RELAXED);
  char *zTmp = sdbMprintf("%s.tmp-%ld-%llu", p->zDir, (long)getpid(), (unsigned long long)iSeq);
  char *zPath = dcPath(p, zKey, iPart);
  int fd = zTmp && zPath ? open(zTmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644) : -1;
  if (fd >= 0) {
    struct iovec aV[3] = {{aHdr, DC_HDR}, {(void *)zKey, nKey}, {(void *)a, n}};
    ssize_t nW = writev(fd, aV, 3);
    int bOk = close(fd) == 0 && nW == (ssize_t)(DC_HDR + nKey + n);
    if (bOk && rename(zTmp, zPath) == 0) {
      dcAccount(p, DC_HDR + nKey + n);
    } else {
      unlink(zTmp);
    }
  }
  sdbFree(zTmp);
  sdbFree(zPath);
}

/* Check the file bytes a[0..n) as part iPart of zKey. 1 if good. */
static int dcValid(const DcStore *p, const char *zKey, u64 iPart, const u8 *a, size_t n) {
  size_t nKey = strlen(zKey);
  if (n < DC_HDR + nKey || memcmp(a, DC_MAGIC, 8) != 0) return 0;
  u32 nData = sdbGetU32LE(a + 24);
  if (sdbGetU64LE(a + 16) != iPart || sdbGetU32LE(a + 28) != nKey) return 0;
  if (sdbGetU32LE(a + 32) != p->partSize || (u64)nData != n - DC_HDR - nKey) return 0;
  if (memcmp(a + DC_HDR, zKey, nKey) != 0) return 0;
  return dcChecksum(a, zKey, nKey, a + DC_HDR + nKey, nData) == sdbGetU64LE(a + 8);
}

/*
** Read part iPart of zKey into pFile (the whole file). Returns 1 with *pa,
** *pn the part's data (inside pFile, borrowed), 0 on a miss. A file that fails
** its checks is deleted (a miss). SDB_NOMEM is a miss too.
*/
static int dcRead(DcStore *p, const char *zKey, u64 iPart, SdbBuf *pFile, const u8 **pa,
                  size_t *pn) {
  char *zPath = dcPath(p, zKey, iPart);
  int fd = zPath ? open(zPath, O_RDONLY | O_CLOEXEC) : -1;
  struct stat st;
  int bHit = 0;
  if (fd >= 0 && fstat(fd, &st) == 0 && st.st_size <= (off_t)(DC_HDR + 4096 + p->partSize)) {
    size_t n = (size_t)st.st_size;
    pFile->n = 0;
    if (sdbBufReserve(pFile, n + 1) == SDB_OK && pread(fd, pFile->a, n, 0) == (ssize_t)n) {
      bHit = dcValid(p, zKey, iPart, pFile->a, n);
      if (!bHit) unlink(zPath);
    }
    if (bHit) {
      *pn = sdbGetU32LE(pFile->a + 24);
      *pa = pFile->a + DC_HDR + strlen(zKey);
    }
    if (bHit && st.st_mtime + DC_TOUCH_S < time(NULL)) futimens(fd, NULL);
  }
  if (fd >= 0) close(fd);
  sdbFree(zPath);
  return bHit;
}

/* 1 if part iPart of zKey has a file (unchecked). */
static int dcHas(DcStore *p, const char *zKey, u64 iPart) {
  char *zPath = dcPath(p, zKey, iPart);
  int bHas = zPath && access(zPath, F_OK) == 0;
  sdbFree(zPath);
  return bHas;
}

/* ------------------------------------------------------------ eviction */

/* One file of DIR, for eviction. */
typedef struct DcFile {
  i64 mtimeNs;
  u64 size;
  size_t iName;               /* offset of its path in the names buffer */
} DcFile;

static int dcFileCmp(const void *a, const void *b) {
  i64 x = ((const DcFile *)a)->mtimeNs, y = ((const DcFile *)b)->mtimeNs;
  return x < y ? -1 : x > y;
}

/* Add the files of folder zSub of DIR (a store folder: 16 hex digits) to
** pFiles/pNames (as "zSub/name"); delete temp files left for DC_TMP_AGE_S.
** rootFd is DIR, open. The folder is opened without following a symlink and
** its entries are read and deleted relative to it, so a symlink planted in
** DIR never leads outside it. */
static void dcScanFolder(int rootFd, const char *zSub, SdbBuf *pFiles, SdbBuf *pNames) {
  int fd = openat(rootFd, zSub, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
  if (fd >= 0 && !d) close(fd);
  struct dirent *e;
  while (d && (e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.' && strncmp(e->d_name, ".tmp-", 5) != 0) continue;
    struct stat st;
    if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode)) continue;
    if (e->d_name[0] == '.') {
      if (st.st_mtime + DC_TMP_AGE_S < time(NULL)) unlinkat(dirfd(d), e->d_name, 0);
      continue;
    }
    char *zName = sdbMprintf("%s/%s", zSub, e->d_name);
    DcFile f = {(i64)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec, (u64)st.st_size,
                pNames->n};
    if (zName && sdbBufAppend(pNames, zName, strlen(zName) + 1) == SDB_OK) {
      sdbBufAppend(pFiles, &f, sizeof(f));
    }
    sdbFree(zName);
  }
  if (d) closedir(d);
}

/* Delete "sub/name" zRel of DIR (rootFd), without following a symlink for the
** folder. 1 if it is gone. */
static int dcUnlinkRel(int rootFd, const char *zRel) {
  const char *zSlash = strchr(zRel, '/');
  char zSub[32];
  if (!zSlash || (size_t)(zSlash - zRel) >= sizeof(zSub)) return 0;
  memcpy(zSub, zRel, (size_t)(zSlash - zRel));
  zSub[zSlash - zRel] = 0;
  int fd = openat(rootFd, zSub, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return errno == ENOENT;
  int bGone = unlinkat(fd, zSlash + 1, 0) == 0 || errno == ENOENT;
  close(fd);
  return bGone;
}

/* 1 if z is a store folder's name: 16 lowercase hex digits. */
static int dcIsStoreFolder(const char *z) {
  int i = 0;
  for (; i < 16; i++) {
    if (!((z[i] >= '0' && z[i] <= '9') || (z[i] >= 'a' && z[i] <= 'f'))) return 0;
  }
  return z[i] == 0;
}

/*
** Count the bytes of DIR and, if they pass nTarget, delete the least recently
** used files until they do not. Returns the bytes left. Nothing but store
** folders' files is looked at.
*/
static u64 dcTrim(DcStore *p, u64 nTarget) {
  SdbBuf files = {0}, names = {0};
  int rootFd = open(p->zRoot, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR *d = rootFd >= 0 ? fdopendir(dup(rootFd)) : NULL;
  struct dirent *e;
  while (d && (e = readdir(d)) != NULL) {
    if (dcIsStoreFolder(e->d_name)) dcScanFolder(rootFd, e->d_name, &files, &names);
  }
  if (d) closedir(d);
  DcFile *a = (DcFile *)files.a;
  size_t n = files.n / sizeof(DcFile);
  u64 nTotal = 0;
  for (size_t i = 0; i < n; i++) nTotal += a[i].size;
  if (nTotal > nTarget && n > 1) qsort(a, n, sizeof(DcFile), dcFileCmp);
  for (size_t i = 0; i < n && nTotal > nTarget; i++) {
    if (dcUnlinkRel(rootFd, (const char *)names.a + a[i].iName)) nTotal -= a[i].size;
  }
  if (rootFd >= 0) close(rootFd);
  sdbBufFree(&files);
  sdbBufFree(&names);
  return nTotal;
}

static void dcAccount(DcStore *p, u64 n) {
  u64 nTotal = __atomic_add_fetch(&p->nTotal, n, __ATOMIC_RELAXED);
  int bFree = 0;
  if (nTotal <= p->nMax) return;
  if (!__atomic_compare_exchange_n(&p->bEvicting, &bFree, 1, 0, __ATOMIC_ACQUIRE,
                                   __ATOMIC_RELAXED)) {
    return;                                   /* another thread is at it */
  }
  __atomic_store_n(&p->nTotal, dcTrim(p, p->nMax / 10 * 9), __ATOMIC_RELAXED);
  __atomic_store_n(&p->bEvicting, 0, __ATOMIC_RELEASE);
}

/* ------------------------------------------------------------ reads */

/* Write the whole parts of r as parts of zKey (and its last, if short). */
static void dcStoreRange(DcStore *p, const char *zKey, const DcRange *r) {
  u64 P = p->partSize;
  for (u64 i = 0; i * P < r->buf.n; i++) {
    u64 nPart = r->buf.n - i * P < P ? r->buf.n - i * P : P;
    if (nPart == P || r->bShort) dcWrite(p, zKey, r->iOff / P + i, r->buf.a + i * P, nPart);
  }
}

/* Fetch parts [iFirst, iLast] of zKey from the wrapped store into *r and
** write them to disk. SDB_NOTFOUND or an error from the wrapped store. */
static int dcFetch(DcStore *p, const char *zKey, u64 iFirst, u64 iLast, DcRange *r,
                   SdbErr *pErr) {
  u64 P = p->partSize;
  SdbStore *pIn = p->base.pInner;
  r->iOff = iFirst * P;
  int rc = pIn->pMethods->xGet(pIn, zKey, r->iOff, (iLast - iFirst + 1) * P, &r->buf, pErr);
  if (rc != SDB_OK) return rc;
  r->bShort = r->buf.n < (iLast - iFirst + 1) * P;
  DC_STAT_ADD(p, nDiskMiss, iLast - iFirst + 1);
  dcStoreRange(p, zKey, r);
  return SDB_OK;
}

/* Part iPart from r if r holds it: 1 with *pa, *pn; -1 if r shows the object
** ends before it; 0 if r says nothing of it. */
static int dcFromRange(const DcStore *p, const DcRange *r, u64 iPart, const u8 **pa,
                       size_t *pn) {
  u64 P = p->partSize, iOff = iPart * P;
  if (!r || !r->buf.a || iOff < r->iOff) return 0;
  if (iOff >= r->iOff + r->buf.n) return r->bShort ? -1 : 0;
  u64 nLeft = r->iOff + r->buf.n - iOff;
  *pa = r->buf.a + (iOff - r->iOff);
  *pn = nLeft < P ? nLeft : P;
  return 1;
}

/* The last part of [.., end) not on disk at or after iFrom: the end of the
** run of missing parts starting at iFrom. */
static u64 dcRunEnd(DcStore *p, const char *zKey, u64 iFrom, u64 end) {
  u64 iLast = (end - 1) / p->partSize, i = iFrom;
  while (i < iLast && !dcHas(p, zKey, i + 1)) i++;
  return i;
}

/* 1 if zKey's size record says part iPart is past the object's end. */
static int dcPastEnd(DcStore *p, const char *zKey, u64 iPart) {
  SdbBuf file = {0};
  const u8 *a;
  size_t n;
  int bPast = dcRead(p, zKey, DC_SIZE_REC, &file, &a, &n) && n == 8 &&
              iPart * p->partSize >= sdbGetU64LE(a);
  sdbBufFree(&file);
  return bPast;
}

/*
** Bytes [off, end) of zKey into pOut: each part from pPre (an earlier fetch,
** may be NULL), from disk, or fetched with its run of missing parts. A range
** past the object's end is clipped.
*/
static int dcGetRange(DcStore *p, const char *zKey, u64 off, u64 end, const DcRange *pPre,
                      SdbBuf *pOut, SdbErr *pErr) {
  u64 P = p->partSize;
  SdbBuf file = {0};
  DcRange fetched = {0};
  int rc = SDB_OK;
  pOut->n = 0;
  for (u64 i = off / P; rc == SDB_OK && i * P < end; i++) {
    const u8 *a = NULL;
    size_t n = 0;
    int bDisk = 0, r = dcFromRange(p, pPre, i, &a, &n);
    if (r == 0) r = dcFromRange(p, &fetched, i, &a, &n);
    if (r == 0 && (bDisk = dcRead(p, zKey, i, &file, &a, &n)) != 0) r = 1;
    if (r == 0 && dcPastEnd(p, zKey, i)) break;
    if (r == 0) {
      rc = dcFetch(p, zKey, i, dcRunEnd(p, zKey, i, end), &fetched, pErr);
      r = rc == SDB_OK ? dcFromRange(p, &fetched, i, &a, &n) : -1;
    }
    if (r < 0) break;
    u64 iFrom = off > i * P ? off - i * P : 0;
    u64 iTo = end - i * P < n ? end - i * P : n;
    if (iFrom < iTo && (rc = sdbBufAppend(pOut, a + iFrom, iTo - iFrom)) != SDB_OK) {
      rc = SDB_NOMEM_ERR(pErr);
    }
    if (bDisk) {
      DC_STAT_ADD(p, nDiskHit, 1);
      DC_STAT_ADD(p, nDiskBytes, iTo > iFrom ? iTo - iFrom : 0);
    }
    if (n < P) break;                           /* the object's last part */
  }
  sdbBufFree(&file);
  sdbBufFree(&fetched.buf);
  return rc;
}

/* The size of zKey: its size record, else the wrapped store's HEAD (then
** recorded). */
static int dcSize(DcStore *p, const char *zKey, u64 *pnSize, SdbErr *pErr) {
  SdbBuf file = {0};
  const u8 *a;
  size_t n;
  int bHit = dcRead(p, zKey, DC_SIZE_REC, &file, &a, &n) && n == 8;
  if (bHit) *pnSize = sdbGetU64LE(a);
  sdbBufFree(&file);
  if (bHit) return SDB_OK;
  SdbStore *pIn = p->base.pInner;
  int rc = pIn->pMethods->xHead(pIn, zKey, pnSize, pErr);
  if (rc != SDB_OK) return rc;
  u8 aSize[8];
  sdbPutU64LE(aSize, *pnSize);
  dcWrite(p, zKey, DC_SIZE_REC, aSize, 8);
  return SDB_OK;
}

/* The end of [iOff, iOff+nLen) of zKey: for SDB_TO_END, an overflowing or a
** long length (above DC_LONG_PARTS parts), clipped to the object's size, so
** the loops over parts stay as short as the object. */
#define DC_LONG_PARTS 64
static int dcEnd(DcStore *p, const char *zKey, u64 iOff, u64 nLen, u64 *pEnd, SdbErr *pErr) {
  if (nLen <= (u64)DC_LONG_PARTS * p->partSize) {
    *pEnd = iOff + nLen;
    if (*pEnd >= iOff) return SDB_OK;
  }
  int rc = dcSize(p, zKey, pEnd, pErr);
  if (rc == SDB_OK && nLen != SDB_TO_END && iOff + nLen >= iOff && iOff + nLen < *pEnd) {
    *pEnd = iOff + nLen;
  }
  return rc;
}

static int dcGet(SdbStore *pStore, const char *zKey, u64 iOff, u64 nLen, SdbBuf *pOut,
                 SdbErr *pErr) {
  DcStore *p = (DcStore *)pStore;
  SdbStore *pIn = pStore->pInner;
  if (!dcCacheable(zKey) || nLen == 0) {
    return pIn->pMethods->xGet(pIn, zKey, iOff, nLen, pOut, pErr);
  }
  u64 end;
  int rc = dcEnd(p, zKey, iOff, nLen, &end, pErr);
  if (rc == SDB_OK && iOff >= end) pOut->n = 0;
  if (rc == SDB_OK && iOff < end) rc = dcGetRange(p, zKey, iOff, end, NULL, pOut, pErr);
  return rc;
}

/* ------------------------------------------------------------ batches */

/* One request of a batch: how it is served. */
typedef struct DcPlan {
  int bCached;                /* a cacheable key and a non-empty range */
  int bDone;                  /* settled while planning (a[i].rc set) */
  u64 end;                    /* bCached: the end of its range */
  int iInner;                 /* its request of the inner batch, or -1 */
  u64 h;                      /* XXH3 of the key (claims) */
  u64 iClaimLo, iClaimHi;     /* the parts it covers, for claims */
  u64 mClaim;                 /* the parts it claimed (bit i: part iClaimLo + i) */
  int bWait;                  /* some of its parts are being fetched by another batch */
  DcRange fetched;            /* its inner request's bytes, once stored */
} DcPlan;

/* 1 if an inner request of aIn[0..nIn) fetches part iPart of zKey (the
** earlier requests of a batch are finished first, so their parts are on disk
** by the time a later one is). */
static int dcClaimed(const DcStore *p, const SdbGetReq *aIn, int nIn, const char *zKey,
                     u64 iPart) {
  u64 iOff = iPart * p->partSize;
  for (int j = 0; j < nIn; j++) {
    if (aIn[j].iOff <= iOff && iOff - aIn[j].iOff < aIn[j].nLen && strcmp(aIn[j].zKey, zKey) == 0) {
      return 1;
    }
  }
  return 0;
}

/* 1 if part iPart of the key hashed h is claimed. REQUIRES p->mu. */
static int dcInFlight(const DcStore *p, u64 h, u64 iPart) {
  for (int i = 0; i < p->nClaim; i++) {
    if (p->aClaim[i].h == h && p->aClaim[i].iPart == iPart) return 1;
  }
  return 0;
}

/* Claim part i of the plan's key for its inner request, in one step with
** the test (two batches never both claim it): 1 if another batch already
** did (then the caller waits for it), else 0 (claimed, or no room to note
** it: then it is simply fetched). REQUIRES i - pPlan->iClaimLo < 64 to note it. */
static int dcClaim(DcStore *p, DcPlan *pPlan, u64 i) {
  int bOther = 0;
  pthread_mutex_lock(&p->mu);
  if (dcInFlight(p, pPlan->h, i)) {
    bOther = 1;
  } else if (i - pPlan->iClaimLo < 64 && p->nClaim < DC_MAX_CLAIMS) {
    p->aClaim[p->nClaim++] = (DcClaim){pPlan->h, i};
    pPlan->mClaim |= 1ull << (i - pPlan->iClaimLo);
  }
  pthread_mutex_unlock(&p->mu);
  return bOther;
}

/* Give back the plan's claim of part i (found on disk after all). */
static void dcUnclaim(DcStore *p, DcPlan *pPlan, u64 i) {
  u64 k = i - pPlan->iClaimLo;
  if (k >= 64 || !(pPlan->mClaim >> k & 1)) return;
  pthread_mutex_lock(&p->mu);
  for (int j = 0; j < p->nClaim; j++) {
    if (p->aClaim[j].h == pPlan->h && p->aClaim[j].iPart == i) {
      p->aClaim[j] = p->aClaim[--p->nClaim];
      break;
    }
  }
  pthread_cond_broadcast(&p->cond);
  pthread_mutex_unlock(&p->mu);
  pPlan->mClaim &= ~(1ull << k);
}

/* Release the plan's claims (its parts are on disk, or failed) and wake the
** batches that wait for them. */
static void dcRelease(DcStore *p, DcPlan *pPlan) {
  if (pPlan->mClaim == 0) return;
  pthread_mutex_lock(&p->mu);
  for (int i = 0; i < p->nClaim;) {
    DcClaim *c = &p->aClaim[i];
    u64 k = c->iPart - pPlan->iClaimLo;
    if (c->h == pPlan->h && c->iPart >= pPlan->iClaimLo && k < 64 && (pPlan->mClaim >> k & 1)) {
      *c = p->aClaim[--p->nClaim];
    } else {
      i++;
    }
  }
  pthread_cond_broadcast(&p->cond);
  pthread_mutex_unlock(&p->mu);
  pPlan->mClaim = 0;
}

/* Wait (at most DC_WAIT_MS) until no other batch fetches a part of
** [lo, hi] of the plan's key; what is then still missing is fetched by the
** read that follows. */
static void dcAwait(DcStore *p, const DcPlan *pPlan, u64 lo, u64 hi) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  ts.tv_sec += DC_WAIT_MS / 1000;
  pthread_mutex_lock(&p->mu);
  for (;;) {
    int bBusy = 0;
    for (u64 i = lo; i <= hi && !bBusy; i++) bBusy = dcInFlight(p, pPlan->h, i);
    if (!bBusy || pthread_cond_timedwait(&p->cond, &p->mu, &ts) != 0) break;
  }
  pthread_mutex_unlock(&p->mu);
}

/* Plan request *q: its end, and the inner request it needs (added as
** aIn[*pnIn]) if it is not cached or some of its parts are missing (on disk
** nor fetched by an earlier request of the batch). */
static int dcPlan(DcStore *p, const SdbGetReq *q, DcPlan *pPlan, SdbGetReq *aIn, int *pnIn,
                  SdbErr *pErr) {
  u64 P = p->partSize;
  SdbGetReq *pIn = &aIn[*pnIn];
  memset(pPlan, 0, sizeof(*pPlan));
  memset(pIn, 0, sizeof(*pIn));
  pPlan->iInner = -1;
  pIn->zKey = q->zKey;
  pIn->pCancel = q->pCancel;
  pPlan->bCached = dcCacheable(q->zKey) && q->nLen != 0;
  if (!pPlan->bCached) {
    pIn->iOff = q->iOff;
    pIn->nLen = q->nLen;
    pPlan->iInner = (*pnIn)++;
    return SDB_OK;
  }
  int rc = dcEnd(p, q->zKey, q->iOff, q->nLen, &pPlan->end, pErr);
  if (rc != SDB_OK || q->iOff >= pPlan->end) return rc;
  u64 iLast = (pPlan->end - 1) / P, iMiss = UINT64_MAX, iMissEnd = 0;
  pPlan->h = XXH3_64bits(q->zKey, strlen(q->zKey));
  pPlan->iClaimLo = q->iOff / P;
  pPlan->iClaimHi = iLast;
  for (u64 i = q->iOff / P; i <= iLast; i++) {
    if (dcClaimed(p, aIn, *pnIn, q->zKey, i) || dcHas(p, q->zKey, i)) continue;
    if (dcClaim(p, pPlan, i)) {   /* another batch fetches it: wait for it */
      pPlan->bWait = 1;
      continue;
    }
    if (dcHas(p, q->zKey, i)) {   /* stored by a batch that ended since the test above */
      dcUnclaim(p, pPlan, i);
      continue;
    }
    if (iMiss == UINT64_MAX) iMiss = i;
    iMissEnd = i;
  }
  if (iMiss == UINT64_MAX) return SDB_OK;
  pIn->iOff = iMiss * P;
  pIn->nLen = (iMissEnd - iMiss + 1) * P;
  pPlan->iInner = (*pnIn)++;
  return SDB_OK;
}

/* First step of finishing a cached request once the inner batch is done:
** write the parts its inner request pIn fetched (its buffer is taken into
** pPlan->fetched) and release its claims, failed or not. */
static void dcStoreFetched(DcStore *p, const SdbGetReq *q, DcPlan *pPlan, SdbGetReq *pIn) {
  if (pIn && pPlan->bCached && pIn->rc == SDB_OK && q->iOff < pPlan->end) {
    DcRange *r = &pPlan->fetched;
    r->iOff = pIn->iOff;
    r->buf = pIn->out;
    r->bShort = pIn->out.n < pIn->nLen;
    memset(&pIn->out, 0, sizeof(pIn->out));
    DC_STAT_ADD(p, nDiskMiss, pIn->nLen / p->partSize);
    dcStoreRange(p, q->zKey, r);
  }
  dcRelease(p, pPlan);
}

/* Finish request *q from its plan and its inner request pIn (NULL if it had
** none), after dcStoreFetched: parts another batch was fetching are waited
** for, then read from disk. */
static int dcFinish(DcStore *p, SdbGetReq *q, DcPlan *pPlan, SdbGetReq *pIn, SdbErr *pErr) {
  if (pIn && (!pPlan->bCached || pIn->rc != SDB_OK)) {   /* passed through, or failed */
    sdbBufFree(&q->out);
    q->out = pIn->out;
    memset(&pIn->out, 0, sizeof(pIn->out));
    return pIn->rc;
  }
  if (q->iOff >= pPlan->end) {
    q->out.n = 0;
    return SDB_OK;
  }
  if (pPlan->bWait) dcAwait(p, pPlan, q->iOff / p->partSize, (pPlan->end - 1) / p->partSize);
  int rc = dcGetRange(p, q->zKey, q->iOff, pPlan->end, pIn ? &pPlan->fetched : NULL, &q->out,
                      pErr);
  sdbBufFree(&pPlan->fetched.buf);
  return rc;
}

/* Record the first failure of a batch: rc with err (or a message naming zKey). */
static void dcBatchErr(int rc, const SdbErr *pErr, const char *zKey, int *prcFirst,
                       SdbErr *pOut) {
  if (rc == SDB_OK || rc == SDB_NOTFOUND || *prcFirst != SDB_OK) return;
  *prcFirst = rc;
  if (pErr->zMsg[0]) {
    if (pOut) *pOut = *pErr;
  } else {
    sdbErrSet(pOut, rc, "disk cache: reading %s failed", zKey);
  }
}

static int dcGetMany(SdbStore *pStore, SdbGetReq *a, int n, SdbErr *pErr) {
  DcStore *p = (DcStore *)pStore;
  SdbGetReq *aIn = sdbMallocZero(sizeof(SdbGetReq) * (size_t)(n ? n : 1));
  DcPlan *aPlan = sdbMallocZero(sizeof(DcPlan) * (size_t)(n ? n : 1));
  int nIn = 0, rcFirst = SDB_OK;
  if (!aIn || !aPlan) {
    sdbFree(aIn);
    sdbFree(aPlan);
    for (int i = 0; i < n; i++) a[i].rc = SDB_NOMEM;
    return SDB_NOMEM_ERR(pErr);
  }
  for (int i = 0; i < n; i++) {
    SdbErr err = {0};
    a[i].rc = dcPlan(p, &a[i], &aPlan[i], aIn, &nIn, &err);
    aPlan[i].bDone = a[i].rc != SDB_OK;
    dcBatchErr(a[i].rc, &err, a[i].zKey, &rcFirst, pErr);
  }
  SdbErr errIn = {0};
  if (nIn > 0) sdbStoreGetMany(pStore->pInner, aIn, nIn, &errIn);
  /* Every part of the batch is stored and released before any request waits
  ** for another batch's parts, so two batches never wait for each other. */
  for (int i = 0; i < n; i++) {
    dcStoreFetched(p, &a[i], &aPlan[i], aPlan[i].iInner >= 0 ? &aIn[aPlan[i].iInner] : NULL);
  }
  for (int i = 0; i < n; i++) {
    if (aPlan[i].bDone) continue;
    SdbErr err = {0};
    SdbGetReq *pIn = aPlan[i].iInner >= 0 ? &aIn[aPlan[i].iInner] : NULL;
    a[i].rc = dcFinish(p, &a[i], &aPlan[i], pIn, &err);
    dcBatchErr(a[i].rc, pIn && pIn->rc ? &errIn : &err, a[i].zKey, &rcFirst, pErr);
  }
  for (int i = 0; i < nIn; i++) sdbBufFree(&aIn[i].out);
  sdbFree(aIn);
  sdbFree(aPlan);
  return rcFirst;
}

/* ------------------------------------------------------------ the rest */

static int dcHead(SdbStore *pStore, const char *zKey, u64 *pnSize, SdbErr *pErr) {
  SdbStore *pIn = pStore->pInner;
  if (dcCacheable(zKey)) return dcSize((DcStore *)pStore, zKey, pnSize, pErr);
  return pIn->pMethods->xHead(pIn, zKey, pnSize, pErr);
}

static int dcPut(SdbStore *pStore, const char *zKey, const u8 *a, size_t n, int bIfAbsent,
                 SdbErr *pErr) {
  SdbStore *pIn = pStore->pInner;
  return pIn->pMethods->xPut(pIn, zKey, a, n, bIfAbsent, pErr);
}

static int dcPutOnce(SdbStore *pStore, const char *zKey, const u8 *a, size_t n,
                     const char *zPutId, SdbErr *pErr) {
  SdbStore *pIn = pStore->pInner;
  return pIn->pMethods->xPutOnce(pIn, zKey, a, n, zPutId, pErr);
}

static int dcList(SdbStore *pStore, const char *zPrefix, SdbObjList *pOut, SdbErr *pErr) {
  SdbStore *pIn = pStore->pInner;
  return pIn->pMethods->xList(pIn, zPrefix, pOut, pErr);
}

/* Delete the cached files of zKey: its size record and every part. */
static void dcDrop(DcStore *p, const char *zKey) {
  char *zHead = dcPath(p, zKey, DC_SIZE_REC);
  if (!zHead) return;
  unlink(zHead);
  size_t nStem = strlen(zHead) - 1;              /* ".../<escaped>." */
  zHead[nStem] = 'p';
  const char *zStem = zHead + strlen(p->zDir);    /* "<escaped>.p" */
  size_t nName = strlen(zStem);
  DIR *d = opendir(p->zDir);
  struct dirent *e;
  while (d && (e = readdir(d)) != NULL) {
    if (strncmp(e->d_name, zStem, nName) != 0) continue;
    const char *z = e->d_name + nName;
    if (!*z || strspn(z, "0123456789") != strlen(z)) continue;
    char *zPath = sdbMprintf("%s%s", p->zDir, e->d_name);
    if (zPath) unlink(zPath);
    sdbFree(zPath);
  }
  if (d) closedir(d);
  sdbFree(zHead);
}

static int dcDelete(SdbStore *pStore, const char *zKey, SdbErr *pErr) {
  SdbStore *pIn = pStore->pInner;
  int rc = pIn->pMethods->xDelete(pIn, zKey, pErr);
  if (rc == SDB_OK && dcCacheable(zKey)) dcDrop((DcStore *)pStore, zKey);
  return rc;
}

static void dcFree(SdbStore *pStore) {
  DcStore *p = (DcStore *)pStore;
  sdbStoreFree(pStore->pInner);
  sdbFree(pStore->zDescr);
  sdbFree(p->zRoot);
  sdbFree(p->zDir);
  pthread_mutex_destroy(&p->mu);
  pthread_cond_destroy(&p->cond);
  sdbFree(p);
}

/* mkdir zPath unless it exists as a directory. With bOwn (a store folder in
** DIR) it must be a real directory, not a symlink, owned by this user and
** writable by no one else: another user who could write parts there could
** feed this process data (the checksums catch accidents, not forgeries). */
static int dcMkdir(const char *zPath, int bOwn, SdbErr *pErr) {
  struct stat st;
  if (mkdir(zPath, 0755) != 0 && errno != EEXIST) {
    return sdbErrSet(pErr, SDB_CANTOPEN, "disk cache: cannot create directory %s: %s", zPath,
                     strerror(errno));
  }
  int rc = bOwn ? lstat(zPath, &st) : stat(zPath, &st);
  if (rc != 0 || !S_ISDIR(st.st_mode)) {
    return sdbErrSet(pErr, SDB_CANTOPEN, "disk cache: %s is not a directory%s", zPath,
                     bOwn ? " (a symlink or a file is in the way)" : " (a file is in the way)");
  }
  if (bOwn && (st.st_uid != geteuid() || (st.st_mode & 022) != 0)) {
    return sdbErrSet(pErr, SDB_PERM, "disk cache: %s belongs to another user or is writable by"
                     " others; use a cache directory only this user writes", zPath);
  }
  return SDB_OK;
}

int sdbStoreWrapDiskCache(SdbStore **ppStore, const char *zDir, u64 nMaxBytes, u32 partSize,
                          SdbErr *pErr) {
  SdbStore *pIn = *ppStore;
  if (!zDir[0]) return sdbErrSet(pErr, SDB_ERROR, "disk cache: the directory name is empty");
  DcStore *p = sdbMallocZero(sizeof(*p));
  const char *zId = pIn->zDescr ? pIn->zDescr : "";
  if (p) {
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cond, NULL);
    p->zRoot = sdbStrdup(zDir);
    p->zDir = sdbMprintf("%s/%016llx/", zDir, (unsigned long long)XXH3_64bits(zId, strlen(zId)));
    p->base.zDescr = sdbStrdup(zId);
  }
  if (!p || !p->zRoot || !p->zDir || !p->base.zDescr) {
    if (p) dcFree(&p->base);
    return SDB_NOMEM_ERR(pErr);
  }
  p->zDir[strlen(p->zDir) - 1] = 0;
  int rc = dcMkdir(zDir, 0, pErr);
  if (rc == SDB_OK) rc = dcMkdir(p->zDir, 1, pErr);
  p->zDir[strlen(p->zDir)] = '/';
  if (rc != SDB_OK) {
    dcFree(&p->base);
    return rc;
  }
  p->partSize = partSize ? partSize : SDB_DISKCACHE_PART;
  p->nMax = nMaxBytes ? nMaxBytes : SDB_DISKCACHE_DEFAULT_MAX;
  p->methods = (SdbStoreMethods){dcGet, dcHead, dcPut, dcList, dcDelete, dcFree, dcGetMany,
                                 pIn->pMethods->xPutOnce ? dcPutOnce : NULL,
                                 NULL};   /* xListTop: sdbStoreListTop asks pIn */
  p->base.pMethods = &p->methods;
  p->nTotal = dcTrim(p, p->nMax);
  p->base.pInner = pIn;
  *ppStore = &p->base;
  return SDB_OK;
}
