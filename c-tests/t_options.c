/*
** t_options.c: the table of CREATE options (ext/options.c) against itself and
** against the option table of docs/sql.md (the one whose header is
** "| option | values (default) | applies to |"):
**
**   - the same options in the same order, none missing on either side, and
**     three columns in every row;
**   - the same default: the first `...` that follows "(" in the values column
**     (an option without a default has none; the root's row says Required);
**     a default from the environment ("$VAR, else ...") is the text after
**     "(", backticks left out, up to a character that is not part of a word;
**   - the same mode: both, writer, reader, or s3:// for s3://-only options
**     ("s3://, writer" for one of a single mode);
**   - the same choices for enumerations and booleans (the `a` \| `b` list
**     before the default); the range of integers and sizes ("1 … 64",
**     "≥ 1", "size" for any positive size); for durations the word, whether
**     zero is allowed ("0 = ...") and any maximum below the parser's;
**   - text options: the row holds the table's example and expected wording
**     (backticks left out);
**   - a number written as "`N` = 64 MiB" in a row: both sides agree;
**   - sdb_s3_option_check refuses NULL arguments (SDB_MISUSE);
**   - every default parses, an enumeration's default is its first choice,
**     text options have an example, and the usage text names every option
**     exactly once as an entry of its lists (after ": " or ", ").
**
** So adding an option without documenting it, or changing a default, mode or
** choice on one side only, fails here.
*/
#define SQLITE_CORE 1
#include "../ext/options.c"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>

#include "test.h"

#define MAX_ROWS 64

/* One row of docs/sql.md's option table: its cells, trimmed (pointers into a
** buffer owned by the caller). */
typedef struct Row {
  char *zName;      /* the option name (`name`, or url for the first row) */
  char *zValues;    /* the values (default) column */
  char *zMode;      /* the applies-to column */
} Row;

/* Trim white space at both ends of z in place. */
static char *trim(char *z) {
  while (*z == ' ') z++;
  size_t n = strlen(z);
  while (n > 0 && (z[n - 1] == ' ' || z[n - 1] == '\r')) z[--n] = 0;
  return z;
}

/* Split a markdown table line into at most nCell cells at '|' not preceded by
** '\\'. Returns the number of cells. */
static int splitCells(char *zLine, char **azCell, int nCell) {
  int n = 0;
  char *z = zLine;
  if (*z == '|') z++;
  char *zStart = z;
  for (; *z && n < nCell; z++) {
    if (*z == '|' && z[-1] != '\\') {
      *z = 0;
      azCell[n++] = trim(zStart);
      zStart = z + 1;
    }
  }
  return n;
}

/* The option name in first cell z: `name`, or "url" for the root's row. */
static char *rowName(char *z) {
  if (strstr(z, "`url=`")) return "url";
  if (z[0] != '`') return 0;
  char *zEnd = strchr(z + 1, '`');
  if (!zEnd) return 0;
  *zEnd = 0;
  return z + 1;
}

/* Read docs/sql.md's option table into aRow. Returns the number of rows, or -1
** if it is missing or a row has not exactly three columns or no name. */
static int readRows(char *zReadme, Row *aRow) {
  char *z = strstr(zReadme, "| option | values (default) | applies to |");
  if (!z) return -1;
  z = strchr(z, '\n');                               /* the header */
  if (z) z = strchr(z + 1, '\n');                    /* |---|---|---| */
  int n = 0;
  while (z && z[1] == '|' && n < MAX_ROWS) {
    char *zLine = z + 1;
    z = strchr(zLine, '\n');
    if (z) *z = 0;
    char *azCell[4];
    if (splitCells(zLine, azCell, 4) != 3) return -1;          /* exactly three columns */
    aRow[n].zName = rowName(azCell[0]);
    aRow[n].zValues = azCell[1];
    aRow[n].zMode = azCell[2];
    if (!aRow[n].zName) return -1;
    n++;
  }
  return n;
}

/* The mode column docs/sql.md should show for pOpt. */
static const char *expectedMode(const SdbExtOption *pOpt) {
  if (pOpt->flags & SDB_OPTF_S3) {
    return pOpt->eMode == SDB_OPTM_WRITER ? "s3://, writer"
           : pOpt->eMode == SDB_OPTM_READER ? "s3://, reader" : "s3://";
  }
  if (pOpt->eMode == SDB_OPTM_WRITER) return "writer";
  if (pOpt->eMode == SDB_OPTM_READER) return "reader";
  return "both";
}

/* docs/sql.md's default in a values column: the text of the first `...` that
** directly follows "(", copied into zOut; 0 if there is none. */
static int readmeDefault(const char *zValues, char *zOut, size_t nOut) {
  const char *z = strstr(zValues, "(`");
  if (!z) return 0;
  const char *zEnd = strchr(z + 2, '`');
  if (!zEnd || (size_t)(zEnd - z - 2) >= nOut) return 0;
  memcpy(zOut, z + 2, (size_t)(zEnd - z - 2));
  zOut[zEnd - z - 2] = 0;
  return 1;
}

/* True if the values column lists exactly pOpt's choices, as `a` \| `b`
** before its default. */
static int sameChoices(const SdbExtOption *pOpt, const char *zValues) {
  char zWant[256] = "";
  for (int i = 0; pOpt->azChoice[i]; i++) {
    size_t n = strlen(zWant);
    snprintf(zWant + n, sizeof(zWant) - n, "%s`%s`", i ? " \\| " : "", pOpt->azChoice[i]);
  }
  size_t n = strlen(zWant);
  return strncmp(zValues, zWant, n) == 0 && strncmp(zValues + n, " (", 2) == 0;
}

/* z without its backticks, into zOut (truncated to nOut). */
static void unticked(const char *z, char *zOut, size_t nOut) {
  size_t j = 0;
  for (; *z && j + 1 < nOut; z++) {
    if (*z != '`') zOut[j++] = *z;
  }
  zOut[j] = 0;
}

/* True if the values column starts with zWant. */
static int startsWith(const char *zValues, const char *zWant) {
  return strncmp(zValues, zWant, strlen(zWant)) == 0;
}

/* True if the values column states the range of an integer or size. */
static int sameRange(const SdbExtOption *pOpt, const char *zValues) {
  char zRange[96];
  unsigned long long lo = pOpt->iMin, hi = pOpt->iMax;
  if (pOpt->eType == SDB_OPT_SIZE && (pOpt->flags & SDB_OPTF_POW2)) {
    snprintf(zRange, sizeof(zRange), "%llu … %llu, powers of two", lo, hi);
  } else if (pOpt->eType == SDB_OPT_SIZE) {
    if (lo == 1 && hi == UINT64_MAX) {           /* any positive size: no number follows */
      return startsWith(zValues, "size ") && !isdigit((unsigned char)zValues[5]);
    }
    snprintf(zRange, sizeof(zRange), "size %llu … %llu (", lo, hi);
  } else if (hi == 0xffffffffu) {
    snprintf(zRange, sizeof(zRange), "≥ %llu (", lo);
  } else {
    snprintf(zRange, sizeof(zRange), "%llu … %llu (", lo, hi);
  }
  return startsWith(zValues, zRange);
}

/* True if the values column of a duration says so, says "0 = ..." exactly
** when zero is allowed, and states a maximum below the parser's. */
static int sameDuration(const SdbExtOption *pOpt, const char *zValues) {
  char zWant[64] = "duration (";
  if (pOpt->iMax != OPT_MAX_DURATION_MS) {
    snprintf(zWant, sizeof(zWant), "duration up to %llu ms (", (unsigned long long)pOpt->iMax);
  }
  int bZero = strstr(zValues, "0 = ") != 0;
  return startsWith(zValues, zWant) && pOpt->iMin <= 1 && bZero == (pOpt->iMin == 0);
}

/* True if the values column of a text option holds its example and its
** expected wording (backticks left out). */
static int sameText(const SdbExtOption *pOpt, const char *zValues) {
  char zPlain[1024];
  unticked(zValues, zPlain, sizeof(zPlain));
  if (!pOpt->zExample || !strstr(zPlain, pOpt->zExample)) return 0;
  return !pOpt->zExpect || strstr(zPlain, pOpt->zExpect) != 0;
}

/* True if the values column names pOpt's type, range, choices or wording. */
static int sameType(const SdbExtOption *pOpt, const char *zValues) {
  switch (pOpt->eType) {
    case SDB_OPT_DURATION: return sameDuration(pOpt, zValues);
    case SDB_OPT_SIZE:
    case SDB_OPT_INT: return sameRange(pOpt, zValues);
    case SDB_OPT_ENUM:
    case SDB_OPT_BOOL: return sameChoices(pOpt, zValues);
    case SDB_OPT_TEXT: return sameText(pOpt, zValues);
    default: return 1;
  }
}

/* True if the default of the values column is pOpt's: the first `...`
** after "(", or for a default from the environment the unticked text after
** "(" up to a non-word character. *pzSaid: a copy of what docs/sql.md says. */
static int sameDefault(const SdbExtOption *pOpt, const char *zValues, char *zSaid, size_t nSaid) {
  int bHas = readmeDefault(zValues, zSaid, nSaid);
  if (!bHas) snprintf(zSaid, nSaid, "none");
  if (!pOpt->zDefault) return !bHas;
  if (pOpt->zDefault[0] != '$') return bHas && strcmp(zSaid, pOpt->zDefault) == 0;
  char zPlain[1024];
  unticked(zValues, zPlain, sizeof(zPlain));
  const char *z = strstr(zPlain, "($");
  if (!z) return 0;
  size_t n = strlen(pOpt->zDefault);
  snprintf(zSaid, nSaid, "%.*s", (int)n, z + 1);
  return strncmp(z + 1, pOpt->zDefault, n) == 0 && !isalnum((unsigned char)z[1 + n]) &&
         z[1 + n] != '_' && z[1 + n] != '-';
}

/* Parse "<digits>" at z: the number and the length, or length 0. */
static int parseNumber(const char *z, unsigned long long *pn) {
  int i = 0;
  *pn = 0;
  for (; isdigit((unsigned char)z[i]) && i < 19; i++) *pn = *pn * 10 + (unsigned)(z[i] - '0');
  return i;
}

/* True if every "`N` = M UNIT" (UNIT B, KiB, MiB or GiB) in the values column
** has N equal to M UNIT. */
static int sameProseNumbers(const char *zValues) {
  static const char *const azUnit[] = { "B", "KiB", "MiB", "GiB" };
  for (const char *z = strstr(zValues, "` = "); z; z = strstr(z + 1, "` = ")) {
    const char *zStart = z;
    while (zStart > zValues && isdigit((unsigned char)zStart[-1])) zStart--;
    unsigned long long n, m;
    if (zStart == z || zStart[-1] != '`' || !parseNumber(zStart, &n)) continue;
    int i = parseNumber(z + 4, &m);
    if (i == 0 || z[4 + i] != ' ') continue;
    for (int u = 0; u < 4; u++) {
      size_t nUnit = strlen(azUnit[u]);
      if (strncmp(z + 5 + i, azUnit[u], nUnit) || isalpha((unsigned char)z[5 + i + nUnit])) continue;
      if (n != m << (10 * u)) return 0;
    }
  }
  return 1;
}

/* One docs/sql.md row against one table row. */
static void checkRow(const Row *pRow, const SdbExtOption *pOpt) {
  char zName[96], zDefault[256];
  snprintf(zName, sizeof(zName), "options: docs/sql.md row %s is the table's %s", pRow->zName,
           pOpt->zName);
  CHECK(zName, strcmp(pRow->zName, pOpt->zName) == 0);
  snprintf(zName, sizeof(zName), "options: %s applies to %s", pOpt->zName, expectedMode(pOpt));
  CHECKF(zName, strcmp(pRow->zMode, expectedMode(pOpt)) == 0, "docs/sql.md says '%s'", pRow->zMode);
  snprintf(zName, sizeof(zName), "options: %s's default", pOpt->zName);
  if (pOpt->eType == SDB_OPT_ROOT) {
    CHECK(zName, strstr(pRow->zValues, "**Required.**") != 0);
  } else {
    CHECKF(zName, sameDefault(pOpt, pRow->zValues, zDefault, sizeof(zDefault)),
           "docs/sql.md says %s, the table %s", zDefault, pOpt->zDefault ? pOpt->zDefault : "none");
  }
  snprintf(zName, sizeof(zName), "options: %s's type", pOpt->zName);
  CHECKF(zName, sameType(pOpt, pRow->zValues), "docs/sql.md says: %.80s", pRow->zValues);
  snprintf(zName, sizeof(zName), "options: %s's numbers written with a unit", pOpt->zName);
  CHECKF(zName, sameProseNumbers(pRow->zValues), "docs/sql.md says: %.80s", pRow->zValues);
}

/* The table against docs/sql.md. */
static void testReadme(void) {
  char zPath[1024];
  unsigned char *a = 0;
  size_t n = 0;
  Row aRow[MAX_ROWS];
  snprintf(zPath, sizeof(zPath), "%s/docs/sql.md", test_srcdir());
  int bRead = test_read_file(zPath, &a, &n);
  CHECKF("options: docs/sql.md read", bRead, "cannot read %s", zPath);
  if (!bRead) return;
  char *zReadme = malloc(n + 1);
  memcpy(zReadme, a, n);
  zReadme[n] = 0;
  int nRow = readRows(zReadme, aRow);
  CHECKF("options: docs/sql.md's option table parses", nRow >= 0,
         "a row without three columns or without a `name` first");
  CHECKF("options: docs/sql.md has one row per option", nRow == sdbExtNOption,
         "docs/sql.md: %d rows, table: %d options", nRow, sdbExtNOption);
  for (int i = 0; i < nRow && i < sdbExtNOption; i++) checkRow(&aRow[i], &sdbExtOptionTable[i]);
  for (int i = nRow; i < sdbExtNOption; i++) {
    CHECKF("options: every option is documented", 0, "%s has no docs/sql.md row",
           sdbExtOptionTable[i].zName);
  }
  for (int i = sdbExtNOption; i < nRow; i++) {
    CHECKF("options: every docs/sql.md row is an option", 0, "%s is not in the table", aRow[i].zName);
  }
  free(zReadme);
  free(a);
}

/* The number of entries "name=" in the usage's lists: after ": " or ", ",
** so neither a header ("; mode=writer only:") nor a longer name
** (compactor_poll_interval= for poll_interval=) counts. */
static int usageEntries(const char *zUsage, const char *zOpt) {
  int n = 0;
  size_t nOpt = strlen(zOpt);
  for (const char *z = zUsage ? strstr(zUsage, zOpt) : 0; z; z = strstr(z + 1, zOpt)) {
    if (z - zUsage < 2 || z[nOpt] != '=') continue;
    if ((z[-2] == ':' || z[-2] == ',') && z[-1] == ' ') n++;
  }
  return n;
}

/* The table against itself and what it drives. */
static void testTable(void) {
  SdbExtArgs args;
  CHECK("options: at most 64 (the parser's seen mask)", sdbExtNOption <= 64);
  CHECK("options: every default parses", sdbExtOptionDefaults(&args) == SQLITE_OK);
  char *zUsage = sdbExtOptionUsage();
  for (int i = 0; i < sdbExtNOption; i++) {
    const SdbExtOption *pOpt = &sdbExtOptionTable[i];
    char zName[96];
    snprintf(zName, sizeof(zName), "options: %s found by name", pOpt->zName);
    CHECK(zName, sdbExtOptionFind(pOpt->zName) == pOpt);
    if (pOpt->eType != SDB_OPT_ROOT) {
      snprintf(zName, sizeof(zName), "options: the usage names %s once", pOpt->zName);
      CHECKF(zName, usageEntries(zUsage, pOpt->zName) == 1, "%d entries",
             usageEntries(zUsage, pOpt->zName));
    }
    if (pOpt->eType == SDB_OPT_TEXT) {
      snprintf(zName, sizeof(zName), "options: text option %s has an example", pOpt->zName);
      CHECK(zName, pOpt->zExample != 0);
    }
    if (pOpt->eType != SDB_OPT_ENUM) continue;
    snprintf(zName, sizeof(zName), "options: %s's default is its first choice", pOpt->zName);
    CHECK(zName, strcmp(pOpt->zDefault, pOpt->azChoice[0]) == 0);
  }
  sqlite3_free(zUsage);
}

/* sdb_s3_option_check, which the TEXT checks call, refuses NULL arguments. */
static void testS3OptionCheck(void) {
  SdbErr err;
  sdb_err_clear(&err);
  CHECK("options: sdb_s3_option_check(NULL option) is SDB_MISUSE",
        sdb_s3_option_check(NULL, "us-east-1", &err) == SDB_MISUSE);
  CHECK("options: sdb_s3_option_check(NULL value) is SDB_MISUSE",
        sdb_s3_option_check("region", NULL, &err) == SDB_MISUSE);
  CHECK("options: sdb_s3_option_check(NULL value, NULL error) is SDB_MISUSE",
        sdb_s3_option_check("endpoint", NULL, NULL) == SDB_MISUSE);
  CHECK("options: sdb_s3_option_check accepts a region",
        sdb_s3_option_check("region", "us-east-1", &err) == SDB_OK);
}

int main(void) {
  testS3OptionCheck();
  testTable();
  testReadme();
  return test_done();
}
