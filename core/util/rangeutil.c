/*
** rangeutil.c: SdbRange helpers; see rangeutil.h.
*/
#include "util/rangeutil.h"

int sdbRangeCopyInit(SdbRangeCopy *p, const SdbRange *pSrc) {
  memset(p, 0, sizeof(*p));
  if (!pSrc) return SDB_OK;
  p->r = *pSrc;
  size_t nLo = pSrc->bHasLo ? pSrc->nLo : 0;
  size_t nHi = pSrc->bHasHi ? pSrc->nHi : 0;
  if (nLo + nHi == 0) return SDB_OK;
  p->aBuf = sdbMalloc(nLo + nHi);
  if (!p->aBuf) return SDB_NOMEM;
  if (nLo) memcpy(p->aBuf, pSrc->pLo, nLo);
  if (nHi) memcpy(p->aBuf + nLo, pSrc->pHi, nHi);
  p->nAlloc = nLo + nHi;
  p->r.pLo = p->aBuf;
  p->r.pHi = p->aBuf + nLo;
  return SDB_OK;
}

int sdbRangeCopySet(SdbRangeCopy *p, const SdbRange *pSrc) {
  size_t nLo = (pSrc && pSrc->bHasLo) ? pSrc->nLo : 0;
  size_t nHi = (pSrc && pSrc->bHasHi) ? pSrc->nHi : 0;
  const u8 *b = p->aBuf, *e = p->aBuf + p->nAlloc;
  int bOwn = (nLo && pSrc->pLo >= b && pSrc->pLo < e) || (nHi && pSrc->pHi >= b && pSrc->pHi < e);
  if (nLo + nHi > p->nAlloc || bOwn) {
    SdbRangeCopy c;
    if (sdbRangeCopyInit(&c, pSrc)) return SDB_NOMEM;
    sdbRangeCopyFree(p);
    *p = c;
    return SDB_OK;
  }
  memset(&p->r, 0, sizeof(p->r));
  if (!pSrc) return SDB_OK;
  p->r = *pSrc;
  if (nLo) memmove(p->aBuf, pSrc->pLo, nLo);
  if (nHi) memmove(p->aBuf + nLo, pSrc->pHi, nHi);
  p->r.pLo = p->aBuf;
  p->r.pHi = p->aBuf + nLo;
  return SDB_OK;
}

void sdbRangeCopyFree(SdbRangeCopy *p) {
  sdbFree(p->aBuf);
  memset(p, 0, sizeof(*p));
}

int sdbRangeAboveLo(const SdbRange *r, const u8 *pKey, size_t nKey) {
  if (!r || !r->bHasLo) return 1;
  int c = sdbKeyCmp(pKey, nKey, r->pLo, r->nLo);
  return r->bLoExcl ? c > 0 : c >= 0;
}

int sdbRangeBelowHi(const SdbRange *r, const u8 *pKey, size_t nKey) {
  if (!r || !r->bHasHi) return 1;
  int c = sdbKeyCmp(pKey, nKey, r->pHi, r->nHi);
  return r->bHiExcl ? c < 0 : c <= 0;
}

int sdbRangeContains(const SdbRange *r, const u8 *pKey, size_t nKey) {
  return sdbRangeAboveLo(r, pKey, nKey) && sdbRangeBelowHi(r, pKey, nKey);
}

int sdbRangeIsPoint(const SdbRange *r) {
  return r && r->bHasLo && r->bHasHi && !r->bLoExcl && !r->bHiExcl &&
         sdbKeyCmp(r->pLo, r->nLo, r->pHi, r->nHi) == 0;
}

int sdbRangeIsEmpty(const SdbRange *r) {
  if (!r || !r->bHasLo || !r->bHasHi) return 0;
  int c = sdbKeyCmp(r->pLo, r->nLo, r->pHi, r->nHi);
  return c > 0 || (c == 0 && (r->bLoExcl || r->bHiExcl));
}
