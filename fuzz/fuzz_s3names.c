/*
** fuzz_s3names.c: libFuzzer target for the values that shape S3 request URLs:
** the checks of core/store/s3names.h and the store's own parsing of an s3:// URL
** with endpoint and region settings (sdbStoreOpenS3, which does no I/O).
**
** Input: up to four fields separated by '\n': the URL after "s3://", an
** endpoint, a region, and flags (first byte: bit 0 allow_http, bit 1
** virtual-hosted style). A store that opens must have a checked bucket,
** endpoint and region; a refusal must not repeat a value with '@'.
*/
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/objstore.h"
#include "store/s3names.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Field i of a ('\n'-separated) into a new NUL-terminated string (or NULL if
** the input has fewer fields); caller frees. */
static char *field(const uint8_t *a, size_t n, int i) {
  size_t iStart = 0;
  for (int k = 0; k < i; k++) {
    const uint8_t *p = memchr(a + iStart, '\n', n - iStart);
    if (!p) return NULL;
    iStart = (size_t)(p - a) + 1;
  }
  const uint8_t *pEnd = memchr(a + iStart, '\n', n - iStart);
  size_t nField = pEnd ? (size_t)(pEnd - a) - iStart : n - iStart;
  char *z = malloc(nField + 1);
  if (!z) return NULL;
  memcpy(z, a + iStart, nField);
  z[nField] = 0;
  return z;
}

/* The checks alone, on every field. */
static void checks(const char *z) {
  static const char *const azOpt[] = { "bucket", "region", "endpoint" };
  const char *azWhy[3] = { sdbS3BucketProblem(z, strlen(z)), sdbS3RegionProblem(z),
                           sdbS3EndpointProblem(z, 0) };
  for (int i = 0; i < 3; i++) {                    /* the public check says the same */
    SdbErr err;
    int rc = sdb_s3_option_check(azOpt[i], z, &err);
    if ((rc == SDB_OK) != (azWhy[i] == NULL) || (rc != SDB_OK && strcmp(err.zMsg, azWhy[i]))) abort();
  }
  const char *zWhy = sdbS3EndpointProblem(z, 1);
  if (!zWhy && strchr(z, '@')) abort();            /* user information never passes */
  (void)sdbS3PrefixProblem(z);
  (void)sdbS3Showable(z);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 4096) return 0;
  char *azF[4];
  for (int i = 0; i < 4; i++) azF[i] = field(data, size, i);
  for (int i = 0; i < 4; i++) {
    if (azF[i]) checks(azF[i]);
  }
  char *zUrl = malloc(strlen(azF[0] ? azF[0] : "") + 6);
  if (zUrl) {
    strcpy(zUrl, "s3://");
    strcat(zUrl, azF[0] ? azF[0] : "");
    SdbS3Config c;
    memset(&c, 0, sizeof(c));
    c.zEndpoint = azF[1];
    c.zRegion = azF[2];
    c.eAllowHttp = azF[3] ? (azF[3][0] & 1) : -1;
    c.eVirtualHosted = azF[3] ? ((azF[3][0] >> 1) & 1) : -1;
    SdbStore *s = NULL;
    SdbErr err;
    memset(&err, 0, sizeof(err));
    int rc = sdbStoreOpenS3(zUrl, &c, 1, &s, &err);
    if (rc == SDB_OK && !s) abort();
    if (rc != SDB_OK && s) abort();
    for (int i = 0; rc != SDB_OK && i < 3; i++) {
      if (azF[i] && strchr(azF[i], '@') && strlen(azF[i]) > 8 && strstr(err.zMsg, azF[i])) abort();
    }
    sdbStoreFree(s);
    free(zUrl);
  }
  for (int i = 0; i < 4; i++) free(azF[i]);
  return 0;
}
