/*
** bloom.h: the bloom filter of compacted SSTs (spec/SST.md §7;
** slatedb/src/filter.rs at fce6ed00).
**
** Legacy filter payload (what 0.12.1 writes; the section after CRC check and
** decompression):
**
**   u16 BE num_probes | bit array (ceil(nKeys * bitsPerKey / 8) bytes)
**
** Composite payload (filter_format = 1, written by 0.13+ only):
**
**   u16 BE num_filters, then num_filters times:
**     u16 BE name_len | name | u64 BE data_len | data
**   The bloom filter is the entry named "_bf"; its data is a legacy payload.
**
** Hash: SipHash-1-3 with both keys zero over the raw key bytes. Probes use
** "enhanced double hashing" over m = 8 * (bit array bytes) bits; bit b is
** byte b/8, mask 1 << (b%8).
*/
#ifndef SDB_BLOOM_H
#define SDB_BLOOM_H

#include "util/sdbInt.h"

/* SipHash-1-3 of a[0..n) with k0 = k1 = 0 (Rust siphasher SipHasher13::new()). */
u64 sdbSipHash13(const u8 *a, size_t n);

/* The probe bit positions for hash h: writes nProbes values to aOut (the
** sequence the builder and the lookups use; t_format checks it against the
** spec §7.3 vector). REQUIRES: m > 0. */
void sdbBloomProbes(u64 h, u32 nProbes, u64 m, u64 *aOut);

/*
** True (1) if the legacy filter payload p[0..n) may contain key, 0 if the key
** is certainly absent. A payload whose bit array is empty, or that is too
** short to hold num_probes, answers 1 ("may contain"): never a division by
** zero, never a read outside p[0..n). Callers validate payloads with
** sdbBloomCheck when they load them.
*/
int sdbBloomMayContain(const u8 *p, size_t n, const u8 *key, size_t nKey);
/* The same with the key's hash precomputed (sdbSipHash13), so one lookup can
** probe the filters of many SSTs with one hash. */
int sdbBloomMayContainHash(const u8 *p, size_t n, u64 h);

/* SDB_OK if p[0..n) is a usable legacy payload (at least the 2-byte header),
** else SDB_CORRUPT. */
int sdbBloomCheck(const u8 *p, size_t n, SdbErr *pErr);

/*
** Find the "_bf" entry of a composite filter payload p[0..n). On success
** *ppBloom and *pnBloom point into p at the legacy bloom payload, or are NULL/0 if
** the composite holds no bloom filter (then every key "may be present").
** Returns SDB_OK or SDB_CORRUPT (entries that overrun the payload).
*/
int sdbBloomFromComposite(const u8 *p, size_t n, const u8 **ppBloom, size_t *pnBloom,
                          SdbErr *pErr);

/*
** Build a legacy filter payload over nHash keys, given their SipHash-1-3
** hashes (a writer hashes as it adds rows), and APPEND it to pOut:
** num_probes = (u16)((float)bitsPerKey * 0.69f), ceil(nHash*bitsPerKey/8)
** bytes of bits. A key listed twice counts twice (as in SlateDB).
** REQUIRES: nHash > 0 and bitsPerKey > 0 (a zero-bit filter must never be
** written; SDB_MISUSE otherwise). Returns SDB_OK, SDB_NOMEM or SDB_MISUSE.
*/
int sdbBloomBuildHashes(const u64 *aHash, size_t nHash, u32 bitsPerKey, SdbBuf *pOut,
                        SdbErr *pErr);

#endif /* SDB_BLOOM_H */
