/*
** s3parse.h: parsers of S3 answers (Content-Range and decimal header values,
** the XML of ListObjectsV2 pages and of error bodies), internal to core and
** the fuzz targets, plus the name checks of s3names.h. Implemented in
** core/store/s3parse.c; nothing here does I/O or keeps state.
*/
#ifndef SDB_S3PARSE_H
#define SDB_S3PARSE_H

#include "store/objstore.h"
#include "store/s3names.h"

/* A decimal u64 of digits only (no sign, no space), without overflow: 1 and
** *pn, else 0. */
int sdbS3ParseU64(const char *z, u64 *pn);

/* A Content-Range header value. */
typedef struct SdbS3Range {
  int bHasRange;          /* "bytes a-b/..." with a <= b */
  u64 iFirst, iLast;
  int bHasTotal;          /* ".../T" (then b < T when there is a range) */
  u64 nTotal;
} SdbS3Range;

/* Parse "bytes a-b/T", "bytes a-b/(star)" or "bytes (star)/T" into *p (zeroed
** first); anything else, or a range that contradicts itself, leaves *p zero. */
void sdbS3ParseContentRange(const char *z, SdbS3Range *p);

/* Does a 206 answer with Content-Range *p and an nBody-byte body hold exactly
** what a GET of [iOff, iOff+nLen) asked for (nLen SDB_TO_END: to the end; 0:
** one byte)? The range must start at iOff, cover the body (never empty), and
** end at the requested end or the object's. */
int sdbS3RangeComplete(const SdbS3Range *p, u64 iOff, u64 nLen, u64 nBody);

/* Find <zTag>text</zTag> (zTag shorter than 60 bytes) in [z, zEnd): sets
** *pzVal and *pnVal to the text and returns the end of the element; NULL if
** absent. */
const char *sdbS3XmlElem(const char *z, const char *zEnd, const char *zTag,
                         const char **pzVal, size_t *pnVal);

/* XML text z[0..n) with the five named and numeric entities decoded (others
** kept), as a new string (caller frees); NULL on OOM. */
char *sdbS3XmlDecode(const char *z, size_t n);

/* The decoded text of the first <zTag> of a[0..n) into zOut[nOut] ("" if
** absent or on OOM; truncated to fit). Returns the decoded length (which may
** exceed nOut - 1). */
size_t sdbS3XmlText(const u8 *a, size_t n, const char *zTag, char *zOut, size_t nOut);

/* ISO-8601 "2024-01-02T03:04:05.678Z" -> ms since the epoch (0 if bad). */
i64 sdbS3IsoToMs(const char *z);

/* Add the <Contents> of one ListObjectsV2 page a[0..n) to pOut, keys made
** relative to zRoot ("prefix/" or ""; other keys skipped). SDB_OK or
** SDB_NOMEM. */
int sdbS3ListParse(const u8 *a, size_t n, const char *zRoot, SdbObjList *pOut);

/* Add the names of one ListObjectsV2 answer with delimiter '/' a[0..n) to
** pOut, relative to zRoot: objects (<Contents><Key>) and folders
** (<CommonPrefixes><Prefix>, "wal/"); zRoot itself (a folder marker) is
** skipped. SDB_CORRUPT (a fail-closed answer: nothing may be concluded from
** it) unless a[0..n) is a whole <ListBucketResult> document whose every name
** is under zRoot and whose IsTruncated is "false", or "true" with at least
** nMax names; else SDB_OK, or SDB_NOMEM. */
int sdbS3ListParseTop(const u8 *a, size_t n, const char *zRoot, int nMax, SdbObjList *pOut);

/* The continuation of a ListObjectsV2 page a[0..n): SDB_OK with *pzNext the
** next token (caller frees) or NULL on the last page; SDB_CORRUPT when the
** page is truncated without a usable token (absent or longer than 4096
** bytes); SDB_NOMEM. */
int sdbS3ListNext(const u8 *a, size_t n, char **pzNext);

#endif
