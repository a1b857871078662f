/*
** sst.c: opening SST objects and iterating their rows (see sst.h).
**
** Byte layout handled here (spec/SST.md §2-§4, §7, §9, §11;
** slatedb/src/format/sst.rs and sst_iter.rs at fce6ed00), in this project's
** words:
**
**   offset 0        data blocks, each  codec(payload) | u32 BE CRC-32
**   filter_offset   bloom filter       codec(payload) | u32 BE CRC-32  (if filter_len)
**   index_offset    SsTableIndex       codec(fb)      | u32 BE CRC-32
**   stats_offset    SstStats           codec(fb)      | u32 BE CRC-32  (if stats_len)
**   meta_offset     SsTableInfo fb (never compressed) | u32 BE CRC-32
**   size - 10       u64 BE meta_offset | u16 BE format_version (1 or 2)
**
** The CRC covers the stored (compressed) bytes and is checked before
** decompressing. SsTableIndex.block_meta[i] = { offset u64 (absent for 0),
** first_key [ubyte] (required) }. Block i ends where block i+1 starts; the
** last block ends at filter_offset (also when there is no filter).
** Compacted SSTs are sorted by key (then seq descending) and their index
** first_key is a separator: last key of block i-1 < first_key[i] <= keys of
** block i (block 0: empty). WAL SSTs are in seq order with unsorted keys, and
** their first_key values are 8-byte seqs, useless for key search.
**
** I/O: a WAL open is one HEAD plus one GET of the last 64 KiB (footer, info
** and, normally, the index). A compacted open is one GET of the index; an
** open for lookups takes the filter in the same GET when it sits right
** before the index (or the bytes come from a batch, sdbSstOpenFromBytes).
** Blocks are fetched one GET each, except that once an iterator has loaded
** two blocks, a miss fetches a window of the following blocks (4, doubling
** to 32, at most 1 MiB, ending before the first block the cache holds) in
** one coalesced GET. Where the store overlaps reads (S3), from the first
** block loaded on, up to 16 windows are fetched ahead on background threads
** (SstAhead) while the iterator decodes the current one, 16 blocks growing
** fourfold to 256 (one GET of at most 1 MiB each); a scan that ends early
** cancels them (SdbGetReq.pCancel); a scan's open from the first block
** starts 4 raw windows of the data with the index GET (SstRaw), adopted by the
** first iterator from block 0 (descending from the last block: the index and
** the last 64 KiB in one batch) (sdbSstOpenForScan); a sorted run asks for
** its next SST's windows at once (sdbSstIterReadAhead).
** A window never holds more than the cache's read-ahead room. The iterator
** keeps that run as stored bytes and checks and decodes each block only
** when it reaches it (then it goes to the cache), so
** read-ahead past the end of a LIMIT costs bytes, not decoding.
*/
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>

#include "table/bloom.h"
#include "table/compress.h"
#include "util/rangeutil.h"
#include "table/sst.h"

#define SST_FOOTER_SIZE 10
#define SST_TAIL_READ (64 * 1024)
#define SST_HEAD_READ (64 * 1024)       /* first data bytes a scan's open reads with the index */
#define SST_RAW_OVERLAP (32 * 1024)     /* a raw window's bytes past its end (SstRaw) */
#ifndef SST_RAW_MAX
#define SST_RAW_MAX 4                   /* raw windows started with the index (SstRaw) */
#endif
#define SST_AHEAD_MIN 4
#define SST_AHEAD_MAX 32                /* window cap, blocks (one GET at a time) */
#define SST_AHEAD_MAX_PAR 256          /* idem where the store overlaps reads */
#define SST_AHEAD_MIN_PAR 16            /* first window there (then x4 up to MAX_PAR) */
#define SST_AHEAD_BYTES (1u << 20)      /* one GET of a run */
#define SST_AHEAD_DEPTH 16              /* windows in flight in the background (S3) */
#define SST_RUN_PARTS 8                 /* GETs of one run where the store overlaps reads */
#define SST_SECTION_MAX ((u64)SDB_DECOMPRESS_MAX + 4)

static atomic_uint_fast64_t gSstUid = 0;
static atomic_uint_fast64_t gFilterSkips = 0;
#ifdef SDB_FUZZING
int sdbSstFuzzIgnoreCrc = 0;
#define SST_IGNORE_CRC sdbSstFuzzIgnoreCrc
#else
#define SST_IGNORE_CRC 0                /* production: checksums always count */
#endif

/* A loaded filter section. */
typedef struct SstFilter {
  u8 *a;                  /* owned: the decompressed section payload */
  size_t n;
  const u8 *pBloom;       /* legacy bloom payload inside a[]; NULL = none */
  size_t nBloom;
} SstFilter;

struct SdbSst {
  atomic_int nRef;
  u64 uid;                /* unique per open; the cache key */
  SdbStore *pStore;       /* borrowed */
  SdbCache *pCache;       /* borrowed; may be NULL */
  char *zKey;             /* owned copy of the object key */
  SdbSstInfo info;        /* owned copy */
  u16 formatVersion;      /* 1 or 2 */
  int bSorted;            /* rows sorted by key (compacted SST) */
  u64 nSize;              /* object size if known (WAL open), else 0 */
  u32 nBlock;
  u64 *aOff;              /* nBlock+1 block offsets; aOff[nBlock] = filter_offset */
  u32 *aKeyOff;           /* nBlock+1 offsets into aKey (first keys) */
  u8 *aKey;               /* index first keys, concatenated */
  u32 nCommon;            /* sorted SSTs: bytes the first keys of blocks 1.. begin with */
  u64 *aPfx;              /* sorted SSTs: sdbKeyPrefix of each first key (of blocks
                          ** 1..) past nCommon */
  pthread_mutex_t mu;     /* guards pFilter and pRaw */
  SstFilter *pFilter;     /* loaded filter when there is no cache */
  u64 maxSeq;             /* a row above this seq is corruption (sdbSstSetMaxSeq) */
  struct SstRaw *pRaw;    /* guarded by mu: windows read before the index came
                          ** (sdbSstOpenForScan), for the first iterator from block 0 */
};

/* ------------------------------------------------------------ helpers */
/* Prefix pErr's message with the object key and return rc (not
** sdbErrWrap's value, which is SDB_OK when pErr is NULL). */
static int sstWrap(const SdbSst *p, int rc, SdbErr *pErr) {
  sdbErrWrap(pErr, "sst %s: ", p->zKey);
  return rc;
}

/* Ranged GET of exactly [off, off+len) into pOut. */
static int sstRead(SdbSst *p, u64 off, u64 len, SdbBuf *pOut, SdbErr *pErr) {
  int rc = p->pStore->pMethods->xGet(p->pStore, p->zKey, off, len, pOut, pErr);
  if (rc) return rc;
  if (pOut->n != len) {
    return sdbCorrupt(pErr, "short read: %llu bytes at offset %llu, got %zu (object truncated?)",
                      (unsigned long long)len, (unsigned long long)off, pOut->n);
  }
  return SDB_OK;
}

/* Check the trailing BE CRC-32 of a framed section a[0..n) and return the
** stored payload length (n - 4) in *pn. */
static int sstCheckCrc(const u8 *a, size_t n, const char *zWhat, size_t *pn, SdbErr *pErr) {
  if (n < 4) return sdbCorrupt(pErr, "%s: %zu bytes is too short for a checksum", zWhat, n);
  u32 want = sdbGetU32BE(a + n - 4);
  u32 got = sdbCrc32(a, n - 4);
  if (want != got && !SST_IGNORE_CRC) {
    return sdbCorrupt(pErr, "%s: checksum mismatch (stored %08x, computed %08x)", zWhat, want, got);
  }
  *pn = n - 4;
  return SDB_OK;
}

/* CRC check, then decompress a framed section into pOut (replaced). */
static int sstUnframe(const SdbSst *p, const u8 *a, size_t n, const char *zWhat, SdbBuf *pOut,
                      SdbErr *pErr) {
  size_t nStored;
  int rc = sstCheckCrc(a, n, zWhat, &nStored, pErr);
  if (rc) return rc;
  rc = sdbDecompress(p->info.eCodec, a, nStored, pOut, pErr);
  if (rc) sdbErrWrap(pErr, "%s: ", zWhat);
  return rc;
}

/* a + b without overflow; returns 0 on overflow. */
static int addOk(u64 a, u64 b, u64 *pSum) {
  if (a > UINT64_MAX - b) return 0;
  *pSum = a + b;
  return 1;
}

/* ------------------------------------------------------------ open */

/* Check that the sections named by the info are in file order and (when the
** meta offset is known) before the info. */
static int sstCheckLayout(SdbSst *p, u64 metaOff, SdbErr *pErr) {
  const SdbSstInfo *i = &p->info;
  u64 indexEnd, filterEnd, statsEnd;
  if (!addOk(i->indexOffset, i->indexLen, &indexEnd) ||
      !addOk(i->filterOffset, i->filterLen, &filterEnd) ||
      !addOk(i->statsOffset, i->statsLen, &statsEnd)) {
    return sdbCorrupt(pErr, "info: section bounds overflow");
  }
  if (i->indexLen < 4) return sdbCorrupt(pErr, "info: index_len %llu", (unsigned long long)i->indexLen);
  if (i->indexLen > SST_SECTION_MAX) return sdbCorrupt(pErr, "info: index too large");
  if (i->filterLen > SST_SECTION_MAX) return sdbCorrupt(pErr, "info: filter too large");
  if (i->filterLen && i->filterLen < 4) return sdbCorrupt(pErr, "info: filter_len too small");
  if (i->filterOffset > i->indexOffset || filterEnd > i->indexOffset) {
    return sdbCorrupt(pErr, "info: filter [%llu,+%llu) overlaps the index at %llu",
                      (unsigned long long)i->filterOffset, (unsigned long long)i->filterLen,
                      (unsigned long long)i->indexOffset);
  }
  if (metaOff != UINT64_MAX) {
    if (indexEnd > metaOff) return sdbCorrupt(pErr, "info: index extends past the info");
    if (i->statsLen && statsEnd > metaOff) return sdbCorrupt(pErr, "info: stats extend past the info");
  }
  if (i->statsLen && i->statsLen < 4) return sdbCorrupt(pErr, "info: stats_len too small");
  return SDB_OK;
}

/* For the search of a sorted SST's index: the length of the prefix the
** first keys of blocks 1.. share (p->nCommon; block 0's is usually empty,
** and is compared whole) and each of their sdbKeyPrefix past it (p->aPfx). */
static int sstIndexPrefixes(SdbSst *p, SdbErr *pErr) {
  u32 n = p->nBlock;
  p->aPfx = sdbMalloc(sizeof(u64) * ((size_t)n + 1));
  if (!p->aPfx) return SDB_NOMEM_ERR(pErr);
  const u8 *k1 = n > 1 ? p->aKey + p->aKeyOff[1] : NULL;
  u32 nC = n > 1 ? p->aKeyOff[2] - p->aKeyOff[1] : 0;
  for (u32 i = 2; i < n && nC; i++) {
    nC = (u32)sdbKeyCommon(k1, nC, p->aKey + p->aKeyOff[i], p->aKeyOff[i + 1] - p->aKeyOff[i], nC);
  }
  p->nCommon = nC;
  p->aPfx[0] = 0;   /* unused */
  for (u32 i = 1; i < n; i++) {
    p->aPfx[i] = sdbKeyPrefix(p->aKey + p->aKeyOff[i] + nC, p->aKeyOff[i + 1] - p->aKeyOff[i] - nC);
  }
  return SDB_OK;
}

/* Parse the index payload a[0..n) into aOff/aKeyOff/aKey and validate it. */
static int sstParseIndex(SdbSst *p, const u8 *a, size_t n, SdbErr *pErr) {
  SdbFb fb = {a, n};
  SdbFbTable root;
  SdbFbVec vec;
  int bPresent = 0, rc;
  if ((rc = sdbFbRoot(&fb, &root, pErr))) return rc;
  if ((rc = sdbFbVector(&root, 0, 4, &vec, &bPresent, pErr))) return rc;
  if (!bPresent) return sdbCorrupt(pErr, "index: block_meta is missing");
  u32 nBlock = vec.n;
  p->aOff = sdbMalloc(sizeof(u64) * ((size_t)nBlock + 1));
  p->aKeyOff = sdbMalloc(sizeof(u32) * ((size_t)nBlock + 1));
  p->aKey = sdbMalloc(n);  /* first keys live in the payload: n is a bound */
  if (!p->aOff || !p->aKeyOff || !p->aKey) return SDB_NOMEM_ERR(pErr);
  u32 nKeyUsed = 0;
  for (u32 i = 0; i < nBlock; i++) {
    SdbFbTable t;
    const u8 *pKey;
    u32 nKey;
    int bHasKey = 0;
    if ((rc = sdbFbVecTable(&vec, i, &t, pErr))) return rc;
    if ((rc = sdbFbU64(&t, 0, 0, &p->aOff[i], pErr))) return rc;
    if ((rc = sdbFbBytes(&t, 1, &pKey, &nKey, &bHasKey, pErr))) return rc;
    if (!bHasKey) return sdbCorrupt(pErr, "index: block %u has no first_key", i);
    if (nKey > n - nKeyUsed) return sdbCorrupt(pErr, "index: first keys overrun");
    p->aKeyOff[i] = nKeyUsed;
    if (nKey) memcpy(p->aKey + nKeyUsed, pKey, nKey);
    nKeyUsed += nKey;
  }
  p->aKeyOff[nBlock] = nKeyUsed;
  p->aOff[nBlock] = p->info.filterOffset;
  p->nBlock = nBlock;
  if (p->bSorted) rc = sstIndexPrefixes(p, pErr);
  if (rc) return rc;
  for (u32 i = 0; i < nBlock; i++) {
    if (p->aOff[i] >= p->aOff[i + 1] || p->aOff[i + 1] - p->aOff[i] < 4) {
      return sdbCorrupt(pErr, "index: block %u spans [%llu, %llu)", i,
                        (unsigned long long)p->aOff[i], (unsigned long long)p->aOff[i + 1]);
    }
  }
  if (p->bSorted) {
    for (u32 i = 1; i < nBlock; i++) {
      const u8 *a0 = p->aKey + p->aKeyOff[i - 1], *a1 = p->aKey + p->aKeyOff[i];
      if (sdbKeyCmp(a0, p->aKeyOff[i] - p->aKeyOff[i - 1], a1,
                    p->aKeyOff[i + 1] - p->aKeyOff[i]) > 0) {
        return sdbCorrupt(pErr, "index: first keys out of order at block %u", i);
      }
    }
  }
  return SDB_OK;
}

static void sstRawFree(struct SstRaw *r, SdbCache *pCache);

static void sstDestroy(SdbSst *p) {
  sstRawFree(p->pRaw, p->pCache);
  if (p->pFilter) {
    sdbFree(p->pFilter->a);
    sdbFree(p->pFilter);
  }
  if (p->pCache) sdbCacheEraseUid(p->pCache, p->uid);
  sdbSstInfoClear(&p->info);
  sdbFree(p->aOff);
  sdbFree(p->aKeyOff);
  sdbFree(p->aKey);
  sdbFree(p->aPfx);
  sdbFree(p->zKey);
  pthread_mutex_destroy(&p->mu);
  sdbFree(p);
}

/* The WAL path: HEAD, tail read, footer, info. On success *pBuf and *pBufOff hold
** a buffer covering [*pBufOff, size) that starts at or before the info. */
static int sstReadFooter(SdbSst *p, SdbBuf *pBuf, u64 *pBufOff, u64 *pMetaOff, SdbErr *pErr) {
  u64 size = 0;
  int rc = p->pStore->pMethods->xHead(p->pStore, p->zKey, &size, pErr);
  if (rc) return rc;
  if (size <= SST_FOOTER_SIZE) {
    return sdbCorrupt(pErr, "empty SST (%llu bytes)", (unsigned long long)size);
  }
  u64 nTail = size < SST_TAIL_READ ? size : SST_TAIL_READ;
  u64 off = size - nTail;
  if ((rc = sstRead(p, off, nTail, pBuf, pErr))) return rc;
  const u8 *pFoot = pBuf->a + pBuf->n - SST_FOOTER_SIZE;
  u64 metaOff = sdbGetU64BE(pFoot);
  u16 version = sdbGetU16BE(pFoot + 8);
  if (version != 1 && version != 2) {
    return sdbCorrupt(pErr, "invalid format version %u in footer", version);
  }
  if (metaOff > size - SST_FOOTER_SIZE || size - SST_FOOTER_SIZE - metaOff < 4) {
    return sdbCorrupt(pErr, "footer: meta_offset %llu out of range (size %llu)",
                      (unsigned long long)metaOff, (unsigned long long)size);
  }
  u64 nInfo = size - SST_FOOTER_SIZE - metaOff;
  if (nInfo > SST_SECTION_MAX) return sdbCorrupt(pErr, "info: too large");
  if (metaOff < off) {
    off = metaOff;
    if ((rc = sstRead(p, off, size - off, pBuf, pErr))) return rc;
  }
  size_t nInfoBody;
  const u8 *pInfo = pBuf->a + (metaOff - off);
  if ((rc = sstCheckCrc(pInfo, (size_t)nInfo, "info", &nInfoBody, pErr))) return rc;
  SdbFb fb = {pInfo, nInfoBody};
  SdbFbTable t;
  if ((rc = sdbFbRoot(&fb, &t, pErr)) || (rc = sdbSstInfoFromTable(&t, &p->info, pErr))) {
    sdbErrWrap(pErr, "info: ");
    return rc;
  }
  p->nSize = size;
  p->formatVersion = version;
  *pBufOff = off;
  *pMetaOff = metaOff;
  return SDB_OK;
}

static void sstFilterInstall(SdbSst *p, const u8 *raw, size_t n);

/* Bytes of the object already in memory: a[0..n) from offset off. */
typedef struct SstBytes {
  const u8 *a;
  size_t n;
  u64 off;
} SstBytes;

static int sstBytesCover(const SstBytes *b, u64 lo, u64 hi) {
  return b->n && lo >= b->off && hi <= b->off + b->n;
}

/* True if a lookup open reads the filter with the index: it sits right
** before the index. */
static int sstFilterAdjacent(const SdbSstInfo *i) {
  return i->filterLen && i->filterOffset + i->filterLen == i->indexOffset;
}

void sdbSstOpenSpan(const SdbSstInfo *pInfo, int bForLookups, u64 *pOff, u64 *pLen) {
  *pOff = (bForLookups && sstFilterAdjacent(pInfo)) ? pInfo->filterOffset : pInfo->indexOffset;
  *pLen = SDB_TO_END;
}

/* The first field where the manifest's copy m of an SST's info differs from
** the SST's own s, as "name (manifest X, SST Y)" in z; 0 if they agree. */
static int sstInfoDiff(const SdbSstInfo *m, const SdbSstInfo *s, char *z, size_t nz) {
  static const char *const azName[] = {"index_offset", "index_len", "filter_offset",
                                       "filter_len", "stats_offset", "stats_len",
                                       "compression_format", "sst_type", "filter_format"};
  u64 aM[9] = {m->indexOffset, m->indexLen, m->filterOffset, m->filterLen, m->statsOffset,
               m->statsLen, m->eCodec, m->eSstType, m->eFilterFormat};
  u64 aS[9] = {s->indexOffset, s->indexLen, s->filterOffset, s->filterLen, s->statsOffset,
               s->statsLen, s->eCodec, s->eSstType, s->eFilterFormat};
  for (int i = 0; i < 9; i++) {
    if (aM[i] == aS[i]) continue;
    snprintf(z, nz, "%s (manifest %llu, SST %llu)", azName[i], (unsigned long long)aM[i],
             (unsigned long long)aS[i]);
    return 1;
  }
  if (m->bHasFirst != s->bHasFirst || m->nFirst != s->nFirst ||
      (m->nFirst && memcmp(m->pFirst, s->pFirst, m->nFirst))) {
    snprintf(z, nz, "first_entry");
    return 1;
  }
  if (m->bHasLast != s->bHasLast || m->nLast != s->nLast ||
      (m->nLast && memcmp(m->pLast, s->pLast, m->nLast))) {
    snprintf(z, nz, "last_entry");
    return 1;
  }
  return 0;
}

/*
** Cross-check a compacted SST's manifest entry (p->info) against the object
** itself: *pHave must run to the object's end, where the
** footer and the checksummed SsTableInfo are. SlateDB's manifest has no
** checksum, so this is what turns a damaged manifest entry into an error.
** *pMetaOff gets the info's offset.
*/
static int sstCheckTail(SdbSst *p, const SstBytes *pHave, u64 *pMetaOff, SdbErr *pErr) {
  u64 size = pHave->off + pHave->n;
  if (pHave->n < SST_FOOTER_SIZE + 4) {
    return sdbCorrupt(pErr, "the manifest's index_offset %llu is not inside the object"
                      " (%llu bytes)", (unsigned long long)p->info.indexOffset,
                      (unsigned long long)size);
  }
  const u8 *pFoot = pHave->a + pHave->n - SST_FOOTER_SIZE;
  u64 metaOff = sdbGetU64BE(pFoot);
  u16 version = sdbGetU16BE(pFoot + 8);
  if (version != 1 && version != 2) {
    return sdbCorrupt(pErr, "invalid format version %u in footer", version);
  }
  if (metaOff < pHave->off || metaOff > size - SST_FOOTER_SIZE - 4) {
    return sdbCorrupt(pErr, "footer: meta_offset %llu outside the bytes read from %llu"
                      " (manifest index_offset %llu, object %llu bytes)",
                      (unsigned long long)metaOff, (unsigned long long)pHave->off,
                      (unsigned long long)p->info.indexOffset, (unsigned long long)size);
  }
  size_t nBody;
  const u8 *pInfo = pHave->a + (metaOff - pHave->off);
  int rc = sstCheckCrc(pInfo, (size_t)(size - SST_FOOTER_SIZE - metaOff), "info", &nBody, pErr);
  SdbFb fb = {pInfo, nBody};
  SdbFbTable t;
  SdbSstInfo own;
  memset(&own, 0, sizeof(own));
  if (rc == SDB_OK && ((rc = sdbFbRoot(&fb, &t, pErr)) || (rc = sdbSstInfoFromTable(&t, &own, pErr)))) {
    sdbErrWrap(pErr, "info: ");
  }
  char zWhat[128];
  if (rc == SDB_OK && sstInfoDiff(&p->info, &own, zWhat, sizeof(zWhat))) {
    rc = sdbCorrupt(pErr, "the manifest's entry for this SST does not match the SST's own"
                    " info: %s", zWhat);
  }
  sdbSstInfoClear(&own);
  *pMetaOff = metaOff;
  return rc;
}

/*
** Parse the index from *pHave if it holds it, else from one GET into
** pScratch. With bFilter (and a cache) a filter right before the index is
** read in the same GET (or taken from *pHave) and cached.
*/
static int sstLoadIndex(SdbSst *p, int bFilter, int bCheck, const SstBytes *pHave,
                        SdbBuf *pScratch, SdbErr *pErr) {
  const SdbSstInfo *i = &p->info;
  SdbBuf idx = {0};
  u64 off, len, end = i->indexOffset + i->indexLen, metaOff = 0;
  int bWith = bFilter && p->pCache && sstFilterAdjacent(i), rc;
  sdbSstOpenSpan(i, bWith, &off, &len);
  SstBytes have = *pHave;
  if (!sstBytesCover(&have, i->indexOffset, end)) {
    rc = p->pStore->pMethods->xGet(p->pStore, p->zKey, off, len, pScratch, pErr);
    if (rc) return rc;
    have = (SstBytes){pScratch->a, pScratch->n, off};
  } else if (!sstBytesCover(&have, off, end)) {
    bWith = 0;
  }
  if (bCheck && ((rc = sstCheckTail(p, &have, &metaOff, pErr)) ||
                 (rc = sstCheckLayout(p, metaOff, pErr)))) {
    return rc;
  }
  if (!sstBytesCover(&have, i->indexOffset, end)) {
    return sdbCorrupt(pErr, "index [%llu,+%llu) is not inside the object",
                      (unsigned long long)i->indexOffset, (unsigned long long)i->indexLen);
  }
  rc = sstUnframe(p, have.a + (i->indexOffset - have.off), (size_t)i->indexLen, "index", &idx, pErr);
  if (rc == SDB_OK) rc = sstParseIndex(p, idx.a, idx.n, pErr);
  if (rc == SDB_OK && bWith) sstFilterInstall(p, have.a + (i->filterOffset - have.off), (size_t)i->filterLen);
  sdbBufFree(&idx);
  return rc;
}

/* The new SST's fields up to its info: key, info copy (or, without pInfo,
** the footer and info read from the object into *pBuf, with *pHave set to
** that tail and *pMetaOff to the info's offset). */
static int sstOpenInfo(SdbSst *p, const char *zKey, const SdbSstInfo *pInfo, u16 formatVersion,
                       SdbBuf *pBuf, SstBytes *pHave, u64 *pMetaOff, SdbErr *pErr) {
  p->zKey = sdbStrdup(zKey);
  if (!p->zKey) return SDB_NOMEM_ERR(pErr);
  if (!pInfo) {
    u64 bufOff = 0;
    int rc = sstReadFooter(p, pBuf, &bufOff, pMetaOff, pErr);
    *pHave = (SstBytes){pBuf->a, pBuf->n, bufOff};
    return rc;
  }
  if (sdbSstInfoCopy(&p->info, pInfo)) return SDB_NOMEM_ERR(pErr);
  if (formatVersion != 1 && formatVersion != 2) {
    return sdbCorrupt(pErr, "invalid format version %u", formatVersion);
  }
  p->formatVersion = formatVersion;
  return SDB_OK;
}

static int sstOpen(SdbStore *pStore, const char *zKey, const SdbSstInfo *pInfo,
                   u16 formatVersion, SdbCache *pCache, int bFilter, const SstBytes *pHave,
                   SdbSst **pp, SdbErr *pErr) {
  SdbBuf buf = {0};
  u64 metaOff = UINT64_MAX;
  SstBytes have = pHave ? *pHave : (SstBytes){NULL, 0, 0};
  *pp = NULL;
  SdbSst *p = sdbMallocZero(sizeof(*p));
  if (!p) return SDB_NOMEM_ERR(pErr);
  atomic_init(&p->nRef, 1);
  p->uid = atomic_fetch_add(&gSstUid, 1) + 1;
  p->maxSeq = UINT64_MAX;
  p->pStore = pStore;
  p->pCache = pCache;
  pthread_mutex_init(&p->mu, NULL);
  int rc = sstOpenInfo(p, zKey, pInfo, formatVersion, &buf, &have, &metaOff, pErr);
  if (rc == SDB_OK) {
    p->bSorted = p->info.eSstType != SDB_SST_WAL;
    rc = sstCheckLayout(p, metaOff, pErr);
  }
  if (rc == SDB_OK) rc = sstLoadIndex(p, bFilter, pInfo != NULL, &have, &buf, pErr);
  sdbBufFree(&buf);
  if (rc) {
    if (p->zKey) sstWrap(p, rc, pErr);
    p->pCache = NULL; /* nothing was cached under this uid */
    sstDestroy(p);
    return rc;
  }
  *pp = p;
  return SDB_OK;
}

int sdbSstOpen(SdbStore *pStore, const char *zKey, const SdbSstInfo *pInfo,
               u16 formatVersion, SdbCache *pCache, SdbSst **pp, SdbErr *pErr) {
  return sstOpen(pStore, zKey, pInfo, formatVersion, pCache, 0, NULL, pp, pErr);
}

int sdbSstOpenForLookups(SdbStore *pStore, const char *zKey, const SdbSstInfo *pInfo,
                         u16 formatVersion, SdbCache *pCache, SdbSst **pp, SdbErr *pErr) {
  return sstOpen(pStore, zKey, pInfo, formatVersion, pCache, 1, NULL, pp, pErr);
}

int sdbSstOpenFromBytes(SdbStore *pStore, const char *zKey, const SdbSstInfo *pInfo,
                        u16 formatVersion, SdbCache *pCache, int bForLookups, const u8 *a,
                        size_t n, u64 off, SdbSst **pp, SdbErr *pErr) {
  SstBytes have = {a, n, off};
  return sstOpen(pStore, zKey, pInfo, formatVersion, pCache, bForLookups, &have, pp, pErr);
}

void sdbSstRef(SdbSst *p) {
  if (p) atomic_fetch_add(&p->nRef, 1);
}

void sdbSstUnref(SdbSst *p) {
  if (p && atomic_fetch_sub(&p->nRef, 1) == 1) sstDestroy(p);
}

const SdbSstInfo *sdbSstGetInfo(const SdbSst *p) { return &p->info; }
u16 sdbSstFormatVersion(const SdbSst *p) { return p->formatVersion; }
u32 sdbSstBlockCount(const SdbSst *p) { return p->nBlock; }
const char *sdbSstKey(const SdbSst *p) { return p->zKey; }
u64 sdbSstObjectSize(const SdbSst *p) { return p->nSize; }
void sdbSstSetMaxSeq(SdbSst *p, u64 maxSeq) { p->maxSeq = maxSeq; }
u64 sdbSstFilterSkips(void) { return atomic_load(&gFilterSkips); }

void sdbSstBlockFirstKey(const SdbSst *p, u32 i, const u8 **ppKey, size_t *pnKey) {
  *ppKey = p->aKey + p->aKeyOff[i];
  *pnKey = p->aKeyOff[i + 1] - p->aKeyOff[i];
}

/* Prepare *q to search key among the first keys of blocks 1... REQUIRES a
** sorted SST. */
static void sstProbe(const SdbSst *p, const u8 *key, size_t nKey, SdbKeyProbe *q) {
  sdbKeyProbeInit(q, key, nKey, p->nBlock > 1 ? p->aKey + p->aKeyOff[1] : NULL, p->nCommon);
}

/* sdbKeyCmp(first key of block i, key of q). REQUIRES 1 <= i < nBlock and
** q->side == 0. */
static __attribute__((noinline)) int sstFirstKeyCmp(const SdbSst *p, u32 i,
                                                     const SdbKeyProbe *q) {
  u32 nC = p->nCommon;
  return sdbKeyProbeCmp(p->aPfx[i], p->aKey + p->aKeyOff[i] + nC,
                        p->aKeyOff[i + 1] - p->aKeyOff[i] - nC, q);
}

/* sdbKeyCmp(first key of block i, key) where q is key's probe. REQUIRES
** i < nBlock. */
static int sstFirstKeyCmpAny(const SdbSst *p, u32 i, const SdbKeyProbe *q, const u8 *key,
                             size_t nKey) {
  if (i == 0) {
    const u8 *k;
    size_t n;
    sdbSstBlockFirstKey(p, 0, &k, &n);
    return sdbKeyCmp(k, n, key, nKey);
  }
  return q->side ? -q->side : sstFirstKeyCmp(p, i, q);
}

/* Number of blocks whose first key is < key (bOrEqual: <= key); q is key's
** probe (sstProbe). First keys are non-decreasing (checked at open for
** sorted SSTs). A binary search over the prefixes of the first keys of
** blocks 1.. (key bytes are compared on a prefix tie only), then block 0's
** when none of them is below the key. REQUIRES a sorted SST. */
static u32 sstCountBlocks(const SdbSst *p, const SdbKeyProbe *q, const u8 *key, size_t nKey,
                          int bOrEqual) {
  if (p->nBlock == 0) return 0;
  u32 lo = 1, hi = p->nBlock;
  if (q->side) lo = hi = q->side < 0 ? 1 : p->nBlock;
  while (lo < hi) {
    u32 mid = lo + (hi - lo) / 2;
    u64 m = p->aPfx[mid];
    int c = m != q->pfx ? (m < q->pfx ? -1 : 1) : sstFirstKeyCmp(p, mid, q);
    if (c < 0 || (bOrEqual && c == 0)) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  if (lo > 1) return lo;
  int c = sstFirstKeyCmpAny(p, 0, q, key, nKey);
  return (c < 0 || (bOrEqual && c == 0)) ? 1 : 0;
}

/* ------------------------------------------------------------ filter */
static void filterFree(void *pArg) {
  SstFilter *f = pArg;
  if (f) {
    sdbFree(f->a);
    sdbFree(f);
  }
}

/* Check and decode the stored filter section raw[0..n) into a new *ppF
** (caller owns, filterFree). */
static int sstFilterDecode(SdbSst *p, const u8 *raw, size_t n, SstFilter **ppF, SdbErr *pErr) {
  SdbBuf pay = {0};
  *ppF = NULL;
  SstFilter *f = sdbMallocZero(sizeof(*f));
  if (!f) return SDB_NOMEM_ERR(pErr);
  int rc = sstUnframe(p, raw, n, "filter", &pay, pErr);
  if (rc == SDB_OK) {
    f->n = pay.n;
    f->a = sdbBufDetach(&pay);
    if (p->info.eFilterFormat == 1) {
      rc = sdbBloomFromComposite(f->a, f->n, &f->pBloom, &f->nBloom, pErr);
    } else {
      f->pBloom = f->a;
      f->nBloom = f->n;
    }
  }
  if (rc == SDB_OK && f->pBloom) rc = sdbBloomCheck(f->pBloom, f->nBloom, pErr);
  sdbBufFree(&pay);
  if (rc) {
    filterFree(f);
    return rc;
  }
  *ppF = f;
  return SDB_OK;
}

/* GET and decode the filter section into a new *ppF (caller owns). */
static int sstFilterRead(SdbSst *p, SstFilter **ppF, SdbErr *pErr) {
  SdbBuf raw = {0};
  *ppF = NULL;
  int rc = sstRead(p, p->info.filterOffset, p->info.filterLen, &raw, pErr);
  if (rc == SDB_OK) rc = sstFilterDecode(p, raw.a, raw.n, ppF, pErr);
  sdbBufFree(&raw);
  return rc;
}

/* Put the stored filter raw[0..n), read along with the index, in the cache.
** A filter that does not decode is left out: the first lookup that needs it
** reads it again and reports the error. */
static void sstFilterInstall(SdbSst *p, const u8 *raw, size_t n) {
  SstFilter *f;
  if (sstFilterDecode(p, raw, n, &f, NULL)) return;
  SdbCacheHandle *h =
      sdbCacheInsert(p->pCache, p->uid, SDB_CACHE_FILTER, f, f->n + sizeof(*f), filterFree);
  if (h) sdbCacheRelease(p->pCache, h);
  else filterFree(f);
}

/* The SST's filter (NULL if none). With a cache *ph holds a pin to release
** with sdbCacheRelease; without one the filter lives in the SST. */
static int sstFilterGet(SdbSst *p, const SstFilter **ppF, SdbCacheHandle **ph, SdbErr *pErr) {
  *ppF = NULL;
  *ph = NULL;
  if (p->info.filterLen == 0) return SDB_OK;
  int rc = SDB_OK;
  if (p->pCache) {
    SdbCacheHandle *h = sdbCacheLookup(p->pCache, p->uid, SDB_CACHE_FILTER);
    if (!h) {
      SstFilter *f;
      if ((rc = sstFilterRead(p, &f, pErr))) return sstWrap(p, rc, pErr);
      h = sdbCacheInsert(p->pCache, p->uid, SDB_CACHE_FILTER, f, f->n + sizeof(*f), filterFree);
      if (!h) {
        filterFree(f);
        return SDB_NOMEM_ERR(pErr);
      }
    }
    *ph = h;
    *ppF = sdbCacheValue(h);
    return SDB_OK;
  }
  pthread_mutex_lock(&p->mu);
  if (!p->pFilter) rc = sstFilterRead(p, &p->pFilter, pErr);
  *ppF = p->pFilter;
  pthread_mutex_unlock(&p->mu);
  return rc ? sstWrap(p, rc, pErr) : SDB_OK;
}

int sdbSstMayContain(SdbSst *p, const u8 *key, size_t nKey, int *pbMay, SdbErr *pErr) {
  const SstFilter *f;
  SdbCacheHandle *h;
  *pbMay = 1;
  int rc = sstFilterGet(p, &f, &h, pErr);
  if (rc) return rc;
  if (f && f->pBloom) *pbMay = sdbBloomMayContain(f->pBloom, f->nBloom, key, nKey);
  if (h) sdbCacheRelease(p->pCache, h);
  return SDB_OK;
}

/* ------------------------------------------------------------ blocks */

/* A decoded block held by an iterator: pinned in the cache, or owned. */
typedef struct BlockRef {
  const SdbBlock *p;      /* NULL when empty */
  SdbCacheHandle *h;      /* cache pin, or NULL */
  SdbBlock *pOwn;         /* owned block when there is no cache */
} BlockRef;

static void blockRefRelease(SdbSst *p, BlockRef *r) {
  if (r->h) sdbCacheRelease(p->pCache, r->h);
  sdbBlockFree(r->pOwn);
  memset(r, 0, sizeof(*r));
}

static void blockFreeCb(void *pArg) { sdbBlockFree(pArg); }

/* Check the CRC of stored block i (a[0..n), CRC included), undo its codec
** (into *pPay, replaced, when compressed) and decode it: into a new block
** (pBuf NULL; the caller owns *pp) or into pBuf (*pp borrowed from it). An
** uncompressed payload is decoded straight from a[] (one copy, into the
** block). The message of an error names the block. */
static int sstDecodeBlock(SdbSst *p, u32 i, const u8 *a, size_t n, SdbBlockBuf *pBuf,
                          SdbBuf *pPay, const SdbBlock **pp, SdbErr *pErr) {
  int rc = SDB_OK;
  *pp = NULL;
  if (n < 4) {
    rc = sdbCorrupt(pErr, "%zu bytes is too short for a checksum", n);
  } else {
    u32 want = sdbGetU32BE(a + n - 4), got = sdbCrc32(a, n - 4);
    if (want != got && !SST_IGNORE_CRC) {
      rc = sdbCorrupt(pErr, "checksum mismatch (stored %08x, computed %08x)", want, got);
    }
  }
  const u8 *pIn = a;
  size_t nIn = n - 4;
  if (rc == SDB_OK && p->info.eCodec != SDB_CODEC_NONE) {
    rc = sdbDecompress(p->info.eCodec, a, nIn, pPay, pErr);
    pIn = pPay->a;
    nIn = pPay->n;
  }
  if (rc == SDB_OK && pBuf) {
    rc = sdbBlockDecodeInto(pIn, nIn, p->formatVersion, pBuf, pp, pErr);
  } else if (rc == SDB_OK) {
    /* A new block: a decompressed payload is consumed (freed) by the decode. */
    SdbBlock *pNew = NULL;
    if (pIn == a) rc = sdbBlockDecodeCopy(pIn, nIn, p->formatVersion, &pNew, pErr);
    else rc = sdbBlockDecode(pPay, p->formatVersion, &pNew, pErr);
    *pp = pNew;
  }
  if (rc) sdbErrWrap(pErr, "block %u: ", i);
  return rc;
}

/* Hand a decoded block to the cache (or keep it owned) as *pRef. */
static int sstPublish(SdbSst *p, u32 i, SdbBlock *pBlock, BlockRef *pRef, SdbErr *pErr) {
  memset(pRef, 0, sizeof(*pRef));
  if (!p->pCache) {
    pRef->pOwn = pBlock;
    pRef->p = pBlock;
    return SDB_OK;
  }
  SdbCacheHandle *h = sdbCacheInsert(p->pCache, p->uid, i, pBlock, pBlock->nMem, blockFreeCb);
  if (!h) {
    sdbBlockFree(pBlock);
    return SDB_NOMEM_ERR(pErr);
  }
  pRef->h = h;
  pRef->p = sdbCacheValue(h);
  return SDB_OK;
}

/* Stored length of block i, checked against the section limit. */
static int sstBlockLen(SdbSst *p, u32 i, u64 *pn, SdbErr *pErr) {
  *pn = p->aOff[i + 1] - p->aOff[i];
  if (*pn > SST_SECTION_MAX) {
    return sdbCorrupt(pErr, "block %u: %llu bytes is too large", i, (unsigned long long)*pn);
  }
  return SDB_OK;
}

/*
** Decode blocks [iFirst, iLast], stored contiguously at a (the bytes from
** block iFirst's offset), into the cache as aRef[0 .. iLast-iFirst]. Only
** block iWant must decode (iWant outside the run: none must); another
** failure leaves its aRef empty.
*/
static int sstDecodeRun(SdbSst *p, u32 iFirst, u32 iLast, u32 iWant, const u8 *a,
                        BlockRef *aRef, SdbErr *pErr) {
  u64 off = p->aOff[iFirst];
  SdbBuf pay = {0};
  for (u32 i = iFirst; i <= iLast; i++) {
    u64 n;
    const SdbBlock *pBlock = NULL;
    BlockRef *r = &aRef[i - iFirst];
    SdbErr errOther;
    SdbErr *pE = i == iWant ? pErr : &errOther;
    memset(r, 0, sizeof(*r));
    int rc = sstBlockLen(p, i, &n, pE);
    if (rc == SDB_OK) {
      rc = sstDecodeBlock(p, i, a + (p->aOff[i] - off), (size_t)n, NULL, &pay, &pBlock, pE);
    }
    if (rc == SDB_OK) rc = sstPublish(p, i, (SdbBlock *)pBlock, r, pE);
    if (rc && i == iWant) {
      for (u32 j = iFirst; j < i; j++) blockRefRelease(p, &aRef[j - iFirst]);
      sdbBufFree(&pay);
      return rc;
    }
  }
  sdbBufFree(&pay);
  return SDB_OK;
}

/* ------------------------------------------------------------ runs */
/*
** A read-ahead run: the stored blocks [iFirst, iLast] of one SST, fetched in
** nPart ranged GETs (in parallel where the store overlaps reads), kept as
** bytes until an iterator decodes them one by one. Part k holds the blocks
** [aPartFirst[k], aPartFirst[k+1]) in aReq[k].out, from block aPartFirst[k]'s
** offset. The buffers are owned by the run (sstRunFree).
*/
typedef struct SstRun {
  i64 iFirst, iLast;      /* blocks held; none if iFirst > iLast */
  int nPart;
  u32 aPartFirst[SST_RUN_PARTS + 1];
  SdbGetReq aReq[SST_RUN_PARTS];
  size_t nCharged;        /* bytes charged to the SST's cache as read-ahead */
} SstRun;

/* Forget the run's blocks and give its charge back (the buffers stay). */
static void sstRunEmpty(const SdbSst *p, SstRun *r) {
  if (r->nCharged) sdbCacheAheadRelease(p->pCache, r->nCharged);
  r->nCharged = 0;
  r->iFirst = 0;
  r->iLast = -1;
  r->nPart = 0;
}

static void sstRunFree(const SdbSst *p, SstRun *r) {
  sstRunEmpty(p, r);
  for (int k = 0; k < SST_RUN_PARTS; k++) sdbBufFree(&r->aReq[k].out);
}

/* Empty r and free its read buffers above SST_RUN_KEEP bytes: an iterator at
** its end (kept by a cursor until the statement ends, or by the lookahead
** rule) holds no window of a scan, only the small buffers a point lookup
** reuses. Rows never point into these buffers (blocks are decoded copies). */
#define SST_RUN_KEEP (64u << 10)
static void sstRunTrim(const SdbSst *p, SstRun *r) {
  sstRunEmpty(p, r);
  for (int k = 0; k < SST_RUN_PARTS; k++) {
    if (r->aReq[k].out.nAlloc > SST_RUN_KEEP) sdbBufFree(&r->aReq[k].out);
  }
}

static int sstRunHas(const SstRun *r, u32 i) {
  return (i64)i >= r->iFirst && (i64)i <= r->iLast;
}

/* The stored bytes of block i. REQUIRES sstRunHas(r, i). */
static const u8 *sstRunBlock(const SdbSst *p, const SstRun *r, u32 i) {
  int k = 0;
  while (i >= r->aPartFirst[k + 1]) k++;
  return r->aReq[k].out.a + (p->aOff[i] - r->aReq[k].iOff);
}

/*
** Lay out up to n blocks from block i in the visiting direction as parts of
** at most SST_AHEAD_BYTES each (a larger block is a part alone), at most
** nMaxPart parts and nMaxBytes in all. Sets r->nPart and r->aPartFirst
** (ascending); returns how many blocks fit (at least 1: block i).
*/
static u32 sstRunPlan(const SdbSst *p, SstRun *r, u32 i, u32 n, int bDesc, int nMaxPart,
                      u64 nMaxBytes) {
  u32 aEdge[SST_RUN_PARTS];   /* first block of each part, in visiting order */
  int nPart = 1;
  u32 m = 1;
  aEdge[0] = i;
  for (; m < n; m++) {
    u32 j = bDesc ? i - m : i + m, s = aEdge[nPart - 1];
    if ((bDesc ? p->aOff[i + 1] - p->aOff[j] : p->aOff[j + 1] - p->aOff[i]) > nMaxBytes) break;
    u64 nBytes = bDesc ? p->aOff[s + 1] - p->aOff[j] : p->aOff[j + 1] - p->aOff[s];
    if (nBytes <= SST_AHEAD_BYTES) continue;
    if (nPart == nMaxPart) break;
    aEdge[nPart++] = j;
  }
  r->nPart = nPart;
  if (!bDesc) {
    for (int k = 0; k < nPart; k++) r->aPartFirst[k] = aEdge[k];
    r->aPartFirst[nPart] = i + m;
  } else {
    /* Visiting part k runs down from aEdge[k] to just above aEdge[k+1]. */
    for (int k = 0; k < nPart; k++) {
      r->aPartFirst[nPart - 1 - k] = k + 1 < nPart ? aEdge[k + 1] + 1 : i - (m - 1);
    }
    r->aPartFirst[nPart] = i + 1;
  }
  return m;
}

/* Fetch the planned parts of blocks [iFirst, iLast] (one GET, or a batch;
** a batch when pCancel is given, which can then end it early) into the run;
** on failure the run is left empty. REQUIRES the run is empty. */
static int sstRunFetch(SdbSst *p, SstRun *r, u32 iFirst, u32 iLast, const int *pCancel,
                       SdbErr *pErr) {
  int rc = SDB_OK;
  for (int k = 0; k < r->nPart; k++) {
    SdbGetReq *q = &r->aReq[k];
    q->pCancel = pCancel;
    q->zKey = p->zKey;
    q->iOff = p->aOff[r->aPartFirst[k]];
    q->nLen = p->aOff[r->aPartFirst[k + 1]] - q->iOff;
    q->rc = SDB_OK;
    if (q->out.nAlloc > 2 * q->nLen + 4096) sdbBufFree(&q->out);   /* hold no more than needed */
  }
  for (int k = r->nPart; k < SST_RUN_PARTS; k++) sdbBufFree(&r->aReq[k].out);
  if (r->nPart == 1 && !pCancel) {
    rc = sstRead(p, r->aReq[0].iOff, r->aReq[0].nLen, &r->aReq[0].out, pErr);
  } else {
    rc = sdbStoreGetMany(p->pStore, r->aReq, r->nPart, pErr);
    for (int k = 0; k < r->nPart && rc == SDB_OK; k++) {
      SdbGetReq *q = &r->aReq[k];
      if (q->rc) rc = sdbErrSet(pErr, q->rc, "read of %llu bytes at %llu failed",
                                (unsigned long long)q->nLen, (unsigned long long)q->iOff);
      else if (q->out.n != q->nLen) rc = sdbCorrupt(pErr, "short read: %llu bytes at offset %llu, got %zu (object truncated?)",
                                                    (unsigned long long)q->nLen, (unsigned long long)q->iOff, q->out.n);
    }
  }
  if (rc) {
    sstRunEmpty(p, r);
    return rc;
  }
  r->iFirst = iFirst;
  r->iLast = iLast;
  return SDB_OK;
}

/* Charge the planned parts of r to the cache as read-ahead, before they are
** fetched (so that a window in flight counts against the room too). */
static void sstRunCharge(const SdbSst *p, SstRun *r) {
  if (!p->pCache) return;
  for (int k = 0; k < r->nPart; k++) {
    r->nCharged += p->aOff[r->aPartFirst[k + 1]] - p->aOff[r->aPartFirst[k]];
  }
  sdbCacheAheadCharge(p->pCache, r->nCharged);
}

/* Exchange two runs (buffers, blocks and charges). */
static void sstRunSwap(SstRun *a, SstRun *b) {
  SstRun t = *a;
  *a = *b;
  *b = t;
}

/*
** A window fetched in the background: the next read-ahead window of an
** iterator, started while the iterator decodes the blocks of its current
** one. One thread per window, running sstRunFetch only (store and cache
** calls, both thread-safe; never SQLite); joined by sstAheadJoin, which every
** owner calls before it frees the window, so no thread outlives its
** iterator. The fetch's error stays in rc/err until the iterator needs a
** block of the window.
*/
typedef struct SstAhead {
  SdbSst *pSst;           /* borrowed from the iterator (which holds a reference);
                          ** NULL while a raw window has no SST yet (SstRaw) */
  SstRun run;             /* owned; filled by the thread */
  u32 iFirst, iLast;      /* blocks planned, inclusive */
  pthread_t thread;
  int bThread;            /* the thread runs or has not been joined */
  int rc;                 /* the fetch's result, valid once joined */
  int bCancel;            /* set (atomically) when the window is no longer wanted */
  SdbStore *pRawStore;    /* a raw window's store (SstRaw) */
  SdbErr err;
  SdbCost *pCost;         /* the starting thread's cost record (sdb_cost_attach) */
  SdbCost rawCost;        /* a raw window's own record: it may outlive the statement that
                          ** started it (no iterator took it over yet), so it charges no
                          ** one but this; sstAheadJoin adds it to the joining thread's */
} SstAhead;

static void *sstAheadMain(void *pArg) {
  SstAhead *a = (SstAhead *)pArg;
  sdb_cost_attach(a->pCost);
  a->rc = sstRunFetch(a->pSst, &a->run, a->iFirst, a->iLast, &a->bCancel, &a->err);
  return NULL;
}

/* Start fetching a->run (planned, charged) on a new thread. Returns 0 if no
** thread could be started (the caller then fetches in the foreground). */
static int sstAheadStart(SstAhead *a) {
  a->rc = SDB_OK;
  a->bCancel = 0;
  memset(&a->err, 0, sizeof(a->err));
  a->pCost = sdbCostSink();
  a->bThread = pthread_create(&a->thread, NULL, sstAheadMain, a) == 0;
  return a->bThread;
}

/* Wait for the window's thread, if any. */
static void sstAheadJoin(SstAhead *a) {
  if (!a->bThread) return;
  pthread_join(a->thread, NULL);
  a->bThread = 0;
  if (a->pRawStore) {           /* a raw window: its requests go to whoever takes it over */
    sdbCostAddToSink(&a->rawCost);
    memset(&a->rawCost, 0, sizeof(a->rawCost));
  }
}

/* ------------------------------------------------------------ iterator */
typedef struct SstIter {
  SdbIter base;           /* must be first */
  SdbSst *pSst;           /* one reference held */
  SdbRangeCopy range;     /* owned copy of the range */
  const SdbRange *pRange; /* &range.r, or NULL for everything */
  int bDesc;
  i64 iBlkLo, iBlkHi;     /* blocks to visit, inclusive (empty if lo > hi) */
  i64 iBlkNext;           /* next block to load */
  BlockRef cur;           /* current block (cur.p NULL between blocks) */
  BlockRef prev;          /* the block of the last row returned before cur's rows, kept
                          ** while cur is current (merge.h's one-step lookahead) */
  int bCurRow;            /* a row of cur was returned */
  i64 iRow;               /* current row in cur */
  u32 nLoaded;            /* blocks this iterator has loaded */
  u32 nAhead;             /* next read-ahead window */
  SstRun run;             /* the read-ahead run */
  SstAhead *aFly;         /* SST_AHEAD_DEPTH windows fetched in the background; owned */
  int iFly, nFly;         /* the oldest window in flight, and how many are */
  i64 iPlanNext;          /* the block after the newest window in flight */
  void (*xTail)(void *);  /* sdbSstIterOnTail's hook, called once; may be NULL */
  void *pTailArg;
  char *zRawKey;          /* the key copy adopted raw windows read with; owned */
  int bFilter;            /* pFilter and hFilter are set (sstIterPlanBlocks) */
  const SstFilter *pFilter;  /* the SST's filter (NULL: none), kept across seeks */
  SdbCacheHandle *hFilter;   /* its cache pin, or NULL; released by sstIterFree */
  i64 iKnownMiss;         /* a block the cache did not hold when the seek planned (-1: none) */
  int bEndProbe;          /* qEnd is set: sorted SST, a current block, a bound at the end */
  int bPoint;             /* the range is a point of a sorted SST (lo, hi: equal bytes) */
  SdbKeyProbe qEnd;       /* the range's end bound (hi ascending, lo descending) against
                          ** the current block's common prefix (sstIterEndProbe) */
  int bStream;            /* a block read is decoded into aSlot, not cached: there is no
                          ** cache, or the range's blocks exceed it (bBig) and a
                          ** sixteenth of it has been read (sstIterStream) */
  int bBig;               /* the range's blocks (estimated) exceed the cache */
  u64 nCap;               /* the cache's capacity (fixed), read once */
  u64 nRead;              /* decoded bytes of the blocks loaded since the range was planned */
  SdbBlockBuf aSlot[2];   /* owned; the blocks read while bStream, which cur and prev
                          ** borrow (a BlockRef with neither h nor pOwn): two, so that
                          ** the next block never overwrites prev's (the lookahead) */
  SdbBuf pay;             /* owned; a compressed block's payload, reused */
} SstIter;

/* True when the iterator will request no more blocks: every block left is
** in the current run, in a window in flight, or past the end. */
static int sstIterAtTail(const SstIter *it) {
  i64 j = it->nFly ? it->iPlanNext : it->iBlkNext;
  if (!it->nFly && sstRunHas(&it->run, (u32)it->iBlkNext)) {
    j = it->bDesc ? it->run.iFirst - 1 : it->run.iLast + 1;
  }
  return it->base.bEof || j < it->iBlkLo || j > it->iBlkHi;
}

/* Call the tail hook once, as soon as the iterator is at its tail. */
static void sstIterMaybeTail(SstIter *it) {
  if (!it->xTail || !sstIterAtTail(it)) return;
  void (*xTail)(void *) = it->xTail;
  it->xTail = NULL;
  xTail(it->pTailArg);
}

/* Cancel the windows in flight (their GETs end early), wait for them and
** forget them: the iterator will not need them. */
static void sstIterAheadDrop(SstIter *it) {
  for (int k = 0; k < it->nFly; k++) {
    __atomic_store_n(&it->aFly[(it->iFly + k) % SST_AHEAD_DEPTH].bCancel, 1, __ATOMIC_RELEASE);
  }
  for (; it->nFly > 0; it->nFly--, it->iFly = (it->iFly + 1) % SST_AHEAD_DEPTH) {
    SstAhead *a = &it->aFly[it->iFly];
    sstAheadJoin(a);
    sstRunTrim(it->pSst, &a->run);
  }
  it->iFly = 0;
}

static void sstIterDrop(SstIter *it) {
  blockRefRelease(it->pSst, &it->cur);
  it->bCurRow = 0;
  sstRunEmpty(it->pSst, &it->run);
  sstIterAheadDrop(it);
}

/* Leave the current block. If a row was returned from it, it becomes prev
** (the row returned last lies in it, and stays valid one step longer),
** releasing the one before; else it is released (prev keeps that row). */
static void sstIterRetire(SstIter *it) {
  if (!it->bCurRow) {
    blockRefRelease(it->pSst, &it->cur);
    return;
  }
  blockRefRelease(it->pSst, &it->prev);
  it->prev = it->cur;
  it->bCurRow = 0;
  memset(&it->cur, 0, sizeof(it->cur));
}

/* Free the decode buffers above SST_RUN_KEEP bytes that no block in use
** lies in (prev may: the lookahead), as sstRunTrim does for the run. */
static void sstIterTrimSlots(SstIter *it) {
  for (int k = 0; k < 2; k++) {
    SdbBlockBuf *b = &it->aSlot[k];
    if (b->nAlloc > SST_RUN_KEEP && b->p != it->prev.p && b->p != it->cur.p) sdbBlockBufFree(b);
  }
  if (it->pay.nAlloc > SST_RUN_KEEP) sdbBufFree(&it->pay);
}

static void sstIterStop(SstIter *it) {
  sstIterDrop(it);
  sstRunTrim(it->pSst, &it->run);
  sstIterTrimSlots(it);
  it->base.bEof = 1;
  it->iBlkNext = it->bDesc ? it->iBlkLo - 1 : it->iBlkHi + 1;
}

/* EOF at the end of the range within the current block: the block stays
** pinned, so that a seek to a range starting in it (the next key of a join)
** reads no block (sstIterSeek); read-ahead is dropped. */
static void sstIterEndInBlock(SstIter *it) {
  sstRunTrim(it->pSst, &it->run);
  sstIterTrimSlots(it);
  sstIterAheadDrop(it);
  it->base.bEof = 1;
}

/*
** Plan in r the run for block i: block i alone, or with bWindow a read-ahead
** window in its direction (it->nAhead blocks, growing), cut at the end of its
** range, before the first block the cache already holds, and at one GET of
** SST_AHEAD_BYTES, or where the store overlaps reads SST_RUN_PARTS such GETs
** in parallel. Sets the blocks [*piFirst, *piLast]. REQUIRES r is empty.
*/
static void sstIterPlan(SstIter *it, u32 i, int bWindow, SstRun *r, u32 *piFirst, u32 *piLast) {
  SdbSst *p = it->pSst;
  int bPar = p->pStore->pMethods->xGetMany != NULL;
  u32 k = 1;
  if (bWindow) {
    k = it->nAhead;
    if (it->nAhead < (bPar ? SST_AHEAD_MAX_PAR : SST_AHEAD_MAX)) it->nAhead *= bPar ? 4 : 2;
  }
  u64 nLeft = it->bDesc ? (u64)((i64)i - it->iBlkLo) + 1 : (u64)(it->iBlkHi - (i64)i) + 1;
  if (k > nLeft) k = (u32)nLeft;
  u32 n = 1;
  while (n < k && !(p->pCache && sdbCacheContains(p->pCache, p->uid, it->bDesc ? i - n : i + n))) n++;
  u64 nRoom = (n > 1 && p->pCache) ? sdbCacheAheadRoom(p->pCache) : UINT64_MAX;
  n = sstRunPlan(p, r, i, n, it->bDesc, bPar ? SST_RUN_PARTS : 1, nRoom);
  *piFirst = it->bDesc ? i - (n - 1) : i;
  *piLast = it->bDesc ? i : i + (n - 1);
}

/* The windows of the iterator, allocated on first use; NULL if out of
** memory (then it reads in the foreground only). */
static SstAhead *sstIterFly(SstIter *it) {
  if (it->aFly) return it->aFly;
  it->aFly = sdbMallocZero(sizeof(SstAhead) * SST_AHEAD_DEPTH);
  for (int k = 0; it->aFly && k < SST_AHEAD_DEPTH; k++) {
    it->aFly[k].pSst = it->pSst;
    it->aFly[k].run.iLast = -1;
  }
  return it->aFly;
}

/*
** On a store that overlaps reads (S3), keep SST_AHEAD_DEPTH windows in
** flight in the background from block j on (j: the block after the current
** run, or after the newest window in flight), each following the one before
** it, so that the GETs of the next windows run while the blocks of this one
** are decoded. Planning stops at the end of the range and at a cached block.
** Failing to start one (no memory, no thread) only means less overlap.
*/
static void sstIterAheadFrom(SstIter *it, i64 j) {
  SdbSst *p = it->pSst;
  if (!p->pStore->pMethods->xGetMany || !sstIterFly(it)) return;
  if (it->nFly) j = it->iPlanNext;
  while (it->nFly < SST_AHEAD_DEPTH && j >= it->iBlkLo && j <= it->iBlkHi) {
    if (p->pCache && sdbCacheContains(p->pCache, p->uid, (u32)j)) return;
    /* Out of read-ahead room (several scans or SSTs share it): no more
    ** windows while one is in flight, rather than windows of a block each. */
    if (p->pCache && it->nFly > 0 && sdbCacheAheadRoom(p->pCache) < SST_AHEAD_BYTES) return;
    SstAhead *a = &it->aFly[(it->iFly + it->nFly) % SST_AHEAD_DEPTH];
    sstIterPlan(it, (u32)j, 1, &a->run, &a->iFirst, &a->iLast);
    sstRunCharge(p, &a->run);
    if (!sstAheadStart(a)) {
      sstRunEmpty(p, &a->run);
      return;
    }
    it->nFly++;
    j = it->bDesc ? (i64)a->iFirst - 1 : (i64)a->iLast + 1;
    it->iPlanNext = j;
  }
}

/* After block i was loaded: top up the windows in flight (sstIterAheadFrom),
** the first following the current run, or block i. */
static void sstIterAheadMaybe(SstIter *it, u32 i) {
  i64 j = it->bDesc ? (sstRunHas(&it->run, i) ? it->run.iFirst : (i64)i) - 1
                    : (sstRunHas(&it->run, i) ? it->run.iLast : (i64)i) + 1;
  sstIterAheadFrom(it, j);
}

/* Fetch, in the foreground, the run for a miss on block i: block i alone
** until the iterator has loaded two blocks, then a window (sstIterPlan).
** Where the store overlaps reads, the windows after it start first, so that
** a scan has its first windows in flight from its first GET on (a scan that
** ends early cancels them, sstIterCancel). */
static int sstIterFetch(SstIter *it, u32 i, SdbErr *pErr) {
  SdbSst *p = it->pSst;
  u32 iFirst, iLast;
  sstRunEmpty(p, &it->run);
  sstIterPlan(it, i, it->nLoaded >= 2, &it->run, &iFirst, &iLast);
  sstRunCharge(p, &it->run);
  return sstRunFetch(p, &it->run, iFirst, iLast, NULL, pErr);
}

/* If a window in flight holds block i, wait for it and make it the current
** run. A failed fetch is reported now, when the iterator needs the block.
** Older windows (their blocks came from the cache meanwhile) are dropped. */
static int sstIterTakeAhead(SstIter *it, u32 i, SdbErr *pErr) {
  while (it->nFly > 0) {
    SstAhead *a = &it->aFly[it->iFly];
    if (it->bDesc ? i > a->iLast : i < a->iFirst) return SDB_OK;   /* not fetched ahead */
    sstAheadJoin(a);
    it->iFly = (it->iFly + 1) % SST_AHEAD_DEPTH;
    it->nFly--;
    if (i >= a->iFirst && i <= a->iLast) {
      if (a->rc) return sdbErrSet(pErr, a->rc, "%s", a->err.zMsg);
      sstRunSwap(&it->run, &a->run);
      sstRunEmpty(it->pSst, &a->run);
      return SDB_OK;
    }
    sstRunEmpty(it->pSst, &a->run);
  }
  return SDB_OK;
}

/* After block i was loaded (it->cur): on the range's first block, estimate
** bBig again with its decoded size (nMem), which a compressed block's stored
** bytes understate (the range's stored bytes scaled by the block's
** decoded/stored ratio); then count its decoded bytes, and once a big range
** has read a sixteenth of the cache, its next blocks stay out of it (a scan with a
** LIMIT that ends before is cached as any other). */
static void sstIterStreamCheck(SstIter *it, u32 i) {
  SdbSst *p = it->pSst;
  u64 nStored = p->aOff[i + 1] - p->aOff[i];
  if (it->bStream || !it->cur.p) return;
  if (it->nLoaded == 1 && !it->bBig && nStored && it->iBlkLo <= it->iBlkHi) {
    u64 nRange = p->aOff[it->iBlkHi + 1] - p->aOff[it->iBlkLo];
    it->bBig = (double)nRange / (double)nStored * (double)it->cur.p->nMem > (double)it->nCap;
  }
  it->nRead += it->cur.p->nMem;
  it->bStream = it->bBig && it->nRead > it->nCap / 16;
}

/* Decode block i, held by the current run, as it->cur into the decode
** buffer prev does not lie in (bStream). REQUIRES no current block. */
static int sstIterDecodeSlot(SstIter *it, u32 i, SdbErr *pErr) {
  SdbSst *p = it->pSst;
  SdbBlockBuf *b = &it->aSlot[it->prev.p && it->prev.p == it->aSlot[0].p];
  u64 n;
  int rc = sstBlockLen(p, i, &n, pErr);
  if (rc) return rc;
  rc = sstDecodeBlock(p, i, sstRunBlock(p, &it->run, i), (size_t)n, b, &it->pay, &it->cur.p,
                      pErr);
  if (rc) memset(&it->cur, 0, sizeof(it->cur));
  return rc;
}

/* Load block it->iBlkNext into it->cur: from the read-ahead run if it holds
** the block, else from the cache, else with a GET of a new run. A block is
** decoded (and its checksum checked) only when the iterator reaches it. */
static int sstIterLoad(SstIter *it, SdbErr *pErr) {
  SdbSst *p = it->pSst;
  u32 i = (u32)it->iBlkNext;
  int rc = sstIterTakeAhead(it, i, pErr);
  if (rc) return sstWrap(p, rc, pErr);
  int bInRun = sstRunHas(&it->run, i);
  int bLook = !bInRun && p->pCache && (i64)i != it->iKnownMiss;
  SdbCacheHandle *h = bLook ? sdbCacheLookup(p->pCache, p->uid, i) : NULL;
  it->iKnownMiss = -1;
  if (h) {
    it->cur.h = h;
    it->cur.p = sdbCacheValue(h);
  } else {
    rc = bInRun ? SDB_OK : sstIterFetch(it, i, pErr);
    if (rc == SDB_OK && it->bStream) rc = sstIterDecodeSlot(it, i, pErr);
    else if (rc == SDB_OK) rc = sstDecodeRun(p, i, i, i, sstRunBlock(p, &it->run, i), &it->cur, pErr);
    if (rc) return sstWrap(p, rc, pErr);
  }
  it->iBlkNext += it->bDesc ? -1 : 1;
  it->nLoaded++;
  sstIterStreamCheck(it, i);
  sstIterAheadMaybe(it, i);
  sstIterMaybeTail(it);
  return SDB_OK;
}

/* The error of a row above the SST's maxSeq (sdbSstSetMaxSeq), out of the
** scan loop. */
static __attribute__((noinline)) int sstSeqTooHigh(const SstIter *it, SdbErr *pErr) {
  const SdbSst *p = it->pSst;
  return sstWrap(p, sdbCorrupt(pErr, "row with seq %llu in block %u, above the manifest's"
                               " last_l0_seq %llu", (unsigned long long)it->base.cur.seq,
                               (unsigned)(it->bDesc ? it->iBlkNext + 1 : it->iBlkNext - 1),
                               (unsigned long long)p->maxSeq), pErr);
}

/* The first row of the current block within the range, in the iterator's
** direction (nRow or -1 when there is none). For a point, the search also
** makes the end bound's probe (the same bytes), left to it by
** sstIterEndProbe, which is called right before. */
/* True if every row of block iBlk (of a sorted SST) is at or above the
** range's low bound, so an ascending scan starts at its first row without a
** search: a block after the range's first one starts at or above the bound
** (the plan's first block is the last whose first key is below it), and
** above it when the bound is exclusive unless its first key equals it (a
** key's versions can straddle blocks). iBlk < 0: unknown. */
static int sstBlockAfterLo(const SstIter *it, i64 iBlk) {
  const SdbRange *r = it->pRange;
  if (iBlk < 0 || iBlk <= it->iBlkLo) return 0;
  if (!r->bLoExcl) return 1;
  const u8 *k;
  size_t n;
  sdbSstBlockFirstKey(it->pSst, (u32)iBlk, &k, &n);
  return sdbKeyCmp(k, n, r->pLo, r->nLo) > 0;
}

/* True if every row of block iBlk (of a sorted SST) is at or below the
** range's high bound, so a descending scan starts at its last row without
** a search: a block before the range's last one holds keys up to the next
** block's first key, which is within the bound (below it when exclusive). */
static int sstBlockBeforeHi(const SstIter *it, i64 iBlk) {
  return iBlk >= 0 && iBlk < it->iBlkHi;
}

static i64 sstIterBlockStart(SstIter *it, i64 iBlk) {
  const SdbBlock *b = it->cur.p;
  const SdbRange *r = it->pRange;
  if (it->bPoint && it->bEndProbe) {
    return it->bDesc ? (i64)sdbBlockSeekAndProbe(b, r->pHi, r->nHi, 1, &it->qEnd) - 1
                     : (i64)sdbBlockSeekAndProbe(b, r->pLo, r->nLo, 0, &it->qEnd);
  }
  if (!it->bDesc) {
    if (!(it->pSst->bSorted && r && r->bHasLo) || sstBlockAfterLo(it, iBlk)) return 0;
    return sdbBlockSeek(b, r->pLo, r->nLo, r->bLoExcl);
  }
  if (!(it->pSst->bSorted && r && r->bHasHi) || sstBlockBeforeHi(it, iBlk)) return (i64)b->nRow - 1;
  return (i64)sdbBlockSeek(b, r->pHi, r->nHi, !r->bHiExcl) - 1;
}

/* Prepare it->qEnd, the probe of the range's end bound against the current
** block, so that each row's end check compares the integer prefixes the
** block keeps (sstIterBeforeEnd). Call whenever the current block or the
** range changes. */
static void sstIterEndProbe(SstIter *it) {
  const SdbBlock *b = it->cur.p;
  const SdbRange *r = it->pRange;
  it->bEndProbe = it->pSst->bSorted && b && b->nRow && r && (it->bDesc ? r->bHasLo : r->bHasHi);
  if (!it->bEndProbe || it->bPoint) return;   /* a point's: sstIterBlockStart */
  if (it->bDesc) sdbBlockProbe(b, r->pLo, r->nLo, &it->qEnd);
  else sdbBlockProbe(b, r->pHi, r->nHi, &it->qEnd);
}

/* True if row i of the current block b is on this side of the range's end
** bound (ascending: below hi; descending: above lo). REQUIRES it->bEndProbe. */
static int sstIterBeforeEnd(const SstIter *it, const SdbBlock *b, u32 i) {
  const SdbKeyProbe *q = &it->qEnd;
  int c = q->side ? -q->side : sdbBlockRowCmp(b, i, q);
  if (it->bDesc) return c > 0 || (c == 0 && !it->pRange->bLoExcl);
  return c < 0 || (c == 0 && !it->pRange->bHiExcl);
}

/* Make the pinned block *pHit, block it->iBlkNext, the current block, as
** sstIterLoad would (the next step lands on its first row in range); the
** iterator takes over the pin. REQUIRES no current block. */
static void sstIterUseBlock(SstIter *it, BlockRef *pHit) {
  i64 i = it->iBlkNext;
  it->cur = *pHit;
  memset(pHit, 0, sizeof(*pHit));
  sstIterEndProbe(it);
  it->iBlkNext += it->bDesc ? -1 : 1;
  it->nLoaded++;
  it->iRow = sstIterBlockStart(it, i) + (it->bDesc ? 1 : -1);
  sstIterAheadMaybe(it, (u32)i);
  sstIterMaybeTail(it);
}

/* Move to the next row in range, or to EOF. */
static int sstIterAdvance(SstIter *it, SdbErr *pErr) {
  SdbSst *p = it->pSst;
  const SdbRange *r = it->pRange;
  for (;;) {
    if (!it->cur.p) {
      if (it->bDesc ? it->iBlkNext < it->iBlkLo : it->iBlkNext > it->iBlkHi) {
        sstIterStop(it);
        return SDB_OK;
      }
      int rc = sstIterLoad(it, pErr);
      if (rc) return rc;
      sstIterEndProbe(it);
      it->iRow = sstIterBlockStart(it, it->iBlkNext + (it->bDesc ? 1 : -1));
    } else {
      it->iRow += it->bDesc ? -1 : 1;
    }
    const SdbBlock *b = it->cur.p;
    if (it->iRow < 0 || it->iRow >= (i64)b->nRow) {
      sstIterRetire(it);
      continue;
    }
    if (r) {
      if (p->bSorted) {
        if (it->bEndProbe && !sstIterBeforeEnd(it, b, (u32)it->iRow)) {
          sstIterEndInBlock(it);
          return SDB_OK;
        }
      } else if (!sdbRangeContains(r, sdbBlockKey(b, (u32)it->iRow), b->aRow[it->iRow].nKey)) {
        continue;
      }
    }
    sdbBlockRowEntry(b, (u32)it->iRow, &it->base.cur);
    it->bCurRow = 1;
    if (__builtin_expect(it->base.cur.seq > p->maxSeq, 0)) return sstSeqTooHigh(it, pErr);
    return SDB_OK;
  }
}

/* sstIterAdvance's common case, without its call: the next row is in the
** current block (of a sorted SST, or a scan of everything). Returns 1 when
** it moved (to that row, or to EOF at the range's end), 0 when the step is
** sstIterAdvance's (another block, a row above maxSeq, an unsorted SST). */
static inline int sstIterStepInBlock(SstIter *it) {
  const SdbBlock *b = it->cur.p;
  if (!b || (it->pRange && !it->pSst->bSorted)) return 0;
  i64 i = it->iRow + (it->bDesc ? -1 : 1);
  if (i < 0 || i >= (i64)b->nRow || b->aRow[i].seq > it->pSst->maxSeq) return 0;
  it->iRow = i;
  if (it->bEndProbe && !sstIterBeforeEnd(it, b, (u32)i)) {
    sstIterEndInBlock(it);
    return 1;
  }
  sdbBlockRowEntry(b, (u32)i, &it->base.cur);
  it->bCurRow = 1;
  return 1;
}

static int sstIterNext(SdbIter *pIter, SdbErr *pErr) {
  SstIter *it = (SstIter *)pIter;
  if (it->base.bEof || sstIterStepInBlock(it)) return SDB_OK;
  int rc = sstIterAdvance(it, pErr);
  if (rc) sstIterStop(it);
  return rc;
}

static void sstIterFree(SdbIter *pIter) {
  SstIter *it = (SstIter *)pIter;
  sstIterDrop(it);
  blockRefRelease(it->pSst, &it->prev);
  sstRunFree(it->pSst, &it->run);
  for (int k = 0; it->aFly && k < SST_AHEAD_DEPTH; k++) sstRunFree(it->pSst, &it->aFly[k].run);
  sdbFree(it->aFly);
  sdbFree(it->zRawKey);
  if (it->hFilter) sdbCacheRelease(it->pSst->pCache, it->hFilter);
  sdbRangeCopyFree(&it->range);
  sdbBlockBufFree(&it->aSlot[0]);
  sdbBlockBufFree(&it->aSlot[1]);
  sdbBufFree(&it->pay);
  sdbSstUnref(it->pSst);
  sdbFree(it);
}

static int sstIterSeek(SdbIter *pIter, const SdbRange *pRange, SdbErr *pErr);
static const SdbIterMethods sstIterMethods = {sstIterNext, sstIterFree, sstIterSeek};

void sdbSstIterReadAhead(SdbIter *pIter) {
  SstIter *it = (SstIter *)pIter;
  if (!pIter || pIter->pMethods != &sstIterMethods || it->base.bEof) return;
  if (it->nLoaded < 2) it->nLoaded = 2;
  it->nAhead = SST_AHEAD_MAX_PAR;
  sstIterAheadMaybe(it, (u32)(it->iBlkNext + (it->bDesc ? 1 : -1)));
}

void sdbSstIterOnTail(SdbIter *pIter, void (*xTail)(void *), void *pArg) {
  SstIter *it = (SstIter *)pIter;
  if (!pIter || pIter->pMethods != &sstIterMethods) return;
  it->xTail = xTail;
  it->pTailArg = pArg;
  sstIterMaybeTail(it);
}

/* ------------------------------------------------------------ raw windows */
/*
** Windows started before the SST's index is read (sdbSstOpenForScan): byte
** ranges of the data section from offset 0, each a single GET on its own
** thread, reaching SST_RAW_OVERLAP bytes into the next so that the block that
** straddles the boundary is whole in one of them. Once the index is known,
** the first iterator from block 0 ascending adopts them (sstIterAdoptRaw):
** window k then holds the blocks that start in it and end inside its bytes.
** Owned by the SST until then; freed (cancelled, joined) by whoever drops them.
*/
typedef struct SstRaw {
  SstAhead a[SST_AHEAD_DEPTH];  /* the array becomes the iterator's aFly */
  u64 aEnd[SST_AHEAD_DEPTH];    /* blocks starting before aEnd[k] belong to window k */
  int n;
  char *zKey;                   /* owned copy the GETs read with */
  SdbStore *pStore;             /* borrowed */
} SstRaw;

static void *sstRawMain(void *pArg) {
  SstAhead *a = (SstAhead *)pArg;
  SdbGetReq *q = &a->run.aReq[0];
  sdb_cost_attach(&a->rawCost);
  a->rc = sdbStoreGetMany(a->pRawStore, q, 1, &a->err);
  if (a->rc == SDB_OK && q->rc != SDB_OK) {   /* as sstRunFetch: e.g. SDB_NOTFOUND */
    a->rc = sdbErrSet(&a->err, q->rc, "read of %llu bytes at %llu failed",
                      (unsigned long long)q->nLen, (unsigned long long)q->iOff);
  } else if (a->rc == SDB_OK && q->out.n != q->nLen) {
    a->rc = sdbCorrupt(&a->err, "short read: %llu bytes at offset %llu, got %zu (object truncated?)",
                       (unsigned long long)q->nLen, (unsigned long long)q->iOff, q->out.n);
  }
  return NULL;
}

/* Cancel, join and free the windows of r (NULL-safe), giving their charge
** back to pCache. */
static void sstRawFree(SstRaw *r, SdbCache *pCache) {
  if (!r) return;
  for (int k = 0; k < r->n; k++) __atomic_store_n(&r->a[k].bCancel, 1, __ATOMIC_RELEASE);
  for (int k = 0; k < r->n; k++) {
    sstAheadJoin(&r->a[k]);
    if (pCache && r->a[k].run.nCharged) sdbCacheAheadRelease(pCache, r->a[k].run.nCharged);
    sdbBufFree(&r->a[k].run.aReq[0].out);
  }
  sdbFree(r->zKey);
  sdbFree(r);
}

/* Start the raw windows of a scan of the data section [0, nData) of zKey:
** 64 KiB, 256 KiB, then 1 MiB each, as many as the cache's read-ahead room and
** SST_AHEAD_DEPTH allow. NULL if none could start. */
static SstRaw *sstRawStart(SdbStore *pStore, SdbCache *pCache, const char *zKey, u64 nData) {
  SstRaw *r = sdbMallocZero(sizeof(*r));
  if (r) r->zKey = sdbStrdup(zKey);
  if (!r || !r->zKey) {
    sstRawFree(r, pCache);
    return NULL;
  }
  r->pStore = pStore;
  u64 nRoom = sdbCacheAheadRoom(pCache), off = 0, nStep = SST_HEAD_READ;
  while (r->n < SST_RAW_MAX && off < nData) {
    u64 end = SDB_MIN(off + nStep, nData), reqEnd = SDB_MIN(end + SST_RAW_OVERLAP, nData);
    if (reqEnd - off > nRoom) break;
    SstAhead *a = &r->a[r->n];
    a->run.iLast = -1;
    a->run.nPart = 1;
    a->run.aReq[0] = (SdbGetReq){r->zKey, off, reqEnd - off, {0}, SDB_OK, &a->bCancel};
    a->pRawStore = pStore;
    a->pCost = NULL;            /* counted in a->rawCost, see sstAheadJoin */
    a->run.nCharged = reqEnd - off;
    sdbCacheAheadCharge(pCache, a->run.nCharged);
    a->bThread = pthread_create(&a->thread, NULL, sstRawMain, a) == 0;
    if (!a->bThread) {
      sdbCacheAheadRelease(pCache, a->run.nCharged);
      a->run.nCharged = 0;
      break;
    }
    r->aEnd[r->n++] = end;
    nRoom -= reqEnd - off;
    off = end;
    nStep = SDB_MIN(nStep * 4, (u64)SST_AHEAD_BYTES);
  }
  if (r->n == 0) {
    sstRawFree(r, pCache);
    return NULL;
  }
  return r;
}

/* The first block whose offset is at least off. */
static u32 sstBlockAt(const SdbSst *p, u64 off) {
  u32 lo = 0, hi = p->nBlock;
  while (lo < hi) {
    u32 mid = lo + (hi - lo) / 2;
    if (p->aOff[mid] < off) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/* Lay the blocks over raw windows r: 1 if they tile blocks 0.. without a gap
** (else, e.g. a block longer than the overlap, the windows are not used). */
static int sstRawPlace(const SdbSst *p, SstRaw *r) {
  u32 iNext = 0;
  for (int k = 0; k < r->n; k++) {
    SstAhead *a = &r->a[k];
    u64 reqEnd = a->run.aReq[0].iOff + a->run.aReq[0].nLen;
    u32 iFirst = sstBlockAt(p, a->run.aReq[0].iOff), iEnd = sstBlockAt(p, r->aEnd[k]);
    while (iEnd > iFirst && p->aOff[iEnd] > reqEnd) iEnd--;   /* blocks [iFirst, iEnd) fit */
    if (iFirst != iNext || iEnd == iFirst) return 0;
    a->iFirst = iFirst;
    a->iLast = iEnd - 1;
    a->run.iFirst = iFirst;
    a->run.iLast = iEnd - 1;
    a->run.aPartFirst[0] = iFirst;
    a->run.aPartFirst[1] = iEnd;
    iNext = iEnd;
  }
  return 1;
}

/* A new iterator takes the SST's raw windows if it reads ascending from
** block 0 (they become its windows in flight); any other drops them. */
static void sstIterAdoptRaw(SstIter *it) {
  SdbSst *p = it->pSst;
  pthread_mutex_lock(&p->mu);
  SstRaw *r = p->pRaw;
  p->pRaw = NULL;
  pthread_mutex_unlock(&p->mu);
  if (!r) return;
  if (it->bDesc || it->iBlkLo != 0 || it->iBlkHi < 0 || it->aFly || it->cur.p ||
      !sstRawPlace(p, r)) {
    sstRawFree(r, p->pCache);
    return;
  }
  for (int k = 0; k < r->n; k++) r->a[k].pSst = p;
  it->aFly = r->a;   /* the first member: sdbFree(it->aFly) frees r */
  it->iFly = 0;
  it->nFly = r->n;
  it->iPlanNext = r->a[r->n - 1].iLast + 1;
  it->nAhead = SST_AHEAD_MAX_PAR;   /* the windows after them are full-size at once */
  it->zRawKey = r->zKey;
  for (int k = r->n; k < SST_AHEAD_DEPTH; k++) {
    r->a[k].pSst = p;
    r->a[k].run.iLast = -1;
  }
}

/* True if the range cannot meet the SST's [first_entry, last_entry]. */
static int sstOutsideRange(const SdbSst *p, const SdbRange *r) {
  const SdbSstInfo *i = &p->info;
  if (!p->bSorted || !r) return 0;
  if (r->bHasLo && i->bHasLast && !sdbRangeAboveLo(r, i->pLast, i->nLast)) return 1;
  if (r->bHasHi && i->bHasFirst && !sdbRangeBelowHi(r, i->pFirst, i->nFirst)) return 1;
  return 0;
}

/*
** The blocks [*piLo, *piHi] a read of range r must visit according to the
** index (empty: *piLo = 0, *piHi = -1). Returns 1 if r is a point range
** (lo == hi, both inclusive) of a sorted SST that may hold it, whose bloom
** filter (if any) the caller then consults. A point takes one search of the
** first keys: its last block follows the first, plus the blocks whose
** first key equals the point (a key's versions spread over blocks).
*/
static int sstPlanIndex(const SdbSst *p, const SdbRange *r, i64 *piLo, i64 *piHi) {
  int bPoint = p->bSorted && sdbRangeIsPoint(r);
  *piLo = 0;
  *piHi = (i64)p->nBlock - 1;
  int bEmpty = p->nBlock == 0 || (!bPoint && sdbRangeIsEmpty(r)) || sstOutsideRange(p, r);
  SdbKeyProbe q;
  if (!bEmpty && bPoint) {
    sstProbe(p, r->pLo, r->nLo, &q);
    u32 c = sstCountBlocks(p, &q, r->pLo, r->nLo, 0), e = c;
    while (e < p->nBlock && sstFirstKeyCmpAny(p, e, &q, r->pLo, r->nLo) == 0) e++;
    *piLo = c > 0 ? c - 1 : 0;
    *piHi = (i64)e - 1;
  } else if (!bEmpty && p->bSorted && r) {
    if (r->bHasLo) {
      sstProbe(p, r->pLo, r->nLo, &q);
      u32 c = sstCountBlocks(p, &q, r->pLo, r->nLo, 0);
      *piLo = c > 0 ? c - 1 : 0;
    }
    if (r->bHasHi) {
      sstProbe(p, r->pHi, r->nHi, &q);
      *piHi = (i64)sstCountBlocks(p, &q, r->pHi, r->nHi, !r->bHiExcl) - 1;
    }
  }
  if (bEmpty || *piHi < *piLo) {
    *piLo = 0;
    *piHi = -1;
    return 0;
  }
  return bPoint;
}

/* As sstPlanIndex, then a point range is checked against the bloom filter
** (for planning reads: a skip is not counted). */
static int sstPlanBlocks(SdbSst *p, const SdbRange *r, i64 *piLo, i64 *piHi, SdbErr *pErr) {
  int bMay = 1;
  if (!sstPlanIndex(p, r, piLo, piHi) || p->info.filterLen == 0) return SDB_OK;
  int rc = sdbSstMayContain(p, r->pLo, r->nLo, &bMay, pErr);
  if (rc == SDB_OK && !bMay) {
    *piLo = 0;
    *piHi = -1;
  }
  return rc;
}

/*
** Plan the blocks of the iterator's range (it->iBlkLo, it->iBlkHi). For a
** point, the bloom filter is consulted (a skip counts in sdbSstFilterSkips)
** unless the one block that may hold the point answers as fast: it is the
** current block iCur, or the cache holds it (then *pHit pins it, for the
** caller to make current). The filter only saves a block read, and it never
** answers "absent" for a key that is present, so the rows are the same. The
** filter stays pinned in the iterator for the next seeks (sstIterFree
** releases it).
*/
static int sstIterPlanBlocks(SstIter *it, i64 iCur, BlockRef *pHit, SdbErr *pErr) {
  SdbSst *p = it->pSst;
  const SdbRange *r = it->pRange;
  memset(pHit, 0, sizeof(*pHit));
  it->iKnownMiss = -1;
  it->bPoint = sstPlanIndex(p, r, &it->iBlkLo, &it->iBlkHi);
  if (!it->bPoint || p->info.filterLen == 0) return SDB_OK;
  if (it->iBlkLo == it->iBlkHi) {
    if (it->iBlkLo == iCur) return SDB_OK;
    if (p->pCache) {
      SdbCacheHandle *h = sdbCacheLookup(p->pCache, p->uid, (u32)it->iBlkLo);
      if (h) {
        pHit->h = h;
        pHit->p = sdbCacheValue(h);
        return SDB_OK;
      }
      it->iKnownMiss = it->iBlkLo;   /* sstIterLoad need not look again */
    }
  }
  if (!it->bFilter) {
    int rc = sstFilterGet(p, &it->pFilter, &it->hFilter, pErr);
    if (rc) return rc;
    it->bFilter = 1;
  }
  const SstFilter *f = it->pFilter;
  if (f && f->pBloom && !sdbBloomMayContain(f->pBloom, f->nBloom, r->pLo, r->nLo)) {
    atomic_fetch_add(&gFilterSkips, 1);
    it->iBlkLo = 0;
    it->iBlkHi = -1;
  }
  return SDB_OK;
}

/* For the blocks just planned, start deciding it->bStream: a read of more
** bytes than the cache holds would only evict its own blocks (and everyone
** else's), so once it has read a sixteenth of the cache its blocks are
** decoded into the iterator's buffers instead (LevelDB's fill_cache =
** false; sstIterStreamCheck); blocks already cached are still used. Without
** a cache, always (no allocation per block). bBig from the range's stored
** bytes here, from its first block's decoded size once it is in. */
static void sstIterStream(SstIter *it) {
  SdbSst *p = it->pSst;
  u64 nBytes = it->iBlkLo <= it->iBlkHi ? p->aOff[it->iBlkHi + 1] - p->aOff[it->iBlkLo] : 0;
  it->bStream = !p->pCache;
  it->bBig = nBytes > it->nCap;
  it->nRead = 0;
}

int sdbSstIterNew(SdbSst *p, const SdbRange *pRange, int bDesc, SdbIter **pp,
                  SdbErr *pErr) {
  *pp = NULL;
  SstIter *it = sdbMallocZero(sizeof(*it));
  if (!it) return SDB_NOMEM_ERR(pErr);
  it->base.pMethods = &sstIterMethods;
  it->pSst = p;
  sdbSstRef(p);
  it->bDesc = bDesc;
  it->nAhead = p->pStore->pMethods->xGetMany ? SST_AHEAD_MIN_PAR : SST_AHEAD_MIN;
  it->run.iLast = -1;
  if (p->pCache) {
    SdbCacheStats st;
    sdbCacheGetStats(p->pCache, &st);
    it->nCap = st.nCapacity;
  }
  if (sdbRangeCopyInit(&it->range, pRange)) {
    sstIterFree(&it->base);
    return SDB_NOMEM_ERR(pErr);
  }
  it->pRange = pRange ? &it->range.r : NULL;
  BlockRef hit;
  int rc = sstIterPlanBlocks(it, -1, &hit, pErr);
  if (rc) {
    sstIterFree(&it->base);
    return rc;
  }
  it->iBlkNext = bDesc ? it->iBlkHi : it->iBlkLo;
  sstIterStream(it);
  if (hit.p) sstIterUseBlock(it, &hit);
  sstIterAdoptRaw(it);
  rc = sstIterAdvance(it, pErr);
  if (rc) {
    sstIterFree(&it->base);
    return rc;
  }
  *pp = &it->base;
  return SDB_OK;
}

/*
** xSeek: the blocks of the new range are planned as for a new iterator
** (bloom filter of a point included). The current block is kept when the
** new range starts in it (point lookups in key order stay in one block),
** else released; the read-ahead run and windows are dropped and read-ahead
** starts small again.
*/
static int sstIterSeek(SdbIter *pIter, const SdbRange *pRange, SdbErr *pErr) {
  SstIter *it = (SstIter *)pIter;
  i64 iCur = it->cur.p ? it->iBlkNext + (it->bDesc ? 1 : -1) : -1;
  if (it->prev.p) blockRefRelease(it->pSst, &it->prev);
  it->bCurRow = 0;
  BlockRef hit = {0};
  int rc = sdbRangeCopySet(&it->range, pRange) ? SDB_NOMEM_ERR(pErr) : SDB_OK;
  it->pRange = pRange ? &it->range.r : NULL;
  if (rc == SDB_OK) rc = sstIterPlanBlocks(it, iCur, &hit, pErr);
  if (rc) {
    sstIterStop(it);
    return rc;
  }
  sstIterStream(it);
  i64 iFirst = it->bDesc ? it->iBlkHi : it->iBlkLo;
  int bKeep = it->iBlkLo <= it->iBlkHi && iFirst == iCur;
  if (bKeep) {
    sstRunEmpty(it->pSst, &it->run);
    sstIterAheadDrop(it);
    sstIterEndProbe(it);   /* the range changed */
    it->iRow = sstIterBlockStart(it, iFirst) + (it->bDesc ? 1 : -1);   /* the step below lands on it */
  } else {
    sstIterDrop(it);
  }
  it->iBlkNext = bKeep ? iFirst + (it->bDesc ? -1 : 1) : iFirst;
  it->nLoaded = bKeep ? 1 : 0;
  if (bKeep) sstIterStreamCheck(it, (u32)iFirst);   /* the range's first block is in */
  if (hit.p) sstIterUseBlock(it, &hit);
  it->nAhead = it->pSst->pStore->pMethods->xGetMany ? SST_AHEAD_MIN_PAR : SST_AHEAD_MIN;
  it->base.bEof = 0;
  rc = sstIterAdvance(it, pErr);
  if (rc) sstIterStop(it);
  return rc;
}

/* Decode the blocks that lie wholly in a[0..n), the object's bytes from
** offset off, into the cache (the last SST_AHEAD_MAX of them). Nothing is
** required: a block that does not decode is reported by the iterator that
** needs it. */
static void sstInstallSpan(SdbSst *p, const u8 *a, size_t n, u64 off) {
  BlockRef aRef[SST_AHEAD_MAX];
  u32 iFirst = sstBlockAt(p, off), iEnd = iFirst;
  while (iEnd < p->nBlock && p->aOff[iEnd + 1] <= off + n) iEnd++;
  if (iEnd - iFirst > SST_AHEAD_MAX) iFirst = iEnd - SST_AHEAD_MAX;
  if (!p->pCache || iEnd == iFirst) return;
  sstDecodeRun(p, iFirst, iEnd - 1, UINT32_MAX, a + (p->aOff[iFirst] - off), aRef, NULL);
  for (u32 i = iFirst; i < iEnd; i++) blockRefRelease(p, &aRef[i - iFirst]);
}

int sdbSstOpenForScan(SdbStore *pStore, const char *zKey, const SdbSstInfo *pInfo,
                      u16 formatVersion, SdbCache *pCache, int bDesc, SdbSst **pp,
                      SdbErr *pErr) {
  if (!pStore->pMethods->xGetMany || !pCache || !pInfo || pInfo->filterOffset == 0) {
    return sstOpen(pStore, zKey, pInfo, formatVersion, pCache, 0, NULL, pp, pErr);
  }
  SstRaw *r = bDesc ? NULL : sstRawStart(pStore, pCache, zKey, pInfo->filterOffset);
  if (r) {   /* the data's first windows and the index at once */
    int rc = sstOpen(pStore, zKey, pInfo, formatVersion, pCache, 0, NULL, pp, pErr);
    if (rc) {
      sstRawFree(r, pCache);
      return rc;
    }
    (*pp)->pRaw = r;   /* not shared yet: no lock needed */
    return SDB_OK;
  }
  SdbGetReq a[2];
  memset(a, 0, sizeof(a));
  a[0].zKey = a[1].zKey = zKey;
  sdbSstOpenSpan(pInfo, 0, &a[0].iOff, &a[0].nLen);
  a[1].nLen = SDB_MIN((u64)SST_HEAD_READ, pInfo->filterOffset);
  a[1].iOff = bDesc ? pInfo->filterOffset - a[1].nLen : 0;   /* the last blocks, or the first */
  SdbErr err;
  sdbStoreGetMany(pStore, a, 2, &err);
  SstBytes have = {a[0].out.a, a[0].out.n, a[0].iOff};
  /* A failed index read is read (and reported) again by the open. */
  int rc = sstOpen(pStore, zKey, pInfo, formatVersion, pCache, 0, a[0].rc ? NULL : &have, pp, pErr);
  if (rc == SDB_OK && a[1].rc == SDB_OK) sstInstallSpan(*pp, a[1].out.a, a[1].out.n, a[1].iOff);
  sdbBufFree(&a[0].out);
  sdbBufFree(&a[1].out);
  return rc;
}

/* ------------------------------------------------------------ prefetch */
int sdbSstPrefetchPlan(SdbSst *p, const SdbRange *r, int bDesc, SdbSstSpan *pSpan,
                       SdbErr *pErr) {
  i64 lo, hi;
  memset(pSpan, 0, sizeof(*pSpan));
  if (!p->pCache || !p->bSorted) return SDB_OK;
  int rc = sstPlanBlocks(p, r, &lo, &hi, pErr);
  if (rc || hi < lo) return rc;
  /* The first block a read visits, and for a point its neighbour too (a
  ** key's versions may straddle a block boundary). */
  i64 iFirst = bDesc ? hi : lo, iLast = iFirst;
  if (sdbRangeIsPoint(r) && hi > lo) iLast = lo + 1;
  for (i64 i = iFirst; i <= iLast; i++) {
    if (sdbCacheContains(p->pCache, p->uid, (u32)i)) {
      if (i == iFirst) iFirst++;
      else iLast = i - 1;
    }
  }
  if (iFirst > iLast) return SDB_OK;
  pSpan->iFirst = (u32)iFirst;
  pSpan->iLast = (u32)iLast;
  pSpan->off = p->aOff[iFirst];
  pSpan->len = p->aOff[iLast + 1] - pSpan->off;
  pSpan->bNeed = pSpan->len <= SST_AHEAD_BYTES;
  return SDB_OK;
}

void sdbSstPrefetchInstall(SdbSst *p, const SdbSstSpan *pSpan, const SdbBuf *pBytes) {
  BlockRef aRef[SST_AHEAD_MAX];
  u32 n = pSpan->iLast - pSpan->iFirst + 1;
  if (!pSpan->bNeed || pBytes->n != pSpan->len || n > SST_AHEAD_MAX) return;
  /* No block is required: one that does not decode is reported by the
  ** iterator that needs it. */
  sstDecodeRun(p, pSpan->iFirst, pSpan->iLast, UINT32_MAX, pBytes->a, aRef, NULL);
  for (u32 i = 0; i < n; i++) blockRefRelease(p, &aRef[i]);
}

/* ------------------------------------------------------------ verify */
int sdbSstVerify(SdbSst *p, SdbErr *pErr) {
  SdbBuf io = {0}, pay = {0};
  SdbBlockBuf slot = {0};
  int rc = SDB_OK;
  for (u32 i = 0; i < p->nBlock && rc == SDB_OK; i++) {
    u64 n;
    const SdbBlock *pBlock = NULL;
    rc = sstBlockLen(p, i, &n, pErr);
    if (rc == SDB_OK) rc = sstRead(p, p->aOff[i], n, &io, pErr);
    if (rc == SDB_OK) rc = sstDecodeBlock(p, i, io.a, io.n, &slot, &pay, &pBlock, pErr);
  }
  if (rc == SDB_OK && p->info.filterLen) {
    SstFilter *f = NULL;
    rc = sstFilterRead(p, &f, pErr);
    filterFree(f);
  }
  if (rc == SDB_OK) {
    rc = sstRead(p, p->info.indexOffset, p->info.indexLen, &io, pErr);
    if (rc == SDB_OK) rc = sstUnframe(p, io.a, io.n, "index", &pay, pErr);
  }
  if (rc == SDB_OK && p->info.statsLen) {
    if (p->info.statsLen > SST_SECTION_MAX) rc = sdbCorrupt(pErr, "stats: too large");
    if (rc == SDB_OK) rc = sstRead(p, p->info.statsOffset, p->info.statsLen, &io, pErr);
    if (rc == SDB_OK) rc = sstUnframe(p, io.a, io.n, "stats", &pay, pErr);
    if (rc == SDB_OK) {
      SdbFb fb = {pay.a, pay.n};
      SdbFbTable t;
      rc = sdbFbRoot(&fb, &t, pErr);
      if (rc) sdbErrWrap(pErr, "stats: ");
    }
  }
  sdbBufFree(&io);
  sdbBufFree(&pay);
  sdbBlockBufFree(&slot);
  return rc ? sstWrap(p, rc, pErr) : SDB_OK;
}
