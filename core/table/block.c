/*
** block.c: data block decoding (V1 and V2), row access and seek (the SST
** iterator walks blocks with them), and the V2 block builder.
**
** Byte layout (spec/SST.md §5-§6; slatedb/src/format/block.rs, block_v2.rs,
** row.rs and row_codec_v2.rs at fce6ed00), in short:
**
**   payload = rows | C u16 BE offsets | u16 BE C
**   V2 row  = varint shared, varint unshared, varint value_len, key suffix,
**             value, u64 BE seq, u8 flags, [i64 BE expire], [i64 BE create];
**             key = previous key[0..shared] ++ suffix; the offsets are restart
**             rows (shared = 0), the first at 0.
**   V1 row  = u16 BE prefix, u16 BE suffix_len, suffix, u64 BE seq, u8 flags,
**             [i64 BE expire], [i64 BE create], then for non-tombstones
**             u32 BE value_len and the value; key = first key[0..prefix] ++
**             suffix; the offsets locate every row, row 0 at offset 0.
**
** Decoding runs two passes over the rows. Pass 1 validates everything (every
** length against the bytes that remain, flags, prefix lengths, restart
** points) and counts rows and the key-arena bytes needed; nothing is trusted
** before it has been checked; for V2 it also records each row's decoded
** entry for pass 2 (up to BLOCK_NREC rows; pass 2 parses a larger block's
** rows again). Pass 2 copies the payload into the block's one
** allocation and fills the row array: a key that is stored whole points into
** the payload, a key equal to the previous one reuses it, any other key is
** rebuilt once into the arena after the payload; then the length of the
** prefix all keys share and each row's 8-byte key prefix past it
** (sdbKeyPrefix), which sdbBlockSeek searches. Rows hold 32-bit offsets
** (the decoded size is bounded by 2 * SDB_DECOMPRESS_MAX, so a hostile block
** can neither overflow them nor make the decoded form explode).
*/
#include "table/block.h"
#include "table/compress.h"
#include "util/rangeutil.h"

/* ------------------------------------------------------------ row parsing */

/* One row as stored; pointers into the payload. */
typedef struct RowRaw {
  u32 nShared;            /* V2: shared with previous key; V1: prefix of first key */
  const u8 *pSuffix;
  u32 nSuffix;
  const u8 *pVal;         /* NULL for tombstones */
  u32 nVal;
  u64 seq;
  i64 expireTs, createTs;
  u8 flags;
  size_t tsOff;           /* offset of the timestamps reported by flags */
  size_t end;             /* offset just past the row */
} RowRaw;

/* sdbCorrupt's message, then SDB_CORRUPT as a constant: the row parsers are
** inlined into loops, and a constant error code lets the compiler see that
** a successful parse filled the whole RowRaw. */
#define ROW_CORRUPT(...) (sdbCorrupt(__VA_ARGS__), SDB_CORRUPT)

static int badFlags(u8 f) {
  if (f & ~(SDB_ROW_TOMBSTONE | SDB_ROW_EXPIRE_TS | SDB_ROW_CREATE_TS | SDB_ROW_MERGE)) return 1;
  return (f & SDB_ROW_TOMBSTONE) && (f & SDB_ROW_MERGE);
}

/* Parse seq, flags and the timestamps at a[*pPos..end). */
static inline __attribute__((always_inline)) int parseTail(const u8 *a, size_t *pPos, size_t end,
                                                          RowRaw *r, u32 iRow, SdbErr *pErr) {
  size_t pos = *pPos;
  if (end - pos < 9) return ROW_CORRUPT(pErr, "block: row %u truncated at seq/flags", iRow);
  r->seq = sdbGetU64BE(a + pos);
  r->flags = a[pos + 8];
  pos += 9;
  if (badFlags(r->flags)) {
    return ROW_CORRUPT(pErr, "block: row %u has invalid flags 0x%02x", iRow, r->flags);
  }
  r->expireTs = r->createTs = 0;
  r->tsOff = pos;
  if (r->flags & SDB_ROW_EXPIRE_TS) {
    if (end - pos < 8) return ROW_CORRUPT(pErr, "block: row %u truncated at expire_ts", iRow);
    r->expireTs = (i64)sdbGetU64BE(a + pos);
    pos += 8;
  }
  if (r->flags & SDB_ROW_CREATE_TS) {
    if (end - pos < 8) return ROW_CORRUPT(pErr, "block: row %u truncated at create_ts", iRow);
    r->createTs = (i64)sdbGetU64BE(a + pos);
    pos += 8;
  }
  *pPos = pos;
  return SDB_OK;
}

/* The varint at a[pos..end) into *pV: its length, or 0 if truncated or too
** long. Lengths and shared-prefix sizes are almost always one byte. */
static inline int blockVarint(const u8 *a, size_t pos, size_t end, u32 *pV) {
  if (pos < end && a[pos] < 0x80) {
    *pV = a[pos];
    return 1;
  }
  return sdbGetVarint32(a + pos, a + end, pV);
}

/* Parse the V2 row at a[pos..end). */
static inline __attribute__((always_inline)) int parseRowV2(const u8 *a, size_t pos,
                                                            size_t end, RowRaw *r, u32 iRow,
                                                            SdbErr *pErr) {
  u32 nShared, nSuffix, nVal;
  int k;
  if (!(k = blockVarint(a, pos, end, &nShared))) goto bad_varint;
  pos += (size_t)k;
  if (!(k = blockVarint(a, pos, end, &nSuffix))) goto bad_varint;
  pos += (size_t)k;
  if (!(k = blockVarint(a, pos, end, &nVal))) goto bad_varint;
  pos += (size_t)k;
  if (nSuffix > end - pos) return ROW_CORRUPT(pErr, "block: row %u key overruns the block", iRow);
  r->nShared = nShared;
  r->pSuffix = a + pos;
  r->nSuffix = nSuffix;
  pos += nSuffix;
  if (nVal > end - pos) return ROW_CORRUPT(pErr, "block: row %u value overruns the block", iRow);
  r->pVal = a + pos;
  r->nVal = nVal;
  pos += nVal;
  if (parseTail(a, &pos, end, r, iRow, pErr)) return SDB_CORRUPT;
  if (r->flags & SDB_ROW_TOMBSTONE) {
    /* SlateDB reads and ignores any value bytes of a tombstone. */
    r->pVal = NULL;
    r->nVal = 0;
  }
  r->end = pos;
  return SDB_OK;
bad_varint:
  return ROW_CORRUPT(pErr, "block: row %u has a truncated or over-long varint", iRow);
}

/* Parse the V1 row at a[pos..end). */
static int parseRowV1(const u8 *a, size_t pos, size_t end, RowRaw *r, u32 iRow,
                      SdbErr *pErr) {
  if (end - pos < 4) return sdbCorrupt(pErr, "block: v1 row %u truncated", iRow);
  r->nShared = sdbGetU16BE(a + pos);
  r->nSuffix = sdbGetU16BE(a + pos + 2);
  pos += 4;
  if (r->nSuffix > end - pos) return sdbCorrupt(pErr, "block: v1 row %u key overruns", iRow);
  r->pSuffix = a + pos;
  pos += r->nSuffix;
  if (parseTail(a, &pos, end, r, iRow, pErr)) return SDB_CORRUPT;
  if (r->flags & SDB_ROW_TOMBSTONE) {
    /* As SlateDB's V0 codec: a tombstone has no value and reports no
    ** expire_ts even if one is stored. */
    r->pVal = NULL;
    r->nVal = 0;
    if (r->flags & SDB_ROW_EXPIRE_TS) r->tsOff += 8;
    r->flags &= (u8)~SDB_ROW_EXPIRE_TS;
    r->expireTs = 0;
  } else {
    if (end - pos < 4) return sdbCorrupt(pErr, "block: v1 row %u truncated at value_len", iRow);
    u32 nVal = sdbGetU32BE(a + pos);
    pos += 4;
    if (nVal > end - pos) return sdbCorrupt(pErr, "block: v1 row %u value overruns", iRow);
    r->pVal = a + pos;
    r->nVal = nVal;
    pos += nVal;
  }
  r->end = pos;
  return SDB_OK;
}

/* ------------------------------------------------------------ decoding */

/* Result of pass 1. */
typedef struct BlockShape {
  size_t nRows;           /* bytes of the rows region */
  u32 nOff;               /* C */
  u32 nRow;               /* rows */
  size_t nArena;          /* key bytes to rebuild */
} BlockShape;

static int shapeTrailer(const u8 *a, size_t n, BlockShape *s, SdbErr *pErr) {
  if (n < 2) return sdbCorrupt(pErr, "block: %zu bytes is too short for a trailer", n);
  s->nOff = sdbGetU16BE(a + n - 2);
  if ((size_t)s->nOff * 2 + 2 > n) {
    return sdbCorrupt(pErr, "block: %u offsets do not fit in %zu bytes", s->nOff, n);
  }
  s->nRows = n - 2 - (size_t)s->nOff * 2;
  s->nRow = 0;
  s->nArena = 0;
  return SDB_OK;
}

/* Offset i of the trailer. */
static u32 trailerOff(const u8 *a, const BlockShape *s, u32 i) {
  return sdbGetU16BE(a + s->nRows + 2 * (size_t)i);
}

/* What pass 2 needs of a V2 row beyond its SdbBlockRow: where its key suffix
** is and how many bytes it shares with the previous key. */
typedef struct RowKeyRec {
  u32 offSuf;
  u32 nShared;
} RowKeyRec;

/* Rows whose parse pass 1 records for pass 2 (on the stack: 40 bytes a row).
** A 4 KiB block of SlateDB's holds far fewer; a larger block's rows are
** parsed again by pass 2. */
#define BLOCK_NREC 256

/* Pass 1's records of the first BLOCK_NREC rows. */
typedef struct BlockRecs {
  SdbBlockRow aRow[BLOCK_NREC];   /* as in the decoded block */
  RowKeyRec aKey[BLOCK_NREC];
} BlockRecs;

/* Record V2 row iRow (parsed as *r, key nKey bytes) in *pRec if it fits.
** offArena: the key's offset in the decoded data if it is rebuilt;
** bSame: the key is the previous row's. */
static void recordV2(BlockRecs *pRec, u32 iRow, const RowRaw *r, const u8 *a, u32 nKey,
                     size_t offArena, int bSame) {
  if (!pRec || iRow >= BLOCK_NREC) return;
  SdbBlockRow *pRow = &pRec->aRow[iRow];
  if (r->nShared == 0) pRow->offKey = (u32)(r->pSuffix - a);
  else if (bSame) pRow->offKey = pRec->aRow[iRow - 1].offKey;
  else pRow->offKey = (u32)offArena;
  pRow->nKey = nKey;
  pRow->offVal = r->pVal ? (u32)(r->pVal - a) : 0;
  pRow->nVal = r->nVal;
  pRow->seq = r->seq;
  pRow->offTs = (u32)r->tsOff;
  pRow->flags = r->flags;
  pRec->aKey[iRow].offSuf = (u32)(r->pSuffix - a);
  pRec->aKey[iRow].nShared = r->nShared;
}

/* Pass 1 for V2: validate all rows, count rows and arena bytes; record the
** first BLOCK_NREC rows in *pRec if not NULL. */
static int shapeV2(const u8 *a, BlockShape *s, BlockRecs *pRec, SdbErr *pErr) {
  size_t pos = 0;
  u32 iRest = 0;
  u64 nPrev = 0;
  size_t nData = s->nRows + 2 + (size_t)s->nOff * 2;
  if (s->nOff == 0 && s->nRows > 0) {
    return sdbCorrupt(pErr, "block: rows present but no restart points");
  }
  while (pos < s->nRows) {
    RowRaw r;
    u32 iRow = s->nRow;
    if (iRow == UINT32_MAX) return sdbCorrupt(pErr, "block: too many rows");
    if (iRest < s->nOff && trailerOff(a, s, iRest) < pos) {
      return sdbCorrupt(pErr, "block: restart %u (offset %u) is not at a row start", iRest,
                        trailerOff(a, s, iRest));
    }
    int bRestart = iRest < s->nOff && trailerOff(a, s, iRest) == pos;
    if (parseRowV2(a, pos, s->nRows, &r, iRow, pErr)) return SDB_CORRUPT;
    if (bRestart) {
      if (r.nShared != 0) {
        return sdbCorrupt(pErr, "block: restart row %u shares %u key bytes", iRow, r.nShared);
      }
      iRest++;
    } else if (iRow == 0) {
      return sdbCorrupt(pErr, "block: first row is not a restart point");
    }
    if (r.nShared > nPrev) {
      return sdbCorrupt(pErr, "block: row %u shares %u bytes of a %llu-byte key", iRow,
                        r.nShared, (unsigned long long)nPrev);
    }
    u64 nKey = (u64)r.nShared + r.nSuffix;
    if (nKey > UINT32_MAX) return sdbCorrupt(pErr, "block: row %u key too long", iRow);
    int bSame = r.nShared == nPrev && r.nSuffix == 0;
    size_t offArena = nData + s->nArena;
    if (r.nShared != 0 && !bSame) {
      s->nArena += (size_t)nKey;
      if (s->nArena > SDB_DECOMPRESS_MAX) {
        return sdbCorrupt(pErr, "block: keys expand beyond %zu bytes", SDB_DECOMPRESS_MAX);
      }
    }
    recordV2(pRec, iRow, &r, a, (u32)nKey, offArena, bSame);
    nPrev = nKey;
    pos = r.end;
    s->nRow++;
  }
  if (iRest != s->nOff) {
    return sdbCorrupt(pErr, "block: restart %u (offset %u) is beyond the rows", iRest,
                      trailerOff(a, s, iRest));
  }
  return SDB_OK;
}

/* End of V1 row i: the next row's offset, or the end of the rows. */
static size_t v1End(const u8 *a, const BlockShape *s, u32 i) {
  return i + 1 < s->nOff ? trailerOff(a, s, i + 1) : s->nRows;
}

/* Pass 1 for V1. */
static int shapeV1(const u8 *a, BlockShape *s, SdbErr *pErr) {
  u64 nFirst = 0;
  if (s->nOff == 0 && s->nRows > 0) return sdbCorrupt(pErr, "block: v1 rows without offsets");
  /* All offsets first: a row's end is the next row's offset. */
  for (u32 i = 0; i < s->nOff; i++) {
    u32 off = trailerOff(a, s, i);
    if (i == 0 && off != 0) return sdbCorrupt(pErr, "block: v1 row 0 is at offset %u", off);
    if (i > 0 && off <= trailerOff(a, s, i - 1)) {
      return sdbCorrupt(pErr, "block: v1 offsets not increasing at row %u", i);
    }
    if (off >= s->nRows) return sdbCorrupt(pErr, "block: v1 row %u offset out of range", i);
  }
  for (u32 i = 0; i < s->nOff; i++) {
    u32 off = trailerOff(a, s, i);
    RowRaw r;
    if (parseRowV1(a, off, v1End(a, s, i), &r, i, pErr)) return SDB_CORRUPT;
    if (i == 0) {
      if (r.nShared != 0) return sdbCorrupt(pErr, "block: v1 first row has a prefix");
      nFirst = r.nSuffix;
    } else if (r.nShared > nFirst) {
      return sdbCorrupt(pErr, "block: v1 row %u prefix %u exceeds the first key", i, r.nShared);
    }
    u64 nKey = (u64)r.nShared + r.nSuffix;
    if (r.nShared != 0 && !(r.nShared == nFirst && r.nSuffix == 0)) {
      s->nArena += (size_t)nKey;
      if (s->nArena > SDB_DECOMPRESS_MAX) {
        return sdbCorrupt(pErr, "block: keys expand beyond %zu bytes", SDB_DECOMPRESS_MAX);
      }
    }
  }
  s->nRow = s->nOff;
  return SDB_OK;
}

static void fillRow(SdbBlockRow *pRow, const RowRaw *r, const u8 *aData, const u8 *pKey,
                    u32 nKey) {
  pRow->offKey = (u32)(pKey - aData);
  pRow->nKey = nKey;
  pRow->offVal = r->pVal ? (u32)(r->pVal - aData) : 0;
  pRow->nVal = r->nVal;
  pRow->seq = r->seq;
  pRow->offTs = (u32)r->tsOff;
  pRow->flags = r->flags;
}

/* Pass 2: rows and keys. Input already validated by pass 1. Returns the
** length of a prefix all keys share: the least of the bytes each row shares
** with the previous key (stored, or at a restart computed), which bounds
** the longest common prefix from below. */
static u32 fillV2(SdbBlock *p, const BlockShape *s, u8 *pArena) {
  const u8 *a = p->aData;
  const u8 *pPrev = NULL;
  u32 nPrev = 0, nC = 0;
  size_t pos = 0;
  for (u32 i = 0; i < s->nRow; i++) {
    RowRaw r = {0};   /* (validated by pass 1: the parse cannot fail) */
    parseRowV2(a, pos, s->nRows, &r, i, NULL);
    const u8 *pKey;
    u32 nKey = r.nShared + r.nSuffix;
    if (r.nShared == 0) {
      pKey = r.pSuffix;
    } else if (r.nShared == nPrev && r.nSuffix == 0) {
      pKey = pPrev;
    } else {
      memcpy(pArena, pPrev, r.nShared);
      if (r.nSuffix) memcpy(pArena + r.nShared, r.pSuffix, r.nSuffix);
      pKey = pArena;
      pArena += nKey;
    }
    fillRow(&p->aRow[i], &r, a, pKey, nKey);
    if (i == 0) nC = nKey;
    else if (r.nShared) nC = SDB_MIN(nC, r.nShared);
    else nC = (u32)sdbKeyCommon(pPrev, nPrev, pKey, nKey, nC);
    pPrev = pKey;
    nPrev = nKey;
    pos = r.end;
  }
  return nC;
}

/* Write the key that shares nShared bytes with pPrev and ends with suf[0..nSuf)
** at pKey. A key of 16 bytes or fewer (the usual case) takes fixed 16-byte
** loads and stores instead of two calls of memcpy: they may read up to 16
** bytes past pPrev and suf and write up to 16 past pKey, which BLOCK_SLACK
** bytes at the end of the block's allocation cover; the bytes written past
** the key are the next rebuilt keys' (written after it) or that slack. */
#define BLOCK_SLACK 16
static inline void blockRebuildKey(u8 *pKey, const u8 *pPrev, u32 nShared, const u8 *suf,
                                   u32 nSuf) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  if (nShared + nSuf <= 16) {
    /* Two 8-byte words: the previous key's bytes below nShared, the
    ** suffix's (loaded from suf - nShared, inside the block's allocation:
    ** the row array precedes the payload) from there on. Stored and later
    ** loaded as the same two words, which the CPU forwards. */
    u64 p0, p1, s0, s1;
    memcpy(&p0, pPrev, 8);
    memcpy(&p1, pPrev + 8, 8);
    memcpy(&s0, suf - nShared, 8);
    memcpy(&s1, suf - nShared + 8, 8);
    u64 m0 = nShared >= 8 ? ~(u64)0 : ((u64)1 << (8 * nShared)) - 1;
    u64 m1 = nShared >= 16 ? ~(u64)0 : nShared <= 8 ? 0 : ((u64)1 << (8 * (nShared - 8))) - 1;
    p0 = (p0 & m0) | (s0 & ~m0);
    p1 = (p1 & m1) | (s1 & ~m1);
    memcpy(pKey, &p0, 8);
    memcpy(pKey + 8, &p1, 8);
    return;
  }
#endif
  memcpy(pKey, pPrev, nShared);
  if (nSuf) memcpy(pKey + nShared, suf, nSuf);
}

/* As fillV2, from pass 1's records instead of a second parse. REQUIRES
** s->nRow <= BLOCK_NREC and *pRec filled by shapeV2 for this block. */
static u32 fillV2Rec(SdbBlock *p, const BlockShape *s, const BlockRecs *pRec) {
  const u8 *a = p->aData;
  const u8 *pPrev = NULL;
  u32 nPrev = 0, nC = 0;
  memcpy(p->aRow, pRec->aRow, (size_t)s->nRow * sizeof(SdbBlockRow));
  for (u32 i = 0; i < s->nRow; i++) {
    u32 nShared = pRec->aKey[i].nShared;
    u32 nKey = p->aRow[i].nKey;
    u8 *pKey = (u8 *)a + p->aRow[i].offKey;
    if (nShared != 0 && !(nShared == nPrev && nKey == nShared)) {
      blockRebuildKey(pKey, pPrev, nShared, a + pRec->aKey[i].offSuf, nKey - nShared);
    }
    if (i == 0) nC = nKey;
    else if (nShared) nC = SDB_MIN(nC, nShared);
    else nC = (u32)sdbKeyCommon(pPrev, nPrev, pKey, nKey, nC);
    pPrev = pKey;
    nPrev = nKey;
  }
  return nC;
}

/* As fillV2; the common prefix is the least each key shares with the first. */
static u32 fillV1(SdbBlock *p, const BlockShape *s, u8 *pArena) {
  const u8 *a = p->aData;
  const u8 *pFirst = NULL;
  u32 nFirst = 0, nC = 0;
  for (u32 i = 0; i < s->nRow; i++) {
    RowRaw r;
    parseRowV1(a, trailerOff(a, s, i), v1End(a, s, i), &r, i, NULL);
    const u8 *pKey;
    u32 nKey = r.nShared + r.nSuffix;
    if (r.nShared == 0) {
      pKey = r.pSuffix;
    } else if (r.nShared == nFirst && r.nSuffix == 0) {
      pKey = pFirst;
    } else {
      memcpy(pArena, pFirst, r.nShared);
      if (r.nSuffix) memcpy(pArena + r.nShared, r.pSuffix, r.nSuffix);
      pKey = pArena;
      pArena += nKey;
    }
    if (i == 0) {
      pFirst = pKey;
      nFirst = nKey;
      nC = nKey;
    } else {
      nC = (u32)sdbKeyCommon(pFirst, nFirst, pKey, nKey, nC);
    }
    fillRow(&p->aRow[i], &r, a, pKey, nKey);
  }
  return nC;
}

/* sdbKeyPrefix(a, n) with one 8-byte load, masked when n < 8 (a key past
** its common prefix is often shorter than 8 bytes). REQUIRES 8 bytes
** readable at a: a key of the block's allocation, which BLOCK_SLACK bytes
** end. */
static inline u64 blockKeyPrefix(const u8 *a, size_t n) {
  u64 v = sdbGetU64BE(a);
  if (n >= 8) return v;
  return n ? v & (~(u64)0 << (64 - 8 * n)) : 0;
}

/* Set p->nCommon to nC (a prefix all keys share) and each row's key prefix
** past it. REQUIRES the rows are filled. */
static void blockFillPrefixes(SdbBlock *p, u64 *aPfx, u32 nC) {
  p->nCommon = nC;
  for (u32 i = 0; i < p->nRow; i++) {
    aPfx[i] = blockKeyPrefix(sdbBlockKey(p, i) + nC, p->aRow[i].nKey - nC);
  }
}

/* Room for a decoded block of nAlloc bytes: a new allocation (pBuf NULL)
** or pBuf's, grown in 8 KiB steps when too small (its old block is gone).
** NULL when out of memory. */
static SdbBlock *blockAlloc(SdbBlockBuf *pBuf, size_t nAlloc) {
  if (!pBuf) return sdbMalloc(nAlloc);
  if (pBuf->nAlloc < nAlloc) {
    size_t nNew = (nAlloc + 8191) & ~(size_t)8191;
    sdbFree(pBuf->p);
    pBuf->p = sdbMalloc(nNew);
    pBuf->nAlloc = pBuf->p ? nNew : 0;
  }
  return pBuf->p;
}

/* sdbBlockDecodeCopy into a new allocation (pBuf NULL) or into pBuf. */
static int blockDecodeTo(const u8 *a, size_t n, int formatVersion, SdbBlockBuf *pBuf,
                         SdbBlock **pp, SdbErr *pErr) {
  BlockShape s = {0, 0, 0, 0};
  BlockRecs rec;
  int rc;
  *pp = NULL;
  if (formatVersion != 1 && formatVersion != 2) {
    return sdbCorrupt(pErr, "block: unknown format version %d", formatVersion);
  }
  if ((rc = shapeTrailer(a, n, &s, pErr))) return rc;
  rc = formatVersion == 2 ? shapeV2(a, &s, &rec, pErr) : shapeV1(a, &s, pErr);
  if (rc) return rc;
  size_t nRowBytes = (size_t)s.nRow * sizeof(SdbBlockRow);
  size_t nPfxBytes = (size_t)s.nRow * sizeof(u64);
  size_t nAlloc = sizeof(SdbBlock) + nRowBytes + nPfxBytes + n + s.nArena + BLOCK_SLACK;
  if (nAlloc > 2 * SDB_DECOMPRESS_MAX) {
    return sdbCorrupt(pErr, "block: decoded form exceeds %zu bytes", 2 * SDB_DECOMPRESS_MAX);
  }
  SdbBlock *p = blockAlloc(pBuf, nAlloc);
  if (!p) return SDB_NOMEM_ERR(pErr);
  p->nRow = s.nRow;
  p->formatVersion = (u16)formatVersion;
  p->nMem = nAlloc;
  /* The prefixes right after the header: a seek reads the header, then
  ** a few of them, before any row. */
  _Static_assert(sizeof(SdbBlock) % 8 == 0, "the prefixes and rows are 8-aligned");
  u64 *aPfx = (u64 *)(p + 1);
  p->aPfx = aPfx;
  p->aRow = (SdbBlockRow *)(aPfx + s.nRow);
  u8 *aData = (u8 *)p->aRow + nRowBytes;
  if (n) memcpy(aData, a, n);
  p->aData = aData;
  u32 nC;
  if (formatVersion == 1) nC = fillV1(p, &s, aData + n);
  else if (s.nRow <= BLOCK_NREC) nC = fillV2Rec(p, &s, &rec);
  else nC = fillV2(p, &s, aData + n);
  blockFillPrefixes(p, aPfx, nC);
  *pp = p;
  return SDB_OK;
}

int sdbBlockDecodeCopy(const u8 *a, size_t n, int formatVersion, SdbBlock **pp,
                       SdbErr *pErr) {
  return blockDecodeTo(a, n, formatVersion, NULL, pp, pErr);
}

int sdbBlockDecodeInto(const u8 *a, size_t n, int formatVersion, SdbBlockBuf *pBuf,
                       const SdbBlock **pp, SdbErr *pErr) {
  SdbBlock *p;
  int rc = blockDecodeTo(a, n, formatVersion, pBuf, &p, pErr);
  *pp = p;
  return rc;
}

void sdbBlockBufFree(SdbBlockBuf *pBuf) {
  sdbFree(pBuf->p);
  pBuf->p = NULL;
  pBuf->nAlloc = 0;
}

int sdbBlockDecode(SdbBuf *pPayload, int formatVersion, SdbBlock **pp, SdbErr *pErr) {
  int rc = sdbBlockDecodeCopy(pPayload->a, pPayload->n, formatVersion, pp, pErr);
  if (rc == SDB_OK) sdbBufFree(pPayload);
  return rc;
}

void sdbBlockFree(SdbBlock *p) { sdbFree(p); }

u32 sdbBlockSeek(const SdbBlock *p, const u8 *key, size_t nKey, int bAfter) {
  SdbKeyProbe q;
  sdbBlockProbe(p, key, nKey, &q);
  return sdbBlockSeekProbe(p, &q, bAfter);
}

u32 sdbBlockSeekAndProbe(const SdbBlock *p, const u8 *key, size_t nKey, int bAfter,
                         SdbKeyProbe *q) {
  u32 nC = p->nCommon;
  if (p->nRow == 0 || nKey < nC) {
    sdbBlockProbe(p, key, nKey, q);
    return sdbBlockSeekProbe(p, q, bAfter);
  }
  q->side = 0;
  q->a = key + nC;
  q->n = nKey - nC;
  q->pfx = sdbKeyPrefix(q->a, q->n);
  u32 i = sdbBlockSeekProbe(p, q, bAfter);
  /* Every row begins with the common prefix: if the key does not, its
  ** first nC bytes against any row's say on which side of all rows it is
  ** (and the search above, on bytes past them, meant nothing). */
  int d = sdbBytesCmp(key, sdbBlockKey(p, i < p->nRow ? i : p->nRow - 1), nC);
  if (d == 0) return i;
  q->side = d;
  q->a = key;
  q->n = 0;
  q->pfx = 0;
  return d < 0 ? 0 : p->nRow;
}

/* Out of line, so that a search loads a row's entry only on a tie. */
__attribute__((noinline)) int sdbBlockRowTie(const SdbBlock *p, u32 i, const SdbKeyProbe *q) {
  u32 nC = p->nCommon;
  return sdbKeyCmpTie(sdbBlockKey(p, i) + nC, p->aRow[i].nKey - nC, q->a, q->n);
}

u32 sdbBlockSeekProbe(const SdbBlock *p, const SdbKeyProbe *q, int bAfter) {
  u32 lo = 0, hi = p->nRow;
  if (q->side) return q->side < 0 ? 0 : p->nRow;
  while (lo < hi) {
    u32 mid = lo + (hi - lo) / 2;
    int c = sdbBlockRowCmp(p, mid, q);
    if (c < 0 || (bAfter && c == 0)) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

/* ------------------------------------------------------------ builder */
void sdbBlockBuilderInit(SdbBlockBuilder *p, size_t blockSize) {
  memset(p, 0, sizeof(*p));
  p->blockSize = blockSize;
}

void sdbBlockBuilderReset(SdbBlockBuilder *p) {
  p->data.n = 0;
  p->restarts.n = 0;
  p->lastKey.n = 0;
  p->nRow = 0;
}

void sdbBlockBuilderFree(SdbBlockBuilder *p) {
  sdbBufFree(&p->data);
  sdbBufFree(&p->restarts);
  sdbBufFree(&p->lastKey);
  p->nRow = 0;
}

static int varintLen(u32 v) {
  int n = 1;
  while (v >= 0x80) {
    v >>= 7;
    n++;
  }
  return n;
}

static int builderAtRestart(const SdbBlockBuilder *p) {
  return p->nRow % SDB_BLOCK_RESTART_INTERVAL == 0;
}

/* Bytes pE would share with the previous key (0 at a restart). */
static u32 builderShared(const SdbBlockBuilder *p, const SdbEntry *pE) {
  if (builderAtRestart(p)) return 0;
  size_t n = SDB_MIN(p->lastKey.n, pE->nKey);
  size_t i = 0;
  while (i < n && p->lastKey.a[i] == pE->pKey[i]) i++;
  return (u32)i;
}

static size_t rowSize(u32 nShared, const SdbEntry *pE) {
  u32 nSuffix = (u32)(pE->nKey - nShared);
  u32 nVal = pE->eKind == SDB_KIND_TOMBSTONE ? 0 : (u32)pE->nVal;
  size_t n = (size_t)varintLen(nShared) + varintLen(nSuffix) + varintLen(nVal) + nSuffix +
             nVal + 9;
  if (pE->bHasExpireTs) n += 8;
  if (pE->bHasCreateTs) n += 8;
  return n;
}

size_t sdbBlockBuilderRowSize(const SdbBlockBuilder *p, const SdbEntry *pE) {
  return rowSize(builderShared(p, pE), pE);
}

size_t sdbBlockBuilderSize(const SdbBlockBuilder *p) {
  return p->data.n + p->restarts.n + 2;
}

int sdbBlockBuilderWouldFit(const SdbBlockBuilder *p, const SdbEntry *pE) {
  if (p->nRow == 0) return 1;
  int bRestart = builderAtRestart(p);
  /* A restart offset must fit in a u16 (SlateDB asserts this). */
  if (bRestart && p->data.n > 0xffff) return 0;
  size_t n = sdbBlockBuilderSize(p) + sdbBlockBuilderRowSize(p, pE) + (bRestart ? 2 : 0);
  return n <= p->blockSize;
}

int sdbBlockBuilderAdd(SdbBlockBuilder *p, const SdbEntry *pE, SdbErr *pErr) {
  u32 nShared = builderShared(p, pE);
  u32 nSuffix = (u32)(pE->nKey - nShared);
  int bTomb = pE->eKind == SDB_KIND_TOMBSTONE;
  u32 nVal = bTomb ? 0 : (u32)pE->nVal;
  u8 flags = bTomb ? SDB_ROW_TOMBSTONE : pE->eKind == SDB_KIND_MERGE ? SDB_ROW_MERGE : 0;
  if (pE->bHasExpireTs) flags |= SDB_ROW_EXPIRE_TS;
  if (pE->bHasCreateTs) flags |= SDB_ROW_CREATE_TS;
  size_t n = rowSize(nShared, pE);
  if (sdbBufReserve(&p->data, n)) return SDB_NOMEM_ERR(pErr);
  if (builderAtRestart(p)) {
    u8 aOff[2];
    sdbPutU16BE(aOff, (u16)p->data.n);
    if (sdbBufAppend(&p->restarts, aOff, 2)) return SDB_NOMEM_ERR(pErr);
  }
  if (sdbBufSet(&p->lastKey, pE->pKey, pE->nKey)) return SDB_NOMEM_ERR(pErr);
  u8 *o = p->data.a + p->data.n;
  o += sdbPutVarint32(o, nShared);
  o += sdbPutVarint32(o, nSuffix);
  o += sdbPutVarint32(o, nVal);
  memcpy(o, pE->pKey + nShared, nSuffix);
  o += nSuffix;
  if (nVal) memcpy(o, pE->pVal, nVal);
  o += nVal;
  sdbPutU64BE(o, pE->seq);
  o[8] = flags;
  o += 9;
  if (pE->bHasExpireTs) {
    sdbPutU64BE(o, (u64)pE->expireTs);
    o += 8;
  }
  if (pE->bHasCreateTs) {
    sdbPutU64BE(o, (u64)pE->createTs);
    o += 8;
  }
  p->data.n += n;
  p->nRow++;
  return SDB_OK;
}

int sdbBlockBuilderFinish(SdbBlockBuilder *p, SdbBuf *pOut, SdbErr *pErr) {
  if (p->nRow == 0) return sdbErrSet(pErr, SDB_MISUSE, "block builder: empty block");
  u8 aCount[2];
  sdbPutU16BE(aCount, (u16)(p->restarts.n / 2));
  if (sdbBufReserve(pOut, sdbBlockBuilderSize(p))) return SDB_NOMEM_ERR(pErr);
  sdbBufAppend(pOut, p->data.a, p->data.n);
  sdbBufAppend(pOut, p->restarts.a, p->restarts.n);
  sdbBufAppend(pOut, aCount, 2);
  return SDB_OK;
}
