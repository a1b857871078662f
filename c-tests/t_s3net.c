/*
** t_s3net.c: how the S3 store fails when the network or the settings are
** wrong, against loopback servers this program runs itself (no moto, no
** proxy, so it always runs):
**
**   refused       a closed loopback port fails in under 3 s (3 attempts, 250
**                 and 500 ms apart, not request_timeout), naming the endpoint and the
**                 variable or option it came from; a create-only PUT that never
**                 connected is a plain SDB_IOERR, not an unknown outcome; so
**                 does opening a database (what CREATE VIRTUAL TABLE runs)
**   no-host       a .invalid host name fails as fast, naming host and source
**   connect-time  a server that accepts but never answers the TLS handshake
**                 fails after 3 connect_timeouts, not request_timeout, and a
**                 create-only PUT there is SDB_IOERR (nothing was sent)
**   died-on-put   a create-only PUT sent on a kept-alive connection that then
**                 closes unanswered, with the port closed so that curl's
**                 reconnect is refused, is SDB_UNKNOWN: the first send may
**                 have been applied
**   region        301 PermanentRedirect with x-amz-bucket-region (GET, HEAD)
**                 and 400 AuthorizationHeaderMalformed name the region in use,
**                 where it came from and the bucket's; not retried
**   no-bucket     404 NoSuchBucket names the bucket and the endpoint's source
**
** The environment is replaced at start: no credentials (requests unsigned),
** AWS_ALLOW_HTTP=true, AWS_REGION=us-east-1.
*/
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "test.h"
#include "store/objstore.h"
#include "slatedb.h"

/* What a test server does with each connection. */
enum { SRV_REDIRECT, SRV_AUTHMAL, SRV_NOBUCKET, SRV_SILENT, SRV_DIE_ON_PUT };

typedef struct Srv {
  int mode;               /* SRV_* */
  int fdListen;           /* -1 once closed */
  int port;
  int bStop;              /* set by srvStop */
  pthread_t thread;
  int aHeld[16];          /* SRV_SILENT: connections held open */
  int nHeld;
} Srv;

static long long nowMs(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A listening loopback socket on a free port (*pPort); -1 on failure. */
static int listenAny(int *pPort) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {0};
  socklen_t n = sizeof(a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 16) ||
      getsockname(fd, (struct sockaddr *)&a, &n)) {
    if (fd >= 0) close(fd);
    return -1;
  }
  *pPort = ntohs(a.sin_port);
  return fd;
}

/* A loopback port nothing listens on. */
static int closedPort(void) {
  int port = 0, fd = listenAny(&port);
  if (fd >= 0) close(fd);
  return port;
}

/* Read one request head (to the blank line) from fd into z[n]; 0 on EOF. */
static int readHead(int fd, char *z, size_t n) {
  size_t k = 0;
  while (k + 1 < n) {
    ssize_t m = read(fd, z + k, 1);
    if (m <= 0) return 0;
    k += (size_t)m;
    z[k] = 0;
    if (k >= 4 && memcmp(z + k - 4, "\r\n\r\n", 4) == 0) return 1;
  }
  return 1;
}

/* Send status line zStatus, extra headers zHdr ("" or lines ending CRLF) and
** body zBody (keep-alive). */
static void answer(int fd, const char *zStatus, const char *zHdr, const char *zBody) {
  char z[2048];
  int n = snprintf(z, sizeof(z), "HTTP/1.1 %s\r\n%sContent-Type: application/xml\r\n"
                   "Content-Length: %zu\r\n\r\n%s", zStatus, zHdr, strlen(zBody), zBody);
  if (write(fd, z, (size_t)n) < 0) return;
}

/* Answer the requests of one connection fd as s->mode says; closes fd unless
** it is held. */
static void serveConn(Srv *s, int fd) {
  char zHead[8192];
  int nReq = 0;
  if (s->mode == SRV_SILENT) {
    if (s->nHeld < 16) s->aHeld[s->nHeld++] = fd;
    else close(fd);
    return;
  }
  while (readHead(fd, zHead, sizeof(zHead))) {
    nReq++;
    int bHead = strncmp(zHead, "HEAD ", 5) == 0;
    if (s->mode == SRV_REDIRECT) {
      answer(fd, "301 Moved Permanently", "x-amz-bucket-region: eu-west-1\r\n", bHead ? "" :
             "<Error><Code>PermanentRedirect</Code><Message>The bucket you are attempting to "
             "access must be addressed using the specified endpoint.</Message></Error>");
    } else if (s->mode == SRV_AUTHMAL) {
      answer(fd, "400 Bad Request", "", "<Error><Code>AuthorizationHeaderMalformed</Code><Message>"
             "The authorization header is malformed; the region 'us-east-1' is wrong; expecting "
             "'ap-south-1'</Message><Region>ap-south-1</Region></Error>");
    } else if (s->mode == SRV_NOBUCKET) {
      answer(fd, "404 Not Found", "", "<Error><Code>NoSuchBucket</Code><Message>The specified "
             "bucket does not exist</Message></Error>");
    } else if (strncmp(zHead, "PUT ", 4) == 0) {    /* SRV_DIE_ON_PUT */
      close(s->fdListen);          /* curl's reconnect is refused */
      s->fdListen = -1;
      break;                       /* and this connection dies unanswered */
    } else {
      answer(fd, "404 Not Found", "", "<Error><Code>NoSuchKey</Code></Error>");
    }
  }
  (void)nReq;
  close(fd);
}

static void *srvMain(void *pArg) {
  Srv *s = pArg;
  while (!s->bStop && s->fdListen >= 0) {
    int fd = accept(s->fdListen, NULL, NULL);
    if (fd < 0) break;
    if (s->bStop) {
      close(fd);
      break;
    }
    serveConn(s, fd);
  }
  return NULL;
}

/* Start a server of mode in s; 0 on failure. */
static int srvStart(Srv *s, int mode) {
  memset(s, 0, sizeof(*s));
  s->mode = mode;
  s->fdListen = listenAny(&s->port);
  if (s->fdListen < 0) return 0;
  return pthread_create(&s->thread, NULL, srvMain, s) == 0;
}

/* Stop s: wake its accept with a connection, join, close what it holds. */
static void srvStop(Srv *s) {
  s->bStop = 1;
  if (s->fdListen >= 0) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons((uint16_t)s->port);
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) { /* nothing to wake */ }
    close(fd);
  }
  pthread_join(s->thread, NULL);
  if (s->fdListen >= 0) close(s->fdListen);
  for (int i = 0; i < s->nHeld; i++) close(s->aHeld[i]);
}

/* Open s3://bkt-net/db at zEndpoint from environment variable zVar (unset
** the others) or, with zVar NULL, from the endpoint option. NULL on failure. */
static SdbStore *openAt(const char *zEndpoint, const char *zVar, u64 timeoutMs, u64 connectMs) {
  SdbS3Config c;
  memset(&c, 0, sizeof(c));
  c.eAllowHttp = -1;
  c.eVirtualHosted = -1;
  c.timeoutMs = timeoutMs;
  c.connectTimeoutMs = connectMs;
  unsetenv("AWS_ENDPOINT");
  unsetenv("AWS_ENDPOINT_URL_S3");
  unsetenv("AWS_ENDPOINT_URL");
  if (zVar) setenv(zVar, zEndpoint, 1);
  else c.zEndpoint = zEndpoint;
  SdbStore *s = NULL;
  SdbErr err = {0};
  int rc = sdbStoreOpenS3("s3://bkt-net/db", &c, 0, &s, &err);
  if (rc) printf("# open at %s: rc=%d %s\n", zEndpoint, rc, err.zMsg);
  return s;
}

/* True if z contains every one of the NULL-terminated strings. */
static int hasAll(const char *z, ...) {
  va_list ap;
  va_start(ap, z);
  const char *zPart;
  int ok = 1;
  while ((zPart = va_arg(ap, const char *)) != NULL) ok = ok && strstr(z, zPart) != NULL;
  va_end(ap);
  return ok;
}

/* ------------------------------------------------------------ tests */

static void testRefused(void) {
  char zEp[64];
  SdbErr err = {0};
  SdbBuf b = {0};
  snprintf(zEp, sizeof(zEp), "http://127.0.0.1:%d", closedPort());
  SdbStore *s = openAt(zEp, "AWS_ENDPOINT", 30000, 0);
  if (!s) return;
  long long t0 = nowMs();
  int rc = s->pMethods->xGet(s, "manifest/1", 0, SDB_TO_END, &b, &err);
  long long ms = nowMs() - t0;
  CHECKF("s3net: refused: fails in under 3 s, not at request_timeout, naming endpoint and source",
         rc == SDB_IOERR && ms < 3000 && hasAll(err.zMsg, "cannot connect to endpoint", zEp,
         "(from AWS_ENDPOINT)", "is the server running? is AWS_ENDPOINT right?", NULL),
         "rc=%d %lld ms: %s", rc, ms, err.zMsg);
  CHECKF("s3net: refused: 3 attempts", s->stats.nRetry == 2, "%llu retries",
         (unsigned long long)s->stats.nRetry);
  t0 = nowMs();
  rc = s->pMethods->xPut(s, "manifest/2", (const u8 *)"m", 1, 1, &err);
  ms = nowMs() - t0;
  CHECKF("s3net: refused: a create-only PUT that never connected is SDB_IOERR, not unknown",
         rc == SDB_IOERR && ms < 3000 && !strstr(err.zMsg, "unknown"), "rc=%d %lld ms: %s", rc,
         ms, err.zMsg);
  sdbStoreFree(s);
  s = openAt(zEp, NULL, 30000, 0);
  rc = s ? s->pMethods->xGet(s, "manifest/1", 0, SDB_TO_END, &b, &err) : -1;
  CHECKF("s3net: refused: the endpoint option is named as the source",
         rc == SDB_IOERR && hasAll(err.zMsg, "(from the endpoint option)",
         "is the endpoint option right?", NULL), "rc=%d %s", rc, err.zMsg);
  sdbStoreFree(s);
  sdbBufFree(&b);
}

/* A batch of reads (xGetMany: read-ahead windows, prefetches) at a refused
** port fails as fast as one read: the attempts without a connection count for
** the whole batch, not for each of its requests in turn. */
static void testRefusedBatch(void) {
  char zEp[64];
  snprintf(zEp, sizeof(zEp), "http://127.0.0.1:%d", closedPort());
  SdbStore *s = openAt(zEp, "AWS_ENDPOINT", 30000, 0);
  if (!s) return;
  SdbGetReq a[8];
  memset(a, 0, sizeof(a));
  char azKey[8][32];
  for (int i = 0; i < 8; i++) {
    snprintf(azKey[i], sizeof(azKey[i]), "compacted/%d.sst", i);
    a[i].zKey = azKey[i];
    a[i].nLen = 100;
  }
  SdbErr err = {0};
  long long t0 = nowMs();
  int rc = sdbStoreGetMany(s, a, 8, &err);
  long long ms = nowMs() - t0;
  CHECKF("s3net: refused: a batch of 8 reads fails in under 3 s, naming the endpoint",
         rc == SDB_IOERR && ms < 3000 && hasAll(err.zMsg, "cannot connect to endpoint", zEp, NULL),
         "rc=%d %lld ms (%llu retries): %s", rc, ms, (unsigned long long)s->stats.nRetry, err.zMsg);
  for (int i = 0; i < 8; i++) sdbBufFree(&a[i].out);
  sdbStoreFree(s);
}

/* What CREATE VIRTUAL TABLE runs: opening a database (writer and reader) at a
** closed port fails in under 3 s with the endpoint and its source. */
static void testOpenRefused(void) {
  char zEp[64];
  snprintf(zEp, sizeof(zEp), "http://127.0.0.1:%d", closedPort());
  unsetenv("AWS_ENDPOINT_URL_S3");
  unsetenv("AWS_ENDPOINT_URL");
  setenv("AWS_ENDPOINT", zEp, 1);
  for (int bReader = 0; bReader < 2; bReader++) {
    SdbConfig cfg;
    SdbDb *db = NULL;
    SdbErr err = {0};
    memset(&cfg, 0, sizeof(cfg));
    cfg.zUrl = "s3://bkt-net/db";
    cfg.bReadOnly = bReader;
    cfg.bCreateIfMissing = !bReader;
    cfg.s3.eAllowHttp = -1;
    cfg.s3.eVirtualHosted = -1;
    long long t0 = nowMs();
    int rc = sdb_db_open(&cfg, &db, &err);
    long long ms = nowMs() - t0;
    CHECKF(bReader ? "s3net: refused: opening a reader fails in under 3 s, naming the endpoint"
                   : "s3net: refused: opening a writer fails in under 3 s, naming the endpoint",
           rc == SDB_IOERR && ms < 3000 && hasAll(err.zMsg, zEp, "(from AWS_ENDPOINT)",
           "is the server running?", NULL), "rc=%d %lld ms: %s", rc, ms, err.zMsg);
    if (db) sdb_db_close(db);
  }
}

static void testNoHost(void) {
  SdbErr err = {0};
  SdbObjList l = {0};
  SdbStore *s = openAt("http://sdb-nowhere.invalid:9000", "AWS_ENDPOINT_URL_S3", 30000, 0);
  if (!s) return;
  long long t0 = nowMs();
  int rc = s->pMethods->xList(s, "manifest/", &l, &err);
  long long ms = nowMs() - t0;
  CHECKF("s3net: no-host: a .invalid host fails in under 3 s, naming host and source",
         rc == SDB_IOERR && ms < 3000 && hasAll(err.zMsg, "host sdb-nowhere.invalid:9000",
         "does not resolve", "(from AWS_ENDPOINT_URL_S3)", "is AWS_ENDPOINT_URL_S3 right?", NULL),
         "rc=%d %lld ms: %s", rc, ms, err.zMsg);
  sdbObjListFree(&l);
  sdbStoreFree(s);
}

static void testConnectTimeout(void) {
  Srv srv;
  char zEp[64];
  SdbErr err = {0};
  u64 size = 0;
  if (!srvStart(&srv, SRV_SILENT)) {
    CHECK("s3net: connect-time: server starts", 0);
    return;
  }
  snprintf(zEp, sizeof(zEp), "https://127.0.0.1:%d", srv.port);
  SdbStore *s = openAt(zEp, "AWS_ENDPOINT_URL", 20000, 300);
  long long t0 = nowMs();
  int rc = s ? s->pMethods->xHead(s, "manifest/1", &size, &err) : -1;
  long long ms = nowMs() - t0;
  CHECKF("s3net: connect-time: a silent TLS server fails after 3 connect_timeouts, not 20 s",
         rc == SDB_IOERR && ms >= 800 && ms < 5000 && hasAll(err.zMsg, "no connection to endpoint",
         "within connect_timeout (300 ms; 3 attempts", "(from AWS_ENDPOINT_URL)", NULL),
         "rc=%d %lld ms: %s", rc, ms, err.zMsg);
  t0 = nowMs();
  rc = s ? s->pMethods->xPut(s, "manifest/2", (const u8 *)"m", 1, 1, &err) : -1;
  ms = nowMs() - t0;
  CHECKF("s3net: connect-time: a create-only PUT that never got a connection is SDB_IOERR",
         rc == SDB_IOERR && ms < 5000 && !strstr(err.zMsg, "unknown"), "rc=%d %lld ms: %s", rc,
         ms, err.zMsg);
  sdbStoreFree(s);
  srvStop(&srv);
}

static void testDiedOnPut(void) {
  Srv srv;
  char zEp[64];
  SdbErr err = {0};
  SdbBuf b = {0};
  if (!srvStart(&srv, SRV_DIE_ON_PUT)) {
    CHECK("s3net: died-on-put: server starts", 0);
    return;
  }
  snprintf(zEp, sizeof(zEp), "http://127.0.0.1:%d", srv.port);
  SdbStore *s = openAt(zEp, "AWS_ENDPOINT", 20000, 0);
  int rc = s ? s->pMethods->xGet(s, "manifest/1", 0, SDB_TO_END, &b, &err) : -1;
  CHECKF("s3net: died-on-put: a GET keeps the connection open", rc == SDB_NOTFOUND, "rc=%d %s",
         rc, err.zMsg);
  long long t0 = nowMs();
  rc = s ? s->pMethods->xPut(s, "manifest/2", (const u8 *)"m", 1, 1, &err) : -1;
  long long ms = nowMs() - t0;
  CHECKF("s3net: died-on-put: PUT sent, connection died, reconnect refused: SDB_UNKNOWN, fast",
         rc == SDB_UNKNOWN && ms < 5000 && hasAll(err.zMsg, "outcome unknown",
         "cannot connect to endpoint", NULL), "rc=%d %lld ms: %s", rc, ms, err.zMsg);
  sdbStoreFree(s);
  srvStop(&srv);
  sdbBufFree(&b);
}

static void testRegion(void) {
  Srv srv;
  char zEp[64];
  SdbErr err = {0};
  SdbBuf b = {0};
  u64 size = 0;
  if (!srvStart(&srv, SRV_REDIRECT)) {
    CHECK("s3net: region: server starts", 0);
    return;
  }
  snprintf(zEp, sizeof(zEp), "http://127.0.0.1:%d", srv.port);
  SdbStore *s = openAt(zEp, "AWS_ENDPOINT", 20000, 0);
  int rc = s ? s->pMethods->xGet(s, "manifest/1", 0, SDB_TO_END, &b, &err) : -1;
  CHECKF("s3net: region: 301 PermanentRedirect names both regions and the fix, not retried",
         rc == SDB_IOERR && s->stats.nRetry == 0 && hasAll(err.zMsg, "PermanentRedirect",
         "bucket bkt-net is in region eu-west-1", "not in region us-east-1 (from AWS_REGION)",
         "set AWS_REGION=eu-west-1", NULL), "rc=%d %s", rc, err.zMsg);
  rc = s ? s->pMethods->xHead(s, "manifest/1", &size, &err) : -1;
  CHECKF("s3net: region: a HEAD's 301 (no body) takes the region from x-amz-bucket-region",
         rc == SDB_IOERR && hasAll(err.zMsg, "HTTP 301", "is in region eu-west-1", NULL),
         "rc=%d %s", rc, err.zMsg);
  sdbStoreFree(s);
  srvStop(&srv);
  if (!srvStart(&srv, SRV_AUTHMAL)) return;
  snprintf(zEp, sizeof(zEp), "http://127.0.0.1:%d", srv.port);
  s = openAt(zEp, "AWS_ENDPOINT", 20000, 0);
  rc = s ? s->pMethods->xGet(s, "manifest/1", 0, SDB_TO_END, &b, &err) : -1;
  CHECKF("s3net: region: 400 AuthorizationHeaderMalformed names the body's <Region>",
         rc == SDB_IOERR && hasAll(err.zMsg, "AuthorizationHeaderMalformed",
         "is in region ap-south-1", "(from AWS_REGION)", NULL), "rc=%d %s", rc, err.zMsg);
  sdbStoreFree(s);
  srvStop(&srv);
  sdbBufFree(&b);
}

static void testNoBucket(void) {
  Srv srv;
  char zEp[64];
  SdbErr err = {0};
  SdbBuf b = {0};
  if (!srvStart(&srv, SRV_NOBUCKET)) return;
  snprintf(zEp, sizeof(zEp), "http://127.0.0.1:%d", srv.port);
  SdbStore *s = openAt(zEp, "AWS_ENDPOINT", 20000, 0);
  int rc = s ? s->pMethods->xGet(s, "manifest/1", 0, SDB_TO_END, &b, &err) : -1;
  CHECKF("s3net: no-bucket: SDB_CANTOPEN naming the bucket and the endpoint's source",
         rc == SDB_CANTOPEN && hasAll(err.zMsg, "bucket bkt-net does not exist", zEp,
         "(from AWS_ENDPOINT)", NULL), "rc=%d %s", rc, err.zMsg);
  sdbStoreFree(s);
  srvStop(&srv);
  sdbBufFree(&b);
}

int main(void) {
  static const char *const azUnset[] = {
    "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_TOKEN",
    "AWS_DEFAULT_REGION", "AWS_CA_BUNDLE", "AWS_PROFILE", "AWS_VIRTUAL_HOSTED_STYLE_REQUEST",
  };
  for (size_t i = 0; i < sizeof(azUnset) / sizeof(azUnset[0]); i++) unsetenv(azUnset[i]);
  setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/sdb-t_s3net", 1);
  setenv("AWS_ALLOW_HTTP", "true", 1);
  setenv("AWS_REGION", "us-east-1", 1);
  testRefused();
  testRefusedBatch();
  testOpenRefused();
  testNoHost();
  testConnectTimeout();
  testDiedOnPut();
  testRegion();
  testNoBucket();
  return test_done();
}
