/*
** creds.c: the AWS credential chain of the S3 store (see creds.h for the
** sources, their order and the refresh rules).
**
** Wire formats (as the AWS SDKs speak them):
**   STS      POST <sts>/ with form body Action=AssumeRoleWithWebIdentity&
**            RoleArn=..&RoleSessionName=..&Version=2011-06-15&WebIdentityToken=..
**            (unsigned) -> XML <Credentials><AccessKeyId/><SecretAccessKey/>
**            <SessionToken/><Expiration/></Credentials>; errors <Error><Code/>
**   container GET <url> [Authorization: <token>] -> JSON {"AccessKeyId",
**            "SecretAccessKey","Token","Expiration"}
**   IMDSv2   PUT /latest/api/token (X-aws-ec2-metadata-token-ttl-seconds: 21600)
**            -> token; GET /latest/meta-data/iam/security-credentials/ and
**            .../<role> with X-aws-ec2-metadata-token -> role name, then JSON as
**            the container's ("Code":"Success")
** Answers are read up to CRED_MAX_BODY bytes; every value is length-checked and
** must be printable ASCII (it becomes a header). Plain http to a container
** endpoint is allowed only to "localhost" and the IP literals loopback,
** 169.254.170.2, 169.254.170.23 and fd00:ec2::23 (no DNS name: see
** credHostAllowed).
*/
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>


#include "store/creds.h"
#include "store/curlapi.h"
#include "store/s3parse.h"
#include "store/sigv4.h"

#define CRED_MAX_BODY     (64 * 1024)
#define CRED_MAX_KEYID    128
#define CRED_MAX_SECRET   256
#define CRED_MAX_TOKEN    (16 * 1024)
#define CRED_SKIP         (-1)          /* internal: the source does not apply */

/* Timeouts (ms) and attempts per request of each credential server. */
#define CRED_IMDS_CONNECT_MS  1000   /* botocore's defaults: 1 s, one attempt */
#define CRED_IMDS_TOTAL_MS    1000
#define CRED_IMDS_ATTEMPTS    1
#define CRED_IMDS_DOWN_MS     60000  /* an unreachable IMDS is not probed again this long */
#define CRED_CT_CONNECT_MS    1000
#define CRED_CT_TOTAL_MS      5000
#define CRED_CT_ATTEMPTS      3
#define CRED_STS_CONNECT_MS   3000
#define CRED_STS_TOTAL_MS     10000
#define CRED_STS_ATTEMPTS     3

enum { SRC_NONE, SRC_ENV, SRC_PROFILE, SRC_WEBID, SRC_CONTAINER, SRC_IMDS };

struct SdbCreds {
  pthread_mutex_t mu;       /* guards pCur, nRef of every set, nextTryMs, lastFetchMs */
  pthread_mutex_t muFetch;  /* one refresh at a time; taken before mu */
  SdbCredSet *pCur;         /* current set (the chain holds one reference) or NULL */
  int eSrc;                 /* SRC_* that gave pCur */
  i64 nextTryMs;            /* no timed refresh before this (after a failure) */
  i64 lastFetchMs;          /* when pCur was fetched */
  char *zSource;            /* name of eSrc */
  SdbBuf tried;             /* "name (why), ..." NUL-terminated */
  char *zRegion, *zCaBundle;
  /* the environment, read at open */
  char *zEnvKey, *zEnvSecret, *zEnvToken;
  char *zProfile, *zCredFile, *zCredFileShown;
  int bProfileSet;          /* AWS_PROFILE was set (then a missing profile is an error) */
  char *zWebTokenFile, *zRoleArn, *zSessionName, *zStsUrl;
  char *zCtUrl, *zCtToken, *zCtTokenFile;
  int bCtRelative;
  char *zImdsUrl;
  int bImdsOff;
};

/* A finished HTTP exchange with a credential server. */
typedef struct CredAnswer {
  long status;
  SdbBuf body;
  int bTooBig;
} CredAnswer;

/* One request to a credential server. */
typedef struct CredReq {
  const char *zMethod;      /* "GET", "PUT", "POST" */
  const char *zUrl;
  const char *azHdr[3];     /* "Name: value" lines, NULL-terminated */
  const char *zBody;        /* POST/PUT body or NULL */
  long connectMs, totalMs;
  int nAttempt;
  int bNoProxy;             /* link-local or loopback server: ignore proxy variables */
} CredReq;

/* ------------------------------------------------------------ small helpers */

static i64 credNowMs(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (i64)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Non-empty value of environment variable zName as a new string, else NULL
** (also on OOM; *pbOom set). */
static char *credEnvDup(const char *zName, int *pbOom) {
  const char *z = getenv(zName);
  if (!z || !z[0]) return NULL;
  char *zCopy = sdbStrdup(z);
  if (!zCopy) *pbOom = 1;
  return zCopy;
}

/* Append "zName (why)" to the list of sources tried. */
static void credTried(SdbCreds *p, const char *zName, const char *zWhy) {
  char *z = sdbMprintf("%s%s (%s)", p->tried.n ? ", " : "", zName, zWhy);
  if (!z) return;
  size_t n = p->tried.n;
  if (n) p->tried.n--;                 /* append over the NUL */
  if (sdbBufAppend(&p->tried, z, strlen(z) + 1)) p->tried.n = n;   /* OOM: unchanged */
  sdbFree(z);
}

/* Is z[0..n) printable ASCII (a header value)? */
static int credPrintable(const char *z, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (z[i] < 0x20 || z[i] > 0x7e) return 0;
  }
  return 1;
}

/* Zero n bytes at z (a secret about to be freed or go out of scope) in a way
** the compiler may not drop as a dead store. */
static void credWipe(void *z, size_t n) {
  if (z && n) explicit_bzero(z, n);
}

/* Wipe and free an answer's body (it may hold a set, a token or a role). */
static void credBodyFree(SdbBuf *b) {
  credWipe(b->a, b->n);
  sdbBufFree(b);
}

/* Wipe the lines of header list p (an Authorization or IMDS token) and free it. */
static void credHdrFree(struct curl_slist *p) {
  for (struct curl_slist *q = p; q; q = q->next) credWipe(q->data, q->data ? strlen(q->data) : 0);
  curl_slist_free_all(p);
}

/* Free a set (its secret wiped). */
static void credSetFree(SdbCredSet *s) {
  if (!s) return;
  if (s->zSecret) credWipe(s->zSecret, strlen(s->zSecret));
  if (s->zToken) credWipe(s->zToken, strlen(s->zToken));
  sdbFree(s->zKeyId);
  sdbFree(s->zSecret);
  sdbFree(s->zToken);
  sdbFree(s);
}

/* A new set from the given values (copied; zToken may be NULL or "", zExp
** NULL or an ISO-8601 time). SDB_OK, else an rc with the problem in zWhy. */
static int credSetNew(const char *zKey, const char *zSecret, const char *zToken, const char *zExp,
                      SdbCredSet **pp, char *zWhy, size_t nWhy) {
  *pp = NULL;
  size_t nK = strlen(zKey), nS = strlen(zSecret), nT = zToken ? strlen(zToken) : 0;
  if (nK == 0 || nK > CRED_MAX_KEYID || nS == 0 || nS > CRED_MAX_SECRET || nT > CRED_MAX_TOKEN ||
      !credPrintable(zKey, nK) || !credPrintable(zSecret, nS) || !credPrintable(zToken ? zToken : "", nT)) {
    snprintf(zWhy, nWhy, "the answer holds no usable access key id, secret key or session token "
             "(missing, too long, or not printable ASCII)");
    return SDB_IOERR;
  }
  i64 exp = 0;
  if (zExp && zExp[0] && (exp = sdbS3IsoToMs(zExp)) <= 0) {
    snprintf(zWhy, nWhy, "the answer's Expiration is not an ISO-8601 time");
    return SDB_IOERR;
  }
  SdbCredSet *s = sdbMallocZero(sizeof(*s));
  if (s) {
    s->nRef = 1;
    s->expiresMs = exp;
    s->zKeyId = sdbStrdup(zKey);
    s->zSecret = sdbStrdup(zSecret);
    s->zToken = nT ? sdbStrdup(zToken) : NULL;
  }
  if (!s || !s->zKeyId || !s->zSecret || (nT && !s->zToken)) {
    credSetFree(s);
    snprintf(zWhy, nWhy, "out of memory");
    return SDB_NOMEM;
  }
  *pp = s;
  return SDB_OK;
}

/* Contents of file zPath (at most nMax bytes, trailing white space cut) as a
** new string in *pz. SDB_OK, else an rc with the problem in zWhy. */
static int credReadFile(const char *zPath, const char *zWhat, size_t nMax, char **pz,
                        char *zWhy, size_t nWhy) {
  *pz = NULL;
  FILE *f = fopen(zPath, "rb");
  if (!f) {
    snprintf(zWhy, nWhy, "%s %s: %s", zWhat, zPath, strerror(errno));
    return SDB_CANTOPEN;
  }
  setvbuf(f, NULL, _IONBF, 0);          /* no copy of the token in a stdio buffer */
  char *z = sdbMalloc(nMax + 2);
  size_t n = z ? fread(z, 1, nMax + 1, f) : 0;
  int bErr = ferror(f);
  fclose(f);
  if (!z) return (snprintf(zWhy, nWhy, "out of memory"), SDB_NOMEM);
  while (n > 0 && isspace((unsigned char)z[n - 1])) n--;
  z[n] = 0;
  const char *zBad = bErr ? "read error" : n == 0 ? "empty" : n > nMax ? "too long"
                   : !credPrintable(z, n) ? "not printable ASCII" : NULL;
  if (zBad) {
    credWipe(z, nMax + 2);
    sdbFree(z);
    snprintf(zWhy, nWhy, "%s %s: %s", zWhat, zPath, zBad);
    return SDB_CANTOPEN;
  }
  *pz = z;
  return SDB_OK;
}

/* ------------------------------------------------------------ parsers */

/* The string value of key zKey in JSON object a[0..n) into zOut[nOut]: the
** first "zKey" followed by ':' and a string. Escapes \" \\ \/ \b \f \n \r \t
** are decoded. 1 if found, 0 if absent (or not a string, e.g. null), -1 if
** the value cannot be represented exactly: a \u escape, a raw control
** character (NUL included), too long for zOut, or unterminated. */
static int credJsonStr(const u8 *a, size_t n, const char *zKey, char *zOut, size_t nOut) {
  const char *z = (const char *)a, *zEnd = z + n;
  size_t nKey = strlen(zKey);
  for (const char *c = z; c + nKey + 2 <= zEnd; c++) {
    if (c[0] != '"' || memcmp(c + 1, zKey, nKey) != 0 || c[nKey + 1] != '"') continue;
    const char *v = c + nKey + 2;
    while (v < zEnd && isspace((unsigned char)*v)) v++;
    if (v >= zEnd || *v != ':') continue;
    for (v++; v < zEnd && isspace((unsigned char)*v); v++) {}
    if (v >= zEnd || *v != '"') return 0;
    size_t o = 0;
    for (v++; v < zEnd && *v != '"'; v++) {
      char ch = *v;
      if ((unsigned char)ch < 0x20) return -1;
      if (ch == '\\') {
        if (++v >= zEnd) return -1;
        const char *zFrom = "\"\\/bfnrt", *zTo = "\"\\/\b\f\n\r\t";
        const char *k = strchr(zFrom, *v);
        if (!k || !*v) return -1;
        ch = zTo[k - zFrom];
      }
      if (o + 1 >= nOut) return -1;
      zOut[o++] = ch;
    }
    if (v >= zEnd) return -1;
    zOut[o] = 0;
    return 1;
  }
  return 0;
}

/* The end of reading a credential server's answer: with rc SDB_OK (the fields
** were found and checked) the new set in *pp (credSetNew), else rc; either
** way the secret (zSec, nSec bytes) and the token (zTok, CRED_MAX_TOKEN + 1
** bytes, sdbMalloc'd: freed here) are wiped first. */
static int credSetFromAnswer(int rc, const char *zKey, char *zSec, size_t nSec, char *zTok,
                             const char *zExp, SdbCredSet **pp, char *zWhy, size_t nWhy) {
  if (rc == SDB_OK) rc = credSetNew(zKey, zSec, zTok, zExp, pp, zWhy, nWhy);
  credWipe(zSec, nSec);
  credWipe(zTok, CRED_MAX_TOKEN + 1);
  sdbFree(zTok);
  return rc;
}

/* A set from a container or IMDS JSON answer. Expiration is required (these
** sets are temporary); a value that cannot be represented exactly is an error,
** never cut or dropped. */
static int credFromJson(const CredAnswer *r, SdbCredSet **pp, char *zWhy, size_t nWhy) {
  char zKey[CRED_MAX_KEYID + 1], zSec[CRED_MAX_SECRET + 1], zExp[64], zCode[64];
  char *zTok = sdbMalloc(CRED_MAX_TOKEN + 1);
  if (!zTok) return (snprintf(zWhy, nWhy, "out of memory"), SDB_NOMEM);
  static const char *const azName[] = {"Code", "AccessKeyId", "SecretAccessKey", "Token",
                                       "Expiration"};
  char *azOut[] = {zCode, zKey, zSec, zTok, zExp};
  size_t anOut[] = {sizeof(zCode), sizeof(zKey), sizeof(zSec), CRED_MAX_TOKEN + 1, sizeof(zExp)};
  int aOk[5], rc = SDB_OK;
  for (int i = 0; i < 5; i++) {
    aOk[i] = credJsonStr(r->body.a, r->body.n, azName[i], azOut[i], anOut[i]);
    if (aOk[i] < 0 && rc == SDB_OK) {
      snprintf(zWhy, nWhy, "the answer's %s is not a JSON string this reader can represent "
               "exactly (a \\u escape, a control character, or longer than %zu bytes)",
               azName[i], anOut[i] - 1);
      rc = SDB_IOERR;
    }
    if (aOk[i] <= 0) azOut[i][0] = 0;
  }
  if (rc) {
    /* reported above */
  } else if (aOk[0] && strcmp(zCode, "Success")) {
    snprintf(zWhy, nWhy, "the answer's Code is %s, not Success",
             credPrintable(zCode, strlen(zCode)) ? zCode : "?");
    rc = SDB_PERM;
  } else if (!aOk[1] || !aOk[2]) {
    snprintf(zWhy, nWhy, "the answer is not JSON with AccessKeyId and SecretAccessKey");
    rc = SDB_IOERR;
  } else if (!aOk[4]) {
    snprintf(zWhy, nWhy, "the answer has no Expiration (temporary credentials must expire)");
    rc = SDB_IOERR;
  }
  return credSetFromAnswer(rc, zKey, zSec, sizeof(zSec), zTok, zExp, pp, zWhy, nWhy);
}

/* ------------------------------------------------------------ HTTP */

static size_t credOnBody(char *a, size_t sz, size_t n, void *pArg) {
  CredAnswer *r = pArg;
  size_t nb = sz * n;
  if (r->body.n + nb > CRED_MAX_BODY) {
    r->bTooBig = 1;
    return 0;
  }
  return sdbBufAppend(&r->body, a, nb) == SDB_OK ? nb : 0;
}

/* One attempt of q into r; the curl result. */
static CURLcode credAttempt(SdbCreds *p, const CredReq *q, CredAnswer *r, char *zErr) {
  SdbErr err;
  sdb_err_clear(&err);
  if (sdbCurlLoad(&err)) {
    snprintf(zErr, CURL_ERROR_SIZE, "%s", err.zMsg);
    return CURLE_FAILED_INIT;
  }
  CURL *h = curl_easy_init();
  struct curl_slist *pHdr = NULL;
  if (!h) return CURLE_OUT_OF_MEMORY;
  for (int i = 0; q->azHdr[i]; i++) {
    struct curl_slist *pNew = curl_slist_append(pHdr, q->azHdr[i]);
    if (!pNew) { credHdrFree(pHdr); curl_easy_cleanup(h); return CURLE_OUT_OF_MEMORY; }
    pHdr = pNew;
  }
  curl_easy_setopt(h, CURLOPT_URL, q->zUrl);
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  if (q->bNoProxy) curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, pHdr);
  curl_easy_setopt(h, CURLOPT_USERAGENT, "sqlite-slatedb");
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, zErr);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, credOnBody);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, q->connectMs);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, q->totalMs);
  if (p->zCaBundle) curl_easy_setopt(h, CURLOPT_CAINFO, p->zCaBundle);
  if (strcmp(q->zMethod, "GET") != 0) {
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, q->zMethod);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, q->zBody ? q->zBody : "");
  }
  CURLcode cc = curl_easy_perform(h);
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
  curl_off_t tConnect = 0;
  curl_easy_getinfo(h, CURLINFO_CONNECT_TIME_T, &tConnect);
  if (cc == CURLE_OPERATION_TIMEDOUT && tConnect == 0) cc = CURLE_COULDNT_CONNECT;  /* never connected */
  credHdrFree(pHdr);
  curl_easy_cleanup(h);
  return cc;
}

/* A short reason for a failed transfer (curl's message zErr when it adds
** something, e.g. a TLS problem). */
static const char *credCurlWhy(CURLcode cc, const char *zErr) {
  switch (cc) {
    case CURLE_COULDNT_CONNECT: return "connection refused or unreachable";
    case CURLE_COULDNT_RESOLVE_HOST: return "host name does not resolve";
    case CURLE_OPERATION_TIMEDOUT: return "timed out";
    default: return zErr[0] ? zErr : curl_easy_strerror(cc);
  }
}

/* Perform q: up to q->nAttempt attempts while the answer is a 5xx or the
** transfer broke after connecting (a refused or unresolvable server is not
** retried: it is not there). SDB_OK with an HTTP answer in r (caller frees
** r->body), else SDB_IOERR with the problem in zWhy. */
static int credHttp(SdbCreds *p, const CredReq *q, CredAnswer *r, char *zWhy, size_t nWhy) {
  for (int i = 0; i < q->nAttempt; i++) {
    char zErr[CURL_ERROR_SIZE] = "";
    if (i > 0) {
      struct timespec ts = {0, 100000000L << (i - 1)};
      nanosleep(&ts, NULL);
    }
    credBodyFree(&r->body);
    memset(r, 0, sizeof(*r));   /* after the body was wiped and freed */
    CURLcode cc = credAttempt(p, q, r, zErr);
    if (cc == CURLE_OUT_OF_MEMORY) return (snprintf(zWhy, nWhy, "out of memory"), SDB_NOMEM);
    if (r->bTooBig) {
      snprintf(zWhy, nWhy, "answer larger than %d bytes", CRED_MAX_BODY);
      return SDB_IOERR;
    }
    if (cc == CURLE_OK && r->status < 500) return SDB_OK;
    if (cc == CURLE_OK) snprintf(zWhy, nWhy, "HTTP %ld", r->status);
    else snprintf(zWhy, nWhy, "%s", credCurlWhy(cc, zErr));
    if (cc == CURLE_COULDNT_CONNECT || cc == CURLE_COULDNT_RESOLVE_HOST ||
        cc == CURLE_UNSUPPORTED_PROTOCOL || cc == CURLE_URL_MALFORMAT) {
      break;
    }
  }
  credBodyFree(&r->body);
  return SDB_IOERR;
}

/* ------------------------------------------------------------ sources */

/* Key zName of section [zProfile] of credentials file zFile into zOut[nOut]
** ("" if absent). 1 if the section exists. */
static int credFileValue(FILE *f, const char *zProfile, const char *zName, char *zOut, size_t nOut) {
  char zLine[CRED_MAX_TOKEN + 64];
  int bIn = 0, bSeen = 0;
  zOut[0] = 0;
  rewind(f);
  while (!zOut[0] && fgets(zLine, sizeof(zLine), f)) {
    char *z = zLine, *zEnd;
    while (isspace((unsigned char)*z)) z++;
    zEnd = z + strlen(z);
    while (zEnd > z && isspace((unsigned char)zEnd[-1])) *--zEnd = 0;
    if (*z == '[') {
      bIn = zEnd > z + 1 && zEnd[-1] == ']' && (size_t)(zEnd - z - 2) == strlen(zProfile) &&
            strncmp(z + 1, zProfile, strlen(zProfile)) == 0;
      bSeen |= bIn;
      continue;
    }
    char *zEq = strchr(z, '=');
    if (!bIn || !zEq) continue;
    char *zKEnd = zEq;
    while (zKEnd > z && isspace((unsigned char)zKEnd[-1])) zKEnd--;
    char *zV = zEq + 1;
    while (isspace((unsigned char)*zV)) zV++;
    if ((size_t)(zKEnd - z) == strlen(zName) && strncmp(z, zName, strlen(zName)) == 0) {
      snprintf(zOut, nOut, "%s", zV);
    }
  }
  credWipe(zLine, sizeof(zLine));
  return bSeen || zOut[0];
}

/* The profile of the credentials file. The [default] profile missing or
** without keys is a skip; a profile named by AWS_PROFILE that is missing, or
** any profile with only one of the two keys, is an error (as in the SDKs). */
static int credProfile(SdbCreds *p, SdbCredSet **pp, char *zWhy, size_t nWhy) {
  int rcMiss = p->bProfileSet ? SDB_PERM : CRED_SKIP;
  const char *zSet = p->bProfileSet ? "AWS_PROFILE is set but " : "";
  if (!p->zCredFile) return (snprintf(zWhy, nWhy, "%sHOME unset", zSet), rcMiss);
  FILE *f = fopen(p->zCredFile, "r");
  if (!f) {
    snprintf(zWhy, nWhy, "%s%s: %s", zSet, p->zCredFileShown, strerror(errno));
    return rcMiss;
  }
  char aIo[4096];                       /* stdio's buffer, wiped after fclose */
  setvbuf(f, aIo, _IOFBF, sizeof(aIo));
  char zKey[CRED_MAX_KEYID + 2], zSec[CRED_MAX_SECRET + 2];
  char *zTok = sdbMalloc(CRED_MAX_TOKEN + 2);
  int rc = CRED_SKIP;
  if (!zTok) {
    snprintf(zWhy, nWhy, "out of memory");
    rc = SDB_NOMEM;
  } else {
    int bSeen = credFileValue(f, p->zProfile, "aws_access_key_id", zKey, sizeof(zKey));
    credFileValue(f, p->zProfile, "aws_secret_access_key", zSec, sizeof(zSec));
    credFileValue(f, p->zProfile, "aws_session_token", zTok, CRED_MAX_TOKEN + 2);
    if (!bSeen) {
      snprintf(zWhy, nWhy, "%s%s: no profile [%s]", zSet, p->zCredFileShown, p->zProfile);
      rc = rcMiss;
    } else if (!zKey[0] != !zSec[0]) {
      snprintf(zWhy, nWhy, "%s: profile [%s] has %s but not %s", p->zCredFileShown, p->zProfile,
               zKey[0] ? "aws_access_key_id" : "aws_secret_access_key",
               zKey[0] ? "aws_secret_access_key" : "aws_access_key_id");
      rc = SDB_PERM;
    } else if (!zKey[0]) {
      snprintf(zWhy, nWhy, "%s%s: no aws_access_key_id and aws_secret_access_key in [%s]",
               zSet, p->zCredFileShown, p->zProfile);
      rc = rcMiss;
    } else {
      rc = credSetNew(zKey, zSec, zTok, NULL, pp, zWhy, nWhy);
    }
    credWipe(zTok, CRED_MAX_TOKEN + 2);
  }
  credWipe(zSec, sizeof(zSec));
  sdbFree(zTok);
  fclose(f);
  credWipe(aIo, sizeof(aIo));
  return rc;
}

/* The application/x-www-form-urlencoded body of AssumeRoleWithWebIdentity
** (caller frees), NULL on OOM. */
static char *credStsBody(SdbCreds *p, const char *zToken) {
  const char *az[5][2] = {{"Action", "AssumeRoleWithWebIdentity"}, {"RoleArn", p->zRoleArn},
                          {"RoleSessionName", p->zSessionName}, {"Version", "2011-06-15"},
                          {"WebIdentityToken", zToken}};
  SdbBuf b = {0};
  int rc = SDB_OK;
  for (int i = 0; rc == SDB_OK && i < 5; i++) {
    rc = sdbBufAppend(&b, i ? "&" : "", i ? 1 : 0);
    if (rc == SDB_OK) rc = sdbBufAppend(&b, az[i][0], strlen(az[i][0]));
    if (rc == SDB_OK) rc = sdbBufAppend(&b, "=", 1);
    if (rc == SDB_OK) rc = sdbSigv4Encode(&b, az[i][1], strlen(az[i][1]), 0);
  }
  if (rc == SDB_OK) rc = sdbBufAppend(&b, "", 1);
  if (rc != SDB_OK) {
    credBodyFree(&b);
    return NULL;
  }
  return (char *)b.a;
}

/* A set from STS's AssumeRoleWithWebIdentity answer r. */
static int credFromSts(const CredAnswer *r, SdbCredSet **pp, char *zWhy, size_t nWhy) {
  char zKey[CRED_MAX_KEYID + 1], zSec[CRED_MAX_SECRET + 1], zExp[64];
  if (r->status != 200) {
    char zCode[64], zMsg[160];
    sdbS3XmlText(r->body.a, r->body.n, "Code", zCode, sizeof(zCode));
    sdbS3XmlText(r->body.a, r->body.n, "Message", zMsg, sizeof(zMsg));
    snprintf(zWhy, nWhy, "STS answered HTTP %ld %s%s%s", r->status,
             credPrintable(zCode, strlen(zCode)) ? zCode : "",
             zMsg[0] && credPrintable(zMsg, strlen(zMsg)) ? ": " : "",
             zMsg[0] && credPrintable(zMsg, strlen(zMsg)) ? zMsg : "");
    return r->status == 400 || r->status == 403 ? SDB_PERM : SDB_IOERR;
  }
  char *zTok = sdbMalloc(CRED_MAX_TOKEN + 1);
  if (!zTok) return (snprintf(zWhy, nWhy, "out of memory"), SDB_NOMEM);
  size_t nK = sdbS3XmlText(r->body.a, r->body.n, "AccessKeyId", zKey, sizeof(zKey));
  size_t nS = sdbS3XmlText(r->body.a, r->body.n, "SecretAccessKey", zSec, sizeof(zSec));
  size_t nT = sdbS3XmlText(r->body.a, r->body.n, "SessionToken", zTok, CRED_MAX_TOKEN + 1);
  sdbS3XmlText(r->body.a, r->body.n, "Expiration", zExp, sizeof(zExp));
  int rc = SDB_OK;
  if (nK >= sizeof(zKey) || nS >= sizeof(zSec) || nT > CRED_MAX_TOKEN || nT == 0) {
    snprintf(zWhy, nWhy, "STS's answer holds no usable AccessKeyId, SecretAccessKey and SessionToken");
    rc = SDB_IOERR;
  }
  return credSetFromAnswer(rc, zKey, zSec, sizeof(zSec), zTok, zExp, pp, zWhy, nWhy);
}

/* Web identity: STS AssumeRoleWithWebIdentity with the token file's token. */
static int credWebIdentity(SdbCreds *p, SdbCredSet **pp, char *zWhy, size_t nWhy) {
  if (!p->zWebTokenFile) return (snprintf(zWhy, nWhy, "AWS_WEB_IDENTITY_TOKEN_FILE unset"), CRED_SKIP);
  if (!p->zRoleArn) return (snprintf(zWhy, nWhy, "AWS_ROLE_ARN unset"), CRED_SKIP);
  char *zTok = NULL;
  int rc = credReadFile(p->zWebTokenFile, "AWS_WEB_IDENTITY_TOKEN_FILE", CRED_MAX_TOKEN, &zTok,
                        zWhy, nWhy);
  if (rc) return rc;
  char *zBody = credStsBody(p, zTok);
  credWipe(zTok, strlen(zTok));
  sdbFree(zTok);
  if (!zBody) return (snprintf(zWhy, nWhy, "out of memory"), SDB_NOMEM);
  CredReq q = {"POST", p->zStsUrl, {"Content-Type: application/x-www-form-urlencoded",
               "Accept: application/xml", NULL}, zBody, CRED_STS_CONNECT_MS, CRED_STS_TOTAL_MS,
               CRED_STS_ATTEMPTS, 0};
  CredAnswer r = {0};
  char zNet[160];
  rc = credHttp(p, &q, &r, zNet, sizeof(zNet));
  credWipe(zBody, strlen(zBody));
  sdbFree(zBody);
  if (rc) snprintf(zWhy, nWhy, "STS at %s: %s", sdbS3Shown(p->zStsUrl), zNet);
  else rc = credFromSts(&r, pp, zWhy, nWhy);
  credBodyFree(&r.body);
  return rc;
}

/* May plain http reach host zHost: "localhost" (which curl resolves itself,
** to loopback, without asking DNS) or an IP literal that is loopback,
** 169.254.170.2, 169.254.170.23 or fd00:ec2::23? Any other name is refused,
** as botocore does: a name checked here would be resolved again by curl,
** and a rebinding DNS server could then send the token elsewhere. */
static int credHostAllowed(const char *zHost) {
  if (strcasecmp(zHost, "localhost") == 0) return 1;
  struct addrinfo hints = {0}, *pRes = NULL;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICHOST;
  if (getaddrinfo(zHost, NULL, &hints, &pRes) != 0 || !pRes) return 0;
  int ok = 1;
  static const u8 aEks6[16] = {0xfd, 0x00, 0x0e, 0xc2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x23};
  for (struct addrinfo *a = pRes; ok && a; a = a->ai_next) {
    if (a->ai_family == AF_INET) {
      u32 v = ntohl(((struct sockaddr_in *)a->ai_addr)->sin_addr.s_addr);
      ok = (v >> 24) == 127 || v == 0xA9FEAA02u || v == 0xA9FEAA17u;
    } else if (a->ai_family == AF_INET6) {
      const u8 *b = ((struct sockaddr_in6 *)a->ai_addr)->sin6_addr.s6_addr;
      ok = memcmp(b, &in6addr_loopback, 16) == 0 || memcmp(b, aEks6, 16) == 0;
    } else {
      ok = 0;
    }
  }
  freeaddrinfo(pRes);
  return ok;
}

/* May the container endpoint zUrl be used? https always; http only to the
** allowed hosts. NULL if so, else why not (static text). */
static const char *credContainerUrlProblem(const char *zUrl) {
  if (strncasecmp(zUrl, "https://", 8) == 0) return NULL;
  if (strncasecmp(zUrl, "http://", 7) != 0) return "not an http:// or https:// URL";
  const char *zA = zUrl + 7;
  size_t nA = strcspn(zA, "/?#");
  if (memchr(zA, '@', nA)) return "user information in the URL";
  char zHost[256];
  if (zA[0] == '[') {
    const char *zE = memchr(zA, ']', nA);
    if (!zE || (size_t)(zE - zA - 1) >= sizeof(zHost)) return "malformed host";
    snprintf(zHost, sizeof(zHost), "%.*s", (int)(zE - zA - 1), zA + 1);
  } else {
    size_t nH = strcspn(zA, ":/?#");
    if (nH == 0 || nH >= sizeof(zHost)) return "malformed host";
    snprintf(zHost, sizeof(zHost), "%.*s", (int)nH, zA);
  }
  if (!credHostAllowed(zHost)) {
    return "plain http is allowed only to localhost or the IP addresses loopback, "
           "169.254.170.2, 169.254.170.23 or fd00:ec2::23, not to another host name (use https)";
  }
  return NULL;
}

/* Container credentials (ECS task role, EKS Pod Identity). */
static int credContainer(SdbCreds *p, SdbCredSet **pp, char *zWhy, size_t nWhy) {
  if (!p->zCtUrl) {
    snprintf(zWhy, nWhy, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI/_FULL_URI unset");
    return CRED_SKIP;
  }
  const char *zVar = p->bCtRelative ? "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"
                                    : "AWS_CONTAINER_CREDENTIALS_FULL_URI";
  const char *zBad = credContainerUrlProblem(p->zCtUrl);
  if (zBad) {
    snprintf(zWhy, nWhy, "%s %s refused: %s", zVar, sdbS3Shown(p->zCtUrl), zBad);
    return SDB_PERM;
  }
  char *zTok = NULL, *zAuth = NULL;
  int rc = SDB_OK;
  if (p->zCtTokenFile) {
    rc = credReadFile(p->zCtTokenFile, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", 4096, &zTok,
                      zWhy, nWhy);
  } else if (p->zCtToken && !credPrintable(p->zCtToken, strlen(p->zCtToken))) {
    snprintf(zWhy, nWhy, "AWS_CONTAINER_AUTHORIZATION_TOKEN: not printable ASCII");
    rc = SDB_PERM;
  } else if (p->zCtToken && !(zTok = sdbStrdup(p->zCtToken))) {
    rc = (snprintf(zWhy, nWhy, "out of memory"), SDB_NOMEM);
  }
  if (rc) return rc;
  if (zTok && !(zAuth = sdbMprintf("Authorization: %s", zTok))) {
    rc = (snprintf(zWhy, nWhy, "out of memory"), SDB_NOMEM);
  }
  if (zTok) credWipe(zTok, strlen(zTok));
  sdbFree(zTok);
  if (rc) return rc;
  CredReq q = {"GET", p->zCtUrl, {"Accept: application/json", zAuth, NULL}, NULL,
               CRED_CT_CONNECT_MS, CRED_CT_TOTAL_MS, CRED_CT_ATTEMPTS, 0};
  q.bNoProxy = strncasecmp(p->zCtUrl, "http://", 7) == 0;   /* then a local host */
  CredAnswer r = {0};
  char zNet[160];
  rc = credHttp(p, &q, &r, zNet, sizeof(zNet));
  if (zAuth) credWipe(zAuth, strlen(zAuth));
  sdbFree(zAuth);
  if (rc) snprintf(zWhy, nWhy, "%s %s: %s", zVar, sdbS3Shown(p->zCtUrl), zNet);
  else if (r.status != 200) {
    snprintf(zWhy, nWhy, "%s %s answered HTTP %ld%s", zVar, sdbS3Shown(p->zCtUrl), r.status,
             r.status == 401 || r.status == 403 ? " (check AWS_CONTAINER_AUTHORIZATION_TOKEN"
             "[_FILE])" : "");
    rc = r.status == 401 || r.status == 403 ? SDB_PERM : SDB_IOERR;
  } else {
    char zIn[160];
    rc = credFromJson(&r, pp, zIn, sizeof(zIn));
    if (rc) snprintf(zWhy, nWhy, "%s %s: %s", zVar, sdbS3Shown(p->zCtUrl), zIn);
  }
  credBodyFree(&r.body);
  return rc;
}

/* The IMDS endpoint found unreachable last, and until when it is not probed
** again (per process: every store open runs the chain). */
static pthread_mutex_t credImdsMu = PTHREAD_MUTEX_INITIALIZER;
static char credImdsDownUrl[256];
static i64 credImdsDownUntil;

/* Is IMDS at zUrl known unreachable (bSet 0), or mark it so (bSet 1)? */
static int credImdsDown(const char *zUrl, int bSet) {
  pthread_mutex_lock(&credImdsMu);
  int bDown = 0;
  if (bSet) {
    snprintf(credImdsDownUrl, sizeof(credImdsDownUrl), "%s", zUrl);
    credImdsDownUntil = credNowMs() + CRED_IMDS_DOWN_MS;
  } else {
    bDown = strcmp(credImdsDownUrl, zUrl) == 0 && credNowMs() < credImdsDownUntil;
  }
  pthread_mutex_unlock(&credImdsMu);
  return bDown;
}

/* One IMDS request: path zPath, zHdr an extra header line. SDB_OK with a 200
** answer in r (caller frees r->body); else CRED_SKIP with why in zWhy. */
static int credImdsGet(SdbCreds *p, const char *zMethod, const char *zPath, const char *zHdr,
                       CredAnswer *r, char *zWhy, size_t nWhy) {
  char *zUrl = sdbMprintf("%s%s", p->zImdsUrl, zPath);
  if (!zUrl) return (snprintf(zWhy, nWhy, "out of memory"), SDB_NOMEM);
  CredReq q = {zMethod, zUrl, {zHdr, NULL}, NULL, CRED_IMDS_CONNECT_MS, CRED_IMDS_TOTAL_MS,
               CRED_IMDS_ATTEMPTS, 1};
  char zNet[160];
  int rc = credHttp(p, &q, r, zNet, sizeof(zNet));
  sdbFree(zUrl);
  if (rc == SDB_NOMEM) return (snprintf(zWhy, nWhy, "out of memory"), SDB_NOMEM);
  if (rc) {
    snprintf(zWhy, nWhy, "%s at %s", zNet, sdbS3Shown(p->zImdsUrl));
    if (p->eSrc != SRC_IMDS) credImdsDown(p->zImdsUrl, 1);
    return CRED_SKIP;
  }
  if (r->status == 200) return SDB_OK;
  snprintf(zWhy, nWhy, "%s %s answered HTTP %ld at %s", zMethod, zPath, r->status,
           sdbS3Shown(p->zImdsUrl));
  credBodyFree(&r->body);
  return CRED_SKIP;
}

/* The IMDSv2 session token from a 200 answer into zTok[nTok]; 0 if unusable. */
static int credImdsToken(const CredAnswer *r, char *zTok, size_t nTok) {
  size_t n = r->body.n;
  while (n > 0 && isspace(r->body.a[n - 1])) n--;
  if (n == 0 || n >= nTok || !credPrintable((const char *)r->body.a, n)) return 0;
  memcpy(zTok, r->body.a, n);
  zTok[n] = 0;
  return 1;
}

/* The first line of the role listing, checked as an IAM role name. */
static int credImdsRole(const CredAnswer *r, char *zRole, size_t nRole) {
  size_t n = 0;
  while (n < r->body.n && r->body.a[n] != '\n' && r->body.a[n] != '\r') n++;
  if (n == 0 || n >= nRole || n > 64) return 0;
  for (size_t i = 0; i < n; i++) {
    if (!isalnum(r->body.a[i]) && !strchr("+=,.@_-", r->body.a[i])) return 0;
  }
  memcpy(zRole, r->body.a, n);
  zRole[n] = 0;
  return 1;
}

/* EC2 instance metadata, IMDSv2. Every failure is a skip (it is a probe). */
static int credImds(SdbCreds *p, SdbCredSet **pp, char *zWhy, size_t nWhy) {
  if (p->bImdsOff) return (snprintf(zWhy, nWhy, "AWS_EC2_METADATA_DISABLED=true"), CRED_SKIP);
  if (p->eSrc != SRC_IMDS && credImdsDown(p->zImdsUrl, 0)) {
    snprintf(zWhy, nWhy, "unreachable at %s less than %d s ago, not probed again",
             sdbS3Shown(p->zImdsUrl), CRED_IMDS_DOWN_MS / 1000);
    return CRED_SKIP;
  }
  CredAnswer r = {0};
  char zTok[1024], zHdr[1100], zRole[80], zPath[160];
  int rc = credImdsGet(p, "PUT", "/latest/api/token", "X-aws-ec2-metadata-token-ttl-seconds: 21600",
                       &r, zWhy, nWhy);
  if (rc) return rc;
  int ok = credImdsToken(&r, zTok, sizeof(zTok));
  credBodyFree(&r.body);
  if (!ok) return (snprintf(zWhy, nWhy, "unusable session token at %s", sdbS3Shown(p->zImdsUrl)), CRED_SKIP);
  snprintf(zHdr, sizeof(zHdr), "X-aws-ec2-metadata-token: %s", zTok);
  credWipe(zTok, sizeof(zTok));
  rc = credImdsGet(p, "GET", "/latest/meta-data/iam/security-credentials/", zHdr, &r, zWhy, nWhy);
  if (rc == SDB_OK) {
    ok = credImdsRole(&r, zRole, sizeof(zRole));
    credBodyFree(&r.body);
    if (!ok) rc = (snprintf(zWhy, nWhy, "no usable IAM role name at %s", sdbS3Shown(p->zImdsUrl)), CRED_SKIP);
  }
  if (rc == SDB_OK) {
    snprintf(zPath, sizeof(zPath), "/latest/meta-data/iam/security-credentials/%s", zRole);
    rc = credImdsGet(p, "GET", zPath, zHdr, &r, zWhy, nWhy);
  }
  if (rc == SDB_OK) {
    char zIn[160];
    rc = credFromJson(&r, pp, zIn, sizeof(zIn));
    if (rc && rc != SDB_NOMEM) {
      snprintf(zWhy, nWhy, "role %s at %s: %s", zRole, sdbS3Shown(p->zImdsUrl), zIn);
      rc = CRED_SKIP;
    }
    credBodyFree(&r.body);
  }
  credWipe(zHdr, sizeof(zHdr));
  return rc;
}

/* Fetch a set from source eSrc: SDB_OK, CRED_SKIP or an error (why in zWhy). */
static int credFetch(SdbCreds *p, int eSrc, SdbCredSet **pp, char *zWhy, size_t nWhy) {
  *pp = NULL;
  switch (eSrc) {
    case SRC_ENV:
      if (!p->zEnvKey) return (snprintf(zWhy, nWhy, "AWS_ACCESS_KEY_ID unset"), CRED_SKIP);
      if (!p->zEnvSecret) {
        snprintf(zWhy, nWhy, "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not");
        return SDB_PERM;
      }
      return credSetNew(p->zEnvKey, p->zEnvSecret, p->zEnvToken, NULL, pp, zWhy, nWhy);
    case SRC_PROFILE: return credProfile(p, pp, zWhy, nWhy);
    case SRC_WEBID: return credWebIdentity(p, pp, zWhy, nWhy);
    case SRC_CONTAINER: return credContainer(p, pp, zWhy, nWhy);
    case SRC_IMDS: return credImds(p, pp, zWhy, nWhy);
    default: return CRED_SKIP;
  }
}

/* ------------------------------------------------------------ open */

/* Read the environment into p. SDB_OK or SDB_NOMEM. */
static int credReadEnv(SdbCreds *p) {
  int bOom = 0;
  p->zEnvKey = credEnvDup("AWS_ACCESS_KEY_ID", &bOom);
  p->zEnvSecret = credEnvDup("AWS_SECRET_ACCESS_KEY", &bOom);
  p->zEnvToken = credEnvDup("AWS_SESSION_TOKEN", &bOom);
  if (!p->zEnvToken) p->zEnvToken = credEnvDup("AWS_TOKEN", &bOom);
  p->zProfile = credEnvDup("AWS_PROFILE", &bOom);
  p->bProfileSet = p->zProfile != NULL;
  if (!p->zProfile && !(p->zProfile = sdbStrdup("default"))) bOom = 1;
  p->zCredFile = credEnvDup("AWS_SHARED_CREDENTIALS_FILE", &bOom);
  p->zCredFileShown = p->zCredFile ? sdbStrdup(p->zCredFile) : sdbStrdup("~/.aws/credentials");
  if (!p->zCredFile && getenv("HOME") && getenv("HOME")[0]) {
    p->zCredFile = sdbMprintf("%s/.aws/credentials", getenv("HOME"));
    if (!p->zCredFile) bOom = 1;
  }
  p->zWebTokenFile = credEnvDup("AWS_WEB_IDENTITY_TOKEN_FILE", &bOom);
  p->zRoleArn = credEnvDup("AWS_ROLE_ARN", &bOom);
  p->zSessionName = credEnvDup("AWS_ROLE_SESSION_NAME", &bOom);
  if (!p->zSessionName) p->zSessionName = sdbMprintf("sqlite-slatedb-%lld", (long long)credNowMs());
  p->zStsUrl = credEnvDup("AWS_ENDPOINT_URL_STS", &bOom);
  if (!p->zStsUrl) p->zStsUrl = sdbMprintf("https://sts.%s.amazonaws.com/", p->zRegion);
  char *zRel = credEnvDup("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", &bOom);
  p->bCtRelative = zRel != NULL;
  p->zCtUrl = zRel ? sdbMprintf("http://169.254.170.2%s", zRel)
                   : credEnvDup("AWS_CONTAINER_CREDENTIALS_FULL_URI", &bOom);
  if (zRel && !p->zCtUrl) bOom = 1;
  sdbFree(zRel);
  p->zCtToken = credEnvDup("AWS_CONTAINER_AUTHORIZATION_TOKEN", &bOom);
  p->zCtTokenFile = credEnvDup("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", &bOom);
  char *zUrl = credEnvDup("AWS_EC2_METADATA_SERVICE_ENDPOINT", &bOom);
  size_t n = zUrl ? strlen(zUrl) : 0;
  while (n > 0 && zUrl[n - 1] == '/') zUrl[--n] = 0;
  p->zImdsUrl = zUrl ? zUrl : sdbStrdup("http://169.254.169.254");
  const char *zOff = getenv("AWS_EC2_METADATA_DISABLED");
  p->bImdsOff = zOff && strcasecmp(zOff, "true") == 0;
  if (bOom || !p->zCredFileShown || !p->zSessionName || !p->zStsUrl || !p->zImdsUrl) return SDB_NOMEM;
  return SDB_OK;
}

static const char *const azSrcName[] = {"none", "environment", "profile", "web identity",
                                        "container", "IMDS"};

/* The name of source e for messages (new string), NULL on OOM. */
static char *credSrcName(SdbCreds *p, int e) {
  if (e == SRC_PROFILE) return sdbMprintf("profile %s", p->zProfile);
  return sdbStrdup(azSrcName[e]);
}

/* When set s, fetched at now, may be fetched again at the earliest: a set
** that expires within SDB_CREDS_REFRESH_MS (or has expired) when handed out
** would otherwise be fetched again at every acquire, so the next try waits
** SDB_CREDS_RETRY_MS plus up to half as much again of jitter; else 0. */
static i64 credNextTry(const SdbCredSet *s, i64 now) {
  if (!s->expiresMs || s->expiresMs - SDB_CREDS_REFRESH_MS > now) return 0;
  return now + SDB_CREDS_RETRY_MS + (i64)(((u64)now * 2654435761u) % (SDB_CREDS_RETRY_MS / 2));
}

/* Run the chain: the first source that yields a set becomes current. */
static int credRunChain(SdbCreds *p, SdbErr *pErr) {
  for (int e = SRC_ENV; e <= SRC_IMDS; e++) {
    char zWhy[512] = "";
    SdbCredSet *s = NULL;
    int rc = credFetch(p, e, &s, zWhy, sizeof(zWhy));
    char *zName = credSrcName(p, e);
    if (!zName || rc == SDB_NOMEM) {
      credSetFree(s);
      sdbFree(zName);
      return SDB_NOMEM_ERR(pErr);
    }
    if (rc == CRED_SKIP) {
      credTried(p, zName, zWhy);
      sdbFree(zName);
      continue;
    }
    if (rc != SDB_OK) {
      rc = sdbErrSet(pErr, rc, "AWS credentials from %s: %s%s%s", zName, zWhy,
                     p->tried.n ? "; sources skipped before it: " : "",
                     p->tried.n ? (const char *)p->tried.a : "");
      sdbFree(zName);
      return rc;
    }
    s->iGen = 1;
    p->pCur = s;
    p->eSrc = e;
    p->zSource = zName;
    p->lastFetchMs = credNowMs();
    p->nextTryMs = credNextTry(s, p->lastFetchMs);
    return SDB_OK;
  }
  return SDB_OK;
}

/* See creds.h. */
int sdbCredsOpen(const char *zRegion, const char *zCaBundle, SdbCreds **pp, SdbErr *pErr) {
  *pp = NULL;
  SdbCreds *p = sdbMallocZero(sizeof(*p));
  if (!p) return SDB_NOMEM_ERR(pErr);
  pthread_mutex_init(&p->mu, NULL);
  pthread_mutex_init(&p->muFetch, NULL);
  p->zRegion = sdbStrdup(zRegion);
  p->zCaBundle = zCaBundle ? sdbStrdup(zCaBundle) : NULL;
  int rc = (!p->zRegion || (zCaBundle && !p->zCaBundle)) ? SDB_NOMEM : credReadEnv(p);
  if (rc) rc = SDB_NOMEM_ERR(pErr);
  else rc = credRunChain(p, pErr);
  if (rc) {
    sdbCredsFree(p);
    return rc;
  }
  *pp = p;
  return SDB_OK;
}

/* ------------------------------------------------------------ refresh */

/* Fetch a new set from the current source and install it (caller holds
** muFetch). A failure keeps the current set and delays the next timed try. */
static void credRefresh(SdbCreds *p) {
  char zWhy[512];
  SdbCredSet *s = NULL;
  int rc = credFetch(p, p->eSrc, &s, zWhy, sizeof(zWhy));
  i64 now = credNowMs();
  pthread_mutex_lock(&p->mu);
  if (rc == SDB_OK && s) {
    SdbCredSet *pOld = p->pCur;
    s->iGen = pOld ? pOld->iGen + 1 : 1;
    p->pCur = s;
    p->lastFetchMs = now;
    p->nextTryMs = credNextTry(s, now);
    s = NULL;
    if (pOld && --pOld->nRef == 0) credSetFree(pOld);
  } else {
    p->nextTryMs = now + SDB_CREDS_RETRY_MS;
  }
  pthread_mutex_unlock(&p->mu);
  credSetFree(s);
}

/* 1 if the current set should be refreshed now, 2 if it has expired. */
static int credDue(SdbCreds *p) {
  i64 now = credNowMs();
  int due = 0;
  pthread_mutex_lock(&p->mu);
  SdbCredSet *s = p->pCur;
  if (s && s->expiresMs && now >= s->expiresMs - SDB_CREDS_REFRESH_MS && now >= p->nextTryMs) {
    due = now >= s->expiresMs ? 2 : 1;
  }
  pthread_mutex_unlock(&p->mu);
  return due;
}

/* See creds.h. */
SdbCredSet *sdbCredsAcquire(SdbCreds *p) {
  if (!p || p->eSrc == SRC_NONE) return NULL;   /* eSrc is fixed at open */
  int due = credDue(p);
  /* Before expiry one thread refreshes while the others sign with the
  ** current set; after it, they wait for the refresh. */
  if (due && (due == 2 ? pthread_mutex_lock(&p->muFetch) : pthread_mutex_trylock(&p->muFetch)) == 0) {
    if (credDue(p)) credRefresh(p);
    pthread_mutex_unlock(&p->muFetch);
  }
  pthread_mutex_lock(&p->mu);
  SdbCredSet *s = p->pCur;
  s->nRef++;
  pthread_mutex_unlock(&p->mu);
  return s;
}

/* See creds.h. */
void sdbCredsRelease(SdbCreds *p, SdbCredSet *pSet) {
  if (!p || !pSet) return;
  pthread_mutex_lock(&p->mu);
  int bFree = --pSet->nRef == 0;
  pthread_mutex_unlock(&p->mu);
  if (bFree) credSetFree(pSet);
}

/* See creds.h. A set fetched less than a second ago is not fetched again
** (a server that keeps refusing fresh sets gets one request per second), nor
** before nextTryMs (after a failed fetch, or a set handed out near expiry). */
int sdbCredsRenew(SdbCreds *p, u64 iGen) {
  if (!p || p->eSrc < SRC_WEBID) return 0;
  pthread_mutex_lock(&p->muFetch);
  pthread_mutex_lock(&p->mu);
  int bNewer = p->pCur->iGen > iGen;
  i64 now = credNowMs();
  int bRecent = now - p->lastFetchMs < 1000 || now < p->nextTryMs;
  pthread_mutex_unlock(&p->mu);
  if (!bNewer && !bRecent) credRefresh(p);
  pthread_mutex_lock(&p->mu);
  bNewer = p->pCur->iGen > iGen;
  pthread_mutex_unlock(&p->mu);
  pthread_mutex_unlock(&p->muFetch);
  return bNewer;
}

/* See creds.h. */
const char *sdbCredsSource(const SdbCreds *p) { return p ? p->zSource : NULL; }

/* See creds.h. */
const char *sdbCredsTried(const SdbCreds *p) {
  return p && p->tried.n ? (const char *)p->tried.a : "";
}

/* See creds.h. */
void sdbCredsFree(SdbCreds *p) {
  if (!p) return;
  if (p->pCur && --p->pCur->nRef == 0) credSetFree(p->pCur);
  if (p->zEnvSecret) credWipe(p->zEnvSecret, strlen(p->zEnvSecret));
  if (p->zEnvToken) credWipe(p->zEnvToken, strlen(p->zEnvToken));
  if (p->zCtToken) credWipe(p->zCtToken, strlen(p->zCtToken));
  char *az[] = {p->zSource, p->zRegion, p->zCaBundle, p->zEnvKey, p->zEnvSecret, p->zEnvToken,
                p->zProfile, p->zCredFile, p->zCredFileShown, p->zWebTokenFile, p->zRoleArn,
                p->zSessionName, p->zStsUrl, p->zCtUrl, p->zCtToken, p->zCtTokenFile, p->zImdsUrl};
  for (size_t i = 0; i < sizeof(az) / sizeof(az[0]); i++) sdbFree(az[i]);
  sdbBufFree(&p->tried);
  pthread_mutex_destroy(&p->mu);
  pthread_mutex_destroy(&p->muFetch);
  sdbFree(p);
}
