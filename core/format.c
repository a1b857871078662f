/*
** format.c: SsTableInfo and Ulid decoding, and ULID text form.
** Byte layouts: see format.h and spec/SST.md §4.1, spec/MANIFEST.md §1.
*/
#include <sys/random.h>
#include <time.h>

#include "format.h"

static int copyBytes(const SdbFbTable *pT, int id, u8 **pp, u32 *pn, int *pbHas,
                     SdbErr *pErr) {
  const u8 *a;
  int rc = sdbFbBytes(pT, id, &a, pn, pbHas, pErr);
  *pp = NULL;
  if (rc || !*pbHas) return rc;
  *pp = sdbMemdup(a, *pn);
  return *pp ? SDB_OK : SDB_NOMEM_ERR(pErr);
}

int sdbSstInfoFromTable(const SdbFbTable *pT, SdbSstInfo *pInfo, SdbErr *pErr) {
  int rc;
  memset(pInfo, 0, sizeof(*pInfo));
  if ((rc = sdbFbU64(pT, 1, 0, &pInfo->indexOffset, pErr))) return rc;
  if ((rc = sdbFbU64(pT, 2, 0, &pInfo->indexLen, pErr))) return rc;
  if ((rc = sdbFbU64(pT, 3, 0, &pInfo->filterOffset, pErr))) return rc;
  if ((rc = sdbFbU64(pT, 4, 0, &pInfo->filterLen, pErr))) return rc;
  if ((rc = sdbFbU8(pT, 5, 0, &pInfo->eCodec, pErr))) return rc;
  if ((rc = sdbFbU8(pT, 6, 0, &pInfo->eSstType, pErr))) return rc;
  if ((rc = sdbFbU64(pT, 8, 0, &pInfo->statsOffset, pErr))) return rc;
  if ((rc = sdbFbU64(pT, 9, 0, &pInfo->statsLen, pErr))) return rc;
  if ((rc = sdbFbU8(pT, 10, 0, &pInfo->eFilterFormat, pErr))) return rc;
  if (pInfo->eCodec > SDB_CODEC_ZSTD) {
    return sdbCorrupt(pErr, "unknown compression_format %d", pInfo->eCodec);
  }
  if (pInfo->eSstType > SDB_SST_WAL) {
    return sdbCorrupt(pErr, "unknown sst_type %d", pInfo->eSstType);
  }
  rc = copyBytes(pT, 0, &pInfo->pFirst, &pInfo->nFirst, &pInfo->bHasFirst, pErr);
  if (rc == SDB_OK) {
    rc = copyBytes(pT, 7, &pInfo->pLast, &pInfo->nLast, &pInfo->bHasLast, pErr);
  }
  if (rc) sdbSstInfoClear(pInfo);
  return rc;
}

int sdbSstInfoCopy(SdbSstInfo *pDst, const SdbSstInfo *pSrc) {
  *pDst = *pSrc;
  pDst->pFirst = pDst->pLast = NULL;
  if (pSrc->bHasFirst && !(pDst->pFirst = sdbMemdup(pSrc->pFirst, pSrc->nFirst))) {
    return SDB_NOMEM;
  }
  if (pSrc->bHasLast && !(pDst->pLast = sdbMemdup(pSrc->pLast, pSrc->nLast))) {
    sdbFree(pDst->pFirst);
    pDst->pFirst = NULL;
    return SDB_NOMEM;
  }
  return SDB_OK;
}

void sdbSstInfoClear(SdbSstInfo *pInfo) {
  sdbFree(pInfo->pFirst);
  sdbFree(pInfo->pLast);
  memset(pInfo, 0, sizeof(*pInfo));
}

int sdbUlidFromTable(const SdbFbTable *pT, SdbUlid *pId, SdbErr *pErr) {
  int rc = sdbFbU64(pT, 0, 0, &pId->hi, pErr);
  if (rc == SDB_OK) rc = sdbFbU64(pT, 1, 0, &pId->lo, pErr);
  return rc;
}

static const char kCrockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/* 128 bits = 2 bits of padding + 26 groups of 5 bits, most significant first. */
void sdbUlidFormat(SdbUlid id, char z[27]) {
  for (int i = 25; i >= 0; i--) {
    z[i] = kCrockford[id.lo & 31];
    id.lo = (id.lo >> 5) | (id.hi << 59);
    id.hi >>= 5;
  }
  z[26] = 0;
}

int sdbRandomBytes(void *a, size_t n) {
  u8 *p = a;
  while (n > 0) {
    ssize_t got = getrandom(p, n, 0);
    if (got < 0) return SDB_IOERR;
    p += got;
    n -= (size_t)got;
  }
  return SDB_OK;
}

int sdbUuidNew(u8 a[16]) {
  if (sdbRandomBytes(a, 16)) return SDB_IOERR;
  a[6] = (u8)((a[6] & 0x0f) | 0x40);   /* version 4 */
  a[8] = (u8)((a[8] & 0x3f) | 0x80);   /* variant 10xx (RFC 4122) */
  return SDB_OK;
}

i64 sdbNowMs(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (i64)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int sdbUlidNew(SdbUlid *pId) {
  u8 r[10];
  if (sdbRandomBytes(r, sizeof(r))) return SDB_IOERR;
  u64 ms = (u64)sdbNowMs() & 0xffffffffffffull;
  pId->hi = (ms << 16) | ((u64)r[0] << 8) | r[1];
  pId->lo = sdbGetU64BE(r + 2);
  return SDB_OK;
}
