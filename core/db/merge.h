/*
** merge.h: iterators that combine other iterators.
**
**   - the merging iterator: k-way merge of children that each yield rows in
**     key order (all versions). Output is in key order; rows of equal keys
**     come out newest (highest seq) first, whatever the direction.
**   - the concatenating iterator: the SSTs of one sorted run, opened lazily
**     one after the other (they do not overlap).
**   - the visible-row iterator: on top of a merging iterator, yields one
**     SDB_KIND_VALUE row per key: the newest version with seq <= the read
**     bound wins, tombstones hide older rows, merge operands are folded onto
**     the newest base value with the merge operator (spec/MANIFEST.md §8).
**     Expired TTL rows are NOT hidden (SlateDB 0.12.1 does not filter TTL at
**     read time).
**
** The lookahead rule: the children of a merging iterator that feeds a
** visible-row iterator (memtable, SST, table and concatenating iterators,
** and the merge itself) keep an entry's pointers valid one step longer than
** SdbIter requires: until the second xNext after it was produced (also when
** the first one reaches EOF), or a seek, or xFree. A descending visible-row
** step reads the next entry before it returns the one it holds (merge.c).
*/
#ifndef SDB_MERGE_H
#define SDB_MERGE_H

#include "util/sdbInt.h"

/* Merge n children. Takes ownership of every child (also on error). Caller
** owns *pp. Children must all iterate in direction bDesc. It seeks by seeking
** every child (an error if one cannot). */
int sdbMergeIterNew(SdbIter **apChild, int n, int bDesc, SdbIter **pp, SdbErr *pErr);

/* Opens child i of a concatenation; returns an iterator in *pp (caller owns)
** or NULL if the child has nothing in the range. */
typedef int (*SdbConcatOpen)(void *pCtx, int i, int bDesc, SdbIter **pp, SdbErr *pErr);
/* Restricts the children of a concatenation to range r (NULL = all) for a
** seek: *pn = their number; child i is then opened on r. */
typedef int (*SdbConcatRange)(void *pCtx, const SdbRange *r, int *pn, SdbErr *pErr);
/* Iterate n children in order (reverse order if bDesc), opening each when
** reached. pCtx is released with xCtxFree when the iterator is freed. The
** iterator can seek if xRange is not NULL. It follows the lookahead rule if
** its children do. */
int sdbConcatIterNew(void *pCtx, int n, SdbConcatOpen xOpen, void (*xCtxFree)(void *),
                     SdbConcatRange xRange, int bDesc, SdbIter **pp, SdbErr *pErr);

/* Visible rows of pMerged (ownership taken, also on error), which merges in
** direction bDesc (its children must follow the lookahead rule). maxSeq bounds the versions considered. eMergeOp is
** SDB_MERGE_*. pPin/xUnpin: an object kept alive while the iterator lives
** (may be NULL). Caller owns *pp. */
int sdbVisibleIterNew(SdbIter *pMerged, int bDesc, u64 maxSeq, int eMergeOp, void *pPin,
                      void (*xUnpin)(void *), SdbIter **pp, SdbErr *pErr);

#endif /* SDB_MERGE_H */
