/*
** rangeutil.h: helpers for SdbRange key ranges (see slatedb.h): bound checks
** and an owned copy of a range that iterators keep.
*/
#ifndef SDB_RANGEUTIL_H
#define SDB_RANGEUTIL_H

#include "util/sdbInt.h"

/* An SdbRange whose bound bytes are owned (one sdbMalloc'd block). */
typedef struct SdbRangeCopy {
  SdbRange r;             /* r.pLo / r.pHi point into aBuf */
  u8 *aBuf;               /* owned; NULL when no bound has bytes */
  size_t nAlloc;          /* bytes of aBuf */
} SdbRangeCopy;

/* Copy pSrc (NULL = unbounded) into p. SDB_OK or SDB_NOMEM. */
int sdbRangeCopyInit(SdbRangeCopy *p, const SdbRange *pSrc);
void sdbRangeCopyFree(SdbRangeCopy *p);
/* Replace p's range with a copy of pSrc (NULL = unbounded), reusing p's
** buffer when it is large enough (a seek). SDB_OK, or SDB_NOMEM with p
** unchanged. */
int sdbRangeCopySet(SdbRangeCopy *p, const SdbRange *pSrc);

/* True if key satisfies the lower bound (or there is none). */
int sdbRangeAboveLo(const SdbRange *r, const u8 *pKey, size_t nKey);
/* True if key satisfies the upper bound (or there is none). */
int sdbRangeBelowHi(const SdbRange *r, const u8 *pKey, size_t nKey);
/* True if key is inside the range. pRange NULL = everything. */
int sdbRangeContains(const SdbRange *r, const u8 *pKey, size_t nKey);
/* True if the range is a single key (both bounds inclusive and equal). */
int sdbRangeIsPoint(const SdbRange *r);
/* True if the range cannot contain any key. */
int sdbRangeIsEmpty(const SdbRange *r);

#endif
