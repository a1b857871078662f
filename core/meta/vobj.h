/*
** vobj.h: the versioned-object protocol, once for every kind of object that
** SlateDB 0.12.1 keeps as a sequence of versions (its slatedb-txn-obj crate:
** ObjectStoreSequencedStorageProtocol + FenceableTransactionalObject):
** manifest/<id>.manifest and compactions/<id>.compactions (spec/MANIFEST.md
** §1, §3.1, §3.4).
**
**   names      <dir><20-digit decimal id><ext>, ids from 1, dense;
**   latest     LIST <dir>, the highest id whose name parses; GET it, decode
**              it within a budget (a listed object that vanished before the
**              GET, raced by GC, makes it list again, bounded);
**   commit     the next version is xEdit(current) written with a create-only
**              PUT of <id+1>. The PUT carries a put-id: an unknown outcome is
**              settled by repeating it under the same put-id (stores without
**              put-ids compare the bytes); "exists, not ours" is a conflict:
**              the latest is read again and the edit re-applied to it,
**              bounded attempts;
**   fencing    before every edit the epoch of the current version is
**              compared with the caller's (SDB_VOBJ_FENCE_*): a newer holder
**              ends the commit with SDB_FENCED, its epoch reported.
**
** A kind is a table of methods (SdbVobjKind); manifest.c and compactions.c
** define theirs (sdbManifestKind, sdbCompactionsKind) and wrap this API under
** their own names. The create-only PUT with settling (sdbPutOnce,
** sdbPutSettled) is also what the writer uses for WAL, fence and L0 SSTs.
**
** Objects are untyped here (void *): each kind's methods know their type.
** Nothing here keeps state between calls; safe from several threads.
*/
#ifndef SDB_VOBJ_H
#define SDB_VOBJ_H

#include "store/objstore.h"
#include "util/sdbInt.h"

/* Decoded data a kind may produce: per input byte, plus a constant. Guards
** against FlatBuffers whose sub-objects are shared many times. */
#define SDB_VOBJ_BUDGET_PER_BYTE 32
#define SDB_VOBJ_BUDGET_SLACK (8u << 20)

typedef struct SdbVobjKind {
  const char *zDir;       /* folder with its slash: "manifest/" */
  const char *zExt;       /* extension with its dot: ".manifest" */
  const char *zWhat;      /* for messages: "manifest", "compactions object" */
  const char *zNoneHint;  /* appended to the "no ... found" message, or "" */
  u32 nBudgetPerByte;     /* decode budget: nBudgetPerByte * size + nBudgetSlack */
  u32 nBudgetSlack;
  int nMaxAttempts;       /* commit attempts before SDB_BUSY */
  /* Decode a[0..n) charging at most nBudget bytes of decoded data (over it:
  ** SDB_CORRUPT). *pp: caller owns (xFree). Messages carry no key; the
  ** protocol prefixes "<key>: ". */
  int (*xDecode)(const u8 *a, size_t n, u64 nBudget, void **pp, SdbErr *pErr);
  /* Encode p; *pa sdbMalloc'd (caller frees). */
  int (*xEncode)(const void *p, u8 **pa, size_t *pn, SdbErr *pErr);
  /* Deep copy of p (caller owns), or NULL: commits then start from the
  ** latest version they read themselves (pBase NULL). */
  int (*xCopy)(const void *p, void **pp, SdbErr *pErr);
  /* The empty object a commit starts from when the folder holds none (id 0),
  ** or NULL: a commit on a missing object is SDB_NOTFOUND. NULL on OOM. */
  void *(*xNew)(void);
  u64 (*xEpoch)(const void *p);   /* the fencing epoch stored in p */
  void (*xFree)(void *p);         /* NULL-safe */
} SdbVobjKind;

/* Id as 20 zero-padded decimal digits + NUL. */
void sdbFormatId20(u64 id, char z[21]);

/* Parse a versioned-object name: exactly 20 decimal digits then zExt (with its
** dot, e.g. ".sst", ".manifest"), nothing after. A leading path ("wal/...")
** is ignored: only the part after the last '/' is parsed.
** Returns SDB_OK and *pId, or SDB_ERROR when the name does not match or the
** number does not fit in a u64. */
int sdbParseId20(const char *zName, const char *zExt, u64 *pId);

/* The key of version id into z (at least 64 bytes): "<dir><id20><ext>". */
void sdbVobjKey(const SdbVobjKind *k, u64 id, char *z, size_t nz);

/* The highest id listed under k->zDir. SDB_NOTFOUND (message: "no <what>
** found under <root>/<dir><hint>") when there is none; a LIST error is
** prefixed "listing <dir>: ". */
int sdbVobjLatestId(SdbStore *pStore, const SdbVobjKind *k, u64 *pId, SdbErr *pErr);

/* GET and decode version id. SDB_NOTFOUND when it does not exist. Errors
** start with the key. Caller owns *pp (k->xFree). */
int sdbVobjLoad(SdbStore *pStore, const SdbVobjKind *k, u64 id, void **pp, SdbErr *pErr);

/* The latest version and its id (pId may be NULL), listed again when the
** listed one vanishes before the GET (SDB_BUSY after 8 tries). SDB_NOTFOUND
** when there is none. Caller owns *pp. */
int sdbVobjLoadLatest(SdbStore *pStore, const SdbVobjKind *k, void **pp, u64 *pId,
                      SdbErr *pErr);

/* A fresh put-id (26-character ULID text + NUL) into z. */
int sdbPutIdNew(char z[27], SdbErr *pErr);

/* Create-only PUT of a[0..n) at zKey tagged zPutId: the store's xPutOnce, or
** else xPut(bIfAbsent) where, with bSameIsOurs, an existing byte-identical
** object counts as ours (not for objects every writer writes alike, such as
** fence SSTs). SDB_OK (ours), SDB_EXISTS (someone else's), SDB_UNKNOWN (it
** may have landed; repeat with the same put-id to settle), or an error. */
int sdbPutOnce(SdbStore *pStore, const char *zKey, const u8 *a, size_t n, const char *zPutId,
               int bSameIsOurs, SdbErr *pErr);

/* sdbPutOnce under a fresh put-id; an unknown outcome is settled by
** repeating the same PUT once (one more request timeout) before SDB_UNKNOWN
** is reported. */
int sdbPutSettled(SdbStore *pStore, const char *zKey, const u8 *a, size_t n, int bSameIsOurs,
                  SdbErr *pErr);

/* How a commit compares the stored epoch E with the caller's epoch e. */
#define SDB_VOBJ_FENCE_NONE  0   /* no check */
#define SDB_VOBJ_FENCE_NEWER 1   /* fenced when E > e (e == 0: no check) */
#define SDB_VOBJ_FENCE_CLAIM 2   /* e is being claimed: fenced when E >= e */
#define SDB_VOBJ_FENCE_EXACT 3   /* e was claimed: fenced when E != e */

/* Edit pObj (an owned copy of the current version) into version newId. */
typedef int (*SdbVobjEdit)(void *pObj, u64 newId, void *pCtx, SdbErr *pErr);

/* One commit. The caller fills the inputs (zero the rest); sdbVobjCommit
** fills the outputs. */
typedef struct SdbVobjCommit {
  SdbStore *pStore;
  const SdbVobjKind *pKind;
  int eFence;             /* SDB_VOBJ_FENCE_* */
  u64 epoch;              /* the caller's epoch */
  SdbVobjEdit xEdit;
  void *pCtx;
  int bWantResult;        /* decode the committed bytes into pResult */
  /* outputs */
  void *pResult;          /* the committed version as stored (caller owns), or NULL */
  u64 id;                 /* its id */
  u64 fencedBy;           /* SDB_FENCED: the stored epoch */
  int nAttempts;          /* PUTs tried */
} SdbVobjCommit;

/*
** Commit version baseId+1 = xEdit(copy of pBase) (pBase NULL: the latest
** version is read first, or the kind's xNew at id 0 when there is none),
** following the protocol above; on a conflict the latest is read, checked
** for fencing and edited again, up to k->nMaxAttempts PUTs. Returns SDB_OK
** (c->id, c->pResult), SDB_FENCED (c->fencedBy; the message is generic and
** callers replace it), SDB_BUSY (kept colliding), SDB_UNKNOWN (the PUT's
** outcome could not be settled), or the edit's, the store's or a decode
** error. A version that fails to decode is an error, never skipped.
*/
int sdbVobjCommit(SdbVobjCommit *c, const void *pBase, u64 baseId, SdbErr *pErr);

#endif /* SDB_VOBJ_H */
