/*
** fb.c: the bounds-checked FlatBuffers reader described in fb.h.
** The byte layout is in fb.h and spec/SST.md §4.2.
*/
#include "util/fb.h"


static int fbBad(SdbErr *pErr, const char *zWhat, u64 at) {
  return sdbCorrupt(pErr, "flatbuffer: %s at offset %llu", zWhat,
                    (unsigned long long)at);
}

/* True if [off, off+len) lies inside the buffer. */
static int fbIn(const SdbFb *pFb, u64 off, u64 len) {
  return off <= pFb->n && len <= pFb->n - off;
}

int sdbFbTableAt(const SdbFb *pFb, u32 pos, SdbFbTable *pT, SdbErr *pErr) {
  if (!fbIn(pFb, pos, 4)) return fbBad(pErr, "table out of bounds", pos);
  i64 vt = (i64)pos - (i64)(int32_t)sdbGetU32LE(pFb->a + pos);
  if (vt < 0 || !fbIn(pFb, (u64)vt, 4)) return fbBad(pErr, "vtable out of bounds", pos);
  u16 vtSize = sdbGetU16LE(pFb->a + vt);
  u16 inl = sdbGetU16LE(pFb->a + vt + 2);
  if (vtSize < 4 || (vtSize & 1) || !fbIn(pFb, (u64)vt, vtSize)) {
    return fbBad(pErr, "bad vtable size", (u64)vt);
  }
  if (inl < 4 || !fbIn(pFb, pos, inl)) return fbBad(pErr, "bad table size", pos);
  pT->pFb = pFb;
  pT->pos = pos;
  pT->vt = (u32)vt;
  pT->vtSize = vtSize;
  pT->inlineSize = inl;
  return SDB_OK;
}

int sdbFbRoot(const SdbFb *pFb, SdbFbTable *pT, SdbErr *pErr) {
  if (!fbIn(pFb, 0, 4)) return fbBad(pErr, "buffer too short for a root", 0);
  u32 root = sdbGetU32LE(pFb->a);
  return sdbFbTableAt(pFb, root, pT, pErr);
}

/* Offset of field id from the table start, or 0 when absent. */
static u16 fbFieldOff(const SdbFbTable *pT, int id) {
  u32 slot = 4 + 2 * (u32)id;
  if (slot + 2 > pT->vtSize) return 0;
  return sdbGetU16LE(pT->pFb->a + pT->vt + slot);
}

int sdbFbHas(const SdbFbTable *pT, int id) { return fbFieldOff(pT, id) != 0; }

/* Locate a scalar of width w; *pp = NULL when absent. */
static int fbScalar(const SdbFbTable *pT, int id, u32 w, const u8 **pp, SdbErr *pErr) {
  u16 off = fbFieldOff(pT, id);
  *pp = NULL;
  if (off == 0) return SDB_OK;
  if ((u32)off + w > pT->inlineSize) return fbBad(pErr, "field outside its table", pT->pos);
  *pp = pT->pFb->a + pT->pos + off;
  return SDB_OK;
}

int sdbFbU64(const SdbFbTable *pT, int id, u64 dflt, u64 *pV, SdbErr *pErr) {
  const u8 *p;
  int rc = fbScalar(pT, id, 8, &p, pErr);
  *pV = p ? sdbGetU64LE(p) : dflt;
  return rc;
}

int sdbFbI64(const SdbFbTable *pT, int id, i64 dflt, i64 *pV, SdbErr *pErr) {
  const u8 *p;
  int rc = fbScalar(pT, id, 8, &p, pErr);
  *pV = p ? (i64)sdbGetU64LE(p) : dflt;
  return rc;
}

int sdbFbU32(const SdbFbTable *pT, int id, u32 dflt, u32 *pV, SdbErr *pErr) {
  const u8 *p;
  int rc = fbScalar(pT, id, 4, &p, pErr);
  *pV = p ? sdbGetU32LE(p) : dflt;
  return rc;
}

int sdbFbU16(const SdbFbTable *pT, int id, u16 dflt, u16 *pV, SdbErr *pErr) {
  const u8 *p;
  int rc = fbScalar(pT, id, 2, &p, pErr);
  *pV = p ? sdbGetU16LE(p) : dflt;
  return rc;
}

int sdbFbU8(const SdbFbTable *pT, int id, u8 dflt, u8 *pV, SdbErr *pErr) {
  const u8 *p;
  int rc = fbScalar(pT, id, 1, &p, pErr);
  *pV = p ? *p : dflt;
  return rc;
}

/* Follow the uoffset stored in field id; *pTarget = 0 when absent. */
static int fbRef(const SdbFbTable *pT, int id, u32 *pTarget, SdbErr *pErr) {
  const u8 *p;
  *pTarget = 0;
  int rc = fbScalar(pT, id, 4, &p, pErr);
  if (rc || !p) return rc;
  u64 at = (u64)(p - pT->pFb->a);
  u64 target = at + sdbGetU32LE(p);
  if (!fbIn(pT->pFb, target, 4)) return fbBad(pErr, "reference out of bounds", at);
  *pTarget = (u32)target;
  return SDB_OK;
}

int sdbFbBytes(const SdbFbTable *pT, int id, const u8 **pp, u32 *pn,
               int *pbPresent, SdbErr *pErr) {
  u32 at;
  *pp = NULL;
  *pn = 0;
  if (pbPresent) *pbPresent = 0;
  int rc = fbRef(pT, id, &at, pErr);
  if (rc || !at) return rc;
  u32 n = sdbGetU32LE(pT->pFb->a + at);
  if (!fbIn(pT->pFb, (u64)at + 4, n)) return fbBad(pErr, "byte vector out of bounds", at);
  *pp = pT->pFb->a + at + 4;
  *pn = n;
  if (pbPresent) *pbPresent = 1;
  return SDB_OK;
}

int sdbFbTable(const SdbFbTable *pT, int id, SdbFbTable *pSub, int *pbPresent,
               SdbErr *pErr) {
  u32 at;
  *pbPresent = 0;
  int rc = fbRef(pT, id, &at, pErr);
  if (rc || !at) return rc;
  rc = sdbFbTableAt(pT->pFb, at, pSub, pErr);
  if (rc == SDB_OK) *pbPresent = 1;
  return rc;
}

int sdbFbVector(const SdbFbTable *pT, int id, u32 elemSize, SdbFbVec *pV,
                int *pbPresent, SdbErr *pErr) {
  u32 at;
  pV->pFb = pT->pFb;
  pV->pos = 0;
  pV->n = 0;
  if (pbPresent) *pbPresent = 0;
  int rc = fbRef(pT, id, &at, pErr);
  if (rc || !at) return rc;
  u32 n = sdbGetU32LE(pT->pFb->a + at);
  if (!fbIn(pT->pFb, (u64)at + 4, (u64)n * elemSize)) {
    return fbBad(pErr, "vector out of bounds", at);
  }
  pV->pos = at + 4;
  pV->n = n;
  if (pbPresent) *pbPresent = 1;
  return SDB_OK;
}

int sdbFbVecTable(const SdbFbVec *pV, u32 i, SdbFbTable *pT, SdbErr *pErr) {
  if (i >= pV->n) return fbBad(pErr, "vector index out of range", pV->pos);
  u64 at = (u64)pV->pos + 4ull * i;
  u64 target = at + sdbGetU32LE(pV->pFb->a + at);
  if (target > 0xffffffffu) return fbBad(pErr, "element out of bounds", at);
  return sdbFbTableAt(pV->pFb, (u32)target, pT, pErr);
}
