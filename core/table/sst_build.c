/*
** sst_build.c: the SST writer (format version 2), matching what SlateDB 0.12.1
** writes (slatedb/src/format/sst.rs at fce6ed00; spec/SST.md).
**
**   [data blocks][filter][index][stats][SsTableInfo][u32 BE CRC][u64 BE meta_offset][u16 BE 2]
**
** Every section except the info is stored as codec(payload) followed by the
** big-endian CRC-32 of the stored bytes. The info is never compressed.
**   - blocks: V2 rows with restart points every 16 rows (block.h builder).
**   - filter (compacted SSTs with >= min_filter_keys rows): u16 BE num_probes
**     + bloom bits over every row's key (bloom.h). filter_offset is always the
**     end of the data blocks, even without a filter.
**   - index: SsTableIndex { 0 block_meta: [BlockMeta { 0 offset u64,
**     1 first_key [ubyte] }] }. Compacted: block 0's key is empty, later ones
**     the shortest separator from the previous block's last key (§9). WAL: the
**     8-byte BE seq of the block's first row.
**   - stats (compacted only): SstStats { 0 num_puts, 1 num_deletes,
**     2 num_merges, 3 raw_key_size, 4 raw_val_size, 5 block_stats:
**     [BlockStats { 0 puts u16, 1 deletes u16, 2 merges u16 }] } (the vector
**     is omitted when there are no blocks).
**   - info: SsTableInfo (table/sstinfo.h field list): first_entry = first key
**     (compacted) or 8-byte BE first seq (WAL); last_entry = last key
**     (compacted only); sst_type 1 for WAL.
** An empty compacted SST (no rows) is the fence WAL that writers plant at
** open: no blocks, empty index, empty stats, no first/last entry (§11).
*/
#include "table/block.h"
#include "table/bloom.h"
#include "table/compress.h"
#include "util/fbbuild.h"
#include "table/sstinfo.h"
#include "table/sst_build.h"

typedef struct BlockMetaRec {
  u64 offset;             /* block offset in the object */
  size_t iKey, nKey;      /* index key bytes in SdbSstBuilder.keys */
  u32 nPut, nDel, nMerge; /* per-block counts for the stats */
} BlockMetaRec;

struct SdbSstBuilder {
  SdbSstOptions opt;
  SdbBlockBuilder block;  /* rows of the current block */
  SdbBuf out;             /* the object so far (finished blocks) */
  SdbBuf keys;            /* index keys of all blocks, concatenated */
  SdbBuf prevLast;        /* last key of the previous finished block */
  SdbBuf firstKey;        /* first key of the SST (compacted) */
  SdbBuf lastKey;         /* last key added (compacted) */
  SdbBuf tmp, tmp2;       /* scratch for encoding/compression */
  BlockMetaRec *aMeta;    /* one per finished block */
  int nMeta, nMetaAlloc;
  u64 *aHash;             /* bloom hashes of every row key (compacted) */
  size_t nHash, nHashAlloc;
  u64 firstSeq;           /* WAL: seq of the first row */
  u64 nRow;
  u64 nPut, nDel, nMerge, rawKey, rawVal;
  u32 curPut, curDel, curMerge;   /* counts of the current block */
};

void sdbSstOptionsDefault(SdbSstOptions *p) {
  memset(p, 0, sizeof(*p));
  p->blockSize = 4096;
  p->eCodec = SDB_CODEC_NONE;
  p->filterBitsPerKey = 10;
  p->minFilterKeys = 1000;
}

SdbSstBuilder *sdbSstBuilderNew(const SdbSstOptions *pOpt) {
  SdbSstBuilder *p = sdbMallocZero(sizeof(*p));
  if (!p) return NULL;
  p->opt = *pOpt;
  sdbBlockBuilderInit(&p->block, pOpt->blockSize);
  return p;
}

void sdbSstBuilderFree(SdbSstBuilder *p) {
  if (!p) return;
  sdbBlockBuilderFree(&p->block);
  sdbBufFree(&p->out);
  sdbBufFree(&p->keys);
  sdbBufFree(&p->prevLast);
  sdbBufFree(&p->firstKey);
  sdbBufFree(&p->lastKey);
  sdbBufFree(&p->tmp);
  sdbBufFree(&p->tmp2);
  sdbFree(p->aMeta);
  sdbFree(p->aHash);
  sdbFree(p);
}

u64 sdbSstBuilderEstimate(const SdbSstBuilder *p) {
  return p->out.n + sdbBlockBuilderSize(&p->block) + p->keys.n + 32ull * (u64)p->nMeta +
         (p->opt.bWal ? 0 : p->nRow * p->opt.filterBitsPerKey / 8) + 128;
}

/* Append codec(payload) + CRC to p->out. */
static int appendSection(SdbSstBuilder *p, const u8 *a, size_t n, SdbErr *pErr) {
  const u8 *pStored = a;
  size_t nStored = n;
  if (p->opt.eCodec != SDB_CODEC_NONE) {
    p->tmp2.n = 0;
    int rc = sdbCompress(p->opt.eCodec, a, n, &p->tmp2, pErr);
    if (rc) return rc;
    pStored = p->tmp2.a;
    nStored = p->tmp2.n;
  }
  u8 crc[4];
  sdbPutU32BE(crc, sdbCrc32(pStored, nStored));
  if (sdbBufAppend(&p->out, pStored, nStored) || sdbBufAppend(&p->out, crc, 4)) {
    return SDB_NOMEM_ERR(pErr);
  }
  return SDB_OK;
}

/* Make room for one more BlockMetaRec. SDB_OK or SDB_NOMEM. */
static int growMeta(SdbSstBuilder *p) {
  if (p->nMeta < p->nMetaAlloc) return SDB_OK;
  int nNew = p->nMetaAlloc ? p->nMetaAlloc * 2 : 16;
  BlockMetaRec *a = sdbRealloc(p->aMeta, sizeof(BlockMetaRec) * (size_t)nNew);
  if (!a) return SDB_NOMEM;
  p->aMeta = a;
  p->nMetaAlloc = nNew;
  return SDB_OK;
}

/* Index key of the block that starts with key k (compacted SSTs, §9). */
static void separator(const SdbBuf *prev, const u8 *k, size_t nk, size_t *pn) {
  size_t n = SDB_MIN(prev->n, nk), j = 0;
  while (j < n && prev->a[j] == k[j]) j++;
  if (j < n) *pn = j + 1;
  else if (prev->n == nk) *pn = nk;
  else *pn = SDB_MIN(prev->n + 1, nk);
}

/* Close the current block (if it has rows): encode, compress, record meta. */
static int finishBlock(SdbSstBuilder *p, SdbErr *pErr) {
  if (p->block.nRow == 0) return SDB_OK;
  if (growMeta(p)) return SDB_NOMEM_ERR(pErr);
  BlockMetaRec *m = &p->aMeta[p->nMeta];
  m->offset = p->out.n;
  m->nPut = p->curPut;
  m->nDel = p->curDel;
  m->nMerge = p->curMerge;
  p->tmp.n = 0;
  int rc = sdbBlockBuilderFinish(&p->block, &p->tmp, pErr);
  if (rc == SDB_OK) rc = appendSection(p, p->tmp.a, p->tmp.n, pErr);
  if (rc) return rc;
  if (sdbBufSet(&p->prevLast, p->block.lastKey.a, p->block.lastKey.n)) return SDB_NOMEM_ERR(pErr);
  sdbBlockBuilderReset(&p->block);
  p->curPut = p->curDel = p->curMerge = 0;
  p->nMeta++;
  return SDB_OK;
}

/* Record the index key of a block that starts with row e. */
static int startBlock(SdbSstBuilder *p, const SdbEntry *e, SdbErr *pErr) {
  size_t nKey = 0;
  u8 aSeq[8];
  const u8 *pKey = e->pKey;
  if (p->opt.bWal) {
    sdbPutU64BE(aSeq, e->seq);
    pKey = aSeq;
    nKey = 8;
  } else if (p->nMeta > 0) {
    separator(&p->prevLast, e->pKey, e->nKey, &nKey);
  }
  size_t iKey = p->keys.n;
  if (sdbBufAppend(&p->keys, pKey, nKey)) return SDB_NOMEM_ERR(pErr);
  /* Record the key position in the slot the block will use. */
  if (growMeta(p)) return SDB_NOMEM_ERR(pErr);
  p->aMeta[p->nMeta].iKey = iKey;
  p->aMeta[p->nMeta].nKey = nKey;
  return SDB_OK;
}

static int addHash(SdbSstBuilder *p, const SdbEntry *e) {
  if (p->nHash == p->nHashAlloc) {
    size_t nNew = p->nHashAlloc ? p->nHashAlloc * 2 : 1024;
    u64 *a = sdbRealloc(p->aHash, sizeof(u64) * nNew);
    if (!a) return SDB_NOMEM;
    p->aHash = a;
    p->nHashAlloc = nNew;
  }
  p->aHash[p->nHash++] = sdbSipHash13(e->pKey, e->nKey);
  return SDB_OK;
}

int sdbSstBuilderAdd(SdbSstBuilder *p, const SdbEntry *e, SdbErr *pErr) {
  if (e->nKey == 0 || e->nKey > 65535) {
    return sdbErrSet(pErr, SDB_RANGE, "key length %zu outside 1..65535", e->nKey);
  }
  int rc;
  if (p->block.nRow > 0 && !sdbBlockBuilderWouldFit(&p->block, e)) {
    if ((rc = finishBlock(p, pErr))) return rc;
  }
  if (p->block.nRow == 0) {
    if ((rc = startBlock(p, e, pErr))) return rc;
  }
  if ((rc = sdbBlockBuilderAdd(&p->block, e, pErr))) return rc;
  if (p->nRow == 0) {
    p->firstSeq = e->seq;
    if (sdbBufSet(&p->firstKey, e->pKey, e->nKey)) return SDB_NOMEM_ERR(pErr);
  }
  if (!p->opt.bWal) {
    if (sdbBufSet(&p->lastKey, e->pKey, e->nKey) || addHash(p, e)) return SDB_NOMEM_ERR(pErr);
  }
  p->nRow++;
  p->rawKey += e->nKey;
  if (e->eKind == SDB_KIND_TOMBSTONE) { p->nDel++; p->curDel++; }
  else if (e->eKind == SDB_KIND_MERGE) { p->nMerge++; p->curMerge++; p->rawVal += e->nVal; }
  else { p->nPut++; p->curPut++; p->rawVal += e->nVal; }
  return SDB_OK;
}

/* Finish FlatBuffer f into *pOut (replacing its contents). */
static int finishInto(SdbFbb *f, SdbBuf *pOut, const char *zWhat, SdbErr *pErr) {
  u8 *a = NULL;
  size_t n = 0;
  int rc = sdbFbbFinish(f, &a, &n);
  if (rc) return sdbErrSet(pErr, rc, "encoding the SST %s failed", zWhat);
  sdbBufFree(pOut);
  pOut->a = a;
  pOut->n = pOut->nAlloc = n;
  return SDB_OK;
}

/* Encode the SsTableIndex FlatBuffer into p->tmp. */
static int encodeIndex(SdbSstBuilder *p, SdbErr *pErr) {
  SdbFbb f;
  SdbFbbTable root;
  sdbFbbInit(&f, NULL, 0);
  sdbFbbTableInit(&root);
  sdbFbbAddRef(&root, 0);
  sdbFbbSetRoot(&f, sdbFbbTableWrite(&f, &root));
  u32 vec = sdbFbbVecTables(&f, (u32)p->nMeta);
  sdbFbbPatchField(&f, &root, 0, vec);
  for (int i = 0; i < p->nMeta; i++) {
    SdbFbbTable t;
    sdbFbbTableInit(&t);
    if (p->aMeta[i].offset) sdbFbbAddU64(&t, 0, p->aMeta[i].offset);
    sdbFbbAddRef(&t, 1);
    u32 pos = sdbFbbTableWrite(&f, &t);
    sdbFbbPatchElem(&f, vec, (u32)i, pos);
    const u8 *pKey = p->keys.a ? p->keys.a + p->aMeta[i].iKey : (const u8 *)"";
    sdbFbbPatchField(&f, &t, 1, sdbFbbBytes(&f, pKey, (u32)p->aMeta[i].nKey));
  }
  return finishInto(&f, &p->tmp, "index", pErr);
}

static int encodeStats(SdbSstBuilder *p, SdbErr *pErr) {
  SdbFbb f;
  SdbFbbTable root;
  sdbFbbInit(&f, NULL, 0);
  sdbFbbTableInit(&root);
  if (p->nPut) sdbFbbAddU64(&root, 0, p->nPut);
  if (p->nDel) sdbFbbAddU64(&root, 1, p->nDel);
  if (p->nMerge) sdbFbbAddU64(&root, 2, p->nMerge);
  if (p->rawKey) sdbFbbAddU64(&root, 3, p->rawKey);
  if (p->rawVal) sdbFbbAddU64(&root, 4, p->rawVal);
  if (p->nMeta) sdbFbbAddRef(&root, 5);
  sdbFbbSetRoot(&f, sdbFbbTableWrite(&f, &root));
  if (p->nMeta) {
    u32 vec = sdbFbbVecTables(&f, (u32)p->nMeta);
    sdbFbbPatchField(&f, &root, 5, vec);
    for (int i = 0; i < p->nMeta; i++) {
      SdbFbbTable t;
      sdbFbbTableInit(&t);
      if (p->aMeta[i].nPut) sdbFbbAddU16(&t, 0, (u16)SDB_MIN(p->aMeta[i].nPut, 0xffff));
      if (p->aMeta[i].nDel) sdbFbbAddU16(&t, 1, (u16)SDB_MIN(p->aMeta[i].nDel, 0xffff));
      if (p->aMeta[i].nMerge) sdbFbbAddU16(&t, 2, (u16)SDB_MIN(p->aMeta[i].nMerge, 0xffff));
      sdbFbbPatchElem(&f, vec, (u32)i, sdbFbbTableWrite(&f, &t));
    }
  }
  return finishInto(&f, &p->tmp, "stats", pErr);
}

/* Set pInfo's first_entry / last_entry from the rows added. */
static int fillEntries(SdbSstBuilder *p, SdbSstInfo *pInfo) {
  u8 aSeq[8];
  if (p->nRow == 0) return SDB_OK;
  pInfo->bHasFirst = 1;
  if (p->opt.bWal) {
    sdbPutU64BE(aSeq, p->firstSeq);
    pInfo->pFirst = sdbMemdup(aSeq, 8);
    pInfo->nFirst = 8;
  } else {
    pInfo->pFirst = sdbMemdup(p->firstKey.a, p->firstKey.n);
    pInfo->nFirst = (u32)p->firstKey.n;
    pInfo->bHasLast = 1;
    pInfo->pLast = sdbMemdup(p->lastKey.a, p->lastKey.n);
    pInfo->nLast = (u32)p->lastKey.n;
    if (!pInfo->pLast) return SDB_NOMEM;
  }
  return pInfo->pFirst ? SDB_OK : SDB_NOMEM;
}

static int appendInfoAndFooter(SdbSstBuilder *p, const SdbSstInfo *pInfo, SdbErr *pErr) {
  SdbFbb f;
  u8 *a = NULL;
  size_t n = 0;
  sdbFbbInit(&f, NULL, 0);
  sdbFbbSetRoot(&f, sdbSstInfoWrite(&f, pInfo));
  int rc = sdbFbbFinish(&f, &a, &n);
  if (rc) return sdbErrSet(pErr, rc, "encoding the SST info failed");
  u64 metaOffset = p->out.n;
  u8 crc[4], footer[10];
  sdbPutU32BE(crc, sdbCrc32(a, n));
  sdbPutU64BE(footer, metaOffset);
  sdbPutU16BE(footer + 8, 2);
  rc = sdbBufAppend(&p->out, a, n) || sdbBufAppend(&p->out, crc, 4) ||
       sdbBufAppend(&p->out, footer, 10);
  sdbFree(a);
  return rc ? SDB_NOMEM_ERR(pErr) : SDB_OK;
}

/* sdbSstBuilderFinish once the last block is in p->out: the sections after
** it, appended to p->out. */
static int finishTail(SdbSstBuilder *p, SdbBuf *pOut, SdbSstInfo *pInfo, SdbErr *pErr) {
  int rc;
  pInfo->eCodec = (u8)p->opt.eCodec;
  pInfo->eSstType = p->opt.bWal ? SDB_SST_WAL : SDB_SST_COMPACTED;
  pInfo->filterOffset = p->out.n;
  if (!p->opt.bWal && p->nRow > 0 && p->nRow >= p->opt.minFilterKeys) {
    p->tmp.n = 0;
    rc = sdbBloomBuildHashes(p->aHash, p->nHash, p->opt.filterBitsPerKey, &p->tmp, pErr);
    if (rc == SDB_OK) rc = appendSection(p, p->tmp.a, p->tmp.n, pErr);
    if (rc) return rc;
    pInfo->filterLen = p->out.n - pInfo->filterOffset;
  }
  pInfo->indexOffset = p->out.n;
  rc = encodeIndex(p, pErr);
  if (rc == SDB_OK) rc = appendSection(p, p->tmp.a, p->tmp.n, pErr);
  if (rc) return rc;
  pInfo->indexLen = p->out.n - pInfo->indexOffset;
  if (!p->opt.bWal) {
    pInfo->statsOffset = p->out.n;
    rc = encodeStats(p, pErr);
    if (rc == SDB_OK) rc = appendSection(p, p->tmp.a, p->tmp.n, pErr);
    if (rc) return rc;
    pInfo->statsLen = p->out.n - pInfo->statsOffset;
  }
  if (fillEntries(p, pInfo)) {
    sdbSstInfoClear(pInfo);
    return SDB_NOMEM_ERR(pErr);
  }
  rc = appendInfoAndFooter(p, pInfo, pErr);
  if (rc) {
    sdbSstInfoClear(pInfo);
    return rc;
  }
  sdbBufFree(pOut);
  *pOut = p->out;
  memset(&p->out, 0, sizeof(p->out));
  return SDB_OK;
}

/* See sst_build.h. A failure truncates p->out to the last finished block,
** the builder's state between adds. */
int sdbSstBuilderFinish(SdbSstBuilder *p, SdbBuf *pOut, SdbSstInfo *pInfo, SdbErr *pErr) {
  memset(pInfo, 0, sizeof(*pInfo));
  size_t nOut = p->out.n;
  int rc = finishBlock(p, pErr);
  if (rc == SDB_OK) {
    nOut = p->out.n;
    rc = finishTail(p, pOut, pInfo, pErr);
  }
  if (rc) p->out.n = nOut;
  return rc;
}
