/*
** fb.h: a minimal, bounds-checked FlatBuffers reader (and, later, builder).
**
** Layout read here (spec/SST.md §4.2): bytes 0..3 hold the root table's u32 LE
** uoffset. A table at T starts with an i32 LE soffset; its vtable is at
** T - soffset (may lie after T). A vtable is u16 vtable_size, u16 inline_size,
** then one u16 per field id k (slot 4+2k): the field's offset from T, or 0 when
** absent. A reference field holds a u32 uoffset relative to its own position.
** A vector is a u32 LE count followed by its elements; a vector of tables holds
** uoffsets relative to each element's position. Strings are byte vectors with a
** NUL after the counted bytes.
**
** Every accessor checks every offset and length against the buffer; a bad one
** yields SDB_CORRUPT with a "flatbuffer: ..." message that callers prefix with
** the object name. Nothing here allocates: results point into the buffer.
*/
#ifndef SDB_FB_H
#define SDB_FB_H

#include "util/sdbInt.h"

typedef struct SdbFb {
  const u8 *a;            /* the FlatBuffer bytes (borrowed) */
  size_t n;               /* their length */
} SdbFb;

typedef struct SdbFbTable {
  const SdbFb *pFb;       /* the buffer the table lives in (borrowed) */
  u32 pos;                /* offset of the table (its soffset) */
  u32 vt;                 /* offset of its vtable */
  u16 vtSize;             /* vtable size in bytes */
  u16 inlineSize;         /* table inline size in bytes */
} SdbFbTable;

/* A vector of tables: count and the offset of element 0's uoffset. */
typedef struct SdbFbVec {
  const SdbFb *pFb;
  u32 pos;                /* offset of the first element */
  u32 n;                  /* number of elements */
} SdbFbVec;

/* Resolve the root table (uoffset at byte 0). */
int sdbFbRoot(const SdbFb *pFb, SdbFbTable *pT, SdbErr *pErr);
/* Resolve a table whose soffset is at pos. */
int sdbFbTableAt(const SdbFb *pFb, u32 pos, SdbFbTable *pT, SdbErr *pErr);

/* True if field id is present in the table. */
int sdbFbHas(const SdbFbTable *pT, int id);

/* Scalars: *pV = the field's value, or dflt when absent. */
int sdbFbU64(const SdbFbTable *pT, int id, u64 dflt, u64 *pV, SdbErr *pErr);
int sdbFbI64(const SdbFbTable *pT, int id, i64 dflt, i64 *pV, SdbErr *pErr);
int sdbFbU32(const SdbFbTable *pT, int id, u32 dflt, u32 *pV, SdbErr *pErr);
int sdbFbU16(const SdbFbTable *pT, int id, u16 dflt, u16 *pV, SdbErr *pErr);
int sdbFbU8(const SdbFbTable *pT, int id, u8 dflt, u8 *pV, SdbErr *pErr);

/* A [ubyte] vector or string. *pbPresent = 0 (and *pp = NULL, *pn = 0) when
** absent. *pp points into the buffer. */
int sdbFbBytes(const SdbFbTable *pT, int id, const u8 **pp, u32 *pn,
               int *pbPresent, SdbErr *pErr);
/* A sub-table. *pbPresent = 0 when absent. */
int sdbFbTable(const SdbFbTable *pT, int id, SdbFbTable *pSub, int *pbPresent,
               SdbErr *pErr);
/* A vector of tables (or of any 4-byte elements). *pbPresent = 0 when absent
** (pV->n is then 0). */
int sdbFbVector(const SdbFbTable *pT, int id, u32 elemSize, SdbFbVec *pV,
                int *pbPresent, SdbErr *pErr);
/* Element i of a vector of tables. */
int sdbFbVecTable(const SdbFbVec *pV, u32 i, SdbFbTable *pT, SdbErr *pErr);

#endif /* SDB_FB_H */
