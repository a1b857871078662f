/*
** compactions.h: the compactor's job list, compactions/NNNNNNNNNNNNNNNNNNNN.compactions
** (SlateDB 0.12.1, fce6ed00; spec/MANIFEST.md §1, §2.5, §3.4).
**
** Object: <root>/compactions/<20-digit id>.compactions, its own versioned
** sequence from 1 (the protocol of vobj.h, as manifests, §3.1).
** Envelope (checked in flatbuffer_types.rs: COMPACTIONS_FORMAT_VERSION = 1):
**   bytes 0..1  u16 BIG-endian format version, always 1
**   bytes 2..   one FlatBuffer whose root is CompactionsV1 (schemas/compactor.fbs),
**               no file identifier, no size prefix
** Fewer than 2 bytes, or a bad FlatBuffer, is corruption; another version is
** SDB_UNSUPPORTED. The field layout is in compactions.c.
**
** Ownership: an SdbCompactions owns its record array and everything each record
** points at (id arrays, output SST handles with their info copies, the raw
** bytes). sdbCompactionsFree releases all of it. Callers that edit records in
** place free a record's arrays with sdbFree and its handles with
** sdbSstHandleClear (manifest.h) before dropping it.
*/
#ifndef SDB_COMPACTIONS_H
#define SDB_COMPACTIONS_H

#include "table/sstinfo.h"
#include "meta/manifest.h"
#include "meta/vobj.h"
#include "store/objstore.h"
#include "util/sdbInt.h"

typedef int8_t i8;

/* Compaction.status (enum CompactionStatus : byte). */
#define SDB_COMPACTION_SUBMITTED 0
#define SDB_COMPACTION_RUNNING   1
#define SDB_COMPACTION_COMPLETED 2
#define SDB_COMPACTION_FAILED    3

/* Compaction.spec_type (union CompactionSpec): 0.12.1 knows one member. */
#define SDB_COMPACTION_SPEC_TIERED 1

/* One Compaction table. For the TieredCompactionSpec, a vector that is absent
** in the file has n == 0 and its bHas flag clear; the encoder writes a vector
** when its bHas flag is set or it is non-empty (SlateDB 0.12.1 omits empty
** ones, so records built with zeroed flags come out as SlateDB writes them). */
typedef struct SdbCompactionRec {
  SdbUlid id;             /* compaction id; its ULID time is the job's start */
  u8 specType;            /* SDB_COMPACTION_SPEC_TIERED (others: unknown, see bUnknownFields) */
  SdbUlid *aSstId;        /* spec.ssts (deprecated L0 SST ids); owned */
  int nSstId;
  u32 *aRunId;            /* spec.sorted_runs: source sorted run ids; owned */
  int nRunId;
  SdbUlid *aL0View;       /* spec.l0_view_ids: source L0 (view) ids; owned */
  int nL0View;
  i8 status;              /* SDB_COMPACTION_* */
  SdbSstHandle *aOut;     /* output_ssts written so far; owned */
  int nOut;
  int bHasSstIds;         /* spec.ssts present in the file */
  int bHasRunIds;         /* spec.sorted_runs present */
  int bHasL0Views;        /* spec.l0_view_ids present */
  int bHasOut;            /* output_ssts present */
} SdbCompactionRec;

typedef struct SdbCompactions {
  u64 compactorEpoch;     /* compactor_epoch (fencing token, §3.4) */
  SdbCompactionRec *a;    /* recent_compactions, in file order; owned */
  int n;
  int bUnknownFields;     /* fields / union members / statuses 0.12.1 cannot represent */
  u8 *pRaw;               /* the whole object as decoded (envelope included), or NULL; owned */
  size_t nRaw;
} SdbCompactions;

/* Decode a .compactions object from a[0..n).
** REQUIRES: a readable for n bytes (a may be NULL when n == 0).
** Returns SDB_OK and *pp (caller owns; sdbCompactionsFree), or SDB_CORRUPT
** (short, bad FlatBuffer, missing required field), SDB_UNSUPPORTED (envelope
** version other than 1), SDB_NOMEM. On error *pp is NULL and pErr names the
** field: "compactions: recent_compactions[2].spec.l0_view_ids[0]: ...". */
int sdbCompactionsDecode(const u8 *a, size_t n, SdbCompactions **pp, SdbErr *pErr);

/* Encode p as SlateDB 0.12.1 writes it (u16 BE 1 + CompactionsV1). pRaw is
** ignored. On SDB_OK *pa is sdbMalloc'd (caller frees) with *pn bytes.
** SDB_UNSUPPORTED when p->bUnknownFields (data would be lost) or a record has
** a spec type other than TieredCompactionSpec. */
int sdbCompactionsEncode(const SdbCompactions *p, u8 **pa, size_t *pn, SdbErr *pErr);

/* Free p and everything it owns. NULL-safe. */
void sdbCompactionsFree(SdbCompactions *p);

/* Release what one record owns and zero it. */
void sdbCompactionRecClear(SdbCompactionRec *r);

/* SlateDB's retain_active_and_last_finished: keep the active records
** (Submitted, Running) and, of the finished ones (Completed, Failed), only
** the one with the greatest id; the others are cleared. The kept records are
** ordered by id, as SlateDB (a map keyed by id) writes them. */
void sdbCompactionsRetain(SdbCompactions *p);

/* The versioned-object kind of compactions/ (vobj.h): fencing epoch
** compactor_epoch; a missing file starts as an empty one at epoch 0 (id 0),
** as SlateDB creates it; no copy method (commits start from the latest). */
extern const SdbVobjKind sdbCompactionsKind;

/* Find the latest compactions/<id>.compactions of pStore, GET and decode it
** (sdbVobjLoadLatest).
** Names other than 20 digits + ".compactions" are skipped. A listed object
** that vanishes before the GET (GC race) makes it list again (bounded).
** Returns SDB_OK with *pp (caller owns) and *pId (may be NULL), SDB_NOTFOUND
** when compactions/ holds no such object, or a store / decode error whose
** message starts with the object key. */
int sdbCompactionsLoadLatest(SdbStore *pStore, SdbCompactions **pp, u64 *pId, SdbErr *pErr);

/* Edit c (an owned copy of the latest compactions object) into the next one. */
typedef int (*SdbCompactionsEdit)(SdbCompactions *c, void *pCtx, SdbErr *pErr);

/*
** Write compactions/<latest+1> = xEdit(latest) with the versioned-object
** protocol (sdbVobjCommit): create-only PUT settled by its put-id, a
** collision re-reads and re-applies. eFence (SDB_VOBJ_FENCE_CLAIM while
** claiming epoch, SDB_VOBJ_FENCE_EXACT after) compares the stored
** compactor_epoch with epoch; fenced: SDB_FENCED, *pFencedBy (may be NULL) =
** the stored epoch, a generic message for the caller to replace. *pIdOut (may
** be NULL) gets the id written.
*/
int sdbCompactionsCommit(SdbStore *pStore, int eFence, u64 epoch, SdbCompactionsEdit xEdit,
                         void *pCtx, u64 *pIdOut, u64 *pFencedBy, SdbErr *pErr);

#endif /* SDB_COMPACTIONS_H */
