/*
** t_vobj.c: the versioned-object protocol (core/meta/vobj.c) for both kinds
** of object, manifest/ and compactions/, on a local directory and through a
** hooked store wrapping it:
**   - latest: the highest id, NOTFOUND naming the folder, a version over its
**     decode budget is a clear SDB_CORRUPT naming its key;
**   - commit: id+1 with the edit applied; a collision (another version took
**     the id) re-reads the latest and re-applies the edit; attempts are
**     bounded (SDB_BUSY);
**   - fencing: a newer epoch in the base or in the latest (manifest),
**     claim / exact epochs (compactions): SDB_FENCED with that epoch, nothing
**     written;
**   - unknown outcomes: a PUT that landed but was not answered is settled as
**     ours (bytes compared, or put-ids on a store that has them); one that
**     someone else's object took is settled as not ours and re-applied; one
**     that stays unknown is reported as SDB_UNKNOWN;
**   - a compactions/ object starts from an empty one at epoch 0.
*/
#include <ftw.h>
#include <unistd.h>

#include "test.h"
#include "meta/compactions.h"
#include "meta/manifest.h"
#include "meta/manifest_enc.h"
#include "meta/vobj.h"
#include "util/sdbInt.h"

/* ================================================================ hooked store */

#define HOOK_NONE          0
#define HOOK_LAND_UNKNOWN  1   /* store, then answer SDB_UNKNOWN */
#define HOOK_OTHER_UNKNOWN 2   /* someone else's bytes land, answer SDB_UNKNOWN */
#define HOOK_DROP_UNKNOWN  3   /* nothing lands, answer SDB_UNKNOWN */
#define HOOK_RACE          4   /* someone else's bytes land first, then the PUT */
#define HOOK_EXISTS        5   /* answer SDB_EXISTS, nothing stored */

typedef struct Hook {
  SdbStore base;
  SdbStore *pReal;
  int eMode;              /* HOOK_* for the next nHook create-only PUTs */
  int nHook;
  const u8 *aOther;       /* someone else's object (OTHER_UNKNOWN, RACE) */
  size_t nOther;
  int nPut;               /* create-only PUTs seen */
  char azKey[8][64];      /* put-ids stored by hookPutOnce, by key */
  char azId[8][27];
  int nId;
} Hook;

static int hookGet(SdbStore *p, const char *zKey, u64 iOff, u64 nLen, SdbBuf *pOut, SdbErr *e) {
  Hook *h = (Hook *)p;
  return h->pReal->pMethods->xGet(h->pReal, zKey, iOff, nLen, pOut, e);
}

static int hookList(SdbStore *p, const char *zPrefix, SdbObjList *pOut, SdbErr *e) {
  Hook *h = (Hook *)p;
  return h->pReal->pMethods->xList(h->pReal, zPrefix, pOut, e);
}

/* The hooked create-only PUT. */
static int hookPut(SdbStore *p, const char *zKey, const u8 *a, size_t n, int bIfAbsent, SdbErr *e) {
  Hook *h = (Hook *)p;
  SdbStore *r = h->pReal;
  int eMode = HOOK_NONE;
  if (bIfAbsent) h->nPut++;
  if (bIfAbsent && h->nHook > 0) {
    h->nHook--;
    eMode = h->eMode;
  }
  switch (eMode) {
    case HOOK_LAND_UNKNOWN:
      r->pMethods->xPut(r, zKey, a, n, 1, e);
      return sdbErrSet(e, SDB_UNKNOWN, "test: no answer for %s", zKey);
    case HOOK_OTHER_UNKNOWN:
      r->pMethods->xPut(r, zKey, h->aOther, h->nOther, 1, e);
      return sdbErrSet(e, SDB_UNKNOWN, "test: no answer for %s", zKey);
    case HOOK_DROP_UNKNOWN:
      return sdbErrSet(e, SDB_UNKNOWN, "test: no answer for %s", zKey);
    case HOOK_RACE:
      r->pMethods->xPut(r, zKey, h->aOther, h->nOther, 1, e);
      break;
    case HOOK_EXISTS:
      return sdbErrSet(e, SDB_EXISTS, "test: %s exists", zKey);
  }
  return r->pMethods->xPut(r, zKey, a, n, bIfAbsent, e);
}

/* xPutOnce with put-ids kept in memory: what landed under zPutId is ours. */
static int hookPutOnce(SdbStore *p, const char *zKey, const u8 *a, size_t n, const char *zPutId,
                       SdbErr *e) {
  Hook *h = (Hook *)p;
  int rc = hookPut(p, zKey, a, n, 1, e);
  if (rc == SDB_OK || rc == SDB_UNKNOWN) {
    SdbBuf got = {0};
    SdbErr e2 = {0};
    /* Record the put-id of what our PUT stored (not of someone else's bytes). */
    if (h->pReal->pMethods->xGet(h->pReal, zKey, 0, SDB_TO_END, &got, &e2) == SDB_OK &&
        got.n == n && memcmp(got.a, a, n) == 0 && h->nId < 8) {
      snprintf(h->azKey[h->nId], 64, "%s", zKey);
      snprintf(h->azId[h->nId++], 27, "%s", zPutId);
    }
    sdbBufFree(&got);
    return rc;
  }
  if (rc != SDB_EXISTS) return rc;
  for (int i = 0; i < h->nId; i++) {
    if (strcmp(h->azKey[i], zKey) == 0 && strcmp(h->azId[i], zPutId) == 0) return SDB_OK;
  }
  return rc;
}

static const SdbStoreMethods kHookMethods = {hookGet, NULL, hookPut, hookList, NULL, NULL, NULL, NULL, NULL};
static const SdbStoreMethods kHookIdMethods = {hookGet, NULL, hookPut, hookList, NULL, NULL, NULL,
                                               hookPutOnce, NULL};

/* ================================================================ fixtures */

static int rmOne(const char *zPath, const struct stat *st, int flag, struct FTW *ftw) {
  (void)st; (void)flag; (void)ftw;
  return remove(zPath);
}

/* A fresh local store in a temp dir, wrapped by h (bPutIds: with xPutOnce). */
static SdbStore *newStore(Hook *h, int bPutIds, char zRoot[64]) {
  SdbErr err = {0};
  memset(h, 0, sizeof(*h));
  snprintf(zRoot, 64, "/tmp/sdbvobjXXXXXX");
  if (!mkdtemp(zRoot) || sdbStoreOpenDir(zRoot, 1, 0, &h->pReal, &err) != SDB_OK) return NULL;
  h->base.pMethods = bPutIds ? &kHookIdMethods : &kHookMethods;
  h->base.zDescr = zRoot;
  return &h->base;
}

static void freeStore(Hook *h, const char *zRoot) {
  sdbStoreFree(h->pReal);
  nftw(zRoot, rmOne, 16, FTW_DEPTH | FTW_PHYS);
}

/* The bytes of a fresh manifest with the given writer epoch and last_l0_seq. */
static int manifestBytes(u64 epoch, u64 lastL0Seq, u8 **pa, size_t *pn) {
  SdbManifest m;
  SdbErr err = {0};
  memset(&m, 0, sizeof(m));
  m.eFormat = 1;
  m.bInitialized = 1;
  m.lastL0ClockTick = INT64_MIN;
  m.writerEpoch = epoch;
  m.lastL0Seq = lastL0Seq;
  return sdbManifestEncode(&m, pa, pn, &err);
}

/* Store manifest id with the given fields (plain PUT). */
static int putManifest(SdbStore *s, u64 id, u64 epoch, u64 lastL0Seq) {
  u8 *a = NULL;
  size_t n = 0;
  char zKey[64];
  SdbErr err = {0};
  int rc = manifestBytes(epoch, lastL0Seq, &a, &n);
  sdbVobjKey(&sdbManifestKind, id, zKey, sizeof(zKey));
  if (rc == SDB_OK) rc = s->pMethods->xPut(s, zKey, a, n, 0, &err);
  sdbFree(a);
  return rc;
}

/* The bytes of a compactions object with compactor_epoch epoch and nRec
** (0 or 1) Completed records. */
static int compactionsBytes(u64 epoch, int nRec, u8 **pa, size_t *pn) {
  SdbCompactions c;
  SdbCompactionRec r;
  SdbErr err = {0};
  memset(&c, 0, sizeof(c));
  memset(&r, 0, sizeof(r));
  r.id.hi = 7;
  r.specType = SDB_COMPACTION_SPEC_TIERED;
  r.status = SDB_COMPACTION_COMPLETED;
  c.compactorEpoch = epoch;
  c.a = &r;
  c.n = nRec;
  return sdbCompactionsEncode(&c, pa, pn, &err);
}

static int objExists(Hook *h, const SdbVobjKind *k, u64 id) {
  char zKey[64];
  u64 n = 0;
  SdbErr err = {0};
  sdbVobjKey(k, id, zKey, sizeof(zKey));
  SdbBuf b = {0};
  int rc = h->pReal->pMethods->xGet(h->pReal, zKey, 0, SDB_TO_END, &b, &err);
  n = b.n;
  sdbBufFree(&b);
  return rc == SDB_OK && n > 0;
}

/* ================================================================ edits */

typedef struct EditCtx {
  int nCall;              /* times the edit ran */
  u64 lastNextId;         /* m->nextId seen by the last call */
  u64 lastSeqSeen;        /* last_l0_seq of the manifest it edited */
} EditCtx;

/* Manifest edit: wal_id_last_seen = 42. */
static int editMark(SdbManifest *m, void *pCtx, SdbErr *pErr) {
  EditCtx *c = pCtx;
  (void)pErr;
  c->nCall++;
  c->lastNextId = m->nextId;
  c->lastSeqSeen = m->lastL0Seq;
  m->walIdLastSeen = 42;
  return SDB_OK;
}

/* Compactions edit: claim epoch *(u64 *)pCtx. */
static int editClaimCx(SdbCompactions *c, void *pCtx, SdbErr *pErr) {
  (void)pErr;
  c->compactorEpoch = *(u64 *)pCtx;
  return SDB_OK;
}

/* ================================================================ manifest */

/* Commit on base id 1 (epoch 3) through h; *pm the committed manifest. */
static int commitOnBase(Hook *h, EditCtx *c, SdbManifest **pm, u64 *pId, u64 *pTheirs, SdbErr *pErr) {
  SdbManifest *pBase = NULL;
  int rc = sdbManifestLoad(h->pReal, 1, &pBase, pErr);
  if (rc == SDB_OK) {
    rc = sdbManifestCommit(&h->base, pBase, 1, 3, editMark, c, pm, pId, pTheirs, pErr);
  }
  sdbManifestFree(pBase);
  return rc;
}

static void testManifestCommit(int bPutIds) {
  const char *zTag = bPutIds ? "vobj(put-ids): " : "vobj: ";
  char zName[160], zRoot[64];
  Hook h;
  SdbStore *s = newStore(&h, bPutIds, zRoot);
  SdbErr err = {0};
  SdbManifest *m = NULL;
  u64 id = 0, theirs = 0;
  EditCtx c = {0};
#define NAME(x) (snprintf(zName, sizeof(zName), "%s%s", zTag, (x)), zName)
  CHECK(NAME("temp store"), s != NULL);
  if (!s) return;

  int rc = sdbManifestCommit(s, NULL, 0, 3, editMark, &c, &m, &id, NULL, &err);
  CHECKF(NAME("manifest: a commit with no manifest is NOTFOUND, naming the folder"),
         rc == SDB_NOTFOUND && !m && strstr(err.zMsg, "no manifest found under ") &&
         strstr(err.zMsg, "/manifest/ (not a SlateDB database?)"), "rc=%d %s", rc, err.zMsg);

  putManifest(h.pReal, 1, 3, 0);
  rc = commitOnBase(&h, &c, &m, &id, &theirs, &err);
  CHECKF(NAME("manifest: commit writes id+1 with the edit, nextId given to the edit"),
         rc == SDB_OK && id == 2 && m && m->walIdLastSeen == 42 && m->nextId == 0 && c.nCall == 1 &&
         c.lastNextId == 2 && h.nPut == 1, "rc=%d id=%llu %s", rc, (unsigned long long)id, err.zMsg);
  sdbManifestFree(m);

  /* Another writer's manifest 2 (same epoch) exists: re-read and re-apply on it. */
  h.pReal->pMethods->xDelete(h.pReal, "manifest/00000000000000000002.manifest", &err);
  putManifest(h.pReal, 2, 3, 55);
  memset(&c, 0, sizeof(c));
  h.nPut = 0;
  rc = commitOnBase(&h, &c, &m, &id, &theirs, &err);
  CHECKF(NAME("manifest: a collision re-reads the latest and re-applies the edit"),
         rc == SDB_OK && id == 3 && c.nCall == 2 && h.nPut == 2 && c.lastSeqSeen == 55 && m &&
         m->walIdLastSeen == 42 && m->lastL0Seq == 55,
         "rc=%d id=%llu calls=%d puts=%d %s", rc, (unsigned long long)id, c.nCall, h.nPut, err.zMsg);
  sdbManifestFree(m);

  /* A newer writer committed manifest 4: fenced, nothing written. */
  putManifest(h.pReal, 4, 5, 0);
  memset(&c, 0, sizeof(c));
  rc = commitOnBase(&h, &c, &m, &id, &theirs, &err);
  CHECKF(NAME("manifest: a newer writer_epoch in the latest fences (its epoch reported)"),
         rc == SDB_FENCED && theirs == 5 && !m && c.nCall == 1 && !objExists(&h, &sdbManifestKind, 5),
         "rc=%d theirs=%llu calls=%d %s", rc, (unsigned long long)theirs, c.nCall, err.zMsg);
  SdbManifest *pNewer = NULL;
  sdbManifestLoad(h.pReal, 4, &pNewer, &err);
  memset(&c, 0, sizeof(c));
  theirs = 0;
  rc = pNewer ? sdbManifestCommit(s, pNewer, 4, 3, editMark, &c, &m, &id, &theirs, &err) : -1;
  CHECKF(NAME("manifest: a newer writer_epoch in the base fences before any edit or PUT"),
         rc == SDB_FENCED && theirs == 5 && c.nCall == 0 && !objExists(&h, &sdbManifestKind, 5),
         "rc=%d %s", rc, err.zMsg);
  rc = pNewer ? sdbManifestCommit(s, pNewer, 4, 0, editMark, &c, &m, &id, &theirs, &err) : -1;
  CHECKF(NAME("manifest: epoch 0 (opening) does not fence"), rc == SDB_OK && id == 5,
         "rc=%d %s", rc, err.zMsg);
  sdbManifestFree(m);
  sdbManifestFree(pNewer);
  freeStore(&h, zRoot);
#undef NAME
}

/* Unknown outcomes of the manifest PUT. */
static void testManifestUnknown(int bPutIds) {
  const char *zTag = bPutIds ? "vobj(put-ids): " : "vobj: ";
  char zName[160], zRoot[64];
  Hook h;
  SdbStore *s = newStore(&h, bPutIds, zRoot);
  SdbErr err = {0};
  SdbManifest *m = NULL;
  u64 id = 0, theirs = 0;
  EditCtx c = {0};
  u8 *aOther = NULL;
  size_t nOther = 0;
#define NAME(x) (snprintf(zName, sizeof(zName), "%s%s", zTag, (x)), zName)
  CHECK(NAME("temp store 2"), s != NULL);
  if (!s) return;
  putManifest(h.pReal, 1, 3, 0);

  h.eMode = HOOK_LAND_UNKNOWN;
  h.nHook = 1;
  {
    int rc = commitOnBase(&h, &c, &m, &id, &theirs, &err);
    CHECKF(NAME("manifest: a PUT that landed unanswered is settled as ours"),
           rc == SDB_OK && id == 2 && c.nCall == 1 && m && m->walIdLastSeen == 42,
           "rc=%d id=%llu calls=%d %s", rc, (unsigned long long)id, c.nCall, err.zMsg);
    sdbManifestFree(m);
    m = NULL;
  }

  /* From the latest (2): manifest 3 gets another writer's bytes and no
  ** answer; the repeat finds them: not ours, re-applied on them at 4. */
  manifestBytes(3, 77, &aOther, &nOther);
  h.aOther = aOther;
  h.nOther = nOther;
  h.eMode = HOOK_OTHER_UNKNOWN;
  h.nHook = 1;
  memset(&c, 0, sizeof(c));
  {
    int rc = sdbManifestCommit(s, NULL, 0, 3, editMark, &c, &m, &id, &theirs, &err);
    CHECKF(NAME("manifest: an id someone else's unanswered PUT took is not ours: re-applied"),
           rc == SDB_OK && id == 4 && c.nCall == 2 && c.lastSeqSeen == 77 && m && m->lastL0Seq == 77 &&
           m->walIdLastSeen == 42, "rc=%d id=%llu calls=%d %s", rc, (unsigned long long)id, c.nCall,
           err.zMsg);
    sdbManifestFree(m);
    m = NULL;
  }

  h.eMode = HOOK_DROP_UNKNOWN;
  h.nHook = 2;
  memset(&c, 0, sizeof(c));
  {
    int rc = sdbManifestCommit(s, NULL, 0, 3, editMark, &c, &m, &id, &theirs, &err);
    CHECKF(NAME("manifest: an outcome still unknown after the repeat is SDB_UNKNOWN"),
           rc == SDB_UNKNOWN && !m && !objExists(&h, &sdbManifestKind, 5), "rc=%d %s", rc, err.zMsg);
  }

  sdbFree(aOther);
  freeStore(&h, zRoot);
#undef NAME
}

/* Generic edit that changes nothing. */
static int editNothing(void *pObj, u64 newId, void *pCtx, SdbErr *pErr) {
  (void)pObj; (void)newId; (void)pErr;
  (*(int *)pCtx)++;
  return SDB_OK;
}

/* Attempts are bounded; a version over its decode budget is a clear error. */
static void testBoundsAndBudget(void) {
  char zRoot[64];
  Hook h;
  SdbStore *s = newStore(&h, 0, zRoot);
  SdbErr err = {0};
  CHECK("vobj: temp store 3", s != NULL);
  if (!s) return;
  putManifest(h.pReal, 1, 3, 0);
  SdbVobjKind k = sdbManifestKind;
  k.nMaxAttempts = 3;
  h.eMode = HOOK_EXISTS;
  h.nHook = 1000;
  int nCall = 0;
  SdbVobjCommit vc;
  memset(&vc, 0, sizeof(vc));
  vc.pStore = s;
  vc.pKind = &k;
  vc.xEdit = editNothing;
  vc.pCtx = &nCall;
  int rc = sdbVobjCommit(&vc, NULL, 0, &err);
  CHECKF("vobj: a commit that keeps colliding gives up after the kind's attempts (SDB_BUSY)",
         rc == SDB_BUSY && vc.nAttempts == 3 && nCall == 3 && strstr(err.zMsg, "manifest update kept colliding"),
         "rc=%d attempts=%d %s", rc, vc.nAttempts, err.zMsg);
  h.nHook = 0;

  k.nBudgetPerByte = 0;
  k.nBudgetSlack = 0;
  void *p = NULL;
  u64 id = 0;
  rc = sdbVobjLoadLatest(s, &k, &p, &id, &err);
  CHECKF("vobj: a manifest over its decode budget is SDB_CORRUPT naming its key",
         rc == SDB_CORRUPT && !p && strncmp(err.zMsg, "manifest/00000000000000000001.manifest: ", 40) == 0 &&
         strstr(err.zMsg, "too large"), "rc=%d %s", rc, err.zMsg);
  memset(&vc, 0, sizeof(vc));
  vc.pStore = s;
  vc.pKind = &k;
  vc.xEdit = editNothing;
  vc.pCtx = &nCall;
  rc = sdbVobjCommit(&vc, NULL, 0, &err);
  CHECKF("vobj: a commit on a version over budget fails with that error, writes nothing",
         rc == SDB_CORRUPT && strstr(err.zMsg, "too large") && !objExists(&h, &sdbManifestKind, 2),
         "rc=%d %s", rc, err.zMsg);

  u8 *a = NULL;
  size_t n = 0;
  rc = compactionsBytes(1, 1, &a, &n);
  if (rc == SDB_OK) rc = s->pMethods->xPut(s, "compactions/00000000000000000001.compactions", a, n, 1, &err);
  sdbFree(a);
  SdbVobjKind kc = sdbCompactionsKind;
  kc.nBudgetPerByte = 0;
  kc.nBudgetSlack = 0;
  rc = rc ? rc : sdbVobjLoadLatest(s, &kc, &p, &id, &err);
  CHECKF("vobj: a compactions object over its decode budget is SDB_CORRUPT naming its key",
         rc == SDB_CORRUPT && !p &&
         strncmp(err.zMsg, "compactions/00000000000000000001.compactions: ", 46) == 0 &&
         strstr(err.zMsg, "too large"), "rc=%d %s", rc, err.zMsg);
  freeStore(&h, zRoot);
}

/* The compactions/ kind: empty start, claim and exact fencing, collisions,
** unknown outcomes. */
static void testCompactions(int bPutIds) {
  const char *zTag = bPutIds ? "vobj(put-ids): " : "vobj: ";
  char zName[160], zRoot[64];
  Hook h;
  SdbStore *s = newStore(&h, bPutIds, zRoot);
  SdbErr err = {0};
  SdbCompactions *c = NULL;
  u64 id = 0, theirs = 0, e = 1;
  u8 *aOther = NULL;
  size_t nOther = 0;
#define NAME(x) (snprintf(zName, sizeof(zName), "%s%s", zTag, (x)), zName)
  CHECK(NAME("temp store 4"), s != NULL);
  if (!s) return;
  int rc = sdbCompactionsLoadLatest(s, &c, &id, &err);
  CHECKF(NAME("compactions: none is NOTFOUND naming the folder"),
         rc == SDB_NOTFOUND && strstr(err.zMsg, "no compactions object found under ") &&
         strstr(err.zMsg, "/compactions/"), "rc=%d %s", rc, err.zMsg);
  rc = sdbCompactionsCommit(s, SDB_VOBJ_FENCE_CLAIM, 1, editClaimCx, &e, &id, &theirs, &err);
  CHECKF(NAME("compactions: a claim starts from an empty object: id 1"), rc == SDB_OK && id == 1 &&
         sdbCompactionsLoadLatest(s, &c, NULL, &err) == SDB_OK && c->compactorEpoch == 1,
         "rc=%d id=%llu %s", rc, (unsigned long long)id, err.zMsg);
  sdbCompactionsFree(c);
  c = NULL;
  rc = sdbCompactionsCommit(s, SDB_VOBJ_FENCE_CLAIM, 1, editClaimCx, &e, &id, &theirs, &err);
  CHECKF(NAME("compactions: claiming an epoch already stored is fenced"),
         rc == SDB_FENCED && theirs == 1 && !objExists(&h, &sdbCompactionsKind, 2), "rc=%d %s", rc, err.zMsg);
  e = 2;
  rc = sdbCompactionsCommit(s, SDB_VOBJ_FENCE_CLAIM, 2, editClaimCx, &e, &id, &theirs, &err);
  CHECKF(NAME("compactions: claiming a newer epoch"), rc == SDB_OK && id == 2, "rc=%d %s", rc, err.zMsg);
  rc = sdbCompactionsCommit(s, SDB_VOBJ_FENCE_EXACT, 1, editClaimCx, &e, &id, &theirs, &err);
  CHECKF(NAME("compactions: an epoch other than ours is fenced"),
         rc == SDB_FENCED && theirs == 2 && !objExists(&h, &sdbCompactionsKind, 3), "rc=%d %s", rc, err.zMsg);

  compactionsBytes(2, 1, &aOther, &nOther);
  h.aOther = aOther;
  h.nOther = nOther;
  h.eMode = HOOK_RACE;
  h.nHook = 1;
  h.nPut = 0;
  e = 2;
  int nCall = 0;
  SdbVobjCommit vc;
  memset(&vc, 0, sizeof(vc));
  vc.pStore = s;
  vc.pKind = &sdbCompactionsKind;
  vc.eFence = SDB_VOBJ_FENCE_EXACT;
  vc.epoch = 2;
  vc.xEdit = editNothing;
  vc.pCtx = &nCall;
  rc = sdbVobjCommit(&vc, NULL, 0, &err);
  CHECKF(NAME("compactions: a collision re-reads and re-applies"),
         rc == SDB_OK && vc.id == 4 && nCall == 2 && vc.nAttempts == 2, "rc=%d id=%llu calls=%d %s", rc,
         (unsigned long long)vc.id, nCall, err.zMsg);

  h.eMode = HOOK_LAND_UNKNOWN;
  h.nHook = 1;
  rc = sdbCompactionsCommit(s, SDB_VOBJ_FENCE_EXACT, 2, editClaimCx, &e, &id, &theirs, &err);
  CHECKF(NAME("compactions: a PUT that landed unanswered is settled as ours"),
         rc == SDB_OK && id == 5, "rc=%d id=%llu %s", rc, (unsigned long long)id, err.zMsg);
  sdbFree(aOther);
  compactionsBytes(2, 0, &aOther, &nOther);   /* the latest lists a record: these differ */
  h.aOther = aOther;
  h.nOther = nOther;
  h.eMode = HOOK_OTHER_UNKNOWN;
  h.nHook = 1;
  nCall = 0;
  memset(&vc, 0, sizeof(vc));
  vc.pStore = s;
  vc.pKind = &sdbCompactionsKind;
  vc.eFence = SDB_VOBJ_FENCE_EXACT;
  vc.epoch = 2;
  vc.xEdit = editNothing;
  vc.pCtx = &nCall;
  rc = sdbVobjCommit(&vc, NULL, 0, &err);
  CHECKF(NAME("compactions: an id someone else's unanswered PUT took is not ours: re-applied"),
         rc == SDB_OK && vc.id == 7 && nCall == 2 && vc.nAttempts == 2, "rc=%d id=%llu calls=%d %s", rc,
         (unsigned long long)vc.id, nCall, err.zMsg);
  h.eMode = HOOK_DROP_UNKNOWN;
  h.nHook = 2;
  rc = sdbCompactionsCommit(s, SDB_VOBJ_FENCE_EXACT, 2, editClaimCx, &e, &id, &theirs, &err);
  CHECKF(NAME("compactions: an outcome still unknown is SDB_UNKNOWN"),
         rc == SDB_UNKNOWN && !objExists(&h, &sdbCompactionsKind, 8), "rc=%d %s", rc, err.zMsg);
  h.nHook = 0;
  sdbFree(aOther);
  freeStore(&h, zRoot);
#undef NAME
}

int main(void) {
  testManifestCommit(0);
  testManifestCommit(1);
  testManifestUnknown(0);
  testManifestUnknown(1);
  testBoundsAndBudget();
  testCompactions(0);
  testCompactions(1);
  return test_done();
}
