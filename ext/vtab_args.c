/*
** vtab_args.c: the arguments of CREATE VIRTUAL TABLE ... USING slatedb(...).
**
**   CREATE VIRTUAL TABLE [temp.]name USING slatedb(
**       '<database root>'        -- first argument: a path, file:///abs/path
**                                -- or s3://bucket/prefix
**     [, option=value ...])
**
** The options, their values, defaults and modes are the rows of options.c;
** this file splits and dequotes the arguments, turns the root into a path or
** an s3:// URL, hands every option value to sdbExtOptionSet, and checks what
** involves more than one option (duplicates, the mode and s3:// of options,
** max_sst_size against block_size).
**
** Credentials are never options: they come from AWS_ACCESS_KEY_ID,
** AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN (or ~/.aws/credentials), and
** they are bound to the environment's endpoint ($AWS_ENDPOINT, else
** $AWS_ENDPOINT_URL_S3, else $AWS_ENDPOINT_URL, else AWS), AWS_ALLOW_HTTP and
** AWS_VIRTUAL_HOSTED_STYLE_REQUEST: while credentials exist the store refuses
** an endpoint= that differs from that endpoint, allow_http=true unless
** AWS_ALLOW_HTTP=true, and a virtual_hosted_style= other than the
** environment's (SQLITE_PERM). Bucket names, regions and endpoints follow
** sdb_s3_option_check() (S3's bucket rules; an endpoint without user
** information, path, query or fragment). A value that could hold
** user:password ('@') is never repeated in an error message.
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

/* Set *pzErr to "unrecognized option" for zName, with the option it may be a
** misspelling of. Returns as argsError. */
static int argsUnknown(char **pzErr, const char *zName) {
  const char *zNear = sdbExtOptionSuggest(zName);
  if (zNear) return argsError(pzErr, "slatedb: unrecognized option: \"%s\" (did you mean %s?)", zName, zNear);
  return argsError(pzErr, "slatedb: unrecognized option: \"%s\"", zName);
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
                     sdbExtShown(zVal), err.zMsg);
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
                     sdbExtShown(zVal));
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
                   sdbExtShown(zVal));
  }
  if (rc != SQLITE_OK) {
    sqlite3_free(zVal);
    return rc;
  }
  p->zRoot = zVal;
  return SQLITE_OK;
}

/* The index of pOpt in sdbExtOptionTable, as a bit of a "seen" mask. */
static u64 argsBit(const SdbExtOption *pOpt) {
  return (u64)1 << (pOpt - sdbExtOptionTable);
}

/*
** Apply option pOpt with dequoted value zVal (ownership taken). *pSeen
** tracks options already given.
*/
static int argsApply(SdbExtArgs *p, const SdbExtOption *pOpt, char *zVal, u64 *pSeen,
                     char **pzErr) {
  if (*pSeen & argsBit(pOpt)) {
    sqlite3_free(zVal);
    if (pOpt->eType == SDB_OPT_ROOT) {
      return argsError(pzErr, "slatedb: the database root is given twice (first argument and url=)");
    }
    return argsError(pzErr, "slatedb: more than one '%s' option", pOpt->zName);
  }
  *pSeen |= argsBit(pOpt);
  if (pOpt->eType == SDB_OPT_ROOT) return argsSetRoot(p, zVal, pzErr);
  int rc = sdbExtOptionSet(pOpt, zVal, p, pzErr);
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
    if (sdbExtIsSecretName(zName)) {
      rc = argsError(pzErr, "slatedb: option \"%s\" looks like a credential: credentials must not"
                     " be given as CREATE VIRTUAL TABLE arguments because they are stored in plain"
                     " text in sqlite_schema; use the AWS_* environment variables instead",
                     sdb_value_shown(zName));
    }
    sqlite3_free(zName);
    if (rc != SQLITE_OK) return rc;
  }
  return SQLITE_OK;
}

/*
** Parse one "name = value" argument zArg whose '=' is at offset iEq.
*/
static int argsOption(SdbExtArgs *p, const char *zArg, int iEq, u64 *pSeen, char **pzErr) {
  int bQuoted, bBad;
  char *zName = argsOptionName(zArg, iEq);
  char *zVal = zName ? argsDequote(zArg + iEq + 1, (int)strlen(zArg + iEq + 1), &bQuoted, &bBad) : 0;
  int rc = SQLITE_OK;
  if (!zVal) {
    rc = SQLITE_NOMEM;
  } else if (!argsIsIdent(zName)) {
    rc = argsError(pzErr, "slatedb: malformed option: %s", sdbExtShown(zArg));
  } else {
    const SdbExtOption *pOpt = sdbExtOptionFind(zName);
    if (!pOpt) {
      rc = argsUnknown(pzErr, zName);
    } else if (bBad || (!bQuoted && zVal[0] == 0)) {
      rc = argsError(pzErr, "slatedb: malformed %s option: %s", pOpt->zName, sdbExtShown(zArg));
    } else {
      rc = argsApply(p, pOpt, zVal, pSeen, pzErr);
      zVal = 0;
    }
  }
  sqlite3_free(zName);
  sqlite3_free(zVal);
  return rc;
}

/* Parse argument number iArg (0 = first after the table name). */
static int argsOne(SdbExtArgs *p, int iArg, const char *zArg, u64 *pSeen, char **pzErr) {
  int iEq = argsFindEq(zArg);
  if (iEq >= 0) return argsOption(p, zArg, iEq, pSeen, pzErr);
  if (iArg > 0) {
    if (argsIsIdent(zArg)) {
      return argsUnknown(pzErr, zArg);
    }
    return argsError(pzErr, "slatedb: unexpected argument %s: only the first argument may be"
                     " the database root, the others are name=value options", sdbExtShown(zArg));
  }
  int bQuoted, bBad;
  char *zVal = argsDequote(zArg, (int)strlen(zArg), &bQuoted, &bBad);
  if (!zVal) return SQLITE_NOMEM;
  if (bBad) {
    sqlite3_free(zVal);
    return argsError(pzErr, "slatedb: malformed database root: %s", sdbExtShown(zArg));
  }
  return argsApply(p, sdbExtOptionFind("url"), zVal, pSeen, pzErr);
}

/* Reject options the table's mode or root does not use (seen: the options
** given). s3:// options on a local directory are reported first. */
static int argsCheckMode(const SdbExtArgs *p, u64 seen, char **pzErr) {
  for (int i = 0; !p->bS3 && i < sdbExtNOption; i++) {
    const SdbExtOption *pOpt = &sdbExtOptionTable[i];
    if (!(seen & argsBit(pOpt)) || !(pOpt->flags & SDB_OPTF_S3)) continue;
    return argsError(pzErr, "slatedb: option %s applies to s3:// databases only (this table's"
                     " root is the local directory \"%s\")", pOpt->zName, sdbExtShown(p->zRoot));
  }
  for (int i = 0; i < sdbExtNOption; i++) {
    const SdbExtOption *pOpt = &sdbExtOptionTable[i];
    if (!(seen & argsBit(pOpt)) || sdbExtOptionApplies(pOpt, p->bWriter)) continue;
    int bDefault = !(seen & argsBit(sdbExtOptionFind("mode")));
    return argsError(pzErr, "slatedb: option %s applies to mode=%s only (this table has mode=%s%s)",
                     pOpt->zName, p->bWriter ? "reader" : "writer",
                     p->bWriter ? "writer" : "reader",
                     bDefault ? ", the default: add mode=writer to write" : "");
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
  u64 seen = 0;
  int rc = sdbExtOptionDefaults(p);
  if (rc != SQLITE_OK) return argsError(pzErr, "slatedb: internal error: an option's default");
  if (argc <= 3) {
    sqlite3_free(*pzErr);
    *pzErr = sdbExtOptionUsage();
    return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
  }
  rc = argsCheckSecrets(argc, argv, pzErr);
  for (int i = 3; rc == SQLITE_OK && i < argc; i++) {
    rc = argsOne(p, i - 3, argv[i], &seen, pzErr);
  }
  if (rc == SQLITE_OK && !(seen & argsBit(sdbExtOptionFind("url")))) {
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

