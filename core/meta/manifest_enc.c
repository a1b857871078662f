/*
** manifest_enc.c: encoding ManifestV1 (what SlateDB 0.12.1 writes) and the
** CompactedSsTable table the compactions file shares (SsTableInfo is written
** by table/sstinfo.c, Ulid and Uuid by util/ids.c).
**
** Envelope: u16 BE 1, then one FlatBuffer whose root is ManifestV1
** (schemas/manifest.fbs at fce6ed00, spec/MANIFEST.md §2.2):
**   0 manifest_id u64 (always 0, omitted)   1 external_dbs [ExternalDb]
**   2 initialized bool    3 writer_epoch u64    4 compactor_epoch u64
**   5 replay_after_wal_id u64    6 wal_id_last_seen u64
**   7 l0_last_compacted Ulid     8 l0 [CompactedSsTable] (required)
**   9 compacted [SortedRun] (required)      10 last_l0_clock_tick i64
**  11 checkpoints [Checkpoint] (required)   12 last_l0_seq u64
**  13 wal_object_store_uri string           14 recent_snapshot_min_seq u64
**  15 sequence_tracker [ubyte]
** CompactedSsTable { 0 id Ulid, 1 info SsTableInfo, 2 visible_range BytesRange,
** 3 format_version u16 }, SortedRun { 0 id u32, 1 ssts }, Checkpoint { 0 id Uuid,
** 1 manifest_id u64, 2 expire_time_s u32, 3 create_time_s u32, 4/5 metadata
** union (1 = WriterCheckpoint { 0 epoch u64 }), 6 name string }, ExternalDb
** { 0 path string, 1 source_checkpoint_id Uuid, 2 final_checkpoint_id Uuid,
** 3 sst_ids [Ulid] }, BytesRange { 0 start_bound, 1 end_bound }, BytesBound
** { 0 key [ubyte], 1 bound_type i8 }.
** Scalars equal to their default are omitted, as the Rust builder does; the
** required vectors are always written, even when empty.
**
** A manifest that this build cannot represent completely (a ManifestV2, or one
** whose tables carry fields unknown to 0.12.1's schema) is refused rather than
** silently losing data (spec/MANIFEST.md §2.3, SlateDB issue #779).
*/
#include "meta/manifest.h"
#include "meta/manifest_enc.h"

/* Add a u64 field unless it is the default 0. */
static void addU64(SdbFbbTable *t, int id, u64 v) { if (v) sdbFbbAddU64(t, id, v); }

static u32 writeBound(SdbFbb *f, const SdbBound *b) {
  SdbFbbTable t;
  sdbFbbTableInit(&t);
  if (b->bHasKey) sdbFbbAddRef(&t, 0);
  if (b->eType) sdbFbbAddU8(&t, 1, b->eType);
  u32 pos = sdbFbbTableWrite(f, &t);
  if (b->bHasKey) sdbFbbPatchField(f, &t, 0, sdbFbbBytes(f, b->pKey, b->nKey));
  return pos;
}

u32 sdbSstHandleWrite(SdbFbb *f, const SdbSstHandle *h) {
  SdbFbbTable t;
  sdbFbbTableInit(&t);
  sdbFbbAddRef(&t, 0);
  sdbFbbAddRef(&t, 1);
  if (h->bHasVisibleRange) sdbFbbAddRef(&t, 2);
  if (h->bHasFormatVersion) sdbFbbAddU16(&t, 3, h->formatVersion);
  u32 pos = sdbFbbTableWrite(f, &t);
  sdbFbbPatchField(f, &t, 0, sdbUlidWrite(f, h->id));
  sdbFbbPatchField(f, &t, 1, sdbSstInfoWrite(f, &h->info));
  if (h->bHasVisibleRange) {
    SdbFbbTable r;
    sdbFbbTableInit(&r);
    sdbFbbAddRef(&r, 0);
    sdbFbbAddRef(&r, 1);
    sdbFbbPatchField(f, &t, 2, sdbFbbTableWrite(f, &r));
    sdbFbbPatchField(f, &r, 0, writeBound(f, &h->visStart));
    sdbFbbPatchField(f, &r, 1, writeBound(f, &h->visEnd));
  }
  return pos;
}

static u32 writeHandles(SdbFbb *f, const SdbSstHandle *a, int n) {
  u32 vec = sdbFbbVecTables(f, (u32)n);
  for (int i = 0; i < n; i++) sdbFbbPatchElem(f, vec, (u32)i, sdbSstHandleWrite(f, &a[i]));
  return vec;
}

static u32 writeRun(SdbFbb *f, const SdbSortedRun *r) {
  SdbFbbTable t;
  sdbFbbTableInit(&t);
  if (r->id) sdbFbbAddU32(&t, 0, r->id);
  sdbFbbAddRef(&t, 1);
  u32 pos = sdbFbbTableWrite(f, &t);
  sdbFbbPatchField(f, &t, 1, writeHandles(f, r->aSst, r->nSst));
  return pos;
}

static u32 writeCheckpoint(SdbFbb *f, const SdbCheckpoint *c) {
  SdbFbbTable t;
  sdbFbbTableInit(&t);
  sdbFbbAddRef(&t, 0);
  addU64(&t, 1, c->manifestId);
  if (c->expireTimeS) sdbFbbAddU32(&t, 2, c->expireTimeS);
  if (c->createTimeS) sdbFbbAddU32(&t, 3, c->createTimeS);
  if (c->bHasWriterEpoch) {
    sdbFbbAddU8(&t, 4, SDB_CKPT_META_WRITER);
    sdbFbbAddRef(&t, 5);
  }
  if (c->zName) sdbFbbAddRef(&t, 6);
  u32 pos = sdbFbbTableWrite(f, &t);
  sdbFbbPatchField(f, &t, 0, sdbUuidWrite(f, c->aId));
  if (c->bHasWriterEpoch) {
    SdbFbbTable w;
    sdbFbbTableInit(&w);
    addU64(&w, 0, c->writerEpoch);
    sdbFbbPatchField(f, &t, 5, sdbFbbTableWrite(f, &w));
  }
  if (c->zName) sdbFbbPatchField(f, &t, 6, sdbFbbString(f, c->zName));
  return pos;
}

static u32 writeExtDb(SdbFbb *f, const SdbExternalDb *e) {
  SdbFbbTable t;
  sdbFbbTableInit(&t);
  sdbFbbAddRef(&t, 0);
  sdbFbbAddRef(&t, 1);
  if (e->bHasFinalCkpt) sdbFbbAddRef(&t, 2);
  sdbFbbAddRef(&t, 3);
  u32 pos = sdbFbbTableWrite(f, &t);
  sdbFbbPatchField(f, &t, 0, sdbFbbString(f, e->zPath ? e->zPath : ""));
  sdbFbbPatchField(f, &t, 1, sdbUuidWrite(f, e->aSourceCkpt));
  if (e->bHasFinalCkpt) sdbFbbPatchField(f, &t, 2, sdbUuidWrite(f, e->aFinalCkpt));
  u32 vec = sdbFbbVecTables(f, (u32)e->nSstId);
  sdbFbbPatchField(f, &t, 3, vec);
  for (int i = 0; i < e->nSstId; i++) sdbFbbPatchElem(f, vec, (u32)i, sdbUlidWrite(f, e->aSstId[i]));
  return pos;
}

/* The 13-byte empty sequence tracker (version 1, count 0, two empty series). */
static const u8 kEmptyTracker[13] = {1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};

static void writeRoot(SdbFbb *f, const SdbManifest *m) {
  SdbFbbTable t;
  sdbFbbTableInit(&t);
  if (m->nExtDb) sdbFbbAddRef(&t, 1);
  if (m->bInitialized) sdbFbbAddU8(&t, 2, 1);
  addU64(&t, 3, m->writerEpoch);
  addU64(&t, 4, m->compactorEpoch);
  addU64(&t, 5, m->replayAfterWalId);
  addU64(&t, 6, m->walIdLastSeen);
  if (m->bHasL0LastCompacted) sdbFbbAddRef(&t, 7);
  sdbFbbAddRef(&t, 8);
  sdbFbbAddRef(&t, 9);
  addU64(&t, 10, (u64)m->lastL0ClockTick);
  sdbFbbAddRef(&t, 11);
  addU64(&t, 12, m->lastL0Seq);
  if (m->zWalObjectStoreUri) sdbFbbAddRef(&t, 13);
  addU64(&t, 14, m->recentSnapshotMinSeq);
  sdbFbbAddRef(&t, 15);
  sdbFbbSetRoot(f, sdbFbbTableWrite(f, &t));
  if (m->nExtDb) {
    u32 vec = sdbFbbVecTables(f, (u32)m->nExtDb);
    sdbFbbPatchField(f, &t, 1, vec);
    for (int i = 0; i < m->nExtDb; i++) sdbFbbPatchElem(f, vec, (u32)i, writeExtDb(f, &m->aExtDb[i]));
  }
  if (m->bHasL0LastCompacted) sdbFbbPatchField(f, &t, 7, sdbUlidWrite(f, m->l0LastCompacted));
  sdbFbbPatchField(f, &t, 8, writeHandles(f, m->aL0, m->nL0));
  u32 vec = sdbFbbVecTables(f, (u32)m->nRun);
  sdbFbbPatchField(f, &t, 9, vec);
  for (int i = 0; i < m->nRun; i++) sdbFbbPatchElem(f, vec, (u32)i, writeRun(f, &m->aRun[i]));
  vec = sdbFbbVecTables(f, (u32)m->nCkpt);
  sdbFbbPatchField(f, &t, 11, vec);
  for (int i = 0; i < m->nCkpt; i++) sdbFbbPatchElem(f, vec, (u32)i, writeCheckpoint(f, &m->aCkpt[i]));
  if (m->zWalObjectStoreUri) sdbFbbPatchField(f, &t, 13, sdbFbbString(f, m->zWalObjectStoreUri));
  if (m->bHasSeqTracker && m->nSeqTracker) {
    sdbFbbPatchField(f, &t, 15, sdbFbbBytes(f, m->pSeqTracker, m->nSeqTracker));
  } else {
    sdbFbbPatchField(f, &t, 15, sdbFbbBytes(f, kEmptyTracker, sizeof(kEmptyTracker)));
  }
}

int sdbManifestEncode(const SdbManifest *m, u8 **pa, size_t *pn, SdbErr *pErr) {
  *pa = NULL;
  *pn = 0;
  if (m->eFormat != 1) {
    return sdbErrSet(pErr, SDB_UNSUPPORTED,
                     "manifest format version %d was written by a newer SlateDB; "
                     "this build writes ManifestV1 (SlateDB 0.12.1) only", m->eFormat);
  }
  if (m->bUnknownFields) {
    return sdbErrSet(pErr, SDB_UNSUPPORTED,
                     "manifest has fields unknown to SlateDB 0.12.1; refusing to rewrite it "
                     "(they would be lost)");
  }
  static const u8 kVersion[2] = {0, 1};
  SdbFbb f;
  sdbFbbInit(&f, kVersion, 2);
  writeRoot(&f, m);
  int rc = sdbFbbFinish(&f, pa, pn);
  if (rc) return sdbErrSet(pErr, rc, "encoding manifest failed (rc=%d)", rc);
  return SDB_OK;
}
