/*
** fuzz_block.c: libFuzzer target for the block and codec decoders.
**
** Input layout (so one corpus covers every decoder):
**   byte 0: bit 0 = block format (0 -> version 2, 1 -> version 1);
**           bits 1..3 = codec (SDB_CODEC_* 0..4; 5..7 mean none)
**   rest:   a block payload stored with that codec (spec/SST.md §3, §5)
** The payload is decompressed (output capped at 1 MiB), decoded as a block
** (also into a reused buffer, which must agree), iterated in both directions and with seeks, and the same bytes are also
** probed as a bloom filter (legacy and composite). Any input must end in
** SDB_OK or SDB_CORRUPT without a crash, leak or sanitizer report.
*/
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "table/block.h"
#include "table/bloom.h"
#include "table/compress.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Read the rows of b within r (NULL = all) in the given direction, finding
** the bounds the way the SST iterator does (sdbBlockSeek). */
static void walk(const SdbBlock *b, const SdbRange *r, int bDesc) {
  u32 iLo = (r && r->bHasLo) ? sdbBlockSeek(b, r->pLo, r->nLo, r->bLoExcl) : 0;
  u32 iHi = (r && r->bHasHi) ? sdbBlockSeek(b, r->pHi, r->nHi, !r->bHiExcl) : b->nRow;
  volatile size_t sum = 0;
  for (u32 k = iLo; k < iHi; k++) {
    SdbEntry e;
    sdbBlockRowEntry(b, bDesc ? iHi - 1 - (k - iLo) : k, &e);
    for (size_t i = 0; i < e.nKey; i++) sum += e.pKey[i];
    for (size_t i = 0; i < e.nVal; i++) sum += e.pVal[i];
  }
  (void)sum;
}

/* True if blocks a and b hold the same rows. */
static int sameRows(const SdbBlock *a, const SdbBlock *b) {
  if (a->nRow != b->nRow || a->nCommon != b->nCommon) return 0;
  for (u32 i = 0; i < a->nRow; i++) {
    SdbEntry x, y;
    sdbBlockRowEntry(a, i, &x);
    sdbBlockRowEntry(b, i, &y);
    if (x.nKey != y.nKey || memcmp(x.pKey, y.pKey, x.nKey) || x.nVal != y.nVal ||
        (x.nVal && memcmp(x.pVal, y.pVal, x.nVal)) || x.seq != y.seq || x.eKind != y.eKind ||
        x.expireTs != y.expireTs || x.createTs != y.createTs || a->aPfx[i] != b->aPfx[i]) {
      return 0;
    }
  }
  return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  int version = (data[0] & 1) ? 1 : 2;
  int codec = (data[0] >> 1) & 7;
  if (codec > SDB_CODEC_ZSTD) codec = SDB_CODEC_NONE;
  const u8 *a = data + 1;
  size_t n = size - 1;
  SdbErr err = {0};
  SdbBuf pay = {0};
  int rc = sdbDecompressLimit(codec, a, n, (size_t)1 << 20, &pay, &err);
  if (rc != SDB_OK && rc != SDB_CORRUPT) abort();
  if (rc == SDB_OK) {
    /* Also into a reused buffer (a long scan's), twice: the same answer and
    ** the same rows as a new block. */
    SdbBlockBuf buf = {0};
    const SdbBlock *pInto = NULL;
    int rcInto = sdbBlockDecodeInto(pay.a, pay.n, version, &buf, &pInto, &err);
    if (rcInto == SDB_OK) rcInto = sdbBlockDecodeInto(pay.a, pay.n, version, &buf, &pInto, &err);
    SdbBlock *b = NULL;
    rc = sdbBlockDecode(&pay, version, &b, &err);
    if (rc != SDB_OK && rc != SDB_CORRUPT) abort();
    if (rcInto != rc || (rc == SDB_OK && !sameRows(b, pInto))) abort();
    sdbBlockBufFree(&buf);
    if (rc == SDB_OK) {
      /* The common prefix the seek relies on: every key begins with it, and
      ** each row's prefix is its next 8 bytes. */
      for (u32 i = 0; i < b->nRow; i++) {
        u32 nC = b->nCommon, nKey = b->aRow[i].nKey;
        if (nC > nKey || memcmp(sdbBlockKey(b, i), sdbBlockKey(b, 0), nC) != 0 ||
            b->aPfx[i] != sdbKeyPrefix(sdbBlockKey(b, i) + nC, nKey - nC)) {
          abort();
        }
      }
      walk(b, NULL, 0);
      walk(b, NULL, 1);
      if (b->nRow > 0) {
        /* Rows need not be sorted: seeks must still stay in bounds. */
        const u8 *pKey = sdbBlockKey(b, b->nRow / 2);
        u32 nKey = b->aRow[b->nRow / 2].nKey;
        SdbRange r = {pKey, nKey, 1, 0, pKey, nKey, 1, 1};
        walk(b, &r, 0);
        walk(b, &r, 1);
        r.bHiExcl = 0;
        r.pLo = (const u8 *)"";
        r.nLo = 0;
        walk(b, &r, 1);
        (void)sdbBlockSeek(b, pKey, nKey, 1);
      }
      sdbBlockFree(b);
    }
  }
  sdbBufFree(&pay);

  /* The same bytes as a bloom filter payload. */
  (void)sdbBloomMayContain(a, n, (const u8 *)"key", 3);
  const u8 *pBf = NULL;
  size_t nBf = 0;
  if (sdbBloomFromComposite(a, n, &pBf, &nBf, &err) == SDB_OK && pBf) {
    (void)sdbBloomMayContain(pBf, nBf, a, n > 16 ? 16 : n);
  }
  return 0;
}
