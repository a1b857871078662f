/*
** s3names.h: checks of the names that shape S3 request URLs (bucket, region,
** endpoint, key prefix), shared by the store (core/store/s3.c) and the
** CREATE options (ext/vtab_args.c), implemented in core/store/s3parse.c. These
** decide where signed requests go, so both sides apply the same rules.
** Self-contained (no core types), so ext/ can include it.
**
** The *Problem functions return NULL when the value is acceptable, else a
** static English phrase saying what is wrong (for an error message that does
** not need to repeat the value).
*/
#ifndef SDB_S3NAMES_H
#define SDB_S3NAMES_H

#include <stddef.h>

/* Longest region name accepted. */
#define SDB_S3_MAX_REGION 63

/* S3's bucket naming rules: 3..63 characters a-z 0-9 . -, starting and ending
** with a letter or digit, no "..", not an IPv4 address, no "xn--" prefix and
** no "-s3alias" / "--ol-s3" suffix. z[0..n). */
const char *sdbS3BucketProblem(const char *z, size_t n);

/* A region: 1..SDB_S3_MAX_REGION characters of [a-z0-9-]. */
const char *sdbS3RegionProblem(const char *z);

/* An endpoint: http:// or https://, then host[:port] where host is a DNS name
** of [A-Za-z0-9.-] or a bracketed IPv6 address and port is 1..65535; no user
** name or password, query, fragment, white space or control characters. A
** path of [A-Za-z0-9._~/-] is allowed only with bPathOk (a trailing "/" always). */
const char *sdbS3EndpointProblem(const char *z, int bPathOk);

/* A decoded key prefix (no '/' at either end): no control characters and no
** empty, "." or ".." segment. */
const char *sdbS3PrefixProblem(const char *z);

/* True if z may be repeated in an error message: printable ASCII without '@'
** (user information), '?' or '#' (query strings may carry signatures). */
int sdbS3Showable(const char *z);

/* z if sdbS3Showable(z), else a static placeholder saying why it is not
** shown; for error messages. */
const char *sdbS3Shown(const char *z);

#endif
