/*
** manifest.c: decode SlateDB 0.12.1 manifests (ManifestV1 and ManifestV2) into
** an SdbManifest and load the latest one from a store. The sequence tracker is
** kept as raw bytes (c-tests/manifest_view.h decodes it for the tests).
**
** Source of truth: schemas/manifest.fbs, common.fbs and sst.fbs at fce6ed00;
** spec/MANIFEST.md §1 (naming), §2.1 (envelope), §2.2 (schema), §2.4
** (tracker), §3.1 (reading the latest version).
**
** Byte layout, in our words. The object is a u16 big-endian format version
** followed by one FlatBuffer (read with fb.h; every offset is checked). Field
** ids are declaration order; absent scalars take their default (0 / false),
** absent references mean "not present"; (R) marks a required field, whose
** absence is corruption.
**
**   ManifestV1 (version 1; what 0.12.1 writes)
**     0 manifest_id u64        1 external_dbs [ExternalDb]   2 initialized bool
**     3 writer_epoch u64       4 compactor_epoch u64         5 replay_after_wal_id u64
**     6 wal_id_last_seen u64   7 l0_last_compacted Ulid      8 l0 [CompactedSsTable] (R)
**     9 compacted [SortedRun] (R)                           10 last_l0_clock_tick i64
**    11 checkpoints [Checkpoint] (R)                        12 last_l0_seq u64
**    13 wal_object_store_uri string                         14 recent_snapshot_min_seq u64
**    15 sequence_tracker [ubyte]
**   ManifestV2 (version 2; read only)
**     0..6 as V1               7 last_compacted_l0_sst_view_id Ulid
**     8 ssts [CompactedSsTableV2] (R)   9 l0 [CompactedSsTableView] (R)
**    10 compacted [SortedRunV2] (R)    11 last_l0_clock_tick i64
**    12 checkpoints (R)   13 last_l0_seq   14 recent_snapshot_min_seq   15 sequence_tracker
**   CompactedSsTable     { 0 id Ulid (R), 1 info SsTableInfo (R), 2 visible_range BytesRange,
**                          3 format_version u16 (absent = SST format 1) }
**   CompactedSsTableV2   { 0 id Ulid (R), 1 info SsTableInfo (R), 2 format_version u16 }
**   CompactedSsTableView { 0 id Ulid (R) view id, 1 sst_id Ulid (R) -> ssts, 2 visible_range }
**   SortedRun / SortedRunV2 { 0 id u32, 1 ssts [CompactedSsTable | CompactedSsTableView] (R) }
**   BytesRange { 0 start_bound BytesBound (R), 1 end_bound BytesBound (R) }
**   BytesBound { 0 key [ubyte], 1 bound_type i8: 1 Unbounded, 2 Included, 3 Excluded }
**   Checkpoint { 0 id Uuid (R), 1 manifest_id u64, 2 checkpoint_expire_time_s u32,
**                3 checkpoint_create_time_s u32, 4 metadata_type u8,
**                5 metadata (union: 1 = WriterCheckpoint { 0 epoch u64 }), 6 name string }
**   ExternalDb { 0 path string (R), 1 source_checkpoint_id Uuid (R),
**                2 final_checkpoint_id Uuid, 3 sst_ids [Ulid] (R) }
**   Ulid / Uuid { 0 high u64, 1 low u64 }   SsTableInfo: see table/sstinfo.h.
**
** Error messages name the field path, e.g. "manifest: l0[3].info: flatbuffer:
** ...". Convention: every table decoder below reports messages that start
** with a field name relative to its table; callers prefix "name." (or
** "name[i].") to build the path.
**
** Amplification guard: FlatBuffers can share sub-objects, so a small buffer
** could describe a huge manifest. Every allocation is charged against a
** budget of 32 bytes per input byte plus 8 MiB; exceeding it is corruption
** (real manifests use under 2 bytes per input byte).
*/
#include <stdio.h>
#include <stdlib.h>

#include "meta/manifest.h"
#include "meta/manifest_enc.h"

/* Field ids shared by V1 and V2 (0..6). */
enum {
  MF_MANIFEST_ID = 0, MF_EXTERNAL_DBS = 1, MF_INITIALIZED = 2, MF_WRITER_EPOCH = 3,
  MF_COMPACTOR_EPOCH = 4, MF_REPLAY_AFTER = 5, MF_WAL_LAST_SEEN = 6
};
/* ManifestV1 ids 7..15. */
enum {
  M1_L0_LAST_COMPACTED = 7, M1_L0 = 8, M1_COMPACTED = 9, M1_CLOCK_TICK = 10,
  M1_CHECKPOINTS = 11, M1_LAST_L0_SEQ = 12, M1_WAL_URI = 13, M1_SNAPSHOT_MIN_SEQ = 14,
  M1_SEQ_TRACKER = 15, M1_NFIELD = 16
};
/* ManifestV2 ids 7..15. */
enum {
  M2_L0_LAST_COMPACTED = 7, M2_SSTS = 8, M2_L0 = 9, M2_COMPACTED = 10, M2_CLOCK_TICK = 11,
  M2_CHECKPOINTS = 12, M2_LAST_L0_SEQ = 13, M2_SNAPSHOT_MIN_SEQ = 14, M2_SEQ_TRACKER = 15,
  M2_NFIELD = 16
};

#define SST_INFO_NFIELD 11     /* SsTableInfo ids 0..10 (10 = 0.13 filter_format) */

/* One V2 `ssts` entry, decoded once and copied into every view of it. */
typedef struct V2Sst {
  SdbUlid id;
  SdbSstInfo info;        /* owned by the decoder's table */
  int bHasFv;
  u16 fv;
} V2Sst;

/* Decoding state for one manifest. */
typedef struct Dec {
  SdbFb fb;               /* the FlatBuffer (after the envelope); borrowed */
  SdbErr *pErr;
  u64 nBudget;            /* bytes of decoded data still allowed */
  SdbManifest *pM;        /* the manifest being filled (NULL: one SST handle) */
  int *pbUnknown;         /* set when a field this build does not know is present */
  V2Sst *aSst;            /* V2: ssts sorted by id; owned here */
  u32 nSst;
} Dec;

/* Decodes the table t into the element e of some array. */
typedef int (*SstDecodeFn)(Dec *, const SdbFbTable *, SdbSstHandle *);

/* ================================================================ freeing */

/* Release a bound's key copy and zero it. */
static void boundClear(SdbBound *b) {
  sdbFree(b->pKey);
  memset(b, 0, sizeof(*b));
}

void sdbSstHandleClear(SdbSstHandle *h) {
  sdbSstInfoClear(&h->info);
  boundClear(&h->visStart);
  boundClear(&h->visEnd);
  memset(h, 0, sizeof(*h));
}

/* Release an array of n handles and everything each owns. NULL-safe. */
static void handlesFree(SdbSstHandle *a, int n) {
  for (int i = 0; i < n && a; i++) sdbSstHandleClear(&a[i]);
  sdbFree(a);
}

void sdbManifestFree(SdbManifest *p) {
  if (!p) return;
  handlesFree(p->aL0, p->nL0);
  for (int i = 0; i < p->nRun && p->aRun; i++) handlesFree(p->aRun[i].aSst, p->aRun[i].nSst);
  sdbFree(p->aRun);
  for (int i = 0; i < p->nCkpt && p->aCkpt; i++) sdbFree(p->aCkpt[i].zName);
  sdbFree(p->aCkpt);
  for (int i = 0; i < p->nExtDb && p->aExtDb; i++) {
    sdbFree(p->aExtDb[i].zPath);
    sdbFree(p->aExtDb[i].aSstId);
  }
  sdbFree(p->aExtDb);
  sdbFree(p->zWalObjectStoreUri);
  sdbFree(p->pSeqTracker);
  sdbFree(p->pRaw);
  sdbFree(p);
}

/* ================================================================ copying */

/* Deep copy of a byte run: *pp = NULL when a is NULL. SDB_OK or SDB_NOMEM. */
static int copyBytes(u8 **pp, const u8 *a, size_t n) {
  *pp = NULL;
  if (!a) return SDB_OK;
  return (*pp = sdbMemdup(a, n)) ? SDB_OK : SDB_NOMEM;
}

/* Deep copy of a string: *pz = NULL when z is NULL. SDB_OK or SDB_NOMEM. */
static int copyStr(char **pz, const char *z) {
  *pz = NULL;
  if (!z) return SDB_OK;
  return (*pz = sdbStrdup(z)) ? SDB_OK : SDB_NOMEM;
}

/* Deep copy of an array of n elements of sz bytes (NULL when n == 0). */
static int copyArray(void **pp, const void *a, int n, size_t sz) {
  *pp = NULL;
  if (n <= 0 || !a) return SDB_OK;
  return (*pp = sdbMemdup(a, sz * (size_t)n)) ? SDB_OK : SDB_NOMEM;
}

/* Deep copy of one SST handle into *d (whose pointers are the source's on
** entry: the struct was copied). On error *d owns what was copied so far. */
static int copyHandle(SdbSstHandle *d) {
  SdbSstHandle s = *d;
  d->info.pFirst = d->info.pLast = NULL;
  d->visStart.pKey = d->visEnd.pKey = NULL;
  if (sdbSstInfoCopy(&d->info, &s.info)) return SDB_NOMEM;
  if (copyBytes(&d->visStart.pKey, s.visStart.pKey, s.visStart.nKey)) return SDB_NOMEM;
  return copyBytes(&d->visEnd.pKey, s.visEnd.pKey, s.visEnd.nKey);
}

/* Deep copy of n handles a into *pp. On error *pp is NULL. */
static int copyHandles(SdbSstHandle **pp, const SdbSstHandle *a, int n) {
  int rc = copyArray((void **)pp, a, n, sizeof(SdbSstHandle));
  for (int i = 0; rc == SDB_OK && i < n && *pp; i++) {
    rc = copyHandle(&(*pp)[i]);
    if (rc) {
      /* Entries after i still point into the source: clear only 0..i. */
      for (int j = 0; j <= i; j++) sdbSstHandleClear(&(*pp)[j]);
      sdbFree(*pp);
      *pp = NULL;
    }
  }
  return rc;
}

/* Copy the arrays of runs, checkpoints and external DBs of s into d (whose
** pointers are s's on entry). On error the fields not copied yet are NULL. */
static int copyLists(SdbManifest *d, const SdbManifest *s) {
  d->aRun = NULL; d->aCkpt = NULL; d->aExtDb = NULL;
  int rc = copyArray((void **)&d->aRun, s->aRun, s->nRun, sizeof(SdbSortedRun));
  for (int i = 0; i < s->nRun && d->aRun; i++) d->aRun[i].aSst = NULL;
  for (int i = 0; rc == SDB_OK && i < s->nRun; i++) {
    rc = copyHandles(&d->aRun[i].aSst, s->aRun[i].aSst, s->aRun[i].nSst);
  }
  if (rc == SDB_OK) rc = copyArray((void **)&d->aCkpt, s->aCkpt, s->nCkpt, sizeof(SdbCheckpoint));
  for (int i = 0; i < s->nCkpt && d->aCkpt; i++) d->aCkpt[i].zName = NULL;
  for (int i = 0; rc == SDB_OK && i < s->nCkpt; i++) rc = copyStr(&d->aCkpt[i].zName, s->aCkpt[i].zName);
  if (rc == SDB_OK) rc = copyArray((void **)&d->aExtDb, s->aExtDb, s->nExtDb, sizeof(SdbExternalDb));
  for (int i = 0; i < s->nExtDb && d->aExtDb; i++) {
    d->aExtDb[i].zPath = NULL;
    d->aExtDb[i].aSstId = NULL;
  }
  for (int i = 0; rc == SDB_OK && i < s->nExtDb; i++) {
    const SdbExternalDb *x = &s->aExtDb[i];
    rc = copyStr(&d->aExtDb[i].zPath, x->zPath);
    if (rc == SDB_OK) rc = copyArray((void **)&d->aExtDb[i].aSstId, x->aSstId, x->nSstId, sizeof(SdbUlid));
  }
  return rc;
}

int sdbManifestCopy(const SdbManifest *p, SdbManifest **pp, SdbErr *pErr) {
  SdbManifest *d = sdbMalloc(sizeof(*d));
  *pp = NULL;
  if (!d) return SDB_NOMEM_ERR(pErr);
  *d = *p;
  d->aL0 = NULL; d->zWalObjectStoreUri = NULL; d->pSeqTracker = NULL; d->pRaw = NULL;
  int rc = copyLists(d, p);
  if (rc == SDB_OK) rc = copyHandles(&d->aL0, p->aL0, p->nL0);
  if (rc == SDB_OK) rc = copyStr(&d->zWalObjectStoreUri, p->zWalObjectStoreUri);
  if (rc == SDB_OK) rc = copyBytes(&d->pSeqTracker, p->pSeqTracker, p->nSeqTracker);
  if (rc == SDB_OK) rc = copyBytes(&d->pRaw, p->pRaw, p->nRaw);
  if (rc) {
    sdbManifestFree(d);
    return SDB_NOMEM_ERR(pErr);
  }
  *pp = d;
  return SDB_OK;
}

/* ================================================================ helpers */

/* Prefix the message in d->pErr and evaluate to rc. (sdbErrWrap returns
** SDB_OK when there is no SdbErr, so its value must never be returned.) */
#define DEC_WRAP(d, rc, ...) (sdbErrWrap((d)->pErr, __VA_ARGS__), (rc))

/* Charge n bytes of decoded data. SDB_OK, or SDB_CORRUPT when over budget. */
static int decCharge(Dec *d, u64 n) {
  if (n > d->nBudget) {
    return sdbCorrupt(d->pErr, "decoded form too large for a %llu-byte object "
                      "(shared sub-objects?)", (unsigned long long)d->fb.n + 2);
  }
  d->nBudget -= n;
  return SDB_OK;
}

/* A zeroed, charged array of n elements of sz bytes for vector zField.
** *pp = NULL when n == 0; the caller owns *pp. */
static int decArray(Dec *d, u32 n, size_t sz, const char *zField, void **pp) {
  *pp = NULL;
  if (n == 0) return SDB_OK;
  if (n > INT32_MAX) return sdbCorrupt(d->pErr, "%s: vector of %u elements", zField, n);
  int rc = decCharge(d, (u64)n * sz);
  if (rc) return DEC_WRAP(d, rc, "%s: ", zField);
  *pp = sdbMallocZero((size_t)n * sz);
  return *pp ? SDB_OK : SDB_NOMEM_ERR(d->pErr);
}

/* Flag fields with ids >= nKnown (data this build cannot represent). The
** scan of an oversized vtable is charged so shared vtables cannot blow up. */
static int decNoteUnknown(Dec *d, const SdbFbTable *t, int nKnown) {
  int nSlot = (t->vtSize - 4) / 2;
  if (nSlot <= nKnown) return SDB_OK;
  int rc = decCharge(d, (u64)(nSlot - nKnown));
  for (int id = nKnown; rc == SDB_OK && id < nSlot; id++) {
    if (sdbFbHas(t, id)) { *d->pbUnknown = 1; break; }
  }
  return rc;
}

/* The error for an absent (required) field. Returns SDB_CORRUPT. */
static int decMissing(Dec *d, const char *zField) {
  return sdbCorrupt(d->pErr, "%s: required field missing", zField);
}

/* Scalars: *pV = field id of t (0 when absent); errors name zField. */
static int decU64(Dec *d, const SdbFbTable *t, int id, const char *zField, u64 *pV) {
  int rc = sdbFbU64(t, id, 0, pV, d->pErr);
  return rc ? DEC_WRAP(d, rc, "%s: ", zField) : SDB_OK;
}

static int decI64(Dec *d, const SdbFbTable *t, int id, const char *zField, i64 *pV) {
  int rc = sdbFbI64(t, id, 0, pV, d->pErr);
  return rc ? DEC_WRAP(d, rc, "%s: ", zField) : SDB_OK;
}

static int decU32(Dec *d, const SdbFbTable *t, int id, const char *zField, u32 *pV) {
  int rc = sdbFbU32(t, id, 0, pV, d->pErr);
  return rc ? DEC_WRAP(d, rc, "%s: ", zField) : SDB_OK;
}

static int decU8(Dec *d, const SdbFbTable *t, int id, const char *zField, u8 *pV) {
  int rc = sdbFbU8(t, id, 0, pV, d->pErr);
  return rc ? DEC_WRAP(d, rc, "%s: ", zField) : SDB_OK;
}

/* A sub-table. Absent: corrupt if bRequired, else *pbHas = 0. */
static int decSub(Dec *d, const SdbFbTable *t, int id, const char *zField, int bRequired,
                  SdbFbTable *pSub, int *pbHas) {
  int rc = sdbFbTable(t, id, pSub, pbHas, d->pErr);
  if (rc) return DEC_WRAP(d, rc, "%s: ", zField);
  if (!*pbHas && bRequired) return decMissing(d, zField);
  return SDB_OK;
}

/* A vector of tables. Absent: corrupt if bRequired, else n = 0. */
static int decVec(Dec *d, const SdbFbTable *t, int id, const char *zField, int bRequired,
                  SdbFbVec *pV) {
  int bHas;
  int rc = sdbFbVector(t, id, 4, pV, &bHas, d->pErr);
  if (rc) return DEC_WRAP(d, rc, "%s: ", zField);
  if (!bHas && bRequired) return decMissing(d, zField);
  return SDB_OK;
}

/* Element i of vector v named zField. */
static int decElem(Dec *d, const SdbFbVec *v, u32 i, const char *zField, SdbFbTable *pT) {
  int rc = sdbFbVecTable(v, i, pT, d->pErr);
  return rc ? DEC_WRAP(d, rc, "%s[%u]: ", zField, i) : SDB_OK;
}

/* A [ubyte] field copied into *pp (owned by the caller; NULL when absent). */
static int decBytes(Dec *d, const SdbFbTable *t, int id, const char *zField, u8 **pp,
                    u32 *pn, int *pbHas) {
  const u8 *a;
  *pp = NULL;
  int rc = sdbFbBytes(t, id, &a, pn, pbHas, d->pErr);
  if (rc) return DEC_WRAP(d, rc, "%s: ", zField);
  if (!*pbHas) return SDB_OK;
  if ((rc = decCharge(d, *pn))) return DEC_WRAP(d, rc, "%s: ", zField);
  *pp = sdbMemdup(a, *pn);
  return *pp ? SDB_OK : SDB_NOMEM_ERR(d->pErr);
}

/* A string field as a NUL-terminated copy (*pz = NULL when absent). The
** FlatBuffers verifier requires the terminating NUL; an embedded NUL cannot
** be represented as a C string and is rejected. */
static int decString(Dec *d, const SdbFbTable *t, int id, const char *zField, int bRequired,
                     char **pz) {
  const u8 *a;
  u32 n;
  int bHas;
  *pz = NULL;
  int rc = sdbFbBytes(t, id, &a, &n, &bHas, d->pErr);
  if (rc) return DEC_WRAP(d, rc, "%s: ", zField);
  if (!bHas) return bRequired ? decMissing(d, zField) : SDB_OK;
  size_t off = (size_t)(a - d->fb.a);
  if (off + n >= d->fb.n || a[n] != 0) {
    return sdbCorrupt(d->pErr, "%s: string not NUL-terminated", zField);
  }
  if (memchr(a, 0, n)) return sdbCorrupt(d->pErr, "%s: string contains a NUL byte", zField);
  if ((rc = decCharge(d, (u64)n + 1))) return DEC_WRAP(d, rc, "%s: ", zField);
  *pz = sdbMemdup(a, (size_t)n + 1);
  return *pz ? SDB_OK : SDB_NOMEM_ERR(d->pErr);
}

/* A Ulid sub-table. *pbHas may be NULL for a required field. */
static int decUlid(Dec *d, const SdbFbTable *t, int id, const char *zField, int bRequired,
                   SdbUlid *pId, int *pbHas) {
  SdbFbTable sub;
  int bHas;
  memset(pId, 0, sizeof(*pId));
  if (pbHas) *pbHas = 0;
  int rc = decSub(d, t, id, zField, bRequired, &sub, &bHas);
  if (rc || !bHas) return rc;
  if ((rc = sdbUlidFromTable(&sub, pId, d->pErr))) return DEC_WRAP(d, rc, "%s: ", zField);
  if (pbHas) *pbHas = 1;
  return decNoteUnknown(d, &sub, 2);
}

/* A Uuid sub-table as 16 bytes: high BE, then low BE. */
static int decUuid(Dec *d, const SdbFbTable *t, int id, const char *zField, int bRequired,
                   u8 aOut[16], int *pbHas) {
  SdbUlid v;              /* same shape: { high, low } */
  int rc = decUlid(d, t, id, zField, bRequired, &v, pbHas);
  sdbPutU64BE(aOut, v.hi);
  sdbPutU64BE(aOut + 8, v.lo);
  return rc;
}

/* ================================================================ SST handles */

/* BytesBound at field id of a BytesRange (required). */
static int decBound(Dec *d, const SdbFbTable *t, int id, const char *zField, SdbBound *pB) {
  SdbFbTable sub;
  int bHas;
  int rc = decSub(d, t, id, zField, 1, &sub, &bHas);
  if (rc) return rc;
  if ((rc = sdbFbU8(&sub, 1, 0, &pB->eType, d->pErr))) {
    return DEC_WRAP(d, rc, "%s.bound_type: ", zField);
  }
  if (pB->eType < SDB_BOUND_UNBOUNDED || pB->eType > SDB_BOUND_EXCLUDED) {
    return sdbCorrupt(d->pErr, "%s.bound_type: invalid value %d", zField, (int8_t)pB->eType);
  }
  if ((rc = decBytes(d, &sub, 0, "key", &pB->pKey, &pB->nKey, &pB->bHasKey))) {
    return DEC_WRAP(d, rc, "%s.", zField);
  }
  if (!pB->bHasKey && pB->eType != SDB_BOUND_UNBOUNDED) {
    return sdbCorrupt(d->pErr, "%s.key: required by an included/excluded bound", zField);
  }
  return decNoteUnknown(d, &sub, 2);
}

/* Optional visible_range at field id. */
static int decRange(Dec *d, const SdbFbTable *t, int id, SdbSstHandle *h) {
  SdbFbTable sub;
  int rc = decSub(d, t, id, "visible_range", 0, &sub, &h->bHasVisibleRange);
  if (rc || !h->bHasVisibleRange) return rc;
  rc = decBound(d, &sub, 0, "start_bound", &h->visStart);
  if (rc == SDB_OK) rc = decBound(d, &sub, 1, "end_bound", &h->visEnd);
  if (rc == SDB_OK) rc = decNoteUnknown(d, &sub, 2);
  return rc ? DEC_WRAP(d, rc, "visible_range.") : SDB_OK;
}

/* Required SsTableInfo at field id. */
static int decInfo(Dec *d, const SdbFbTable *t, int id, SdbSstInfo *pInfo) {
  SdbFbTable sub;
  int bHas;
  int rc = decSub(d, t, id, "info", 1, &sub, &bHas);
  if (rc) return rc;
  if ((rc = sdbSstInfoFromTable(&sub, pInfo, d->pErr))) return DEC_WRAP(d, rc, "info: ");
  rc = decCharge(d, (u64)pInfo->nFirst + pInfo->nLast);
  if (rc == SDB_OK) rc = decNoteUnknown(d, &sub, SST_INFO_NFIELD);
  return rc ? DEC_WRAP(d, rc, "info: ") : SDB_OK;
}

/* Optional format_version at field id (absent = SST format version 1). */
static int decFormatVersion(Dec *d, const SdbFbTable *t, int id, int *pbHas, u16 *pV) {
  *pbHas = sdbFbHas(t, id);
  int rc = sdbFbU16(t, id, 1, pV, d->pErr);
  return rc ? DEC_WRAP(d, rc, "format_version: ") : SDB_OK;
}

/* V1 CompactedSsTable. */
static int decSstV1(Dec *d, const SdbFbTable *t, SdbSstHandle *h) {
  int rc = decUlid(d, t, 0, "id", 1, &h->id, NULL);
  h->viewId = h->id;
  if (rc == SDB_OK) rc = decInfo(d, t, 1, &h->info);
  if (rc == SDB_OK) rc = decRange(d, t, 2, h);
  if (rc == SDB_OK) rc = decFormatVersion(d, t, 3, &h->bHasFormatVersion, &h->formatVersion);
  if (rc == SDB_OK) rc = decNoteUnknown(d, t, 4);
  return rc;
}

/* See manifest.h. */
int sdbSstHandleDecode(const SdbFb *pFb, const SdbFbTable *t, SdbSstHandle *h, u64 *pnBudget,
                       int *pbUnknown, SdbErr *pErr) {
  Dec d = {.fb = *pFb, .pErr = pErr, .nBudget = *pnBudget, .pbUnknown = pbUnknown};
  int rc = decSstV1(&d, t, h);
  *pnBudget = d.nBudget;
  return rc;
}

/* Order of 128-bit ids (as unsigned integers). */
static int ulidCmp(const SdbUlid *a, const SdbUlid *b) {
  if (a->hi != b->hi) return a->hi < b->hi ? -1 : 1;
  if (a->lo != b->lo) return a->lo < b->lo ? -1 : 1;
  return 0;
}

/* qsort/bsearch order of V2Sst by id. */
static int v2SstCmp(const void *a, const void *b) {
  return ulidCmp(&((const V2Sst *)a)->id, &((const V2Sst *)b)->id);
}

/* V2 CompactedSsTableView: resolve sst_id against d->aSst. */
static int decViewV2(Dec *d, const SdbFbTable *t, SdbSstHandle *h) {
  int rc = decUlid(d, t, 0, "id", 1, &h->viewId, NULL);
  if (rc == SDB_OK) rc = decUlid(d, t, 1, "sst_id", 1, &h->id, NULL);
  if (rc) return rc;
  V2Sst key = {.id = h->id};
  const V2Sst *p = d->nSst ? bsearch(&key, d->aSst, d->nSst, sizeof(V2Sst), v2SstCmp) : NULL;
  if (!p) {
    char z[27];
    sdbUlidFormat(h->id, z);
    return sdbCorrupt(d->pErr, "sst_id: %s is not in ssts", z);
  }
  if ((rc = decCharge(d, (u64)p->info.nFirst + p->info.nLast))) {
    return DEC_WRAP(d, rc, "sst_id: ");
  }
  if (sdbSstInfoCopy(&h->info, &p->info)) return SDB_NOMEM_ERR(d->pErr);
  h->bHasFormatVersion = p->bHasFv;
  h->formatVersion = p->fv;
  rc = decRange(d, t, 2, h);
  return rc ? rc : decNoteUnknown(d, t, 3);
}

/* Required vector of SST handles at field id, decoded with fn. */
static int decSstList(Dec *d, const SdbFbTable *t, int id, const char *zField, SstDecodeFn fn,
                      SdbSstHandle **pa, int *pn) {
  SdbFbVec v;
  int rc = decVec(d, t, id, zField, 1, &v);
  if (rc == SDB_OK) rc = decArray(d, v.n, sizeof(SdbSstHandle), zField, (void **)pa);
  if (rc) return rc;
  *pn = (int)v.n;
  for (u32 i = 0; i < v.n; i++) {
    SdbFbTable e;
    if ((rc = decElem(d, &v, i, zField, &e))) return rc;
    if ((rc = fn(d, &e, &(*pa)[i]))) return DEC_WRAP(d, rc, "%s[%u].", zField, i);
  }
  return SDB_OK;
}

/* Required vector of sorted runs at field id. */
static int decRuns(Dec *d, const SdbFbTable *t, int id, SstDecodeFn fn) {
  SdbManifest *m = d->pM;
  SdbFbVec v;
  int rc = decVec(d, t, id, "compacted", 1, &v);
  if (rc == SDB_OK) rc = decArray(d, v.n, sizeof(SdbSortedRun), "compacted", (void **)&m->aRun);
  if (rc) return rc;
  m->nRun = (int)v.n;
  for (u32 i = 0; i < v.n; i++) {
    SdbSortedRun *r = &m->aRun[i];
    SdbFbTable e;
    if ((rc = decElem(d, &v, i, "compacted", &e))) return rc;
    rc = decU32(d, &e, 0, "id", &r->id);
    if (rc == SDB_OK) rc = decSstList(d, &e, 1, "ssts", fn, &r->aSst, &r->nSst);
    if (rc == SDB_OK) rc = decNoteUnknown(d, &e, 2);
    if (rc) return DEC_WRAP(d, rc, "compacted[%u].", i);
  }
  return SDB_OK;
}

/* V2 `ssts`: decode every entry once, sort by id, reject duplicates. */
static int decSstsV2(Dec *d, const SdbFbTable *t) {
  SdbFbVec v;
  int rc = decVec(d, t, M2_SSTS, "ssts", 1, &v);
  if (rc == SDB_OK) rc = decArray(d, v.n, sizeof(V2Sst), "ssts", (void **)&d->aSst);
  if (rc) return rc;
  d->nSst = v.n;
  for (u32 i = 0; i < v.n; i++) {
    V2Sst *s = &d->aSst[i];
    SdbFbTable e;
    if ((rc = decElem(d, &v, i, "ssts", &e))) return rc;
    rc = decUlid(d, &e, 0, "id", 1, &s->id, NULL);
    if (rc == SDB_OK) rc = decInfo(d, &e, 1, &s->info);
    if (rc == SDB_OK) rc = decFormatVersion(d, &e, 2, &s->bHasFv, &s->fv);
    if (rc == SDB_OK) rc = decNoteUnknown(d, &e, 3);
    if (rc) return DEC_WRAP(d, rc, "ssts[%u].", i);
  }
  if (d->nSst > 1) qsort(d->aSst, d->nSst, sizeof(V2Sst), v2SstCmp);
  for (u32 i = 1; i < d->nSst; i++) {
    if (ulidCmp(&d->aSst[i - 1].id, &d->aSst[i].id) == 0) {
      char z[27];
      sdbUlidFormat(d->aSst[i].id, z);
      return sdbCorrupt(d->pErr, "ssts: duplicate id %s", z);
    }
  }
  return SDB_OK;
}

/* Release the decoder's V2 ssts table. */
static void v2SstsFree(Dec *d) {
  for (u32 i = 0; i < d->nSst && d->aSst; i++) sdbSstInfoClear(&d->aSst[i].info);
  sdbFree(d->aSst);
  d->aSst = NULL;
  d->nSst = 0;
}

/* ================================================================ checkpoints */

/* Checkpoint metadata union (ids 4 and 5). */
static int decCkptMeta(Dec *d, const SdbFbTable *t, SdbCheckpoint *c) {
  SdbFbTable sub;
  int bHas;
  int rc = decU8(d, t, 4, "metadata_type", &c->eMetaType);
  if (rc == SDB_OK) rc = decSub(d, t, 5, "metadata", 0, &sub, &bHas);
  if (rc) return rc;
  if (c->eMetaType == SDB_CKPT_META_NONE) {
    return bHas ? sdbCorrupt(d->pErr, "metadata: present without metadata_type") : SDB_OK;
  }
  if (!bHas) return sdbCorrupt(d->pErr, "metadata: missing for metadata_type %d", c->eMetaType);
  if (c->eMetaType != SDB_CKPT_META_WRITER) {
    d->pM->bUnknownFields = 1;            /* a union member we cannot represent */
    return SDB_OK;
  }
  c->bHasWriterEpoch = 1;
  rc = decU64(d, &sub, 0, "epoch", &c->writerEpoch);
  if (rc == SDB_OK) rc = decNoteUnknown(d, &sub, 1);
  return rc ? DEC_WRAP(d, rc, "metadata.") : SDB_OK;
}

/* One Checkpoint table into *c (zeroed; the manifest frees c->zName). */
static int decCheckpoint(Dec *d, const SdbFbTable *t, SdbCheckpoint *c) {
  int rc = decUuid(d, t, 0, "id", 1, c->aId, NULL);
  if (rc == SDB_OK) rc = decU64(d, t, 1, "manifest_id", &c->manifestId);
  if (rc == SDB_OK) rc = decU32(d, t, 2, "checkpoint_expire_time_s", &c->expireTimeS);
  if (rc == SDB_OK) rc = decU32(d, t, 3, "checkpoint_create_time_s", &c->createTimeS);
  if (rc == SDB_OK) rc = decCkptMeta(d, t, c);
  if (rc == SDB_OK) rc = decString(d, t, 6, "name", 0, &c->zName);
  if (rc == SDB_OK) rc = decNoteUnknown(d, t, 7);
  return rc;
}

/* Required checkpoints vector at field id. */
static int decCheckpoints(Dec *d, const SdbFbTable *t, int id) {
  SdbManifest *m = d->pM;
  SdbFbVec v;
  int rc = decVec(d, t, id, "checkpoints", 1, &v);
  if (rc == SDB_OK) rc = decArray(d, v.n, sizeof(SdbCheckpoint), "checkpoints", (void **)&m->aCkpt);
  if (rc) return rc;
  m->nCkpt = (int)v.n;
  for (u32 i = 0; i < v.n; i++) {
    SdbFbTable e;
    if ((rc = decElem(d, &v, i, "checkpoints", &e))) return rc;
    if ((rc = decCheckpoint(d, &e, &m->aCkpt[i]))) {
      return DEC_WRAP(d, rc, "checkpoints[%u].", i);
    }
  }
  return SDB_OK;
}

/* ================================================================ external dbs */

/* ExternalDb.sst_ids (required) into x->aSstId. */
static int decExtSstIds(Dec *d, const SdbFbTable *t, SdbExternalDb *x) {
  SdbFbVec v;
  int rc = decVec(d, t, 3, "sst_ids", 1, &v);
  if (rc == SDB_OK) rc = decArray(d, v.n, sizeof(SdbUlid), "sst_ids", (void **)&x->aSstId);
  if (rc) return rc;
  x->nSstId = (int)v.n;
  for (u32 i = 0; i < v.n; i++) {
    SdbFbTable e;
    if ((rc = decElem(d, &v, i, "sst_ids", &e))) return rc;
    rc = sdbUlidFromTable(&e, &x->aSstId[i], d->pErr);
    if (rc == SDB_OK) rc = decNoteUnknown(d, &e, 2);
    if (rc) return DEC_WRAP(d, rc, "sst_ids[%u]: ", i);
  }
  return SDB_OK;
}

/* One ExternalDb table into *x (zeroed; owned by the manifest). */
static int decExternalDb(Dec *d, const SdbFbTable *t, SdbExternalDb *x) {
  int rc = decString(d, t, 0, "path", 1, &x->zPath);
  if (rc == SDB_OK) rc = decUuid(d, t, 1, "source_checkpoint_id", 1, x->aSourceCkpt, NULL);
  if (rc == SDB_OK) {
    rc = decUuid(d, t, 2, "final_checkpoint_id", 0, x->aFinalCkpt, &x->bHasFinalCkpt);
  }
  if (rc == SDB_OK) rc = decExtSstIds(d, t, x);
  if (rc == SDB_OK) rc = decNoteUnknown(d, t, 4);
  return rc;
}

/* Optional external_dbs vector (field 1 in both versions). */
static int decExternalDbs(Dec *d, const SdbFbTable *t) {
  SdbManifest *m = d->pM;
  SdbFbVec v;
  int rc = decVec(d, t, MF_EXTERNAL_DBS, "external_dbs", 0, &v);
  if (rc == SDB_OK) {
    rc = decArray(d, v.n, sizeof(SdbExternalDb), "external_dbs", (void **)&m->aExtDb);
  }
  if (rc) return rc;
  m->nExtDb = (int)v.n;
  for (u32 i = 0; i < v.n; i++) {
    SdbFbTable e;
    if ((rc = decElem(d, &v, i, "external_dbs", &e))) return rc;
    if ((rc = decExternalDb(d, &e, &m->aExtDb[i]))) {
      return DEC_WRAP(d, rc, "external_dbs[%u].", i);
    }
  }
  return SDB_OK;
}

/* ================================================================ roots */

/* Fields 0..6, common to V1 and V2. */
static int decCommon(Dec *d, const SdbFbTable *t) {
  SdbManifest *m = d->pM;
  u8 bInit = 0;
  int rc = decU64(d, t, MF_MANIFEST_ID, "manifest_id", &m->manifestIdField);
  if (rc == SDB_OK) rc = decExternalDbs(d, t);
  if (rc == SDB_OK) rc = decU8(d, t, MF_INITIALIZED, "initialized", &bInit);
  if (rc == SDB_OK) rc = decU64(d, t, MF_WRITER_EPOCH, "writer_epoch", &m->writerEpoch);
  if (rc == SDB_OK) rc = decU64(d, t, MF_COMPACTOR_EPOCH, "compactor_epoch", &m->compactorEpoch);
  if (rc == SDB_OK) rc = decU64(d, t, MF_REPLAY_AFTER, "replay_after_wal_id", &m->replayAfterWalId);
  if (rc == SDB_OK) rc = decU64(d, t, MF_WAL_LAST_SEEN, "wal_id_last_seen", &m->walIdLastSeen);
  m->bInitialized = bInit != 0;
  return rc;
}

/* The sequence_tracker bytes at field id (kept raw). */
static int decTracker(Dec *d, const SdbFbTable *t, int id) {
  SdbManifest *m = d->pM;
  return decBytes(d, t, id, "sequence_tracker", &m->pSeqTracker, &m->nSeqTracker,
                  &m->bHasSeqTracker);
}

/* Every field of a ManifestV1 root into d->pM. */
static int decRootV1(Dec *d, const SdbFbTable *t) {
  SdbManifest *m = d->pM;
  int rc = decCommon(d, t);
  if (rc == SDB_OK) {
    rc = decUlid(d, t, M1_L0_LAST_COMPACTED, "l0_last_compacted", 0, &m->l0LastCompacted,
                 &m->bHasL0LastCompacted);
  }
  if (rc == SDB_OK) rc = decSstList(d, t, M1_L0, "l0", decSstV1, &m->aL0, &m->nL0);
  if (rc == SDB_OK) rc = decRuns(d, t, M1_COMPACTED, decSstV1);
  if (rc == SDB_OK) rc = decI64(d, t, M1_CLOCK_TICK, "last_l0_clock_tick", &m->lastL0ClockTick);
  if (rc == SDB_OK) rc = decCheckpoints(d, t, M1_CHECKPOINTS);
  if (rc == SDB_OK) rc = decU64(d, t, M1_LAST_L0_SEQ, "last_l0_seq", &m->lastL0Seq);
  if (rc == SDB_OK) {
    rc = decString(d, t, M1_WAL_URI, "wal_object_store_uri", 0, &m->zWalObjectStoreUri);
  }
  if (rc == SDB_OK) {
    rc = decU64(d, t, M1_SNAPSHOT_MIN_SEQ, "recent_snapshot_min_seq", &m->recentSnapshotMinSeq);
  }
  if (rc == SDB_OK) rc = decTracker(d, t, M1_SEQ_TRACKER);
  if (rc == SDB_OK) rc = decNoteUnknown(d, t, M1_NFIELD);
  return rc;
}

/* Every field of a ManifestV2 root into d->pM, resolving views via ssts. */
static int decRootV2(Dec *d, const SdbFbTable *t) {
  SdbManifest *m = d->pM;
  int rc = decCommon(d, t);
  if (rc == SDB_OK) {
    rc = decUlid(d, t, M2_L0_LAST_COMPACTED, "last_compacted_l0_sst_view_id", 0,
                 &m->l0LastCompacted, &m->bHasL0LastCompacted);
  }
  if (rc == SDB_OK) rc = decSstsV2(d, t);
  if (rc == SDB_OK) rc = decSstList(d, t, M2_L0, "l0", decViewV2, &m->aL0, &m->nL0);
  if (rc == SDB_OK) rc = decRuns(d, t, M2_COMPACTED, decViewV2);
  if (rc == SDB_OK) rc = decI64(d, t, M2_CLOCK_TICK, "last_l0_clock_tick", &m->lastL0ClockTick);
  if (rc == SDB_OK) rc = decCheckpoints(d, t, M2_CHECKPOINTS);
  if (rc == SDB_OK) rc = decU64(d, t, M2_LAST_L0_SEQ, "last_l0_seq", &m->lastL0Seq);
  if (rc == SDB_OK) {
    rc = decU64(d, t, M2_SNAPSHOT_MIN_SEQ, "recent_snapshot_min_seq", &m->recentSnapshotMinSeq);
  }
  if (rc == SDB_OK) rc = decTracker(d, t, M2_SEQ_TRACKER);
  if (rc == SDB_OK) rc = decNoteUnknown(d, t, M2_NFIELD);
  v2SstsFree(d);
  return rc;
}

/* Decode within nBudget bytes of decoded data, without the "manifest: "
** prefix (callers add their own context). */
static int manifestDecode(const u8 *a, size_t n, u64 nBudget, SdbManifest **pp, SdbErr *pErr) {
  *pp = NULL;
  if (n < 2) return sdbCorrupt(pErr, "empty manifest (%zu bytes)", n);
  u16 ver = sdbGetU16BE(a);
  if (ver != 1 && ver != 2) {
    return sdbErrSet(pErr, SDB_UNSUPPORTED, "unsupported manifest format version %u", ver);
  }
  SdbManifest *m = sdbMallocZero(sizeof(*m));
  if (!m || !(m->pRaw = sdbMemdup(a, n))) {
    sdbFree(m);
    return SDB_NOMEM_ERR(pErr);
  }
  m->nRaw = n;
  m->eFormat = ver;
  Dec d = {.fb = {m->pRaw + 2, n - 2}, .pErr = pErr, .pM = m, .pbUnknown = &m->bUnknownFields};
  d.nBudget = nBudget;
  SdbFbTable root;
  int rc = sdbFbRoot(&d.fb, &root, pErr);
  if (rc == SDB_OK) rc = (ver == 1) ? decRootV1(&d, &root) : decRootV2(&d, &root);
  v2SstsFree(&d);
  if (rc) sdbManifestFree(m);
  else *pp = m;
  return rc;
}

int sdbManifestDecode(const u8 *a, size_t n, SdbManifest **pp, SdbErr *pErr) {
  u64 nBudget = (u64)n * SDB_VOBJ_BUDGET_PER_BYTE + SDB_VOBJ_BUDGET_SLACK;
  int rc = manifestDecode(a, n, nBudget, pp, pErr);
  if (rc) sdbErrWrap(pErr, "manifest: ");
  return rc;
}

/* ================================================================ ids */

void sdbUuidFormat(const u8 a[16], char z[37]) {
  static const char hex[] = "0123456789abcdef";
  int j = 0;
  for (int i = 0; i < 16; i++) {
    if (i == 4 || i == 6 || i == 8 || i == 10) z[j++] = '-';
    z[j++] = hex[a[i] >> 4];
    z[j++] = hex[a[i] & 15];
  }
  z[j] = 0;
}

/* See manifest.h. */
int sdbCheckpointIdParse(const char *z, u8 a[16], SdbErr *pErr) {
  int j = 0;
  for (int i = 0; z[i] && j < 32; i++) {
    char c = z[i];
    if (c == '-' && (i == 8 || i == 13 || i == 18 || i == 23)) continue;
    int d = sdbHexValue(c);
    if (d < 0) break;
    if (j % 2 == 0) a[j / 2] = (u8)(d << 4);
    else a[j / 2] |= (u8)d;
    j++;
  }
  if (j != 32 || strlen(z) != 36) {
    return sdbErrSet(pErr, SDB_ERROR, "malformed checkpoint id \"%s\" (expected a UUID such as"
                     " 123e4567-e89b-42d3-a456-426614174000)", z);
  }
  return SDB_OK;
}

/* ================================================================ loading */

static int kindDecode(const u8 *a, size_t n, u64 nBudget, void **pp, SdbErr *pErr) {
  return manifestDecode(a, n, nBudget, (SdbManifest **)pp, pErr);
}
static int kindEncode(const void *p, u8 **pa, size_t *pn, SdbErr *pErr) {
  return sdbManifestEncode(p, pa, pn, pErr);
}
static int kindCopy(const void *p, void **pp, SdbErr *pErr) {
  return sdbManifestCopy(p, (SdbManifest **)pp, pErr);
}
static u64 kindEpoch(const void *p) { return ((const SdbManifest *)p)->writerEpoch; }
static void kindFree(void *p) { sdbManifestFree(p); }

const SdbVobjKind sdbManifestKind = {
  "manifest/", ".manifest", "manifest", " (not a SlateDB database?)",
  SDB_VOBJ_BUDGET_PER_BYTE, SDB_VOBJ_BUDGET_SLACK, 200,
  kindDecode, kindEncode, kindCopy, NULL, kindEpoch, kindFree,
};

int sdbManifestLoad(SdbStore *pStore, u64 id, SdbManifest **pp, SdbErr *pErr) {
  return sdbVobjLoad(pStore, &sdbManifestKind, id, (void **)pp, pErr);
}

int sdbManifestLoadLatest(SdbStore *pStore, SdbManifest **pp, u64 *pId, SdbErr *pErr) {
  return sdbVobjLoadLatest(pStore, &sdbManifestKind, (void **)pp, pId, pErr);
}

/* The edit of a manifest commit: m->nextId, then the caller's edit. */
typedef struct CommitCtx {
  SdbManifestEdit xEdit;
  void *pCtx;
} CommitCtx;

static int commitEdit(void *pObj, u64 newId, void *pCtx, SdbErr *pErr) {
  CommitCtx *c = pCtx;
  SdbManifest *m = pObj;
  m->nextId = newId;
  return c->xEdit(m, c->pCtx, pErr);
}

int sdbManifestCommit(SdbStore *pStore, const SdbManifest *pBase, u64 baseId, u64 writerEpoch,
                      SdbManifestEdit xEdit, void *pCtx, SdbManifest **ppOut, u64 *pIdOut,
                      u64 *pFencedBy, SdbErr *pErr) {
  CommitCtx cc = {xEdit, pCtx};
  SdbVobjCommit c;
  memset(&c, 0, sizeof(c));
  c.pStore = pStore;
  c.pKind = &sdbManifestKind;
  c.eFence = SDB_VOBJ_FENCE_NEWER;
  c.epoch = writerEpoch;
  c.xEdit = commitEdit;
  c.pCtx = &cc;
  c.bWantResult = ppOut != NULL;
  int rc = sdbVobjCommit(&c, pBase, baseId, pErr);
  if (ppOut) *ppOut = c.pResult;
  if (pIdOut) *pIdOut = c.id;
  if (pFencedBy) *pFencedBy = c.fencedBy;
  return rc;
}
