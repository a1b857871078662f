/*
** s3parse.c: checks of the names that shape S3 request URLs and parsers of
** S3 answers (see s3parse.h). Every parser bounds every read by the length it
** is given; none trusts a number it reads.
*/
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "store/s3parse.h"

/* Longest continuation token accepted from a listing. */
#define S3_MAX_TOKEN 4096

/* ------------------------------------------------------------ names */

/* True if z[0..n) is a dotted IPv4 address (four groups of 1..3 digits). */
static int s3IsIpv4(const char *z, size_t n) {
  int nGroup = 0, nDigit = 0;
  for (size_t i = 0; i < n; i++) {
    if (isdigit((unsigned char)z[i])) {
      if (++nDigit > 3) return 0;
    } else if (z[i] == '.' && nDigit > 0) {
      nGroup++;
      nDigit = 0;
    } else {
      return 0;
    }
  }
  return nGroup == 3 && nDigit > 0;
}

/* True if z[0..n) ends with zSuffix. */
static int s3EndsWith(const char *z, size_t n, const char *zSuffix) {
  size_t m = strlen(zSuffix);
  return n >= m && memcmp(z + n - m, zSuffix, m) == 0;
}

/* See s3parse.h. */
const char *sdbS3BucketProblem(const char *z, size_t n) {
  if (n < 3 || n > 63) return "a bucket name has 3 to 63 characters";
  for (size_t i = 0; i < n; i++) {
    char c = z[i];
    if (!(c >= 'a' && c <= 'z') && !isdigit((unsigned char)c) && c != '.' && c != '-') {
      return "a bucket name has only the characters a-z, 0-9, '.' and '-'";
    }
  }
  if (!isalnum((unsigned char)z[0]) || !isalnum((unsigned char)z[n - 1])) {
    return "a bucket name starts and ends with a letter or digit";
  }
  if (memmem(z, n, "..", 2)) return "a bucket name has no two adjacent periods";
  if (s3IsIpv4(z, n)) return "a bucket name is not an IP address";
  if (n >= 4 && memcmp(z, "xn--", 4) == 0) return "a bucket name does not start with xn--";
  if (s3EndsWith(z, n, "-s3alias") || s3EndsWith(z, n, "--ol-s3")) {
    return "a bucket name does not end with -s3alias or --ol-s3";
  }
  return NULL;
}

/* See s3parse.h. */
const char *sdbS3RegionProblem(const char *z) {
  size_t n = strlen(z);
  if (n == 0 || n > SDB_S3_MAX_REGION) return "a region has 1 to 63 characters";
  for (size_t i = 0; i < n; i++) {
    char c = z[i];
    if (!(c >= 'a' && c <= 'z') && !isdigit((unsigned char)c) && c != '-') {
      return "a region has only the characters a-z, 0-9 and '-' (such as us-east-1)";
    }
  }
  return NULL;
}

/* The host[:port] of an endpoint, z[0..n): NULL or what is wrong. */
static const char *s3AuthorityProblem(const char *z, size_t n) {
  size_t nHost = n;
  if (n > 0 && z[0] == '[') {
    const char *zEnd = memchr(z, ']', n);
    if (!zEnd || zEnd == z + 1) return "an endpoint's IPv6 address is malformed";
    for (const char *c = z + 1; c < zEnd; c++) {
      if (!isxdigit((unsigned char)*c) && *c != ':' && *c != '.') {
        return "an endpoint's IPv6 address is malformed";
      }
    }
    nHost = (size_t)(zEnd - z) + 1;
  } else {
    for (nHost = 0; nHost < n && z[nHost] != ':'; nHost++) {
      char c = z[nHost];
      if (!isalnum((unsigned char)c) && c != '.' && c != '-') {
        return "an endpoint's host name has only the characters A-Z, a-z, 0-9, '.' and '-'";
      }
    }
  }
  if (nHost == 0) return "an endpoint names a host";
  if (nHost == n) return NULL;
  if (z[nHost] != ':') return "an endpoint's host is followed by a stray character";
  u64 port = 0;
  size_t i = nHost + 1;
  if (i == n) return "an endpoint's port is a number from 1 to 65535";
  for (; i < n; i++) {
    if (!isdigit((unsigned char)z[i])) return "an endpoint's port is a number from 1 to 65535";
    port = port * 10 + (u64)(z[i] - '0');
    if (port > 65535) return "an endpoint's port is a number from 1 to 65535";
  }
  return port == 0 ? "an endpoint's port is a number from 1 to 65535" : NULL;
}

/* See s3parse.h. */
const char *sdbS3EndpointProblem(const char *z, int bPathOk) {
  for (const char *c = z; *c; c++) {
    if ((unsigned char)*c <= ' ' || (unsigned char)*c >= 0x7f) {
      return "an endpoint must not contain white space, control or non-ASCII characters";
    }
  }
  size_t nScheme = strncasecmp(z, "https://", 8) == 0 ? 8 : strncasecmp(z, "http://", 7) == 0 ? 7 : 0;
  if (nScheme == 0) return "an endpoint starts with https:// or http://";
  if (strchr(z, '@')) return "an endpoint must not contain a user name or password";
  if (strpbrk(z, "?#")) return "an endpoint must not contain a query or fragment";
  const char *zAuth = z + nScheme;
  const char *zPath = strchr(zAuth, '/');
  size_t nAuth = zPath ? (size_t)(zPath - zAuth) : strlen(zAuth);
  const char *zWhy = s3AuthorityProblem(zAuth, nAuth);
  if (zWhy || !zPath) return zWhy;
  if (!bPathOk && zPath[1]) return "an endpoint= option must not contain a path";
  for (const char *c = zPath; *c; c++) {
    if (!isalnum((unsigned char)*c) && !strchr("._~/-", *c)) {
      return "an endpoint's path has only the characters A-Z, a-z, 0-9, '.', '_', '~', '/' and '-'";
    }
  }
  return NULL;
}

/* See s3parse.h. */
const char *sdbS3PrefixProblem(const char *z) {
  for (const char *c = z; *c; c++) {
    if ((unsigned char)*c < ' ' || *c == 0x7f) return "a prefix must not contain control characters";
  }
  const char *zSeg = z;
  while (z[0]) {
    const char *zEnd = strchr(zSeg, '/');
    size_t n = zEnd ? (size_t)(zEnd - zSeg) : strlen(zSeg);
    if (n == 0) return "a prefix must not contain an empty segment (\"//\")";
    if ((n == 1 && zSeg[0] == '.') || (n == 2 && zSeg[0] == '.' && zSeg[1] == '.')) {
      return "a prefix must not contain a \".\" or \"..\" segment";
    }
    if (!zEnd) break;
    zSeg = zEnd + 1;
  }
  return NULL;
}

/* See s3parse.h. */
int sdbS3Showable(const char *z) {
  for (const char *c = z; *c; c++) {
    if ((unsigned char)*c < ' ' || (unsigned char)*c >= 0x7f) return 0;
    if (*c == '@' || *c == '?' || *c == '#') return 0;
  }
  return 1;
}

/* See s3names.h. */
const char *sdbS3Shown(const char *z) {
  return sdbS3Showable(z) ? z : "(not shown: it contains '@', '?', '#' or control characters)";
}

/* See slatedb.h. */
int sdb_s3_option_check(const char *zOption, const char *zValue, SdbErr *pErr) {
  const char *zWhy;
  if (!zOption || !zValue) return sdbErrSet(pErr, SDB_MISUSE, "sdb_s3_option_check: NULL argument");
  if (strcmp(zOption, "bucket") == 0) {
    zWhy = sdbS3BucketProblem(zValue, strlen(zValue));
  } else if (strcmp(zOption, "region") == 0) {
    zWhy = sdbS3RegionProblem(zValue);
  } else if (strcmp(zOption, "endpoint") == 0) {
    zWhy = sdbS3EndpointProblem(zValue, 0);
  } else {
    return sdbErrSet(pErr, SDB_MISUSE, "sdb_s3_option_check: unknown S3 setting \"%s\"", zOption);
  }
  return zWhy ? sdbErrSet(pErr, SDB_ERROR, "%s", zWhy) : SDB_OK;
}

/* See slatedb.h. */
const char *sdb_value_shown(const char *z) {
  return sdbS3Shown(z);
}

/* ------------------------------------------------------------ headers */

/* See s3parse.h. */
int sdbS3ParseU64(const char *z, u64 *pn) {
  u64 n = 0;
  if (!isdigit((unsigned char)z[0])) return 0;
  for (; *z; z++) {
    if (!isdigit((unsigned char)*z)) return 0;
    u64 d = (u64)(*z - '0');
    if (n > (UINT64_MAX - d) / 10) return 0;
    n = n * 10 + d;
  }
  *pn = n;
  return 1;
}

/* Digits at *pz up to (not including) cStop into *pn; advances *pz past
** cStop (cStop 0 = the end of the string). 1 on success. */
static int s3Number(const char **pz, char cStop, u64 *pn) {
  char zNum[24];
  const char *z = *pz;
  const char *zEnd = cStop ? strchr(z, cStop) : z + strlen(z);
  if (!zEnd || zEnd == z || (size_t)(zEnd - z) >= sizeof(zNum)) return 0;
  memcpy(zNum, z, (size_t)(zEnd - z));
  zNum[zEnd - z] = 0;
  if (!sdbS3ParseU64(zNum, pn)) return 0;
  *pz = cStop ? zEnd + 1 : zEnd;
  return 1;
}

/* See s3parse.h. */
void sdbS3ParseContentRange(const char *z, SdbS3Range *p) {
  SdbS3Range r;
  memset(p, 0, sizeof(*p));
  memset(&r, 0, sizeof(r));
  if (strncasecmp(z, "bytes", 5) != 0 || (z[5] != ' ' && z[5] != '=')) return;
  z += 6;
  while (*z == ' ') z++;
  if (z[0] == '*' && z[1] == '/') {
    z += 2;
    if (!s3Number(&z, 0, &r.nTotal)) return;
    r.bHasTotal = 1;
  } else {
    if (!s3Number(&z, '-', &r.iFirst) || !s3Number(&z, '/', &r.iLast)) return;
    if (r.iFirst > r.iLast) return;
    r.bHasRange = 1;
    if (strcmp(z, "*") != 0) {
      if (!s3Number(&z, 0, &r.nTotal) || r.iLast >= r.nTotal) return;
      r.bHasTotal = 1;
    }
  }
  *p = r;
}

/* See s3parse.h. */
int sdbS3RangeComplete(const SdbS3Range *p, u64 iOff, u64 nLen, u64 nBody) {
  if (!p->bHasRange || p->iFirst != iOff || nBody == 0) return 0;
  if (p->iLast < p->iFirst || p->iLast - p->iFirst != nBody - 1) return 0;
  if (!p->bHasTotal) return 1;
  u64 iWant = p->nTotal ? p->nTotal - 1 : 0;
  u64 nAsk = nLen ? nLen : 1;
  if (nLen != SDB_TO_END && nAsk - 1 <= UINT64_MAX - iOff && iOff + nAsk - 1 < iWant) {
    iWant = iOff + nAsk - 1;
  }
  return p->iLast == iWant;
}

/* ------------------------------------------------------------ XML */

/* See s3parse.h. */
const char *sdbS3XmlElem(const char *z, const char *zEnd, const char *zTag,
                         const char **pzVal, size_t *pnVal) {
  char zOpen[64], zClose[64];
  int nOpen = snprintf(zOpen, sizeof(zOpen), "<%s>", zTag);
  int nClose = snprintf(zClose, sizeof(zClose), "</%s>", zTag);
  if (!z || z >= zEnd || nClose >= (int)sizeof(zClose)) return NULL;
  const char *zA = memmem(z, (size_t)(zEnd - z), zOpen, (size_t)nOpen);
  if (!zA) return NULL;
  zA += nOpen;
  const char *zB = memmem(zA, (size_t)(zEnd - zA), zClose, (size_t)nClose);
  if (!zB) return NULL;
  *pzVal = zA;
  *pnVal = (size_t)(zB - zA);
  return zB + nClose;
}

/* Append code point c (<= 0x10FFFF) as UTF-8. */
static void s3Utf8Put(char **pz, unsigned long c) {
  char *z = *pz;
  if (c < 0x80) {
    *z++ = (char)c;
  } else if (c < 0x800) {
    *z++ = (char)(0xC0 | (c >> 6));
    *z++ = (char)(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    *z++ = (char)(0xE0 | (c >> 12));
    *z++ = (char)(0x80 | ((c >> 6) & 0x3F));
    *z++ = (char)(0x80 | (c & 0x3F));
  } else {
    *z++ = (char)(0xF0 | (c >> 18));
    *z++ = (char)(0x80 | ((c >> 12) & 0x3F));
    *z++ = (char)(0x80 | ((c >> 6) & 0x3F));
    *z++ = (char)(0x80 | (c & 0x3F));
  }
  *pz = z;
}

/* Decode one entity at z (z[0]=='&', n bytes available) into *pzOut. Returns
** the bytes consumed, 0 if it is not a known entity. An entity never decodes
** to more bytes than its text (the shortest "&#N;" is 4 bytes for 1). */
static size_t s3XmlEntity(const char *z, size_t n, char **pzOut) {
  static const struct { const char *zName; char c; } aNamed[] = {
    {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''},
  };
  for (size_t i = 0; i < sizeof(aNamed) / sizeof(aNamed[0]); i++) {
    size_t nName = strlen(aNamed[i].zName);
    if (n >= nName && memcmp(z, aNamed[i].zName, nName) == 0) {
      *(*pzOut)++ = aNamed[i].c;
      return nName;
    }
  }
  if (n < 4 || z[1] != '#') return 0;
  int bHex = z[2] == 'x' || z[2] == 'X';
  size_t i = bHex ? 3 : 2;
  unsigned long c = 0;
  size_t iStart = i;
  for (; i < n && i < iStart + 8 && isxdigit((unsigned char)z[i]); i++) {
    if (!bHex && !isdigit((unsigned char)z[i])) return 0;
    c = c * (bHex ? 16 : 10) + (unsigned long)sdbHexValue(z[i]);
  }
  if (i == iStart || i >= n || z[i] != ';' || c == 0 || c > 0x10FFFF) return 0;
  s3Utf8Put(pzOut, c);
  return i + 1;
}

/* See s3parse.h. */
char *sdbS3XmlDecode(const char *z, size_t n) {
  char *zOut = sdbMalloc(n + 1);   /* decoding never grows the text */
  char *o = zOut;
  if (!zOut) return NULL;
  for (size_t i = 0; i < n;) {
    size_t nUsed = z[i] == '&' ? s3XmlEntity(z + i, n - i, &o) : 0;
    if (nUsed) {
      i += nUsed;
    } else {
      *o++ = z[i++];
    }
  }
  *o = 0;
  return zOut;
}

/* See s3parse.h. */
size_t sdbS3XmlText(const u8 *a, size_t n, const char *zTag, char *zOut, size_t nOut) {
  const char *zVal;
  size_t nVal;
  const char *zBody = (const char *)a;
  zOut[0] = 0;
  if (!a || !sdbS3XmlElem(zBody, zBody + n, zTag, &zVal, &nVal)) return 0;
  char *zDec = sdbS3XmlDecode(zVal, nVal);
  if (!zDec) return 0;
  size_t nDec = strlen(zDec);
  snprintf(zOut, nOut, "%s", zDec);
  sdbFree(zDec);
  return nDec;
}

/* See s3parse.h. */
i64 sdbS3IsoToMs(const char *z) {
  struct tm tm;
  int ms = 0, n = 0;
  memset(&tm, 0, sizeof(tm));
  if (sscanf(z, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
             &tm.tm_min, &tm.tm_sec, &n) != 6) {
    return 0;
  }
  if (tm.tm_year < 1970 || tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 ||
      tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60) {
    return 0;
  }
  if (z[n] == '.') {
    int scale = 100;
    for (const char *c = z + n + 1; isdigit((unsigned char)*c) && scale > 0; c++, scale /= 10) {
      ms += (*c - '0') * scale;
    }
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return (i64)timegm(&tm) * 1000 + ms;
}

/* ------------------------------------------------------------ listings */

/* One <Contents> element c[0..n): add its key (if under zRoot) to pOut. */
static int s3ListOne(const char *c, size_t n, const char *zRoot, SdbObjList *pOut) {
  const char *zV;
  size_t nV;
  char zNum[40] = "", zTime[40] = "";
  if (!sdbS3XmlElem(c, c + n, "Key", &zV, &nV)) return SDB_OK;
  char *zKey = sdbS3XmlDecode(zV, nV);
  if (!zKey) return SDB_NOMEM;
  if (sdbS3XmlElem(c, c + n, "Size", &zV, &nV)) snprintf(zNum, sizeof(zNum), "%.*s", (int)SDB_MIN(nV, 39), zV);
  if (sdbS3XmlElem(c, c + n, "LastModified", &zV, &nV)) {
    snprintf(zTime, sizeof(zTime), "%.*s", (int)SDB_MIN(nV, 39), zV);
  }
  u64 size = 0;
  if (!sdbS3ParseU64(zNum, &size)) size = 0;
  size_t nRoot = strlen(zRoot);
  int rc = SDB_OK;
  if (strlen(zKey) > nRoot && strncmp(zKey, zRoot, nRoot) == 0) {
    rc = sdbObjListAdd(pOut, zKey + nRoot, size, sdbS3IsoToMs(zTime));
  }
  sdbFree(zKey);
  return rc;
}

/* See s3parse.h. */
int sdbS3ListParse(const u8 *a, size_t n, const char *zRoot, SdbObjList *pOut) {
  const char *z = (const char *)a, *zEnd = z + n;
  const char *zC;
  size_t nC;
  if (!a) return SDB_OK;
  while ((z = sdbS3XmlElem(z, zEnd, "Contents", &zC, &nC)) != NULL) {
    int rc = s3ListOne(zC, nC, zRoot, pOut);
    if (rc) return rc;
  }
  return SDB_OK;
}

/* Whether a[0..n) is a whole <ListBucketResult ...>...</ListBucketResult>
** document: the closing tag present and nothing but blanks after it. */
static int s3ListComplete(const char *a, size_t n) {
  static const char zClose[] = "</ListBucketResult>";
  const char *zOpen = a ? memmem(a, n, "<ListBucketResult", 17) : NULL;
  const char *zEnd = a + n;
  while (zOpen && zEnd > zOpen && isspace((unsigned char)zEnd[-1])) zEnd--;
  size_t nClose = sizeof(zClose) - 1;
  return zOpen && (size_t)(zEnd - zOpen) >= 17 + nClose &&
         memcmp(zEnd - nClose, zClose, nClose) == 0;
}

/* Add the decoded text z[0..n) of a <Key> or <Prefix> under zRoot to pOut
** relative to zRoot; zRoot itself (a folder marker) is skipped. SDB_CORRUPT
** for a name outside zRoot (never silently dropped), or SDB_NOMEM. */
static int s3TopAdd(const char *z, size_t n, const char *zRoot, SdbObjList *pOut) {
  char *zName = sdbS3XmlDecode(z, n);
  if (!zName) return SDB_NOMEM;
  size_t nRoot = strlen(zRoot);
  int rc = SDB_OK;
  if (strncmp(zName, zRoot, nRoot) != 0) {
    rc = SDB_CORRUPT;
  } else if (zName[nRoot]) {
    rc = sdbObjListAdd(pOut, zName + nRoot, 0, 0);
  }
  sdbFree(zName);
  return rc;
}

/* See s3parse.h. */
int sdbS3ListParseTop(const u8 *a, size_t n, const char *zRoot, int nMax, SdbObjList *pOut) {
  const char *z = (const char *)a, *zEnd = z + n;
  const char *zC, *zV;
  size_t nC, nV;
  int rc = s3ListComplete(z, n) ? SDB_OK : SDB_CORRUPT;
  static const char *const azElem[2][2] = {{"Contents", "Key"}, {"CommonPrefixes", "Prefix"}};
  for (int k = 0; k < 2; k++) {
    for (z = (const char *)a; rc == SDB_OK && (z = sdbS3XmlElem(z, zEnd, azElem[k][0], &zC, &nC));) {
      rc = sdbS3XmlElem(zC, zC + nC, azElem[k][1], &zV, &nV) ? s3TopAdd(zV, nV, zRoot, pOut)
                                                             : SDB_CORRUPT;
    }
  }
  char zTrunc[16];
  sdbS3XmlText(a, n, "IsTruncated", zTrunc, sizeof(zTrunc));
  if (rc == SDB_OK && strcmp(zTrunc, "false") != 0 && (strcmp(zTrunc, "true") || pOut->n < nMax)) {
    rc = SDB_CORRUPT;   /* no answer, or cut short before nMax names */
  }
  return rc;
}

/* See s3parse.h. */
int sdbS3ListNext(const u8 *a, size_t n, char **pzNext) {
  char zTrunc[16];
  *pzNext = NULL;
  sdbS3XmlText(a, n, "IsTruncated", zTrunc, sizeof(zTrunc));
  if (strcmp(zTrunc, "true") != 0) return SDB_OK;
  char *zNext = sdbMalloc(S3_MAX_TOKEN + 1);
  if (!zNext) return SDB_NOMEM;
  size_t nTok = sdbS3XmlText(a, n, "NextContinuationToken", zNext, S3_MAX_TOKEN + 1);
  if (nTok == 0 || nTok > S3_MAX_TOKEN || strlen(zNext) != nTok) {
    sdbFree(zNext);
    return SDB_CORRUPT;
  }
  *pzNext = zNext;
  return SDB_OK;
}
