/*
** test.h: the c-tests harness. Each c-tests/t_*.c is one program. CHECK()
** records a result; every check prints "PASS <name>" or "FAIL <name>: why" so
** scripts/test.sh can count them. test_done() returns the exit status.
*/
#ifndef SDB_TEST_H
#define SDB_TEST_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tNFail = 0;
static int tNPass = 0;

#define CHECK(name, cond) do { \
  if (cond) { tNPass++; printf("PASS %s\n", (name)); } \
  else { tNFail++; printf("FAIL %s: %s (%s:%d)\n", (name), #cond, __FILE__, __LINE__); } \
} while (0)

/* Like CHECK, but with a printf-style detail on failure. */
#define CHECKF(name, cond, ...) do { \
  if (cond) { tNPass++; printf("PASS %s\n", (name)); } \
  else { tNFail++; printf("FAIL %s: ", (name)); printf(__VA_ARGS__); \
         printf(" (%s:%d)\n", __FILE__, __LINE__); } \
} while (0)

/* Directory of the source tree (for fixtures); set by scripts/test.sh. */
static inline const char *test_srcdir(void) {
  const char *z = getenv("SDB_SRCDIR");
  return z ? z : ".";
}

/* Read the whole file zPath into *pa (malloc'd; the caller frees it) and
** *pn. Returns 1 on success, 0 (and *pa NULL) if it cannot be opened or read. */
static inline int test_read_file(const char *zPath, unsigned char **pa, size_t *pn) {
  FILE *f = fopen(zPath, "rb");
  *pa = NULL;
  *pn = 0;
  if (!f) return 0;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  *pa = malloc(n > 0 ? (size_t)n : 1);
  int ok = n >= 0 && *pa && fread(*pa, 1, (size_t)n, f) == (size_t)n;
  fclose(f);
  if (ok) {
    *pn = (size_t)n;
  } else {
    free(*pa);
    *pa = NULL;
  }
  return ok;
}

static inline int test_done(void) { fflush(stdout); return tNFail ? 1 : 0; }
#endif
