/*
** batch.h: internals of SdbBatch (public API in slatedb.h) shared with db.c.
**
** A batch keeps a log of its operations (for savepoint truncation) and an
** index: a memtable in which operation i has seq SDB_BATCH_SEQ_BASE + i, so
** the newest operation on a key sorts first and always outranks committed rows
** (whose seqs are far below the base) when a scan overlays the batch.
*/
#ifndef SDB_BATCH_H
#define SDB_BATCH_H

#include "memtable.h"
#include "sdbInt.h"

#define SDB_BATCH_SEQ_BASE (1ull << 62)

/* The batch's index memtable (borrowed; take a reference to keep it). */
SdbMemtable *sdbBatchIndex(SdbBatch *p);

#endif
