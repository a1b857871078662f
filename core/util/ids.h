/*
** ids.h: identifiers and clocks shared by every layer: ULIDs, v4 UUIDs, random
** bytes, the wall clock.
** Ulid { 0 high u64, 1 low u64 }: high = top 64 bits of the 128-bit ULID.
*/
#ifndef SDB_IDS_H
#define SDB_IDS_H

#include "util/fb.h"
#include "util/fbbuild.h"

typedef struct SdbUlid {
  u64 hi;                 /* top 64 bits */
  u64 lo;                 /* bottom 64 bits */
} SdbUlid;

/* Decode a Ulid table. */
int sdbUlidFromTable(const SdbFbTable *pT, SdbUlid *pId, SdbErr *pErr);
/* 26 Crockford base32 characters + NUL into z[27]. */
void sdbUlidFormat(SdbUlid id, char z[27]);

/* A new ULID for the current time: 48 bits of Unix ms, 80 random bits. */
int sdbUlidNew(SdbUlid *pId);
/* A new random (version 4) UUID in a[16] (byte order as printed: a[0] is the
** first hex pair): sdbRandomBytes, then version 4 in the high nibble of a[6]
** and the RFC 4122 variant (10xx) in the top bits of a[8]. SDB_OK or
** SDB_IOERR. */
int sdbUuidNew(u8 a[16]);
/* Fill a[0..n) with cryptographically random bytes. SDB_OK or SDB_IOERR. */
int sdbRandomBytes(void *a, size_t n);
/* Wall-clock time in ms since the Unix epoch. */
i64 sdbNowMs(void);

/* Write a Ulid / Uuid table into f; returns its position (0 after an error,
** sticky in f). */
u32 sdbUlidWrite(SdbFbb *f, SdbUlid id);
u32 sdbUuidWrite(SdbFbb *f, const u8 a[16]);

#endif /* SDB_IDS_H */
