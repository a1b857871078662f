/*
** sdbInt.h: the one internal header every core/ file includes.
**
** It holds fixed-width integer types, the allocator shim, the growable byte
** buffer SdbBuf, big/little-endian load/store helpers, varints and the error
** helpers. Nothing here knows about SQLite.
*/
#ifndef SDB_INT_H
#define SDB_INT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "slatedb.h"

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int64_t i64;

#define SDB_ARRAY_SIZE(a) ((int)(sizeof(a) / sizeof((a)[0])))
#define SDB_MIN(a, b) ((a) < (b) ? (a) : (b))
#define SDB_MAX(a, b) ((a) > (b) ? (a) : (b))

/* ------------------------------------------------------------ allocation */
/* All core allocations go through these. sdbFree(NULL) is a no-op. */
void *sdbMalloc(size_t n);
void *sdbMallocZero(size_t n);
void *sdbRealloc(void *p, size_t n);
void sdbFree(void *p);
/* Returns a sdbMalloc'd copy (caller frees), NULL on OOM. */
char *sdbStrdup(const char *z);
void *sdbMemdup(const void *p, size_t n);
/* printf into a new sdbMalloc'd string (caller frees), NULL on OOM. */
char *sdbMprintf(const char *zFmt, ...) __attribute__((format(printf, 1, 2)));

/* ------------------------------------------------------------ errors */
/* Record rc and a formatted message in pErr (NULL-safe). Returns rc.
** A later call overwrites an earlier one. */
int sdbErrSet(SdbErr *pErr, int rc, const char *zFmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Prefix the message already in pErr with context ("reading wal/..: ").
** NULL-safe. Returns nothing on purpose: callers keep their own rc. */
void sdbErrWrap(SdbErr *pErr, const char *zFmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Corruption: one function so a debugger breakpoint catches the first
** detection (as lsm's LSM_CORRUPT_BKPT). Returns SDB_CORRUPT. */
int sdbCorrupt(SdbErr *pErr, const char *zFmt, ...)
    __attribute__((format(printf, 2, 3)));
#define SDB_NOMEM_ERR(pErr) sdbErrSet((pErr), SDB_NOMEM, "out of memory")

/* ------------------------------------------------------------ SdbBuf */
/* A growable byte buffer. Zero-initialise to use; sdbBufFree releases a[]. */
typedef struct SdbBuf {
  u8 *a;          /* bytes, sdbMalloc'd; owned by the buffer */
  size_t n;       /* bytes in use */
  size_t nAlloc;  /* bytes allocated */
} SdbBuf;
int sdbBufReserve(SdbBuf *p, size_t nExtra);            /* SDB_OK / SDB_NOMEM */
int sdbBufAppend(SdbBuf *p, const void *a, size_t n);   /* SDB_OK / SDB_NOMEM */
int sdbBufSet(SdbBuf *p, const void *a, size_t n);      /* replace contents */
void sdbBufFree(SdbBuf *p);
/* Detach: returns a[] (caller owns it) and resets the buffer. */
u8 *sdbBufDetach(SdbBuf *p);

/* ------------------------------------------------------------ coding */
static inline u16 sdbGetU16BE(const u8 *p) { return (u16)((p[0] << 8) | p[1]); }
static inline u32 sdbGetU32BE(const u8 *p) {
  return ((u32)p[0] << 24) | ((u32)p[1] << 16) | ((u32)p[2] << 8) | p[3];
}
static inline u64 sdbGetU64BE(const u8 *p) {
  return ((u64)sdbGetU32BE(p) << 32) | sdbGetU32BE(p + 4);
}
static inline u16 sdbGetU16LE(const u8 *p) { return (u16)(p[0] | (p[1] << 8)); }
static inline u32 sdbGetU32LE(const u8 *p) {
  return p[0] | ((u32)p[1] << 8) | ((u32)p[2] << 16) | ((u32)p[3] << 24);
}
static inline u64 sdbGetU64LE(const u8 *p) {
  return sdbGetU32LE(p) | ((u64)sdbGetU32LE(p + 4) << 32);
}
static inline void sdbPutU16BE(u8 *p, u16 v) { p[0] = (u8)(v >> 8); p[1] = (u8)v; }
static inline void sdbPutU32BE(u8 *p, u32 v) {
  p[0] = (u8)(v >> 24); p[1] = (u8)(v >> 16); p[2] = (u8)(v >> 8); p[3] = (u8)v;
}
static inline void sdbPutU64BE(u8 *p, u64 v) {
  sdbPutU32BE(p, (u32)(v >> 32)); sdbPutU32BE(p + 4, (u32)v);
}
static inline void sdbPutU16LE(u8 *p, u16 v) { p[0] = (u8)v; p[1] = (u8)(v >> 8); }
static inline void sdbPutU32LE(u8 *p, u32 v) {
  p[0] = (u8)v; p[1] = (u8)(v >> 8); p[2] = (u8)(v >> 16); p[3] = (u8)(v >> 24);
}
static inline void sdbPutU64LE(u8 *p, u64 v) {
  sdbPutU32LE(p, (u32)v); sdbPutU32LE(p + 4, (u32)(v >> 32));
}

/* Unsigned LEB128, at most 5 bytes. Reads from [p, pEnd). Returns the number
** of bytes consumed, or 0 if the varint is truncated or longer than 5 bytes. */
int sdbGetVarint32(const u8 *p, const u8 *pEnd, u32 *pV);
/* Writes v to p (room for 5 bytes); returns bytes written. */
int sdbPutVarint32(u8 *p, u32 v);

/* CRC-32 (IEEE, as zlib's crc32() and Rust's crc32fast). */
u32 sdbCrc32(const u8 *a, size_t n);

/*
** Open shared library zSoname (RTLD_NOW | RTLD_LOCAL; never closed: its code
** is used for the process's life) and resolve azSym[0..nSym) into apFn[0..
** nSym). 1 on success; 0 with the reason in zWhy[0..nWhy) ("cannot load X:
** ..." or "X lacks f"). For libraries loaded on first use (libcurl,
** libcrypto, libsnappy), each behind its own pthread_once.
*/
int sdbLibLoad(const char *zSoname, const char *const *azSym, int nSym, void **apFn, char *zWhy,
               size_t nWhy);

/* memcmp order with shorter-prefix-first, as SlateDB orders keys. */
int sdbKeyCmp(const u8 *a, size_t na, const u8 *b, size_t nb);
/* True if keys a and b are equal: sdbKeyCmp(...) == 0, but keys of different
** lengths, or (the usual case for neighbouring keys of a scan) with different
** last bytes, are told apart without a call. */
static inline int sdbKeyEq(const u8 *a, size_t na, const u8 *b, size_t nb) {
  if (na != nb) return 0;
  if (na == 0 || a == b) return 1;
  if (a[na - 1] != b[na - 1]) return 0;
  return memcmp(a, b, na) == 0;
}

/* Hex of a key for messages: writes at most nOut-1 chars, "..." if cut. */
void sdbHexForMsg(const u8 *a, size_t n, char *zOut, size_t nOut);
/* Value of hex digit c, or -1. */
int sdbHexValue(char c);
/* z[0..n) with its valid %XX escapes decoded (other '%' kept) as a new
** sdbMalloc'd string (caller frees). NULL on OOM, or with *pbBad set when an
** escape decodes to a NUL byte. */
char *sdbUrlDecode(const char *z, size_t n, int *pbBad);

/* ------------------------------------------------------------ cost */

/* The record the calling thread's work is charged to (sdb_cost_attach), or
** NULL. */
SdbCost *sdbCostSink(void);
/* Add every field of *p to the calling thread's cost record, if it has one
** (work counted apart, e.g. by a thread no statement may outlive, charged to
** the thread that takes it over). */
void sdbCostAddToSink(const SdbCost *p);
/* Add v to field f of the calling thread's cost record, if it has one. */
#define SDB_COST_ADD(f, v)                                              \
  do {                                                                  \
    SdbCost *pCost_ = sdbCostSink();                                    \
    if (pCost_) __atomic_add_fetch(&pCost_->f, (v), __ATOMIC_RELAXED);  \
  } while (0)

#endif /* SDB_INT_H */
