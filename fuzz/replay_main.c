/*
** replay_main.c: run a libFuzzer target (linked with it) over every file named
** on the command line, or every regular file in a named directory, without
** libFuzzer. `make test` uses it as a regression run over fuzz/corpus/<name>/.
** Prints one PASS line with the number of inputs (or FAIL when there were
** none or a file could not be read); a crash fails the run by itself.
*/
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int gnRun = 0, gnErr = 0;

static void runFile(const char *zPath) {
  FILE *f = fopen(zPath, "rb");
  if (!f) {
    printf("# cannot open %s\n", zPath);
    gnErr++;
    return;
  }
  size_t nAlloc = 4096, n = 0, got;
  uint8_t *a = malloc(nAlloc);
  while (a && (got = fread(a + n, 1, nAlloc - n, f)) > 0) {
    n += got;
    if (n == nAlloc) {
      uint8_t *aNew = realloc(a, nAlloc * 2);
      if (!aNew) { free(a); a = NULL; break; }
      a = aNew;
      nAlloc *= 2;
    }
  }
  fclose(f);
  if (!a) {
    gnErr++;
    return;
  }
  /* Copy to an exact-size buffer so ASan catches reads past the end. */
  uint8_t *exact = malloc(n ? n : 1);
  if (exact) {
    memcpy(exact, a, n);
    LLVMFuzzerTestOneInput(exact, n);
    gnRun++;
  } else {
    gnErr++;
  }
  free(exact);
  free(a);
}

static int cmpStr(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static void runPath(const char *zPath) {
  struct stat st;
  if (stat(zPath, &st) != 0) {
    printf("# missing %s\n", zPath);
    gnErr++;
    return;
  }
  if (!S_ISDIR(st.st_mode)) {
    runFile(zPath);
    return;
  }
  DIR *d = opendir(zPath);
  if (!d) {
    gnErr++;
    return;
  }
  char **az = NULL;
  int nz = 0;
  struct dirent *de;
  while ((de = readdir(d))) {
    if (de->d_name[0] == '.') continue;
    char **azNew = realloc(az, sizeof(char *) * (size_t)(nz + 1));
    if (!azNew) break;
    az = azNew;
    size_t nLen = strlen(zPath) + strlen(de->d_name) + 2;
    az[nz] = malloc(nLen);
    snprintf(az[nz], nLen, "%s/%s", zPath, de->d_name);
    nz++;
  }
  closedir(d);
  qsort(az, (size_t)nz, sizeof(char *), cmpStr);
  for (int i = 0; i < nz; i++) {
    struct stat s2;
    if (stat(az[i], &s2) == 0 && S_ISREG(s2.st_mode)) runFile(az[i]);
    free(az[i]);
  }
  free(az);
}

int main(int argc, char **argv) {
  const char *zName = strrchr(argv[0], '/');
  zName = zName ? zName + 1 : argv[0];
  for (int i = 1; i < argc; i++) runPath(argv[i]);
  if (gnRun == 0 || gnErr) {
    printf("FAIL fuzz-replay %s: %d inputs run, %d unreadable\n", zName, gnRun, gnErr);
    return 1;
  }
  printf("PASS fuzz-replay %s: %d inputs\n", zName, gnRun);
  return 0;
}
