/*
** ids.c: identifiers and clocks: ULIDs (decode, text form, write, new), random
** v4 UUIDs, random bytes and the wall clock.
** Ulid and Uuid tables: { 0 high u64, 1 low u64 } (spec/MANIFEST.md §1).
*/
#include <sys/random.h>
#include <time.h>

#include "util/ids.h"

int sdbUlidFromTable(const SdbFbTable *pT, SdbUlid *pId, SdbErr *pErr) {
  int rc = sdbFbU64(pT, 0, 0, &pId->hi, pErr);
  if (rc == SDB_OK) rc = sdbFbU64(pT, 1, 0, &pId->lo, pErr);
  return rc;
}

static const char kCrockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/* 128 bits = 2 bits of padding + 26 groups of 5 bits, most significant first. */
void sdbUlidFormat(SdbUlid id, char z[27]) {
  for (int i = 25; i >= 0; i--) {
    z[i] = kCrockford[id.lo & 31];
    id.lo = (id.lo >> 5) | (id.hi << 59);
    id.hi >>= 5;
  }
  z[26] = 0;
}

int sdbRandomBytes(void *a, size_t n) {
  u8 *p = a;
  while (n > 0) {
    ssize_t got = getrandom(p, n, 0);
    if (got < 0) return SDB_IOERR;
    p += got;
    n -= (size_t)got;
  }
  return SDB_OK;
}

int sdbUuidNew(u8 a[16]) {
  if (sdbRandomBytes(a, 16)) return SDB_IOERR;
  a[6] = (u8)((a[6] & 0x0f) | 0x40);   /* version 4 */
  a[8] = (u8)((a[8] & 0x3f) | 0x80);   /* variant 10xx (RFC 4122) */
  return SDB_OK;
}

i64 sdbNowMs(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (i64)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int sdbUlidNew(SdbUlid *pId) {
  u8 r[10];
  if (sdbRandomBytes(r, sizeof(r))) return SDB_IOERR;
  u64 ms = (u64)sdbNowMs() & 0xffffffffffffull;
  pId->hi = (ms << 16) | ((u64)r[0] << 8) | r[1];
  pId->lo = sdbGetU64BE(r + 2);
  return SDB_OK;
}

/* Add a u64 field unless it is the default 0. */
static void addU64(SdbFbbTable *t, int id, u64 v) { if (v) sdbFbbAddU64(t, id, v); }

/* Write a two-u64 table (Ulid or Uuid). Returns its position. */
static u32 writeHiLo(SdbFbb *f, u64 hi, u64 lo) {
  SdbFbbTable t;
  sdbFbbTableInit(&t);
  addU64(&t, 0, hi);
  addU64(&t, 1, lo);
  return sdbFbbTableWrite(f, &t);
}

u32 sdbUlidWrite(SdbFbb *f, SdbUlid id) { return writeHiLo(f, id.hi, id.lo); }

u32 sdbUuidWrite(SdbFbb *f, const u8 a[16]) {
  return writeHiLo(f, sdbGetU64BE(a), sdbGetU64BE(a + 8));
}
