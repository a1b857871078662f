/*
** sigv4.c: AWS Signature Version 4 signer for S3 (see sigv4.h and
** spec/OBJECT-STORE.md §4), written on OpenSSL's EVP SHA-256 and HMAC
** (libcrypto, loaded on first use: sdbSigv4Load).
**
** Wire facts this file produces:
**   - percent-encoding: bytes outside A-Z a-z 0-9 - _ . ~ become %XX with
**     upper-case hex; '/' stays in paths and becomes %2F in query strings;
**   - canonical query: encoded "name=value" pairs (valueless ones as "name=")
**     sorted by name then value, joined by '&';
**   - canonical headers: "name:value\n" with lower-case names, trimmed values,
**     inner space runs collapsed to one space, sorted by name;
**   - Authorization: "AWS4-HMAC-SHA256 Credential=ID/DATE/REGION/s3/aws4_request,
**     SignedHeaders=a;b;c,Signature=HEX".
** The functions are pure; the S3 backend (store/s3.c) decides which headers
** exist and sends exactly those it signs.
*/
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/opensslv.h>

#include "store/sigv4.h"

/* ------------------------------------------------------------ libcrypto */

/* libcrypto is loaded (dlopen) when S3 first signs, not linked: loading it
** cost every new process, S3 or not, about 1.3 ms. */
#if OPENSSL_VERSION_MAJOR >= 3
#define SIGV4_LIBCRYPTO "libcrypto.so.3"
#else
#define SIGV4_LIBCRYPTO "libcrypto.so.1.1"
#endif

typedef struct CryptoApi {
  int (*digest)(const void *, size_t, unsigned char *, unsigned int *, const EVP_MD *, ENGINE *);
  const EVP_MD *(*sha256)(void);
  unsigned char *(*hmac)(const EVP_MD *, const void *, int, const unsigned char *, size_t,
                         unsigned char *, unsigned int *);
} CryptoApi;

static CryptoApi cryptoApi;                  /* filled once by cryptoLoadOnce */
static pthread_once_t cryptoOnce = PTHREAD_ONCE_INIT;
static char zCryptoWhy[200];                 /* why loading failed; "" once loaded */

/* pthread_once body: dlopen libcrypto (kept for the process's life) and
** resolve the three functions into cryptoApi, or set zCryptoWhy. */
static void cryptoLoadOnce(void) {
  static const char *const azSym[] = {"EVP_Digest", "EVP_sha256", "HMAC"};
  CryptoApi api;
  _Static_assert(sizeof(api) == 3 * sizeof(void *), "CryptoApi and azSym differ");
  if (sdbLibLoad(SIGV4_LIBCRYPTO, azSym, 3, (void **)&api, zCryptoWhy, sizeof(zCryptoWhy))) {
    cryptoApi = api;
  }
}

int sdbSigv4Load(SdbErr *pErr) {
  pthread_once(&cryptoOnce, cryptoLoadOnce);
  if (zCryptoWhy[0]) return sdbErrSet(pErr, SDB_CANTOPEN, "S3 signing needs libcrypto: %s", zCryptoWhy);
  return SDB_OK;
}

static const char hexUpper[] = "0123456789ABCDEF";
static const char hexLower[] = "0123456789abcdef";

/* True for AWS's unreserved bytes. */
static int isUnreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
         c == '-' || c == '_' || c == '.' || c == '~';
}

int sdbSigv4Encode(SdbBuf *pOut, const char *z, size_t n, int bKeepSlash) {
  if (sdbBufReserve(pOut, n * 3 + 1)) return SDB_NOMEM;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)z[i];
    if (isUnreserved(c) || (bKeepSlash && c == '/')) {
      pOut->a[pOut->n++] = c;
    } else {
      pOut->a[pOut->n++] = '%';
      pOut->a[pOut->n++] = (u8)hexUpper[c >> 4];
      pOut->a[pOut->n++] = (u8)hexUpper[c & 15];
    }
  }
  pOut->a[pOut->n] = 0;    /* keep it a C string; not counted in n */
  return SDB_OK;
}

/* Detach pB as a NUL-terminated string (caller frees), NULL if bOom. */
static char *bufToString(SdbBuf *pB, int bOom) {
  if (bOom || sdbBufAppend(pB, "", 1)) {
    sdbBufFree(pB);
    return NULL;
  }
  return (char *)sdbBufDetach(pB);
}

/* ------------------------------------------------------------ query */

typedef struct EncPair {
  char *zName;            /* encoded, sdbMalloc'd */
  char *zValue;           /* encoded, sdbMalloc'd */
} EncPair;

/* qsort order of the canonical query: name, then value. */
static int encPairCmp(const void *a, const void *b) {
  const EncPair *x = a, *y = b;
  int c = strcmp(x->zName, y->zName);
  return c ? c : strcmp(x->zValue, y->zValue);
}

/* Encoded copy of z (slashes encoded), NULL on OOM. */
static char *encodeComponent(const char *z) {
  SdbBuf b = {0};
  int bOom = sdbSigv4Encode(&b, z, strlen(z), 0) != SDB_OK;
  return bufToString(&b, bOom);
}

char *sdbSigv4CanonicalQuery(const SdbSigv4Pair *a, int n) {
  EncPair *aE = sdbMallocZero(sizeof(EncPair) * (size_t)(n > 0 ? n : 1));
  SdbBuf b = {0};
  int bOom = aE == NULL;
  for (int i = 0; !bOom && i < n; i++) {
    aE[i].zName = encodeComponent(a[i].zName);
    aE[i].zValue = encodeComponent(a[i].zValue ? a[i].zValue : "");
    bOom = !aE[i].zName || !aE[i].zValue;
  }
  if (!bOom) qsort(aE, (size_t)n, sizeof(EncPair), encPairCmp);
  for (int i = 0; !bOom && i < n; i++) {
    if (i > 0) bOom |= sdbBufAppend(&b, "&", 1) != SDB_OK;
    bOom |= sdbBufAppend(&b, aE[i].zName, strlen(aE[i].zName)) != SDB_OK;
    bOom |= sdbBufAppend(&b, "=", 1) != SDB_OK;
    bOom |= sdbBufAppend(&b, aE[i].zValue, strlen(aE[i].zValue)) != SDB_OK;
  }
  for (int i = 0; aE && i < n; i++) {
    sdbFree(aE[i].zName);
    sdbFree(aE[i].zValue);
  }
  sdbFree(aE);
  return bufToString(&b, bOom);
}

/* ------------------------------------------------------------ headers */

typedef struct CanonHdr {
  char *zName;            /* lower-case, sdbMalloc'd */
  char *zValue;           /* trimmed, spaces collapsed, sdbMalloc'd */
} CanonHdr;

/* qsort order of canonical headers: by lower-case name. */
static int canonHdrCmp(const void *a, const void *b) {
  return strcmp(((const CanonHdr *)a)->zName, ((const CanonHdr *)b)->zName);
}

/* Lower-case copy of z (caller frees), NULL on OOM. */
static char *lowerCopy(const char *z) {
  char *zOut = sdbStrdup(z);
  for (char *p = zOut; p && *p; p++) *p = (char)tolower((unsigned char)*p);
  return zOut;
}

/* Value trimmed of leading/trailing blanks, inner blank runs collapsed to
** one space. New string (caller frees), NULL on OOM. */
static char *trimCollapse(const char *z) {
  char *zOut = sdbMalloc(strlen(z) + 1);
  if (!zOut) return NULL;
  size_t n = 0;
  int bSpace = 0;
  for (; *z; z++) {
    if (*z == ' ' || *z == '\t') {
      bSpace = n > 0;
      continue;
    }
    if (bSpace) zOut[n++] = ' ';
    bSpace = 0;
    zOut[n++] = *z;
  }
  zOut[n] = 0;
  return zOut;
}

/* Free a[0..n) and the array (NULL-safe). */
static void canonHdrFree(CanonHdr *a, int n) {
  for (int i = 0; a && i < n; i++) {
    sdbFree(a[i].zName);
    sdbFree(a[i].zValue);
  }
  sdbFree(a);
}

/* The sorted canonical form of p's headers into *paOut (caller frees with
** canonHdrFree(*paOut, p->nHdr)). SDB_OK or SDB_NOMEM. */
static int canonHeaders(const SdbSigv4Req *p, CanonHdr **paOut) {
  CanonHdr *a = sdbMallocZero(sizeof(CanonHdr) * (size_t)(p->nHdr > 0 ? p->nHdr : 1));
  int bOom = a == NULL;
  for (int i = 0; !bOom && i < p->nHdr; i++) {
    a[i].zName = lowerCopy(p->aHdr[i].zName);
    a[i].zValue = trimCollapse(p->aHdr[i].zValue ? p->aHdr[i].zValue : "");
    bOom = !a[i].zName || !a[i].zValue;
  }
  if (bOom) {
    canonHdrFree(a, p->nHdr);
    return SDB_NOMEM;
  }
  qsort(a, (size_t)p->nHdr, sizeof(CanonHdr), canonHdrCmp);
  *paOut = a;
  return SDB_OK;
}

/* Append the C string z to pB. SDB_OK or SDB_NOMEM. */
static int appendStr(SdbBuf *pB, const char *z) {
  return sdbBufAppend(pB, z, strlen(z));
}

int sdbSigv4CanonicalRequest(const SdbSigv4Req *p, char **pzCanon, char **pzSigned) {
  CanonHdr *aH = NULL;
  SdbBuf b = {0}, s = {0};
  *pzCanon = *pzSigned = NULL;
  char *zQuery = sdbSigv4CanonicalQuery(p->aQuery, p->nQuery);
  int bOom = !zQuery || canonHeaders(p, &aH) != SDB_OK;
  if (!bOom) {
    bOom |= appendStr(&b, p->zMethod) | appendStr(&b, "\n") | appendStr(&b, p->zPath);
    bOom |= appendStr(&b, "\n") | appendStr(&b, zQuery) | appendStr(&b, "\n");
    for (int i = 0; i < p->nHdr; i++) {
      bOom |= appendStr(&b, aH[i].zName) | appendStr(&b, ":");
      bOom |= appendStr(&b, aH[i].zValue) | appendStr(&b, "\n");
      bOom |= appendStr(&s, i ? ";" : "") | appendStr(&s, aH[i].zName);
    }
    bOom |= appendStr(&b, "\n") | sdbBufAppend(&b, s.a, s.n) | appendStr(&b, "\n");
    bOom |= appendStr(&b, p->zPayloadHash);
  }
  canonHdrFree(aH, aH ? p->nHdr : 0);
  sdbFree(zQuery);
  *pzCanon = bufToString(&b, bOom);
  *pzSigned = bufToString(&s, bOom || !*pzCanon);
  if (!*pzCanon || !*pzSigned) {
    sdbFree(*pzCanon);
    sdbFree(*pzSigned);
    *pzCanon = *pzSigned = NULL;
    return SDB_NOMEM;
  }
  return SDB_OK;
}

/* ------------------------------------------------------------ crypto */

/* Lower-case hex of a[0..n) into zOut[2n+1]. */
static void toHex(const u8 *a, size_t n, char *zOut) {
  for (size_t i = 0; i < n; i++) {
    zOut[2 * i] = hexLower[a[i] >> 4];
    zOut[2 * i + 1] = hexLower[a[i] & 15];
  }
  zOut[2 * n] = 0;
}

void sdbSigv4Sha256Hex(const void *a, size_t n, char zOut[65]) {
  u8 md[32];
  unsigned int nMd = 0;
  memset(md, 0, sizeof(md));
  if (sdbSigv4Load(NULL) == SDB_OK) cryptoApi.digest(n ? a : "", n, md, &nMd, cryptoApi.sha256(), NULL);
  toHex(md, 32, zOut);
}

/* aOut = HMAC-SHA256(key, msg); aOut may be aKey. */
static void hmac256(const u8 *aKey, size_t nKey, const char *zMsg, u8 aOut[32]) {
  unsigned int nOut = 32;
  if (sdbSigv4Load(NULL) != SDB_OK) {
    memset(aOut, 0, 32);   /* (aOut may be aKey: not before the HMAC) */
    return;
  }
  cryptoApi.hmac(cryptoApi.sha256(), aKey, (int)nKey, (const u8 *)zMsg, strlen(zMsg), aOut, &nOut);
}

void sdbSigv4SigningKey(const char *zSecret, const char *zDate8, const char *zRegion,
                        const char *zService, u8 aKey[32]) {
  size_t nSecret = strlen(zSecret);
  u8 *aFirst = sdbMalloc(nSecret + 4);
  u8 k[32];
  if (!aFirst) {          /* cannot sign; a wrong key makes the server say 403 */
    memset(aKey, 0, 32);
    return;
  }
  memcpy(aFirst, "AWS4", 4);
  memcpy(aFirst + 4, zSecret, nSecret);
  hmac256(aFirst, nSecret + 4, zDate8, k);
  hmac256(k, 32, zRegion, k);
  hmac256(k, 32, zService, k);
  hmac256(k, 32, "aws4_request", aKey);
  memset(aFirst, 0, nSecret + 4);
  sdbFree(aFirst);
}

/* The service of p's credential scope (default "s3"). */
static const char *serviceOf(const SdbSigv4Req *p) {
  return p->zService ? p->zService : "s3";
}

char *sdbSigv4StringToSign(const SdbSigv4Req *p, const char *zCanon) {
  char zHash[65];
  sdbSigv4Sha256Hex(zCanon, strlen(zCanon), zHash);
  return sdbMprintf("AWS4-HMAC-SHA256\n%s\n%.8s/%s/%s/aws4_request\n%s", p->zAmzDate,
                    p->zAmzDate, p->zRegion, serviceOf(p), zHash);
}

char *sdbSigv4Authorization(const SdbSigv4Req *p, const char *zKeyId, const char *zSecret,
                            char zSigOut[65]) {
  char *zCanon = NULL, *zSigned = NULL, *zAuth = NULL;
  if (sdbSigv4CanonicalRequest(p, &zCanon, &zSigned)) return NULL;
  char *zSts = sdbSigv4StringToSign(p, zCanon);
  if (zSts) {
    char zDate8[9], zSig[65];
    u8 aKey[32], aSig[32];
    memcpy(zDate8, p->zAmzDate, 8);
    zDate8[8] = 0;
    sdbSigv4SigningKey(zSecret, zDate8, p->zRegion, serviceOf(p), aKey);
    hmac256(aKey, 32, zSts, aSig);
    toHex(aSig, 32, zSig);
    if (zSigOut) memcpy(zSigOut, zSig, 65);
    zAuth = sdbMprintf("AWS4-HMAC-SHA256 Credential=%s/%s/%s/%s/aws4_request,"
                       "SignedHeaders=%s,Signature=%s",
                       zKeyId, zDate8, p->zRegion, serviceOf(p), zSigned, zSig);
    memset(aKey, 0, sizeof(aKey));
  }
  sdbFree(zSts);
  sdbFree(zCanon);
  sdbFree(zSigned);
  return zAuth;
}

void sdbSigv4AmzDate(i64 unixSec, char z[17]) {
  time_t t = (time_t)unixSec;
  struct tm tm;
  gmtime_r(&t, &tm);
  strftime(z, 17, "%Y%m%dT%H%M%SZ", &tm);
}
