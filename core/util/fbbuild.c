/*
** fbbuild.c: the front-to-back FlatBuffers builder described in fbbuild.h.
** Layout rules: fbbuild.h, spec/SST.md §4.2-4.3, spec/MANIFEST.md §2.1.
*/
#include "util/fbbuild.h"

#define FBB_MAX_LEN 0x7ffffff0u   /* keep every offset a positive i32 */

/* Current FlatBuffer length (position of the next byte). */
static u32 fbbLen(const SdbFbb *p) { return (u32)(p->buf.n - p->nPrefix); }

static void fbbFail(SdbFbb *p, int rc) {
  if (p->rc == SDB_OK) p->rc = rc;
}

/* Append n bytes (zeros when a is NULL). Returns the position of the first
** appended byte, or 0 after an error. */
static u32 fbbAppend(SdbFbb *p, const void *a, size_t n) {
  if (p->rc) return 0;
  u32 at = fbbLen(p);
  if (n > FBB_MAX_LEN - at) { fbbFail(p, SDB_RANGE); return 0; }
  if (sdbBufReserve(&p->buf, n)) { fbbFail(p, SDB_NOMEM); return 0; }
  if (a) memcpy(p->buf.a + p->buf.n, a, n);
  else memset(p->buf.a + p->buf.n, 0, n);
  p->buf.n += n;
  return at;
}

/* Pad with zeros until the FlatBuffer length is a multiple of align. */
static void fbbPad(SdbFbb *p, u32 align) {
  u32 n = (align - fbbLen(p) % align) % align;
  if (n) fbbAppend(p, NULL, n);
}

/* Pointer to FlatBuffer position pos (which must have been written). */
static u8 *fbbAt(SdbFbb *p, u32 pos) { return p->buf.a + p->nPrefix + pos; }

void sdbFbbInit(SdbFbb *p, const u8 *aPrefix, u32 nPrefix) {
  memset(p, 0, sizeof(*p));
  if (sdbBufAppend(&p->buf, aPrefix, nPrefix)) { fbbFail(p, SDB_NOMEM); return; }
  p->nPrefix = nPrefix;
  fbbAppend(p, NULL, 4);                 /* root uoffset, patched later */
}

void sdbFbbFree(SdbFbb *p) {
  if (!p) return;
  sdbBufFree(&p->buf);
  p->rc = SDB_OK;
}

/* Store a uoffset at slot pointing at target (which must lie after it). */
static void fbbPatch(SdbFbb *p, u32 slot, u32 target) {
  if (p->rc) return;
  if (target <= slot || (u64)slot + 4 > fbbLen(p) || target >= fbbLen(p)) {
    fbbFail(p, SDB_INTERNAL);
    return;
  }
  sdbPutU32LE(fbbAt(p, slot), target - slot);
}

void sdbFbbSetRoot(SdbFbb *p, u32 tablePos) { fbbPatch(p, 0, tablePos); }

int sdbFbbFinish(SdbFbb *p, u8 **pa, size_t *pn) {
  int rc = p->rc;
  *pa = NULL;
  *pn = 0;
  if (rc == SDB_OK) {
    *pn = p->buf.n;
    *pa = sdbBufDetach(&p->buf);
  }
  sdbFbbFree(p);
  return rc;
}

/* ------------------------------------------------------------ tables */
void sdbFbbTableInit(SdbFbbTable *t) { memset(t, 0, sizeof(*t)); }

static void fbbAdd(SdbFbbTable *t, int id, u8 w, int bRef, u64 v) {
  if (id < 0 || id >= SDB_FBB_MAX_FIELDS) { t->bBadId = 1; return; }
  t->aWidth[id] = w;
  t->aIsRef[id] = (u8)bRef;
  t->aVal[id] = v;
}

void sdbFbbAddU8(SdbFbbTable *t, int id, u8 v) { fbbAdd(t, id, 1, 0, v); }
void sdbFbbAddU16(SdbFbbTable *t, int id, u16 v) { fbbAdd(t, id, 2, 0, v); }
void sdbFbbAddU32(SdbFbbTable *t, int id, u32 v) { fbbAdd(t, id, 4, 0, v); }
void sdbFbbAddU64(SdbFbbTable *t, int id, u64 v) { fbbAdd(t, id, 8, 0, v); }
void sdbFbbAddRef(SdbFbbTable *t, int id) { fbbAdd(t, id, 4, 1, 0); }

/* Number of vtable slots: highest present id + 1. */
static int fbbSlots(const SdbFbbTable *t) {
  int n = 0;
  for (int i = 0; i < SDB_FBB_MAX_FIELDS; i++) {
    if (t->aWidth[i]) n = i + 1;
  }
  return n;
}

/* Assign field positions for a table at position tpos, widest first, each
** aligned to its width relative to the FlatBuffer start. Returns the inline
** size (soffset included). */
static u32 fbbLayout(SdbFbbTable *t, u32 tpos) {
  u32 cur = tpos + 4;
  for (u32 w = 8; w >= 1; w /= 2) {
    for (int i = 0; i < SDB_FBB_MAX_FIELDS; i++) {
      if (t->aWidth[i] != w) continue;
      cur = (cur + w - 1) / w * w;
      t->aPos[i] = cur;
      cur += w;
    }
  }
  return cur - tpos;
}

/* Write the table body (soffset and fields) at tpos, size inl. */
static void fbbWriteBody(SdbFbb *p, const SdbFbbTable *t, u32 tpos, u32 vtpos, u32 inl) {
  if (fbbAppend(p, NULL, inl) != tpos || p->rc) return;
  sdbPutU32LE(fbbAt(p, tpos), tpos - vtpos);
  for (int i = 0; i < SDB_FBB_MAX_FIELDS; i++) {
    u8 *a = fbbAt(p, t->aPos[i]);
    switch (t->aWidth[i]) {
      case 1: a[0] = (u8)t->aVal[i]; break;
      case 2: sdbPutU16LE(a, (u16)t->aVal[i]); break;
      case 4: sdbPutU32LE(a, (u32)t->aVal[i]); break;
      case 8: sdbPutU64LE(a, t->aVal[i]); break;
      default: break;
    }
  }
}

u32 sdbFbbTableWrite(SdbFbb *p, SdbFbbTable *t) {
  if (t->bBadId) fbbFail(p, SDB_INTERNAL);
  if (p->rc) return 0;
  int nSlot = fbbSlots(t);
  u32 vtSize = 4 + 2 * (u32)nSlot;
  fbbPad(p, 2);
  u32 vtpos = fbbLen(p);
  u32 tpos = (vtpos + vtSize + 3) / 4 * 4;
  u32 inl = fbbLayout(t, tpos);
  if (inl > 0xffff) { fbbFail(p, SDB_INTERNAL); return 0; }
  u8 aVt[4 + 2 * SDB_FBB_MAX_FIELDS];
  sdbPutU16LE(aVt, (u16)vtSize);
  sdbPutU16LE(aVt + 2, (u16)inl);
  for (int i = 0; i < nSlot; i++) {
    sdbPutU16LE(aVt + 4 + 2 * i, t->aWidth[i] ? (u16)(t->aPos[i] - tpos) : 0);
  }
  fbbAppend(p, aVt, vtSize);
  fbbPad(p, 4);
  fbbWriteBody(p, t, tpos, vtpos, inl);
  if (p->rc) return 0;
  t->pos = tpos;
  return tpos;
}

void sdbFbbPatchField(SdbFbb *p, const SdbFbbTable *t, int id, u32 target) {
  if (id < 0 || id >= SDB_FBB_MAX_FIELDS || !t->aIsRef[id] || t->pos == 0) {
    fbbFail(p, SDB_INTERNAL);
    return;
  }
  fbbPatch(p, t->aPos[id], target);
}

/* ------------------------------------------------------------ vectors */
u32 sdbFbbVecTables(SdbFbb *p, u32 n) {
  fbbPad(p, 4);
  if ((u64)n * 4 > FBB_MAX_LEN) { fbbFail(p, SDB_RANGE); return 0; }
  u8 aCount[4];
  sdbPutU32LE(aCount, n);
  u32 pos = fbbAppend(p, aCount, 4);
  fbbAppend(p, NULL, (size_t)n * 4);
  return p->rc ? 0 : pos;
}

void sdbFbbPatchElem(SdbFbb *p, u32 vecPos, u32 i, u32 target) {
  if (p->rc) return;
  if ((u64)vecPos + 4 > fbbLen(p) || i >= sdbGetU32LE(fbbAt(p, vecPos))) {
    fbbFail(p, SDB_INTERNAL);
    return;
  }
  fbbPatch(p, vecPos + 4 + 4 * i, target);
}

/* Count, bytes, then nZero zero bytes (1 for a string's NUL). */
static u32 fbbVecBytes(SdbFbb *p, const void *a, u32 n, u32 nZero) {
  fbbPad(p, 4);
  u8 aCount[4];
  sdbPutU32LE(aCount, n);
  u32 pos = fbbAppend(p, aCount, 4);
  if (n) fbbAppend(p, a, n);
  if (nZero) fbbAppend(p, NULL, nZero);
  return p->rc ? 0 : pos;
}

u32 sdbFbbBytes(SdbFbb *p, const void *a, u32 n) { return fbbVecBytes(p, a, n, 0); }

u32 sdbFbbString(SdbFbb *p, const char *z) {
  size_t n = strlen(z);
  if (n > FBB_MAX_LEN) { fbbFail(p, SDB_RANGE); return 0; }
  return fbbVecBytes(p, z, (u32)n, 1);
}
