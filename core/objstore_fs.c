/*
** objstore_fs.c: the local-directory object store (the embedded default).
**
** An object with key "wal/00000000000000000001.sst" is the file
** <root>/wal/00000000000000000001.sst. Keys are checked so that nothing outside
** <root> is ever touched: no empty components, no "." or "..", no leading '/',
** no NUL. Writes go to a hidden temporary file in the target directory which is
** fsync'd and then published atomically: rename() for plain PUTs, link() for
** create-only PUTs (link fails with EEXIST when the object exists, which is the
** create-only semantics SlateDB's fencing relies on). The directory is fsync'd
** after publishing. Listing skips hidden files (names starting with '.'), so a
** crash never exposes a half-written object.
*/
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "objstore.h"

typedef struct FsStore {
  SdbStore base;          /* must be first */
  char *zRoot;            /* absolute or relative root path, no trailing '/' */
  int bReadOnly;          /* refuse PUT and DELETE */
} FsStore;

#define STAT_ADD(p, f, v) __atomic_add_fetch(&(p)->base.stats.f, (v), __ATOMIC_RELAXED)

/* ------------------------------------------------------------ object lists */
void sdbObjListFree(SdbObjList *p) {
  for (int i = 0; i < p->n; i++) sdbFree(p->a[i].zKey);
  sdbFree(p->a);
  memset(p, 0, sizeof(*p));
}

int sdbObjListAdd(SdbObjList *p, const char *zKey, u64 size, i64 mtimeMs) {
  if (p->n == p->nAlloc) {
    int nNew = p->nAlloc ? p->nAlloc * 2 : 16;
    SdbObjInfo *aNew = sdbRealloc(p->a, sizeof(SdbObjInfo) * (size_t)nNew);
    if (!aNew) return SDB_NOMEM;
    p->a = aNew;
    p->nAlloc = nNew;
  }
  char *z = sdbStrdup(zKey);
  if (!z) return SDB_NOMEM;
  p->a[p->n].zKey = z;
  p->a[p->n].size = size;
  p->a[p->n].mtimeMs = mtimeMs;
  p->n++;
  return SDB_OK;
}

static int objInfoCmp(const void *a, const void *b) {
  return strcmp(((const SdbObjInfo *)a)->zKey, ((const SdbObjInfo *)b)->zKey);
}

void sdbObjListSort(SdbObjList *p) {
  if (p->n > 1) qsort(p->a, (size_t)p->n, sizeof(SdbObjInfo), objInfoCmp);
}

void sdbStoreFree(SdbStore *p) {
  if (p) p->pMethods->xFree(p);
}

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

/* ------------------------------------------------------------ methods */

static int fsGet(SdbStore *pStore, const char *zKey, u64 iOff, u64 nLen, SdbBuf *pOut,
                 SdbErr *pErr) {
  FsStore *p = (FsStore *)pStore;
  if (!fsKeyIsSafe(zKey, 0)) return fsBadKey(pErr, zKey);
  char *zPath = fsPath(p, zKey);
  if (!zPath) return SDB_NOMEM_ERR(pErr);
  int rc = SDB_OK;
  int fd = open(zPath, O_RDONLY | O_CLOEXEC);
  struct stat st;
  STAT_ADD(p, nGet, 1);
  if (fd < 0 || fstat(fd, &st) != 0) {
    rc = fsErrno(pErr, "read", zPath);
    goto done;
  }
  u64 size = (u64)st.st_size;
  u64 n = iOff >= size ? 0 : SDB_MIN(nLen, size - iOff);
  pOut->n = 0;
  if (sdbBufReserve(pOut, (size_t)n)) {
    rc = SDB_NOMEM_ERR(pErr);
    goto done;
  }
  while (pOut->n < n) {
    ssize_t got = pread(fd, pOut->a + pOut->n, (size_t)(n - pOut->n), (off_t)(iOff + pOut->n));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) {
      rc = got < 0 ? fsErrno(pErr, "read", zPath)
                   : sdbErrSet(pErr, SDB_IOERR, "read %s: unexpected end of file", zPath);
      goto done;
    }
    pOut->n += (size_t)got;
  }
  STAT_ADD(p, nBytesIn, n);
done:
  if (fd >= 0) close(fd);
  sdbFree(zPath);
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

static int fsSyncDir(const char *zFile) {
  char *zDir = sdbStrdup(zFile);
  if (!zDir) return SDB_NOMEM;
  char *zSlash = strrchr(zDir, '/');
  if (zSlash) *zSlash = 0;
  int fd = open(zSlash ? zDir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int rc = (fd >= 0 && fsync(fd) == 0) ? SDB_OK : SDB_IOERR;
  if (fd >= 0) close(fd);
  sdbFree(zDir);
  return rc;
}

/* Write a[0..n) to a new hidden temp file next to zPath; fsync it.
** On success *pzTmp is the sdbMalloc'd temp path (caller unlinks/frees). */
static int fsWriteTemp(const char *zPath, const u8 *a, size_t n, char **pzTmp, SdbErr *pErr) {
  static unsigned int iCounter = 0;
  const char *zSlash = strrchr(zPath, '/');
  int nDir = zSlash ? (int)(zSlash - zPath) : 0;
  struct timeval tv;
  gettimeofday(&tv, NULL);
  unsigned int iSeq = __atomic_add_fetch(&iCounter, 1, __ATOMIC_RELAXED);
  char *zTmp = sdbMprintf("%.*s/.tmp-%d-%u-%ld%06ld", nDir, zPath, (int)getpid(), iSeq,
                          (long)tv.tv_sec, (long)tv.tv_usec);
  if (!zTmp) return SDB_NOMEM_ERR(pErr);
  int fd = open(zTmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd < 0) {
    int rc = fsErrno(pErr, "create", zTmp);
    sdbFree(zTmp);
    return rc;
  }
  size_t done = 0;
  while (done < n) {
    ssize_t w = write(fd, a + done, n - done);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) break;
    done += (size_t)w;
  }
  int rc = SDB_OK;
  if (done < n || fsync(fd) != 0) rc = fsErrno(pErr, "write", zTmp);
  close(fd);
  if (rc) {
    unlink(zTmp);
    sdbFree(zTmp);
    return rc;
  }
  *pzTmp = zTmp;
  return SDB_OK;
}

static int fsPut(SdbStore *pStore, const char *zKey, const u8 *a, size_t n, int bIfAbsent,
                 SdbErr *pErr) {
  FsStore *p = (FsStore *)pStore;
  if (p->bReadOnly) {
    return sdbErrSet(pErr, SDB_READONLY, "store %s is read-only", p->zRoot);
  }
  if (!fsKeyIsSafe(zKey, 0)) return fsBadKey(pErr, zKey);
  char *zPath = fsPath(p, zKey);
  char *zTmp = NULL;
  if (!zPath) return SDB_NOMEM_ERR(pErr);
  STAT_ADD(p, nPut, 1);
  int rc = fsWriteTemp(zPath, a, n, &zTmp, pErr);
  if (rc == SDB_NOTFOUND) {   /* first object in its folder: create the folder */
    rc = fsMakeParents(p, zKey, pErr);
    if (rc == SDB_OK) rc = fsWriteTemp(zPath, a, n, &zTmp, pErr);
  }
  if (rc == SDB_OK) {
    if (bIfAbsent) {
      if (link(zTmp, zPath) != 0) {
        rc = (errno == EEXIST)
                 ? sdbErrSet(pErr, SDB_EXISTS, "object %s already exists", zPath)
                 : fsErrno(pErr, "link", zPath);
      }
      unlink(zTmp);
    } else if (rename(zTmp, zPath) != 0) {
      rc = fsErrno(pErr, "rename", zPath);
      unlink(zTmp);
    }
  }
  if (rc == SDB_OK) {
    STAT_ADD(p, nBytesOut, n);
    if (fsSyncDir(zPath)) rc = sdbErrSet(pErr, SDB_IOERR, "fsync of the directory of %s failed", zPath);
  }
  sdbFree(zTmp);
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

static int fsDelete(SdbStore *pStore, const char *zKey, SdbErr *pErr) {
  FsStore *p = (FsStore *)pStore;
  if (p->bReadOnly) return sdbErrSet(pErr, SDB_READONLY, "store %s is read-only", p->zRoot);
  if (!fsKeyIsSafe(zKey, 0)) return fsBadKey(pErr, zKey);
  char *zPath = fsPath(p, zKey);
  if (!zPath) return SDB_NOMEM_ERR(pErr);
  int rc = SDB_OK;
  STAT_ADD(p, nDelete, 1);
  if (unlink(zPath) != 0 && errno != ENOENT) rc = fsErrno(pErr, "delete", zPath);
  sdbFree(zPath);
  return rc;
}

static void fsFree(SdbStore *pStore) {
  FsStore *p = (FsStore *)pStore;
  sdbFree(p->zRoot);
  sdbFree(p->base.zDescr);
  sdbFree(p);
}

static const SdbStoreMethods fsMethods = {
  fsGet, fsHead, fsPut, fsList, fsDelete, fsFree, NULL,   /* no xGetMany: local reads are fast */
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


int sdbStoreOpenUrl(const char *zUrl, int bReadOnly, int bCreate, const SdbS3Config *pS3,
                    SdbStore **pp, SdbErr *pErr) {
  *pp = NULL;
  const char *zColon = strstr(zUrl, "://");
  if (!zColon) return sdbStoreOpenDir(zUrl, !bCreate, bReadOnly, pp, pErr);
  if (strncmp(zUrl, "s3://", 5) == 0) return sdbStoreOpenS3(zUrl, pS3, bReadOnly, pp, pErr);
  if (strncmp(zUrl, "file://", 7) != 0) {
    return sdbErrSet(pErr, SDB_ERROR, "unsupported URL scheme \"%.*s\"", (int)(zColon - zUrl), zUrl);
  }
  const char *zPath = zUrl + 7;
  if (strncmp(zPath, "localhost/", 10) == 0) zPath += 9;
  if (zPath[0] != '/') {
    return sdbErrSet(pErr, SDB_ERROR, "file URL must be absolute: file:///abs/path (got %s)", zUrl);
  }
  int bBad;
  char *zDecoded = sdbUrlDecode(zPath, strlen(zPath), &bBad);
  if (bBad) return sdbErrSet(pErr, SDB_ERROR, "file URL contains %%00: %s", zUrl);
  if (!zDecoded) return SDB_NOMEM_ERR(pErr);
  int rc = sdbStoreOpenDir(zDecoded, !bCreate, bReadOnly, pp, pErr);
  sdbFree(zDecoded);
  return rc;
}

int sdbStoreGetMany(SdbStore *p, SdbGetReq *a, int n, SdbErr *pErr) {
  if (p->pMethods->xGetMany) return p->pMethods->xGetMany(p, a, n, pErr);
  int rcFirst = SDB_OK;
  for (int i = 0; i < n; i++) {
    SdbErr err;
    sdb_err_clear(&err);
    a[i].rc = p->pMethods->xGet(p, a[i].zKey, a[i].iOff, a[i].nLen, &a[i].out, &err);
    if (a[i].rc && a[i].rc != SDB_NOTFOUND && rcFirst == SDB_OK) {
      rcFirst = a[i].rc;
      if (pErr) *pErr = err;
    }
  }
  return rcFirst;
}
