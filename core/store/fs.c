/*
** fs.c: the local-directory object store (the embedded default).
**
** An object with key "wal/00000000000000000001.sst" is the file
** <root>/wal/00000000000000000001.sst. Keys are checked so that nothing outside
** <root> is ever touched: no empty components, no "." or "..", no leading '/',
** no NUL. Writes go to a hidden temporary file in the target directory which is
** fdatasync'd and then published atomically: rename() for plain PUTs,
** renameat2(RENAME_NOREPLACE) for create-only PUTs (link() and unlink() where
** the file system lacks it; both fail with EEXIST when the object exists,
** which is the create-only semantics SlateDB's fencing relies on). The
** directory is fsync'd after publishing, before the PUT returns. Listing skips
** hidden files (names starting with '.'), so a crash never exposes a
** half-written object.
**
** A create-only PUT (a WAL object, a manifest) asks the spare thread for the
** temp file of the next one into its folder (fsSpareMain): created, fsync'd
** and its folder opened off the commit path, so the next commit only writes,
** fdatasyncs, renames and fsyncs the folder.
**
** Ranged reads of ".sst" objects (immutable once published) go through a small
** per-store cache of open file descriptors (FS_FD_CACHE_N entries, LRU, reference
** counted, guarded by FsStore.mu); any PUT or DELETE of a key drops its entry.
*/
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "store/objstore.h"

#define FS_FD_CACHE_N 32      /* open descriptors cached per store */

/* One cached descriptor. A slot is free when zKey is NULL. */
typedef struct FsFd {
  u64 h;                  /* fsKeyHash(zKey) */
  char *zKey;             /* sdbMalloc'd copy of the key, owned by the slot */
  int fd;                 /* open O_RDONLY descriptor, owned by the slot */
  u64 size;               /* file size from fstat() at open */
  int nRef;               /* readers currently using fd */
  int bDead;              /* invalidated while in use: last reader closes it */
  u64 iLru;               /* FsStore.iClock at the last use */
} FsFd;

/* A temporary file of a PUT: the spare (fsSpareMain) or the PUT's own. */
typedef struct FsTemp {
  char *zDir;             /* its directory's path, sdbMalloc'd (the spare's; else NULL) */
  char *zTmp;             /* its path, sdbMalloc'd with room for the name; "" once it
                          ** needs no unlink (published, or never created) */
  int fd;                 /* open for writing, or -1 */
  int dirFd;              /* its directory, open (the spare's), or -1 */
} FsTemp;

/* States of FsStore.sp. */
#define FS_SPARE_NONE   0   /* empty slot */
#define FS_SPARE_WANTED 1   /* asked for: zDir and zTmp's room set, the thread makes it */
#define FS_SPARE_MAKING 2   /* the thread is creating it (paths owned by the slot) */
#define FS_SPARE_READY  3   /* made: fd and dirFd open */
#define FS_SPARE_FAILED 4   /* the thread could not make it: paths only */

typedef struct FsStore {
  SdbStore base;          /* must be first */
  char *zRoot;            /* absolute or relative root path, no trailing '/' */
  int bReadOnly;          /* refuse PUT and DELETE */
  pthread_mutex_t mu;     /* guards aFd[], iClock and iGen */
  FsFd aFd[FS_FD_CACHE_N];  /* the descriptor cache */
  u64 iClock;             /* LRU clock, bumped on every cache hit or insert */
  u64 iGen;               /* bumped on every invalidation */
  pthread_mutex_t muSp;   /* guards sp, eSp, hLastDir, bSpStop (and thSp's start) */
  pthread_cond_t cvSp;    /* signalled when eSp changes or bSpStop is set */
  FsTemp sp;              /* the spare temp file (see fsSpareMain), owned by the store */
  int eSp;                /* FS_SPARE_* */
  u64 hLastDir;           /* fsDirHash of the directory of the last create-only PUT */
  int bSpThread;          /* thSp runs */
  int bSpStop;            /* fsFree asked thSp to exit */
  pthread_t thSp;         /* the spare thread, started by the first create-only PUT */
  int pidSp;              /* the process thSp runs in (atomic; 0 before it starts): a
                          ** child of a fork has no thread and must not share the spare */
} FsStore;

/* A descriptor borrowed for one read: either a cache slot or a private fd. */
typedef struct FsFdRef {
  int fd;                 /* descriptor to pread() */
  u64 size;               /* file size from fstat() */
  int iSlot;              /* index in aFd[] holding a reference, or -1 if fd is private */
} FsFdRef;

/* Count on the store and on the calling thread's cost record (sdb_cost_attach). */
#define STAT_ADD(p, f, v)                                            \
  do {                                                               \
    __atomic_add_fetch(&(p)->base.stats.f, (v), __ATOMIC_RELAXED);   \
    SDB_COST_ADD(f, (v));                                            \
  } while (0)

/* ------------------------------------------------------------ paths */

/* True if zKey is a safe relative key: components separated by single '/',
** none empty, none "." or "..", none starting with '.' (hidden names are
** reserved for temporary files). zKey may end with '/' only if bPrefix. */
static int fsKeyIsSafe(const char *zKey, int bPrefix) {
  const char *z = zKey;
  if (*z == 0) return bPrefix;
  for (;;) {
    const char *zEnd = strchr(z, '/');
    size_t n = zEnd ? (size_t)(zEnd - z) : strlen(z);
    if (n == 0) return bPrefix && zEnd == NULL;
    if (z[0] == '.') return 0;
    if (!zEnd) return 1;
    z = zEnd + 1;
    if (*z == 0) return bPrefix;
  }
}

/* Full path of zKey. Returns an sdbMalloc'd string (caller frees) or NULL. */
static char *fsPath(FsStore *p, const char *zKey) {
  return sdbMprintf("%s/%s", p->zRoot, zKey);
}

static int fsErrno(SdbErr *pErr, const char *zOp, const char *zPath) {
  int e = errno;
  int rc = (e == ENOENT) ? SDB_NOTFOUND
         : (e == EACCES || e == EPERM) ? SDB_CANTOPEN
         : (e == ENOMEM) ? SDB_NOMEM : SDB_IOERR;
  return sdbErrSet(pErr, rc, "%s %s: %s", zOp, zPath, strerror(e));
}

static int fsBadKey(SdbErr *pErr, const char *zKey) {
  return sdbErrSet(pErr, SDB_MISUSE, "object key \"%s\" is not a safe relative key", zKey);
}

/* ------------------------------------------------------------ fd cache */

/* FNV-1a 64 of the NUL-terminated zKey. */
static u64 fsKeyHash(const char *zKey) {
  u64 h = 0xcbf29ce484222325ULL;
  for (const u8 *z = (const u8 *)zKey; *z; z++) {
    h ^= *z;
    h *= 0x100000001b3ULL;
  }
  return h;
}

/* True if zKey names an SST object (ends in ".sst"): immutable once
** published, so its descriptor may be cached. */
static int fsKeyIsCacheable(const char *zKey) {
  size_t n = strlen(zKey);
  return n >= 4 && memcmp(zKey + n - 4, ".sst", 4) == 0;
}

/* Index of the live (not dead) slot holding zKey, or -1.
** REQUIRES: p->mu is held. */
static int fsFdFind(FsStore *p, const char *zKey, u64 h) {
  for (int i = 0; i < FS_FD_CACHE_N; i++) {
    FsFd *e = &p->aFd[i];
    if (e->zKey && !e->bDead && e->h == h && strcmp(e->zKey, zKey) == 0) return i;
  }
  return -1;
}

/* Empty slot i and return its descriptor, which the caller must close (after
** releasing p->mu). REQUIRES: p->mu is held, slot i is in use, nRef == 0. */
static int fsFdClear(FsStore *p, int i) {
  FsFd *e = &p->aFd[i];
  int fd = e->fd;
  sdbFree(e->zKey);
  memset(e, 0, sizeof(*e));
  e->fd = -1;
  return fd;
}

/* A slot for a new entry: a free one, else the least recently used entry
** with no readers, which is emptied and its descriptor stored in *pfdEvict
** (caller closes it after releasing p->mu; -1 if none). Returns -1 if every
** slot is in use. REQUIRES: p->mu is held. */
static int fsFdVictim(FsStore *p, int *pfdEvict) {
  int iBest = -1;
  *pfdEvict = -1;
  for (int i = 0; i < FS_FD_CACHE_N; i++) {
    FsFd *e = &p->aFd[i];
    if (!e->zKey) return i;
    if (e->nRef == 0 && (iBest < 0 || e->iLru < p->aFd[iBest].iLru)) iBest = i;
  }
  if (iBest >= 0) *pfdEvict = fsFdClear(p, iBest);
  return iBest;
}

/* Try to take a reference on the cached descriptor of zKey. Returns 1 and
** fills *pRef on a hit; 0 on a miss, with *piGen set to the generation to pass
** to fsFdInsert. REQUIRES: zKey is cacheable. */
static int fsFdLookup(FsStore *p, const char *zKey, u64 h, FsFdRef *pRef, u64 *piGen) {
  pthread_mutex_lock(&p->mu);
  int i = fsFdFind(p, zKey, h);
  if (i >= 0) {
    FsFd *e = &p->aFd[i];
    e->nRef++;
    e->iLru = ++p->iClock;
    pRef->fd = e->fd;
    pRef->size = e->size;
    pRef->iSlot = i;
  }
  *piGen = p->iGen;
  pthread_mutex_unlock(&p->mu);
  return i >= 0;
}

/* Offer the freshly opened pRef->fd for zKey to the cache. On success the
** slot owns the descriptor, holds one reference for the caller, and
** pRef->iSlot is set. The fd stays private (iSlot == -1) when: out of memory,
** an invalidation ran since fsFdLookup returned iGen (the fd may name a
** replaced or deleted file), zKey was cached meanwhile by another reader, or
** every slot is in use. */
static void fsFdInsert(FsStore *p, const char *zKey, u64 h, u64 iGen, FsFdRef *pRef) {
  char *zCopy = sdbStrdup(zKey);
  int fdEvict = -1;
  if (!zCopy) return;
  pthread_mutex_lock(&p->mu);
  int i = (p->iGen == iGen && fsFdFind(p, zKey, h) < 0) ? fsFdVictim(p, &fdEvict) : -1;
  if (i >= 0) {
    FsFd *e = &p->aFd[i];
    e->h = h;
    e->zKey = zCopy;
    e->fd = pRef->fd;
    e->size = pRef->size;
    e->nRef = 1;
    e->bDead = 0;
    e->iLru = ++p->iClock;
    pRef->iSlot = i;
    zCopy = NULL;
  }
  pthread_mutex_unlock(&p->mu);
  if (fdEvict >= 0) close(fdEvict);
  sdbFree(zCopy);
}

/* Drop the reference taken by fsFdAcquire: close a private descriptor, or
** release the slot (closing it if it was invalidated and this was its last
** reader). */
static void fsFdRelease(FsStore *p, FsFdRef *pRef) {
  int fdClose = pRef->iSlot < 0 ? pRef->fd : -1;
  if (pRef->iSlot >= 0) {
    pthread_mutex_lock(&p->mu);
    FsFd *e = &p->aFd[pRef->iSlot];
    if (--e->nRef == 0 && e->bDead) fdClose = fsFdClear(p, pRef->iSlot);
    pthread_mutex_unlock(&p->mu);
  }
  if (fdClose >= 0) close(fdClose);
  pRef->fd = -1;
  pRef->iSlot = -1;
}

/* Drop the cache entry of zKey, if any, after a PUT or DELETE of zKey. An
** entry in use is marked dead; its last reader closes it. Must run after the
** file system change, so a reader that opened the old file before it can no
** longer insert it (iGen). */
static void fsFdInvalidate(FsStore *p, const char *zKey) {
  if (!fsKeyIsCacheable(zKey)) return;
  u64 h = fsKeyHash(zKey);
  int fdClose = -1;
  pthread_mutex_lock(&p->mu);
  p->iGen++;
  int i = fsFdFind(p, zKey, h);
  if (i >= 0) {
    if (p->aFd[i].nRef == 0) fdClose = fsFdClear(p, i);
    else p->aFd[i].bDead = 1;
  }
  pthread_mutex_unlock(&p->mu);
  if (fdClose >= 0) close(fdClose);
}

/* Close every cached descriptor and free the keys.
** REQUIRES: no read is in progress on p. */
static void fsFdCacheClear(FsStore *p) {
  for (int i = 0; i < FS_FD_CACHE_N; i++) {
    if (p->aFd[i].zKey) close(fsFdClear(p, i));
  }
}

/* Get a descriptor and the size of zKey for one read: from the cache for
** ".sst" keys (no path is built then), else by open() + fstat(). On success
** the caller must pass *pRef to fsFdRelease. On error nothing is held or
** cached and pErr names the full path. */
static int fsFdAcquire(FsStore *p, const char *zKey, FsFdRef *pRef, SdbErr *pErr) {
  int bCache = fsKeyIsCacheable(zKey);
  u64 h = bCache ? fsKeyHash(zKey) : 0;
  u64 iGen = 0;
  pRef->fd = -1;
  pRef->size = 0;
  pRef->iSlot = -1;
  if (bCache && fsFdLookup(p, zKey, h, pRef, &iGen)) return SDB_OK;
  char *zPath = fsPath(p, zKey);
  if (!zPath) return SDB_NOMEM_ERR(pErr);
  struct stat st;
  int rc = SDB_OK;
  int fd = open(zPath, O_RDONLY | O_CLOEXEC);
  if (fd < 0 || fstat(fd, &st) != 0) {
    rc = fsErrno(pErr, "read", zPath);
    if (fd >= 0) close(fd);
  } else {
    pRef->fd = fd;
    pRef->size = (u64)st.st_size;
    if (bCache) fsFdInsert(p, zKey, h, iGen, pRef);
  }
  sdbFree(zPath);
  return rc;
}

/* Set pErr for a failed read of zKey (errno, or an early end of file with
** bEof), naming its full path, and return the rc. */
static int fsReadError(FsStore *p, const char *zKey, int bEof, SdbErr *pErr) {
  int e = errno;
  char *zPath = fsPath(p, zKey);
  const char *z = zPath ? zPath : zKey;
  errno = e;
  int rc = bEof ? sdbErrSet(pErr, SDB_IOERR, "read %s: unexpected end of file", z)
                : fsErrno(pErr, "read", z);
  sdbFree(zPath);
  return rc;
}

/* ------------------------------------------------------------ methods */

/* Read [iOff, iOff+nLen) of zKey into pOut, clipped at the end of the object.
** pOut is owned by the caller; its contents are replaced on success. */
static int fsGet(SdbStore *pStore, const char *zKey, u64 iOff, u64 nLen, SdbBuf *pOut,
                 SdbErr *pErr) {
  FsStore *p = (FsStore *)pStore;
  if (!fsKeyIsSafe(zKey, 0)) return fsBadKey(pErr, zKey);
  FsFdRef ref;
  STAT_ADD(p, nGet, 1);
  int rc = fsFdAcquire(p, zKey, &ref, pErr);
  if (rc) return rc;
  u64 size = ref.size;
  u64 n = iOff >= size ? 0 : SDB_MIN(nLen, size - iOff);
  pOut->n = 0;
  if (sdbBufReserve(pOut, (size_t)n)) {
    rc = SDB_NOMEM_ERR(pErr);
    goto release;
  }
  while (pOut->n < n) {
    ssize_t got = pread(ref.fd, pOut->a + pOut->n, (size_t)(n - pOut->n), (off_t)(iOff + pOut->n));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) {
      rc = fsReadError(p, zKey, got == 0, pErr);
      goto release;
    }
    pOut->n += (size_t)got;
  }
  STAT_ADD(p, nBytesIn, n);
release:
  fsFdRelease(p, &ref);
  return rc;
}

static int fsHead(SdbStore *pStore, const char *zKey, u64 *pnSize, SdbErr *pErr) {
  FsStore *p = (FsStore *)pStore;
  if (!fsKeyIsSafe(zKey, 0)) return fsBadKey(pErr, zKey);
  char *zPath = fsPath(p, zKey);
  if (!zPath) return SDB_NOMEM_ERR(pErr);
  struct stat st;
  int rc = SDB_OK;
  STAT_ADD(p, nHead, 1);
  if (stat(zPath, &st) != 0) rc = fsErrno(pErr, "stat", zPath);
  else *pnSize = (u64)st.st_size;
  sdbFree(zPath);
  return rc;
}

/* mkdir -p for the directories of zKey below the root. */
static int fsMakeParents(FsStore *p, const char *zKey, SdbErr *pErr) {
  char *zPath = fsPath(p, zKey);
  if (!zPath) return SDB_NOMEM_ERR(pErr);
  int rc = SDB_OK;
  size_t nRoot = strlen(p->zRoot);
  for (char *z = zPath + nRoot + 1; (z = strchr(z, '/')) != NULL; z++) {
    *z = 0;
    if (mkdir(zPath, 0777) != 0 && errno != EEXIST) {
      rc = fsErrno(pErr, "mkdir", zPath);
      break;
    }
    *z = '/';
  }
  sdbFree(zPath);
  return rc;
}

/* fsync the directory of zFile (cut at its last '/' for the call, then
** restored), through dirFd when it is open (>= 0) on that directory.
** Allocates nothing: it runs after the object was published, when a failure
** would misreport a stored object as not stored. */
static int fsSyncDir(char *zFile, int dirFd) {
  if (dirFd >= 0) return fsync(dirFd) == 0 ? SDB_OK : SDB_IOERR;
  char *zSlash = strrchr(zFile, '/');
  if (zSlash) *zSlash = 0;
  int fd = open(zSlash ? zFile : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (zSlash) *zSlash = '/';
  int rc = (fd >= 0 && fsync(fd) == 0) ? SDB_OK : SDB_IOERR;
  if (fd >= 0) close(fd);
  return rc;
}

/* ------------------------------------------------------------ temp files */

/* Room fsTempName needs after the directory's path. */
#define FS_TMP_NAME_MAX 80

/* Write the path of a new temp file of directory zDir[0..nDir) into
** z[0..nDir+FS_TMP_NAME_MAX): "<dir>/.tmp-<pid>-<n>-<time>" (fsIsTempName),
** unique in this process by its counter. */
static void fsTempName(char *z, const char *zDir, int nDir) {
  static unsigned int iCounter = 0;
  struct timeval tv;
  gettimeofday(&tv, NULL);
  unsigned int iSeq = __atomic_add_fetch(&iCounter, 1, __ATOMIC_RELAXED);
  snprintf(z, (size_t)nDir + FS_TMP_NAME_MAX, "%.*s/.tmp-%d-%u-%ld%06ld", nDir, zDir,
           (int)getpid(), iSeq, (long)tv.tv_sec, (long)tv.tv_usec);
}

/* Close t's descriptors (those >= 0) and free its strings; with bUnlink also
** remove its temp file. t is left empty. */
static void fsTempDiscard(FsTemp *t, int bUnlink) {
  if (t->fd >= 0) close(t->fd);
  if (t->dirFd >= 0) close(t->dirFd);
  if (bUnlink && t->zTmp && t->zTmp[0]) unlink(t->zTmp);
  sdbFree(t->zTmp);
  sdbFree(t->zDir);
  memset(t, 0, sizeof(*t));
  t->fd = t->dirFd = -1;
}

/* Create a new hidden temp file next to zPath into *t (fd open for writing,
** no dirFd), the caller thread's way. Caller owns *t (fsTempDiscard). */
static int fsTempCreate(const char *zPath, FsTemp *t, SdbErr *pErr) {
  const char *zSlash = strrchr(zPath, '/');
  int nDir = zSlash ? (int)(zSlash - zPath) : 0;
  memset(t, 0, sizeof(*t));
  t->fd = t->dirFd = -1;
  t->zTmp = sdbMalloc((size_t)nDir + FS_TMP_NAME_MAX);
  if (!t->zTmp) return SDB_NOMEM_ERR(pErr);
  fsTempName(t->zTmp, zPath, nDir);
  t->fd = open(t->zTmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (t->fd < 0) {
    int rc = fsErrno(pErr, "create", t->zTmp);
    t->zTmp[0] = 0;   /* nothing to unlink */
    fsTempDiscard(t, 0);
    return rc;
  }
  return SDB_OK;
}

/* ------------------------------------------------------------ the spare */

/* The spare thread (fsSpareMain) makes, ahead of a PUT, the temp file the
** next PUT into the same directory will write: created, fsync'd (its
** directory entry durable) and its directory opened, off the commit path.
** A PUT takes the spare of its directory (waiting for it while it is being
** made), asks for the next one, and only writes, fdatasyncs, renames and
** fsyncs the directory. A spare left by a crash is an empty temp file, never
** listed and swept like any other (sdbStoreSweepTemp). */

/* The thread's body: make the spare asked for (p->sp, FS_SPARE_WANTED), until
** fsFree stops it. Allocates nothing (the asker allocated the paths). */
static void *fsSpareMain(void *pArg) {
  FsStore *p = pArg;
  pthread_mutex_lock(&p->muSp);
  for (;;) {
    while (!p->bSpStop && p->eSp != FS_SPARE_WANTED) pthread_cond_wait(&p->cvSp, &p->muSp);
    if (p->bSpStop) break;
    FsTemp *t = &p->sp;
    p->eSp = FS_SPARE_MAKING;   /* t's paths stay put until the state changes */
    pthread_mutex_unlock(&p->muSp);
    fsTempName(t->zTmp, t->zDir, (int)strlen(t->zDir));
    int fd = open(t->zTmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    int bOk = fd >= 0 && fsync(fd) == 0;
    int dirFd = bOk ? open(t->zDir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
    if (fd >= 0 && dirFd < 0) {
      close(fd);
      unlink(t->zTmp);
      fd = -1;
    }
    pthread_mutex_lock(&p->muSp);
    t->fd = fd;
    t->dirFd = dirFd;
    p->eSp = fd >= 0 ? FS_SPARE_READY : FS_SPARE_FAILED;
    pthread_cond_broadcast(&p->cvSp);
  }
  pthread_mutex_unlock(&p->muSp);
  return NULL;
}

/* Whether t's directory is the one of zPath (its prefix up to the last '/'). */
static int fsSameDir(const FsTemp *t, const char *zPath) {
  const char *zSlash = strrchr(zPath, '/');
  size_t n = zSlash ? (size_t)(zSlash - zPath) : 0;
  return t->zDir && strlen(t->zDir) == n && memcmp(t->zDir, zPath, n) == 0;
}

/* Whether this process is a fork child of the one whose thread made the
** spare: it must neither use the spare (one open file description shared
** with the parent, which would write it too) nor wait for that thread. */
static int fsSpareForeign(FsStore *p) {
  int pid = __atomic_load_n(&p->pidSp, __ATOMIC_ACQUIRE);
  return pid != 0 && pid != (int)getpid();
}

/* Take the spare made for zPath's directory into *t (waiting while it is
** being made). Returns 1 if taken (caller owns *t), 0 if there is none. */

static int fsSpareTake(FsStore *p, const char *zPath, FsTemp *t) {
  int bTaken = 0;
  if (fsSpareForeign(p)) return 0;
  pthread_mutex_lock(&p->muSp);
  while ((p->eSp == FS_SPARE_WANTED || p->eSp == FS_SPARE_MAKING) && fsSameDir(&p->sp, zPath)) {
    pthread_cond_wait(&p->cvSp, &p->muSp);
  }
  if (p->eSp == FS_SPARE_READY && fsSameDir(&p->sp, zPath)) {
    *t = p->sp;
    memset(&p->sp, 0, sizeof(p->sp));
    p->sp.fd = p->sp.dirFd = -1;
    p->eSp = FS_SPARE_NONE;
    bTaken = 1;
  }
  pthread_mutex_unlock(&p->muSp);
  return bTaken;
}

/* FNV-1a 64 of z[0..n). */
static u64 fsDirHash(const char *z, int n) {
  u64 h = 0xcbf29ce484222325ULL;
  for (int i = 0; i < n; i++) {
    h ^= (u8)z[i];
    h *= 0x100000001b3ULL;
  }
  return h;
}

/* Ask the spare thread (started here the first time) for a spare in
** zPath's directory (create-only PUTs: the WAL's, the manifest's), replacing
** a failed one, or a spare of another directory once two create-only PUTs
** in a row went to this one (a manifest PUT between WAL PUTs leaves the
** WAL's spare alone). Best effort: out of memory or a thread that cannot
** start leave the next PUT to create its own. */
static void fsSpareAsk(FsStore *p, const char *zPath) {
  const char *zSlash = strrchr(zPath, '/');
  int nDir = zSlash ? (int)(zSlash - zPath) : 0;
  FsTemp old, ask;
  memset(&old, 0, sizeof(old));
  old.fd = old.dirFd = -1;
  memset(&ask, 0, sizeof(ask));
  ask.fd = ask.dirFd = -1;
  ask.zDir = sdbMprintf("%.*s", nDir, zPath);
  ask.zTmp = sdbMalloc((size_t)nDir + FS_TMP_NAME_MAX);
  if (!ask.zDir || !ask.zTmp || p->bReadOnly || fsSpareForeign(p)) {
    fsTempDiscard(&ask, 0);
    return;
  }
  ask.zTmp[0] = 0;
  pthread_mutex_lock(&p->muSp);
  if (!p->bSpThread && pthread_create(&p->thSp, NULL, fsSpareMain, p) == 0) {
    p->bSpThread = 1;
    __atomic_store_n(&p->pidSp, (int)getpid(), __ATOMIC_RELEASE);
  }
  /* A spare still being made (for another folder, or asked by another PUT)
  ** is waited for: what is asked then never depends on the thread's timing,
  ** nor does whether the next PUT finds a spare (and allocates its own). */
  while (p->eSp == FS_SPARE_WANTED || p->eSp == FS_SPARE_MAKING) pthread_cond_wait(&p->cvSp, &p->muSp);
  u64 h = fsDirHash(zPath, nDir);
  int bAgain = h == p->hLastDir;   /* the second create-only PUT in a row into this folder */
  p->hLastDir = h;
  if (p->bSpThread && !(p->eSp == FS_SPARE_READY && (fsSameDir(&p->sp, zPath) || !bAgain))) {
    old = p->sp;   /* a spare of another directory, or the paths of a failed one */
    p->sp = ask;
    p->eSp = FS_SPARE_WANTED;
    memset(&ask, 0, sizeof(ask));
    ask.fd = ask.dirFd = -1;
    pthread_cond_broadcast(&p->cvSp);
  }
  pthread_mutex_unlock(&p->muSp);
  fsTempDiscard(&old, old.fd >= 0);
  fsTempDiscard(&ask, 0);
}

/* Stop the spare thread and remove the spare. REQUIRES: no PUT in progress. */
static void fsSpareStop(FsStore *p) {
  if (fsSpareForeign(p)) {   /* a fork child: the thread and the file are the parent's */
    fsTempDiscard(&p->sp, 0);   /* closes this process's copies, keeps the file */
    p->bSpThread = 0;
    p->eSp = FS_SPARE_NONE;
    return;
  }
  pthread_mutex_lock(&p->muSp);
  p->bSpStop = 1;
  pthread_cond_broadcast(&p->cvSp);
  pthread_mutex_unlock(&p->muSp);
  if (p->bSpThread) pthread_join(p->thSp, NULL);
  p->bSpThread = 0;
  fsTempDiscard(&p->sp, p->sp.fd >= 0);
  p->eSp = FS_SPARE_NONE;
}

/* ------------------------------------------------------------ PUT */

/* Write a[0..n) to t's file and fdatasync it (data and size: what reading it
** back needs). */
static int fsTempWrite(FsTemp *t, const u8 *a, size_t n, SdbErr *pErr) {
  size_t done = 0;
  while (done < n) {
    ssize_t w = write(t->fd, a + done, n - done);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) break;
    done += (size_t)w;
  }
  if (done < n && errno == 0) errno = ENOSPC;
  if (done < n || fdatasync(t->fd) != 0) return fsErrno(pErr, "write", t->zTmp);
  return SDB_OK;
}

/* Publish t's file as zPath: with bIfAbsent create-only (renameat2 with
** RENAME_NOREPLACE, or link() and unlink() where the file system lacks it;
** SDB_EXISTS if zPath exists), else rename(). The temp name is gone on
** success; on failure the caller removes it. SDB_NOTFOUND if the temp file
** vanished (swept). */
static int fsPublish(FsTemp *t, const char *zPath, int bIfAbsent, SdbErr *pErr) {
  if (!bIfAbsent) {
    return rename(t->zTmp, zPath) == 0 ? SDB_OK : fsErrno(pErr, "rename", zPath);
  }
  int r = renameat2(AT_FDCWD, t->zTmp, AT_FDCWD, zPath, RENAME_NOREPLACE);
  if (r != 0 && (errno == EINVAL || errno == ENOSYS || errno == ENOTSUP || errno == EPERM)) {
    r = link(t->zTmp, zPath);
    if (r == 0) unlink(t->zTmp);
  }
  if (r == 0) return SDB_OK;
  if (errno == EEXIST) return sdbErrSet(pErr, SDB_EXISTS, "object %s already exists", zPath);
  return fsErrno(pErr, "publish", zPath);
}

/* A temp file for zKey (full path zPath) into *t: the spare of its folder
** when bSpare and there is one (*pbSpare set), else a new one, creating the
** folder if it is the first object there. Caller owns *t. */
static int fsTempOpen(FsStore *p, const char *zKey, const char *zPath, int bSpare, FsTemp *t,
                      int *pbSpare, SdbErr *pErr) {
  *pbSpare = bSpare && fsSpareTake(p, zPath, t);
  if (*pbSpare) return SDB_OK;
  int rc = fsTempCreate(zPath, t, pErr);
  if (rc == SDB_NOTFOUND) {   /* first object in its folder: create the folder */
    rc = fsMakeParents(p, zKey, pErr);
    if (rc == SDB_OK) rc = fsTempCreate(zPath, t, pErr);
  }
  return rc;
}

/* One attempt of a PUT: a temp file (the spare if bSpare), the next spare
** asked for, write, fdatasync, publish. On success *t holds the descriptors
** still open (the directory's, if the spare had it) and an empty name;
** the caller discards it. *pbSpare tells whether the spare was used. */
static int fsPutAttempt(FsStore *p, const char *zKey, const char *zPath, const u8 *a, size_t n,
                        int bIfAbsent, int bSpare, FsTemp *t, int *pbSpare, SdbErr *pErr) {
  int rc = fsTempOpen(p, zKey, zPath, bSpare, t, pbSpare, pErr);
  if (rc) return rc;
  if (bIfAbsent) fsSpareAsk(p, zPath);   /* made while this PUT writes and syncs */
  rc = fsTempWrite(t, a, n, pErr);
  if (rc == SDB_OK) rc = fsPublish(t, zPath, bIfAbsent, pErr);
  if (rc == SDB_OK) t->zTmp[0] = 0;   /* published: no temp name left to remove */
  return rc;
}

static int fsPut(SdbStore *pStore, const char *zKey, const u8 *a, size_t n, int bIfAbsent,
                 SdbErr *pErr) {
  FsStore *p = (FsStore *)pStore;
  if (p->bReadOnly) {
    return sdbErrSet(pErr, SDB_READONLY, "store %s is read-only", p->zRoot);
  }
  if (!fsKeyIsSafe(zKey, 0)) return fsBadKey(pErr, zKey);
  char *zPath = fsPath(p, zKey);
  if (!zPath) return SDB_NOMEM_ERR(pErr);
  STAT_ADD(p, nPut, 1);
  FsTemp t;
  int bSpare = 0;
  int rc = fsPutAttempt(p, zKey, zPath, a, n, bIfAbsent, 1, &t, &bSpare, pErr);
  if (rc == SDB_NOTFOUND && bSpare) {   /* the spare was swept under us: once more, anew */
    fsTempDiscard(&t, 1);
    rc = fsPutAttempt(p, zKey, zPath, a, n, bIfAbsent, 0, &t, &bSpare, pErr);
  }
  if (t.fd >= 0) close(t.fd);   /* before the directory's fsync: nothing left to write */
  t.fd = -1;
  fsFdInvalidate(p, zKey);   /* after publishing: see fsFdInvalidate */
  if (rc == SDB_OK) {
    STAT_ADD(p, nBytesOut, n);
    if (fsSyncDir(zPath, t.dirFd)) rc = sdbErrSet(pErr, SDB_IOERR, "fsync of the directory of %s failed", zPath);
  }
  if (t.zTmp || t.dirFd >= 0) fsTempDiscard(&t, rc != SDB_OK);
  sdbFree(zPath);
  return rc;
}

/* Add the regular files below zDirKey ("" = root, else "wal/") that start with
** zPrefix to pOut, recursing into subdirectories. */
static int fsListDir(FsStore *p, const char *zDirKey, const char *zPrefix, SdbObjList *pOut,
                     int depth, SdbErr *pErr) {
  char *zDir = zDirKey[0] ? sdbMprintf("%s/%s", p->zRoot, zDirKey) : sdbStrdup(p->zRoot);
  if (!zDir) return SDB_NOMEM_ERR(pErr);
  DIR *d = opendir(zDir);
  int rc = SDB_OK;
  if (!d) {
    rc = (errno == ENOENT || errno == ENOTDIR) ? SDB_OK : fsErrno(pErr, "list", zDir);
    sdbFree(zDir);
    return rc;
  }
  struct dirent *e;
  while (rc == SDB_OK && (e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.') continue;
    char *zKey = sdbMprintf("%s%s", zDirKey, e->d_name);
    char *zPath = zKey ? fsPath(p, zKey) : NULL;
    struct stat st;
    if (!zPath) rc = SDB_NOMEM_ERR(pErr);
    else if (stat(zPath, &st) != 0) rc = (errno == ENOENT) ? SDB_OK : fsErrno(pErr, "stat", zPath);
    else if (S_ISDIR(st.st_mode) && depth < 8) {
      char *zSub = sdbMprintf("%s/", zKey);
      size_t nCmp = SDB_MIN(strlen(zSub), strlen(zPrefix));
      if (!zSub) rc = SDB_NOMEM_ERR(pErr);
      else if (strncmp(zSub, zPrefix, nCmp) == 0) rc = fsListDir(p, zSub, zPrefix, pOut, depth + 1, pErr);
      sdbFree(zSub);
    } else if (S_ISREG(st.st_mode) && strncmp(zKey, zPrefix, strlen(zPrefix)) == 0) {
      i64 ms = (i64)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000;
      if (sdbObjListAdd(pOut, zKey, (u64)st.st_size, ms)) rc = SDB_NOMEM_ERR(pErr);
    }
    sdbFree(zPath);
    sdbFree(zKey);
  }
  closedir(d);
  sdbFree(zDir);
  return rc;
}

static int fsList(SdbStore *pStore, const char *zPrefix, SdbObjList *pOut, SdbErr *pErr) {
  FsStore *p = (FsStore *)pStore;
  sdbObjListFree(pOut);
  if (!fsKeyIsSafe(zPrefix, 1)) return fsBadKey(pErr, zPrefix);
  /* Start at the deepest directory named by the prefix. */
  char *zDirKey = sdbStrdup(zPrefix);
  if (!zDirKey) return SDB_NOMEM_ERR(pErr);
  char *zSlash = strrchr(zDirKey, '/');
  if (zSlash) zSlash[1] = 0; else zDirKey[0] = 0;
  STAT_ADD(p, nList, 1);
  int rc = fsListDir(p, zDirKey, zPrefix, pOut, 0, pErr);
  sdbFree(zDirKey);
  if (rc) sdbObjListFree(pOut);
  else sdbObjListSort(pOut);
  return rc;
}

static int fsIsTempName(const char *zName);

/* xListTop: the entries of directory zDir of the root ("" or "name/"),
** every name but "." and ".." and temp files of interrupted PUTs
** (fsIsTempName), sorted, the first nMax; a real directory (lstat: a
** symlink is never followed) with a '/'. A missing directory lists nothing. */
static int fsListTop(SdbStore *pStore, const char *zDir, int nMax, SdbObjList *pOut,
                     SdbErr *pErr) {
  FsStore *p = (FsStore *)pStore;
  sdbObjListFree(pOut);
  if (zDir[0] && !fsKeyIsSafe(zDir, 1)) return fsBadKey(pErr, zDir);
  char *zPath = sdbMprintf("%s/%s", p->zRoot, zDir);
  if (!zPath) return SDB_NOMEM_ERR(pErr);
  STAT_ADD(p, nList, 1);
  DIR *d = opendir(zPath);
  int rc = d || errno == ENOENT || errno == ENOTDIR ? SDB_OK : fsErrno(pErr, "list", zPath);
  struct dirent *e;
  while (d && rc == SDB_OK && (e = readdir(d)) != NULL) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") || fsIsTempName(e->d_name)) continue;
    char *zFile = sdbMprintf("%s%s", zPath, e->d_name);
    struct stat st;
    memset(&st, 0, sizeof(st));
    int bDir = zFile && lstat(zFile, &st) == 0 && S_ISDIR(st.st_mode);
    char *zName = zFile ? sdbMprintf("%s%s", e->d_name, bDir ? "/" : "") : NULL;
    if (!zName || sdbObjListAdd(pOut, zName, bDir ? 0 : (u64)st.st_size, 0)) rc = SDB_NOMEM_ERR(pErr);
    sdbFree(zName);
    sdbFree(zFile);
  }
  if (d) closedir(d);
  sdbFree(zPath);
  sdbObjListSort(pOut);
  while (pOut->n > nMax) sdbFree(pOut->a[--pOut->n].zKey);
  if (rc) sdbObjListFree(pOut);
  return rc;
}

static int fsDelete(SdbStore *pStore, const char *zKey, SdbErr *pErr) {
  FsStore *p = (FsStore *)pStore;
  if (p->bReadOnly) return sdbErrSet(pErr, SDB_READONLY, "store %s is read-only", p->zRoot);
  if (!fsKeyIsSafe(zKey, 0)) return fsBadKey(pErr, zKey);
  char *zPath = fsPath(p, zKey);
  if (!zPath) return SDB_NOMEM_ERR(pErr);
  int rc = SDB_OK;
  STAT_ADD(p, nDelete, 1);
  if (unlink(zPath) != 0 && errno != ENOENT) rc = fsErrno(pErr, "delete", zPath);
  fsFdInvalidate(p, zKey);
  sdbFree(zPath);
  return rc;
}

/* xFree: close the cached descriptors and free the store.
** REQUIRES: no other call on pStore is in progress. */
static void fsFree(SdbStore *pStore) {
  FsStore *p = (FsStore *)pStore;
  fsSpareStop(p);
  fsFdCacheClear(p);
  pthread_mutex_destroy(&p->muSp);
  pthread_cond_destroy(&p->cvSp);
  pthread_mutex_destroy(&p->mu);
  sdbFree(p->zRoot);
  sdbFree(p->base.zDescr);
  sdbFree(p);
}

/* z[0..n) is a non-empty run of decimal digits. */
static int fsAllDigits(const char *z, size_t n) {
  if (n == 0) return 0;
  for (size_t i = 0; i < n; i++) {
    if (z[i] < '0' || z[i] > '9') return 0;
  }
  return 1;
}

/* Whether file name zName is a temporary file of an interrupted PUT: ours,
** ".tmp-<pid>-<n>-<time>" (fsWriteTemp), or SlateDB's object_store local
** store's staging file "<name>#<digits>". */
static int fsIsTempName(const char *zName) {
  if (strncmp(zName, ".tmp-", 5) == 0) {
    const char *z = zName + 5, *z1 = strchr(z, '-'), *z2 = z1 ? strchr(z1 + 1, '-') : NULL;
    return z2 && fsAllDigits(z, (size_t)(z1 - z)) && fsAllDigits(z1 + 1, (size_t)(z2 - z1 - 1)) &&
           fsAllDigits(z2 + 1, strlen(z2 + 1));
  }
  const char *zHash = strrchr(zName, '#');
  return zName[0] != '.' && zHash && zHash > zName && fsAllDigits(zHash + 1, strlen(zHash + 1));
}

static const SdbStoreMethods fsMethods;

int sdbStoreSweepTemp(SdbStore *pStore, const char *zDirKey, u64 minAgeMs, i64 nowMs, int *pn,
                      SdbErr *pErr) {
  while (pStore->pInner) pStore = pStore->pInner;   /* through a disk cache */
  FsStore *p = (FsStore *)pStore;
  size_t nDir = strlen(zDirKey);
  *pn = 0;
  if (pStore->pMethods != &fsMethods) return SDB_OK;
  if (p->bReadOnly) return sdbErrSet(pErr, SDB_READONLY, "store %s is read-only", p->zRoot);
  if (nDir < 2 || zDirKey[nDir - 1] != '/' || !fsKeyIsSafe(zDirKey, 1)) return fsBadKey(pErr, zDirKey);
  char *zDir = sdbMprintf("%s/%s", p->zRoot, zDirKey);
  if (!zDir) return SDB_NOMEM_ERR(pErr);
  DIR *d = opendir(zDir);
  int rc = d || errno == ENOENT ? SDB_OK : fsErrno(pErr, "list", zDir);
  struct dirent *e;
  while (d && rc == SDB_OK && (e = readdir(d)) != NULL) {
    if (!fsIsTempName(e->d_name)) continue;
    char *zPath = sdbMprintf("%s%s", zDir, e->d_name);
    struct stat st;
    if (!zPath) { rc = SDB_NOMEM_ERR(pErr); break; }
    if (lstat(zPath, &st) == 0 && S_ISREG(st.st_mode)) {
      i64 ms = (i64)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000;
      if (nowMs - ms > 0 && (u64)(nowMs - ms) > minAgeMs && unlink(zPath) == 0) (*pn)++;
    }
    sdbFree(zPath);
  }
  if (d) closedir(d);
  sdbFree(zDir);
  return rc;
}

static const SdbStoreMethods fsMethods = {
  fsGet, fsHead, fsPut, fsList, fsDelete, fsFree, NULL,   /* no xGetMany: local reads are fast */
  NULL,   /* no xPutOnce: a local create is answered; callers compare bytes */
  fsListTop,
};

/* mkdir -p the first n bytes of zRoot. */
static int fsMakeRoot(const char *zRoot, size_t n, SdbErr *pErr) {
  char *zPath = sdbMprintf("%.*s", (int)n, zRoot);
  if (!zPath) return SDB_NOMEM_ERR(pErr);
  int rc = SDB_OK;
  for (char *z = zPath + 1;; z++) {
    char c = *z;
    if (c != '/' && c != 0) continue;
    *z = 0;
    if (mkdir(zPath, 0777) != 0 && errno != EEXIST) {
      rc = fsErrno(pErr, "create database directory", zPath);
      break;
    }
    *z = c;
    if (c == 0) break;
  }
  sdbFree(zPath);
  return rc;
}

int sdbStoreOpenDir(const char *zRoot, int bMustExist, int bReadOnly, SdbStore **pp,
                    SdbErr *pErr) {
  *pp = NULL;
  size_t n = strlen(zRoot);
  while (n > 1 && zRoot[n - 1] == '/') n--;
  if (n == 0) return sdbErrSet(pErr, SDB_ERROR, "empty database path");
  struct stat st;
  if (stat(zRoot, &st) != 0) {
    if (errno != ENOENT || bMustExist || bReadOnly) {
      int rc = fsErrno(pErr, "open database directory", zRoot);
      if (rc == SDB_NOTFOUND) rc = sdbErrSet(pErr, SDB_CANTOPEN, "database directory %s does not exist", zRoot);
      return rc;
    }
    int rc = fsMakeRoot(zRoot, n, pErr);
    if (rc) return rc;
  } else if (!S_ISDIR(st.st_mode)) {
    return sdbErrSet(pErr, SDB_CANTOPEN, "database path %s is not a directory", zRoot);
  } else if (access(zRoot, R_OK | X_OK) != 0) {
    return fsErrno(pErr, "open database directory", zRoot);
  }
  FsStore *p = sdbMallocZero(sizeof(*p));
  if (!p) return SDB_NOMEM_ERR(pErr);
  if (pthread_mutex_init(&p->mu, NULL) != 0) {
    sdbFree(p);
    return SDB_NOMEM_ERR(pErr);
  }
  if (pthread_mutex_init(&p->muSp, NULL) != 0 || pthread_cond_init(&p->cvSp, NULL) != 0) {
    pthread_mutex_destroy(&p->mu);   /* (a failed init is not undone: Linux's never fails) */
    sdbFree(p);
    return SDB_NOMEM_ERR(pErr);
  }
  p->sp.fd = p->sp.dirFd = -1;
  for (int i = 0; i < FS_FD_CACHE_N; i++) p->aFd[i].fd = -1;
  p->zRoot = sdbMprintf("%.*s", (int)n, zRoot);
  p->base.zDescr = sdbStrdup(p->zRoot ? p->zRoot : "");
  if (!p->zRoot || !p->base.zDescr) {
    fsFree(&p->base);
    return SDB_NOMEM_ERR(pErr);
  }
  p->base.pMethods = &fsMethods;
  p->bReadOnly = bReadOnly;
  *pp = &p->base;
  return SDB_OK;
}
