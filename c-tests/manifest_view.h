/*
** manifest_view.h: test-side views of a decoded manifest, for the c-tests and
** fuzz_manifest (the engine needs neither: it keeps the sequence tracker as
** raw bytes and writes them back unchanged):
**   manifestSummary      a one-line JSON summary of an SdbManifest
**   seqTrackerDecode     the sequence_tracker bytes as (seq, time) samples
** Header-only, because each c-test is one program.
*/
#ifndef SDB_MANIFEST_VIEW_H
#define SDB_MANIFEST_VIEW_H
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "meta/manifest.h"
#include "util/ids.h"

typedef struct Out {
  SdbBuf b;
  int rc;                 /* sticky SDB_NOMEM */
} Out;

/* Append formatted text (short pieces only) to o. */
static void outf(Out *o, const char *zFmt, ...) __attribute__((format(printf, 2, 3)));
static void outf(Out *o, const char *zFmt, ...) {
  va_list ap;
  char z[128];
  if (o->rc) return;
  va_start(ap, zFmt);
  int n = vsnprintf(z, sizeof(z), zFmt, ap);
  va_end(ap);
  if (n < 0 || (size_t)n >= sizeof(z) || sdbBufAppend(&o->b, z, (size_t)n)) o->rc = SDB_NOMEM;
}

/* A JSON string literal (or null). Bytes >= 0x80 pass through unchanged. */
static void outJsonStr(Out *o, const char *z) {
  if (!z) { outf(o, "null"); return; }
  outf(o, "\"");
  for (; *z; z++) {
    unsigned char c = (unsigned char)*z;
    if (c == '"' || c == '\\') outf(o, "\\%c", c);
    else if (c < 0x20) outf(o, "\\u%04x", c);
    else outf(o, "%c", c);
  }
  outf(o, "\"");
}

/* The sorted_runs and checkpoints members of the summary. */
static void outSummaryRuns(Out *o, const SdbManifest *p) {
  outf(o, "\"sorted_runs\":[");
  for (int i = 0; i < p->nRun; i++) {
    outf(o, "%s{\"id\":%u,\"ssts\":%d}", i ? "," : "", p->aRun[i].id, p->aRun[i].nSst);
  }
  outf(o, "],\"checkpoints\":[");
  for (int i = 0; i < p->nCkpt; i++) {
    char z[37];
    sdbUuidFormat(p->aCkpt[i].aId, z);
    outf(o, "%s\"%s\"", i ? "," : "", z);
  }
  outf(o, "],");
}

/* A one-line JSON summary of the manifest: scalar fields, list counts, sorted
** run ids and sizes, checkpoint ids as UUID text. Returns a sdbMalloc'd string
** (caller frees with sdbFree) or NULL on OOM. */
static inline char *manifestSummary(const SdbManifest *p) {
  Out o = {{0}, SDB_OK};
  char zUlid[27] = "";
  if (p->bHasL0LastCompacted) sdbUlidFormat(p->l0LastCompacted, zUlid);
  outf(&o, "{\"format\":%d,\"size\":%zu,\"initialized\":%s,", p->eFormat, p->nRaw,
       p->bInitialized ? "true" : "false");
  outf(&o, "\"writer_epoch\":%llu,\"compactor_epoch\":%llu,",
       (unsigned long long)p->writerEpoch, (unsigned long long)p->compactorEpoch);
  outf(&o, "\"replay_after_wal_id\":%llu,\"wal_id_last_seen\":%llu,",
       (unsigned long long)p->replayAfterWalId, (unsigned long long)p->walIdLastSeen);
  outf(&o, "\"l0_last_compacted\":");
  outJsonStr(&o, p->bHasL0LastCompacted ? zUlid : NULL);
  outf(&o, ",\"last_l0_clock_tick\":%lld,\"last_l0_seq\":%llu,\"recent_snapshot_min_seq\":%llu,",
       (long long)p->lastL0ClockTick, (unsigned long long)p->lastL0Seq,
       (unsigned long long)p->recentSnapshotMinSeq);
  outf(&o, "\"l0\":%d,", p->nL0);
  outSummaryRuns(&o, p);
  outf(&o, "\"external_dbs\":%d,\"wal_object_store_uri\":", p->nExtDb);
  outJsonStr(&o, p->zWalObjectStoreUri);
  outf(&o, ",\"sequence_tracker_bytes\":%u,\"unknown_fields\":%s}", p->nSeqTracker,
       p->bUnknownFields ? "true" : "false");
  if (o.rc == SDB_OK) o.rc = sdbBufAppend(&o.b, "", 1);
  if (o.rc) { sdbBufFree(&o.b); return NULL; }
  return (char *)sdbBufDetach(&o.b);
}

/* One sequence-tracker sample (spec/MANIFEST.md §2.4). */
typedef struct SdbSeqSample {
  u64 seq;                /* sequence number */
  i64 tsS;                /* wall clock, Unix seconds */
} SdbSeqSample;

/* MSB-first bit reader over a[0..nBit/8). */
typedef struct BitRd {
  const u8 *a;
  u64 nBit;               /* bits available */
  u64 iBit;               /* next bit */
} BitRd;

/* Read nBits (<= 64) into *pV. Returns 0 when the input is exhausted. */
static int bitsGet(BitRd *r, int nBits, u64 *pV) {
  if ((u64)nBits > r->nBit - r->iBit) return 0;
  u64 v = 0;
  for (int i = 0; i < nBits; i++, r->iBit++) {
    v = (v << 1) | ((r->a[r->iBit >> 3] >> (7 - (r->iBit & 7))) & 1);
  }
  *pV = v;
  return 1;
}

/* One delta-of-delta: 0 | 10+7 | 110+9 | 1110+12 | 1111+32 bits, two's
** complement. Returns 0 when truncated. */
static int dodGet(BitRd *r, u64 *pDod) {
  static const int aWidth[5] = {0, 7, 9, 12, 32};
  u64 b;
  int nOnes = 0;
  while (nOnes < 4) {
    if (!bitsGet(r, 1, &b)) return 0;
    if (!b) break;
    nOnes++;
  }
  if (nOnes == 0) { *pDod = 0; return 1; }
  int w = aWidth[nOnes];
  if (!bitsGet(r, w, &b)) return 0;
  if ((b >> (w - 1)) & 1) b |= ~0ull << w;
  *pDod = b;
  return 1;
}

/* One Gorilla series of n values into a[].seq or a[].tsS, then skip to the
** next byte boundary. Arithmetic wraps like two's complement i64. */
static int gorillaSeries(BitRd *r, u32 n, SdbSeqSample *a, int bTs, SdbErr *pErr) {
  const char *zName = bTs ? "timestamp" : "seq";
  u64 cnt, v, dod, delta = 0;
  if (!bitsGet(r, 32, &cnt)) {
    return sdbCorrupt(pErr, "sequence tracker: %s series truncated", zName);
  }
  if (cnt != n) {
    return sdbCorrupt(pErr, "sequence tracker: %s series has %llu values, header says %u",
                      zName, (unsigned long long)cnt, n);
  }
  for (u32 i = 0; i < n; i++) {
    int ok = (i == 0) ? bitsGet(r, 64, &v) : dodGet(r, &dod);
    if (!ok) return sdbCorrupt(pErr, "sequence tracker: %s series truncated at %u", zName, i);
    if (i > 0) { delta += dod; v += delta; }
    if (bTs) a[i].tsS = (i64)v;
    else a[i].seq = v;
  }
  r->iBit = (r->iBit + 7) & ~(u64)7;
  return SDB_OK;
}

/* Decode sequence_tracker bytes a[0..n): u8 version 1, u32 LE count, then two
** Gorilla-coded series (seqs, then timestamps). Returns SDB_OK with *paSample
** (malloc'd, caller frees with free(); NULL when empty) and *pnSample,
** SDB_CORRUPT for truncated or inconsistent data, SDB_UNSUPPORTED for another
** version. */
static inline int seqTrackerDecode(const u8 *a, size_t n, SdbSeqSample **paSample,
                                   u32 *pnSample, SdbErr *pErr) {
  *paSample = NULL;
  *pnSample = 0;
  if (n < 5) return sdbCorrupt(pErr, "sequence tracker: %zu bytes, too short", n);
  if (a[0] != 1) {
    return sdbErrSet(pErr, SDB_UNSUPPORTED, "sequence tracker: unsupported version %u", a[0]);
  }
  u32 cnt = sdbGetU32LE(a + 1);
  BitRd r = {a + 5, (u64)(n - 5) * 8, 0};
  if (cnt > r.nBit) {                   /* every value takes at least one bit */
    return sdbCorrupt(pErr, "sequence tracker: %u samples cannot fit in %zu bytes", cnt, n);
  }
  SdbSeqSample *aS = cnt ? calloc(cnt, sizeof(SdbSeqSample)) : NULL;
  if (cnt && !aS) return SDB_NOMEM_ERR(pErr);
  int rc = gorillaSeries(&r, cnt, aS, 0, pErr);
  if (rc == SDB_OK) rc = gorillaSeries(&r, cnt, aS, 1, pErr);
  if (rc) { free(aS); return rc; }
  *paSample = aS;
  *pnSample = cnt;
  return SDB_OK;
}

#endif /* SDB_MANIFEST_VIEW_H */
