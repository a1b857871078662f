/*
** memtable.c: the skiplist memtable described in memtable.h.
**
** Order: key ascending (bytewise, shorter prefix first), then seq descending;
** (key, seq) is unique: inserting it again unlinks the older node.
** Each node is bump-allocated from the arena together with its key and value
** bytes. Level-0 and upper links are written with release stores after the
** node is complete, and read with acquire loads, so a reader never sees a
** half-built node while the single writer inserts.
*/
#include <pthread.h>

#include "db/memtable.h"
#include "util/rangeutil.h"

#define MT_MAX_HEIGHT 16
#define MT_CHUNK (256 * 1024)

typedef struct MtNode MtNode;
struct MtNode {
  const u8 *pKey;         /* key bytes (in the arena) */
  const u8 *pVal;         /* value bytes (in the arena), NULL for tombstones */
  size_t nVal;
  u64 seq;
  i64 createTs, expireTs;
  u32 nKey;
  u8 eKind;               /* SDB_KIND_* */
  u8 bHasCreate, bHasExpire;
  u8 height;              /* number of links in aNext[] */
  MtNode *aNext[1];       /* height links; allocated with the node */
};

typedef struct MtChunk MtChunk;
struct MtChunk {
  MtChunk *pNext;         /* older chunk */
  u64 iGen;               /* chunks are numbered from 0 in the order made */
  size_t nUsed, nSize;
  u8 *a;                  /* points just past this header */
};

struct SdbMemtable {
  int nRef;               /* atomic reference count */
  MtChunk *pChunk;        /* newest arena chunk; owns all nodes */
  MtNode *pHead;          /* sentinel with MT_MAX_HEIGHT links */
  int height;             /* current max height in use */
  u32 rnd;                /* height generator state */
  u64 nGen;               /* chunks made so far (the next one's iGen) */
  u64 nAlloc;             /* arena allocations so far (sdbMemtablePrepDrop) */
  u64 nRows, nBytes, maxSeq;
  u64 nEntryBytes;        /* sum of SlateDB's RowEntry::estimated_size() of the rows */
  i64 maxCreateTs;
  /* The inserting thread's finger: for every level, the node an insert or a
  ** point find (sdbMemtableFindNewest) last searched from; valid nodes of the
  ** list (a replaced node resets it to the head). Read and written only by
  ** the inserting thread. */
  MtNode *apHint[MT_MAX_HEIGHT];
};

/* ------------------------------------------------------------ arena */
static void *mtAlloc(SdbMemtable *p, size_t n) {
  n = (n + 7) & ~(size_t)7;
  MtChunk *c = p->pChunk;
  if (!c || c->nSize - c->nUsed < n) {
    size_t nSize = n > MT_CHUNK / 4 ? n : MT_CHUNK;
    MtChunk *cNew = sdbMalloc(sizeof(MtChunk) + nSize);
    if (!cNew) return NULL;
    cNew->pNext = c;
    cNew->iGen = p->nGen++;
    cNew->nUsed = 0;
    cNew->nSize = nSize;
    cNew->a = (u8 *)(cNew + 1);
    if (c && nSize != MT_CHUNK) {
      /* A big allocation gets its own chunk behind the current one, so the
      ** current chunk's free space stays usable. */
      cNew->pNext = c->pNext;
      c->pNext = cNew;
      cNew->nUsed = n;
      p->nAlloc++;
      return cNew->a;
    }
    p->pChunk = c = cNew;
  }
  void *pRet = c->a + c->nUsed;
  c->nUsed += n;
  p->nAlloc++;
  return pRet;
}

static MtNode *mtNodeAlloc(SdbMemtable *p, int height, size_t nExtra) {
  size_t n = sizeof(MtNode) + sizeof(MtNode *) * (size_t)(height - 1) + nExtra;
  MtNode *pNode = mtAlloc(p, n);
  if (pNode) {
    memset(pNode, 0, sizeof(MtNode) + sizeof(MtNode *) * (size_t)(height - 1));
    pNode->height = (u8)height;
  }
  return pNode;
}

/* Point every level of the finger at the head (always a valid start). */
static void mtHintReset(SdbMemtable *p) {
  for (int i = 0; i < MT_MAX_HEIGHT; i++) p->apHint[i] = p->pHead;
}

/* ------------------------------------------------------------ lifecycle */
SdbMemtable *sdbMemtableNew(void) {
  SdbMemtable *p = sdbMallocZero(sizeof(*p));
  if (!p) return NULL;
  p->nRef = 1;
  p->height = 1;
  p->rnd = 0x2545F491u;
  p->maxCreateTs = INT64_MIN;
  p->pHead = mtNodeAlloc(p, MT_MAX_HEIGHT, 0);
  if (!p->pHead) {
    sdbFree(p);
    return NULL;
  }
  mtHintReset(p);
  return p;
}

void sdbMemtableRef(SdbMemtable *p) { __atomic_add_fetch(&p->nRef, 1, __ATOMIC_RELAXED); }

void sdbMemtableUnref(SdbMemtable *p) {
  if (!p || __atomic_sub_fetch(&p->nRef, 1, __ATOMIC_ACQ_REL) != 0) return;
  MtChunk *c = p->pChunk;
  while (c) {
    MtChunk *pNext = c->pNext;
    sdbFree(c);
    c = pNext;
  }
  sdbFree(p);
}

u64 sdbMemtableRows(const SdbMemtable *p) { return __atomic_load_n(&p->nRows, __ATOMIC_RELAXED); }
u64 sdbMemtableBytes(const SdbMemtable *p) { return __atomic_load_n(&p->nBytes, __ATOMIC_RELAXED); }

u64 sdbMemtableL0Estimate(const SdbMemtable *p, u64 blockSize, u32 bitsPerKey, u32 minFilterKeys) {
  u64 n = __atomic_load_n(&p->nRows, __ATOMIC_RELAXED);
  if (n == 0) return 0;
  /* SsTableFormat::estimate_encoded_size_compacted (format/sst.rs), term by term. */
  u64 enc = __atomic_load_n(&p->nEntryBytes, __ATOMIC_RELAXED) + (2 + 2 + 4 + 1) * n;
  u64 bs = blockSize ? blockSize : 4096;
  u64 nBlocks = (enc + bs - 1) / bs;
  u64 ans = enc + 2 * n + 4 * nBlocks;     /* Block::estimate_encoded_size */
  ans += nBlocks * 12 + 2 + 4;             /* index: a 12-byte first key guess per block */
  ans += 12 + 4 * 8 + 2;                   /* metadata */
  ans += 8 + 2;                            /* metadata offset, version */
  if (n >= minFilterKeys) {
    u32 bits = (u32)n * bitsPerKey;        /* u32 arithmetic, as filter_size_bytes */
    ans += (bits + 7) / 8 + 2 + 4;
  }
  ans += 5 * 8 + 4;                        /* stats */
  return ans;
}
u64 sdbMemtableMaxSeq(const SdbMemtable *p) { return __atomic_load_n(&p->maxSeq, __ATOMIC_RELAXED); }
i64 sdbMemtableMaxCreateTs(const SdbMemtable *p) { return p->maxCreateTs; }

/* ------------------------------------------------------------ search */
static MtNode *mtNext(MtNode *pNode, int level) {
  return __atomic_load_n(&pNode->aNext[level], __ATOMIC_ACQUIRE);
}

/* <0 if the node sorts before target (key, seq), 0 if equal, >0 after. */
static int mtCmp(const MtNode *pNode, const u8 *pKey, size_t nKey, u64 seq) {
  int c = sdbKeyCmp(pNode->pKey, pNode->nKey, pKey, nKey);
  if (c) return c;
  return pNode->seq > seq ? -1 : (pNode->seq < seq ? 1 : 0);
}

/* See memtable.h. The list is in key order: its first node has the least key. */
int sdbMemtableHasBelow(SdbMemtable *p, const u8 *pKey, size_t nKey) {
  MtNode *pFirst = mtNext(p->pHead, 0);
  return pFirst && sdbKeyCmp(pFirst->pKey, pFirst->nKey, pKey, nKey) < 0;
}

/* The last node that sorts before (key, seq) (the head if none). Fills
** apPrev[level] for every level when apPrev is not NULL. */
static MtNode *mtFindLess(SdbMemtable *p, const u8 *pKey, size_t nKey, u64 seq,
                          MtNode **apPrev) {
  MtNode *x = p->pHead;
  int level = __atomic_load_n(&p->height, __ATOMIC_ACQUIRE) - 1;
  for (; level >= 0; level--) {
    MtNode *n;
    while ((n = mtNext(x, level)) != NULL && mtCmp(n, pKey, nKey, seq) < 0) x = n;
    if (apPrev) apPrev[level] = x;
  }
  return x;
}

/* Whether the finger's node at level sorts before (key, seq) and its
** successor there does not: then it is mtFindLess's apPrev[level]. */
static int mtHintFits(SdbMemtable *p, int level, const u8 *pKey, size_t nKey, u64 seq) {
  MtNode *x = p->apHint[level];
  if (x != p->pHead && mtCmp(x, pKey, nKey, seq) >= 0) return 0;
  MtNode *n = mtNext(x, level);
  return n == NULL || mtCmp(n, pKey, nKey, seq) >= 0;
}

/* mtFindLess filling apPrev, from the finger: the levels from the top down
** where it fits keep it, and the search of the levels below starts at the
** lowest of those (from the head if none fits). Keys that follow the last
** one searched, or land near it, cost a comparison or two per level. The
** finger becomes apPrev. REQUIRES: the inserting thread. */
static MtNode *mtFindLessHint(SdbMemtable *p, const u8 *pKey, size_t nKey, u64 seq,
                              MtNode **apPrev) {
  int nLevel = p->height, top = nLevel;
  /* The finger at every level is the last node there before some key, so
  ** when its level-0 node is the list's last and sorts before (key, seq),
  ** every level's is that level's last node: an append (rows in key order)
  ** costs one comparison. */
  MtNode *pLast = p->apHint[0];
  if (mtNext(pLast, 0) == NULL && (pLast == p->pHead || mtCmp(pLast, pKey, nKey, seq) < 0)) {
    memcpy(apPrev, p->apHint, sizeof(MtNode *) * (size_t)nLevel);
    return pLast;
  }
  while (top > 0 && mtHintFits(p, top - 1, pKey, nKey, seq)) top--;
  MtNode *x = top < nLevel ? p->apHint[top] : p->pHead;
  for (int level = top - 1; level >= 0; level--) {
    MtNode *n;
    while ((n = mtNext(x, level)) != NULL && mtCmp(n, pKey, nKey, seq) < 0) x = n;
    p->apHint[level] = x;
  }
  memcpy(apPrev, p->apHint, sizeof(MtNode *) * (size_t)nLevel);
  return apPrev[0];
}

/* The last node of the list (the head if empty). */
static MtNode *mtFindLast(SdbMemtable *p) {
  MtNode *x = p->pHead;
  for (int level = __atomic_load_n(&p->height, __ATOMIC_ACQUIRE) - 1; level >= 0; level--) {
    MtNode *n;
    while ((n = mtNext(x, level)) != NULL) x = n;
  }
  return x;
}

static int mtRandomHeight(SdbMemtable *p) {
  int h = 1;
  while (h < MT_MAX_HEIGHT) {
    p->rnd ^= p->rnd << 13;
    p->rnd ^= p->rnd >> 17;
    p->rnd ^= p->rnd << 5;
    if ((p->rnd & 3) != 0) break;
    h++;
  }
  return h;
}

/* Estimate of a row's encoded size: lengths, key, value, seq, flags, 2 timestamps. */
static u64 mtRowBytes(size_t nKey, size_t nVal) { return (u64)(nKey + nVal + 3 + 8 + 1 + 16); }

/* SlateDB 0.12.1's RowEntry::estimated_size() (types.rs): key, value, seq and the
** timestamps present. Its memtable sums these in entries_size_in_bytes. */
static u64 mtEntryBytes(size_t nKey, size_t nVal, int bCreate, int bExpire) {
  return (u64)(nKey + nVal + 8 + (bCreate ? 8 : 0) + (bExpire ? 8 : 0));
}

/* A node holding a copy of entry e, not linked; NULL on OOM. */
static MtNode *mtNodeNew(SdbMemtable *p, const SdbEntry *e) {
  int height = mtRandomHeight(p);
  MtNode *pNode = mtNodeAlloc(p, height, e->nKey + e->nVal);
  if (!pNode) return NULL;
  u8 *pData = (u8 *)&pNode->aNext[height];
  memcpy(pData, e->pKey, e->nKey);
  if (e->nVal) memcpy(pData + e->nKey, e->pVal, e->nVal);
  pNode->pKey = pData;
  pNode->nKey = (u32)e->nKey;
  pNode->pVal = e->eKind == SDB_KIND_TOMBSTONE ? NULL : pData + e->nKey;
  pNode->nVal = e->eKind == SDB_KIND_TOMBSTONE ? 0 : e->nVal;
  pNode->seq = e->seq;
  pNode->eKind = (u8)e->eKind;
  pNode->bHasCreate = (u8)e->bHasCreateTs;
  pNode->bHasExpire = (u8)e->bHasExpireTs;
  pNode->createTs = e->createTs;
  pNode->expireTs = e->expireTs;
  return pNode;
}

/* Link node pNode (made by mtNodeNew; its links are overwritten) into the
** list and count it. Allocates nothing. REQUIRES: the inserting thread. */
static void mtLink(SdbMemtable *p, MtNode *pNode) {
  MtNode *apPrev[MT_MAX_HEIGHT];
  int height = pNode->height;
  const u8 *pKey = pNode->pKey;
  size_t nKey = pNode->nKey;
  mtFindLessHint(p, pKey, nKey, pNode->seq, apPrev);
  MtNode *pOld = mtNext(apPrev[0], 0);
  if (pOld && mtCmp(pOld, pKey, nKey, pNode->seq) != 0) pOld = NULL;
  if (height > p->height) {
    for (int i = p->height; i < height; i++) apPrev[i] = p->pHead;
    __atomic_store_n(&p->height, height, __ATOMIC_RELEASE);
  }
  /* Link the node in; an equal pOld is replaced: at each of its levels its
  ** predecessor (apPrev[i]) moves on to the new node or past pOld, in one
  ** store. A reader standing on pOld still finds its way on (its links are
  ** kept; the arena keeps it alive). */
  for (int i = 0; i < height; i++) {
    MtNode *pNext = mtNext(apPrev[i], i);
    if (pOld && pNext == pOld) pNext = mtNext(pOld, i);
    pNode->aNext[i] = pNext;
    __atomic_store_n(&apPrev[i]->aNext[i], pNode, __ATOMIC_RELEASE);
  }
  for (int i = height; pOld && i < pOld->height; i++) {
    __atomic_store_n(&apPrev[i]->aNext[i], mtNext(pOld, i), __ATOMIC_RELEASE);
  }
  for (int i = 0; i < height; i++) p->apHint[i] = pNode;
  if (pOld) {
    mtHintReset(p);
    __atomic_sub_fetch(&p->nBytes, mtRowBytes(pOld->nKey, pOld->nVal), __ATOMIC_RELAXED);
    __atomic_sub_fetch(&p->nEntryBytes, mtEntryBytes(pOld->nKey, pOld->nVal, pOld->bHasCreate, pOld->bHasExpire),
                       __ATOMIC_RELAXED);
  } else {
    __atomic_add_fetch(&p->nRows, 1, __ATOMIC_RELAXED);
  }
  __atomic_add_fetch(&p->nBytes, mtRowBytes(nKey, pNode->nVal), __ATOMIC_RELAXED);
  __atomic_add_fetch(&p->nEntryBytes, mtEntryBytes(nKey, pNode->nVal, pNode->bHasCreate, pNode->bHasExpire),
                     __ATOMIC_RELAXED);
  if (pNode->seq > p->maxSeq) __atomic_store_n(&p->maxSeq, pNode->seq, __ATOMIC_RELAXED);
  if (pNode->bHasCreate && pNode->createTs > p->maxCreateTs) p->maxCreateTs = pNode->createTs;
}

int sdbMemtableInsert(SdbMemtable *p, const SdbEntry *e) {
  MtNode *pNode = mtNodeNew(p, e);
  if (!pNode) return SDB_NOMEM;
  mtLink(p, pNode);
  return SDB_OK;
}

/* ------------------------------------------------------------ groups */

/* See memtable.h. */
void sdbMemtablePrepBegin(SdbMemtable *p, SdbMemtablePrep *pPrep) {
  memset(pPrep, 0, sizeof(*pPrep));
  sdbMemtableRef(p);
  pPrep->pMt = p;
  pPrep->pMarkChunk = p->pChunk;
  pPrep->nMarkUsed = p->pChunk->nUsed;
  pPrep->iMarkGen = p->nGen;
  pPrep->nAllocEnd = p->nAlloc;
}

/* See memtable.h. The nodes are chained through their level-0 link, which
** mtLink overwrites. */
int sdbMemtablePrepAdd(SdbMemtablePrep *pPrep, const SdbEntry *pEntry) {
  if (pPrep->pMt->nAlloc != pPrep->nAllocEnd) pPrep->bMixed = 1;
  MtNode *pNode = mtNodeNew(pPrep->pMt, pEntry);
  if (!pNode) return SDB_NOMEM;
  if (pPrep->pLast) ((MtNode *)pPrep->pLast)->aNext[0] = pNode;
  else pPrep->pFirst = pNode;
  pPrep->pLast = pNode;
  pPrep->nAllocEnd = pPrep->pMt->nAlloc;
  return SDB_OK;
}

/* See memtable.h. */
void sdbMemtablePublish(SdbMemtablePrep *pPrep) {
  MtNode *pNode = pPrep->pFirst;
  while (pNode) {
    MtNode *pNext = pNode == pPrep->pLast ? NULL : pNode->aNext[0];
    mtLink(pPrep->pMt, pNode);
    pNode = pNext;
  }
  sdbMemtableUnref(pPrep->pMt);
  memset(pPrep, 0, sizeof(*pPrep));
}

/* Give the arena back to where group pPrep found it: free the chunks made
** since and restore the then newest chunk's use. REQUIRES: no allocation
** from the arena since the group began but the group's own. */
static void mtArenaRewind(SdbMemtable *p, const SdbMemtablePrep *pPrep) {
  MtChunk **pp = &p->pChunk;
  while (*pp) {
    MtChunk *c = *pp;
    if (c->iGen >= pPrep->iMarkGen) {
      *pp = c->pNext;
      sdbFree(c);
    } else {
      pp = &c->pNext;
    }
  }
  MtChunk *pMark = pPrep->pMarkChunk;
  p->pChunk = pMark;
  pMark->nUsed = pPrep->nMarkUsed;
}

/* See memtable.h. */
void sdbMemtablePrepDrop(SdbMemtablePrep *pPrep) {
  SdbMemtable *p = pPrep->pMt;
  if (!p) return;
  if (!pPrep->bMixed && p->nAlloc == pPrep->nAllocEnd) mtArenaRewind(p, pPrep);
  sdbMemtableUnref(p);
  memset(pPrep, 0, sizeof(*pPrep));
}

int sdbMemtableFindNewest(SdbMemtable *p, const u8 *pKey, size_t nKey, SdbEntry *pOut) {
  MtNode *apPrev[MT_MAX_HEIGHT];
  MtNode *n = mtNext(mtFindLessHint(p, pKey, nKey, UINT64_MAX, apPrev), 0);
  if (!n || sdbKeyCmp(n->pKey, n->nKey, pKey, nKey) != 0) return 0;
  if (pOut) {
    SdbEntry e = {n->pKey, n->nKey, n->pVal, n->nVal, n->seq, n->eKind, n->bHasCreate,
                  n->bHasExpire, n->createTs, n->expireTs};
    *pOut = e;
  }
  return 1;
}

/* ------------------------------------------------------------ iterator */
#define MT_BACK 128       /* nodes a descending step gathers with one search */
#define MT_BACK_LEVEL 3   /* ... from the node before, at this level (about 4^3 away) */

typedef struct MtIter {
  SdbIter base;           /* must be first */
  SdbMemtable *pMt;       /* referenced */
  MtNode *pNode;          /* current node, NULL at EOF */
  SdbRangeCopy range;     /* owned copy of the bounds */
  int bDesc;
  int nBack;              /* descending: aBack[0..nBack) are the nodes before pNode */
  MtNode *aBack[MT_BACK]; /* ... in ascending order */
} MtIter;

static void mtIterLoad(MtIter *it) {
  MtNode *n = it->pNode;
  if (n == it->pMt->pHead) n = NULL;
  if (n) {
    int bIn = it->bDesc ? sdbRangeAboveLo(&it->range.r, n->pKey, n->nKey)
                        : sdbRangeBelowHi(&it->range.r, n->pKey, n->nKey);
    if (!bIn) n = NULL;
  }
  it->pNode = n;
  it->base.bEof = (n == NULL);
  if (!n) return;
  SdbEntry *e = &it->base.cur;
  e->pKey = n->pKey;
  e->nKey = n->nKey;
  e->pVal = n->pVal;
  e->nVal = n->nVal;
  e->seq = n->seq;
  e->eKind = n->eKind;
  e->bHasCreateTs = n->bHasCreate;
  e->bHasExpireTs = n->bHasExpire;
  e->createTs = n->createTs;
  e->expireTs = n->expireTs;
}

/* Keep the last MT_BACK of the k nodes gathered in ring a[] (slot i % MT_BACK),
** in ascending order at a[0..]; returns how many. */
static int mtBackOrder(MtNode **a, int k) {
  if (k <= MT_BACK) return k;
  MtNode *aTmp[MT_BACK];
  for (int i = 0; i < MT_BACK; i++) aTmp[i] = a[(k - MT_BACK + i) % MT_BACK];
  memcpy(a, aTmp, sizeof(aTmp));
  return MT_BACK;
}

/*
** The node before n (the head if none), for a descending step. A skiplist has
** no back links, so one search finds the node before n on every level; the
** nodes from the one at level MT_BACK_LEVEL up to it are gathered into
** it->aBack, and the next steps take them from there without a search (a
** descending scan costs a search per about 4^MT_BACK_LEVEL rows, not per row).
** Nodes inserted meanwhile into a gathered stretch are not seen, as rows
** inserted behind an ascending scan are not.
*/
static MtNode *mtIterPrev(MtIter *it, MtNode *n) {
  if (it->nBack > 0) return it->aBack[--it->nBack];
  SdbMemtable *p = it->pMt;
  MtNode *apPrev[MT_MAX_HEIGHT];
  for (int i = 0; i <= MT_BACK_LEVEL; i++) apPrev[i] = p->pHead;   /* levels above height */
  MtNode *pPrev = mtFindLess(p, n->pKey, n->nKey, n->seq, apPrev);
  MtNode *y = apPrev[MT_BACK_LEVEL];
  if (pPrev == p->pHead || y == pPrev) return pPrev;
  if (y == p->pHead) y = mtNext(y, 0);
  int k = 0;
  for (; y && y != n; y = mtNext(y, 0)) {
    it->aBack[k++ % MT_BACK] = y;
    if (y == pPrev) break;
  }
  if (y != pPrev) return pPrev;   /* not reached (cannot happen): no gathering */
  k = mtBackOrder(it->aBack, k);
  it->nBack = k - 1;             /* aBack[k - 1] is pPrev */
  return pPrev;
}

static int mtIterNext(SdbIter *pIter, SdbErr *pErr) {
  MtIter *it = (MtIter *)pIter;
  if (!it->pNode) return SDB_OK;
  MtNode *n = it->pNode;
  it->pNode = it->bDesc ? mtIterPrev(it, n) : mtNext(n, 0);
  mtIterLoad(it);
  return SDB_OK;
}

static void mtIterFree(SdbIter *pIter) {
  MtIter *it = (MtIter *)pIter;
  sdbMemtableUnref(it->pMt);
  sdbRangeCopyFree(&it->range);
  sdbFree(it);
}

static void mtIterSeek(MtIter *it);

/* xSeek: the skiplist search of a new iterator, on the new range. */
static int mtIterSeekTo(SdbIter *pIter, const SdbRange *pRange, SdbErr *pErr) {
  MtIter *it = (MtIter *)pIter;
  if (sdbRangeCopySet(&it->range, pRange)) {
    it->pNode = NULL;
    it->base.bEof = 1;
    return SDB_NOMEM_ERR(pErr);
  }
  mtIterSeek(it);
  return SDB_OK;
}

static const SdbIterMethods mtIterMethods = {mtIterNext, mtIterFree, mtIterSeekTo};

/* Position on the first node within the range in the iterator's direction. */
static void mtIterSeek(MtIter *it) {
  const SdbRange *r = &it->range.r;
  SdbMemtable *p = it->pMt;
  it->nBack = 0;
  if (!it->bDesc) {
    MtNode *n = r->bHasLo ? mtFindLess(p, r->pLo, r->nLo, UINT64_MAX, NULL) : p->pHead;
    n = mtNext(n, 0);
    while (n && r->bHasLo && r->bLoExcl && sdbKeyCmp(n->pKey, n->nKey, r->pLo, r->nLo) == 0) {
      n = mtNext(n, 0);
    }
    it->pNode = n;
  } else if (!r->bHasHi) {
    it->pNode = mtFindLast(p);
  } else if (r->bHiExcl) {
    it->pNode = mtFindLess(p, r->pHi, r->nHi, UINT64_MAX, NULL);
  } else {
    it->pNode = mtFindLess(p, r->pHi, r->nHi, 0, NULL);
    MtNode *n = mtNext(it->pNode, 0);
    /* Include a version of key == hi with seq 0, if any. */
    if (n && n->seq == 0 && sdbKeyCmp(n->pKey, n->nKey, r->pHi, r->nHi) == 0) it->pNode = n;
  }
  mtIterLoad(it);
}

int sdbMemtableIterNew(SdbMemtable *p, const SdbRange *pRange, int bDesc, SdbIter **pp,
                       SdbErr *pErr) {
  MtIter *it = sdbMallocZero(sizeof(*it));
  *pp = NULL;
  if (!it || sdbRangeCopyInit(&it->range, pRange)) {
    sdbFree(it);
    return SDB_NOMEM_ERR(pErr);
  }
  it->base.pMethods = &mtIterMethods;
  it->pMt = p;
  sdbMemtableRef(p);
  it->bDesc = bDesc;
  mtIterSeek(it);
  *pp = &it->base;
  return SDB_OK;
}
