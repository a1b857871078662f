/*
** s3ceiling.c: the object store's own read ceiling, for `make bench` (workload 6).
**
**   s3ceiling --url s3://bucket/prefix/db [--parallel N] [--part BYTES] [--reps R]
**
** Lists the database's SST objects (compacted/ and wal/), then reads every byte of them as
** ranged GETs of --part bytes (1 MiB), --parallel (8) at a time, through the project's own S3
** client (libcurl multi, SigV4; the store's xGetMany), with no decoding and nothing kept: the
** bytes a full scan must download, at the rate the store (and the proxy's delay rule) allows.
** Prints one line per repetition and the best:
**
**   RESULT op=ceiling bytes=B gets=G secs=S mb_per_s=M
**
** Links the engine's core (build/libsdbcore.a) for the S3 client only; the environment is the
** one of the engine (AWS_ENDPOINT, AWS_ACCESS_KEY_ID, ...). Exit status 0 on success.
*/
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/objstore.h"
#include "slatedb.h"

static double nowS(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *zWhat, const SdbErr *pErr) {
  fprintf(stderr, "s3ceiling: %s: %s\n", zWhat, pErr ? pErr->zMsg : "");
  exit(1);
}

/* Append every object of folder zDir to pAll. */
static void listInto(SdbStore *s, const char *zDir, SdbObjList *pAll) {
  SdbObjList l = {0};
  SdbErr err = {0};
  if (s->pMethods->xList(s, zDir, &l, &err)) die("list", &err);
  for (int i = 0; i < l.n; i++) {
    if (sdbObjListAdd(pAll, l.a[i].zKey, l.a[i].size, 0)) die("out of memory", NULL);
  }
  sdbObjListFree(&l);
}

/* One pass: read all of pAll in parts of nPart bytes, batches of 4 x nPar
** requests (xGetMany runs nPar of them at a time). *pnGet counts GETs. */
static u64 readAll(SdbStore *s, const SdbObjList *pAll, u64 nPart, int nPar, u64 *pnGet) {
  int nBatch = 4 * nPar, n = 0;
  SdbGetReq *a = calloc((size_t)nBatch, sizeof(SdbGetReq));
  SdbErr err = {0};
  u64 nBytes = 0;
  if (!a) die("out of memory", NULL);
  for (int i = 0; i <= pAll->n; i++) {
    for (u64 off = 0; i < pAll->n && off < pAll->a[i].size; off += nPart) {
      a[n].zKey = pAll->a[i].zKey;
      a[n].iOff = off;
      a[n].nLen = pAll->a[i].size - off < nPart ? pAll->a[i].size - off : nPart;
      if (++n < nBatch) continue;
      if (sdbStoreGetMany(s, a, n, &err)) die("get", &err);
      for (int k = 0; k < n; k++) nBytes += a[k].out.n;
      *pnGet += (u64)n;
      n = 0;
    }
    if (i == pAll->n && n) {
      if (sdbStoreGetMany(s, a, n, &err)) die("get", &err);
      for (int k = 0; k < n; k++) nBytes += a[k].out.n;
      *pnGet += (u64)n;
    }
  }
  for (int k = 0; k < nBatch; k++) sdbBufFree(&a[k].out);
  free(a);
  return nBytes;
}

int main(int argc, char **argv) {
  const char *zUrl = NULL;
  int nPar = 8, nReps = 3;
  u64 nPart = 1 << 20;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--url")) zUrl = argv[i + 1];
    else if (!strcmp(argv[i], "--parallel")) nPar = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--part")) nPart = strtoull(argv[i + 1], NULL, 10);
    else if (!strcmp(argv[i], "--reps")) nReps = atoi(argv[i + 1]);
  }
  if (!zUrl || nPar < 1 || nPart < 1 || nReps < 1) {
    fprintf(stderr, "usage: s3ceiling --url s3://bucket/prefix [--parallel N] [--part BYTES] [--reps R]\n");
    return 2;
  }
  SdbS3Config cfg;
  memset(&cfg, 0, sizeof(cfg));
  cfg.eAllowHttp = -1;
  cfg.eVirtualHosted = -1;
  cfg.nParallel = nPar;
  SdbStore *s = NULL;
  SdbErr err = {0};
  if (sdbStoreOpenS3(zUrl, &cfg, 1, &s, &err)) die(zUrl, &err);
  SdbObjList all = {0};
  listInto(s, "compacted/", &all);
  listInto(s, "wal/", &all);
  double best = 0;
  for (int r = 0; r < nReps; r++) {
    u64 nGet = 0;
    double t0 = nowS();
    u64 nBytes = readAll(s, &all, nPart, nPar, &nGet);
    double secs = nowS() - t0;
    double mbs = secs > 0 ? (double)nBytes / 1e6 / secs : 0;
    if (mbs > best) best = mbs;
    printf("RESULT op=ceiling bytes=%llu gets=%llu secs=%.4f mb_per_s=%.1f\n",
           (unsigned long long)nBytes, (unsigned long long)nGet, secs, mbs);
  }
  printf("RESULT op=ceiling-best parallel=%d part=%llu mb_per_s=%.1f\n", nPar,
         (unsigned long long)nPart, best);
  sdbObjListFree(&all);
  sdbStoreFree(s);
  return 0;
}
