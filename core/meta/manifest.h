/*
** manifest.h: decoding SlateDB 0.12.1 manifests into one in-memory struct,
** and finding the latest manifest of a database.
**
** Object: <root>/manifest/NNNNNNNNNNNNNNNNNNNN.manifest (20-digit decimal id,
** spec/MANIFEST.md §1). Envelope (§2.1):
**   bytes 0..1  u16 BIG-endian format version: 1 = ManifestV1, 2 = ManifestV2
**   bytes 2..   one FlatBuffer (root uoffset at byte 2, no identifier), whose
**               root is ManifestV1 or ManifestV2 of schemas/manifest.fbs at
**               fce6ed00 (field ids listed in manifest.c).
** 0.12.1 writes V1 only; both are read. The decoded form is format-neutral:
** V1 SST handles get view id = SST id; V2 views are resolved against the
** manifest's `ssts` table.
**
** Ownership: an SdbManifest owns every pointer reachable from it (arrays,
** byte copies, strings, the raw bytes). sdbManifestFree releases all of it.
** Nothing points into the caller's input buffer.
*/
#ifndef SDB_MANIFEST_H
#define SDB_MANIFEST_H

#include "table/sstinfo.h"
#include "store/objstore.h"
#include "meta/vobj.h"
#include "util/sdbInt.h"

/* BytesBound.bound_type (schemas/manifest.fbs). */
#define SDB_BOUND_UNKNOWN   0   /* never valid in a decoded manifest */
#define SDB_BOUND_UNBOUNDED 1
#define SDB_BOUND_INCLUDED  2
#define SDB_BOUND_EXCLUDED  3

/* Checkpoint metadata union type: 0 = none, 1 = WriterCheckpoint. */
#define SDB_CKPT_META_NONE   0
#define SDB_CKPT_META_WRITER 1

typedef struct SdbBound {
  u8 eType;               /* SDB_BOUND_* (Included/Excluded always have a key) */
  int bHasKey;            /* key vector present */
  u8 *pKey;               /* sdbMalloc'd copy (NULL when absent); owned */
  u32 nKey;
} SdbBound;

/* One SST as the manifest lists it (V1 CompactedSsTable, V2 view + ssts entry). */
typedef struct SdbSstHandle {
  SdbUlid id;             /* SST object: compacted/<id>.sst */
  SdbUlid viewId;         /* V2 view id; V1: equal to id */
  SdbSstInfo info;        /* manifest copy of the SST's info; owns its bytes */
  int bHasFormatVersion;  /* format_version field present */
  u16 formatVersion;      /* SST format version; 1 when the field is absent */
  int bHasVisibleRange;   /* visible_range present (start/end valid) */
  SdbBound visStart;      /* visible_range.start_bound */
  SdbBound visEnd;        /* visible_range.end_bound */
} SdbSstHandle;

typedef struct SdbSortedRun {
  u32 id;                 /* run id (manifest lists runs by descending id) */
  SdbSstHandle *aSst;     /* SSTs in ascending key order; owned array */
  int nSst;
} SdbSortedRun;

typedef struct SdbCheckpoint {
  u8 aId[16];             /* UUID bytes: Uuid.high BE, then Uuid.low BE */
  u64 manifestId;         /* manifest version this checkpoint pins */
  u32 expireTimeS;        /* Unix seconds; 0 = never expires */
  u32 createTimeS;        /* Unix seconds */
  u8 eMetaType;           /* metadata_type as stored (SDB_CKPT_META_*, or unknown) */
  int bHasWriterEpoch;    /* metadata is a WriterCheckpoint */
  u64 writerEpoch;        /* WriterCheckpoint.epoch */
  char *zName;            /* name, or NULL when absent; owned */
} SdbCheckpoint;

typedef struct SdbExternalDb {
  char *zPath;            /* root of the other DB; owned */
  u8 aSourceCkpt[16];     /* source_checkpoint_id (UUID bytes) */
  int bHasFinalCkpt;      /* final_checkpoint_id present */
  u8 aFinalCkpt[16];      /* final_checkpoint_id (UUID bytes) */
  SdbUlid *aSstId;        /* sst_ids still referenced; owned array */
  int nSstId;
} SdbExternalDb;

typedef struct SdbManifest {
  int eFormat;            /* 1 = ManifestV1, 2 = ManifestV2 (envelope version) */
  u64 manifestIdField;    /* manifest_id stored in the buffer (always 0) */
  int bInitialized;       /* initialized */
  u64 writerEpoch;        /* writer_epoch */
  u64 compactorEpoch;     /* compactor_epoch */
  u64 replayAfterWalId;   /* replay_after_wal_id */
  u64 walIdLastSeen;      /* wal_id_last_seen */
  int bHasL0LastCompacted;   /* l0_last_compacted present */
  SdbUlid l0LastCompacted;   /* V1 l0_last_compacted / V2 last_compacted_l0_sst_view_id */
  SdbSstHandle *aL0;      /* L0 SSTs, newest first; owned array */
  int nL0;
  SdbSortedRun *aRun;     /* sorted runs, descending id; owned array */
  int nRun;
  i64 lastL0ClockTick;    /* last_l0_clock_tick (0 when absent) */
  SdbCheckpoint *aCkpt;   /* open checkpoints; owned array */
  int nCkpt;
  u64 lastL0Seq;          /* last_l0_seq */
  char *zWalObjectStoreUri;  /* V1 wal_object_store_uri, or NULL; owned */
  u64 recentSnapshotMinSeq;  /* recent_snapshot_min_seq */
  int bHasSeqTracker;     /* sequence_tracker present */
  u8 *pSeqTracker;        /* its raw bytes (spec/MANIFEST.md §2.4); owned */
  u32 nSeqTracker;
  SdbExternalDb *aExtDb;  /* external_dbs; owned array */
  int nExtDb;
  int bUnknownFields;     /* some decoded table has fields this build does not know */
  u64 nextId;             /* transient, never encoded: the id this manifest gets
                          ** when a writer's CAS edits it (0 otherwise) */
  u8 *pRaw;               /* the whole object as decoded (envelope included); owned */
  size_t nRaw;
} SdbManifest;

/* Decode a manifest object (envelope + FlatBuffer) from a[0..n).
** REQUIRES: a readable for n bytes (a may be NULL when n == 0).
** Returns SDB_OK and *pp (caller owns; sdbManifestFree), or:
**   SDB_CORRUPT      shorter than 2 bytes ("empty manifest"), a bad FlatBuffer,
**                    a missing required field, a dangling V2 view;
**   SDB_UNSUPPORTED  envelope version other than 1 and 2;
**   SDB_NOMEM.
** On error *pp is NULL and pErr names the field: "manifest: l0[3].info: ...". */
int sdbManifestDecode(const u8 *a, size_t n, SdbManifest **pp, SdbErr *pErr);

/*
** Decode one CompactedSsTable table t of FlatBuffer pFb (as manifests and
** compactions/ objects hold them) into *h (zeroed; the caller clears it with
** sdbSstHandleClear, also on error). *pnBudget: bytes of decoded data still
** allowed, charged; *pbUnknown is set when t has fields this build does not
** know. SDB_OK, SDB_CORRUPT (message names the field) or SDB_NOMEM.
*/
int sdbSstHandleDecode(const SdbFb *pFb, const SdbFbTable *t, SdbSstHandle *h, u64 *pnBudget,
                       int *pbUnknown, SdbErr *pErr);

/* Release what one SST handle owns (info bytes, bound keys) and zero it. */
void sdbSstHandleClear(SdbSstHandle *h);

/* Free a manifest and everything it owns. NULL-safe. */
void sdbManifestFree(SdbManifest *p);

/* Deep copy of p into *pp (caller owns; sdbManifestFree): every array,
** string and byte run is duplicated, so the copy and p can be edited or freed
** independently. pRaw is copied too: it stays the bytes p was decoded from
** (NULL if p was built in memory), so an edit of the copy makes it stale;
** sdbManifestEncode gives the bytes of the fields. SDB_OK, or SDB_NOMEM with
** *pp NULL. */
int sdbManifestCopy(const SdbManifest *p, SdbManifest **pp, SdbErr *pErr);

/* The versioned-object kind of manifests (vobj.h): manifest/<id>.manifest,
** fencing epoch writer_epoch, copied with sdbManifestCopy. */
extern const SdbVobjKind sdbManifestKind;

/* Find the latest manifest under "manifest/" of pStore, GET and decode it
** (sdbVobjLoadLatest). Names that are not 20 digits + ".manifest" are
** skipped. If the chosen object vanishes before the GET (raced with GC),
** lists again (bounded retries).
** Returns SDB_OK with *pp (caller owns) and *pId (may be NULL), SDB_NOTFOUND
** when there is no manifest at all, or a store / decode error whose message
** starts with the object key. */
int sdbManifestLoadLatest(SdbStore *pStore, SdbManifest **pp, u64 *pId, SdbErr *pErr);

/* GET and decode manifest `id` (e.g. a checkpoint's manifest_id). SDB_NOTFOUND
** when it does not exist. Caller owns *pp. */
int sdbManifestLoad(SdbStore *pStore, u64 id, SdbManifest **pp, SdbErr *pErr);

/* Edit m (an owned copy of the current manifest; m->nextId is the id it is
** about to get) into the next manifest. */
typedef int (*SdbManifestEdit)(SdbManifest *m, void *pCtx, SdbErr *pErr);

/*
** Commit manifest baseId+1 = xEdit(copy of pBase) with the versioned-object
** protocol (sdbVobjCommit): create-only PUT settled by its put-id; on a
** collision the latest manifest is read and edited again. A manifest whose
** writer_epoch is above writerEpoch (0: no check) fences: SDB_FENCED with
** *pFencedBy (may be NULL) = its epoch and a generic message for the caller
** to replace. On SDB_OK *ppOut (may be NULL; caller owns) is the committed
** manifest as stored and *pIdOut (may be NULL) its id.
*/
int sdbManifestCommit(SdbStore *pStore, const SdbManifest *pBase, u64 baseId, u64 writerEpoch,
                      SdbManifestEdit xEdit, void *pCtx, SdbManifest **ppOut, u64 *pIdOut,
                      u64 *pFencedBy, SdbErr *pErr);

/* UUID bytes as lower-case 8-4-4-4-12 text + NUL. */
void sdbUuidFormat(const u8 a[16], char z[37]);
/* Parse checkpoint id zId, 8-4-4-4-12 UUID text (either case), into 16
** bytes. SDB_OK, or SDB_ERROR with a message naming the text. */
int sdbCheckpointIdParse(const char *zId, u8 aId[16], SdbErr *pErr);

#endif /* SDB_MANIFEST_H */
