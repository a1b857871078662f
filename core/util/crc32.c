/*
** crc32.c: sdbCrc32(), the CRC-32 of SlateDB's block and SsTableInfo
** checksums (crc32fast in slatedb 0.12.1). It is the standard reflected
** CRC-32 of IEEE 802.3 / zlib: polynomial P = 0x04C11DB7 (0xEDB88320
** reflected), initial value and final xor 0xFFFFFFFF, so the result always
** equals zlib's crc32(0, a, n).
**
** On x86-64 CPUs with PCLMULQDQ and SSE4.1 the bulk of the input goes
** through a carry-less-multiply folding loop (the method of Intel's white
** paper "Fast CRC Computation for Generic Polynomials Using PCLMULQDQ
** Instruction"): four 128-bit lanes are folded forward 512 bits at a time,
** then folded into one lane, then reduced 128 -> 96 -> 64 bits and finished
** with a Barrett reduction; where the CPU also has AVX-512F and VPCLMULQDQ
** (and the input 256 bytes or more), sixteen lanes in four 512-bit
** registers are folded 2048 bits at a time first, twice as fast on a 4 KiB
** block. Inputs shorter than 64 bytes, the (< 16 byte)
** tail, other architectures and CPUs without PCLMUL use zlib's crc32_z().
**
** How the folding works (reflected bit order). A 16-byte lane loaded little
** endian has bit k standing for x^(127-k): byte 0 bit 0 is the highest
** degree, as in the CRC's own bit order. For 64-bit halves a, b,
** clmul(a, b) stands for x * a(x) * b(x) (the product is one bit short of
** 128). A constant stored as reflect32(K) << 1 stands for x^31 * K(x), so
** clmul(h, reflect32(x^e mod P) << 1) is congruent to h * x^(e+32) mod P:
** that is why each fold constant below is x^(distance -/+ 32) mod P.
** A lane (lo, hi) is the polynomial lo*x^64 + hi; moving it forward by
** D bits gives clmul(lo, k(D+32)) ^ clmul(hi, k(D-32)), which fits in 128
** bits and is added to the lane D bits later.
*/
#include <stdint.h>
#include <zlib.h>

#include "util/sdbInt.h"

/*
** zlib's crc32 of a[0..n), continuing from crc (zlib's convention: crc is
** a previous final value, 0 to start). REQUIRES: a valid for n bytes.
*/
static u32 crcZlib(u32 crc, const u8 *a, size_t n) {
  return n ? (u32)crc32_z(crc, a, (z_size_t)n) : crc;
}

#if defined(__x86_64__)
#include <immintrin.h>

#define CRC_TARGET __attribute__((target("pclmul,sse4.1")))

/*
** Constants, each the reflected 33-bit form reflect32(x^e mod P) << 1 of a
** power of x, with P = 0x104C11DB7. They were derived with a short python3
** script (polynomial mod over GF(2)) that also simulated this exact
** algorithm against zlib.crc32; they match the values in Intel's paper.
*/
#define CRC_K1 0x154442bd4ull /* x^(4*128+32) mod P: fold by 512, low half  */
#define CRC_K2 0x1c6e41596ull /* x^(4*128-32) mod P: fold by 512, high half */
#define CRC_K3 0x1751997d0ull /* x^(128+32) mod P: fold by 128, low half    */
#define CRC_K4 0x0ccaa009eull /* x^(128-32) mod P: fold by 128, high half;
                              ** also the 128 -> 96 bit reduction          */
#define CRC_K5 0x163cd6124ull /* x^64 mod P: the 96 -> 64 bit reduction     */
#define CRC_P  0x1db710641ull /* P itself, bit-reflected (33 bits)          */
#define CRC_MU 0x1f7011641ull /* floor(x^64 / P), bit-reflected (33 bits):
                              ** the Barrett constant                      */

/* 16 bytes at p, any alignment. REQUIRES: p valid for 16 bytes. */
CRC_TARGET static inline __m128i crcLoad(const u8 *p) {
  return _mm_loadu_si128((const __m128i *)p);
}

/*
** Lane x moved forward by the distance encoded in k (low qword: constant
** for x's low half, high qword: for its high half), xored with data d.
*/
CRC_TARGET static inline __m128i crcFold(__m128i x, __m128i k, __m128i d) {
  __m128i lo = _mm_clmulepi64_si128(x, k, 0x00);
  __m128i hi = _mm_clmulepi64_si128(x, k, 0x11);
  return _mm_xor_si128(_mm_xor_si128(lo, hi), d);
}

/*
** Reduce lane x (congruent to the whole message so far) to the raw 32-bit
** CRC register value: x * x^32 mod P, bit-reflected. No final xor.
*/
CRC_TARGET static u32 crcReduce(__m128i x) {
  const __m128i k45 = _mm_set_epi64x((long long)CRC_K4, (long long)CRC_K5);
  const __m128i pmu = _mm_set_epi64x((long long)CRC_MU, (long long)CRC_P);
  const __m128i mask32 = _mm_setr_epi32(-1, 0, 0, 0);
  /* 128 -> 96 bits: lo * x^96 (a 96-bit product) plus hi moved down. */
  x = _mm_xor_si128(_mm_clmulepi64_si128(x, k45, 0x10), _mm_srli_si128(x, 8));
  /* 96 -> 64 bits: the top 32 bits times x^64, plus the rest shifted. */
  __m128i t = _mm_clmulepi64_si128(_mm_and_si128(x, mask32), k45, 0x00);
  x = _mm_xor_si128(t, _mm_srli_si128(x, 4));
  /* Barrett: q = floor(hi32 * mu / x^32); remainder = x ^ q * P. */
  t = _mm_clmulepi64_si128(_mm_and_si128(x, mask32), pmu, 0x10);
  t = _mm_clmulepi64_si128(_mm_and_si128(t, mask32), pmu, 0x00);
  return (u32)_mm_extract_epi32(_mm_xor_si128(x, t), 1);
}

/*
** The folding from four lanes x0..x3 that hold the message up to a (lane k
** stands for the 16 bytes at a - 64 + 16k) through pEnd; returns the CRC
** (zlib's convention). REQUIRES: pEnd - a a multiple of 16.
*/
CRC_TARGET static u32 crcPclmulLanes(__m128i x0, __m128i x1, __m128i x2, __m128i x3,
                                     const u8 *a, const u8 *pEnd) {
  const __m128i k12 = _mm_set_epi64x((long long)CRC_K2, (long long)CRC_K1);
  const __m128i k34 = _mm_set_epi64x((long long)CRC_K4, (long long)CRC_K3);
  for (; pEnd - a >= 64; a += 64) {
    x0 = crcFold(x0, k12, crcLoad(a));
    x1 = crcFold(x1, k12, crcLoad(a + 16));
    x2 = crcFold(x2, k12, crcLoad(a + 32));
    x3 = crcFold(x3, k12, crcLoad(a + 48));
  }
  x0 = crcFold(crcFold(crcFold(x0, k34, x1), k34, x2), k34, x3);
  for (; a < pEnd; a += 16) x0 = crcFold(x0, k34, crcLoad(a));
  return ~crcReduce(x0);
}

/*
** CRC of a[0..n) continuing from crc (zlib's convention), by folding.
** REQUIRES: n >= 64, n a multiple of 16, a valid for n bytes, and a CPU with
** PCLMULQDQ and SSE4.1.
*/
CRC_TARGET static u32 crcPclmul(u32 crc, const u8 *a, size_t n) {
  /* The running CRC enters by inverting it into the first 32 message bits. */
  __m128i x0 = _mm_xor_si128(crcLoad(a), _mm_cvtsi32_si128((int)~crc));
  return crcPclmulLanes(x0, crcLoad(a + 16), crcLoad(a + 32), crcLoad(a + 48), a + 64, a + n);
}

/*
** The same with VPCLMULQDQ on 512-bit registers (AVX-512F): four registers
** of four lanes each are folded forward 2048 bits at a time (each 128-bit
** lane by the constants of that distance), then folded into one register
** 512 bits at a time, whose four lanes are x0..x3 of the loop above, which
** finishes. REQUIRES: n >= 256, n a multiple of 16, a valid for n bytes,
** and a CPU with AVX-512F and VPCLMULQDQ (and PCLMULQDQ, SSE4.1).
*/
#if defined(__clang__) ? __clang_major__ >= 8 : __GNUC__ >= 8
/* The compiler knows VPCLMULQDQ (target attribute, intrinsic, CPU feature
** name): GCC 8, clang 8; older ones build the 128-bit path only. */
#define CRC_VPCLMUL 1
#define CRC_K2048L 0x11542778aull /* x^(16*128+32) mod P: fold by 2048, low half  */
#define CRC_K2048H 0x1322d1430ull /* x^(16*128-32) mod P: fold by 2048, high half */
#define CRC_TARGET512 __attribute__((target("pclmul,sse4.1,avx512f,vpclmulqdq")))

CRC_TARGET512 static inline __m512i crcFold512(__m512i x, __m512i k, __m512i d) {
  __m512i lo = _mm512_clmulepi64_epi128(x, k, 0x00);
  __m512i hi = _mm512_clmulepi64_epi128(x, k, 0x11);
  return _mm512_ternarylogic_epi64(lo, hi, d, 0x96);   /* lo ^ hi ^ d */
}

CRC_TARGET512 static u32 crcVpclmul(u32 crc, const u8 *a, size_t n) {
  const __m512i k2048 = _mm512_set_epi64((long long)CRC_K2048H, (long long)CRC_K2048L,
                                         (long long)CRC_K2048H, (long long)CRC_K2048L,
                                         (long long)CRC_K2048H, (long long)CRC_K2048L,
                                         (long long)CRC_K2048H, (long long)CRC_K2048L);
  const __m512i k512 = _mm512_set_epi64((long long)CRC_K2, (long long)CRC_K1,
                                        (long long)CRC_K2, (long long)CRC_K1,
                                        (long long)CRC_K2, (long long)CRC_K1,
                                        (long long)CRC_K2, (long long)CRC_K1);
  const u8 *pEnd = a + n;
  /* _mm512_inserti32x4 into zeros rather than _mm512_zextsi128_si512,
  ** which the headers of GCC before 10 lack (GCC bug 83250). */
  __m512i z0 = _mm512_xor_si512(_mm512_loadu_si512(a),
                                _mm512_inserti32x4(_mm512_setzero_si512(),
                                                   _mm_cvtsi32_si128((int)~crc), 0));
  __m512i z1 = _mm512_loadu_si512(a + 64), z2 = _mm512_loadu_si512(a + 128);
  __m512i z3 = _mm512_loadu_si512(a + 192);
  for (a += 256; pEnd - a >= 256; a += 256) {
    z0 = crcFold512(z0, k2048, _mm512_loadu_si512(a));
    z1 = crcFold512(z1, k2048, _mm512_loadu_si512(a + 64));
    z2 = crcFold512(z2, k2048, _mm512_loadu_si512(a + 128));
    z3 = crcFold512(z3, k2048, _mm512_loadu_si512(a + 192));
  }
  z3 = crcFold512(crcFold512(crcFold512(z0, k512, z1), k512, z2), k512, z3);
  return crcPclmulLanes(_mm512_extracti32x4_epi32(z3, 0), _mm512_extracti32x4_epi32(z3, 1),
                        _mm512_extracti32x4_epi32(z3, 2), _mm512_extracti32x4_epi32(z3, 3), a,
                        pEnd);
}
#endif /* CRC_VPCLMUL */

/*
** 2 if this CPU also has AVX-512F and VPCLMULQDQ, 1 if it has PCLMULQDQ
** and SSE4.1, else 0. Detected once; concurrent first
** calls compute the same answer, so the relaxed race is harmless.
*/
static int crcHavePclmul(void) {
  static int iHave = -1; /* -1 unknown, 0 no, 1 yes */
  int b = __atomic_load_n(&iHave, __ATOMIC_RELAXED);
  if (b < 0) {
    __builtin_cpu_init();
    b = __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse4.1");
#ifdef CRC_VPCLMUL
    if (b && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("vpclmulqdq")) b = 2;
#endif
    __atomic_store_n(&iHave, b, __ATOMIC_RELAXED);
  }
  return b;
}
#endif /* __x86_64__ */

/*
** CRC-32 of a[0..n) (IEEE, equal to zlib's crc32(0, a, n)). REQUIRES: a
** valid for n bytes (a may be NULL when n is 0). Any alignment.
*/
u32 sdbCrc32(const u8 *a, size_t n) {
#if defined(__x86_64__)
  int eHave = n >= 64 ? crcHavePclmul() : 0;
  if (eHave) {
    size_t nBody = n & ~(size_t)15;
#ifdef CRC_VPCLMUL
    u32 crc = eHave == 2 && nBody >= 256 ? crcVpclmul(0, a, nBody) : crcPclmul(0, a, nBody);
#else
    u32 crc = crcPclmul(0, a, nBody);
#endif
    return crcZlib(crc, a + nBody, n - nBody);
  }
#endif
  return crcZlib(0, a, n);
}
