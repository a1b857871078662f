/*
** vtab_args.c: the arguments of CREATE VIRTUAL TABLE ... USING slatedb(...).
**
**   CREATE VIRTUAL TABLE [temp.]name USING slatedb(
**       '<database root>'        -- first argument: a path or file:///abs/path
**     [, option=value ...])
**
** option                 values (default)                    applies to
** key_type               text|blob|int64|uint64 (text)       both
** value_type             text|blob (text)                    both
** mode                   writer|reader (writer)              both
** merge_operator         none|concat (none)                  both
** cache_size             size ('64MiB')                      both
** create                 if_missing|never (if_missing)       writer
** durability             commit|async (commit)               writer
** busy_timeout           duration ('5s'; 0 = do not wait)    writer
** l0_sst_size_bytes      size > 0 (67108864 = 64 MiB)        writer
** max_unflushed_bytes    size > 0 (1073741824 = 1 GiB)       writer
** flush_interval         duration > 0 ('100ms')              writer
** compression            none|snappy|zlib|lz4|zstd (none)    writer
** block_size             1|2|4|8|16|32|64 KiB (4096)         writer
** filter_bits_per_key    integer 1..64 (10)                  writer
** min_filter_keys        integer >= 1 (1000)                 writer
** poll_interval          duration > 0 ('1s')                 reader
** endpoint               http(s)://host[:port] ($AWS_ENDPOINT) s3:// only; see below
** region                 [a-z0-9-]+ ($AWS_REGION, us-east-1) s3:// only
** allow_http             true|false ($AWS_ALLOW_HTTP, false) s3:// only; see below
** virtual_hosted_style   true|false ($AWS_VIRTUAL_HOSTED_STYLE_REQUEST,
**                        false: path-style)                  s3:// only; see below
** request_timeout        duration > 0 ('30s')                s3:// only
** connect_timeout        duration > 0 ('5s')                 s3:// only
** parallel_reads         integer 1..64 (8)                   s3:// only
** compactor              true|false (true)                   writer
** compactor_poll_interval duration > 0 ('5s')               writer
** max_sst_size           size >= block_size (256 MiB)        writer
** l0_max_ssts            integer 1..100000 (8)               writer
** gc                     true|false (true)                   writer
** gc_interval            duration > 0 ('60s')                writer
** gc_min_age             duration > 0 ('5m')                 writer
** checkpoint             a checkpoint id (UUID)              reader
**
** Credentials are never options: they come from AWS_ACCESS_KEY_ID,
** AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN (or ~/.aws/credentials), and
** they are bound to the environment's endpoint ($AWS_ENDPOINT, else
** $AWS_ENDPOINT_URL_S3, else $AWS_ENDPOINT_URL, else AWS), AWS_ALLOW_HTTP and
** AWS_VIRTUAL_HOSTED_STYLE_REQUEST: while credentials exist the store refuses
** an endpoint= that differs from that endpoint, allow_http=true unless
** AWS_ALLOW_HTTP=true, and a virtual_hosted_style= other than the
** environment's (SQLITE_PERM). Bucket names,
** regions and endpoints follow sdb_s3_option_check() (S3's bucket rules; an
** endpoint without user information, path, query or fragment). A value that
** could hold user:password ('@') is never repeated in an error message.
**
** A size is an integer number of bytes, or quoted with a unit B, KiB, MiB or
** GiB ('16KiB'). A duration is an integer number of milliseconds, or quoted
** with a unit ms, s, m or h ('250ms', '2s', '1h'), at most 2147483647 ms. Quotes are
** needed for values with units because SQL's tokenizer rejects 16KiB. The
** writer settings carry SlateDB 0.12.1's names and defaults; giving one to a
** mode=reader table (or poll_interval to a writer) is an error.
**
** SQLite hands each argument over as raw token text, trimmed, with quotes
** kept and commas inside quotes not splitting (design/SQL.md §2). Option names
** are case-insensitive; values are dequoted with SQL rules ('it''s'). The root
** may also be given as url=... . Duplicates, unknown options, malformed values
** and credential-looking options are errors. The text is re-parsed on every
** xConnect (it lives in sqlite_schema), so the same checks run there.
*/
#include <ctype.h>
#include <stdarg.h>
#include <string.h>

#include "extInt.h"

/* Options, as bits of the "seen" mask (duplicate detection). */
#define OPT_URL          0
#define OPT_KEY_TYPE     1
#define OPT_VALUE_TYPE   2
#define OPT_MODE         3
#define OPT_MERGE        4
#define OPT_CACHE        5
#define OPT_CREATE       6
#define OPT_DURABILITY   7
#define OPT_BUSY         8
#define OPT_L0_SIZE      9
#define OPT_MAX_UNFLUSH 10
#define OPT_FLUSH_INT   11
#define OPT_COMPRESSION 12
#define OPT_BLOCK_SIZE  13
#define OPT_FILTER_BITS 14
#define OPT_MIN_FILTER  15
#define OPT_POLL        16
#define OPT_ENDPOINT    17
#define OPT_REGION      18
#define OPT_ALLOW_HTTP  19
#define OPT_VHOST       20
#define OPT_REQ_TIMEOUT 21
#define OPT_CONN_TIMEOUT 22
#define OPT_PARALLEL    23
#define OPT_COMPACTOR   24
#define OPT_COMPACT_POLL 25
#define OPT_MAX_SST     26
#define OPT_L0_MAX      27
#define OPT_GC          28
#define OPT_GC_INTERVAL 29
#define OPT_GC_MIN_AGE  30
#define OPT_CHECKPOINT  31
#define OPT_COUNT       32

static const char *const azOptName[OPT_COUNT] = {
  "url", "key_type", "value_type", "mode", "merge_operator", "cache_size",
  "create", "durability", "busy_timeout", "l0_sst_size_bytes", "max_unflushed_bytes",
  "flush_interval", "compression", "block_size", "filter_bits_per_key", "min_filter_keys",
  "poll_interval", "endpoint", "region", "allow_http", "virtual_hosted_style",
  "request_timeout", "connect_timeout", "parallel_reads", "compactor",
  "compactor_poll_interval", "max_sst_size", "l0_max_ssts", "gc", "gc_interval", "gc_min_age",
  "checkpoint"
};

/* Options that only a writer (resp. a reader) takes. */
#define OPT_WRITER_ONLY ((1u << OPT_CREATE) | (1u << OPT_DURABILITY) | (1u << OPT_BUSY) | \
                         (1u << OPT_L0_SIZE) | (1u << OPT_MAX_UNFLUSH) | (1u << OPT_FLUSH_INT) | \
                         (1u << OPT_COMPRESSION) | (1u << OPT_BLOCK_SIZE) | \
                         (1u << OPT_FILTER_BITS) | (1u << OPT_MIN_FILTER) | \
                         (1u << OPT_COMPACTOR) | (1u << OPT_COMPACT_POLL) | (1u << OPT_MAX_SST) | \
                         (1u << OPT_L0_MAX) | (1u << OPT_GC) | (1u << OPT_GC_INTERVAL) | \
                         (1u << OPT_GC_MIN_AGE))
#define OPT_READER_ONLY ((1u << OPT_POLL) | (1u << OPT_CHECKPOINT))
/* Options that only an s3:// database takes. */
#define OPT_S3_ONLY ((1u << OPT_ENDPOINT) | (1u << OPT_REGION) | (1u << OPT_ALLOW_HTTP) | \
                     (1u << OPT_VHOST) | (1u << OPT_REQ_TIMEOUT) | (1u << OPT_CONN_TIMEOUT) | \
                     (1u << OPT_PARALLEL))

/* The longest duration accepted, in ms (about 24.8 days). */
#define ARGS_MAX_DURATION_MS 2147483647u

static const char zUsage[] =
  "slatedb: usage: CREATE VIRTUAL TABLE name USING slatedb('<database root>'"
  " [, key_type=text|blob|int64|uint64] [, value_type=text|blob] [, mode=writer|reader]"
  " [, merge_operator=none|concat] [, cache_size='64MiB']"
  " [, create=if_missing|never] [, durability=commit|async] [, busy_timeout='5s']"
  " [, l0_sst_size_bytes=67108864] [, max_unflushed_bytes=1073741824]"
  " [, flush_interval='100ms'] [, compression=none|snappy|zlib|lz4|zstd]"
  " [, block_size=4096] [, filter_bits_per_key=10] [, min_filter_keys=1000]"
  " [, poll_interval='1s' (mode=reader)]"
  " [, endpoint='http(s)://host:port'] [, region='us-east-1'] [, allow_http=false]"
  " [, virtual_hosted_style=false] [, request_timeout='30s'] [, connect_timeout='5s']"
  " [, parallel_reads=8] (s3:// only)"
  " [, compactor=true] [, compactor_poll_interval='5s'] [, max_sst_size='256MiB']"
  " [, l0_max_ssts=8] [, gc=true] [, gc_interval='60s'] [, gc_min_age='5m']"
  " [, checkpoint='<uuid>' (mode=reader)]);"
  " the root is a directory path, a file:///absolute/path URL or s3://bucket/prefix;"
  " defaults shown (writer and text keys and values by default); S3 credentials come"
  " from the AWS_* environment variables, never from arguments";

/*
** Set *pzErr to a formatted message (previous one freed). Returns SQLITE_ERROR,
** or SQLITE_NOMEM if the message could not be allocated.
*/
static int argsError(char **pzErr, const char *zFmt, ...) {
  va_list ap;
  va_start(ap, zFmt);
  sqlite3_free(*pzErr);
  *pzErr = sqlite3_vmprintf(zFmt, ap);
  va_end(ap);
  return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
}

/* Return the closing quote for an opening one, or 0 if c is not a quote. */
static char argsCloseQuote(char c) {
  switch (c) {
    case '\'': return '\'';
    case '"':  return '"';
    case '`':  return '`';
    case '[':  return ']';
    default:   return 0;
  }
}

/*
** Return a sqlite3_malloc'd copy of z[0..n-1], trimmed of surrounding white
** space and, if quoted, dequoted with SQL rules (a doubled closing quote is one
** quote). *pbQuoted tells whether it was quoted. NULL on OOM, or "" with
** *pbBad set when the quotes do not match.
*/
static char *argsDequote(const char *z, int n, int *pbQuoted, int *pbBad) {
  while (n > 0 && isspace((unsigned char)z[0])) { z++; n--; }
  while (n > 0 && isspace((unsigned char)z[n - 1])) n--;
  char *zOut = sqlite3_malloc64((u64)n + 1);
  if (!zOut) return 0;
  char q = n > 0 ? argsCloseQuote(z[0]) : 0;
  *pbQuoted = q != 0;
  *pbBad = 0;
  if (!q) {
    memcpy(zOut, z, (size_t)n);
    zOut[n] = 0;
    return zOut;
  }
  int j = 0;
  int i = 1;
  for (; i < n; i++) {
    if (z[i] == q) {
      if (i + 1 < n && z[i + 1] == q && q != ']') { zOut[j++] = q; i++; continue; }
      break;
    }
    zOut[j++] = z[i];
  }
  zOut[j] = 0;
  if (i != n - 1) *pbBad = 1;            /* no closing quote, or text after it */
  return zOut;
}

/* Offset of the first '=' outside quotes in z, or -1. */
static int argsFindEq(const char *z) {
  char q = 0;
  for (int i = 0; z[i]; i++) {
    if (q) {
      if (z[i] == q) q = 0;
    } else if (z[i] == '=') {
      return i;
    } else {
      q = argsCloseQuote(z[i]);
    }
  }
  return -1;
}

/* True if z is an SQL identifier made of [A-Za-z0-9_], not starting with a digit. */
static int argsIsIdent(const char *z) {
  if (!z[0] || isdigit((unsigned char)z[0])) return 0;
  for (int i = 0; z[i]; i++) {
    if (!isalnum((unsigned char)z[i]) && z[i] != '_') return 0;
  }
  return 1;
}

/*
** True if option name z (lower-cased) looks like a credential: such values
** must never be written to sqlite_schema (design/SQL.md §4.3).
*/
static int argsIsSecretName(const char *z) {
  static const char *const azPart[] = {
    "secret", "password", "passwd", "token", "credential", "access_key",
    "private_key", "api_key", "apikey", "key_id"
  };
  if (strncmp(z, "aws_", 4) == 0) return 1;
  for (size_t i = 0; i < sizeof(azPart) / sizeof(azPart[0]); i++) {
    if (strstr(z, azPart[i])) return 1;
  }
  return 0;
}

/* Index of z in azChoice[0..n-1] (case-insensitive), or -1. */
static int argsChoice(const char *z, const char *const *azChoice, int n) {
  for (int i = 0; i < n; i++) {
    if (sqlite3_stricmp(z, azChoice[i]) == 0) return i;
  }
  return -1;
}

/*
** Parse a size: digits, optional white space, optional unit B, KiB, MiB or
** GiB (case-insensitive). Returns 1 and *pn on success, 0 if malformed, zero
** or out of range.
*/
static int argsParseSize(const char *z, u64 *pn) {
  static const char *const azUnit[] = { "", "b", "kib", "mib", "gib" };
  static const int aShift[] = { 0, 0, 10, 20, 30 };
  u64 n = 0;
  int i = 0;
  if (!isdigit((unsigned char)z[0])) return 0;
  for (; isdigit((unsigned char)z[i]); i++) {
    if (n > (UINT64_MAX - 9) / 10) return 0;
    n = n * 10 + (u64)(z[i] - '0');
  }
  while (isspace((unsigned char)z[i])) i++;
  int iUnit = argsChoice(z + i, azUnit, 5);
  if (iUnit < 0 || n == 0) return 0;
  if (n > (UINT64_MAX >> aShift[iUnit])) return 0;
  *pn = n << aShift[iUnit];
  return 1;
}

/*
** Parse a duration: digits, optional white space, optional unit ms, s, m or h
** (case-insensitive; none = ms). Returns 1 and *pMs on success, 0 if
** malformed or above ARGS_MAX_DURATION_MS.
*/
int sdbExtParseDuration(const char *z, u64 *pMs) {
  static const char *const azUnit[] = { "", "ms", "s", "m", "h" };
  static const u64 aMul[] = { 1, 1, 1000, 60000, 3600000 };
  u64 n = 0;
  int i = 0;
  if (!isdigit((unsigned char)z[0])) return 0;
  for (; isdigit((unsigned char)z[i]); i++) {
    n = n * 10 + (u64)(z[i] - '0');
    if (n > ARGS_MAX_DURATION_MS) return 0;
  }
  while (isspace((unsigned char)z[i])) i++;
  int iUnit = argsChoice(z + i, azUnit, 5);
  if (iUnit < 0 || n * aMul[iUnit] > ARGS_MAX_DURATION_MS) return 0;
  *pMs = n * aMul[iUnit];
  return 1;
}

/* Parse a plain integer (digits only) within [nMin, nMax]. 1 and *pn, or 0. */
static int argsParseCount(const char *z, u64 nMin, u64 nMax, u64 *pn) {
  u64 n = 0;
  if (!z[0]) return 0;
  for (int i = 0; z[i]; i++) {
    if (!isdigit((unsigned char)z[i])) return 0;
    n = n * 10 + (u64)(z[i] - '0');
    if (n > nMax) return 0;
  }
  if (n < nMin) return 0;
  *pn = n;
  return 1;
}

/* Value of hex digit c, or -1. */
static int argsHexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/*
** Decode %XX escapes of a file URL path in place. Returns 0 on a malformed
** escape or an escaped NUL byte.
*/
static int argsPercentDecode(char *z) {
  int j = 0;
  for (int i = 0; z[i]; i++) {
    if (z[i] != '%') { z[j++] = z[i]; continue; }
    int hi = argsHexDigit(z[i + 1]);
    int lo = hi < 0 ? -1 : argsHexDigit(z[i + 2]);
    if (lo < 0 || (hi == 0 && lo == 0)) return 0;
    z[j++] = (char)(hi * 16 + lo);
    i += 2;
  }
  z[j] = 0;
  return 1;
}

/* Length of a "scheme://" prefix of z (not counting "://"), or 0. */
static int argsSchemeLen(const char *z) {
  int i = 0;
  if (!isalpha((unsigned char)z[0])) return 0;
  while (isalnum((unsigned char)z[i]) || z[i] == '+' || z[i] == '-' || z[i] == '.') i++;
  return strncmp(z + i, "://", 3) == 0 ? i : 0;
}


/*
** Check an s3://bucket[/prefix] URL: a bucket name that follows S3's rules
** (sdb_s3_option_check), no query or fragment. The scheme is normalised to lower
** case. The prefix is checked by the store when it opens.
*/
static int argsS3Url(char *zVal, char **pzErr) {
  memcpy(zVal, "s3", 2);
  const char *zBucket = zVal + 5;
  char *zCopy = sqlite3_mprintf("%.*s", (int)strcspn(zBucket, "/"), zBucket);
  SdbErr err;
  if (!zCopy) return SQLITE_NOMEM;
  int bBad = sdb_s3_option_check("bucket", zCopy, &err) != SDB_OK;
  sqlite3_free(zCopy);
  if (bBad) {
    return argsError(pzErr, "slatedb: malformed s3 URL %s (expected s3://bucket/prefix: %s)",
                     sdb_value_shown(zVal), err.zMsg);
  }
  if (strpbrk(zVal, "?#")) {
    return argsError(pzErr, "slatedb: malformed s3 URL: '?' and '#' are not allowed"
                     " (S3 settings are options such as endpoint=, not URL parameters)");
  }
  return SQLITE_OK;
}

/*
** Turn the database root as written (zVal) into a directory path stored in
** p->zRoot. Takes ownership of zVal. Returns SQLITE_OK or an error in *pzErr.
*/
static int argsSetRoot(SdbExtArgs *p, char *zVal, char **pzErr) {
  int nScheme = argsSchemeLen(zVal);
  int rc = SQLITE_OK;
  if (zVal[0] == 0) {
    rc = argsError(pzErr, "slatedb: the database root must not be empty");
  } else if (nScheme == 2 && sqlite3_strnicmp(zVal, "s3", 2) == 0) {
    rc = argsS3Url(zVal, pzErr);
    p->bS3 = 1;
  } else if (nScheme == 4 && sqlite3_strnicmp(zVal, "file", 4) == 0) {
    const char *zPath = zVal + 7;
    if (sqlite3_strnicmp(zPath, "localhost/", 10) == 0) zPath += 9;
    if (zPath[0] != '/') {
      rc = argsError(pzErr, "slatedb: malformed file URL \"%s\" (expected file:///absolute/path)",
                     sdb_value_shown(zVal));
    } else {
      memmove(zVal, zPath, strlen(zPath) + 1);
      if (!argsPercentDecode(zVal)) {
        rc = argsError(pzErr, "slatedb: malformed %%-escape in file URL");
      }
    }
  } else if (nScheme > 0) {
    rc = argsError(pzErr, "slatedb: unsupported URL scheme \"%.*s\"", nScheme, zVal);
  } else if (sqlite3_strnicmp(zVal, "file:", 5) == 0) {
    rc = argsError(pzErr, "slatedb: malformed file URL \"%s\" (expected file:///absolute/path)",
                   sdb_value_shown(zVal));
  }
  if (rc != SQLITE_OK) {
    sqlite3_free(zVal);
    return rc;
  }
  p->zRoot = zVal;
  return SQLITE_OK;
}

/* Apply key_type=zVal. */
static int argsKeyType(SdbExtArgs *p, const char *zVal, char **pzErr) {
  static const char *const az[] = { "text", "blob", "int64", "uint64" };
  int i = argsChoice(zVal, az, 4);
  if (i < 0) {
    return argsError(pzErr, "slatedb: malformed key_type=%s option"
                     " (expected text, blob, int64 or uint64)", sdb_value_shown(zVal));
  }
  p->eKeyType = i;                /* SDB_KEY_* follow the order of az[] */
  return SQLITE_OK;
}

/* Apply value_type=zVal. */
static int argsValueType(SdbExtArgs *p, const char *zVal, char **pzErr) {
  static const char *const az[] = { "text", "blob" };
  int i = argsChoice(zVal, az, 2);
  if (i < 0) {
    return argsError(pzErr, "slatedb: malformed value_type=%s option (expected text or blob)",
                     sdb_value_shown(zVal));
  }
  p->eValueType = i;
  return SQLITE_OK;
}

/* Apply mode=zVal. */
static int argsMode(SdbExtArgs *p, const char *zVal, char **pzErr) {
  static const char *const az[] = { "reader", "writer" };
  int i = argsChoice(zVal, az, 2);
  if (i < 0) {
    return argsError(pzErr, "slatedb: malformed mode=%s option (expected writer or reader)", sdb_value_shown(zVal));
  }
  p->bWriter = i;
  return SQLITE_OK;
}

/* Apply merge_operator=zVal. */
static int argsMerge(SdbExtArgs *p, const char *zVal, char **pzErr) {
  static const char *const az[] = { "none", "concat" };
  int i = argsChoice(zVal, az, 2);
  if (i < 0) {
    return argsError(pzErr, "slatedb: malformed merge_operator=%s option"
                     " (expected none or concat)", sdb_value_shown(zVal));
  }
  p->eMergeOp = i == 0 ? SDB_MERGE_NONE : SDB_MERGE_CONCAT;
  return SQLITE_OK;
}

/* Apply cache_size=zVal. */
static int argsCache(SdbExtArgs *p, const char *zVal, char **pzErr) {
  if (!argsParseSize(zVal, &p->nCacheBytes)) {
    return argsError(pzErr, "slatedb: malformed cache_size=%s option"
                     " (expected a positive size such as '64MiB'; units B, KiB, MiB, GiB)", sdb_value_shown(zVal));
  }
  return SQLITE_OK;
}

/* Apply create=zVal. */
static int argsCreate(SdbExtArgs *p, const char *zVal, char **pzErr) {
  static const char *const az[] = { "if_missing", "never" };
  int i = argsChoice(zVal, az, 2);
  if (i < 0) {
    return argsError(pzErr, "slatedb: malformed create=%s option (expected if_missing or never)",
                     sdb_value_shown(zVal));
  }
  p->eCreate = i;                 /* SDB_CREATE_* follow the order of az[] */
  return SQLITE_OK;
}

/* Apply durability=zVal. */
static int argsDurability(SdbExtArgs *p, const char *zVal, char **pzErr) {
  static const char *const az[] = { "commit", "async" };
  int i = argsChoice(zVal, az, 2);
  if (i < 0) {
    return argsError(pzErr, "slatedb: malformed durability=%s option (expected commit or async)",
                     sdb_value_shown(zVal));
  }
  p->eDurability = i;             /* SDB_DURABLE_* follow the order of az[] */
  return SQLITE_OK;
}

/* Apply compression=zVal. */
static int argsCompression(SdbExtArgs *p, const char *zVal, char **pzErr) {
  static const char *const az[] = { "none", "snappy", "zlib", "lz4", "zstd" };
  int i = argsChoice(zVal, az, 5);
  if (i < 0) {
    return argsError(pzErr, "slatedb: malformed compression=%s option"
                     " (expected none, snappy, zlib, lz4 or zstd)", sdb_value_shown(zVal));
  }
  p->opts.eCodec = i;             /* the engine's codec numbers follow az[] */
  return SQLITE_OK;
}

/* Apply a duration option (busy_timeout, flush_interval, poll_interval).
** bPositive: zero is not allowed. */
static int argsDuration(const char *zName, const char *zVal, int bPositive, u64 *pMs,
                        char **pzErr) {
  if (!sdbExtParseDuration(zVal, pMs) || (bPositive && *pMs == 0)) {
    return argsError(pzErr, "slatedb: malformed %s=%s option (expected a %sduration: an integer"
                     " number of milliseconds, or quoted with a unit such as '250ms', '2s', '1m'"
                     " or '1h', at most 2147483647 ms)", zName, sdb_value_shown(zVal), bPositive ? "positive " : "");
  }
  return SQLITE_OK;
}

/* Apply a positive size option (l0_sst_size_bytes, max_unflushed_bytes). */
static int argsSize(const char *zName, const char *zVal, u64 *pn, char **pzErr) {
  if (!argsParseSize(zVal, pn)) {
    return argsError(pzErr, "slatedb: malformed %s=%s option (expected a positive size in bytes,"
                     " or quoted with a unit such as '16KiB'; units B, KiB, MiB, GiB)", zName, sdb_value_shown(zVal));
  }
  return SQLITE_OK;
}

/* Apply block_size=zVal: a power of two from 1 KiB to 64 KiB, as SlateDB allows. */
static int argsBlockSize(SdbExtArgs *p, const char *zVal, char **pzErr) {
  u64 n = 0;
  if (!argsParseSize(zVal, &n) || n < 1024 || n > 65536 || (n & (n - 1)) != 0) {
    return argsError(pzErr, "slatedb: malformed block_size=%s option (expected 1024, 2048, 4096,"
                     " 8192, 16384, 32768 or 65536 bytes, or '1KiB' .. '64KiB')", sdb_value_shown(zVal));
  }
  p->opts.blockSize = n;
  return SQLITE_OK;
}

/* Apply filter_bits_per_key (1..64) or min_filter_keys (1..2^32-1). */
static int argsCount(const char *zName, const char *zVal, u64 nMax, u32 *pn, char **pzErr) {
  u64 n = 0;
  if (!argsParseCount(zVal, 1, nMax, &n)) {
    return argsError(pzErr, "slatedb: malformed %s=%s option (expected an integer from 1 to %llu)",
                     zName, sdb_value_shown(zVal), (unsigned long long)nMax);
  }
  *pn = (u32)n;
  return SQLITE_OK;
}

/* Apply a true|false option. */
static int argsBool(const char *zName, const char *zVal, int *pb, char **pzErr) {
  static const char *const az[] = { "false", "true", "0", "1", "off", "on" };
  int i = argsChoice(zVal, az, 6);
  if (i < 0) {
    return argsError(pzErr, "slatedb: malformed %s=%s option (expected true or false)", zName, sdb_value_shown(zVal));
  }
  *pb = i & 1;
  return SQLITE_OK;
}

/* Apply endpoint=: an http:// or https:// URL of a host and port only (no
** user information, path, query or fragment; sdb_s3_option_check). */
static int argsEndpoint(SdbExtArgs *p, const char *zVal, char **pzErr) {
  SdbErr err;
  const char *zWhy = sdb_s3_option_check("endpoint", zVal, &err) != SDB_OK ? err.zMsg : 0;
  if (!zWhy && strlen(zVal) >= sizeof(p->opts.zEndpoint)) zWhy = "it is too long";
  if (zWhy) {
    return argsError(pzErr, "slatedb: malformed endpoint=%s option: %s (expected"
                     " http://host[:port] or https://host[:port])", sdb_value_shown(zVal), zWhy);
  }
  memcpy(p->opts.zEndpoint, zVal, strlen(zVal) + 1);
  return SQLITE_OK;
}

/* Apply region=: [a-z0-9-]+ (it becomes part of AWS's host name). */
static int argsRegion(SdbExtArgs *p, const char *zVal, char **pzErr) {
  SdbErr err;
  if (sdb_s3_option_check("region", zVal, &err) != SDB_OK) {
    return argsError(pzErr, "slatedb: malformed region=%s option: %s", sdb_value_shown(zVal), err.zMsg);
  }
  memcpy(p->opts.zRegion, zVal, strlen(zVal) + 1);   /* fits: at most 63 characters */
  return SQLITE_OK;
}

/* Apply one of the s3:// settings. */
static int argsS3Opt(SdbExtArgs *p, int iOpt, const char *zVal, char **pzErr) {
  const char *zName = azOptName[iOpt];
  SdbExtHandleOpts *o = &p->opts;
  switch (iOpt) {
    case OPT_ENDPOINT:     return argsEndpoint(p, zVal, pzErr);
    case OPT_REGION:       return argsRegion(p, zVal, pzErr);
    case OPT_ALLOW_HTTP:   return argsBool(zName, zVal, &o->eAllowHttp, pzErr);
    case OPT_VHOST:        return argsBool(zName, zVal, &o->eVirtualHosted, pzErr);
    case OPT_REQ_TIMEOUT:  return argsDuration(zName, zVal, 1, &o->requestTimeoutMs, pzErr);
    case OPT_CONN_TIMEOUT: return argsDuration(zName, zVal, 1, &o->connectTimeoutMs, pzErr);
    default:               return argsCount(zName, zVal, 64, &o->nParallelReads, pzErr);
  }
}

/* Apply checkpoint=: 8-4-4-4-12 hex UUID text. */
static int argsCheckpoint(SdbExtArgs *p, const char *zVal, char **pzErr) {
  int bOk = strlen(zVal) == 36;
  for (int i = 0; bOk && i < 36; i++) {
    int bDash = i == 8 || i == 13 || i == 18 || i == 23;
    bOk = bDash ? zVal[i] == '-' : isxdigit((unsigned char)zVal[i]) != 0;
  }
  if (!bOk) {
    return argsError(pzErr, "slatedb: malformed checkpoint=%s option (expected a checkpoint id"
                     " such as '123e4567-e89b-42d3-a456-426614174000'; SELECT id FROM"
                     " slatedb_checkpoints lists them)", sdb_value_shown(zVal));
  }
  memcpy(p->opts.zCheckpoint, zVal, 37);
  return SQLITE_OK;
}

/* Apply one of the writer and reader settings (iOpt >= OPT_CREATE). */
static int argsEngineOpt(SdbExtArgs *p, int iOpt, const char *zVal, char **pzErr) {
  const char *zName = azOptName[iOpt];
  SdbExtHandleOpts *o = &p->opts;
  switch (iOpt) {
    case OPT_CREATE:      return argsCreate(p, zVal, pzErr);
    case OPT_DURABILITY:  return argsDurability(p, zVal, pzErr);
    case OPT_BUSY:        return argsDuration(zName, zVal, 0, &p->busyTimeoutMs, pzErr);
    case OPT_L0_SIZE:     return argsSize(zName, zVal, &o->l0SstSizeBytes, pzErr);
    case OPT_MAX_UNFLUSH: return argsSize(zName, zVal, &o->maxUnflushedBytes, pzErr);
    case OPT_FLUSH_INT:   return argsDuration(zName, zVal, 1, &o->flushIntervalMs, pzErr);
    case OPT_COMPRESSION: return argsCompression(p, zVal, pzErr);
    case OPT_BLOCK_SIZE:  return argsBlockSize(p, zVal, pzErr);
    case OPT_FILTER_BITS: return argsCount(zName, zVal, 64, &o->filterBitsPerKey, pzErr);
    case OPT_MIN_FILTER:  return argsCount(zName, zVal, 0xffffffffu, &o->minFilterKeys, pzErr);
    case OPT_POLL:        return argsDuration(zName, zVal, 1, &o->pollIntervalMs, pzErr);
    case OPT_COMPACTOR:   return argsBool(zName, zVal, &o->bCompactor, pzErr);
    case OPT_COMPACT_POLL: return argsDuration(zName, zVal, 1, &o->compactorPollMs, pzErr);
    case OPT_MAX_SST:     return argsSize(zName, zVal, &o->maxSstSize, pzErr);
    case OPT_L0_MAX:      return argsCount(zName, zVal, 100000, &o->l0MaxSsts, pzErr);
    case OPT_GC:          return argsBool(zName, zVal, &o->bGc, pzErr);
    case OPT_GC_INTERVAL: return argsDuration(zName, zVal, 1, &o->gcIntervalMs, pzErr);
    case OPT_GC_MIN_AGE:  return argsDuration(zName, zVal, 1, &o->gcMinAgeMs, pzErr);
    case OPT_CHECKPOINT:  return argsCheckpoint(p, zVal, pzErr);
    default:              return argsS3Opt(p, iOpt, zVal, pzErr);
  }
}

/*
** Apply option iOpt with dequoted value zVal (ownership taken). *pSeen
** tracks options already given.
*/
static int argsApply(SdbExtArgs *p, int iOpt, char *zVal, unsigned *pSeen, char **pzErr) {
  int rc;
  if (*pSeen & (1u << iOpt)) {
    sqlite3_free(zVal);
    if (iOpt == OPT_URL) {
      return argsError(pzErr, "slatedb: the database root is given twice (first argument and url=)");
    }
    return argsError(pzErr, "slatedb: more than one '%s' option", azOptName[iOpt]);
  }
  *pSeen |= 1u << iOpt;
  switch (iOpt) {
    case OPT_URL:        return argsSetRoot(p, zVal, pzErr);
    case OPT_KEY_TYPE:   rc = argsKeyType(p, zVal, pzErr); break;
    case OPT_VALUE_TYPE: rc = argsValueType(p, zVal, pzErr); break;
    case OPT_MODE:       rc = argsMode(p, zVal, pzErr); break;
    case OPT_MERGE:      rc = argsMerge(p, zVal, pzErr); break;
    case OPT_CACHE:      rc = argsCache(p, zVal, pzErr); break;
    default:             rc = argsEngineOpt(p, iOpt, zVal, pzErr); break;
  }
  sqlite3_free(zVal);
  return rc;
}

/*
** The dequoted option name of "name = value" argument zArg ('=' at offset
** iEq), lower-cased; sqlite3_malloc'd, NULL on OOM.
*/
static char *argsOptionName(const char *zArg, int iEq) {
  int bQuoted, bBad;
  char *zName = argsDequote(zArg, iEq, &bQuoted, &bBad);
  for (int i = 0; zName && zName[i]; i++) zName[i] = (char)tolower((unsigned char)zName[i]);
  return zName;
}

/*
** Reject every credential-looking option before anything else is looked at,
** so that no later error message can echo a secret's value.
*/
static int argsCheckSecrets(int argc, const char *const *argv, char **pzErr) {
  for (int i = 3; i < argc; i++) {
    int iEq = argsFindEq(argv[i]);
    if (iEq < 0) continue;
    char *zName = argsOptionName(argv[i], iEq);
    if (!zName) return SQLITE_NOMEM;
    int rc = SQLITE_OK;
    if (argsIsSecretName(zName)) {
      rc = argsError(pzErr, "slatedb: option \"%s\" looks like a credential: credentials must not"
                     " be given as CREATE VIRTUAL TABLE arguments because they are stored in plain"
                     " text in sqlite_schema; use the AWS_* environment variables instead", zName);
    }
    sqlite3_free(zName);
    if (rc != SQLITE_OK) return rc;
  }
  return SQLITE_OK;
}

/*
** Parse one "name = value" argument zArg whose '=' is at offset iEq.
*/
static int argsOption(SdbExtArgs *p, const char *zArg, int iEq, unsigned *pSeen, char **pzErr) {
  int bQuoted, bBad;
  char *zName = argsOptionName(zArg, iEq);
  char *zVal = zName ? argsDequote(zArg + iEq + 1, (int)strlen(zArg + iEq + 1), &bQuoted, &bBad) : 0;
  int rc = SQLITE_OK;
  if (!zVal) {
    rc = SQLITE_NOMEM;
  } else if (!argsIsIdent(zName)) {
    rc = argsError(pzErr, "slatedb: malformed option: %s", sdb_value_shown(zArg));
  } else {
    int iOpt = argsChoice(zName, azOptName, OPT_COUNT);
    if (iOpt < 0) {
      rc = argsError(pzErr, "slatedb: unrecognized option: \"%s\"", zName);
    } else if (bBad || (!bQuoted && zVal[0] == 0)) {
      rc = argsError(pzErr, "slatedb: malformed %s option: %s", azOptName[iOpt], sdb_value_shown(zArg));
    } else {
      rc = argsApply(p, iOpt, zVal, pSeen, pzErr);
      zVal = 0;
    }
  }
  sqlite3_free(zName);
  sqlite3_free(zVal);
  return rc;
}

/* Parse argument number iArg (0 = first after the table name). */
static int argsOne(SdbExtArgs *p, int iArg, const char *zArg, unsigned *pSeen, char **pzErr) {
  int iEq = argsFindEq(zArg);
  if (iEq >= 0) return argsOption(p, zArg, iEq, pSeen, pzErr);
  if (iArg > 0) {
    if (argsIsIdent(zArg)) {
      return argsError(pzErr, "slatedb: unrecognized option: \"%s\"", zArg);
    }
    return argsError(pzErr, "slatedb: unexpected argument %s: only the first argument may be"
                     " the database root, the others are name=value options", sdb_value_shown(zArg));
  }
  int bQuoted, bBad;
  char *zVal = argsDequote(zArg, (int)strlen(zArg), &bQuoted, &bBad);
  if (!zVal) return SQLITE_NOMEM;
  if (bBad) {
    sqlite3_free(zVal);
    return argsError(pzErr, "slatedb: malformed database root: %s", sdb_value_shown(zArg));
  }
  return argsApply(p, OPT_URL, zVal, pSeen, pzErr);
}

/* The defaults of every option (see the table at the top of this file). */
static void argsDefaults(SdbExtArgs *p) {
  memset(p, 0, sizeof(*p));
  p->eKeyType = SDB_KEY_TEXT;
  p->eValueType = SDB_VAL_TEXT;
  p->bWriter = 1;
  p->eMergeOp = SDB_MERGE_NONE;
  p->nCacheBytes = (u64)64 << 20;
  p->eCreate = SDB_CREATE_IF_MISSING;
  p->eDurability = SDB_DURABLE_COMMIT;
  p->busyTimeoutMs = 5000;
  p->opts.l0SstSizeBytes = (u64)64 << 20;
  p->opts.maxUnflushedBytes = (u64)1 << 30;
  p->opts.flushIntervalMs = 100;
  p->opts.blockSize = 4096;
  p->opts.filterBitsPerKey = 10;
  p->opts.minFilterKeys = 1000;
  p->opts.eCodec = 0;
  p->opts.pollIntervalMs = 1000;
  p->opts.eAllowHttp = -1;
  p->opts.eVirtualHosted = -1;
  p->opts.requestTimeoutMs = 30000;
  p->opts.connectTimeoutMs = 5000;
  p->opts.nParallelReads = 8;
  p->opts.bCompactor = 1;
  p->opts.compactorPollMs = 5000;
  p->opts.maxSstSize = (u64)256 << 20;
  p->opts.l0MaxSsts = 8;
  p->opts.bGc = 1;
  p->opts.gcIntervalMs = 60000;
  p->opts.gcMinAgeMs = 300000;
}

/* Reject options the table's mode does not use (seen: the options given). */
static int argsCheckMode(const SdbExtArgs *p, unsigned seen, char **pzErr) {
  unsigned bad = seen & (p->bWriter ? OPT_READER_ONLY : OPT_WRITER_ONLY);
  unsigned badS3 = p->bS3 ? 0 : (seen & OPT_S3_ONLY);
  for (int i = 0; badS3 && i < OPT_COUNT; i++) {
    if (!(badS3 & (1u << i))) continue;
    return argsError(pzErr, "slatedb: option %s applies to s3:// databases only (this table's"
                     " root is the local directory \"%s\")", azOptName[i], sdb_value_shown(p->zRoot));
  }
  for (int i = 0; bad && i < OPT_COUNT; i++) {
    if (!(bad & (1u << i))) continue;
    return argsError(pzErr, "slatedb: option %s applies to mode=%s only (this table has mode=%s)",
                     azOptName[i], p->bWriter ? "reader" : "writer",
                     p->bWriter ? "writer" : "reader");
  }
  return SQLITE_OK;
}

/* Reject sizes that cannot work together (writer settings; the defaults
** are consistent, so only values given can conflict). */
static int argsCheckSizes(const SdbExtArgs *p, char **pzErr) {
  const SdbExtHandleOpts *o = &p->opts;
  if (p->bWriter && o->maxSstSize < o->blockSize) {
    return argsError(pzErr, "slatedb: max_sst_size=%llu is below block_size=%llu: a compacted"
                     " SST holds at least one block (raise max_sst_size or lower block_size)",
                     (unsigned long long)o->maxSstSize, (unsigned long long)o->blockSize);
  }
  return SQLITE_OK;
}

/* See extInt.h. */
int sdbExtArgsParse(int argc, const char *const *argv, SdbExtArgs *p, char **pzErr) {
  unsigned seen = 0;
  int rc = SQLITE_OK;
  argsDefaults(p);
  if (argc <= 3) return argsError(pzErr, "%s", zUsage);
  rc = argsCheckSecrets(argc, argv, pzErr);
  for (int i = 3; rc == SQLITE_OK && i < argc; i++) {
    rc = argsOne(p, i - 3, argv[i], &seen, pzErr);
  }
  if (rc == SQLITE_OK && !(seen & (1u << OPT_URL))) {
    rc = argsError(pzErr, "slatedb: missing database root (the first argument: a directory"
                   " path, file:///absolute/path or s3://bucket/prefix)");
  }
  if (rc == SQLITE_OK) rc = argsCheckMode(p, seen, pzErr);
  if (rc == SQLITE_OK) rc = argsCheckSizes(p, pzErr);
  if (rc != SQLITE_OK) sdbExtArgsFree(p);
  return rc;
}

/* See extInt.h. */
void sdbExtArgsFree(SdbExtArgs *p) {
  sqlite3_free(p->zRoot);
  p->zRoot = 0;
}

/* See extInt.h. */
const char *sdbExtKeyTypeName(int eKeyType) {
  static const char *const az[] = { "text", "blob", "int64", "uint64" };
  return (eKeyType >= 0 && eKeyType < 4) ? az[eKeyType] : "?";
}
