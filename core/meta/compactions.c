/*
** compactions.c: decode, encode and load SlateDB 0.12.1 `.compactions`
** objects, the compactor's persisted job list.
**
** Source of truth: schemas/compactor.fbs, common.fbs and sst.fbs at fce6ed00;
** slatedb/src/flatbuffer_types.rs (FlatBufferCompactionsCodec); spec/MANIFEST.md
** §2.1 (envelope), §2.5 (CompactionsV1), §3.1 (versioned objects), §3.4.
**
** Byte layout, in our words. The object is a u16 big-endian format version
** (1) followed by one FlatBuffer, root at byte 2 (no identifier). Field ids are
** declaration order; absent scalars take their default (0); (R) = required.
**
**   CompactionsV1        { 0 compactor_epoch u64, 1 recent_compactions [Compaction] (R) }
**   Compaction           { 0 id Ulid (R), 1 spec_type u8 (union tag),
**                          2 spec CompactionSpec (R), 3 status i8, 4 output_ssts [CompactedSsTable] }
**   union CompactionSpec { 1 = TieredCompactionSpec }
**   TieredCompactionSpec { 0 ssts [Ulid], 1 sorted_runs [u32], 2 l0_view_ids [Ulid] }
**   status               0 Submitted, 1 Running, 2 Completed, 3 Failed
**   CompactedSsTable     { 0 id Ulid (R), 1 info SsTableInfo (R), 2 visible_range BytesRange,
**                          3 format_version u16 (absent = SST format 1) }
**   BytesRange { 0 start_bound BytesBound (R), 1 end_bound BytesBound (R) }
**   BytesBound { 0 key [ubyte], 1 bound_type i8 }      Ulid { 0 high u64, 1 low u64 }
**
** How SlateDB writes it (flatbuffer_types.rs): compactor_epoch omitted when 0;
** recent_compactions always present; per compaction spec_type = 1 and the
** spec always present, status omitted when Submitted; ssts, sorted_runs,
** l0_view_ids and output_ssts omitted when empty; every CompactedSsTable
** carries format_version. 0.12.1 fills l0_view_ids for L0 sources and leaves
** ssts absent (spec §2.5, verified on files). The destination run is not
** stored: SlateDB recomputes it as min(sorted_runs), or 0.
**
** The encoder writes front to back (fbbuild.h), so its bytes differ from the
** Rust builder's (which writes back to front); decoding either gives the same
** values, and SlateDB accepts both (same verifier rules as manifests).
**
** Data 0.12.1 cannot represent (fields with higher ids, union members other
** than 1, statuses outside 0..3, an SsTableInfo filter_format) sets
** bUnknownFields; the encoder then refuses, as the manifest encoder does.
**
** Amplification guard, as in manifest.c: decoded data is charged against 32
** bytes per input byte plus 8 MiB.
*/
#include <stdio.h>
#include <stdlib.h>

#include "meta/compactions.h"
#include "util/fbbuild.h"
#include "meta/manifest_enc.h"

#define SST_INFO_NFIELD 11      /* SsTableInfo ids 0..10 read by table/sstinfo.c */


/* Decoding state for one object. */
typedef struct CxDec {
  SdbFb fb;               /* the FlatBuffer (after the envelope); borrowed */
  SdbErr *pErr;
  u64 nBudget;            /* bytes of decoded data still allowed */
  SdbCompactions *pC;     /* the object being filled */
} CxDec;

/* Prefix the message in d->pErr and evaluate to rc. */
#define CX_WRAP(d, rc, ...) (sdbErrWrap((d)->pErr, __VA_ARGS__), (rc))

/* ================================================================ freeing */

void sdbCompactionRecClear(SdbCompactionRec *r) {
  sdbFree(r->aSstId);
  sdbFree(r->aRunId);
  sdbFree(r->aL0View);
  for (int i = 0; i < r->nOut && r->aOut; i++) sdbSstHandleClear(&r->aOut[i]);
  sdbFree(r->aOut);
  memset(r, 0, sizeof(*r));
}

void sdbCompactionsFree(SdbCompactions *p) {
  if (!p) return;
  for (int i = 0; i < p->n && p->a; i++) sdbCompactionRecClear(&p->a[i]);
  sdbFree(p->a);
  sdbFree(p->pRaw);
  sdbFree(p);
}

/* ================================================================ helpers */

/* Charge n bytes of decoded data: SDB_OK, or SDB_CORRUPT when over budget. */
static int cxCharge(CxDec *d, u64 n) {
  if (n > d->nBudget) {
    return sdbCorrupt(d->pErr, "decoded form too large for a %llu-byte object "
                      "(shared sub-objects?)", (unsigned long long)d->fb.n + 2);
  }
  d->nBudget -= n;
  return SDB_OK;
}

/* A zeroed, charged array of n elements of sz bytes for field zField.
** *pp = NULL when n == 0; the caller owns *pp. */
static int cxArray(CxDec *d, u32 n, size_t sz, const char *zField, void **pp) {
  *pp = NULL;
  if (n == 0) return SDB_OK;
  if (n > INT32_MAX) return sdbCorrupt(d->pErr, "%s: vector of %u elements", zField, n);
  int rc = cxCharge(d, (u64)n * sz);
  if (rc) return CX_WRAP(d, rc, "%s: ", zField);
  *pp = sdbMallocZero((size_t)n * sz);
  return *pp ? SDB_OK : SDB_NOMEM_ERR(d->pErr);
}

/* Set bUnknownFields if table t has a present field with id >= nKnown. The
** scan of a long vtable is charged so shared vtables cannot blow up. */
static int cxNoteUnknown(CxDec *d, const SdbFbTable *t, int nKnown) {
  int nSlot = (t->vtSize - 4) / 2;
  if (nSlot <= nKnown) return SDB_OK;
  int rc = cxCharge(d, (u64)(nSlot - nKnown));
  for (int id = nKnown; rc == SDB_OK && id < nSlot; id++) {
    if (sdbFbHas(t, id)) { d->pC->bUnknownFields = 1; break; }
  }
  return rc;
}

/* A sub-table at field id. Absent: corruption if bRequired, else *pbHas = 0. */
static int cxSub(CxDec *d, const SdbFbTable *t, int id, const char *zField, int bRequired,
                 SdbFbTable *pSub, int *pbHas) {
  int rc = sdbFbTable(t, id, pSub, pbHas, d->pErr);
  if (rc) return CX_WRAP(d, rc, "%s: ", zField);
  if (!*pbHas && bRequired) return sdbCorrupt(d->pErr, "%s: required field missing", zField);
  return SDB_OK;
}

/* A vector of 4-byte elements at field id. Absent: corruption if bRequired,
** else *pbHas = 0 and pV->n = 0. */
static int cxVec(CxDec *d, const SdbFbTable *t, int id, const char *zField, int bRequired,
                 SdbFbVec *pV, int *pbHas) {
  int rc = sdbFbVector(t, id, 4, pV, pbHas, d->pErr);
  if (rc) return CX_WRAP(d, rc, "%s: ", zField);
  if (!*pbHas && bRequired) return sdbCorrupt(d->pErr, "%s: required field missing", zField);
  return SDB_OK;
}

/* A Ulid table into *pId (t is the Ulid table itself). */
static int cxUlidTable(CxDec *d, const SdbFbTable *t, SdbUlid *pId) {
  int rc = sdbUlidFromTable(t, pId, d->pErr);
  return rc ? rc : cxNoteUnknown(d, t, 2);
}

/* A required Ulid sub-table at field id. */
static int cxUlid(CxDec *d, const SdbFbTable *t, int id, const char *zField, SdbUlid *pId) {
  SdbFbTable sub;
  int bHas;
  memset(pId, 0, sizeof(*pId));
  int rc = cxSub(d, t, id, zField, 1, &sub, &bHas);
  if (rc == SDB_OK && (rc = cxUlidTable(d, &sub, pId))) rc = CX_WRAP(d, rc, "%s: ", zField);
  return rc;
}

/* An optional [Ulid] vector at field id into *pa / *pn / *pbHas. */
static int cxUlidVec(CxDec *d, const SdbFbTable *t, int id, const char *zField,
                     SdbUlid **pa, int *pn, int *pbHas) {
  SdbFbVec v;
  int rc = cxVec(d, t, id, zField, 0, &v, pbHas);
  if (rc == SDB_OK) rc = cxArray(d, v.n, sizeof(SdbUlid), zField, (void **)pa);
  if (rc) return rc;
  *pn = (int)v.n;
  for (u32 i = 0; i < v.n; i++) {
    SdbFbTable e;
    rc = sdbFbVecTable(&v, i, &e, d->pErr);
    if (rc == SDB_OK) rc = cxUlidTable(d, &e, &(*pa)[i]);
    if (rc) return CX_WRAP(d, rc, "%s[%u]: ", zField, i);
  }
  return SDB_OK;
}

/* ================================================================ SST handles */

/* One CompactedSsTable table into *h (zeroed; the caller clears it), with
** the manifest's decoder. */
static int cxSst(CxDec *d, const SdbFbTable *t, SdbSstHandle *h) {
  int rc = sdbSstHandleDecode(&d->fb, t, h, &d->nBudget, &d->pC->bUnknownFields, d->pErr);
  if (rc == SDB_OK && h->info.eFilterFormat) d->pC->bUnknownFields = 1;   /* 0.13+ only */
  return rc;
}

/* ================================================================ records */

/* The TieredCompactionSpec table t into r. */
static int cxTiered(CxDec *d, const SdbFbTable *t, SdbCompactionRec *r) {
  SdbFbVec v;
  int rc = cxUlidVec(d, t, 0, "ssts", &r->aSstId, &r->nSstId, &r->bHasSstIds);
  if (rc == SDB_OK) rc = cxVec(d, t, 1, "sorted_runs", 0, &v, &r->bHasRunIds);
  if (rc == SDB_OK) rc = cxArray(d, v.n, sizeof(u32), "sorted_runs", (void **)&r->aRunId);
  if (rc) return rc;
  r->nRunId = (int)v.n;
  for (u32 i = 0; i < v.n; i++) r->aRunId[i] = sdbGetU32LE(d->fb.a + v.pos + 4ull * i);
  rc = cxUlidVec(d, t, 2, "l0_view_ids", &r->aL0View, &r->nL0View, &r->bHasL0Views);
  return rc ? rc : cxNoteUnknown(d, t, 3);
}

/* One Compaction table into *r (zeroed; the caller clears it). */
static int cxRecord(CxDec *d, const SdbFbTable *t, SdbCompactionRec *r) {
  SdbFbTable sub;
  SdbFbVec v;
  int bHas;
  u8 st = 0;
  int rc = cxUlid(d, t, 0, "id", &r->id);
  if (rc == SDB_OK && (rc = sdbFbU8(t, 1, 0, &r->specType, d->pErr))) {
    rc = CX_WRAP(d, rc, "spec_type: ");
  }
  if (rc == SDB_OK) rc = cxSub(d, t, 2, "spec", 1, &sub, &bHas);
  if (rc) return rc;
  if (r->specType == 0) return sdbCorrupt(d->pErr, "spec_type: NONE with a spec present");
  if (r->specType == SDB_COMPACTION_SPEC_TIERED) {
    if ((rc = cxTiered(d, &sub, r))) return CX_WRAP(d, rc, "spec.");
  } else {
    d->pC->bUnknownFields = 1;          /* a union member newer than 0.12.1 */
  }
  if ((rc = sdbFbU8(t, 3, 0, &st, d->pErr))) return CX_WRAP(d, rc, "status: ");
  r->status = (i8)st;
  if (r->status < SDB_COMPACTION_SUBMITTED || r->status > SDB_COMPACTION_FAILED) {
    d->pC->bUnknownFields = 1;          /* a status newer than 0.12.1 */
  }
  rc = cxVec(d, t, 4, "output_ssts", 0, &v, &r->bHasOut);
  if (rc == SDB_OK) rc = cxArray(d, v.n, sizeof(SdbSstHandle), "output_ssts", (void **)&r->aOut);
  if (rc) return rc;
  r->nOut = (int)v.n;
  for (u32 i = 0; i < v.n; i++) {
    SdbFbTable e;
    rc = sdbFbVecTable(&v, i, &e, d->pErr);
    if (rc) return CX_WRAP(d, rc, "output_ssts[%u]: ", i);
    if ((rc = cxSst(d, &e, &r->aOut[i]))) return CX_WRAP(d, rc, "output_ssts[%u].", i);
  }
  return cxNoteUnknown(d, t, 5);
}

/* The CompactionsV1 root t into d->pC. */
static int cxRoot(CxDec *d, const SdbFbTable *t) {
  SdbCompactions *c = d->pC;
  SdbFbVec v;
  int bHas;
  int rc = sdbFbU64(t, 0, 0, &c->compactorEpoch, d->pErr);
  if (rc) return CX_WRAP(d, rc, "compactor_epoch: ");
  rc = cxVec(d, t, 1, "recent_compactions", 1, &v, &bHas);
  if (rc == SDB_OK) {
    rc = cxArray(d, v.n, sizeof(SdbCompactionRec), "recent_compactions", (void **)&c->a);
  }
  if (rc) return rc;
  c->n = (int)v.n;
  for (u32 i = 0; i < v.n; i++) {
    SdbFbTable e;
    rc = sdbFbVecTable(&v, i, &e, d->pErr);
    if (rc) return CX_WRAP(d, rc, "recent_compactions[%u]: ", i);
    if ((rc = cxRecord(d, &e, &c->a[i]))) return CX_WRAP(d, rc, "recent_compactions[%u].", i);
  }
  return cxNoteUnknown(d, t, 2);
}

/* Decode within nBudget bytes of decoded data, without the "compactions: "
** prefix (callers add their own context). */
static int compactionsDecode(const u8 *a, size_t n, u64 nBudget, SdbCompactions **pp,
                             SdbErr *pErr) {
  *pp = NULL;
  if (n < 2) return sdbCorrupt(pErr, "empty compactions object (%zu bytes)", n);
  u16 ver = sdbGetU16BE(a);
  if (ver != 1) {
    return sdbErrSet(pErr, SDB_UNSUPPORTED, "unsupported compactions format version %u", ver);
  }
  SdbCompactions *c = sdbMallocZero(sizeof(*c));
  if (!c || !(c->pRaw = sdbMemdup(a, n))) {
    sdbFree(c);
    return SDB_NOMEM_ERR(pErr);
  }
  c->nRaw = n;
  CxDec d = {.fb = {c->pRaw + 2, n - 2}, .pErr = pErr, .pC = c};
  d.nBudget = nBudget;
  SdbFbTable root;
  int rc = sdbFbRoot(&d.fb, &root, pErr);
  if (rc == SDB_OK) rc = cxRoot(&d, &root);
  if (rc) sdbCompactionsFree(c);
  else *pp = c;
  return rc;
}

int sdbCompactionsDecode(const u8 *a, size_t n, SdbCompactions **pp, SdbErr *pErr) {
  u64 nBudget = (u64)n * SDB_VOBJ_BUDGET_PER_BYTE + SDB_VOBJ_BUDGET_SLACK;
  int rc = compactionsDecode(a, n, nBudget, pp, pErr);
  if (rc) sdbErrWrap(pErr, "compactions: ");
  return rc;
}

/* ================================================================ encoding */

/* A [Ulid] vector. */
static u32 encUlids(SdbFbb *f, const SdbUlid *a, int n) {
  u32 vec = sdbFbbVecTables(f, (u32)n);
  for (int i = 0; i < n; i++) sdbFbbPatchElem(f, vec, (u32)i, sdbUlidWrite(f, a[i]));
  return vec;
}

/* A [uint32] vector: the same shape as a [ubyte] vector of 4n bytes (u32
** count, then the elements), 4-aligned like every vector the builder writes. */
static u32 encU32s(SdbFbb *f, const u32 *a, int n, int *pRc) {
  u8 *b = sdbMalloc(n ? (size_t)n * 4 : 1);
  if (!b) { *pRc = SDB_NOMEM; return 0; }
  for (int i = 0; i < n; i++) sdbPutU32LE(b + 4 * i, a[i]);
  u32 pos = sdbFbbBytes(f, b, (u32)n * 4);
  sdbFree(b);
  if (pos) sdbPutU32LE(f->buf.a + f->nPrefix + pos, (u32)n);   /* element count, not bytes */
  return pos;
}

/* The TieredCompactionSpec of r. */
static u32 encTiered(SdbFbb *f, const SdbCompactionRec *r, int *pRc) {
  int bSst = r->bHasSstIds || r->nSstId > 0;
  int bRun = r->bHasRunIds || r->nRunId > 0;
  int bL0 = r->bHasL0Views || r->nL0View > 0;
  SdbFbbTable t;
  sdbFbbTableInit(&t);
  if (bSst) sdbFbbAddRef(&t, 0);
  if (bRun) sdbFbbAddRef(&t, 1);
  if (bL0) sdbFbbAddRef(&t, 2);
  u32 pos = sdbFbbTableWrite(f, &t);
  if (bSst) sdbFbbPatchField(f, &t, 0, encUlids(f, r->aSstId, r->nSstId));
  if (bRun) sdbFbbPatchField(f, &t, 1, encU32s(f, r->aRunId, r->nRunId, pRc));
  if (bL0) sdbFbbPatchField(f, &t, 2, encUlids(f, r->aL0View, r->nL0View));
  return pos;
}

/* One Compaction table. */
static u32 encRecord(SdbFbb *f, const SdbCompactionRec *r, int *pRc) {
  int bOut = r->bHasOut || r->nOut > 0;
  SdbFbbTable t;
  sdbFbbTableInit(&t);
  sdbFbbAddRef(&t, 0);
  sdbFbbAddU8(&t, 1, SDB_COMPACTION_SPEC_TIERED);
  sdbFbbAddRef(&t, 2);
  if (r->status) sdbFbbAddU8(&t, 3, (u8)r->status);
  if (bOut) sdbFbbAddRef(&t, 4);
  u32 pos = sdbFbbTableWrite(f, &t);
  sdbFbbPatchField(f, &t, 0, sdbUlidWrite(f, r->id));
  sdbFbbPatchField(f, &t, 2, encTiered(f, r, pRc));
  if (bOut) {
    u32 vec = sdbFbbVecTables(f, (u32)r->nOut);
    sdbFbbPatchField(f, &t, 4, vec);
    for (int i = 0; i < r->nOut; i++) sdbFbbPatchElem(f, vec, (u32)i, sdbSstHandleWrite(f, &r->aOut[i]));
  }
  return pos;
}

int sdbCompactionsEncode(const SdbCompactions *p, u8 **pa, size_t *pn, SdbErr *pErr) {
  static const u8 kVersion[2] = {0, 1};
  *pa = NULL;
  *pn = 0;
  if (p->bUnknownFields) {
    return sdbErrSet(pErr, SDB_UNSUPPORTED,
                     "compactions object has data unknown to SlateDB 0.12.1; refusing to "
                     "rewrite it (it would be lost)");
  }
  for (int i = 0; i < p->n; i++) {
    if (p->a[i].specType != SDB_COMPACTION_SPEC_TIERED) {
      return sdbErrSet(pErr, SDB_UNSUPPORTED, "compactions: recent_compactions[%d]: spec "
                       "type %u is not TieredCompactionSpec", i, p->a[i].specType);
    }
  }
  int rcAlloc = SDB_OK;
  SdbFbb f;
  sdbFbbInit(&f, kVersion, 2);
  SdbFbbTable t;
  sdbFbbTableInit(&t);
  if (p->compactorEpoch) sdbFbbAddU64(&t, 0, p->compactorEpoch);
  sdbFbbAddRef(&t, 1);
  sdbFbbSetRoot(&f, sdbFbbTableWrite(&f, &t));
  u32 vec = sdbFbbVecTables(&f, (u32)p->n);
  sdbFbbPatchField(&f, &t, 1, vec);
  for (int i = 0; i < p->n; i++) sdbFbbPatchElem(&f, vec, (u32)i, encRecord(&f, &p->a[i], &rcAlloc));
  if (rcAlloc) {
    sdbFbbFree(&f);
    return SDB_NOMEM_ERR(pErr);
  }
  int rc = sdbFbbFinish(&f, pa, pn);
  if (rc) return sdbErrSet(pErr, rc, "encoding compactions failed (rc=%d)", rc);
  return SDB_OK;
}

/* ================================================================ trimming */

/* qsort order of records: ascending id. */
static int cxRecCmp(const void *pa, const void *pb) {
  const SdbCompactionRec *a = pa, *b = pb;
  if (a->id.hi != b->id.hi) return a->id.hi < b->id.hi ? -1 : 1;
  if (a->id.lo != b->id.lo) return a->id.lo < b->id.lo ? -1 : 1;
  return 0;
}

/* Completed or Failed. */
static int cxFinished(const SdbCompactionRec *r) {
  return r->status == SDB_COMPACTION_COMPLETED || r->status == SDB_COMPACTION_FAILED;
}

void sdbCompactionsRetain(SdbCompactions *p) {
  int iLast = -1, n = 0;
  for (int i = 0; i < p->n; i++) {
    if (cxFinished(&p->a[i]) && (iLast < 0 || cxRecCmp(&p->a[i], &p->a[iLast]) > 0)) iLast = i;
  }
  for (int i = 0; i < p->n; i++) {
    int bActive = p->a[i].status == SDB_COMPACTION_SUBMITTED || p->a[i].status == SDB_COMPACTION_RUNNING;
    if (bActive || i == iLast) p->a[n++] = p->a[i];
    else sdbCompactionRecClear(&p->a[i]);
  }
  p->n = n;
  if (n > 1) qsort(p->a, (size_t)n, sizeof(SdbCompactionRec), cxRecCmp);
}

/* ================================================================ loading */

static int kindDecode(const u8 *a, size_t n, u64 nBudget, void **pp, SdbErr *pErr) {
  return compactionsDecode(a, n, nBudget, (SdbCompactions **)pp, pErr);
}
static int kindEncode(const void *p, u8 **pa, size_t *pn, SdbErr *pErr) {
  return sdbCompactionsEncode(p, pa, pn, pErr);
}
static void *kindNew(void) { return sdbMallocZero(sizeof(SdbCompactions)); }
static u64 kindEpoch(const void *p) { return ((const SdbCompactions *)p)->compactorEpoch; }
static void kindFree(void *p) { sdbCompactionsFree(p); }

const SdbVobjKind sdbCompactionsKind = {
  "compactions/", ".compactions", "compactions object", "",
  SDB_VOBJ_BUDGET_PER_BYTE, SDB_VOBJ_BUDGET_SLACK, 100,
  kindDecode, kindEncode, NULL, kindNew, kindEpoch, kindFree,
};

int sdbCompactionsLoadLatest(SdbStore *pStore, SdbCompactions **pp, u64 *pId, SdbErr *pErr) {
  return sdbVobjLoadLatest(pStore, &sdbCompactionsKind, (void **)pp, pId, pErr);
}

/* The caller's edit, typed. */
typedef struct CxCommitCtx {
  SdbCompactionsEdit xEdit;
  void *pCtx;
} CxCommitCtx;

static int cxCommitEdit(void *pObj, u64 newId, void *pCtx, SdbErr *pErr) {
  CxCommitCtx *c = pCtx;
  (void)newId;
  return c->xEdit(pObj, c->pCtx, pErr);
}

int sdbCompactionsCommit(SdbStore *pStore, int eFence, u64 epoch, SdbCompactionsEdit xEdit,
                         void *pCtx, u64 *pIdOut, u64 *pFencedBy, SdbErr *pErr) {
  CxCommitCtx cc = {xEdit, pCtx};
  SdbVobjCommit c;
  memset(&c, 0, sizeof(c));
  c.pStore = pStore;
  c.pKind = &sdbCompactionsKind;
  c.eFence = eFence;
  c.epoch = epoch;
  c.xEdit = cxCommitEdit;
  c.pCtx = &cc;
  int rc = sdbVobjCommit(&c, NULL, 0, pErr);
  if (pIdOut) *pIdOut = c.id;
  if (pFencedBy) *pFencedBy = c.fencedBy;
  return rc;
}
