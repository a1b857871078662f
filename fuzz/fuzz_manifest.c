/*
** fuzz_manifest.c: libFuzzer target for the manifest decoder (core/meta/manifest.c).
**
** Input: arbitrary bytes, decoded as a manifest object (u16 BE version +
** FlatBuffer, spec/MANIFEST.md §2.1) and, independently, as sequence-tracker
** bytes (§2.4). A decoded manifest is summarised, its own tracker decoded, and
** freed. Nothing may crash, leak or read out of bounds; every failure must be
** a clean error code. Seeds: fuzz/corpus/manifest/ (manifests written by
** SlateDB 0.12.1 and hand-built V1/V2 ones).
*/
#include <stdint.h>
#include <stdlib.h>

#include "meta/manifest.h"
#include "../c-tests/manifest_view.h"

static void fuzzTracker(const uint8_t *a, size_t n) {
  SdbSeqSample *aS = NULL;
  u32 nS = 0;
  SdbErr err = {0};
  int rc = seqTrackerDecode(a, n, &aS, &nS, &err);
  if (rc != SDB_OK && rc != SDB_CORRUPT && rc != SDB_UNSUPPORTED) abort();
  if (rc != SDB_OK && aS) abort();
  free(aS);
}

int LLVMFuzzerTestOneInput(const uint8_t *a, size_t n) {
  SdbManifest *m = NULL;
  SdbErr err = {0};
  int rc = sdbManifestDecode(a, n, &m, &err);
  if (rc == SDB_OK) {
    if (!m || m->nRaw != n) abort();
    sdbFree(manifestSummary(m));
    if (m->bHasSeqTracker) fuzzTracker(m->pSeqTracker, m->nSeqTracker);
  } else if ((rc != SDB_CORRUPT && rc != SDB_UNSUPPORTED && rc != SDB_NOMEM) || m) {
    abort();
  }
  sdbManifestFree(m);
  fuzzTracker(a, n);
  return 0;
}
