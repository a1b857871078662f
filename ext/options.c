/*
** options.c: the one table of the options of CREATE VIRTUAL TABLE ... USING
** slatedb('<database root>', option=value, ...), and everything driven by it:
** parsing and checking a value (vtab_args.c tokenizes the arguments and
** calls sdbExtOptionSet), the defaults, the usage text, the settings tables
** that share a database must agree on (handles.c), the columns of
** slatedb_handles that echo settings (vtab_info.c), and docs/sql.md's option
** table, which c-tests/t_options.c compares with this one.
**
** To add an option: a field in SdbExtArgs or SdbExtHandleOpts (extInt.h), a
** row below, a row in docs/sql.md's option table (same order), and the use of
** the field (handles.c handleConfig for engine settings).
**
** Value syntax: a size is an integer number of bytes, or quoted with a unit
** B, KiB, MiB or GiB ('16KiB'). A duration is an integer number of
** milliseconds, or quoted with a unit ms, s, m or h ('250ms', '2s', '1h'), at
** most 2147483647 ms. Quotes are needed for values with units because SQL's
** tokenizer rejects 16KiB. Choices and booleans are case-insensitive.
*/
#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "extInt.h"

/* The longest duration accepted, in ms (about 24.8 days). */
#define OPT_MAX_DURATION_MS 2147483647u

/* The field of SdbExtArgs an option sets: its offset and size. */
#define OPT_FIELD(f) offsetof(SdbExtArgs, f), sizeof(((SdbExtArgs *)0)->f)

/* Choices. The order of each list is the order of the stored numbers (the
** engine's and extInt.h's), unless the row has aValue. */
static const char *const azOptKeyType[] = { "text", "blob", "int64", "uint64", 0 };
static const char *const azOptValueType[] = { "text", "blob", 0 };
static const char *const azOptMode[] = { "reader", "writer", 0 };
static const int aOptMode[] = { 0, 1 };                          /* bWriter */
static const char *const azOptMerge[] = { "none", "concat", 0 };  /* SDB_MERGE_* */
static const char *const azOptCreate[] = { "if_missing", "never", 0 };
static const char *const azOptDurability[] = { "commit", "async", 0 };
static const char *const azOptCodec[] = { "none", "snappy", "zlib", "lz4", "zstd", 0 };
static const char *const azOptBool[] = { "true", "false", 0 };

static int optEndpointOk(const char *zVal, SdbErr *pErr);
static int optRegionOk(const char *zVal, SdbErr *pErr);
static int optCheckpointOk(const char *zVal, SdbErr *pErr);
static int optDiskCacheOk(const char *zVal, SdbErr *pErr);

/* Shorthands for the rows below. */
#define B SDB_OPTM_BOTH
#define W SDB_OPTM_WRITER
#define R SDB_OPTM_READER
#define S3 SDB_OPTF_S3
#define SH SDB_OPTF_SHARED
#define U64MAX UINT64_MAX
#define MS OPT_MAX_DURATION_MS

/*
** The options, in docs/sql.md order. Columns: name, type, mode, flags, default,
** min, max, choices, stored values, field, check (TEXT), expected (error
** wording, when not the type's own), one-line doc, example (what the usage shows
** instead of the default; TEXT options have one).
*/
#pragma GCC diagnostic push   /* a row may end before zExample (NULL) */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
const SdbExtOption sdbExtOptionTable[] = {
  { "url", SDB_OPT_ROOT, B, 0, 0, 0, 0, 0, 0, OPT_FIELD(zRoot), 0, 0,
    "the database root (the first argument may name it without url=)" },
  { "mode", SDB_OPT_ENUM, B, SDB_OPTF_ECHO, "reader", 0, 0, azOptMode, aOptMode, OPT_FIELD(bWriter),
    0, 0, "a reader (the default) never writes to the store; a writer owns the database" },
  { "key_type", SDB_OPT_ENUM, B, 0, "text", 0, 0, azOptKeyType, 0, OPT_FIELD(eKeyType), 0, 0,
    "the SQL type of keys and their byte encoding" },
  { "value_type", SDB_OPT_ENUM, B, 0, "text", 0, 0, azOptValueType, 0, OPT_FIELD(eValueType), 0, 0,
    "the SQL type of values" },
  { "merge_operator", SDB_OPT_ENUM, B, SH | SDB_OPTF_ECHO, "none", 0, 0, azOptMerge, 0,
    OPT_FIELD(eMergeOp), 0, 0, "how merge operands written by SlateDB are resolved" },
  { "cache_size", SDB_OPT_SIZE, B, 0, "'64MiB'", 1, U64MAX, 0, 0, OPT_FIELD(nCacheBytes), 0,
    "a positive size such as '64MiB'; units B, KiB, MiB, GiB",
    "the block cache of the database handle (the first table's size wins)" },
  { "disk_cache", SDB_OPT_TEXT, B, SH, 0, 0, 0, 0, 0, OPT_FIELD(opts.zDiskCache), optDiskCacheOk,
    "a directory path", "a local directory caching SST data (shared by processes)", "'DIR'" },
  { "disk_cache_size", SDB_OPT_SIZE, B, SH, "'1GiB'", 1, U64MAX, 0, 0,
    OPT_FIELD(opts.nDiskCacheBytes), 0, 0, "the disk cache's bound (least recently used goes)" },
  { "create", SDB_OPT_ENUM, W, 0, "if_missing", 0, 0, azOptCreate, 0, OPT_FIELD(eCreate), 0, 0,
    "create the database (and its directory) if it does not exist" },
  { "durability", SDB_OPT_ENUM, W, 0, "commit", 0, 0, azOptDurability, 0, OPT_FIELD(eDurability),
    0, 0, "whether COMMIT waits until the WAL SST is stored" },
  { "busy_timeout", SDB_OPT_DURATION, W, 0, "'5s'", 0, MS, 0, 0, OPT_FIELD(busyTimeoutMs), 0, 0,
    "how long a write transaction waits for another connection's" },
  { "l0_sst_size_bytes", SDB_OPT_SIZE, W, SH, "67108864", 1, U64MAX, 0, 0,
    OPT_FIELD(opts.l0SstSizeBytes), 0, 0, "the memtable becomes an L0 SST at this estimated size" },
  { "close_flush_bytes", SDB_OPT_SIZE, W, SH, "'4MiB'", 1, U64MAX, 0, 0,
    OPT_FIELD(opts.closeFlushBytes), 0, 0, "at close the memtable becomes an L0 SST from this size" },
  { "max_unflushed_bytes", SDB_OPT_SIZE, W, SH, "1073741824", 1, U64MAX, 0, 0,
    OPT_FIELD(opts.maxUnflushedBytes), 0, 0, "the async WAL buffer limit" },
  { "flush_interval", SDB_OPT_DURATION, W, SH, "'100ms'", 1, MS, 0, 0,
    OPT_FIELD(opts.flushIntervalMs), 0, 0, "the async WAL flush tick" },
  { "compression", SDB_OPT_ENUM, W, SH, "none", 0, 0, azOptCodec, 0, OPT_FIELD(opts.eCodec), 0, 0,
    "the codec of the SSTs we write" },
  { "block_size", SDB_OPT_SIZE, W, SH | SDB_OPTF_POW2, "4096", 1024, 65536, 0, 0,
    OPT_FIELD(opts.blockSize), 0,
    "1024, 2048, 4096, 8192, 16384, 32768 or 65536 bytes, or '1KiB' .. '64KiB'",
    "the SST block size" },
  { "filter_bits_per_key", SDB_OPT_INT, W, SH, "10", 1, 64, 0, 0,
    OPT_FIELD(opts.filterBitsPerKey), 0, 0, "bloom filter density" },
  { "min_filter_keys", SDB_OPT_INT, W, SH, "1000", 1, 0xffffffffu, 0, 0,
    OPT_FIELD(opts.minFilterKeys), 0, 0, "SSTs with fewer rows get no bloom filter" },
  { "poll_interval", SDB_OPT_DURATION, R, SH, "'1s'", 1, MS, 0, 0, OPT_FIELD(opts.pollIntervalMs),
    0, 0, "a reader re-reads the manifest and WAL when this has passed" },
  { "endpoint", SDB_OPT_TEXT, B, S3 | SH, "$AWS_ENDPOINT, else $AWS_ENDPOINT_URL_S3, else"
    " $AWS_ENDPOINT_URL, else AWS https://s3.<region>.amazonaws.com", 0, 0, 0, 0,
    OPT_FIELD(opts.zEndpoint), optEndpointOk, "'http(s)://host[:port]'", "the S3 endpoint",
    "'http(s)://host[:port]'" },
  { "region", SDB_OPT_TEXT, B, S3 | SH, "$AWS_REGION, else $AWS_DEFAULT_REGION, else us-east-1",
    0, 0, 0, 0, OPT_FIELD(opts.zRegion), optRegionOk, "[a-z0-9-]+ up to 63 characters",
    "the signing region", "'us-east-1'" },
  { "allow_http", SDB_OPT_BOOL, B, S3 | SH, "$AWS_ALLOW_HTTP, else false", 0, 0, azOptBool, 0,
    OPT_FIELD(opts.eAllowHttp), 0, 0, "allow a plain-HTTP endpoint" },
  { "virtual_hosted_style", SDB_OPT_BOOL, B, S3 | SH, "$AWS_VIRTUAL_HOSTED_STYLE_REQUEST, else false",
    0, 0, azOptBool, 0, OPT_FIELD(opts.eVirtualHosted), 0, 0,
    "bucket in the host name rather than the path" },
  { "request_timeout", SDB_OPT_DURATION, B, S3 | SH, "'30s'", 1, MS, 0, 0,
    OPT_FIELD(opts.requestTimeoutMs), 0, 0, "the longest one store operation may take" },
  { "connect_timeout", SDB_OPT_DURATION, B, S3 | SH, "'3s'", 1, MS, 0, 0,
    OPT_FIELD(opts.connectTimeoutMs), 0, 0, "one TCP + TLS connection attempt" },
  { "parallel_reads", SDB_OPT_INT, B, S3 | SH, "8", 1, 64, 0, 0, OPT_FIELD(opts.nParallelReads),
    0, 0, "concurrent GETs of one batch read" },
  { "compactor", SDB_OPT_BOOL, W, SH, "true", 0, 0, azOptBool, 0, OPT_FIELD(opts.bCompactor), 0, 0,
    "run the compactor in the background" },
  { "compactor_poll_interval", SDB_OPT_DURATION, W, SH, "'5s'", 1, MS, 0, 0,
    OPT_FIELD(opts.compactorPollMs), 0, 0, "how often the compactor looks for work" },
  { "max_sst_size", SDB_OPT_SIZE, W, SH, "268435456", 1, U64MAX, 0, 0, OPT_FIELD(opts.maxSstSize),
    0, 0, "compaction output SSTs are split at this size" },
  { "l0_max_ssts", SDB_OPT_INT, W, SH, "8", 1, 100000, 0, 0, OPT_FIELD(opts.l0MaxSsts), 0, 0,
    "at this many L0 SSTs memtable flushes wait for the compactor" },
  { "gc", SDB_OPT_BOOL, W, SH, "true", 0, 0, azOptBool, 0, OPT_FIELD(opts.bGc), 0, 0,
    "run the garbage collector in the background" },
  { "gc_interval", SDB_OPT_DURATION, W, SH, "'60s'", 1, MS, 0, 0, OPT_FIELD(opts.gcIntervalMs), 0,
    0, "how often the GC runs" },
  { "gc_min_age", SDB_OPT_DURATION, W, SH, "'5m'", 1, MS, 0, 0, OPT_FIELD(opts.gcMinAgeMs), 0, 0,
    "objects younger than this are never deleted" },
  { "checkpoint", SDB_OPT_TEXT, R, 0, 0, 0, 0, 0, 0, OPT_FIELD(opts.zCheckpoint), optCheckpointOk,
    "a checkpoint id such as '123e4567-e89b-42d3-a456-426614174000'; SELECT id FROM"
    " slatedb_checkpoints lists them", "read the state that checkpoint pins", "'<uuid>'" },
};
#pragma GCC diagnostic pop
const int sdbExtNOption = (int)(sizeof(sdbExtOptionTable) / sizeof(sdbExtOptionTable[0]));

#undef B
#undef W
#undef R
#undef S3
#undef SH
#undef U64MAX
#undef MS

/* ------------------------------------------------------------ values */

/* Index of z in the NULL-terminated azChoice (case-insensitive), or -1. */
static int optChoice(const char *z, const char *const *azChoice) {
  for (int i = 0; azChoice[i]; i++) {
    if (sqlite3_stricmp(z, azChoice[i]) == 0) return i;
  }
  return -1;
}

/*
** Parse a size: digits, optional white space, optional unit B, KiB, MiB or
** GiB (case-insensitive). Returns 1 and *pn on success, 0 if malformed, zero
** or out of range.
*/
static int optParseSize(const char *z, u64 *pn) {
  static const char *const azUnit[] = { "", "b", "kib", "mib", "gib", 0 };
  static const int aShift[] = { 0, 0, 10, 20, 30 };
  u64 n = 0;
  int i = 0;
  if (!isdigit((unsigned char)z[0])) return 0;
  for (; isdigit((unsigned char)z[i]); i++) {
    if (n > (UINT64_MAX - 9) / 10) return 0;
    n = n * 10 + (u64)(z[i] - '0');
  }
  while (isspace((unsigned char)z[i])) i++;
  int iUnit = optChoice(z + i, azUnit);
  if (iUnit < 0 || n == 0) return 0;
  if (n > (UINT64_MAX >> aShift[iUnit])) return 0;
  *pn = n << aShift[iUnit];
  return 1;
}

/* See extInt.h. */
int sdbExtParseDuration(const char *z, u64 *pMs) {
  static const char *const azUnit[] = { "", "ms", "s", "m", "h", 0 };
  static const u64 aMul[] = { 1, 1, 1000, 60000, 3600000 };
  u64 n = 0;
  int i = 0;
  if (!isdigit((unsigned char)z[0])) return 0;
  for (; isdigit((unsigned char)z[i]); i++) {
    n = n * 10 + (u64)(z[i] - '0');
    if (n > OPT_MAX_DURATION_MS) return 0;
  }
  while (isspace((unsigned char)z[i])) i++;
  int iUnit = optChoice(z + i, azUnit);
  if (iUnit < 0 || n * aMul[iUnit] > OPT_MAX_DURATION_MS) return 0;
  *pMs = n * aMul[iUnit];
  return 1;
}

/* Parse a plain integer (digits only) up to nMax. 1 and *pn, or 0. */
static int optParseInt(const char *z, u64 nMax, u64 *pn) {
  u64 n = 0;
  if (!z[0]) return 0;
  for (int i = 0; z[i]; i++) {
    if (!isdigit((unsigned char)z[i])) return 0;
    n = n * 10 + (u64)(z[i] - '0');
    if (n > nMax) return 0;
  }
  *pn = n;
  return 1;
}

/* endpoint=: an http:// or https:// URL of a host and port only. */
static int optEndpointOk(const char *zVal, SdbErr *pErr) {
  if (sdb_s3_option_check("endpoint", zVal, pErr) != SDB_OK) return 0;
  if (strlen(zVal) < sizeof(((SdbExtHandleOpts *)0)->zEndpoint)) return 1;
  snprintf(pErr->zMsg, sizeof(pErr->zMsg), "it is too long");
  return 0;
}

/* region=: [a-z0-9-]+ (it becomes part of AWS's host name). */
static int optRegionOk(const char *zVal, SdbErr *pErr) {
  return sdb_s3_option_check("region", zVal, pErr) == SDB_OK;
}

/* checkpoint=: 8-4-4-4-12 hex UUID text. */
static int optCheckpointOk(const char *zVal, SdbErr *pErr) {
  int bOk = strlen(zVal) == 36;
  for (int i = 0; bOk && i < 36; i++) {
    int bDash = i == 8 || i == 13 || i == 18 || i == 23;
    bOk = bDash ? zVal[i] == '-' : isxdigit((unsigned char)zVal[i]) != 0;
  }
  return bOk;
}

/* disk_cache=: a non-empty path that fits the field. */
static int optDiskCacheOk(const char *zVal, SdbErr *pErr) {
  if (!zVal[0]) {
    snprintf(pErr->zMsg, sizeof(pErr->zMsg), "the path is empty");
    return 0;
  }
  if (strlen(zVal) < sizeof(((SdbExtHandleOpts *)0)->zDiskCache)) return 1;
  snprintf(pErr->zMsg, sizeof(pErr->zMsg), "it is too long");
  return 0;
}

/* Store v in the (integer) field of pOpt in *p. */
static void optStore(const SdbExtOption *pOpt, SdbExtArgs *p, i64 v) {
  char *pField = (char *)p + pOpt->iOff;
  if (pOpt->nField == sizeof(u64)) {
    u64 x = (u64)v;
    memcpy(pField, &x, sizeof(x));
  } else if (pOpt->eType == SDB_OPT_INT) {
    u32 x = (u32)v;
    memcpy(pField, &x, sizeof(x));
  } else {
    int x = (int)v;
    memcpy(pField, &x, sizeof(x));
  }
}

/* The (integer) field of pOpt in *p. */
static i64 optLoad(const SdbExtOption *pOpt, const SdbExtArgs *p) {
  const char *pField = (const char *)p + pOpt->iOff;
  if (pOpt->nField == sizeof(u64)) {
    u64 x;
    memcpy(&x, pField, sizeof(x));
    return (i64)x;
  } else if (pOpt->eType == SDB_OPT_INT) {
    u32 x;
    memcpy(&x, pField, sizeof(x));
    return x;
  }
  int x;
  memcpy(&x, pField, sizeof(x));
  return x;
}

/* Parse a number of type SIZE, DURATION or INT within the row's range. */
static int optParseNumber(const SdbExtOption *pOpt, const char *zVal, u64 *pn) {
  int bOk;
  switch (pOpt->eType) {
    case SDB_OPT_SIZE:     bOk = optParseSize(zVal, pn); break;
    case SDB_OPT_DURATION: bOk = sdbExtParseDuration(zVal, pn); break;
    default:               bOk = optParseInt(zVal, pOpt->iMax, pn); break;
  }
  if (!bOk || *pn < pOpt->iMin || *pn > pOpt->iMax) return 0;
  return !(pOpt->flags & SDB_OPTF_POW2) || (*pn & (*pn - 1)) == 0;
}

/*
** Parse zVal (dequoted) as option pOpt into *p. Returns 1, or 0 if it is not
** a value of the option (then pErr->zMsg may say why, for TEXT options).
** REQUIRES: pOpt is not SDB_OPT_ROOT.
*/
static int optParse(const SdbExtOption *pOpt, const char *zVal, SdbExtArgs *p, SdbErr *pErr) {
  static const char *const azBool[] = { "false", "true", "0", "1", "off", "on", 0 };
  u64 n = 0;
  int i;
  switch (pOpt->eType) {
    case SDB_OPT_ENUM:
      if ((i = optChoice(zVal, pOpt->azChoice)) < 0) return 0;
      optStore(pOpt, p, pOpt->aValue ? pOpt->aValue[i] : i);
      return 1;
    case SDB_OPT_BOOL:
      if ((i = optChoice(zVal, azBool)) < 0) return 0;
      optStore(pOpt, p, i & 1);
      return 1;
    case SDB_OPT_TEXT:
      if (!pOpt->xCheck(zVal, pErr)) return 0;
      if (strlen(zVal) >= pOpt->nField) return 0;   /* the check bounds the length */
      memcpy((char *)p + pOpt->iOff, zVal, strlen(zVal) + 1);
      return 1;
    default:
      if (!optParseNumber(pOpt, zVal, &n)) return 0;
      optStore(pOpt, p, (i64)n);
      return 1;
  }
}

/* ------------------------------------------------------------ suggestions */

/* Names longer than this are never compared (no suggestion for them). */
#define OPT_SUGGEST_MAX 48

/*
** The edit distance of a and b, case-insensitive: an inserted, deleted or
** replaced character, or two adjacent characters swapped, count 1 each
** (optimal string alignment). Returns OPT_SUGGEST_MAX + 1 if either is longer
** than OPT_SUGGEST_MAX. Three rows on the stack, no allocation.
*/
static int optDistance(const char *a, const char *b) {
  int na = (int)strlen(a), nb = (int)strlen(b);
  int aRow[3][OPT_SUGGEST_MAX + 1];   /* rows i-2, i-1 and i, rotated */
  if (na > OPT_SUGGEST_MAX || nb > OPT_SUGGEST_MAX) return OPT_SUGGEST_MAX + 1;
  for (int j = 0; j <= nb; j++) aRow[0][j] = j;
  for (int i = 1; i <= na; i++) {
    int *pPrev2 = aRow[(i + 1) % 3], *pPrev = aRow[(i - 1) % 3], *pCur = aRow[i % 3];
    int ca = tolower((unsigned char)a[i - 1]);
    pCur[0] = i;
    for (int j = 1; j <= nb; j++) {
      int cb = tolower((unsigned char)b[j - 1]);
      int d = pPrev[j - 1] + (ca != cb);
      if (pPrev[j] + 1 < d) d = pPrev[j] + 1;
      if (pCur[j - 1] + 1 < d) d = pCur[j - 1] + 1;
      if (i > 1 && j > 1 && ca == tolower((unsigned char)b[j - 2])
          && tolower((unsigned char)a[i - 2]) == cb && pPrev2[j - 2] + 1 < d) {
        d = pPrev2[j - 2] + 1;
      }
      pCur[j] = d;
    }
  }
  return aRow[na % 3][nb];
}

/*
** Consider candidate zCand for the misspelt zGiven: if it is closer than
** *pnBest and close enough (1 edit for candidates of up to 4 characters, 2 up
** to 8, else 3, fewer edits than zGiven has characters, and the same first
** character: durability=fsync is not a misspelling of async), make it *pzBest.
*/
static void optConsider(const char *zGiven, const char *zCand, int *pnBest, const char **pzBest) {
  size_t nCand = strlen(zCand);
  int nMax = nCand <= 4 ? 1 : nCand <= 8 ? 2 : 3;
  if (tolower((unsigned char)zGiven[0]) != tolower((unsigned char)zCand[0])) return;
  int d = optDistance(zGiven, zCand);
  if (d <= nMax && (size_t)d < strlen(zGiven) && d < *pnBest) {
    *pnBest = d;
    *pzBest = zCand;
  }
}

/* See extInt.h. */
const char *sdbExtOptionSuggest(const char *zName) {
  int nBest = OPT_SUGGEST_MAX + 1;
  const char *zBest = 0;
  for (int i = 0; i < sdbExtNOption; i++) optConsider(zName, sdbExtOptionTable[i].zName, &nBest, &zBest);
  return zBest;
}

/* The choice of azChoice closest to the misspelt zVal, or NULL (see optConsider). */
static const char *optSuggestChoice(const char *zVal, const char *const *azChoice) {
  int nBest = OPT_SUGGEST_MAX + 1;
  const char *zBest = 0;
  for (int i = 0; azChoice[i]; i++) optConsider(zVal, azChoice[i], &nBest, &zBest);
  return zBest;
}

/* ------------------------------------------------------------ messages */

/* Append to pStr the choices of azChoice as "a, b or c". */
static void optAppendChoices(sqlite3_str *pStr, const char *const *azChoice) {
  for (int i = 0; azChoice[i]; i++) {
    const char *zSep = i == 0 ? "" : azChoice[i + 1] ? ", " : " or ";
    sqlite3_str_appendf(pStr, "%s%s", zSep, azChoice[i]);
  }
}

/* Append to pStr what a value of pOpt looks like (the "expected" of errors). */
static void optAppendExpected(sqlite3_str *pStr, const SdbExtOption *pOpt) {
  if (pOpt->zExpect) {
    sqlite3_str_appendall(pStr, pOpt->zExpect);
    return;
  }
  switch (pOpt->eType) {
    case SDB_OPT_ENUM:
    case SDB_OPT_BOOL:
      optAppendChoices(pStr, pOpt->azChoice);
      break;
    case SDB_OPT_SIZE:
      sqlite3_str_appendall(pStr, "a positive size in bytes, or quoted with a unit such as"
                            " '16KiB'; units B, KiB, MiB, GiB");
      break;
    case SDB_OPT_DURATION:
      sqlite3_str_appendf(pStr, "a %sduration: an integer number of milliseconds, or quoted with"
                          " a unit such as '250ms', '2s', '1m' or '1h', at most %u ms",
                          pOpt->iMin > 0 ? "positive " : "", OPT_MAX_DURATION_MS);
      break;
    default:
      sqlite3_str_appendf(pStr, "an integer from %llu to %llu", (unsigned long long)pOpt->iMin,
                          (unsigned long long)pOpt->iMax);
      break;
  }
}

/* See extInt.h. */
int sdbExtIsSecretName(const char *z) {
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

/* See extInt.h. */
const char *sdbExtShown(const char *z) {
  const char *zShown = sdb_value_shown(z);
  if (zShown != z) return zShown;
  for (const char *zEq = strchr(z, '='); zEq; zEq = strchr(zEq + 1, '=')) {
    char zWord[64];
    int n = 0;
    const char *zStart = zEq;
    while (zStart > z && n < (int)sizeof(zWord) - 1 &&
           (isalnum((unsigned char)zStart[-1]) || zStart[-1] == '_')) { zStart--; n++; }
    for (int i = 0; i < n; i++) zWord[i] = (char)tolower((unsigned char)zStart[i]);
    zWord[n] = 0;
    if (n > 0 && sdbExtIsSecretName(zWord)) return "(not shown: it looks like it holds a credential)";
  }
  return z;
}

/* See extInt.h. */
int sdbExtOptionSet(const SdbExtOption *pOpt, const char *zVal, SdbExtArgs *p, char **pzErr) {
  SdbErr err;
  sdb_err_clear(&err);
  if (optParse(pOpt, zVal, p, &err)) return SQLITE_OK;
  sqlite3_str *pStr = sqlite3_str_new(0);
  sqlite3_str_appendf(pStr, "slatedb: malformed %s=%s option", pOpt->zName, sdbExtShown(zVal));
  if (err.zMsg[0]) sqlite3_str_appendf(pStr, ": %s", err.zMsg);
  if (pOpt->eType == SDB_OPT_ENUM || pOpt->eType == SDB_OPT_BOOL) {
    const char *zNear = optSuggestChoice(zVal, pOpt->azChoice);
    if (zNear) sqlite3_str_appendf(pStr, ": did you mean %s=%s?", pOpt->zName, zNear);
  }
  if (pOpt->eType != SDB_OPT_TEXT || pOpt->zExpect) {
    sqlite3_str_appendall(pStr, " (expected ");
    optAppendExpected(pStr, pOpt);
    sqlite3_str_appendall(pStr, ")");
  }
  sqlite3_free(*pzErr);
  *pzErr = sqlite3_str_finish(pStr);
  return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
}

/* ------------------------------------------------------------ table uses */

/* See extInt.h. */
const SdbExtOption *sdbExtOptionFind(const char *zName) {
  for (int i = 0; i < sdbExtNOption; i++) {
    if (sqlite3_stricmp(zName, sdbExtOptionTable[i].zName) == 0) return &sdbExtOptionTable[i];
  }
  return 0;
}

/* See extInt.h. */
int sdbExtOptionDefaults(SdbExtArgs *p) {
  memset(p, 0, sizeof(*p));
  for (int i = 0; i < sdbExtNOption; i++) {
    const SdbExtOption *pOpt = &sdbExtOptionTable[i];
    const char *z = pOpt->zDefault;
    char zBuf[32];
    SdbErr err;
    if (!z) continue;                              /* none: the field stays zero */
    if (z[0] == '$') {                             /* the store reads the environment */
      if (pOpt->eType == SDB_OPT_BOOL) optStore(pOpt, p, -1);
      continue;
    }
    size_t n = strlen(z);
    if (z[0] == '\'' && n >= 2 && n - 2 < sizeof(zBuf)) {
      memcpy(zBuf, z + 1, n - 2);
      zBuf[n - 2] = 0;
      z = zBuf;
    }
    if (!optParse(pOpt, z, p, &err)) return SQLITE_INTERNAL;
  }
  return SQLITE_OK;
}

/* See extInt.h. */
int sdbExtOptionApplies(const SdbExtOption *pOpt, int bWriter) {
  return pOpt->eMode == SDB_OPTM_BOTH || (pOpt->eMode == SDB_OPTM_WRITER) == !!bWriter;
}

/* See extInt.h. */
int sdbExtOptionDiffers(const SdbExtOption *pOpt, const SdbExtArgs *a, const SdbExtArgs *b) {
  if (pOpt->eType == SDB_OPT_TEXT) {
    return strcmp((const char *)a + pOpt->iOff, (const char *)b + pOpt->iOff) != 0;
  }
  return pOpt->eType != SDB_OPT_ROOT && optLoad(pOpt, a) != optLoad(pOpt, b);
}

/* See extInt.h. */
char *sdbExtOptionText(const SdbExtOption *pOpt, const SdbExtArgs *p) {
  if (pOpt->eType == SDB_OPT_TEXT) return sqlite3_mprintf("%s", (const char *)p + pOpt->iOff);
  if (pOpt->eType == SDB_OPT_ROOT) return sqlite3_mprintf("%s", p->zRoot ? p->zRoot : "");
  i64 v = optLoad(pOpt, p);
  if (pOpt->eType == SDB_OPT_ENUM) {
    for (int i = 0; pOpt->azChoice[i]; i++) {
      if ((pOpt->aValue ? pOpt->aValue[i] : i) == v) return sqlite3_mprintf("%s", pOpt->azChoice[i]);
    }
    return sqlite3_mprintf("%lld", (long long)v);
  }
  if (pOpt->eType == SDB_OPT_BOOL) {
    return sqlite3_mprintf("%s", v == 1 ? "true" : v == 0 ? "false" : "(env)");
  }
  if (pOpt->eType == SDB_OPT_DURATION) return sqlite3_mprintf("'%llums'", (unsigned long long)v);
  return sqlite3_mprintf("%llu", (unsigned long long)v);
}

/* Append to pStr a size as people write it: '256MiB' when a whole number of
** KiB, MiB or GiB, else the number of bytes. */
static void optAppendSize(sqlite3_str *pStr, u64 n) {
  static const char *const azUnit[] = { "GiB", "MiB", "KiB" };
  for (int i = 0; i < 3; i++) {
    int iShift = 30 - 10 * i;
    if (n && (n & (((u64)1 << iShift) - 1)) == 0) {
      sqlite3_str_appendf(pStr, "'%llu%s'", (unsigned long long)(n >> iShift), azUnit[i]);
      return;
    }
  }
  sqlite3_str_appendf(pStr, "%llu", (unsigned long long)n);
}

/* Append to pStr what the usage shows after "name=" for pOpt: its example,
** the choices of an enumeration or a boolean from the environment, else the
** default (sizes in units); a default from the environment follows. */
static void optAppendUsageValue(sqlite3_str *pStr, const SdbExtOption *pOpt) {
  const char *zDef = pOpt->zDefault;
  u64 n;
  int bEnv = zDef && zDef[0] == '$';
  if (pOpt->zExample) {
    sqlite3_str_appendall(pStr, pOpt->zExample);
  } else if (pOpt->eType == SDB_OPT_ENUM || (pOpt->eType == SDB_OPT_BOOL && bEnv)) {
    for (int j = 0; pOpt->azChoice[j]; j++) {
      sqlite3_str_appendf(pStr, "%s%s", j ? "|" : "", pOpt->azChoice[j]);
    }
  } else if (pOpt->eType == SDB_OPT_SIZE && zDef && optParseSize(zDef, &n)) {
    optAppendSize(pStr, n);
  } else {
    sqlite3_str_appendall(pStr, zDef ? zDef : "<value>");
  }
  if (bEnv) sqlite3_str_appendf(pStr, " (default %s)", zDef);
}

/* Append " name=value, ..." for the options of mode eMode (-1: any mode) that
** are (bS3) or are not s3:// only. An s3:// option of one mode says which. */
static void optAppendUsageGroup(sqlite3_str *pStr, int eMode, int bS3) {
  int n = 0;
  for (int i = 0; i < sdbExtNOption; i++) {
    const SdbExtOption *pOpt = &sdbExtOptionTable[i];
    if (pOpt->eType == SDB_OPT_ROOT || (eMode >= 0 && pOpt->eMode != eMode)) continue;
    if (!(pOpt->flags & SDB_OPTF_S3) != !bS3) continue;
    sqlite3_str_appendf(pStr, "%s%s=", n++ ? ", " : " ", pOpt->zName);
    optAppendUsageValue(pStr, pOpt);
    if (bS3 && pOpt->eMode != SDB_OPTM_BOTH) {
      sqlite3_str_appendf(pStr, " (mode=%s only)", pOpt->eMode == SDB_OPTM_WRITER ? "writer" : "reader");
    }
  }
}

/* See extInt.h. */
char *sdbExtOptionUsage(void) {
  sqlite3_str *pStr = sqlite3_str_new(0);
  sqlite3_str_appendall(pStr, "slatedb: usage: CREATE VIRTUAL TABLE name USING slatedb("
                        "'<database root>' [, option=value ...]); the root is a directory path,"
                        " a file:///absolute/path URL or s3://bucket/prefix (or url=...);"
                        " options, with their defaults (the first of each list):");
  optAppendUsageGroup(pStr, SDB_OPTM_BOTH, 0);
  sqlite3_str_appendall(pStr, "; mode=writer only:");
  optAppendUsageGroup(pStr, SDB_OPTM_WRITER, 0);
  sqlite3_str_appendall(pStr, "; mode=reader only:");
  optAppendUsageGroup(pStr, SDB_OPTM_READER, 0);
  sqlite3_str_appendall(pStr, "; s3:// only ($VAR: from that environment variable):");
  optAppendUsageGroup(pStr, -1, 1);
  sqlite3_str_appendall(pStr, "; sizes take units B, KiB, MiB, GiB and durations ms, s, m, h,"
                        " quoted ('64MiB'); S3 credentials come from the AWS_* environment"
                        " variables, never from arguments");
  return sqlite3_str_finish(pStr);
}

/* See extInt.h. */
const char *sdbExtKeyTypeName(int eKeyType) {
  return (eKeyType >= 0 && eKeyType < 4) ? azOptKeyType[eKeyType] : "?";
}
