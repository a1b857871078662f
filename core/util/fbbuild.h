/*
** fbbuild.h: a small front-to-back FlatBuffers builder.
**
** The reader side is fb.h. This builder writes buffers that the FlatBuffers
** 25.x verifier used by SlateDB 0.12.1 (fce6ed00) accepts (spec/SST.md §4.3,
** spec/MANIFEST.md §2.1), without trying to be byte-identical to the Rust
** builder:
**
**   - The buffer may start with a caller-chosen prefix (the manifest's 2-byte
**     version). Every position below, and every alignment, is relative to the
**     first byte AFTER the prefix: the start of the FlatBuffer proper.
**   - FlatBuffer byte 0..3 is the root uoffset (patched by sdbFbbSetRoot).
**   - Objects are appended in the order the caller creates them. A reference
**     (uoffset) must point forward, so a parent is written first with
**     placeholder slots, and each child is written later and patched in.
**   - A table is written as its vtable (2-aligned, u16 size, u16 inline size,
**     one u16 per field id up to the highest present one), then the table
**     itself at the next 4-aligned position: an i32 soffset (= table - vtable,
**     positive because the vtable precedes the table) followed by the fields,
**     widest first, each aligned to its own width.
**   - A vector is a 4-aligned u32 count followed by its elements; a vector of
**     tables holds one u32 uoffset slot per element, patched later.
**   - [ubyte] vectors hold raw bytes; strings add a NUL after the counted bytes.
**
** Errors are sticky: after the first failure (SDB_NOMEM, or SDB_INTERNAL for
** misuse such as a backward reference) every call is a no-op returning 0, and
** sdbFbbFinish reports the code.
*/
#ifndef SDB_FBBUILD_H
#define SDB_FBBUILD_H

#include "util/sdbInt.h"

#define SDB_FBB_MAX_FIELDS 32   /* field ids 0..31 per table */

typedef struct SdbFbb {
  SdbBuf buf;             /* prefix + FlatBuffer bytes; owned until Finish */
  u32 nPrefix;            /* bytes before the FlatBuffer */
  int rc;                 /* first error, sticky; SDB_OK while healthy */
} SdbFbb;

/* One table under construction. Fill it with sdbFbbAdd*, then write it with
** sdbFbbTableWrite, which records where every field landed (aPos). */
typedef struct SdbFbbTable {
  u8 aWidth[SDB_FBB_MAX_FIELDS];   /* 0 = absent, else 1, 2, 4 or 8 bytes */
  u8 aIsRef[SDB_FBB_MAX_FIELDS];   /* 1 = uoffset placeholder */
  u64 aVal[SDB_FBB_MAX_FIELDS];    /* scalar value (little-endian on write) */
  u32 aPos[SDB_FBB_MAX_FIELDS];    /* after the write: field position */
  u32 pos;                /* after the write: table position */
  int bBadId;             /* an Add used an id >= SDB_FBB_MAX_FIELDS */
} SdbFbbTable;

/* Start a buffer: copies aPrefix[0..nPrefix) and reserves the root uoffset.
** p must be uninitialised or freed; release with sdbFbbFree or Finish. */
void sdbFbbInit(SdbFbb *p, const u8 *aPrefix, u32 nPrefix);
/* Release the buffer (NULL-safe; no-op after a successful Finish). */
void sdbFbbFree(SdbFbb *p);
/* Point the root uoffset at the table written at tablePos. */
void sdbFbbSetRoot(SdbFbb *p, u32 tablePos);
/* Returns the sticky rc. On SDB_OK, *pa (sdbMalloc'd, caller frees) holds
** prefix + FlatBuffer and *pn its length; on error the buffer is freed and
** *pa is NULL. Either way p is reset. */
int sdbFbbFinish(SdbFbb *p, u8 **pa, size_t *pn);

/* Table fields. Each call overwrites an earlier one for the same id. The Add
** calls store the value unconditionally: callers skip defaults themselves
** where the Rust builder would. An out-of-range id makes sdbFbbTableWrite
** fail with SDB_INTERNAL. */
void sdbFbbTableInit(SdbFbbTable *t);
void sdbFbbAddU8(SdbFbbTable *t, int id, u8 v);
void sdbFbbAddU16(SdbFbbTable *t, int id, u16 v);
void sdbFbbAddU32(SdbFbbTable *t, int id, u32 v);
void sdbFbbAddU64(SdbFbbTable *t, int id, u64 v);
/* A reference field (table, vector or string) to be patched after the table
** is written, with sdbFbbPatchField. */
void sdbFbbAddRef(SdbFbbTable *t, int id);

/* Write the vtable and table; returns the table position (0 on error). */
u32 sdbFbbTableWrite(SdbFbb *p, SdbFbbTable *t);
/* Make reference field id of the written table t point at target, which must
** lie after the field. */
void sdbFbbPatchField(SdbFbb *p, const SdbFbbTable *t, int id, u32 target);

/* A vector of n table references; returns its position (0 on error). Patch
** element i with sdbFbbPatchElem once the element table is written. */
u32 sdbFbbVecTables(SdbFbb *p, u32 n);
void sdbFbbPatchElem(SdbFbb *p, u32 vecPos, u32 i, u32 target);
/* A [ubyte] vector / a string (NUL-terminated copy of a[0..n)). Returns the
** position to point a reference at (0 on error). */
u32 sdbFbbBytes(SdbFbb *p, const void *a, u32 n);
u32 sdbFbbString(SdbFbb *p, const char *z);

#endif /* SDB_FBBUILD_H */
