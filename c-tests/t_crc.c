/*
** t_crc.c: each path of sdbCrc32 (core/util/crc32.c) against zlib's crc32_z
** for every length 0..5000 at every alignment 0..63 of the input:
** - sdbCrc32 itself (the path this CPU picks);
** - the 128-bit PCLMULQDQ folding forced (the path of CPUs without
**   AVX-512/VPCLMULQDQ, which this machine may not otherwise take for
**   inputs of 256 bytes or more);
** - the 512-bit VPCLMULQDQ folding forced (SKIP where the CPU lacks it);
** - zlib's own path (other architectures, CPUs without PCLMUL).
** The file is included, not linked: its paths are static functions
** (libsdbcore.a's crc32.o is then not pulled in).
*/
#include "util/crc32.c"

#include "test.h"

#define NMAX 5000
#define NALIGN 64

/* Mismatches of xCrc (NULL: sdbCrc32) against zlib over every length from
** nMin and alignment; a folding path takes the 16-byte multiple and zlib
** finishes the tail, as sdbCrc32 does. */
static long crcMismatches(const u8 *aBuf, size_t nMin, u32 (*xCrc)(u32, const u8 *, size_t)) {
  long nBad = 0;
  for (size_t n = nMin; n <= NMAX; n++) {
    for (int off = 0; off < NALIGN; off++) {
      const u8 *a = aBuf + off;
      u32 want = (u32)crc32_z(0, a, (z_size_t)n), got;
      if (!xCrc) {
        got = sdbCrc32(a, n);
      } else {
        size_t nBody = n & ~(size_t)15;
        got = crcZlib(xCrc(0, a, nBody), a + nBody, n - nBody);
      }
      if (got != want) nBad++;
    }
  }
  return nBad;
}

#if defined(__x86_64__)
static u32 crcFallback(u32 crc, const u8 *a, size_t n) { return crcZlib(crc, a, n); }
#endif

int main(void) {
  u8 *aBuf = malloc(NMAX + NALIGN);
  u64 x = 0x9e3779b97f4a7c15ull;
  for (size_t i = 0; aBuf && i < NMAX + NALIGN; i++) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    aBuf[i] = (u8)x;
  }
  CHECK("crc: buffer", aBuf != NULL);
  if (!aBuf) return test_done();
  long n = crcMismatches(aBuf, 0, NULL);
  CHECKF("crc: sdbCrc32 equals zlib for lengths 0..5000 x alignments 0..63", n == 0,
         "%ld mismatches", n);
#if defined(__x86_64__)
  int eHave = crcHavePclmul();
  printf("# this CPU: %s\n", eHave == 2 ? "AVX-512 VPCLMULQDQ" : eHave ? "PCLMULQDQ" : "neither");
  n = crcMismatches(aBuf, 0, crcFallback);
  CHECKF("crc: zlib path (no PCLMUL) equals zlib", n == 0, "%ld mismatches", n);
  if (eHave >= 1) {
    n = crcMismatches(aBuf, 64, crcPclmul);
    CHECKF("crc: 128-bit PCLMULQDQ folding forced, lengths 64..5000 x alignments 0..63, equals zlib",
           n == 0, "%ld mismatches", n);
  } else {
    printf("SKIP crc: 128-bit PCLMULQDQ folding: this CPU lacks PCLMULQDQ or SSE4.1\n");
  }
#ifdef CRC_VPCLMUL
  if (eHave == 2) {
    n = crcMismatches(aBuf, 256, crcVpclmul);
    CHECKF("crc: 512-bit VPCLMULQDQ folding forced, lengths 256..5000 x alignments 0..63, equals "
           "zlib", n == 0, "%ld mismatches", n);
  } else {
    printf("SKIP crc: 512-bit VPCLMULQDQ folding: this CPU lacks AVX-512F or VPCLMULQDQ\n");
  }
#else
  printf("SKIP crc: 512-bit VPCLMULQDQ folding: not built by this compiler\n");
#endif
#else
  printf("SKIP crc: folding paths: not x86-64\n");
#endif
  free(aBuf);
  return test_done();
}
