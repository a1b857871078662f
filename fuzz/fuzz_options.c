/*
** fuzz_options.c: libFuzzer target for the CREATE VIRTUAL TABLE argument
** parser (ext/vtab_args.c and the table of options, ext/options.c, compiled
** in with -DSQLITE_CORE as the c-tests do):
** option names, quoting, sizes with unit suffixes, durations, counts, S3
** names, credential detection and the combination checks.
**
** Input: the arguments after the table name, separated by '\n' (SQLite hands
** them over as raw token text). Parsing is pure: it opens nothing. Any input
** must end in SQLITE_OK with sane fields or an error message, without a
** crash, leak or sanitizer report; no error may repeat, in any case, the
** user information ("user:password@") of an argument holding '@', be it a
** value or an option name.
*/
#define SQLITE_CORE 1
#include "../ext/options.c"
#include "../ext/vtab_args.c"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_ARGS 40

/* True if zErr holds, in any case, a "user:password@" of one of the nArg
** arguments: the 3 or more characters before an '@' that a URL's user
** information may hold (letters, digits, ":._-~%"), with the '@'. A
** lower-cased or partly shown value counts too. */
static int errorShowsUserinfo(const char *zErr, const char *const *azArg, int nArg) {
  for (int i = 0; i < nArg; i++) {
    for (const char *zAt = strchr(azArg[i], '@'); zAt; zAt = strchr(zAt + 1, '@')) {
      const char *z = zAt;
      while (z > azArg[i] && (isalnum((unsigned char)z[-1]) || strchr(":._-~%", z[-1]))) z--;
      int n = (int)(zAt - z) + 1;
      if (n < 4) continue;
      for (const char *zE = zErr; *zE; zE++) {
        if (sqlite3_strnicmp(zE, z, n) == 0) return 1;
      }
    }
  }
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 8192) return 0;
  char *zAll = malloc(size + 1);
  if (!zAll) return 0;
  memcpy(zAll, data, size);
  zAll[size] = 0;
  const char *azArg[MAX_ARGS + 3] = {"slatedb", "main", "t"};
  int nArg = 3;
  for (char *z = zAll; nArg < MAX_ARGS + 3;) {
    azArg[nArg++] = z;
    char *zNl = strchr(z, '\n');
    if (!zNl) break;
    *zNl = 0;
    z = zNl + 1;
  }
  SdbExtArgs a;
  char *zErr = NULL;
  int rc = sdbExtArgsParse(nArg, azArg, &a, &zErr);
  if (rc == SQLITE_OK) {
    if (!a.zRoot || zErr) abort();
    const SdbExtHandleOpts *o = &a.opts;
    if (a.bWriter && o->maxSstSize < o->blockSize) abort();
    if (o->blockSize < 1024 || o->blockSize > 65536) abort();
    SdbErr err;
    if (o->zRegion[0] && sdb_s3_option_check("region", o->zRegion, &err) != SDB_OK) abort();
    if (o->zEndpoint[0] && (sdb_s3_option_check("endpoint", o->zEndpoint, &err) != SDB_OK ||
                            strchr(o->zEndpoint, '@'))) abort();
    sdbExtArgsFree(&a);
  } else if (rc == SQLITE_ERROR) {
    if (!zErr || errorShowsUserinfo(zErr, azArg + 3, nArg - 3)) abort();
  }
  sqlite3_free(zErr);
  free(zAll);
  return 0;
}
