/*
** fuzz_s3resp.c: libFuzzer target for the parsers of S3 answers
** (core/store/s3parse.h): Content-Range and Content-Length header values, the XML
** of ListObjectsV2 pages (keys, sizes, times, continuation) and of error
** bodies (Code, Message, entity decoding).
**
** Input: any bytes. They are parsed as a listing page and an error body as
** they are, and (NUL-terminated, first 512 bytes, as a header line would be
** cut) as header values and a timestamp. Any input must be handled without a
** crash, leak or sanitizer report, and what is parsed must be consistent.
*/
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/s3parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Header values: what is accepted must hold together. */
static void headers(const char *z) {
  SdbS3Range r;
  sdbS3ParseContentRange(z, &r);
  if (r.bHasRange && r.iFirst > r.iLast) abort();
  if (r.bHasRange && r.bHasTotal && r.iLast >= r.nTotal) abort();
  /* A complete 206 body is never empty and matches the range. */
  u64 aLen[] = {0, 1, 100, SDB_TO_END};
  for (int i = 0; i < 4; i++) {
    for (u64 nBody = 0; nBody < 3; nBody++) {
      if (sdbS3RangeComplete(&r, r.iFirst, aLen[i], nBody) &&
          (nBody == 0 || r.iLast - r.iFirst != nBody - 1)) {
        abort();
      }
    }
  }
  u64 n = 0;
  (void)sdbS3ParseU64(z, &n);
  (void)sdbS3IsoToMs(z);
}

/* A listing page with and without a root prefix. */
static void listing(const uint8_t *a, size_t n) {
  static const char *const azRoot[] = {"", "db/"};
  for (int i = 0; i < 2; i++) {
    SdbObjList l;
    memset(&l, 0, sizeof(l));
    int rc = sdbS3ListParse(a, n, azRoot[i], &l);
    if (rc != SDB_OK && rc != SDB_NOMEM) abort();
    sdbObjListSort(&l);
    sdbObjListFree(&l);
    /* The delimited top listing: whole answers only; every name kept is
    ** non-empty; a truncated answer has at least nMax of them. */
    rc = sdbS3ListParseTop(a, n, azRoot[i], 2, &l);
    if (rc != SDB_OK && rc != SDB_CORRUPT && rc != SDB_NOMEM) abort();
    for (int j = 0; rc == SDB_OK && j < l.n; j++) {
      if (!l.a[j].zKey[0]) abort();
    }
    sdbObjListFree(&l);
  }
  char *zNext = NULL;
  int rc = sdbS3ListNext(a, n, &zNext);
  if (rc != SDB_OK && rc != SDB_CORRUPT && rc != SDB_NOMEM) abort();
  if (zNext && (!zNext[0] || strlen(zNext) > 4096)) abort();
  sdbFree(zNext);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char zLine[512];
  size_t nLine = size < sizeof(zLine) - 1 ? size : sizeof(zLine) - 1;
  memcpy(zLine, data, nLine);
  zLine[nLine] = 0;
  headers(zLine);
  listing(data, size);
  char zCode[64], zMsg[160];
  (void)sdbS3XmlText(data, size, "Code", zCode, sizeof(zCode));
  (void)sdbS3XmlText(data, size, "Message", zMsg, sizeof(zMsg));
  char *zDec = sdbS3XmlDecode((const char *)data, size);
  if (zDec && strlen(zDec) > size) abort();      /* decoding never grows the text */
  sdbFree(zDec);
  return 0;
}
