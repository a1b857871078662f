/*
** sstinfo.c: decoding, copying and writing SsTableInfo, the FlatBuffer table
** that SST files and manifests share. Byte layout: see sstinfo.h and
** spec/SST.md §4.1.
*/
#include "table/sstinfo.h"

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

/* Add a u64 field unless it is the default 0. */
static void addU64(SdbFbbTable *t, int id, u64 v) { if (v) sdbFbbAddU64(t, id, v); }

u32 sdbSstInfoWrite(SdbFbb *f, const SdbSstInfo *p) {
  SdbFbbTable t;
  sdbFbbTableInit(&t);
  if (p->bHasFirst) sdbFbbAddRef(&t, 0);
  addU64(&t, 1, p->indexOffset);
  addU64(&t, 2, p->indexLen);
  addU64(&t, 3, p->filterOffset);
  addU64(&t, 4, p->filterLen);
  if (p->eCodec) sdbFbbAddU8(&t, 5, p->eCodec);
  if (p->eSstType) sdbFbbAddU8(&t, 6, p->eSstType);
  if (p->bHasLast) sdbFbbAddRef(&t, 7);
  addU64(&t, 8, p->statsOffset);
  addU64(&t, 9, p->statsLen);
  u32 pos = sdbFbbTableWrite(f, &t);
  if (p->bHasFirst) sdbFbbPatchField(f, &t, 0, sdbFbbBytes(f, p->pFirst, p->nFirst));
  if (p->bHasLast) sdbFbbPatchField(f, &t, 7, sdbFbbBytes(f, p->pLast, p->nLast));
  return pos;
}
