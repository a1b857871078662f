/*
** creds.h: where the S3 store's AWS credentials come from (core/store/creds.c).
**
** The chain, first source that applies wins, in the order of the AWS SDK for
** Rust (botocore and the JS SDK try web identity before the profile; SlateDB's
** object_store reads no profile at all):
**   1. environment   AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN
**   2. profile       $AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials,
**                    section $AWS_PROFILE or [default] ($AWS_PROFILE missing,
**                    or a key without its secret: an error)
**   3. web identity  AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN
**                    [+ AWS_ROLE_SESSION_NAME] -> STS AssumeRoleWithWebIdentity
**                    at $AWS_ENDPOINT_URL_STS or https://sts.<region>.amazonaws.com
**   4. container     AWS_CONTAINER_CREDENTIALS_RELATIVE_URI (http://169.254.170.2<uri>)
**                    (plain http: localhost or an allowed IP literal only)
**                    or _FULL_URI, with AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE or
**                    AWS_CONTAINER_AUTHORIZATION_TOKEN
**   5. IMDS          EC2 instance metadata, IMDSv2 only, at
**                    $AWS_EC2_METADATA_SERVICE_ENDPOINT or http://169.254.169.254;
**                    skipped when AWS_EC2_METADATA_DISABLED=true; 1 s, 1 attempt,
**                    and not probed again for 60 s per process after no answer
** Sources 3-5 give temporary credentials with an Expiration: they are fetched
** again SDB_CREDS_REFRESH_MS before it (and on demand after the store said the
** token expired), by the thread that needs them; other threads keep signing
** with the current set meanwhile. A failed refresh keeps the current set and is
** tried again SDB_CREDS_RETRY_MS later (a renew too); a set handed out already
** inside the margin is fetched again no sooner than SDB_CREDS_RETRY_MS plus
** jitter. Container and IMDS sets must have an Expiration. Token files are
** read at each fetch.
**
** The environment is read once, at sdbCredsOpen. Nothing here prints, and no
** message contains a secret, a session token or a web-identity token.
*/
#ifndef SDB_CREDS_H
#define SDB_CREDS_H

#include "util/sdbInt.h"

#define SDB_CREDS_REFRESH_MS  (5 * 60 * 1000)   /* refresh this long before Expiration */
#define SDB_CREDS_RETRY_MS    (10 * 1000)       /* after a failed refresh */

/* One set of credentials, reference counted (sdbCredsAcquire/Release). */
typedef struct SdbCredSet {
  int nRef;               /* guarded by the owning SdbCreds' mutex */
  u64 iGen;               /* 1 for the first set of a chain, +1 per refresh */
  char *zKeyId;
  char *zSecret;
  char *zToken;           /* session token or NULL */
  i64 expiresMs;          /* wall-clock ms since the epoch; 0 = does not expire */
} SdbCredSet;

typedef struct SdbCreds SdbCreds;

/* Run the chain. zRegion (STS's host) and zCaBundle (NULL: the system's; for
** https credential servers) are copied. On SDB_OK *pp is a new chain (free with
** sdbCredsFree), which may hold no credentials (sdbCredsAcquire then returns
** NULL; sdbCredsTried says why). A source that is configured but fails (a
** refused container URL, an STS or credential-server error, an unreadable token
** file) fails the open with a message naming it and the problem. */
int sdbCredsOpen(const char *zRegion, const char *zCaBundle, SdbCreds **pp, SdbErr *pErr);

/* The current set (a new reference, release with sdbCredsRelease), refreshed
** first if due; NULL if the chain found no credentials. Thread-safe. */
SdbCredSet *sdbCredsAcquire(SdbCreds *p);
void sdbCredsRelease(SdbCreds *p, SdbCredSet *pSet);

/* The store refused set generation iGen as expired or unknown: fetch a new set
** now unless that already happened. 1 if a set newer than iGen is current. */
int sdbCredsRenew(SdbCreds *p, u64 iGen);

/* "environment", "profile NAME", "web identity", "container", "IMDS" or NULL;
** and the sources tried before it with why each was skipped, e.g.
** "environment (AWS_ACCESS_KEY_ID unset), profile default (~/.aws/credentials:
** no such file), ...". Borrowed, valid until sdbCredsFree. */
const char *sdbCredsSource(const SdbCreds *p);
const char *sdbCredsTried(const SdbCreds *p);

void sdbCredsFree(SdbCreds *p);

#endif
