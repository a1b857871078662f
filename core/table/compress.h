/*
** compress.h: the five section codecs of SlateDB 0.12.1 SSTs.
**
** One codec per SST (SsTableInfo.compression_format, spec/SST.md §3) applies
** to every data block, the filter, the index and the stats section. What the
** stored bytes look like for each codec (slatedb/src/sst.rs compression and
** Cargo features at fce6ed00):
**
**   SDB_CODEC_NONE    the payload itself
**   SDB_CODEC_SNAPPY  raw snappy: varint uncompressed length, then snappy
**                     tags (no framing format, no CRC)
**   SDB_CODEC_ZLIB    an RFC 1950 zlib stream (header, deflate, adler32)
**   SDB_CODEC_LZ4     u32 LITTLE-endian uncompressed size, then one raw LZ4
**                     block (not the LZ4 frame format)
**   SDB_CODEC_ZSTD    an ordinary zstd frame (written at level 3)
**
** The section framing (compressed bytes || u32 BE CRC-32) is not handled
** here: callers check the CRC before decompressing (sst.c).
**
** Conventions of this module: decoders REPLACE the contents of their output
** buffer; encoders APPEND to theirs (so a writer can compress straight into a
** file image).
*/
#ifndef SDB_COMPRESS_H
#define SDB_COMPRESS_H

#include "table/sstinfo.h"
#include "util/sdbInt.h"

/* Default bound on the size of one decompressed section: a guard against
** decompression bombs. SlateDB blocks are at most a few MiB (one row larger
** than the block size); indexes and filters of a 256 MiB SST stay far below. */
#define SDB_DECOMPRESS_MAX ((size_t)256 << 20)

/*
** Decompress n bytes at a, stored with codec eCodec (SDB_CODEC_*), into pOut
** (its previous contents are replaced; pOut keeps ownership of its memory).
** Output larger than SDB_DECOMPRESS_MAX is refused.
**
** Returns SDB_OK; SDB_CORRUPT for invalid or over-long input (including a
** size prefix that disagrees with the data); SDB_UNSUPPORTED for an unknown
** codec number; SDB_NOMEM.
*/
int sdbDecompress(int eCodec, const u8 *a, size_t n, SdbBuf *pOut, SdbErr *pErr);

/* As sdbDecompress with an explicit output bound nMax (bytes). */
int sdbDecompressLimit(int eCodec, const u8 *a, size_t n, size_t nMax, SdbBuf *pOut,
                       SdbErr *pErr);

/*
** Compress n bytes at a with codec eCodec and APPEND the stored form to pOut:
** what SlateDB 0.12.1 writes (raw snappy; zlib at the default level; lz4 with
** its u32 LE size prefix; zstd level 3). SDB_CODEC_NONE appends a copy.
** Returns SDB_OK, SDB_NOMEM, SDB_UNSUPPORTED (unknown codec), or SDB_ERROR if a
** library fails or the input is too large for the codec (lz4: < 2 GiB).
*/
int sdbCompress(int eCodec, const u8 *a, size_t n, SdbBuf *pOut, SdbErr *pErr);

/* "none", "snappy", "zlib", "lz4", "zstd", or "unknown". */
const char *sdbCodecName(int eCodec);

#endif /* SDB_COMPRESS_H */
