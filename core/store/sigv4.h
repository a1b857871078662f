/*
** sigv4.h: AWS Signature Version 4 for S3 requests (header-based, single
** chunk, signed payload). Pure functions over strings; no I/O, no globals.
**
** The rules are AWS's public ones, summarised in spec/OBJECT-STORE.md §4:
**   canonical request = METHOD \n URI \n QUERY \n HEADERS \n SIGNED \n HASH
**   string to sign    = "AWS4-HMAC-SHA256" \n AMZDATE \n SCOPE \n hex(sha256(CR))
**   signing key       = HMAC chain over "AWS4"+secret, date, region, "s3",
**                       "aws4_request"
** The caller sends the path and the query exactly as they appear in the
** canonical request (sdbSigv4Encode / sdbSigv4CanonicalQuery build both),
** and sends every header it signs.
*/
#ifndef SDB_SIGV4_H
#define SDB_SIGV4_H

#include "util/sdbInt.h"

/* Hex SHA-256 of the empty string (x-amz-content-sha256 of bodiless requests). */
#define SDB_SIGV4_EMPTY_SHA256 \
  "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* A name/value pair: a query parameter (raw, not yet encoded) or a header
** (any case; the value is trimmed and inner space runs collapsed when signed). */
typedef struct SdbSigv4Pair {
  const char *zName;      /* borrowed */
  const char *zValue;     /* borrowed; "" for a valueless query parameter */
} SdbSigv4Pair;

/* Everything that goes into a signature. All strings are borrowed. */
typedef struct SdbSigv4Req {
  const char *zMethod;          /* "GET", "PUT", ... */
  const char *zPath;            /* canonical URI, already encoded ("/bkt/a%20b") */
  const SdbSigv4Pair *aQuery;   /* raw query parameters, any order */
  int nQuery;
  const SdbSigv4Pair *aHdr;     /* the headers to sign; all of them are sent.
                                ** Must include host, x-amz-date and
                                ** x-amz-content-sha256. */
  int nHdr;
  const char *zPayloadHash;     /* hex SHA-256 of the body or "UNSIGNED-PAYLOAD" */
  const char *zAmzDate;         /* "YYYYMMDDTHHMMSSZ" (the x-amz-date value) */
  const char *zRegion;          /* "us-east-1" */
  const char *zService;         /* "s3" (NULL means "s3") */
} SdbSigv4Req;

/* Append a[0..n) percent-encoded per AWS to pOut: every byte outside
** A-Z a-z 0-9 - _ . ~ becomes %XX (upper-case hex); '/' is kept when
** bKeepSlash (paths) and encoded otherwise (query names and values).
** SDB_OK or SDB_NOMEM. */
int sdbSigv4Encode(SdbBuf *pOut, const char *z, size_t n, int bKeepSlash);

/* The canonical query string of a[0..n): names and values encoded (slashes
** too), sorted by encoded name then value, "name=value" joined with '&'.
** Returns a new sdbMalloc'd string (caller frees; "" when n==0), NULL on OOM. */
char *sdbSigv4CanonicalQuery(const SdbSigv4Pair *a, int n);

/* The canonical request of p and its signed-header list ("host;x-amz-date").
** Both are new sdbMalloc'd strings owned by the caller. SDB_OK or SDB_NOMEM. */
int sdbSigv4CanonicalRequest(const SdbSigv4Req *p, char **pzCanon, char **pzSigned);

/* Load libcrypto, which the hashes below use, once per process (later calls
** return the first outcome; thread-safe): SDB_OK, or SDB_CANTOPEN saying why
** (pErr may be NULL). S3 stores call it when they open; without it the
** hashes below are all zeros. */
int sdbSigv4Load(SdbErr *pErr);

/* Lower-case hex SHA-256 of a[0..n) into zOut[65]. */
void sdbSigv4Sha256Hex(const void *a, size_t n, char zOut[65]);

/* The signing key: HMAC chain over "AWS4"+zSecret, zDate8 ("YYYYMMDD"),
** zRegion, zService, "aws4_request". */
void sdbSigv4SigningKey(const char *zSecret, const char *zDate8, const char *zRegion,
                        const char *zService, u8 aKey[32]);

/* The string to sign for p (given its canonical request). New sdbMalloc'd
** string (caller frees), NULL on OOM. */
char *sdbSigv4StringToSign(const SdbSigv4Req *p, const char *zCanon);

/* The Authorization header value for p:
**   AWS4-HMAC-SHA256 Credential=<id>/<date>/<region>/s3/aws4_request,
**   SignedHeaders=<names>,Signature=<hex>
** New sdbMalloc'd string (caller frees; it is a credential, never log it),
** NULL on OOM. If zSigOut is not NULL it receives the hex signature. */
char *sdbSigv4Authorization(const SdbSigv4Req *p, const char *zKeyId, const char *zSecret,
                            char zSigOut[65]);

/* x-amz-date for a Unix time: "YYYYMMDDTHHMMSSZ" into z[17]. */
void sdbSigv4AmzDate(i64 unixSec, char z[17]);

#endif /* SDB_SIGV4_H */
