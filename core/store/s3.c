/*
** s3.c: the S3 object store (s3://bucket[/prefix]) on libcurl, with
** our own SigV4 signatures (sigv4.c). spec/OBJECT-STORE.md §1-§6 describes
** what SlateDB 0.12.1 needs and how it looks on the wire.
**
** Requests (path-style "/bucket/key" by default, or "bucket.host/key"):
**   GET    /bkt/pfx/KEY   Range: bytes=a-b | bytes=a-      -> 206 (or 200)
**          416 (range starts at/after the end) -> empty result
**   HEAD   /bkt/pfx/KEY   -> Content-Length, x-amz-meta-slatedbputid
**   PUT    /bkt/pfx/KEY   Content-Length, Content-Type: application/octet-stream
**          create-only:   If-None-Match: * and x-amz-meta-slatedbputid: <ULID>;
**                         412/304 -> HEAD; our put-id -> success, else EXISTS;
**                         no settling answer in time after an attempt that
**                         may have been applied -> SDB_UNKNOWN
**   DELETE /bkt/pfx/KEY   -> 204/200/404 are all success
**   GET    /bkt?continuation-token=T&list-type=2&prefix=pfx%2FP
**          ListObjectsV2 XML: <Contents><Key/><Size/><LastModified/></Contents>,
**          <IsTruncated>, <NextContinuationToken>; keys XML-escaped
** Every request carries x-amz-content-sha256 (hex SHA-256 of the body). With
** credentials it is signed: host, x-amz-date, x-amz-content-sha256,
** x-amz-security-token, range, if-none-match and x-amz-meta-slatedbputid (only
** the headers actually sent). The path and query are sent exactly as signed.
**
** Errors: 404 NoSuchKey -> SDB_NOTFOUND, 404 NoSuchBucket -> SDB_CANTOPEN,
** 403 -> SDB_PERM. Connection errors, timeouts, truncated bodies and HTTP
** 409/429/500/502/503/504 are retried with exponential backoff (100 ms doubling
** to 1 s, full jitter) until the operation deadline (timeoutMs); other 4xx
** are final. Attempts that get no connection (unresolvable host, refused or
** failed connect, failed TLS handshake, connectTimeoutMs passed before the
** request left) end the operation after S3_MAX_CONN_FAIL of them, well before
** the deadline: that is a setting or an outage, and the message says which
** endpoint, where it came from and what to check. An untrusted certificate
** (names the CA bundle) is final; so is a 3xx or a 400 region error (names
** the region in use, its source and the bucket's). Messages never contain
** credentials, nor a URL or endpoint that could (one with '@', '?' or '#' is
** not repeated).
**
** Names (checked at open, core/store/s3names.h): the bucket follows S3's rules, the
** prefix has no ".", ".." or empty segment, the region is [a-z0-9-]+, and
** endpoints are http(s)://host[:port] without user information, query or
** fragment. Credentials are bound to the environment's endpoint (or AWS's for
** the region), scheme policy and addressing style; with credentials, an
** endpoint, allow_http=true or virtual_hosted_style option that departs from
** them is refused (SDB_PERM) so that a table definition cannot aim signed
** requests elsewhere (s3CheckBinding).
**
** Credentials come from the chain of creds.c (environment, profile, web
** identity, container, IMDS). Each attempt signs with the chain's current set,
** refreshed before it expires; a 403 ExpiredToken, InvalidToken,
** TokenRefreshRequired or InvalidAccessKeyId with temporary credentials renews
** them once and retries. Without credentials requests go unsigned, and a 403
** then lists the sources tried and why each was skipped.
**
** Threads: the store is immutable after open except for the handle pools
** (mutex), the credentials (creds.c's locks) and the stats (atomic adds), so
** any number of threads may call it.
** Easy handles are pooled and reused (curl_easy_reset keeps their connection
** cache, so connections stay alive); xGetMany uses a pooled multi handle.
*/
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <time.h>


#include "util/ids.h"
#include "store/creds.h"
#include "store/curlapi.h"
#include "store/objstore.h"
#include "store/s3parse.h"
#include "store/sigv4.h"

#define S3_POOL_EASY      32      /* idle easy handles kept */
#define S3_POOL_MULTI     4       /* idle multi handles kept */
#define S3_BACKOFF_MIN_MS 100
#define S3_BACKOFF_MAX_MS 1000
#define S3_LOW_SPEED_SECS 10      /* abort an attempt below 1 byte/s for this long */
#define S3_RETRY          (-1)    /* internal verdict: try again */
#define S3_MAX_CONN_FAIL  3       /* attempts of one operation that get no connection */
#define S3_CONNECT_MS     3000    /* default connect_timeout (TCP + TLS handshake) */
#define S3_CONN_BACKOFF_MS 250    /* least backoff after the first attempt without one */
#define S3_MPU_THRESHOLD  (16u << 20)   /* plain PUTs from this size go multipart */
#define S3_MPU_PART       (8u << 20)    /* bytes per part */
#define S3_MPU_PART_MIN   (5u << 20)    /* S3's smallest part but the last */
#define S3_MPU_PARALLEL   4             /* UploadPart requests in flight */
#define S3_MPU_MAX_PARTS  10000         /* S3's limit */

#define S3_CRED_OK        0       /* requests are signed */
#define S3_CRED_NONE      1       /* no source of the chain gave credentials */

typedef struct S3Store {
  SdbStore base;          /* must be first */
  char *zBucket;          /* bucket name */
  char *zPrefix;          /* decoded key prefix without '/' at either end; "" = none */
  char *zEndpoint;        /* endpoint in use, no trailing '/' (messages) */
  char *zEnvEndpoint;     /* endpoint credentials are bound to (messages) */
  const char *zEpFrom;    /* where zEndpoint came from: a variable's name, "the endpoint
                          ** option", or NULL for AWS's own endpoint of the region (static) */
  const char *zRegionFrom;  /* where zRegion came from (static; messages) */
  char *zUrlBase;         /* "scheme://authority" requests go to */
  char *zHost;            /* Host header value (authority, vhost: bucket.authority) */
  char *zPathBase;        /* encoded path before the key: "/bkt" or "" (vhost) */
  char *zRegion;          /* signing region */
  SdbCreds *pCreds;       /* the credential chain (creds.c) */
  int eCred;              /* S3_CRED_* */
  char *zCaBundle;        /* $AWS_CA_BUNDLE or NULL */
  int bReadOnly;          /* refuse PUT and DELETE */
  u64 timeoutMs;          /* one operation, retries included */
  u64 connectTimeoutMs;   /* one connect */
  int nParallel;          /* xGetMany transfers in flight */
  u64 mpuThreshold;       /* plain PUTs of at least this many bytes go multipart */
  u64 mpuPartSize;        /* bytes per part (the last may be shorter) */
  pthread_mutex_t mu;     /* guards the pools */
  CURL *apEasy[S3_POOL_EASY];     /* idle easy handles */
  int nEasy;
  CURLM *apMulti[S3_POOL_MULTI];  /* idle multi handles */
  int nMulti;
} S3Store;

/* One logical request, the same on every attempt. */
typedef struct S3Req {
  const char *zMethod;    /* "GET", "HEAD", "PUT", "DELETE", "POST" (multipart) */
  char *zName;            /* "s3://bucket/object-key" for messages; owned */
  char *zPath;            /* encoded request path; owned */
  char *zQuery;           /* canonical query ("" if none); owned */
  const SdbSigv4Pair *aQuery;  /* raw query parameters (for signing) */
  int nQuery;
  const u8 *aBody;        /* PUT body (borrowed) */
  size_t nBody;
  char zBodyHash[65];     /* hex SHA-256 of the body */
  int bRange;             /* GET with a Range header */
  u64 iOff, nLen;         /* the range asked for (nLen may be SDB_TO_END) */
  char zRange[64];        /* "bytes=a-b" */
  int bIfNoneMatch;       /* create-only PUT */
  char zPutId[27];        /* x-amz-meta-slatedbputid or "" */
  int bMaybeApplied;      /* an attempt may have reached the store unanswered */
  u64 iCredGen;           /* generation of the credentials the last attempt was signed with */
  int bCredRenewed;       /* a 403 for expired credentials already renewed them once */
  int *pnNoConn;          /* count of attempts without a connection, shared by
                          ** the requests of one batch (s3GetMany), or NULL */
} S3Req;

/* What one attempt got back. */
typedef struct S3Resp {
  CURLcode cc;            /* transfer result */
  long status;            /* HTTP status (0 if none) */
  char zCurlErr[CURL_ERROR_SIZE];
  SdbBuf body;            /* response body; owned */
  int bOom;               /* body allocation failed */
  int bHasLen;            /* Content-Length seen */
  u64 nLenHdr;
  int bHasRange;          /* Content-Range "bytes a-b/t" seen */
  u64 crFirst, crLast;
  int bHasTotal;          /* total known ("a-b/T" or "(star)/T") */
  u64 crTotal;
  char zPutId[64];        /* x-amz-meta-slatedbputid */
  char zBucketRegion[64]; /* x-amz-bucket-region (S3 names the bucket's region) */
  long nReqSize;          /* bytes of request heads sent (0: the request never left) */
  int bEmpty;             /* GET answered 416: the range starts past the end */
  int nReqSent;           /* request heads curl sent (create-only PUT only; see s3OnDebug) */
  char zEtag[128];        /* ETag (UploadPart answers) */
} S3Resp;

/* Count on the store and on the calling thread's cost record (sdb_cost_attach). */
#define STAT_ADD(p, f, v)                                            \
  do {                                                               \
    __atomic_add_fetch(&(p)->base.stats.f, (v), __ATOMIC_RELAXED);   \
    SDB_COST_ADD(f, (v));                                            \
  } while (0)

/* ------------------------------------------------------------ small helpers */

/* Monotonic clock in ms (deadlines). */
static i64 s3NowMs(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (i64)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Sleep ms milliseconds (none if ms <= 0), resuming after signals. */
static void s3SleepMs(i64 ms) {
  if (ms <= 0) return;
  struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0) {}
}

/* Non-empty value of environment variable zName, else NULL. */
static const char *s3Env(const char *zName) {
  const char *z = getenv(zName);
  return z && z[0] ? z : NULL;
}

/* True if environment variable zName is "true" (any case). */
static int s3EnvTrue(const char *zName) {
  const char *z = s3Env(zName);
  return z && strcasecmp(z, "true") == 0;
}

/* ------------------------------------------------------------ handle pools */

/* An idle easy handle, or a new one. NULL on OOM. Caller returns it with
** s3EasyPut. */
static CURL *s3EasyGet(S3Store *p) {
  CURL *h = NULL;
  pthread_mutex_lock(&p->mu);
  if (p->nEasy > 0) h = p->apEasy[--p->nEasy];
  pthread_mutex_unlock(&p->mu);
  return h ? h : curl_easy_init();
}

/* Give h back to the pool (its connections stay open) or free it. */
static void s3EasyPut(S3Store *p, CURL *h) {
  pthread_mutex_lock(&p->mu);
  if (p->nEasy < S3_POOL_EASY) {
    p->apEasy[p->nEasy++] = h;
    h = NULL;
  }
  pthread_mutex_unlock(&p->mu);
  if (h) curl_easy_cleanup(h);
}

/* An idle multi handle, or a new one (NULL on OOM). Return it with s3MultiPut. */
static CURLM *s3MultiGet(S3Store *p) {
  CURLM *m = NULL;
  pthread_mutex_lock(&p->mu);
  if (p->nMulti > 0) m = p->apMulti[--p->nMulti];
  pthread_mutex_unlock(&p->mu);
  return m ? m : curl_multi_init();
}

/* REQUIRES: no easy handle is attached to m. */
static void s3MultiPut(S3Store *p, CURLM *m) {
  pthread_mutex_lock(&p->mu);
  if (p->nMulti < S3_POOL_MULTI) {
    p->apMulti[p->nMulti++] = m;
    m = NULL;
  }
  pthread_mutex_unlock(&p->mu);
  if (m) curl_multi_cleanup(m);
}

/* ------------------------------------------------------------ requests */

/* The full object key of engine key zKey: "prefix/zKey" or zKey. Caller
** frees; NULL on OOM. */
static char *s3ObjectKey(S3Store *p, const char *zKey) {
  return p->zPrefix[0] ? sdbMprintf("%s/%s", p->zPrefix, zKey) : sdbStrdup(zKey);
}

/* Fill q for a request on engine key zKey: method, encoded path, name for
** messages, empty query and body. SDB_OK or SDB_NOMEM (caller frees q with
** s3ReqFree either way). */
static int s3ReqInit(S3Store *p, S3Req *q, const char *zMethod, const char *zKey) {
  q->zMethod = zMethod;
  memcpy(q->zBodyHash, SDB_SIGV4_EMPTY_SHA256, 65);
  char *zObj = s3ObjectKey(p, zKey);
  if (!zObj) return SDB_NOMEM;
  SdbBuf b = {0};
  int bOom = sdbBufAppend(&b, p->zPathBase, strlen(p->zPathBase)) != SDB_OK;
  bOom = bOom || sdbBufAppend(&b, "/", 1) || sdbSigv4Encode(&b, zObj, strlen(zObj), 1);
  bOom = bOom || sdbBufAppend(&b, "", 1);
  q->zPath = bOom ? NULL : (char *)sdbBufDetach(&b);
  sdbBufFree(&b);
  q->zName = sdbMprintf("s3://%s/%s", p->zBucket, zObj);
  q->zQuery = sdbStrdup("");
  sdbFree(zObj);
  return (q->zPath && q->zName && q->zQuery) ? SDB_OK : SDB_NOMEM;
}

/* Free what q owns and zero it (q itself is the caller's). */
static void s3ReqFree(S3Req *q) {
  sdbFree(q->zName);
  sdbFree(q->zPath);
  sdbFree(q->zQuery);
  memset(q, 0, sizeof(*q));
}

/* Set the Range of a GET of [iOff, iOff+nLen). nLen 0 asks for one byte that
** is then discarded (S3 has no empty range). */
static void s3ReqRange(S3Req *q, u64 iOff, u64 nLen) {
  q->bRange = 1;
  q->iOff = iOff;
  q->nLen = nLen;
  if (nLen == SDB_TO_END || iOff + nLen < iOff) {
    q->nLen = SDB_TO_END;
    snprintf(q->zRange, sizeof(q->zRange), "bytes=%llu-", (unsigned long long)iOff);
  } else {
    u64 iLast = nLen ? iOff + nLen - 1 : iOff;
    snprintf(q->zRange, sizeof(q->zRange), "bytes=%llu-%llu", (unsigned long long)iOff,
             (unsigned long long)iLast);
  }
}

/* Clear r for a new attempt, keeping its body allocation (emptied). */
static void s3RespReset(S3Resp *r) {
  SdbBuf body = r->body;
  memset(r, 0, sizeof(*r));
  body.n = 0;
  r->body = body;
}

/* ------------------------------------------------------------ response headers */

/* Record Content-Range value z in r (strictly parsed; see s3parse.h). */
static void s3ParseContentRange(S3Resp *r, const char *z) {
  SdbS3Range cr;
  sdbS3ParseContentRange(z, &cr);
  r->bHasRange = cr.bHasRange;
  r->crFirst = cr.iFirst;
  r->crLast = cr.iLast;
  r->bHasTotal = cr.bHasTotal;
  r->crTotal = cr.nTotal;
}

/* CURLOPT_HEADERFUNCTION: record the headers S3Resp cares about. A status line
** (also of an interim 100 Continue) resets them. */
static size_t s3OnHeader(char *a, size_t sz, size_t n, void *pArg) {
  S3Resp *r = pArg;
  size_t nByte = sz * n;
  char zLine[512];
  size_t nLine = SDB_MIN(nByte, sizeof(zLine) - 1);
  memcpy(zLine, a, nLine);
  while (nLine > 0 && (zLine[nLine - 1] == '\r' || zLine[nLine - 1] == '\n' || zLine[nLine - 1] == ' ')) nLine--;
  zLine[nLine] = 0;
  if (strncmp(zLine, "HTTP/", 5) == 0) {
    r->bHasLen = r->bHasRange = r->bHasTotal = 0;
    r->zPutId[0] = 0;
    r->zBucketRegion[0] = 0;
    r->zEtag[0] = 0;
    return nByte;
  }
  char *zColon = strchr(zLine, ':');
  if (!zColon) return nByte;
  *zColon = 0;
  char *zVal = zColon + 1;
  while (*zVal == ' ' || *zVal == '\t') zVal++;
  if (strcasecmp(zLine, "content-length") == 0) {
    r->bHasLen = sdbS3ParseU64(zVal, &r->nLenHdr);
  } else if (strcasecmp(zLine, "content-range") == 0) {
    s3ParseContentRange(r, zVal);
  } else if (strcasecmp(zLine, "x-amz-meta-slatedbputid") == 0) {
    snprintf(r->zPutId, sizeof(r->zPutId), "%s", zVal);
  } else if (strcasecmp(zLine, "x-amz-bucket-region") == 0) {
    snprintf(r->zBucketRegion, sizeof(r->zBucketRegion), "%s", zVal);
  } else if (strcasecmp(zLine, "etag") == 0) {
    snprintf(r->zEtag, sizeof(r->zEtag), "%s", zVal);
  }
  return nByte;
}

/* CURLOPT_WRITEFUNCTION: append to the body. */
static size_t s3OnBody(char *a, size_t sz, size_t n, void *pArg) {
  S3Resp *r = pArg;
  if (sdbBufAppend(&r->body, a, sz * n)) {
    r->bOom = 1;
    return 0;
  }
  return sz * n;
}

/* ------------------------------------------------------------ request headers */

/* Append "Name: value" to *pp. Returns 0 on OOM. */
static int s3AddHeader(struct curl_slist **pp, const char *zName, const char *zVal) {
  char *z = sdbMprintf("%s: %s", zName, zVal);
  struct curl_slist *pNew = z ? curl_slist_append(*pp, z) : NULL;
  sdbFree(z);
  if (!pNew) return 0;
  *pp = pNew;
  return 1;
}

/* The headers of one attempt of q (signed when the store has credentials)
** into *pp (caller frees with curl_slist_free_all). SDB_OK or SDB_NOMEM. */
static int s3BuildHeaders(S3Store *p, S3Req *q, struct curl_slist **pp) {
  SdbSigv4Pair aH[8];
  int nH = 0;
  char zDate[17];
  SdbCredSet *pSet = sdbCredsAcquire(p->pCreds);    /* refreshed if due */
  q->iCredGen = pSet ? pSet->iGen : 0;
  sdbSigv4AmzDate(sdbNowMs() / 1000, zDate);
  aH[nH++] = (SdbSigv4Pair){"host", p->zHost};
  aH[nH++] = (SdbSigv4Pair){"x-amz-content-sha256", q->zBodyHash};
  if (pSet) aH[nH++] = (SdbSigv4Pair){"x-amz-date", zDate};
  if (pSet && pSet->zToken) aH[nH++] = (SdbSigv4Pair){"x-amz-security-token", pSet->zToken};
  if (q->bRange) aH[nH++] = (SdbSigv4Pair){"range", q->zRange};
  if (q->bIfNoneMatch) aH[nH++] = (SdbSigv4Pair){"if-none-match", "*"};
  if (q->zPutId[0]) aH[nH++] = (SdbSigv4Pair){"x-amz-meta-slatedbputid", q->zPutId};
  int ok = 1;
  for (int i = 0; ok && i < nH; i++) ok = s3AddHeader(pp, aH[i].zName, aH[i].zValue);
  if (ok && strcmp(q->zMethod, "PUT") == 0) ok = s3AddHeader(pp, "Content-Type", "application/octet-stream");
  if (ok && strcmp(q->zMethod, "POST") == 0) ok = s3AddHeader(pp, "Content-Type", "application/xml");
  if (ok && pSet) {
    SdbSigv4Req s = {q->zMethod, q->zPath, q->aQuery, q->nQuery, aH, nH,
                     q->zBodyHash, zDate, p->zRegion, "s3"};
    char *zAuth = sdbSigv4Authorization(&s, pSet->zKeyId, pSet->zSecret, NULL);
    ok = zAuth && s3AddHeader(pp, "Authorization", zAuth);
    sdbFree(zAuth);
  }
  sdbCredsRelease(p->pCreds, pSet);
  return ok ? SDB_OK : SDB_NOMEM;
}

/* ------------------------------------------------------------ one attempt */

/* Reset h and configure it for one attempt of q with at most msLeft ms.
** Response data goes to r. *ppHdr receives the header list, which must live
** until the transfer ends (caller frees). SDB_OK or SDB_NOMEM. */
static int s3Prepare(S3Store *p, CURL *h, S3Req *q, S3Resp *r, i64 msLeft,
                     struct curl_slist **ppHdr) {
  *ppHdr = NULL;
  if (s3BuildHeaders(p, q, ppHdr)) return SDB_NOMEM;
  char *zUrl = sdbMprintf("%s%s%s%s", p->zUrlBase, q->zPath, q->zQuery[0] ? "?" : "", q->zQuery);
  if (!zUrl) return SDB_NOMEM;
  curl_easy_reset(h);
  curl_easy_setopt(h, CURLOPT_URL, zUrl);
  sdbFree(zUrl);            /* curl copied it */
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_PATH_AS_IS, 1L);   /* send the path exactly as signed */
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, *ppHdr);
  curl_easy_setopt(h, CURLOPT_USERAGENT, "sqlite-slatedb");
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, r->zCurlErr);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, s3OnHeader);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, r);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, s3OnBody);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)SDB_MIN((i64)p->connectTimeoutMs, msLeft));
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)msLeft);
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, (long)S3_LOW_SPEED_SECS);
  curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
  if (p->zCaBundle) curl_easy_setopt(h, CURLOPT_CAINFO, p->zCaBundle);
  if (strcmp(q->zMethod, "HEAD") == 0) {
    curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
  } else if (strcmp(q->zMethod, "PUT") == 0 || strcmp(q->zMethod, "POST") == 0) {
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, q->zMethod);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, q->nBody ? (const char *)q->aBody : "");
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)q->nBody);
  } else if (strcmp(q->zMethod, "DELETE") == 0) {
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "DELETE");
  }
  return SDB_OK;
}

/* curl's debug callback on create-only PUTs: counts the request heads sent.
** More than one in an attempt means curl itself repeated the request (it
** does when a reused connection dies before any answer), so the answer we
** see is the repeat's and the first send may have been applied. */
static int s3OnDebug(CURL *h, curl_infotype type, char *a, size_t n, void *pArg) {
  (void)h, (void)a, (void)n;
  if (type == CURLINFO_HEADER_OUT) ((S3Resp *)pArg)->nReqSent++;
  return 0;
}

/* Run one attempt of q synchronously; the outcome is in r. SDB_OK or
** SDB_NOMEM (could not even start). */
static int s3Attempt(S3Store *p, S3Req *q, S3Resp *r, i64 msLeft) {
  CURL *h = s3EasyGet(p);
  struct curl_slist *pHdr = NULL;
  if (!h) return SDB_NOMEM;
  s3RespReset(r);
  int rc = s3Prepare(p, h, q, r, msLeft, &pHdr);
  if (rc == SDB_OK && q->bIfNoneMatch) {
    curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, s3OnDebug);
    curl_easy_setopt(h, CURLOPT_DEBUGDATA, r);
    curl_easy_setopt(h, CURLOPT_VERBOSE, 1L);   /* only calls s3OnDebug: nothing is printed */
  }
  if (rc == SDB_OK) {
    r->cc = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
    curl_easy_getinfo(h, CURLINFO_REQUEST_SIZE, &r->nReqSize);
  }
  curl_slist_free_all(pHdr);
  s3EasyPut(p, h);
  return rc;
}

/* ------------------------------------------------------------ XML */

/* The decoded text of <zTag> in the body of r into z[nz] ("" if absent). */
static void xmlText(const S3Resp *r, const char *zTag, char *z, size_t nz) {
  sdbS3XmlText(r->body.a, r->body.n, zTag, z, nz);
}

/* ------------------------------------------------------------ verdicts */

/* True for curl results worth another attempt. */
static int s3CurlTransient(CURLcode cc) {
  switch (cc) {
    case CURLE_COULDNT_RESOLVE_HOST: case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT: case CURLE_GOT_NOTHING: case CURLE_PARTIAL_FILE:
    case CURLE_SEND_ERROR: case CURLE_RECV_ERROR: case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2: case CURLE_HTTP2_STREAM: case CURLE_WEIRD_SERVER_REPLY:
      return 1;
    default:
      return 0;
  }
}

/* True for HTTP statuses worth another attempt (AWS: conflict, throttling,
** server errors). */
static int s3StatusTransient(long st) {
  return st == 409 || st == 429 || st == 500 || st == 502 || st == 503 || st == 504;
}

/* The endpoint requests go to and where it came from, into z[n], for
** messages: "E (from AWS_ENDPOINT)", "E (from the endpoint option)" or
** "E (AWS's endpoint for region R, from AWS_REGION)". */
static void s3EndpointWhence(const S3Store *p, char *z, size_t n) {
  if (p->zEpFrom) {
    snprintf(z, n, "%s (from %s)", p->zEndpoint, p->zEpFrom);
  } else {
    snprintf(z, n, "%s (AWS's endpoint for region %s, from %s)", p->zEndpoint, p->zRegion,
             p->zRegionFrom);
  }
}

/* The setting to check when the endpoint cannot be reached (static). */
static const char *s3EndpointFix(const S3Store *p) {
  if (!p->zEpFrom) return "is the region right? (for another S3-compatible store set AWS_ENDPOINT)";
  if (strcmp(p->zEpFrom, "AWS_ENDPOINT") == 0) return "is AWS_ENDPOINT right?";
  if (strcmp(p->zEpFrom, "AWS_ENDPOINT_URL_S3") == 0) return "is AWS_ENDPOINT_URL_S3 right?";
  if (strcmp(p->zEpFrom, "AWS_ENDPOINT_URL") == 0) return "is AWS_ENDPOINT_URL right?";
  return "is the endpoint option right?";
}

/* Did attempt r get no usable connection, so that nothing was sent? The
** host name did not resolve, the TCP connect failed or was refused, the TLS
** handshake failed, or the time ran out (connect_timeout) before the request
** head left. */
static int s3NoConnection(const S3Resp *r) {
  switch (r->cc) {
    case CURLE_COULDNT_RESOLVE_HOST: case CURLE_COULDNT_CONNECT: case CURLE_SSL_CONNECT_ERROR:
      return 1;
    case CURLE_OPERATION_TIMEDOUT:
      return r->nReqSize == 0;
    default:
      return 0;
  }
}

/* The final error once nTry attempts of q got no connection (s3NoConnection;
** r is the last): what failed, the endpoint and where it came from, and what
** to check. SDB_IOERR. */
static int s3ConnError(S3Store *p, S3Req *q, const S3Resp *r, int nTry, SdbErr *pErr) {
  char zEp[512];
  s3EndpointWhence(p, zEp, sizeof(zEp));
  const char *zDetail = r->zCurlErr[0] ? r->zCurlErr : curl_easy_strerror(r->cc);
  const char *zFix = s3EndpointFix(p);
  if (r->cc == CURLE_COULDNT_RESOLVE_HOST) {
    return sdbErrSet(pErr, SDB_IOERR, "s3 %s %s: host %s of endpoint %s does not resolve (%d "
                     "attempts; %s): %s", q->zMethod, q->zName, p->zHost, zEp, nTry, zDetail, zFix);
  }
  if (r->cc == CURLE_COULDNT_CONNECT) {
    return sdbErrSet(pErr, SDB_IOERR, "s3 %s %s: cannot connect to endpoint %s (%d attempts; %s): "
                     "is the server running? %s", q->zMethod, q->zName, zEp, nTry, zDetail, zFix);
  }
  if (r->cc == CURLE_SSL_CONNECT_ERROR) {
    return sdbErrSet(pErr, SDB_IOERR, "s3 %s %s: TLS handshake with endpoint %s failed (%d attempts;"
                     " %s): does the server speak https (a plain-http server needs an http:// "
                     "endpoint)? %s", q->zMethod, q->zName, zEp, nTry, zDetail, zFix);
  }
  return sdbErrSet(pErr, SDB_IOERR, "s3 %s %s: no connection to endpoint %s within connect_timeout "
                   "(%llu ms; %d attempts; %s): is the host reachable from here (firewall, proxy, "
                   "VPC endpoint)? %s", q->zMethod, q->zName, zEp,
                   (unsigned long long)p->connectTimeoutMs, nTry, zDetail, zFix);
}

/* The verdict on a TLS certificate the store could not verify (or a CA bundle
** it could not read): names the host, the curl detail and the CA bundle in
** use. Final (SDB_IOERR): retrying cannot make a certificate trusted. */
static int s3TlsError(S3Store *p, S3Req *q, const S3Resp *r, SdbErr *pErr) {
  char zCa[300];
  if (p->zCaBundle) snprintf(zCa, sizeof(zCa), "AWS_CA_BUNDLE=%s", sdbS3Shown(p->zCaBundle));
  else snprintf(zCa, sizeof(zCa), "the system's; AWS_CA_BUNDLE is not set");
  const char *zDetail = r->zCurlErr[0] ? r->zCurlErr : curl_easy_strerror(r->cc);
  if (r->cc == CURLE_SSL_CACERT_BADFILE) {
    return sdbErrSet(pErr, SDB_IOERR, "s3 %s %s: cannot read the CA bundle (%s): %s; AWS_CA_BUNDLE "
                     "names a PEM file of trusted certificates", q->zMethod, q->zName, zCa, zDetail);
  }
  return sdbErrSet(pErr, SDB_IOERR, "s3 %s %s: TLS certificate of host %s not trusted (CA bundle: "
                   "%s): %s; set AWS_CA_BUNDLE to a PEM file of its CA, or use a host name it "
                   "names", q->zMethod, q->zName, p->zHost, zCa, zDetail);
}

/* The bucket is in another region than the one requests are signed for: a
** 3xx (PermanentRedirect; x-amz-bucket-region names the bucket's region) or a
** 400 AuthorizationHeaderMalformed / IllegalLocationConstraintException (the
** body's <Region>). Names the region in use, where it came from and the one
** S3 names (only if it is a well-formed region). SDB_IOERR. */
static int s3WrongRegion(S3Store *p, S3Req *q, S3Resp *r, const char *zCode, SdbErr *pErr) {
  char zS3[64], zEp[512];
  snprintf(zS3, sizeof(zS3), "%s", r->zBucketRegion);
  if (!zS3[0]) xmlText(r, "Region", zS3, sizeof(zS3));
  if (zS3[0] && sdbS3RegionProblem(zS3)) zS3[0] = 0;
  s3EndpointWhence(p, zEp, sizeof(zEp));
  const char *zWhat = zCode[0] ? zCode : "redirect";
  int bOpt = strcmp(p->zRegionFrom, "the region option") == 0;
  if (zS3[0]) {
    return sdbErrSet(pErr, SDB_IOERR, "s3 %s %s: HTTP %ld %s: bucket %s is in region %s (S3 says),"
                     " not in region %s (from %s): set %s%s%s", q->zMethod, q->zName, r->status,
                     zWhat, p->zBucket, zS3, p->zRegion, p->zRegionFrom,
                     bOpt ? "region='" : "AWS_REGION=", zS3, bOpt ? "'" : "");
  }
  return sdbErrSet(pErr, SDB_IOERR, "s3 %s %s: HTTP %ld %s: bucket %s is not in region %s (from %s)"
                   " or not served by endpoint %s: set AWS_REGION (or region=) to the bucket's "
                   "region", q->zMethod, q->zName, r->status, zWhat, p->zBucket, p->zRegion,
                   p->zRegionFrom, zEp);
}

/* Is a non-2xx answer S3's way of saying the region is wrong? */
static int s3IsRegionError(long st, const char *zCode) {
  if (st >= 300 && st < 400 && st != 304) return 1;
  return st == 400 && (strcmp(zCode, "AuthorizationHeaderMalformed") == 0 ||
                       strcmp(zCode, "IllegalLocationConstraintException") == 0);
}

/* The 403 verdict, with the S3 error code and a hint about credentials. */
static int s3Denied(S3Store *p, S3Req *q, S3Resp *r, SdbErr *pErr) {
  char zCode[64], zMsg[160];
  xmlText(r, "Code", zCode, sizeof(zCode));
  xmlText(r, "Message", zMsg, sizeof(zMsg));
  if (p->eCred == S3_CRED_NONE) {
    /* S3's message is left out: the list of sources must fit. */
    return sdbErrSet(pErr, SDB_PERM, "s3 %s %s: access denied by %s: %s (no credentials found,"
                     " sent unsigned; tried %s)", q->zMethod, q->zName, p->zEndpoint,
                     zCode[0] ? zCode : "HTTP 403", sdbCredsTried(p->pCreds));
  }
  return sdbErrSet(pErr, SDB_PERM, "s3 %s %s: access denied by %s: %s%s%s (credentials from %s)",
                   q->zMethod, q->zName, p->zEndpoint, zCode[0] ? zCode : "HTTP 403",
                   zMsg[0] ? ": " : "", zMsg, sdbCredsSource(p->pCreds));
}

/* Does the 2xx body of a GET hold exactly what was asked for? If not, write
** why into zLast. A Content-Range must start at iOff, cover the body, and end
** at the requested end (or the object's). */
static int s3BodyComplete(S3Req *q, S3Resp *r, char *zLast, size_t nLast) {
  u64 n = r->body.n;
  if (r->bHasLen && n != r->nLenHdr) {
    snprintf(zLast, nLast, "truncated body (%llu of %llu bytes)", (unsigned long long)n,
             (unsigned long long)r->nLenHdr);
    return 0;
  }
  if (!q->bRange || r->status != 206) return 1;
  SdbS3Range cr = {r->bHasRange, r->crFirst, r->crLast, r->bHasTotal, r->crTotal};
  int ok = sdbS3RangeComplete(&cr, q->iOff, q->nLen, n);
  if (!ok) {
    snprintf(zLast, nLast, "truncated body (%llu bytes for %s)", (unsigned long long)n, q->zRange);
  }
  return ok;
}

/* Does S3 error code zCode say the credentials expired or are unknown? */
static int s3CredExpired(const char *zCode) {
  return strcmp(zCode, "ExpiredToken") == 0 || strcmp(zCode, "InvalidToken") == 0 ||
         strcmp(zCode, "TokenRefreshRequired") == 0 || strcmp(zCode, "InvalidAccessKeyId") == 0;
}

/* Verdict on a non-2xx answer. */
static int s3JudgeStatus(S3Store *p, S3Req *q, S3Resp *r, char *zLast, size_t nLast,
                         SdbErr *pErr) {
  long st = r->status;
  char zCode[64], zMsg[160];
  xmlText(r, "Code", zCode, sizeof(zCode));
  xmlText(r, "Message", zMsg, sizeof(zMsg));
  if (st == 404 && strcmp(zCode, "NoSuchBucket") == 0) {
    char zEp[512];
    s3EndpointWhence(p, zEp, sizeof(zEp));
    return sdbErrSet(pErr, SDB_CANTOPEN, "bucket %s does not exist at endpoint %s (region %s, from "
                     "%s): is the bucket name in the URL right?", p->zBucket, zEp, p->zRegion,
                     p->zRegionFrom);
  }
  if (st == 404) {
    if (strcmp(q->zMethod, "DELETE") == 0) return SDB_OK;
    return sdbErrSet(pErr, SDB_NOTFOUND, "s3 %s %s: no such object", q->zMethod, q->zName);
  }
  if ((st == 412 || st == 304) && q->bIfNoneMatch) {
    return sdbErrSet(pErr, SDB_EXISTS, "object %s already exists", q->zName);
  }
  if (st == 416 && q->bRange && (!r->bHasTotal || q->iOff >= r->crTotal)) {
    r->bEmpty = 1;
    return SDB_OK;
  }
  if (st == 403 && s3CredExpired(zCode) && !q->bCredRenewed) {
    q->bCredRenewed = 1;    /* temporary credentials expired or revoked: renew once */
    if (sdbCredsRenew(p->pCreds, q->iCredGen)) {
      snprintf(zLast, nLast, "HTTP 403 %s (credentials renewed)", zCode);
      return S3_RETRY;
    }
  }
  if (st == 403) return s3Denied(p, q, r, pErr);
  if (s3IsRegionError(st, zCode)) return s3WrongRegion(p, q, r, zCode, pErr);
  if (s3StatusTransient(st)) {
    snprintf(zLast, nLast, "HTTP %ld%s%s", st, zCode[0] ? " " : "", zCode);
    return S3_RETRY;
  }
  return sdbErrSet(pErr, SDB_IOERR, "s3 %s %s: HTTP %ld %s%s%s (endpoint %s)", q->zMethod,
                   q->zName, st, zCode, zMsg[0] ? ": " : "", zMsg, p->zEndpoint);
}

/* Verdict on one attempt: SDB_OK, an error (detail in pErr) or S3_RETRY
** (zLast says why). */
static int s3Judge(S3Store *p, S3Req *q, S3Resp *r, char *zLast, size_t nLast, SdbErr *pErr) {
  if (r->bOom) return SDB_NOMEM_ERR(pErr);
  if (r->cc != CURLE_OK) {
    snprintf(zLast, nLast, "%s", curl_easy_strerror(r->cc));
    if (s3CurlTransient(r->cc)) return S3_RETRY;
    if (r->cc == CURLE_PEER_FAILED_VERIFICATION || r->cc == CURLE_SSL_CACERT_BADFILE) {
      return s3TlsError(p, q, r, pErr);
    }
    return sdbErrSet(pErr, SDB_IOERR, "s3 %s %s: %s (endpoint %s)", q->zMethod, q->zName,
                     r->zCurlErr[0] ? r->zCurlErr : zLast, p->zEndpoint);
  }
  if (r->status < 200 || r->status >= 300) return s3JudgeStatus(p, q, r, zLast, nLast, pErr);
  if (strcmp(q->zMethod, "HEAD") == 0 && !r->bHasLen) {
    return sdbErrSet(pErr, SDB_IOERR, "s3 HEAD %s: no Content-Length in the answer", q->zName);
  }
  if (strcmp(q->zMethod, "GET") == 0 && !s3BodyComplete(q, r, zLast, nLast)) return S3_RETRY;
  return SDB_OK;
}

/* ------------------------------------------------------------ retry loop */

/* Sleep a full-jitter backoff of up to *pBackoff ms (doubling it, capped),
** at least msMin, unless that passes the deadline. Returns 0 if there is no
** time left. */
static int s3Backoff(int *pBackoff, i64 msMin, i64 deadline) {
  u32 rnd = 0;
  sdbRandomBytes(&rnd, sizeof(rnd));
  i64 ms = SDB_MAX((i64)(rnd % (u32)(*pBackoff + 1)), msMin);
  *pBackoff = SDB_MIN(*pBackoff * 2, S3_BACKOFF_MAX_MS);
  if (s3NowMs() + ms >= deadline) return 0;
  s3SleepMs(ms);
  return 1;
}

/* May the request of an attempt that is to be retried have been applied?
** Not if its head never left (curl counted no request bytes nor, for
** create-only PUTs, request heads: no connection, or none before the time
** ran out), nor after a refusal (409, 429, 503). The curl result alone
** does not say: a connection refused or a host that no longer resolves also
** ends an attempt whose request went out on a reused connection that then
** died unanswered (curl reconnects to repeat it), and that request may have
** been applied. */
static int s3MaybeApplied(const S3Resp *r) {
  if (r->nReqSize == 0 && r->nReqSent == 0) return 0;
  return r->cc != CURLE_OK || r->status == 500 || r->status == 502 || r->status == 504;
}

/* The deadline passed: SDB_IOERR naming the request, endpoint and last error;
** SDB_UNKNOWN for a create-only PUT an attempt of which may have been applied. */
static int s3GiveUp(S3Store *p, S3Req *q, const char *zLast, SdbErr *pErr) {
  if (q->bIfNoneMatch && q->bMaybeApplied) {
    return sdbErrSet(pErr, SDB_UNKNOWN, "outcome unknown: s3 PUT %s got no answer from %s within "
                     "%llu ms (last error: %s); the object may or may not have been stored",
                     q->zName, p->zEndpoint, (unsigned long long)p->timeoutMs,
                     zLast[0] ? zLast : "none");
  }
  return sdbErrSet(pErr, SDB_IOERR, "s3 %s %s: no answer from %s within %llu ms (request_timeout;"
                   " last error: %s)",
                   q->zMethod, q->zName, p->zEndpoint, (unsigned long long)p->timeoutMs,
                   zLast[0] ? zLast : "none");
}

/* Perform q until it gets a final verdict or the deadline passes. With
** bBackoffFirst the first attempt is itself a retry (backoff, nRetry).
** The answer is in r (caller frees r->body). */
static int s3Run(S3Store *p, S3Req *q, S3Resp *r, i64 deadline, int bBackoffFirst,
                 const char *zLastIn, SdbErr *pErr) {
  char zLast[256];
  int backoff = S3_BACKOFF_MIN_MS;
  int nNoConnOwn = 0;     /* attempts that got no connection (or the batch's) */
  int *pnNoConn = q->pnNoConn ? q->pnNoConn : &nNoConnOwn;
  snprintf(zLast, sizeof(zLast), "%s", zLastIn ? zLastIn : "");
  for (int iTry = 0;; iTry++) {
    if (iTry > 0 || bBackoffFirst) {
      /* After attempts without a connection wait at least 250, then 500 ms,
      ** so that the S3_MAX_CONN_FAIL attempts span a restart of about a
      ** second rather than a few ms. */
      int nNoConn = SDB_MIN(*pnNoConn, S3_MAX_CONN_FAIL);
      i64 msMin = nNoConn ? (i64)S3_CONN_BACKOFF_MS << (nNoConn - 1) : 0;
      if (!s3Backoff(&backoff, msMin, deadline)) return s3GiveUp(p, q, zLast, pErr);
      STAT_ADD(p, nRetry, 1);
    }
    i64 msLeft = deadline - s3NowMs();
    if (msLeft <= 0) return s3GiveUp(p, q, zLast, pErr);
    if (s3Attempt(p, q, r, msLeft)) return SDB_NOMEM_ERR(pErr);
    if (r->nReqSent > 1) q->bMaybeApplied = 1;   /* curl repeated it unseen */
    int rc = s3Judge(p, q, r, zLast, sizeof(zLast), pErr);
    if (rc != S3_RETRY) return rc;
    if (s3MaybeApplied(r)) q->bMaybeApplied = 1;
    /* No connection S3_MAX_CONN_FAIL times is a setting or an outage, not a
    ** blip: say so now rather than at request_timeout. */
    if (s3NoConnection(r) && ++*pnNoConn >= S3_MAX_CONN_FAIL) {
      return s3ConnError(p, q, r, *pnNoConn, pErr);
    }
  }
}

/* Monotonic deadline of an operation starting now. */
static i64 s3Deadline(S3Store *p) { return s3NowMs() + (i64)p->timeoutMs; }

/* ------------------------------------------------------------ GET */

/* Move the requested bytes of a successful GET answer into pOut (replacing
** its contents). A 200 (range ignored by the server) is clipped here. */
static int s3TakeBody(S3Req *q, S3Resp *r, SdbBuf *pOut) {
  if (r->bEmpty || (q->bRange && q->nLen == 0)) {
    pOut->n = 0;
    return SDB_OK;
  }
  if (r->status == 206 || !q->bRange) {
    sdbBufFree(pOut);
    *pOut = r->body;
    memset(&r->body, 0, sizeof(r->body));
    return SDB_OK;
  }
  u64 n = r->body.n;
  u64 nTake = q->iOff >= n ? 0 : SDB_MIN(q->nLen, n - q->iOff);
  return sdbBufSet(pOut, r->body.a + (q->iOff < n ? q->iOff : 0), (size_t)nTake);
}

/* One ranged GET with its own retries until deadline. bBackoffFirst: as
** s3Run. */
static int s3GetUntil(S3Store *p, const char *zKey, u64 iOff, u64 nLen, SdbBuf *pOut,
                      i64 deadline, int bBackoffFirst, const char *zLast, int *pnNoConn,
                      SdbErr *pErr) {
  S3Req q = {0};
  S3Resp r = {0};
  int rc = s3ReqInit(p, &q, "GET", zKey);
  if (rc) {
    s3ReqFree(&q);
    return SDB_NOMEM_ERR(pErr);
  }
  q.pnNoConn = pnNoConn;
  s3ReqRange(&q, iOff, nLen);
  rc = s3Run(p, &q, &r, deadline, bBackoffFirst, zLast, pErr);
  if (rc == SDB_OK) rc = s3TakeBody(&q, &r, pOut);
  if (rc == SDB_OK) STAT_ADD(p, nBytesIn, pOut->n);
  if (rc == SDB_NOMEM) SDB_NOMEM_ERR(pErr);
  sdbBufFree(&r.body);
  s3ReqFree(&q);
  return rc;
}

/* xGet: ranged GET (see the file header); pOut replaced. */
static int s3Get(SdbStore *pStore, const char *zKey, u64 iOff, u64 nLen, SdbBuf *pOut,
                 SdbErr *pErr) {
  S3Store *p = (S3Store *)pStore;
  STAT_ADD(p, nGet, 1);
  return s3GetUntil(p, zKey, iOff, nLen, pOut, s3Deadline(p), 0, NULL, NULL, pErr);
}

/* ------------------------------------------------------------ HEAD */

/* HEAD zKey: size and put-id (zPutId[64], may be NULL). */
static int s3HeadUntil(S3Store *p, const char *zKey, u64 *pnSize, char *zPutId, i64 deadline,
                       SdbErr *pErr) {
  S3Req q = {0};
  S3Resp r = {0};
  int rc = s3ReqInit(p, &q, "HEAD", zKey);
  if (rc == SDB_OK) {
    STAT_ADD(p, nHead, 1);
    rc = s3Run(p, &q, &r, deadline, 0, NULL, pErr);
  } else {
    rc = SDB_NOMEM_ERR(pErr);
  }
  if (rc == SDB_OK) {
    *pnSize = r.nLenHdr;
    if (zPutId) memcpy(zPutId, r.zPutId, sizeof(r.zPutId));
  }
  sdbBufFree(&r.body);
  s3ReqFree(&q);
  return rc;
}

/* xHead: the object's size from HEAD's Content-Length. */
static int s3Head(SdbStore *pStore, const char *zKey, u64 *pnSize, SdbErr *pErr) {
  S3Store *p = (S3Store *)pStore;
  return s3HeadUntil(p, zKey, pnSize, NULL, s3Deadline(p), pErr);
}

/* ------------------------------------------------------------ PUT / DELETE */

/* SDB_READONLY for writes to a read-only store. */
static int s3ReadOnly(S3Store *p, SdbErr *pErr) {
  return sdbErrSet(pErr, SDB_READONLY, "store %s is read-only", p->base.zDescr);
}

/* A create-only PUT was refused: it succeeded after all if the object carries
** our put-id (an earlier attempt was applied and its answer lost). A HEAD
** that fails leaves the outcome unknown. */
static int s3CheckPutId(S3Store *p, S3Req *q, const char *zKey, i64 deadline, SdbErr *pErr) {
  char zSeen[64] = "";
  u64 size = 0;
  SdbErr err;
  sdb_err_clear(&err);
  int rc = s3HeadUntil(p, zKey, &size, zSeen, deadline, &err);
  if (rc == SDB_OK && strcmp(zSeen, q->zPutId) == 0) return SDB_OK;
  if (rc != SDB_OK && rc != SDB_NOTFOUND) {
    if (rc == SDB_NOMEM) return SDB_NOMEM_ERR(pErr);
    return sdbErrSet(pErr, SDB_UNKNOWN, "outcome unknown: s3 PUT %s: the object exists but "
                     "reading its put-id failed: %s", q->zName, err.zMsg);
  }
  return sdbErrSet(pErr, SDB_EXISTS, "object %s already exists", q->zName);
}

/* The final verdict rc of create-only PUT q: once an attempt may have been
** applied unanswered, any answer other than "stored" or "exists" (a later
** attempt's 403, 4xx, connection error, unresolvable host, ...) says nothing
** about that attempt, so the outcome is SDB_UNKNOWN, not a plain error. */
static int s3PutVerdict(S3Req *q, int rc, SdbErr *pErr) {
  if (!q->bIfNoneMatch || !q->bMaybeApplied || rc == SDB_OK || rc == SDB_EXISTS ||
      rc == SDB_UNKNOWN) {
    return rc;
  }
  sdbErrWrap(pErr, "outcome unknown: s3 PUT %s: an earlier attempt may have been stored; "
             "then: ", q->zName);
  if (pErr) pErr->rc = SDB_UNKNOWN;
  return SDB_UNKNOWN;
}

/* ------------------------------------------------------------ multipart PUT */
/*
** A plain PUT of mpuThreshold bytes or more (SSTs: compaction outputs, large
** L0s; create-only objects are small and stay single PUTs) is an S3
** multipart upload: CreateMultipartUpload (POST ?uploads), UploadPart (PUT
** ?partNumber=N&uploadId=U) of mpuPartSize bytes each, S3_MPU_PARALLEL at a
** time, then CompleteMultipartUpload (POST ?uploadId=U with the parts'
** ETags). Each request is retried like any other (s3Run, its own deadline of
** request_timeout). On failure the upload is aborted (DELETE ?uploadId=U),
** so no parts are left stored; the object appears whole at Complete or not.
*/

/* One request of a multipart upload of zKey: zMethod with query aQ[0..nQ)
** and body a[0..n) (borrowed), retried by s3Run. The answer is in *pResp
** (caller frees its body). */
static int s3MpuRequest(S3Store *p, const char *zMethod, const char *zKey, const SdbSigv4Pair *aQ,
                        int nQ, const u8 *a, size_t n, S3Resp *pResp, SdbErr *pErr) {
  S3Req q = {0};
  int rc = s3ReqInit(p, &q, zMethod, zKey);
  if (rc == SDB_OK) {
    sdbFree(q.zQuery);
    q.zQuery = sdbSigv4CanonicalQuery(aQ, nQ);
    if (!q.zQuery) rc = SDB_NOMEM;
  }
  if (rc) {
    s3ReqFree(&q);
    return SDB_NOMEM_ERR(pErr);
  }
  q.aQuery = aQ;
  q.nQuery = nQ;
  q.aBody = a;
  q.nBody = n;
  sdbSigv4Sha256Hex(a, n, q.zBodyHash);
  STAT_ADD(p, nPut, 1);
  rc = s3Run(p, &q, pResp, s3Deadline(p), 0, NULL, pErr);
  s3ReqFree(&q);
  return rc;
}

/* CreateMultipartUpload: the upload id into zId[nId]. */
static int s3MpuCreate(S3Store *p, const char *zKey, char *zId, size_t nId, SdbErr *pErr) {
  SdbSigv4Pair aQ[1] = {{"uploads", ""}};
  S3Resp r = {0};
  int rc = s3MpuRequest(p, "POST", zKey, aQ, 1, NULL, 0, &r, pErr);
  if (rc == SDB_OK) {
    xmlText(&r, "UploadId", zId, nId);
    if (!zId[0] || strlen(zId) + 1 >= nId) {
      rc = sdbErrSet(pErr, SDB_IOERR, "CreateMultipartUpload: no usable UploadId in the answer");
    }
  }
  sdbBufFree(&r.body);
  return rc;
}

/* The parts of one upload, shared by the threads that send them. */
typedef struct S3Mpu {
  S3Store *p;
  const char *zKey, *zId; /* borrowed */
  const u8 *a;            /* the object, borrowed */
  size_t n;
  u64 nPart;              /* bytes per part */
  int nParts;
  char (*azEtag)[128];    /* ETag of each part; owned by the caller */
  pthread_mutex_t mu;     /* guards iNext, rc, err */
  int iNext;              /* next part to send (0-based) */
  int rc;                 /* first failure */
  SdbErr err;
  SdbCost *pCost;         /* the caller's cost record (sdb_cost_attach) */
} S3Mpu;

/* Claim the next part to send, or -1 when all are claimed or one failed. */
static int s3MpuClaim(S3Mpu *m) {
  pthread_mutex_lock(&m->mu);
  int i = (m->rc || m->iNext >= m->nParts) ? -1 : m->iNext++;
  pthread_mutex_unlock(&m->mu);
  return i;
}

/* UploadPart of part i (0-based), its ETag into m->azEtag[i]. */
static int s3MpuPart(S3Mpu *m, int i, SdbErr *pErr) {
  char zNum[16];
  snprintf(zNum, sizeof(zNum), "%d", i + 1);
  SdbSigv4Pair aQ[2] = {{"partNumber", zNum}, {"uploadId", m->zId}};
  u64 off = (u64)i * m->nPart;
  size_t len = (size_t)SDB_MIN(m->nPart, (u64)m->n - off);
  S3Resp r = {0};
  int rc = s3MpuRequest(m->p, "PUT", m->zKey, aQ, 2, m->a + off, len, &r, pErr);
  if (rc == SDB_OK && !r.zEtag[0]) rc = sdbErrSet(pErr, SDB_IOERR, "part %d: no ETag in the answer", i + 1);
  if (rc == SDB_OK) memcpy(m->azEtag[i], r.zEtag, sizeof(m->azEtag[i]));
  sdbBufFree(&r.body);
  return rc;
}

/* A sending thread (and the caller's): parts until none is left or one
** failed. Runs only the store's own code. */
static void *s3MpuWorker(void *pArg) {
  S3Mpu *m = pArg;
  sdb_cost_attach(m->pCost);   /* the caller's own, in the caller's thread */
  for (int i; (i = s3MpuClaim(m)) >= 0;) {
    SdbErr err;
    sdb_err_clear(&err);
    int rc = s3MpuPart(m, i, &err);
    if (rc == SDB_OK) continue;
    pthread_mutex_lock(&m->mu);
    if (!m->rc) {
      m->rc = rc;
      m->err = err;
    }
    pthread_mutex_unlock(&m->mu);
  }
  return NULL;
}

/* Send every part of m, S3_MPU_PARALLEL at a time (threads joined here). */
static int s3MpuParts(S3Mpu *m, SdbErr *pErr) {
  pthread_t aT[S3_MPU_PARALLEL];
  int nT = 0;
  m->pCost = sdbCostSink();
  pthread_mutex_init(&m->mu, NULL);
  while (nT < S3_MPU_PARALLEL - 1 && nT < m->nParts - 1 &&
         pthread_create(&aT[nT], NULL, s3MpuWorker, m) == 0) {
    nT++;
  }
  s3MpuWorker(m);
  for (int k = 0; k < nT; k++) pthread_join(aT[k], NULL);
  pthread_mutex_destroy(&m->mu);
  if (m->rc && pErr) *pErr = m->err;
  return m->rc;
}

/* The CompleteMultipartUpload body of m's parts (caller frees), or NULL. */
static char *s3MpuCompleteXml(const S3Mpu *m) {
  SdbBuf b = {0};
  char zPart[256];
  const char *z = "<CompleteMultipartUpload>";
  int bOom = sdbBufAppend(&b, z, strlen(z)) != SDB_OK;
  for (int i = 0; !bOom && i < m->nParts; i++) {
    int n = snprintf(zPart, sizeof(zPart), "<Part><PartNumber>%d</PartNumber><ETag>%s</ETag></Part>",
                     i + 1, m->azEtag[i]);
    bOom = sdbBufAppend(&b, zPart, (size_t)n) != SDB_OK;
  }
  z = "</CompleteMultipartUpload>";
  bOom = bOom || sdbBufAppend(&b, z, strlen(z) + 1) != SDB_OK;
  char *zXml = bOom ? NULL : (char *)sdbBufDetach(&b);
  sdbBufFree(&b);
  return zXml;
}

/* CompleteMultipartUpload. S3 may answer 200 with an <Error> body. A retry
** that finds the upload gone (an earlier attempt completed it unanswered)
** succeeds if the object now has the upload's size. */
static int s3MpuComplete(S3Mpu *m, SdbErr *pErr) {
  SdbSigv4Pair aQ[1] = {{"uploadId", m->zId}};
  char *zXml = s3MpuCompleteXml(m);
  if (!zXml) return SDB_NOMEM_ERR(pErr);
  S3Resp r = {0};
  int rc = s3MpuRequest(m->p, "POST", m->zKey, aQ, 1, (const u8 *)zXml, strlen(zXml), &r, pErr);
  char zCode[64] = "";
  if (rc == SDB_OK) xmlText(&r, "Code", zCode, sizeof(zCode));
  if (rc == SDB_OK && zCode[0]) {
    char zMsg[160];
    xmlText(&r, "Message", zMsg, sizeof(zMsg));
    rc = sdbErrSet(pErr, SDB_IOERR, "CompleteMultipartUpload answered %s: %s", zCode, zMsg);
  }
  if (rc == SDB_NOTFOUND) {
    u64 size = 0;
    SdbErr err;
    sdb_err_clear(&err);
    if (s3HeadUntil(m->p, m->zKey, &size, NULL, s3Deadline(m->p), &err) == SDB_OK && size == m->n) {
      rc = SDB_OK;
    }
  }
  sdbBufFree(&r.body);
  sdbFree(zXml);
  return rc;
}

/* AbortMultipartUpload, best effort (its failure leaves parts that S3's
** lifecycle rules, or a later abort, remove; the object itself never appears). */
static void s3MpuAbort(S3Store *p, const char *zKey, const char *zId) {
  SdbSigv4Pair aQ[1] = {{"uploadId", zId}};
  S3Resp r = {0};
  SdbErr err;
  sdb_err_clear(&err);
  s3MpuRequest(p, "DELETE", zKey, aQ, 1, NULL, 0, &r, &err);
  sdbBufFree(&r.body);
}

/* PUT a[0..n) at zKey as a multipart upload (see above). */
static int s3PutMultipart(S3Store *p, const char *zKey, const u8 *a, size_t n, SdbErr *pErr) {
  S3Mpu m;
  memset(&m, 0, sizeof(m));
  char zId[512] = "";
  m.p = p;
  m.zKey = zKey;
  m.zId = zId;
  m.a = a;
  m.n = n;
  m.nPart = p->mpuPartSize;
  u64 nParts = ((u64)n + m.nPart - 1) / m.nPart;
  if (nParts > S3_MPU_MAX_PARTS) m.nPart = ((u64)n + S3_MPU_MAX_PARTS - 1) / S3_MPU_MAX_PARTS;
  m.nParts = (int)(((u64)n + m.nPart - 1) / m.nPart);
  m.azEtag = sdbMallocZero(sizeof(m.azEtag[0]) * (size_t)m.nParts);
  if (!m.azEtag) return SDB_NOMEM_ERR(pErr);
  int rc = s3MpuCreate(p, zKey, zId, sizeof(zId), pErr);
  if (rc == SDB_OK) {
    rc = s3MpuParts(&m, pErr);
    if (rc == SDB_OK) rc = s3MpuComplete(&m, pErr);
    if (rc) s3MpuAbort(p, zKey, zId);
  }
  if (rc == SDB_OK) STAT_ADD(p, nBytesOut, n);
  if (rc) {
    sdbErrWrap(pErr, "s3 multipart upload of %s (%zu bytes, %d parts): ", zKey, n, m.nParts);
  }
  sdbFree(m.azEtag);
  return rc;
}

/* PUT a[0..n) at zKey; create-only when zPutId is not NULL (If-None-Match: *
** plus that put-id, the same on every retry, resolved by s3CheckPutId). */
static int s3PutWith(S3Store *p, const char *zKey, const u8 *a, size_t n, const char *zPutId,
                     SdbErr *pErr) {
  if (p->bReadOnly) return s3ReadOnly(p, pErr);
  if (!zPutId && n >= p->mpuThreshold && n > p->mpuPartSize) {
    return s3PutMultipart(p, zKey, a, n, pErr);
  }
  S3Req q = {0};
  S3Resp r = {0};
  i64 deadline = s3Deadline(p);
  int rc = s3ReqInit(p, &q, "PUT", zKey);
  if (rc) goto done;
  q.aBody = a;
  q.nBody = n;
  sdbSigv4Sha256Hex(a, n, q.zBodyHash);
  if (zPutId) {
    snprintf(q.zPutId, sizeof(q.zPutId), "%s", zPutId);
    q.bIfNoneMatch = 1;
  }
  STAT_ADD(p, nPut, 1);
  rc = s3PutVerdict(&q, s3Run(p, &q, &r, deadline, 0, NULL, pErr), pErr);
  if (rc == SDB_EXISTS && zPutId) rc = s3CheckPutId(p, &q, zKey, deadline, pErr);
  if (rc == SDB_OK) STAT_ADD(p, nBytesOut, n);
done:
  if (rc == SDB_NOMEM) SDB_NOMEM_ERR(pErr);
  sdbBufFree(&r.body);
  s3ReqFree(&q);
  return rc;
}

/* xPut: plain PUT, or create-only under a fresh put-id. a[0..n) is borrowed
** for the call. */
static int s3Put(SdbStore *pStore, const char *zKey, const u8 *a, size_t n, int bIfAbsent,
                 SdbErr *pErr) {
  S3Store *p = (S3Store *)pStore;
  char zPutId[27];
  if (bIfAbsent) {
    SdbUlid id;
    if (sdbUlidNew(&id)) return sdbErrSet(pErr, SDB_IOERR, "no random bytes for a put-id");
    sdbUlidFormat(id, zPutId);
  }
  return s3PutWith(p, zKey, a, n, bIfAbsent ? zPutId : NULL, pErr);
}

/* xPutOnce: create-only PUT under the caller's put-id (see objstore.h). */
static int s3PutOnce(SdbStore *pStore, const char *zKey, const u8 *a, size_t n,
                     const char *zPutId, SdbErr *pErr) {
  return s3PutWith((S3Store *)pStore, zKey, a, n, zPutId, pErr);
}

/* xDelete: DELETE; a missing object (404) is success. */
static int s3Delete(SdbStore *pStore, const char *zKey, SdbErr *pErr) {
  S3Store *p = (S3Store *)pStore;
  if (p->bReadOnly) return s3ReadOnly(p, pErr);
  S3Req q = {0};
  S3Resp r = {0};
  int rc = s3ReqInit(p, &q, "DELETE", zKey);
  if (rc == SDB_OK) {
    STAT_ADD(p, nDelete, 1);
    rc = s3Run(p, &q, &r, s3Deadline(p), 0, NULL, pErr);
  } else {
    rc = SDB_NOMEM_ERR(pErr);
  }
  sdbBufFree(&r.body);
  s3ReqFree(&q);
  return rc;
}

/* ------------------------------------------------------------ LIST */

/* One LIST page: prefix zFull, continuation token zToken ("" = first page).
** On success *pzNext is the next token (sdbMalloc'd) or NULL on the last page. */
static int s3ListPage(S3Store *p, const char *zFull, const char *zToken, const char *zRoot,
                      SdbObjList *pOut, char **pzNext, SdbErr *pErr) {
  SdbSigv4Pair aQ[3] = {{"list-type", "2"}, {"prefix", zFull}, {"continuation-token", zToken}};
  S3Req q = {0};
  S3Resp r = {0};
  *pzNext = NULL;
  q.zMethod = "GET";
  memcpy(q.zBodyHash, SDB_SIGV4_EMPTY_SHA256, 65);
  q.aQuery = aQ;
  q.nQuery = zToken[0] ? 3 : 2;
  q.zPath = p->zPathBase[0] ? sdbStrdup(p->zPathBase) : sdbStrdup("/");
  q.zQuery = sdbSigv4CanonicalQuery(aQ, q.nQuery);
  q.zName = sdbMprintf("s3://%s/%s", p->zBucket, zFull);
  int rc = (q.zPath && q.zQuery && q.zName) ? SDB_OK : SDB_NOMEM;
  if (rc == SDB_OK) {
    STAT_ADD(p, nList, 1);
    rc = s3Run(p, &q, &r, s3Deadline(p), 0, NULL, pErr);
  }
  if (rc == SDB_OK) rc = sdbS3ListParse(r.body.a, r.body.n, zRoot, pOut);
  if (rc == SDB_OK) rc = sdbS3ListNext(r.body.a, r.body.n, pzNext);
  if (rc == SDB_CORRUPT || (rc == SDB_OK && *pzNext && strcmp(*pzNext, zToken) == 0)) {
    sdbFree(*pzNext);
    *pzNext = NULL;
    rc = sdbErrSet(pErr, SDB_IOERR, "s3 LIST %s: truncated listing without a usable continuation"
                   " token (absent, over 4096 bytes, or the one just sent)", q.zName);
  }
  if (rc == SDB_NOMEM) SDB_NOMEM_ERR(pErr);
  sdbBufFree(&r.body);
  s3ReqFree(&q);
  return rc;
}

/* xList: every page of ListObjectsV2 under prefix/zPrefix, keys relative to
** the root, sorted. pOut is reset; on error it is left empty. */
static int s3List(SdbStore *pStore, const char *zPrefix, SdbObjList *pOut, SdbErr *pErr) {
  S3Store *p = (S3Store *)pStore;
  sdbObjListFree(pOut);
  char *zRoot = p->zPrefix[0] ? sdbMprintf("%s/", p->zPrefix) : sdbStrdup("");
  char *zFull = zRoot ? sdbMprintf("%s%s", zRoot, zPrefix) : NULL;
  char *zToken = sdbStrdup("");
  int rc = (zRoot && zFull && zToken) ? SDB_OK : SDB_NOMEM_ERR(pErr);
  while (rc == SDB_OK && zToken) {
    char *zNext = NULL;
    rc = s3ListPage(p, zFull, zToken, zRoot, pOut, &zNext, pErr);
    sdbFree(zToken);
    zToken = zNext;
  }
  sdbFree(zToken);
  sdbFree(zFull);
  sdbFree(zRoot);
  if (rc) sdbObjListFree(pOut);
  else sdbObjListSort(pOut);
  return rc;
}

/* xListTop: one ListObjectsV2 of prefix/zDir with delimiter '/' and
** max-keys nMax: the objects directly in that folder and its folders
** ("wal/"), sorted. A listing of "db/" never sees "db2/...". An answer that
** is cut short, malformed or names a key outside the folder is an error
** (SDB_CORRUPT): it never reads as "empty". */
static int s3ListTop(SdbStore *pStore, const char *zDir, int nMax, SdbObjList *pOut,
                     SdbErr *pErr) {
  S3Store *p = (S3Store *)pStore;
  char zMax[16];
  snprintf(zMax, sizeof(zMax), "%d", nMax);
  sdbObjListFree(pOut);
  char *zRoot = p->zPrefix[0] ? sdbMprintf("%s/%s", p->zPrefix, zDir) : sdbStrdup(zDir);
  SdbSigv4Pair aQ[4] = {{"delimiter", "/"}, {"list-type", "2"}, {"max-keys", zMax},
                        {"prefix", zRoot ? zRoot : ""}};
  S3Req q = {0};
  S3Resp r = {0};
  q.zMethod = "GET";
  memcpy(q.zBodyHash, SDB_SIGV4_EMPTY_SHA256, 65);
  q.aQuery = aQ;
  q.nQuery = 4;
  q.zPath = p->zPathBase[0] ? sdbStrdup(p->zPathBase) : sdbStrdup("/");
  q.zQuery = sdbSigv4CanonicalQuery(aQ, q.nQuery);
  q.zName = zRoot ? sdbMprintf("s3://%s/%s", p->zBucket, zRoot) : NULL;
  int rc = (zRoot && q.zPath && q.zQuery && q.zName) ? SDB_OK : SDB_NOMEM_ERR(pErr);
  if (rc == SDB_OK) {
    STAT_ADD(p, nList, 1);
    rc = s3Run(p, &q, &r, s3Deadline(p), 0, NULL, pErr);
  }
  if (rc == SDB_OK) rc = sdbS3ListParseTop(r.body.a, r.body.n, zRoot, nMax, pOut);
  if (rc == SDB_NOMEM) SDB_NOMEM_ERR(pErr);
  if (rc == SDB_CORRUPT) {
    sdbErrSet(pErr, rc, "listing of %s: the answer is incomplete or malformed (no whole"
              " ListBucketResult, cut short, or a key outside the prefix)", q.zName);
  }
  sdbBufFree(&r.body);
  s3ReqFree(&q);
  sdbFree(zRoot);
  sdbObjListSort(pOut);
  while (rc == SDB_OK && pOut->n > nMax) sdbFree(pOut->a[--pOut->n].zKey);
  if (rc) sdbObjListFree(pOut);
  return rc;
}

/* ------------------------------------------------------------ GET many */

/* One transfer slot of xGetMany. */
typedef struct S3Xfer {
  CURL *h;                /* easy handle (NULL = slot free) */
  struct curl_slist *pHdr;
  int iReq;               /* index into the batch */
  S3Req q;
  S3Resp r;
} S3Xfer;

/* Start a[iReq] in slot x on m. SDB_OK or SDB_NOMEM. */
static int s3XferStart(S3Store *p, CURLM *m, S3Xfer *x, SdbGetReq *pReq, int iReq, i64 deadline) {
  memset(x, 0, sizeof(*x));
  x->iReq = iReq;
  if (s3ReqInit(p, &x->q, "GET", pReq->zKey)) return SDB_NOMEM;
  s3ReqRange(&x->q, pReq->iOff, pReq->nLen);
  x->h = s3EasyGet(p);
  if (!x->h) return SDB_NOMEM;
  i64 msLeft = SDB_MAX(deadline - s3NowMs(), 1);
  if (s3Prepare(p, x->h, &x->q, &x->r, msLeft, &x->pHdr)) return SDB_NOMEM;
  curl_easy_setopt(x->h, CURLOPT_PRIVATE, x);
  STAT_ADD(p, nGet, 1);
  return curl_multi_add_handle(m, x->h) == CURLM_OK ? SDB_OK : SDB_NOMEM;
}

/* Release slot x (detaching its handle from m if attached). */
static void s3XferEnd(S3Store *p, CURLM *m, S3Xfer *x, int bAttached) {
  if (x->h) {
    if (bAttached) curl_multi_remove_handle(m, x->h);
    s3EasyPut(p, x->h);
  }
  curl_slist_free_all(x->pHdr);
  sdbBufFree(&x->r.body);
  s3ReqFree(&x->q);
  memset(x, 0, sizeof(*x));
  x->iReq = -1;
}

/* A transfer finished: judge it. A transient failure leaves a[i].rc ==
** S3_RETRY and the reason in azLast[i] for the fallback pass. */
static void s3XferDone(S3Store *p, S3Xfer *x, SdbGetReq *a, SdbErr *aErr, char (*azLast)[128]) {
  SdbGetReq *pReq = &a[x->iReq];
  curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &x->r.status);
  curl_easy_getinfo(x->h, CURLINFO_REQUEST_SIZE, &x->r.nReqSize);
  int rc = s3Judge(p, &x->q, &x->r, azLast[x->iReq], sizeof(azLast[0]), &aErr[x->iReq]);
  if (rc == SDB_OK) rc = s3TakeBody(&x->q, &x->r, &pReq->out);
  if (rc == SDB_OK) STAT_ADD(p, nBytesIn, pReq->out.n);
  if (rc == SDB_NOMEM) SDB_NOMEM_ERR(&aErr[x->iReq]);
  pReq->rc = rc;
}

/* Collect finished transfers of m, freeing their slots. */
static void s3MultiReap(S3Store *p, CURLM *m, SdbGetReq *a, SdbErr *aErr, char (*azLast)[128],
                        int *pnRun) {
  CURLMsg *pMsg;
  int nQueued;
  while ((pMsg = curl_multi_info_read(m, &nQueued)) != NULL) {
    if (pMsg->msg != CURLMSG_DONE) continue;
    S3Xfer *x = NULL;
    curl_easy_getinfo(pMsg->easy_handle, CURLINFO_PRIVATE, (char **)&x);
    x->r.cc = pMsg->data.result;
    s3XferDone(p, x, a, aErr, azLast);
    s3XferEnd(p, m, x, 1);
    (*pnRun)--;
  }
}

/* End a cancelled request: SDB_IOERR, and no retry. */
static void s3XferCancel(SdbGetReq *pReq, SdbErr *pErr) {
  pReq->rc = sdbErrSet(pErr, SDB_IOERR, "read of %s cancelled", pReq->zKey);
}

/* Drop the transfers in flight whose request was cancelled (sdbGetReqCancelled). */
static void s3MultiDropCancelled(S3Store *p, CURLM *m, SdbGetReq *a, SdbErr *aErr, S3Xfer *aX,
                                 int nSlot, int *pnRun) {
  for (int i = 0; i < nSlot; i++) {
    if (aX[i].iReq < 0 || !sdbGetReqCancelled(&a[aX[i].iReq])) continue;
    s3XferCancel(&a[aX[i].iReq], &aErr[aX[i].iReq]);
    s3XferEnd(p, m, &aX[i], 1);
    (*pnRun)--;
  }
}

/* Run a[0..n) on m with up to nSlot transfers at once; each gets one attempt.
** A cancelled request is not started, or its transfer dropped (polling every
** 5 ms when some request can be cancelled). SDB_OK or SDB_NOMEM. */
static int s3MultiPass(S3Store *p, CURLM *m, SdbGetReq *a, int n, SdbErr *aErr,
                       char (*azLast)[128], S3Xfer *aX, int nSlot, i64 deadline) {
  int iNext = 0, nRun = 0, rc = SDB_OK, bCancel = 0;
  for (int i = 0; i < nSlot; i++) aX[i].iReq = -1;
  for (int i = 0; i < n; i++) bCancel |= a[i].pCancel != NULL;
  while (rc == SDB_OK && (iNext < n || nRun > 0)) {
    for (int i = 0; i < nSlot && iNext < n && rc == SDB_OK; i++) {
      if (aX[i].iReq >= 0) continue;
      if (sdbGetReqCancelled(&a[iNext])) {
        s3XferCancel(&a[iNext], &aErr[iNext]);
        iNext++;
        continue;
      }
      a[iNext].rc = SDB_NOMEM;
      rc = s3XferStart(p, m, &aX[i], &a[iNext], iNext, deadline);
      if (rc) s3XferEnd(p, m, &aX[i], 0);
      else nRun++;
      iNext++;
    }
    int nStill = 0;
    if (curl_multi_perform(m, &nStill) != CURLM_OK) rc = SDB_NOMEM;
    s3MultiReap(p, m, a, aErr, azLast, &nRun);
    if (bCancel) s3MultiDropCancelled(p, m, a, aErr, aX, nSlot, &nRun);
    if (nRun > 0) curl_multi_poll(m, NULL, 0, bCancel ? 5 : 100, NULL);
  }
  for (int i = 0; i < nSlot; i++) {
    if (aX[i].iReq >= 0) s3XferEnd(p, m, &aX[i], 1);
  }
  return rc;
}

/* xGetMany: a[0..n) over one multi handle with up to nParallel transfers,
** then transient failures one by one (with backoff) until the same deadline.
** Every a[i].rc is set; a[i].out is replaced for successful requests. */
static int s3GetMany(SdbStore *pStore, SdbGetReq *a, int n, SdbErr *pErr) {
  S3Store *p = (S3Store *)pStore;
  if (n <= 0) return SDB_OK;
  i64 deadline = s3Deadline(p);
  int nSlot = SDB_MIN(p->nParallel, n);
  SdbErr *aErr = sdbMallocZero(sizeof(SdbErr) * (size_t)n);
  char (*azLast)[128] = sdbMallocZero(128 * (size_t)n);
  S3Xfer *aX = sdbMallocZero(sizeof(S3Xfer) * (size_t)nSlot);
  CURLM *m = s3MultiGet(p);
  int rc = (aErr && azLast && aX && m) ? SDB_OK : SDB_NOMEM;
  for (int i = 0; i < n; i++) a[i].rc = SDB_NOMEM;   /* until done */
  if (rc == SDB_OK) {
    curl_multi_setopt(m, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)nSlot);
    rc = s3MultiPass(p, m, a, n, aErr, azLast, aX, nSlot, deadline);
  }
  /* Transient failures: retry one by one. Attempts without a connection
  ** count for the whole batch: once S3_MAX_CONN_FAIL of them, the requests
  ** not yet retried end with the same error instead of trying in turn. */
  int nNoConn = 0, iConnErr = -1;
  for (int i = 0; rc == SDB_OK && i < n; i++) {
    if (a[i].rc != S3_RETRY) continue;
    if (sdbGetReqCancelled(&a[i])) {
      s3XferCancel(&a[i], &aErr[i]);
      continue;
    }
    if (iConnErr >= 0) {
      a[i].rc = a[iConnErr].rc;
      aErr[i] = aErr[iConnErr];
      continue;
    }
    a[i].rc = s3GetUntil(p, a[i].zKey, a[i].iOff, a[i].nLen, &a[i].out, deadline, 1,
                         azLast[i], &nNoConn, &aErr[i]);
    if (a[i].rc != SDB_OK && nNoConn >= S3_MAX_CONN_FAIL) iConnErr = i;
  }
  for (int i = 0; rc == SDB_OK && i < n; i++) {
    if (a[i].rc == SDB_OK || a[i].rc == SDB_NOTFOUND) continue;
    rc = a[i].rc;
    if (pErr) *pErr = aErr[i];
  }
  if (rc == SDB_NOMEM) SDB_NOMEM_ERR(pErr);
  if (m) s3MultiPut(p, m);
  sdbFree(aX);
  sdbFree(azLast);
  sdbFree(aErr);
  return rc;
}

/* ------------------------------------------------------------ free */

/* xFree: close pooled handles (and their connections), wipe the secret. */
static void s3Free(SdbStore *pStore) {
  S3Store *p = (S3Store *)pStore;
  if (!p) return;
  for (int i = 0; i < p->nEasy; i++) curl_easy_cleanup(p->apEasy[i]);
  for (int i = 0; i < p->nMulti; i++) curl_multi_cleanup(p->apMulti[i]);
  pthread_mutex_destroy(&p->mu);
  sdbCredsFree(p->pCreds);
  char *az[] = {p->zBucket, p->zPrefix, p->zEndpoint, p->zEnvEndpoint, p->zUrlBase, p->zHost,
                p->zPathBase, p->zRegion, p->zCaBundle, p->base.zDescr};
  for (int i = 0; i < SDB_ARRAY_SIZE(az); i++) sdbFree(az[i]);
  sdbFree(p);
}

static const SdbStoreMethods s3Methods = {
  s3Get, s3Head, s3Put, s3List, s3Delete, s3Free, s3GetMany, s3PutOnce, s3ListTop,
};

/* ------------------------------------------------------------ open: URL */

/* z[0..n) with valid %XX escapes decoded (others kept), leading and trailing
** '/' removed. New string (caller frees); NULL on OOM or *pbBad for %00. */
static char *s3DecodePrefix(const char *z, size_t n, int *pbBad) {
  char *zOut = sdbUrlDecode(z, n, pbBad);
  if (!zOut) return NULL;
  size_t nOut = strlen(zOut);
  while (nOut > 0 && zOut[nOut - 1] == '/') zOut[--nOut] = 0;
  char *zStart = zOut;
  while (*zStart == '/') zStart++;
  memmove(zOut, zStart, strlen(zStart) + 1);
  return zOut;
}


/* Split zUrl into bucket and prefix, both checked (S3's bucket naming rules;
** no ".", ".." or empty prefix segment, which a server or curl could resolve
** into another bucket's keys). */
static int s3ParseUrl(S3Store *p, const char *zUrl, SdbErr *pErr) {
  const char *zB = zUrl + 5;     /* after "s3://" */
  const char *zSlash = strchr(zB, '/');
  size_t nB = zSlash ? (size_t)(zSlash - zB) : strlen(zB);
  const char *zWhy = sdbS3BucketProblem(zB, nB);
  if (zWhy) {
    return sdbErrSet(pErr, SDB_ERROR, "invalid S3 bucket name in %s: %s", sdbS3Shown(zUrl), zWhy);
  }
  int bBad = 0;
  p->zBucket = sdbMprintf("%.*s", (int)nB, zB);
  p->zPrefix = zSlash ? s3DecodePrefix(zSlash, strlen(zSlash), &bBad) : sdbStrdup("");
  if (bBad) return sdbErrSet(pErr, SDB_ERROR, "S3 URL %s contains %%00", sdbS3Shown(zUrl));
  if (!p->zBucket || !p->zPrefix) return SDB_NOMEM_ERR(pErr);
  zWhy = sdbS3PrefixProblem(p->zPrefix);
  if (zWhy) return sdbErrSet(pErr, SDB_ERROR, "invalid S3 URL %s: %s", sdbS3Shown(zUrl), zWhy);
  return SDB_OK;
}

/* ------------------------------------------------------------ open: endpoint */

/* zEp without trailing '/' (new string, caller frees). */
static char *s3TrimEndpoint(const char *zEp) {
  size_t n = strlen(zEp);
  while (n > 0 && zEp[n - 1] == '/') n--;
  return sdbMprintf("%.*s", (int)n, zEp);
}

/* Split p->zEndpoint (checked by s3Configure) into scheme, authority and
** path; set zUrlBase, zHost and zPathBase for path-style or virtual-hosted
** requests. */
static int s3SetAddress(S3Store *p, int bAllowHttp, int bVhost, SdbErr *pErr) {
  const char *zEp = p->zEndpoint;
  int bHttp = strncasecmp(zEp, "http://", 7) == 0;
  if (bHttp && !bAllowHttp) {
    return sdbErrSet(pErr, SDB_ERROR, "S3 endpoint %s uses plain http://; set AWS_ALLOW_HTTP=true "
                     "(or, without credentials, the allow_http option) to allow it", zEp);
  }
  const char *zAuth = zEp + (bHttp ? 7 : 8);
  const char *zPath = strchr(zAuth, '/');
  int nAuth = zPath ? (int)(zPath - zAuth) : (int)strlen(zAuth);
  if (nAuth == 0) return sdbErrSet(pErr, SDB_ERROR, "S3 endpoint \"%s\" has no host", zEp);
  if (!zPath) zPath = "";
  const char *zScheme = bHttp ? "http://" : "https://";
  if (bVhost) {
    p->zHost = sdbMprintf("%s.%.*s", p->zBucket, nAuth, zAuth);
    p->zPathBase = sdbStrdup(zPath);
  } else {
    p->zHost = sdbMprintf("%.*s", nAuth, zAuth);
    p->zPathBase = sdbMprintf("%s/%s", zPath, p->zBucket);
  }
  p->zUrlBase = p->zHost ? sdbMprintf("%s%s", zScheme, p->zHost) : NULL;
  return (p->zHost && p->zPathBase && p->zUrlBase) ? SDB_OK : SDB_NOMEM_ERR(pErr);
}

/* ------------------------------------------------------------ open: credentials */

/* Run the credential chain (creds.h: environment, profile, web identity,
** container, IMDS; the last three may ask their servers) into p->pCreds; sets
** p->eCred. Binding them to an endpoint is s3CheckBinding's job. */
static int s3SetCredentials(S3Store *p, SdbErr *pErr) {
  int rc = sdbCredsOpen(p->zRegion, p->zCaBundle, &p->pCreds, pErr);
  if (rc) return rc;
  SdbCredSet *pSet = sdbCredsAcquire(p->pCreds);
  p->eCred = pSet ? S3_CRED_OK : S3_CRED_NONE;
  sdbCredsRelease(p->pCreds, pSet);
  return SDB_OK;
}

/* Credentials are bound to p->zEnvEndpoint (the environment's endpoint, or
** AWS's own for the checked region) and to the environment's AWS_ALLOW_HTTP
** and AWS_VIRTUAL_HOSTED_STYLE_REQUEST. While they exist, a table option that
** would move signed requests (and the session token) elsewhere is refused
** with SDB_PERM: an endpoint= other than zEnvEndpoint, allow_http=true
** without AWS_ALLOW_HTTP=true (plain http), or a virtual_hosted_style= other
** than the environment's (another host name, <bucket>.<host>). allow_http=false
** is accepted: it can only refuse a plain-http endpoint. Without credentials
** requests go unsigned wherever the options say. pCfg may be NULL. */
static int s3CheckBinding(S3Store *p, const SdbS3Config *pCfg, const char *zCfgEp, SdbErr *pErr) {
  if (p->eCred != S3_CRED_OK) return SDB_OK;
  if (zCfgEp && strcasecmp(p->zEndpoint, p->zEnvEndpoint) != 0) {
    return sdbErrSet(pErr, SDB_PERM, "S3 endpoint %s (the endpoint option) is not %s, the endpoint"
                     " the AWS credentials are for (AWS_ENDPOINT, AWS_ENDPOINT_URL_S3 or"
                     " AWS_ENDPOINT_URL, else AWS for the region): refused, so that a table"
                     " definition cannot send requests signed with them elsewhere; set AWS_ENDPOINT"
                     " to it, or unset the credentials for unsigned requests",
                     p->zEndpoint, p->zEnvEndpoint);
  }
  if (pCfg && pCfg->eAllowHttp > 0 && !s3EnvTrue("AWS_ALLOW_HTTP")) {
    return sdbErrSet(pErr, SDB_PERM, "S3 option allow_http=true refused while AWS credentials are"
                     " set and AWS_ALLOW_HTTP is not true: a table definition cannot send requests"
                     " signed with them over plain http; set AWS_ALLOW_HTTP=true to allow it, or"
                     " unset the credentials for unsigned requests");
  }
  int bEnvVhost = s3EnvTrue("AWS_VIRTUAL_HOSTED_STYLE_REQUEST");
  if (pCfg && pCfg->eVirtualHosted >= 0 && (pCfg->eVirtualHosted != 0) != bEnvVhost) {
    return sdbErrSet(pErr, SDB_PERM, "S3 option virtual_hosted_style=%s refused while AWS"
                     " credentials are set: AWS_VIRTUAL_HOSTED_STYLE_REQUEST is %s, and a table"
                     " definition cannot change the host name requests signed with them go to;"
                     " set AWS_VIRTUAL_HOSTED_STYLE_REQUEST instead, or unset the credentials for"
                     " unsigned requests", bEnvVhost ? "false" : "true", bEnvVhost ? "true" : "not true");
  }
  return SDB_OK;
}

/* ------------------------------------------------------------ open */

/* Check endpoint zEp (from zWhere: "the endpoint option" or an environment
** variable); bPathOk as sdbS3EndpointProblem. The value is named in the
** message only if it is showable. */
static int s3CheckEndpoint(const char *zEp, const char *zWhere, int bPathOk, SdbErr *pErr) {
  const char *zWhy = sdbS3EndpointProblem(zEp, bPathOk);
  if (!zWhy) return SDB_OK;
  return sdbErrSet(pErr, SDB_ERROR, "invalid S3 endpoint %s (%s): %s", sdbS3Shown(zEp), zWhere, zWhy);
}

/* The region from pCfg, the environment or the default, checked (it becomes
** part of AWS's host name). *pzRegion is borrowed; *pzFrom (static) says where
** it came from. */
static int s3PickRegion(const SdbS3Config *pCfg, const char **pzRegion, const char **pzFrom,
                        SdbErr *pErr) {
  const char *zWhere = "the region option";
  const char *zRegion = pCfg && pCfg->zRegion && pCfg->zRegion[0] ? pCfg->zRegion : NULL;
  if (!zRegion && s3Env("AWS_REGION")) { zRegion = s3Env("AWS_REGION"); zWhere = "AWS_REGION"; }
  if (!zRegion && s3Env("AWS_DEFAULT_REGION")) {
    zRegion = s3Env("AWS_DEFAULT_REGION");
    zWhere = "AWS_DEFAULT_REGION";
  }
  if (!zRegion) { zRegion = "us-east-1"; zWhere = "the default; AWS_REGION is not set"; }
  const char *zWhy = sdbS3RegionProblem(zRegion);
  if (zWhy) {
    return sdbErrSet(pErr, SDB_ERROR, "invalid S3 region %s (%s): %s",
                     sdbS3Shown(zRegion), zWhere, zWhy);
  }
  *pzRegion = zRegion;
  *pzFrom = zWhere;
  return SDB_OK;
}

/* The environment variable that names the environment's endpoint, NULL if
** none: AWS_ENDPOINT (SlateDB's), else AWS_ENDPOINT_URL_S3 (the AWS SDKs'
** S3-specific one, which they prefer to the next), else AWS_ENDPOINT_URL. */
static const char *s3EnvEndpointVar(void) {
  static const char *const azVar[] = {"AWS_ENDPOINT", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"};
  for (size_t i = 0; i < sizeof(azVar) / sizeof(azVar[0]); i++) {
    if (s3Env(azVar[i])) return azVar[i];
  }
  return NULL;
}

/* Region, endpoints, timeouts from pCfg, the environment and the defaults;
** every value that shapes a URL is checked. */
static int s3Configure(S3Store *p, const SdbS3Config *pCfg, int *pbHttp, int *pbVhost,
                       const char **pzCfgEp, SdbErr *pErr) {
  const char *zRegion = NULL;
  const char *zEnvVar = s3EnvEndpointVar();
  const char *zEnvEp = zEnvVar ? s3Env(zEnvVar) : NULL;
  const char *zCfgEp = pCfg && pCfg->zEndpoint && pCfg->zEndpoint[0] ? pCfg->zEndpoint : NULL;
  int rc = s3PickRegion(pCfg, &zRegion, &p->zRegionFrom, pErr);
  if (rc == SDB_OK && zEnvEp) rc = s3CheckEndpoint(zEnvEp, zEnvVar, 1, pErr);
  if (rc == SDB_OK && zCfgEp) rc = s3CheckEndpoint(zCfgEp, "the endpoint option", 0, pErr);
  if (rc) return rc;
  p->zRegion = sdbStrdup(zRegion);
  p->zEnvEndpoint = zEnvEp ? s3TrimEndpoint(zEnvEp) : sdbMprintf("https://s3.%s.amazonaws.com", zRegion);
  p->zEndpoint = zCfgEp ? s3TrimEndpoint(zCfgEp) : sdbStrdup(p->zEnvEndpoint ? p->zEnvEndpoint : "");
  p->zEpFrom = zCfgEp ? "the endpoint option" : zEnvVar;
  if (s3Env("AWS_CA_BUNDLE")) p->zCaBundle = sdbStrdup(s3Env("AWS_CA_BUNDLE"));
  if (!p->zRegion || !p->zEnvEndpoint || !p->zEndpoint) return SDB_NOMEM_ERR(pErr);
  int eHttp = pCfg ? pCfg->eAllowHttp : -1;
  int eVhost = pCfg ? pCfg->eVirtualHosted : -1;
  *pbHttp = eHttp < 0 ? s3EnvTrue("AWS_ALLOW_HTTP") : eHttp != 0;
  *pbVhost = eVhost < 0 ? s3EnvTrue("AWS_VIRTUAL_HOSTED_STYLE_REQUEST") : eVhost != 0;
  *pzCfgEp = zCfgEp;
  p->timeoutMs = pCfg && pCfg->timeoutMs ? pCfg->timeoutMs : 30000;
  p->connectTimeoutMs = pCfg && pCfg->connectTimeoutMs ? pCfg->connectTimeoutMs : S3_CONNECT_MS;
  p->nParallel = pCfg && pCfg->nParallel > 0 ? pCfg->nParallel : 8;
  p->mpuThreshold = pCfg && pCfg->multipartThreshold ? pCfg->multipartThreshold : S3_MPU_THRESHOLD;
  p->mpuPartSize = pCfg && pCfg->multipartPartSize ? pCfg->multipartPartSize : S3_MPU_PART;
  if (p->mpuPartSize < S3_MPU_PART_MIN) p->mpuPartSize = S3_MPU_PART_MIN;
  return SDB_OK;
}

/* See objstore.h. Parses and checks the URL and the configuration, loads the
** credentials (which asks the credential servers of web identity, container
** or IMDS credentials when those apply; no request to the store). */
int sdbStoreOpenS3(const char *zUrl, const SdbS3Config *pCfg, int bReadOnly, SdbStore **pp,
                   SdbErr *pErr) {
  *pp = NULL;
  if (strncmp(zUrl, "s3://", 5) != 0) {
    return sdbErrSet(pErr, SDB_ERROR, "not an S3 URL: %s (expected s3://bucket[/prefix])",
                     sdbS3Shown(zUrl));
  }
  int rcLib = sdbCurlLoad(pErr);
  if (rcLib == SDB_OK) rcLib = sdbSigv4Load(pErr);
  if (rcLib) return rcLib;
  S3Store *p = sdbMallocZero(sizeof(*p));
  if (!p) return SDB_NOMEM_ERR(pErr);
  pthread_mutex_init(&p->mu, NULL);
  p->base.pMethods = &s3Methods;
  p->bReadOnly = bReadOnly;
  int bHttp = 0, bVhost = 0;
  const char *zCfgEp = NULL;
  int rc = s3ParseUrl(p, zUrl, pErr);
  if (rc == SDB_OK) rc = s3Configure(p, pCfg, &bHttp, &bVhost, &zCfgEp, pErr);
  if (rc == SDB_OK) rc = s3SetAddress(p, bHttp, bVhost, pErr);
  if (rc == SDB_OK) rc = s3SetCredentials(p, pErr);
  if (rc == SDB_OK) rc = s3CheckBinding(p, pCfg, zCfgEp, pErr);
  if (rc == SDB_OK) {
    p->base.zDescr = p->zPrefix[0] ? sdbMprintf("s3://%s/%s", p->zBucket, p->zPrefix)
                                   : sdbMprintf("s3://%s", p->zBucket);
    if (!p->base.zDescr) rc = SDB_NOMEM_ERR(pErr);
  }
  if (rc) {
    s3Free(&p->base);
    return rc;
  }
  *pp = &p->base;
  return SDB_OK;
}
