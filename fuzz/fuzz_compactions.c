/*
** fuzz_compactions.c: libFuzzer target for the .compactions codec
** (core/meta/compactions.c).
**
** Input: arbitrary bytes, decoded as a compactions object (u16 BE version +
** CompactionsV1 FlatBuffer, spec/MANIFEST.md §2.5). A decoded object without
** unknown data is re-encoded and decoded again, which must succeed and give
** the same record count; then everything is freed. Nothing may crash, leak or
** read out of bounds; every failure must be a clean error code. Seeds:
** fuzz/corpus/compactions/ (objects written by SlateDB 0.12.1 and by our
** encoder).
*/
#include <stdint.h>
#include <stdlib.h>

#include "meta/compactions.h"

int LLVMFuzzerTestOneInput(const uint8_t *a, size_t n) {
  SdbCompactions *p = NULL, *q = NULL;
  SdbErr err = {0};
  int rc = sdbCompactionsDecode(a, n, &p, &err);
  if (rc != SDB_OK) {
    if ((rc != SDB_CORRUPT && rc != SDB_UNSUPPORTED && rc != SDB_NOMEM) || p) abort();
    return 0;
  }
  if (!p || p->nRaw != n) abort();
  u8 *b = NULL;
  size_t nb = 0;
  rc = sdbCompactionsEncode(p, &b, &nb, &err);
  if (p->bUnknownFields) {
    if (rc != SDB_UNSUPPORTED || b) abort();
  } else {
    if (rc != SDB_OK) abort();
    if (sdbCompactionsDecode(b, nb, &q, &err) != SDB_OK || q->n != p->n ||
        q->compactorEpoch != p->compactorEpoch) {
      abort();
    }
  }
  sdbFree(b);
  sdbCompactionsFree(q);
  sdbCompactionsFree(p);
  return 0;
}
