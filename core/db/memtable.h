/*
** memtable.h: the in-memory table of rows not yet in an L0 SST.
**
** A skiplist ordered by (key ascending, seq descending): the order of rows in a
** compacted SST (spec/SST.md §6.3). Nodes, keys and values live in an arena
** owned by the memtable, so inserting costs no malloc per row. One writer may
** insert while readers iterate: nodes are published with release stores.
** A memtable is reference-counted: scans pin it.
*/
#ifndef SDB_MEMTABLE_H
#define SDB_MEMTABLE_H

#include "util/sdbInt.h"

typedef struct SdbMemtable SdbMemtable;

/* A new empty memtable with one reference (the caller's). NULL on OOM. */
SdbMemtable *sdbMemtableNew(void);
void sdbMemtableRef(SdbMemtable *p);
void sdbMemtableUnref(SdbMemtable *p);        /* frees at zero; NULL-safe */

/* Copy the entry (key, value, metadata) into the memtable. An entry with the
** key and seq of a row already present replaces that row, as in SlateDB's
** memtable (a WAL SST may repeat a key within one seq).
** REQUIRES: one inserting thread at a time. Returns SDB_OK or SDB_NOMEM. */
int sdbMemtableInsert(SdbMemtable *p, const SdbEntry *pEntry);

/* A group of rows (one commit's) copied into the memtable's arena but not yet
** linked into its list: readers cannot see them. sdbMemtablePublish links
** them all and allocates nothing, so it cannot fail: a group prepared whole
** is applied whole, and one whose preparation failed is dropped unseen.
** The fields are memtable.c's. */
typedef struct SdbMemtablePrep {
  SdbMemtable *pMt;       /* referenced until published or dropped */
  void *pFirst, *pLast;   /* the prepared nodes, in order */
  void *pMarkChunk;       /* the arena before the first row: its newest chunk, */
  size_t nMarkUsed;       /* ... that chunk's used bytes */
  u64 iMarkGen;           /* ... and the generation the group's chunks start at */
  u64 nAllocEnd;          /* arena allocations once the group's last row was added */
  int bMixed;             /* other allocations came between the group's */
} SdbMemtablePrep;

/* Start an empty group on p (which it references).
** REQUIRES: the inserting thread, until the group is published or dropped. */
void sdbMemtablePrepBegin(SdbMemtable *p, SdbMemtablePrep *pPrep);

/* Copy one entry into the group. SDB_OK or SDB_NOMEM (the group must then be
** dropped). */
int sdbMemtablePrepAdd(SdbMemtablePrep *pPrep, const SdbEntry *pEntry);

/* Link the group's rows into the list, in the order added (as many
** sdbMemtableInsert calls would), and end the group. Cannot fail. */
void sdbMemtablePublish(SdbMemtablePrep *pPrep);

/* End the group without linking its rows. Their arena space is given back
** when nothing else was allocated from the arena since; otherwise it stays
** unused until the memtable is freed. NULL-safe for a group never begun. */
void sdbMemtablePrepDrop(SdbMemtablePrep *pPrep);

/* Whether the memtable holds a version of key pKey; if so, with pOut not
** NULL, *pOut is its newest version (pointers into the memtable, valid
** while it is referenced). Starts from the inserting thread's finger, so a
** find followed by the insert of the same key searches once.
** REQUIRES: the inserting thread (no concurrent insert). */
int sdbMemtableFindNewest(SdbMemtable *p, const u8 *pKey, size_t nKey, SdbEntry *pOut);

/* Rows, estimated encoded bytes, largest seq and create_ts inserted so far. */
u64 sdbMemtableRows(const SdbMemtable *p);
u64 sdbMemtableBytes(const SdbMemtable *p);
u64 sdbMemtableMaxSeq(const SdbMemtable *p);

/* SlateDB 0.12.1's estimate of the L0 SST this memtable would become
** (TableStore::estimate_encoded_size_compacted over the memtable's entry_num and
** entries_size_in_bytes): what its writer compares with l0_sst_size_bytes to
** freeze the memtable, and what its WAL replay compares to cut replayed tables. */
u64 sdbMemtableL0Estimate(const SdbMemtable *p, u64 blockSize, u32 bitsPerKey, u32 minFilterKeys);
i64 sdbMemtableMaxCreateTs(const SdbMemtable *p);

/* True if the memtable holds a row (any version, tombstones too) whose key
** sorts before pKey[0..nKey-1]. Reads only the first node: no lock, safe
** while another thread inserts. */
int sdbMemtableHasBelow(SdbMemtable *p, const u8 *pKey, size_t nKey);

/* Iterate all versions within pRange (NULL = everything) in key order
** (descending if bDesc; within one key the order is then seq ascending).
** The iterator holds a reference on the memtable, so a row's pointers stay
** valid as long as the iterator lives (more than merge.h's lookahead rule
** asks). Caller owns *pp. */
int sdbMemtableIterNew(SdbMemtable *p, const SdbRange *pRange, int bDesc, SdbIter **pp,
                       SdbErr *pErr);

#endif /* SDB_MEMTABLE_H */
