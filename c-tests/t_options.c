/*
** t_options.c: the table of CREATE options (ext/options.c) against itself and
** against README.md's option table (the one whose header is
** "| option | values (default) | applies to |"):
**
**   - the same options in the same order, none missing on either side;
**   - the same default: the first `...` that follows "(" in the values column
**     (an option without a default has none; the root's row says Required);
**   - the same mode: both, writer, reader, or s3:// for s3://-only options;
**   - the same choices for enumerations and booleans (the `a` \| `b` list
**     before the default), and the type's word for sizes and durations, the
**     range for integers;
**   - every default parses, an enumeration's default is its first choice, and
**     the usage text names every option.
**
** So adding an option without documenting it, or changing a default, mode or
** choice on one side only, fails here.
*/
#define SQLITE_CORE 1
#include "../ext/options.c"

#include <stdio.h>

#include "test.h"

#define MAX_ROWS 64

/* One row of README's option table: its cells, trimmed (pointers into a
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

/* Read README's option table into aRow. Returns the number of rows, or -1. */
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
    char *azCell[3];
    if (splitCells(zLine, azCell, 3) != 3) return -1;
    aRow[n].zName = rowName(azCell[0]);
    aRow[n].zValues = azCell[1];
    aRow[n].zMode = azCell[2];
    if (!aRow[n].zName) return -1;
    n++;
  }
  return n;
}

/* The mode column the README should show for pOpt. */
static const char *expectedMode(const SdbExtOption *pOpt) {
  if (pOpt->flags & SDB_OPTF_S3) return "s3://";
  if (pOpt->eMode == SDB_OPTM_WRITER) return "writer";
  if (pOpt->eMode == SDB_OPTM_READER) return "reader";
  return "both";
}

/* The README's default in a values column: the text of the first `...` that
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

/* True if the values column names pOpt's type (and range, for integers). */
static int sameType(const SdbExtOption *pOpt, const char *zValues) {
  char zRange[64];
  switch (pOpt->eType) {
    case SDB_OPT_DURATION: return strncmp(zValues, "duration", 8) == 0;
    case SDB_OPT_SIZE:
      return (pOpt->flags & SDB_OPTF_POW2) ? strstr(zValues, "powers of two") != 0
                                           : strncmp(zValues, "size", 4) == 0;
    case SDB_OPT_INT:
      if (pOpt->iMax == 0xffffffffu) {
        snprintf(zRange, sizeof(zRange), "≥ %llu (", (unsigned long long)pOpt->iMin);
      } else {
        snprintf(zRange, sizeof(zRange), "%llu … %llu (", (unsigned long long)pOpt->iMin,
                 (unsigned long long)pOpt->iMax);
      }
      return strncmp(zValues, zRange, strlen(zRange)) == 0;
    case SDB_OPT_ENUM:
    case SDB_OPT_BOOL: return sameChoices(pOpt, zValues);
    default: return 1;
  }
}

/* One README row against one table row. */
static void checkRow(const Row *pRow, const SdbExtOption *pOpt) {
  char zName[96], zDefault[96];
  snprintf(zName, sizeof(zName), "options: README row %s is the table's %s", pRow->zName,
           pOpt->zName);
  CHECK(zName, strcmp(pRow->zName, pOpt->zName) == 0);
  snprintf(zName, sizeof(zName), "options: %s applies to %s", pOpt->zName, expectedMode(pOpt));
  CHECKF(zName, strcmp(pRow->zMode, expectedMode(pOpt)) == 0, "README says '%s'", pRow->zMode);
  snprintf(zName, sizeof(zName), "options: %s's default", pOpt->zName);
  if (pOpt->eType == SDB_OPT_ROOT) {
    CHECK(zName, strstr(pRow->zValues, "**Required.**") != 0);
  } else {
    int bHas = readmeDefault(pRow->zValues, zDefault, sizeof(zDefault));
    CHECKF(zName, pOpt->zDefault ? (bHas && strcmp(zDefault, pOpt->zDefault) == 0) : !bHas,
           "README says %s, the table %s", bHas ? zDefault : "none",
           pOpt->zDefault ? pOpt->zDefault : "none");
  }
  snprintf(zName, sizeof(zName), "options: %s's type", pOpt->zName);
  CHECKF(zName, sameType(pOpt, pRow->zValues), "README says: %.80s", pRow->zValues);
}

/* The table against README.md. */
static void testReadme(void) {
  char zPath[1024];
  unsigned char *a = 0;
  size_t n = 0;
  Row aRow[MAX_ROWS];
  snprintf(zPath, sizeof(zPath), "%s/README.md", test_srcdir());
  int bRead = test_read_file(zPath, &a, &n);
  CHECKF("options: README.md read", bRead, "cannot read %s", zPath);
  if (!bRead) return;
  char *zReadme = malloc(n + 1);
  memcpy(zReadme, a, n);
  zReadme[n] = 0;
  int nRow = readRows(zReadme, aRow);
  CHECKF("options: README has one row per option", nRow == sdbExtNOption,
         "README: %d rows, table: %d options", nRow, sdbExtNOption);
  for (int i = 0; i < nRow && i < sdbExtNOption; i++) checkRow(&aRow[i], &sdbExtOptionTable[i]);
  for (int i = nRow; i < sdbExtNOption; i++) {
    CHECKF("options: every option is documented", 0, "%s has no README row",
           sdbExtOptionTable[i].zName);
  }
  for (int i = sdbExtNOption; i < nRow; i++) {
    CHECKF("options: every README row is an option", 0, "%s is not in the table", aRow[i].zName);
  }
  free(zReadme);
  free(a);
}

/* The table against itself and what it drives. */
static void testTable(void) {
  SdbExtArgs args;
  CHECK("options: at most 64 (the parser's seen mask)", sdbExtNOption <= 64);
  CHECK("options: every default parses", sdbExtOptionDefaults(&args) == SQLITE_OK);
  char *zUsage = sdbExtOptionUsage();
  for (int i = 0; i < sdbExtNOption; i++) {
    const SdbExtOption *pOpt = &sdbExtOptionTable[i];
    char zName[96], zWant[64];
    snprintf(zName, sizeof(zName), "options: %s found by name", pOpt->zName);
    CHECK(zName, sdbExtOptionFind(pOpt->zName) == pOpt);
    snprintf(zWant, sizeof(zWant), "%s=", pOpt->zName);
    snprintf(zName, sizeof(zName), "options: the usage names %s", pOpt->zName);
    CHECK(zName, zUsage && strstr(zUsage, zWant));
    if (pOpt->eType != SDB_OPT_ENUM) continue;
    snprintf(zName, sizeof(zName), "options: %s's default is its first choice", pOpt->zName);
    CHECK(zName, strcmp(pOpt->zDefault, pOpt->azChoice[0]) == 0);
  }
  sqlite3_free(zUsage);
}

int main(void) {
  testTable();
  testReadme();
  return test_done();
}
