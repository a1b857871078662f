/*
** compress.c: the SST section codecs (see compress.h for the stored forms).
**
** Byte layouts, in this project's words (spec/SST.md §3; SlateDB 0.12.1 =
** commit fce6ed00, slatedb/src/sst.rs, which uses the snap, flate2, lz4_flex
** and zstd crates):
**   snappy  varint32 uncompressed length, then raw snappy tags. libsnappy's
**           snappy_compress/snappy_uncompress produce and accept exactly this.
**   zlib    2-byte zlib header, deflate data, 4-byte adler32 (flate2
**           ZlibEncoder at the default level, 6).
**   lz4     4 bytes: the uncompressed size as u32 LE; then one LZ4 block
**           (lz4_flex::block::compress_prepend_size). The block must expand
**           to exactly that size.
**   zstd    one zstd frame, normally with its content size (zstd::bulk).
**
** Every decoder bounds its output (nMax) before allocating, so a forged size
** prefix or a decompression bomb yields SDB_CORRUPT instead of an allocation of
** gigabytes.
*/
#include <limits.h>
#include <lz4.h>
#include <pthread.h>
#include <snappy-c.h>
#include <stdio.h>
#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "table/compress.h"

const char *sdbCodecName(int eCodec) {
  switch (eCodec) {
    case SDB_CODEC_NONE: return "none";
    case SDB_CODEC_SNAPPY: return "snappy";
    case SDB_CODEC_ZLIB: return "zlib";
    case SDB_CODEC_LZ4: return "lz4";
    case SDB_CODEC_ZSTD: return "zstd";
  }
  return "unknown";
}

static int tooBig(SdbErr *pErr, int eCodec, u64 nWant, size_t nMax) {
  return sdbCorrupt(pErr, "%s: decompressed size %llu exceeds the limit of %llu bytes",
                    sdbCodecName(eCodec), (unsigned long long)nWant, (unsigned long long)nMax);
}

/* ------------------------------------------------------------ libsnappy */

/* libsnappy is loaded (dlopen) when a snappy section is first met, not linked:
** it pulls in the C++ runtime, which cost every new process that never reads
** or writes snappy about 1.5 ms to load. */
typedef struct SnappyApi {
  snappy_status (*compress)(const char *, size_t, char *, size_t *);
  snappy_status (*uncompress)(const char *, size_t, char *, size_t *);
  size_t (*max_compressed_length)(size_t);
  snappy_status (*uncompressed_length)(const char *, size_t, size_t *);
} SnappyApi;

static SnappyApi snappyApi;                 /* filled once by snappyLoadOnce */
static pthread_once_t snappyOnce = PTHREAD_ONCE_INIT;
static char zSnappyWhy[200];                /* why loading failed; "" once loaded */

/* pthread_once body: dlopen libsnappy.so.1 (kept for the process's life) and
** resolve its C API into snappyApi, or set zSnappyWhy. */
static void snappyLoadOnce(void) {
  static const char *const azSym[] = {"snappy_compress", "snappy_uncompress",
                                      "snappy_max_compressed_length", "snappy_uncompressed_length"};
  SnappyApi api;
  _Static_assert(sizeof(api) == 4 * sizeof(void *), "SnappyApi and azSym differ");
  if (sdbLibLoad("libsnappy.so.1", azSym, 4, (void **)&api, zSnappyWhy, sizeof(zSnappyWhy))) {
    snappyApi = api;
  }
}

/* Load libsnappy once per process: SDB_OK, or SDB_CANTOPEN saying why. */
static int snappyLoad(SdbErr *pErr) {
  pthread_once(&snappyOnce, snappyLoadOnce);
  if (zSnappyWhy[0]) return sdbErrSet(pErr, SDB_CANTOPEN, "a snappy section needs libsnappy: %s", zSnappyWhy);
  return SDB_OK;
}

/* ------------------------------------------------------------ decoders */
static int snappyDecode(const u8 *a, size_t n, size_t nMax, SdbBuf *pOut, SdbErr *pErr) {
  size_t nOut = 0;
  int rc = snappyLoad(pErr);
  if (rc) return rc;
  if (snappyApi.uncompressed_length((const char *)a, n, &nOut) != SNAPPY_OK) {
    return sdbCorrupt(pErr, "snappy: bad length header");
  }
  if (nOut > nMax) return tooBig(pErr, SDB_CODEC_SNAPPY, nOut, nMax);
  if (sdbBufReserve(pOut, nOut)) return SDB_NOMEM_ERR(pErr);
  size_t nGot = nOut;
  if (snappyApi.uncompress((const char *)a, n, (char *)pOut->a, &nGot) != SNAPPY_OK ||
      nGot != nOut) {
    return sdbCorrupt(pErr, "snappy: invalid compressed data");
  }
  pOut->n = nOut;
  return SDB_OK;
}

static int zlibDecode(const u8 *a, size_t n, size_t nMax, SdbBuf *pOut, SdbErr *pErr) {
  z_stream zs;
  memset(&zs, 0, sizeof(zs));
  if (inflateInit(&zs) != Z_OK) return SDB_NOMEM_ERR(pErr);
  int rc = SDB_OK;
  size_t nIn = n;
  const u8 *pIn = a;
  size_t nGuess = n < (SIZE_MAX / 4) ? n * 4 : n;
  if (nGuess < 4096) nGuess = 4096;
  if (nGuess > nMax) nGuess = nMax;
  for (;;) {
    if (pOut->n == pOut->nAlloc && pOut->n < nMax) {
      size_t nMore = pOut->n ? pOut->n : nGuess;
      if (nMore > nMax - pOut->n) nMore = nMax - pOut->n;
      if (sdbBufReserve(pOut, nMore)) {
        rc = SDB_NOMEM_ERR(pErr);
        break;
      }
    }
    if (zs.avail_in == 0 && nIn > 0) {
      uInt chunk = nIn > (size_t)UINT_MAX ? UINT_MAX : (uInt)nIn;
      zs.next_in = (Bytef *)pIn;
      zs.avail_in = chunk;
      pIn += chunk;
      nIn -= chunk;
    }
    size_t nRoom = pOut->nAlloc - pOut->n;
    if (nRoom > nMax - pOut->n) nRoom = nMax - pOut->n;
    uInt room = nRoom > (size_t)UINT_MAX ? UINT_MAX : (uInt)nRoom;
    if (room == 0) {
      /* At the limit: any further output is a bomb. Probe with 1 byte. */
      u8 probe;
      zs.next_out = &probe;
      zs.avail_out = 1;
      int zrc = inflate(&zs, Z_NO_FLUSH);
      if (zrc == Z_STREAM_END && zs.avail_out == 1) break;
      if (zrc == Z_OK && zs.avail_out == 1) continue; /* consumed input only */
      if (zs.avail_out == 0) {
        rc = tooBig(pErr, SDB_CODEC_ZLIB, (u64)pOut->n + 1, nMax);
      } else {
        rc = sdbCorrupt(pErr, "zlib: invalid or truncated stream");
      }
      break;
    }
    zs.next_out = pOut->a + pOut->n;
    zs.avail_out = room;
    int zrc = inflate(&zs, Z_NO_FLUSH);
    pOut->n += room - zs.avail_out;
    if (zrc == Z_STREAM_END) break;
    if (zrc == Z_OK) continue;
    if (zrc == Z_BUF_ERROR && zs.avail_out == 0) continue; /* needs more room */
    if (zrc == Z_MEM_ERROR) {
      rc = SDB_NOMEM_ERR(pErr);
    } else {
      rc = sdbCorrupt(pErr, "zlib: invalid or truncated stream%s%s", zs.msg ? ": " : "",
                      zs.msg ? zs.msg : "");
    }
    break;
  }
  inflateEnd(&zs);
  return rc;
}

static int lz4Decode(const u8 *a, size_t n, size_t nMax, SdbBuf *pOut, SdbErr *pErr) {
  if (n < 4) return sdbCorrupt(pErr, "lz4: missing size prefix");
  u32 nOut = sdbGetU32LE(a);
  if (nOut > nMax) return tooBig(pErr, SDB_CODEC_LZ4, nOut, nMax);
  if (nOut > (u32)INT_MAX || n - 4 > (size_t)INT_MAX) {
    return sdbCorrupt(pErr, "lz4: block too large");
  }
  if (sdbBufReserve(pOut, nOut)) return SDB_NOMEM_ERR(pErr);
  if (nOut == 0) {
    /* An empty input compresses to one token byte (0x00). */
    if (n - 4 > 1 || (n == 5 && a[4] != 0)) return sdbCorrupt(pErr, "lz4: invalid block");
    pOut->n = 0;
    return SDB_OK;
  }
  int got = LZ4_decompress_safe((const char *)a + 4, (char *)pOut->a, (int)(n - 4), (int)nOut);
  if (got < 0 || (u32)got != nOut) {
    return sdbCorrupt(pErr, "lz4: invalid block (size prefix %u, decoded %d)", nOut, got);
  }
  pOut->n = nOut;
  return SDB_OK;
}

/* Streaming zstd decode, for frames without a content size (or several
** frames): grow the output, never past nMax. */
static int zstdStream(const u8 *a, size_t n, size_t nMax, SdbBuf *pOut, SdbErr *pErr) {
  ZSTD_DCtx *dctx = ZSTD_createDCtx();
  if (!dctx) return SDB_NOMEM_ERR(pErr);
  int rc = SDB_OK;
  ZSTD_inBuffer in = {a, n, 0};
  size_t last = 1;
  pOut->n = 0;
  while (in.pos < in.size || last != 0) {
    if (pOut->n == pOut->nAlloc) {
      size_t nMore = pOut->n ? pOut->n : ZSTD_DStreamOutSize();
      if (pOut->n >= nMax) {
        /* Probe: does the frame produce any more output? */
        u8 probe;
        ZSTD_outBuffer o1 = {&probe, 1, 0};
        size_t r = ZSTD_decompressStream(dctx, &o1, &in);
        if (ZSTD_isError(r)) {
          rc = sdbCorrupt(pErr, "zstd: %s", ZSTD_getErrorName(r));
        } else if (o1.pos) {
          rc = tooBig(pErr, SDB_CODEC_ZSTD, (u64)pOut->n + 1, nMax);
        } else if (r != 0 || in.pos < in.size) {
          rc = sdbCorrupt(pErr, "zstd: truncated or trailing data");
        }
        goto done;
      }
      if (nMore > nMax - pOut->n) nMore = nMax - pOut->n;
      if (sdbBufReserve(pOut, nMore)) {
        rc = SDB_NOMEM_ERR(pErr);
        goto done;
      }
    }
    size_t room = pOut->nAlloc - pOut->n;
    if (room > nMax - pOut->n) room = nMax - pOut->n;
    ZSTD_outBuffer out = {pOut->a + pOut->n, room, 0};
    size_t inBefore = in.pos;
    last = ZSTD_decompressStream(dctx, &out, &in);
    if (ZSTD_isError(last)) {
      rc = sdbCorrupt(pErr, "zstd: %s", ZSTD_getErrorName(last));
      goto done;
    }
    pOut->n += out.pos;
    if (out.pos == 0 && in.pos == inBefore && out.size > 0) {
      /* No progress with room left and input exhausted: truncated frame. */
      rc = sdbCorrupt(pErr, "zstd: truncated frame");
      goto done;
    }
    if (out.pos < out.size && in.pos == in.size && last != 0) {
      rc = sdbCorrupt(pErr, "zstd: truncated frame");
      goto done;
    }
  }
done:
  ZSTD_freeDCtx(dctx);
  return rc;
}

static int zstdDecode(const u8 *a, size_t n, size_t nMax, SdbBuf *pOut, SdbErr *pErr) {
  unsigned long long sz = ZSTD_getFrameContentSize(a, n);
  if (sz == ZSTD_CONTENTSIZE_ERROR) return sdbCorrupt(pErr, "zstd: not a zstd frame");
  if (sz == ZSTD_CONTENTSIZE_UNKNOWN) return zstdStream(a, n, nMax, pOut, pErr);
  if (sz > nMax) return tooBig(pErr, SDB_CODEC_ZSTD, sz, nMax);
  if (sdbBufReserve(pOut, (size_t)sz)) return SDB_NOMEM_ERR(pErr);
  size_t r = ZSTD_decompress(pOut->a, (size_t)sz, a, n);
  if (ZSTD_isError(r)) {
    if (ZSTD_getErrorCode(r) == ZSTD_error_dstSize_tooSmall) {
      /* Several frames: the first frame's size is not the total. */
      return zstdStream(a, n, nMax, pOut, pErr);
    }
    return sdbCorrupt(pErr, "zstd: %s", ZSTD_getErrorName(r));
  }
  if (r != sz) return sdbCorrupt(pErr, "zstd: frame size mismatch");
  pOut->n = r;
  return SDB_OK;
}

int sdbDecompressLimit(int eCodec, const u8 *a, size_t n, size_t nMax, SdbBuf *pOut,
                       SdbErr *pErr) {
  pOut->n = 0;
  switch (eCodec) {
    case SDB_CODEC_NONE:
      if (n > nMax) return tooBig(pErr, SDB_CODEC_NONE, n, nMax);
      return sdbBufSet(pOut, a, n) ? SDB_NOMEM_ERR(pErr) : SDB_OK;
    case SDB_CODEC_SNAPPY: return snappyDecode(a, n, nMax, pOut, pErr);
    case SDB_CODEC_ZLIB: return zlibDecode(a, n, nMax, pOut, pErr);
    case SDB_CODEC_LZ4: return lz4Decode(a, n, nMax, pOut, pErr);
    case SDB_CODEC_ZSTD: return zstdDecode(a, n, nMax, pOut, pErr);
  }
  return sdbErrSet(pErr, SDB_UNSUPPORTED, "unknown compression codec %d", eCodec);
}

int sdbDecompress(int eCodec, const u8 *a, size_t n, SdbBuf *pOut, SdbErr *pErr) {
  return sdbDecompressLimit(eCodec, a, n, SDB_DECOMPRESS_MAX, pOut, pErr);
}

/* ------------------------------------------------------------ encoders */
int sdbCompress(int eCodec, const u8 *a, size_t n, SdbBuf *pOut, SdbErr *pErr) {
  switch (eCodec) {
    case SDB_CODEC_NONE:
      return sdbBufAppend(pOut, a, n) ? SDB_NOMEM_ERR(pErr) : SDB_OK;
    case SDB_CODEC_SNAPPY: {
      int rc = snappyLoad(pErr);
      if (rc) return rc;
      size_t nMax = snappyApi.max_compressed_length(n);
      if (sdbBufReserve(pOut, nMax)) return SDB_NOMEM_ERR(pErr);
      size_t nGot = nMax;
      if (snappyApi.compress((const char *)a, n, (char *)pOut->a + pOut->n, &nGot) != SNAPPY_OK) {
        return sdbErrSet(pErr, SDB_ERROR, "snappy: compression failed");
      }
      pOut->n += nGot;
      return SDB_OK;
    }
    case SDB_CODEC_ZLIB: {
      uLong nBound = compressBound((uLong)n);
      if ((size_t)(uLong)n != n) return sdbErrSet(pErr, SDB_ERROR, "zlib: input too large");
      if (sdbBufReserve(pOut, nBound)) return SDB_NOMEM_ERR(pErr);
      uLongf nGot = nBound;
      int zrc = compress2(pOut->a + pOut->n, &nGot, a, (uLong)n, Z_DEFAULT_COMPRESSION);
      if (zrc != Z_OK) return sdbErrSet(pErr, SDB_ERROR, "zlib: compression failed (%d)", zrc);
      pOut->n += nGot;
      return SDB_OK;
    }
    case SDB_CODEC_LZ4: {
      if (n > (size_t)LZ4_MAX_INPUT_SIZE) return sdbErrSet(pErr, SDB_ERROR, "lz4: input too large");
      int nBound = LZ4_compressBound((int)n);
      if (sdbBufReserve(pOut, 4 + (size_t)nBound)) return SDB_NOMEM_ERR(pErr);
      u8 *p = pOut->a + pOut->n;
      sdbPutU32LE(p, (u32)n);
      int got = LZ4_compress_default((const char *)a, (char *)p + 4, (int)n, nBound);
      if (got <= 0) return sdbErrSet(pErr, SDB_ERROR, "lz4: compression failed");
      pOut->n += 4 + (size_t)got;
      return SDB_OK;
    }
    case SDB_CODEC_ZSTD: {
      size_t nBound = ZSTD_compressBound(n);
      if (ZSTD_isError(nBound)) return sdbErrSet(pErr, SDB_ERROR, "zstd: input too large");
      if (sdbBufReserve(pOut, nBound)) return SDB_NOMEM_ERR(pErr);
      size_t r = ZSTD_compress(pOut->a + pOut->n, nBound, a, n, 3);
      if (ZSTD_isError(r)) {
        return sdbErrSet(pErr, SDB_ERROR, "zstd: %s", ZSTD_getErrorName(r));
      }
      pOut->n += r;
      return SDB_OK;
    }
  }
  return sdbErrSet(pErr, SDB_UNSUPPORTED, "unknown compression codec %d", eCodec);
}
