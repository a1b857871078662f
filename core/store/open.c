/*
** open.c: opening an object store by URL: a plain path or file:///abs/path
** opens the local-directory store (fs.c), s3://bucket/prefix the S3 store
** (s3.c). The top of the store layer: nothing in store/ calls it.
*/
#include <string.h>

#include "store/objstore.h"

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
