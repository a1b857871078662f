/*
** block.h: SST data blocks: decoding (format versions 1 and 2), row access
** and seek, and the V2 block builder.
**
** Block payload (after the section CRC is checked and the codec undone;
** spec/SST.md §5; slatedb/src/format/block.rs and block_v2.rs at fce6ed00):
**
**   | rows ... | off[0] u16 BE | ... | off[C-1] u16 BE | C u16 BE |
**
**   V2 (format_version 2): off[] are restart points (every 16th row in
**   SlateDB's output); a restart row stores its whole key, the others share a
**   prefix with the PREVIOUS row's key. Row (row_codec_v2.rs):
**     varint32 shared | varint32 unshared | varint32 value_len |
**     key suffix | value | u64 BE seq | u8 flags |
**     [i64 BE expire_ts if flags&2] | [i64 BE create_ts if flags&4]
**   V1 (format_version 1, read only): off[] locate EVERY row; keys share a
**   prefix with the block's FIRST key. Row (row.rs, "V0" codec):
**     u16 BE prefix_len | u16 BE suffix_len | suffix | u64 BE seq | u8 flags |
**     [i64 BE expire_ts] | [i64 BE create_ts] |
**     (not for tombstones:) u32 BE value_len | value
**   Flags: 1 TOMBSTONE, 2 HAS_EXPIRE_TS, 4 HAS_CREATE_TS, 8 MERGE_OPERAND. Any
**   other bit, or TOMBSTONE together with MERGE_OPERAND, is corrupt.
**
** A decoded block (SdbBlock) is immutable: one allocation holds a copy of the
** payload bytes, one 8-byte key prefix per row (sdbKeyPrefix of the key
** past the bytes all the block's keys share, for the seek's binary search),
** one 32-byte array entry per row (offsets, seq, flags) and the keys that
** prefix compression made it rebuild, so it can be shared
** between threads (through the block cache) and walked in either direction
** in O(1) per row.
*/
#ifndef SDB_BLOCK_H
#define SDB_BLOCK_H

#include "util/sdbInt.h"

#define SDB_ROW_TOMBSTONE  0x01
#define SDB_ROW_EXPIRE_TS  0x02
#define SDB_ROW_CREATE_TS  0x04
#define SDB_ROW_MERGE      0x08

/* The restart interval SlateDB 0.12.1 writes. */
#define SDB_BLOCK_RESTART_INTERVAL 16

/* One decoded row: offsets into the owning block's aData (payload, then the
** arena of rebuilt keys). Timestamps are read from the payload on demand:
** expire_ts at offTs (if flags has SDB_ROW_EXPIRE_TS), create_ts after it. */
typedef struct SdbBlockRow {
  u32 offKey, nKey;
  u32 offVal, nVal;       /* nVal = 0 and offVal = 0 for tombstones */
  u64 seq;
  u32 offTs;
  u8 flags;               /* SDB_ROW_* as reported (validated) */
} SdbBlockRow;

/* One allocation: this header, nRow key prefixes, nRow rows, the payload
** copy, the key arena. */
typedef struct SdbBlock {
  u32 nRow;               /* number of rows */
  u16 formatVersion;      /* 1 or 2 */
  u32 nCommon;            /* bytes every row's key begins with (0 if no rows) */
  SdbBlockRow *aRow;      /* nRow rows in file order */
  const u64 *aPfx;        /* aPfx[i] = sdbKeyPrefix(key of row i past nCommon bytes) */
  const u8 *aData;        /* the payload bytes, followed by the key arena */
  size_t nMem;            /* total heap bytes held (for cache accounting) */
} SdbBlock;

/*
** Key prefixes: the first 8 bytes of a key as a big-endian integer, padded
** with zero bytes when the key is shorter. If sdbKeyPrefix(a) <
** sdbKeyPrefix(b) then sdbKeyCmp(a, b) < 0 (the first differing byte is
** within the first 8, or a ends there); equal prefixes decide nothing ("ab"
** and "ab\0" share one), so a tie is broken by sdbKeyCmpTie. Ordering by
** (prefix, sdbKeyCmpTie) is exactly sdbKeyCmp's order.
*/
static inline u64 sdbKeyPrefix(const u8 *a, size_t n) {
  if (n >= 8) return sdbGetU64BE(a);
  u64 v = 0;
  size_t i = 0;
  if (n >= 4) {
    v = (u64)sdbGetU32BE(a) << 32;
    i = 4;
  }
  for (; i < n; i++) v |= (u64)a[i] << (56 - 8 * i);
  return v;
}
/* sdbKeyCmp of two keys whose prefixes are equal. When one key has at most
** 8 bytes, all of them are in its prefix, so it is a prefix of the other
** (whose next bytes, up to 8, are zeros): the shorter key sorts first.
** Otherwise their first 8 bytes are equal and only the rest is compared. */
static inline int sdbKeyCmpTie(const u8 *a, size_t na, const u8 *b, size_t nb) {
  if (na <= 8 || nb <= 8) return na < nb ? -1 : na > nb;
  return sdbKeyCmp(a + 8, na - 8, b + 8, nb - 8);
}

/* The sign of memcmp(a, b, n), 8 bytes at a time (for short, inlined
** comparisons). */
static inline int sdbBytesCmp(const u8 *a, const u8 *b, size_t n) {
  for (; n >= 8; a += 8, b += 8, n -= 8) {
    u64 x = sdbGetU64BE(a), y = sdbGetU64BE(b);
    if (x != y) return x < y ? -1 : 1;
  }
  for (; n; a++, b++, n--) {
    if (*a != *b) return *a < *b ? -1 : 1;
  }
  return 0;
}
/*
** A key to search for among a set of keys that all begin with the same
** nCommon bytes c (a block's rows, an SST's first keys; many key sets share
** a long prefix, which would make every 8-byte prefix tie): where it stands
** against the whole set, and the prefix of its bytes past c.
*/
typedef struct SdbKeyProbe {
  int side;               /* -1: below every key of the set; 1: above every
                          ** key; 0: begins with c, compare with sdbKeyProbeCmp */
  u64 pfx;                /* side 0: sdbKeyPrefix(a, n) */
  const u8 *a;            /* side 0: the key past its first nCommon bytes */
  size_t n;
} SdbKeyProbe;

/* Prepare *q for key[0..nKey) against a set whose keys begin with c[0..nC). */
static inline void sdbKeyProbeInit(SdbKeyProbe *q, const u8 *key, size_t nKey, const u8 *c,
                                   size_t nC) {
  size_t m = nKey < nC ? nKey : nC;
  int d = sdbBytesCmp(key, c, m);
  q->side = (d < 0 || (d == 0 && nKey < nC)) ? -1 : d > 0 ? 1 : 0;
  q->a = key + (q->side ? 0 : nC);
  q->n = q->side ? 0 : nKey - nC;
  q->pfx = q->side ? 0 : sdbKeyPrefix(q->a, q->n);
}

/* sdbKeyCmp(k, key of q) for a key k of the set given by its bytes past the
** common prefix, b[0..nb), whose sdbKeyPrefix is pb. REQUIRES q->side == 0. */
static inline int sdbKeyProbeCmp(u64 pb, const u8 *b, size_t nb, const SdbKeyProbe *q) {
  if (pb != q->pfx) return pb < q->pfx ? -1 : 1;
  return sdbKeyCmpTie(b, nb, q->a, q->n);
}

/* Length of the prefix that keys a[0..na) and b[0..nb) share, at most nMax
** (8 bytes at a time). */
static inline size_t sdbKeyCommon(const u8 *a, size_t na, const u8 *b, size_t nb, size_t nMax) {
  size_t m = na < nb ? na : nb, i = 0;
  if (m > nMax) m = nMax;
  for (; i + 8 <= m; i += 8) {
    u64 x = sdbGetU64BE(a + i) ^ sdbGetU64BE(b + i);
    if (x) return i + (size_t)(__builtin_clzll(x) / 8);
  }
  while (i < m && a[i] == b[i]) i++;
  return i;
}

/* Key of row i. REQUIRES i < nRow. */
static inline const u8 *sdbBlockKey(const SdbBlock *p, u32 i) { return p->aData + p->aRow[i].offKey; }

/*
** Decode a block payload a[0..n) written with format version 1 or 2 into a
** new block holding its own copy of the bytes (the caller keeps a).
** Validates the trailer, every row's bounds and flags, prefix lengths and
** (V2) that every restart offset is a row start with shared = 0.
** The caller owns *pp (sdbBlockFree); *pp is NULL on failure.
** Returns SDB_OK, SDB_CORRUPT (message says what), SDB_NOMEM, or SDB_CORRUPT
** when the decoded form would exceed 2 * SDB_DECOMPRESS_MAX bytes.
*/
int sdbBlockDecodeCopy(const u8 *a, size_t n, int formatVersion, SdbBlock **pp,
                       SdbErr *pErr);
/* As sdbBlockDecodeCopy, then frees *pPayload's bytes on success (they are
** consumed); on failure *pPayload is unchanged. */
int sdbBlockDecode(SdbBuf *pPayload, int formatVersion, SdbBlock **pp, SdbErr *pErr);
void sdbBlockFree(SdbBlock *p);      /* NULL-safe */

/* A buffer that decoded blocks reuse (a scan's blocks that do not go to the
** cache): one block at a time, grown when a block needs more room. Zero it
** before first use; sdbBlockBufFree releases it. */
typedef struct SdbBlockBuf {
  SdbBlock *p;            /* owned; the last block decoded into it, or NULL */
  size_t nAlloc;          /* bytes allocated at p */
} SdbBlockBuf;
/* As sdbBlockDecodeCopy, into pBuf's memory instead of a new allocation:
** *pp (borrowed, == pBuf->p) stays valid until the next decode into pBuf or
** sdbBlockBufFree. On failure *pp is NULL and pBuf's previous block may be
** gone. */
int sdbBlockDecodeInto(const u8 *a, size_t n, int formatVersion, SdbBlockBuf *pBuf,
                       const SdbBlock **pp, SdbErr *pErr);
void sdbBlockBufFree(SdbBlockBuf *pBuf);   /* the buffer is empty again */

/* Fill *pE from row i (pointers borrowed from the block). REQUIRES i < nRow.
** Inline: an SST iterator calls it for every row it yields. */
static inline void sdbBlockRowEntry(const SdbBlock *p, u32 i, SdbEntry *pE) {
  const SdbBlockRow *r = &p->aRow[i];
  unsigned f = r->flags;
  pE->pKey = p->aData + r->offKey;
  pE->nKey = r->nKey;
  pE->pVal = (f & SDB_ROW_TOMBSTONE) ? NULL : p->aData + r->offVal;
  pE->nVal = r->nVal;
  pE->seq = r->seq;
  pE->eKind = (f & SDB_ROW_TOMBSTONE) ? SDB_KIND_TOMBSTONE
              : (f & SDB_ROW_MERGE)   ? SDB_KIND_MERGE
                                      : SDB_KIND_VALUE;
  int bExpire = (f & SDB_ROW_EXPIRE_TS) != 0, bCreate = (f & SDB_ROW_CREATE_TS) != 0;
  pE->bHasCreateTs = bCreate;
  pE->bHasExpireTs = bExpire;
  const u8 *pTs = p->aData + r->offTs;
  pE->expireTs = bExpire ? (i64)sdbGetU64BE(pTs) : 0;
  pE->createTs = bCreate ? (i64)sdbGetU64BE(pTs + (bExpire ? 8 : 0)) : 0;
}

/* For blocks whose rows are sorted by key (compacted SSTs): the index of the
** first row whose key is >= key (bAfter = 0) or > key (bAfter = 1); nRow if
** none. After one comparison with the bytes all rows share, a binary
** search over the rows' key prefixes; a row's key bytes are read only on a
** prefix tie. */
u32 sdbBlockSeek(const SdbBlock *p, const u8 *key, size_t nKey, int bAfter);
/* The probe of key against the block's rows (sdbKeyProbeInit with their
** common prefix), for sdbBlockSeekProbe and row comparisons. */
static inline void sdbBlockProbe(const SdbBlock *p, const u8 *key, size_t nKey, SdbKeyProbe *q) {
  sdbKeyProbeInit(q, key, nKey, p->nRow ? sdbBlockKey(p, 0) : NULL, p->nCommon);
}
/* sdbKeyCmp(key of row i, key of q) on a prefix tie (sdbBlockRowCmp). */
int sdbBlockRowTie(const SdbBlock *p, u32 i, const SdbKeyProbe *q);
/* sdbKeyCmp(key of row i, key of q), q from sdbBlockProbe on this block with
** q->side == 0. Reads row i (its entry and key) only on a prefix tie. */
static inline int sdbBlockRowCmp(const SdbBlock *p, u32 i, const SdbKeyProbe *q) {
  u64 m = p->aPfx[i];
  if (m != q->pfx) return m < q->pfx ? -1 : 1;
  return sdbBlockRowTie(p, i, q);
}
/* sdbBlockSeek with the key's probe from sdbBlockProbe on this block. */
u32 sdbBlockSeekProbe(const SdbBlock *p, const SdbKeyProbe *q, int bAfter);
/* sdbBlockSeek that also sets *q as sdbBlockProbe does, reading no row's key
** but those the search visits: the key is assumed to begin with the rows'
** common prefix, which is then checked against the row the search ends on
** (the first row's key, which sdbBlockProbe compares with, is often not in
** the CPU cache, while the row found is read next anyway). */
u32 sdbBlockSeekAndProbe(const SdbBlock *p, const u8 *key, size_t nKey, int bAfter,
                         SdbKeyProbe *q);

/* ------------------------------------------------------------ V2 builder */
/*
** Builds one V2 block with restart interval 16 and SlateDB's cut rule
** (spec/SST.md §5.1). Usage: Init; repeat { if (!WouldFit) { Finish; Reset; }
** Add }; Finish; Free. Entries are copied.
*/
typedef struct SdbBlockBuilder {
  SdbBuf data;            /* encoded rows */
  SdbBuf restarts;        /* u16 BE restart offsets, already encoded */
  SdbBuf lastKey;         /* key of the last row added */
  u32 nRow;               /* rows added since the last Reset */
  size_t blockSize;       /* target block size in bytes */
} SdbBlockBuilder;

/* Prepare *p (caller-owned storage) for blocks of about blockSize bytes.
** The builder owns its buffers until sdbBlockBuilderFree. */
void sdbBlockBuilderInit(SdbBlockBuilder *p, size_t blockSize);
/* Start a new block; keeps the buffers' memory for reuse. */
void sdbBlockBuilderReset(SdbBlockBuilder *p);
/* Release the buffers. *p may be re-initialised afterwards. */
void sdbBlockBuilderFree(SdbBlockBuilder *p);

/* Encoded size of pE if it were added next (with the prefix it would share). */
size_t sdbBlockBuilderRowSize(const SdbBlockBuilder *p, const SdbEntry *pE);
/* True if pE may be added: the block is empty, or
**   data + 2*restarts + 2 + rowSize + (2 if pE starts a restart) <= blockSize
** (and a new restart offset would still fit in a u16). */
int sdbBlockBuilderWouldFit(const SdbBlockBuilder *p, const SdbEntry *pE);
/* Append pE. REQUIRES: pE->nKey >= 1, nVal <= UINT32_MAX, and (for a sorted
** block) key order. Does not check WouldFit. Returns SDB_OK or SDB_NOMEM. */
int sdbBlockBuilderAdd(SdbBlockBuilder *p, const SdbEntry *pE, SdbErr *pErr);
/* Current encoded size (rows + trailer). */
size_t sdbBlockBuilderSize(const SdbBlockBuilder *p);
/* APPEND the finished block payload (rows, restarts, count) to pOut.
** REQUIRES: at least one row. Returns SDB_OK, SDB_NOMEM or SDB_MISUSE. */
int sdbBlockBuilderFinish(SdbBlockBuilder *p, SdbBuf *pOut, SdbErr *pErr);

#endif /* SDB_BLOCK_H */
