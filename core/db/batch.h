/*
** batch.h: internals of SdbBatch (public API in slatedb.h) shared with db.c and writer.c.
**
** A batch keeps a log of its operations (for savepoint truncation) and an
** index: a memtable in which operation i has seq SDB_BATCH_SEQ_BASE + i, so
** the newest operation on a key sorts first and always outranks committed rows
** (whose seqs are far below the base) when a scan overlays the batch.
*/
#ifndef SDB_BATCH_H
#define SDB_BATCH_H

#include "db/memtable.h"
#include "util/sdbInt.h"

#define SDB_BATCH_SEQ_BASE (1ull << 62)

/* bHasExpireTs of a batch index entry written by sdb_batch_put_ttl: the
** expiry is relative to the commit (SlateDB's Ttl::ExpireAfter). The entry
** carries createTs = the time of the put and expireTs = that time + the TTL
** (saturated), so an overlay scan shows a provisional expire_ts; the writer
** re-stamps it as commit time + (expireTs - createTs). */
#define SDB_EXPIRE_AT_COMMIT 2

/* The batch's index memtable (borrowed; take a reference to keep it); NULL
** while the batch is empty. */
SdbMemtable *sdbBatchIndex(SdbBatch *p);

#endif
