/*
** t_creds.c: the AWS credential chain (core/store/creds.c) without S3.
**
** Local sources (environment, profile, nothing at all, a refused container
** URL) and, against scripts/s3/credserver.py started here on loopback (no
** proxy), IMDSv2: the set's fields and Expiration, renewal, and 4 threads
** acquiring and releasing sets while a set handed out 5 min + 1 s before
** expiry reaches the refresh point (run it under ASan/TSan for the locking);
** web identity through its STS, with the token file rotated between fetches.
** Messages never hold a secret or a token.
*/
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "store/creds.h"
#include "test.h"

static const char *azVars[] = {
  "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_TOKEN", "AWS_PROFILE",
  "AWS_SHARED_CREDENTIALS_FILE", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN",
  "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
  "AWS_CONTAINER_AUTHORIZATION_TOKEN", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
  "AWS_EC2_METADATA_SERVICE_ENDPOINT", "AWS_ENDPOINT_URL_STS"};

/* No credential variable set, HOME without .aws, IMDS off. */
static void clearEnv(const char *zHome) {
  for (size_t i = 0; i < sizeof(azVars) / sizeof(azVars[0]); i++) unsetenv(azVars[i]);
  setenv("HOME", zHome, 1);
  setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
}

static i64 nowMs(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (i64)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void testLocal(const char *zDir) {
  SdbCreds *p = NULL;
  SdbErr err = {0};
  clearEnv(zDir);
  setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
  setenv("AWS_SECRET_ACCESS_KEY", "env-secret-XYZ", 1);
  setenv("AWS_SESSION_TOKEN", "env-token-XYZ", 1);
  int rc = sdbCredsOpen("us-east-1", NULL, &p, &err);
  SdbCredSet *s = rc ? NULL : sdbCredsAcquire(p);
  CHECKF("creds: environment", s && strcmp(s->zKeyId, "AKIDENV") == 0 &&
         strcmp(s->zToken, "env-token-XYZ") == 0 && s->expiresMs == 0 &&
         strcmp(sdbCredsSource(p), "environment") == 0 && sdbCredsRenew(p, s->iGen) == 0,
         "rc=%d %s", rc, err.zMsg);
  sdbCredsRelease(p, s);
  sdbCredsFree(p);

  unsetenv("AWS_SECRET_ACCESS_KEY");
  rc = sdbCredsOpen("us-east-1", NULL, &p, &err);
  CHECKF("creds: a key id without a secret is an error naming both", rc == SDB_PERM && !p &&
         strstr(err.zMsg, "AWS_SECRET_ACCESS_KEY is not"), "rc=%d %s", rc, err.zMsg);

  clearEnv(zDir);
  char zFile[512];
  snprintf(zFile, sizeof(zFile), "%s/creds.ini", zDir);
  FILE *f = fopen(zFile, "w");
  fprintf(f, "[default]\naws_access_key_id = AKIDDEF\naws_secret_access_key = def-secret\n"
             "[p1]\n  aws_access_key_id=AKIDP1 \naws_secret_access_key= p1-secret\n[half]\n"
             "aws_access_key_id = AKIDHALF\n");
  fclose(f);
  setenv("AWS_SHARED_CREDENTIALS_FILE", zFile, 1);
  setenv("AWS_PROFILE", "p1", 1);
  rc = sdbCredsOpen("us-east-1", NULL, &p, &err);
  s = rc ? NULL : sdbCredsAcquire(p);
  CHECKF("creds: profile from AWS_SHARED_CREDENTIALS_FILE", s && strcmp(s->zKeyId, "AKIDP1") == 0 &&
         strcmp(s->zSecret, "p1-secret") == 0 && !s->zToken &&
         strcmp(sdbCredsSource(p), "profile p1") == 0 &&
         strcmp(sdbCredsTried(p), "environment (AWS_ACCESS_KEY_ID unset)") == 0,
         "rc=%d %s / %s", rc, err.zMsg, p ? sdbCredsTried(p) : "");
  sdbCredsRelease(p, s);
  sdbCredsFree(p);

  setenv("AWS_PROFILE", "half", 1);
  rc = sdbCredsOpen("us-east-1", NULL, &p, &err);
  CHECKF("creds: a profile with a key id but no secret is an error naming it", rc == SDB_PERM &&
         !p && strstr(err.zMsg, "profile [half] has aws_access_key_id but not "
         "aws_secret_access_key"), "rc=%d %s", rc, p ? sdbCredsTried(p) : err.zMsg);
  sdbCredsFree(p);
  setenv("AWS_PROFILE", "nosuch", 1);
  rc = sdbCredsOpen("us-east-1", NULL, &p, &err);
  CHECKF("creds: AWS_PROFILE naming a missing profile is an error naming it", rc == SDB_PERM &&
         !p && strstr(err.zMsg, "AWS_PROFILE is set but") && strstr(err.zMsg, "no profile [nosuch]"),
         "rc=%d %s", rc, p ? sdbCredsTried(p) : err.zMsg);
  sdbCredsFree(p);
  setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials", 1);
  rc = sdbCredsOpen("us-east-1", NULL, &p, &err);
  CHECKF("creds: AWS_PROFILE set without a credentials file is an error", rc == SDB_PERM && !p &&
         strstr(err.zMsg, "profile nosuch"), "rc=%d %s", rc, p ? sdbCredsTried(p) : err.zMsg);
  sdbCredsFree(p);

  clearEnv(zDir);
  rc = sdbCredsOpen("us-east-1", NULL, &p, &err);
  CHECKF("creds: nothing: every source with why it was skipped", rc == SDB_OK && !sdbCredsAcquire(p) &&
         !sdbCredsSource(p) && strcmp(sdbCredsTried(p), "environment (AWS_ACCESS_KEY_ID unset), "
         "profile default (~/.aws/credentials: No such file or directory), web identity "
         "(AWS_WEB_IDENTITY_TOKEN_FILE unset), container (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI/"
         "_FULL_URI unset), IMDS (AWS_EC2_METADATA_DISABLED=true)") == 0,
         "rc=%d %s", rc, p ? sdbCredsTried(p) : err.zMsg);
  sdbCredsFree(p);

  setenv("AWS_WEB_IDENTITY_TOKEN_FILE", "/nonexistent/token", 1);
  rc = sdbCredsOpen("us-east-1", NULL, &p, &err);
  CHECKF("creds: web identity without AWS_ROLE_ARN is skipped", rc == SDB_OK &&
         strstr(sdbCredsTried(p), "web identity (AWS_ROLE_ARN unset)"), "rc=%d %s", rc,
         p ? sdbCredsTried(p) : err.zMsg);
  sdbCredsFree(p);

  clearEnv(zDir);
  /* A host name other than localhost is refused for plain http even if it
  ** resolves to loopback now (it could resolve elsewhere when curl connects). */
  char zHost[256] = "", zHostUrl[300] = "http://10.0.0.1/creds";
  struct addrinfo hints = {0}, *pRes = NULL;
  hints.ai_family = AF_INET;
  if (gethostname(zHost, sizeof(zHost) - 1) == 0 && strcmp(zHost, "localhost") &&
      getaddrinfo(zHost, NULL, &hints, &pRes) == 0 && pRes &&
      (ntohl(((struct sockaddr_in *)pRes->ai_addr)->sin_addr.s_addr) >> 24) == 127) {
    snprintf(zHostUrl, sizeof(zHostUrl), "http://%s/creds", zHost);
  } else {
    printf("SKIP creds: container host name resolving to loopback: %s does not\n", zHost);
  }
  if (pRes) freeaddrinfo(pRes);
  const char *azBad[] = {"http://10.0.0.1/creds", "http://user@127.0.0.1/creds",
                         "ftp://127.0.0.1/creds", "http://169.254.170.3/x", zHostUrl};
  for (int i = 0; i < 5; i++) {
    setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", azBad[i], 1);
    setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "ct-token-SECRET", 1);
    rc = sdbCredsOpen("us-east-1", NULL, &p, &err);
    CHECKF("creds: container URL refused", rc == SDB_PERM && !p && strstr(err.zMsg, "refused") &&
           !strstr(err.zMsg, "ct-token-SECRET"), "%s: rc=%d %s", azBad[i], rc, err.zMsg);
  }
}

/* ------------------------------------------------------------ IMDS */

static pid_t startServer(char *zUrl, size_t nUrl, const char *zDir, int ttl) {
  char zPort[512], zTtl[16];
  snprintf(zPort, sizeof(zPort), "%s/port", zDir);
  snprintf(zTtl, sizeof(zTtl), "%d", ttl);
  unlink(zPort);
  pid_t pid = fork();
  if (pid == 0) {
    char zScript[1024];
    snprintf(zScript, sizeof(zScript), "%s/scripts/s3/credserver.py", test_srcdir());
    char zTok[512];
    snprintf(zTok, sizeof(zTok), "%s/webtoken", zDir);
    char zLog[512];
    snprintf(zLog, sizeof(zLog), "%s/server.log", zDir);
    execlp("python3", "python3", zScript, "--port-file", zPort, "--ttl", zTtl,
           "--web-token-file", zTok, "--log", zLog, (char *)NULL);
    _exit(127);
  }
  for (int i = 0; i < 100; i++) {
    FILE *f = fopen(zPort, "r");
    int port = 0;
    if (f && fscanf(f, "%d", &port) == 1 && port > 0) {
      fclose(f);
      snprintf(zUrl, nUrl, "http://127.0.0.1:%d", port);
      return pid;
    }
    if (f) fclose(f);
    usleep(100000);
  }
  kill(pid, SIGTERM);
  waitpid(pid, NULL, 0);
  return -1;
}

typedef struct Worker {
  SdbCreds *p;
  i64 untilMs;
  u64 maxGen;
  int bad;                /* a generation went backwards or a set was incomplete */
  int n;
} Worker;

static void *workerMain(void *pArg) {
  Worker *w = pArg;
  u64 last = 0;
  while (nowMs() < w->untilMs) {
    SdbCredSet *s = sdbCredsAcquire(w->p);
    if (!s || s->iGen < last || !s->zKeyId || !s->zSecret || !s->zToken) w->bad = 1;
    if (s) last = s->iGen;
    w->n++;
    usleep(1000);
    sdbCredsRelease(w->p, s);
  }
  w->maxGen = last;
  return NULL;
}

/* How many lines of the server's log start with zReq ("GET /canned/near"). */
static int logCount(const char *zDir, const char *zReq) {
  char zLog[512], zLine[512];
  snprintf(zLog, sizeof(zLog), "%s/server.log", zDir);
  FILE *f = fopen(zLog, "r");
  int n = 0;
  while (f && fgets(zLine, sizeof(zLine), f)) {
    if (strncmp(zLine, zReq, strlen(zReq)) == 0 && zLine[strlen(zReq)] == '\n') n++;
  }
  if (f) fclose(f);
  return n;
}

/* Open a chain whose only source is the container at zUrl/canned/zName. */
static int openCanned(const char *zDir, const char *zUrl, const char *zName, SdbCreds **pp,
                      SdbErr *pErr) {
  char zCt[256];
  snprintf(zCt, sizeof(zCt), "%s/canned/%s", zUrl, zName);
  clearEnv(zDir);
  setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", zCt, 1);
  return sdbCredsOpen("us-east-1", NULL, pp, pErr);
}

/* An allocator that, on each free (and on the old block of a realloc), counts
** blocks that still hold a canned secret or token. */
static int nLeftSecret = 0;

static void wipeCheck(void *p) {
  size_t n;
  memcpy(&n, (char *)p - 16, sizeof(n));
  const char *az[] = {"canned-secret", "canned-tok", "ct-wipe-SECRET"};
  for (int i = 0; i < 3; i++) {
    if (memmem(p, n, az[i], strlen(az[i]))) __atomic_add_fetch(&nLeftSecret, 1, __ATOMIC_RELAXED);
  }
}
static void *wipeMalloc(void *pCtx, size_t n) {
  char *p = malloc(n + 16);
  if (!p) return NULL;
  memcpy(p, &n, sizeof(n));
  return p + 16;
}
static void wipeFree(void *pCtx, void *p) {
  if (!p) return;
  wipeCheck(p);
  free((char *)p - 16);
}
static void *wipeRealloc(void *pCtx, void *p, size_t n) {
  char *pNew = wipeMalloc(pCtx, n);
  if (pNew && p) {
    size_t nOld;
    memcpy(&nOld, (char *)p - 16, sizeof(nOld));
    memcpy(pNew, p, nOld < n ? nOld : n);
    wipeFree(pCtx, p);
  }
  return pNew;
}

/* A container fetch frees no memory still holding the secret, the session
** token or the Authorization token (answer bodies are wiped too). */
static void testWipe(const char *zDir, const char *zUrl) {
  SdbAllocMethods m = {wipeMalloc, wipeRealloc, wipeFree, NULL};
  if (sdb_config_alloc(&m) != SDB_OK) {
    printf("SKIP creds: secrets wiped before free: memory still allocated\n");
    return;
  }
  SdbCreds *p = NULL;
  SdbErr err = {0};
  char zCt[256];
  snprintf(zCt, sizeof(zCt), "%s/canned/near", zUrl);
  clearEnv(zDir);
  setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", zCt, 1);
  setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "ct-wipe-SECRET", 1);
  int rc = sdbCredsOpen("us-east-1", NULL, &p, &err);
  SdbCredSet *s = rc ? NULL : sdbCredsAcquire(p);
  int bSet = s && strcmp(s->zSecret, "canned-secret") == 0;
  sdbCredsRelease(p, s);
  sdbCredsFree(p);
  int rcAlloc = sdb_config_alloc(NULL);
  CHECKF("creds: secrets and tokens are wiped before their memory is freed", rc == SDB_OK && bSet &&
         nLeftSecret == 0 && rcAlloc == SDB_OK, "rc=%d %s set=%d blocks=%d alloc=%d", rc, err.zMsg,
         bSet, nLeftSecret, rcAlloc);
}

/* Container answers from credserver.py's /canned/ (see its header). */
static void testCanned(const char *zDir, const char *zUrl) {
  SdbCreds *p = NULL;
  SdbErr err = {0};
  const char *azNear[] = {"near", "past"};
  for (int i = 0; i < 2; i++) {
    int rc = openCanned(zDir, zUrl, azNear[i], &p, &err);
    int nAcq = 0;
    for (int j = 0; rc == SDB_OK && j < 200; j++) {
      SdbCredSet *s = sdbCredsAcquire(p);
      nAcq += s != NULL;
      sdbCredsRelease(p, s);
    }
    char zReq[64];
    snprintf(zReq, sizeof(zReq), "GET /canned/%s", azNear[i]);
    int n = logCount(zDir, zReq);
    CHECKF("creds: a set handed out near or past expiry is not fetched again at each acquire",
           rc == SDB_OK && nAcq == 200 && n >= 1 && n <= 2, "%s: rc=%d %s acquired=%d requests=%d",
           azNear[i], rc, err.zMsg, nAcq, n);
    sdbCredsFree(p);
  }

  int rc = openCanned(zDir, zUrl, "once", &p, &err);
  SdbCredSet *s = rc ? NULL : sdbCredsAcquire(p);
  u64 g = s ? s->iGen : 0;
  sdbCredsRelease(p, s);
  usleep(1100000);
  int nNewer = 0;
  for (int j = 0; rc == SDB_OK && j < 100; j++) nNewer += sdbCredsRenew(p, g);
  int n = logCount(zDir, "GET /canned/once");
  /* 1 at open, then one failed refresh (up to 3 attempts): not one per renew */
  CHECKF("creds: renews after a failed refresh wait SDB_CREDS_RETRY_MS", rc == SDB_OK &&
         nNewer == 0 && n >= 2 && n <= 4, "rc=%d %s newer=%d requests=%d", rc, err.zMsg, nNewer, n);
  sdbCredsFree(p);

  setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "tok\r\nX-Injected: 1", 1);
  char zCt[256];
  snprintf(zCt, sizeof(zCt), "%s/canned/crlf", zUrl);
  setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", zCt, 1);
  rc = sdbCredsOpen("us-east-1", NULL, &p, &err);
  CHECKF("creds: a CR/LF in AWS_CONTAINER_AUTHORIZATION_TOKEN is refused, nothing sent",
         rc == SDB_PERM && !p && strstr(err.zMsg, "AWS_CONTAINER_AUTHORIZATION_TOKEN: not "
         "printable") && logCount(zDir, "GET /canned/crlf") == 0, "rc=%d %s", rc, err.zMsg);
  sdbCredsFree(p);

  const char *azBad[][2] = {{"nul", "SecretAccessKey is not a JSON string"},
                            {"bigtok", "Token is not a JSON string"},
                            {"utok", "Token is not a JSON string"},
                            {"noexp", "no Expiration"}, {"nullexp", "no Expiration"}};
  for (int i = 0; i < 5; i++) {
    rc = openCanned(zDir, zUrl, azBad[i][0], &p, &err);
    CHECKF("creds: a container answer not representable exactly, or without Expiration, is an error",
           rc == SDB_IOERR && !p && strstr(err.zMsg, azBad[i][1]) && strstr(err.zMsg, "container"),
           "%s: rc=%d %s", azBad[i][0], rc, err.zMsg);
    sdbCredsFree(p);
    p = NULL;
  }
}

/* IMDS at a port that accepts connections but never answers: one open costs
** about CRED_IMDS_TOTAL_MS, the next one nothing (remembered per process). */
static void testSilentImds(const char *zDir) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t na = sizeof(a);
  if (fd < 0 || bind(fd, (struct sockaddr *)&a, na) || listen(fd, 16) ||
      getsockname(fd, (struct sockaddr *)&a, &na)) {
    printf("SKIP creds: silent IMDS: no socket\n");
    if (fd >= 0) close(fd);
    return;
  }
  char zUrl[64];
  snprintf(zUrl, sizeof(zUrl), "http://127.0.0.1:%d", ntohs(a.sin_port));
  clearEnv(zDir);
  setenv("AWS_EC2_METADATA_DISABLED", "false", 1);
  setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", zUrl, 1);
  i64 aMs[2];
  int aRc[2];
  SdbCreds *p = NULL;
  SdbErr err = {0};
  for (int i = 0; i < 2; i++) {
    i64 t0 = nowMs();
    aRc[i] = sdbCredsOpen("us-east-1", NULL, &p, &err);
    aMs[i] = nowMs() - t0;
    if (i == 1 && p && !strstr(sdbCredsTried(p), "not probed again")) aRc[i] = -1;
    sdbCredsFree(p);
    p = NULL;
  }
  CHECKF("creds: a silent IMDS costs one 1 s attempt, then is not probed again for a while",
         aRc[0] == SDB_OK && aRc[1] == SDB_OK && aMs[0] >= 900 && aMs[0] < 2500 && aMs[1] < 500,
         "rc=%d,%d ms=%lld,%lld", aRc[0], aRc[1], (long long)aMs[0], (long long)aMs[1]);
  close(fd);
}

static void testImds(const char *zDir) {
  char zUrl[128];
  pid_t pid = startServer(zUrl, sizeof(zUrl), zDir, 301);   /* due 1 s after it is handed out */
  if (pid < 0) {
    printf("SKIP creds: IMDS: credserver.py did not start\n");
    return;
  }
  clearEnv(zDir);
  setenv("AWS_EC2_METADATA_DISABLED", "false", 1);
  setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", zUrl, 1);
  SdbCreds *p = NULL;
  SdbErr err = {0};
  i64 t0 = nowMs();
  int rc = sdbCredsOpen("us-east-1", NULL, &p, &err);
  SdbCredSet *s = rc ? NULL : sdbCredsAcquire(p);
  CHECKF("creds: IMDSv2 set with token and Expiration", s && strncmp(s->zKeyId, "ASIAIMDS", 8) == 0 &&
         s->zToken && s->expiresMs > t0 + 299000 && s->expiresMs < t0 + 303000 && s->iGen == 1 &&
         strcmp(sdbCredsSource(p), "IMDS") == 0, "rc=%d %s", rc, err.zMsg);
  u64 g = s ? s->iGen : 0;
  sdbCredsRelease(p, s);
  CHECK("creds: renew right after a fetch is not repeated", p && sdbCredsRenew(p, g) == 0);
  usleep(1100000);
  CHECK("creds: renew after a second fetches a new set", p && sdbCredsRenew(p, g) == 1);

  /* Threads across the refresh point: the set is due 1 s after it was fetched. */
  Worker aW[4];
  pthread_t aT[4];
  for (int i = 0; p && i < 4; i++) {
    aW[i] = (Worker){p, nowMs() + 2500, 0, 0, 0};
    pthread_create(&aT[i], NULL, workerMain, &aW[i]);
  }
  int bad = !p, nAcq = 0;
  u64 maxGen = 0;
  for (int i = 0; p && i < 4; i++) {
    pthread_join(aT[i], NULL);
    bad |= aW[i].bad;
    nAcq += aW[i].n;
    if (aW[i].maxGen > maxGen) maxGen = aW[i].maxGen;
  }
  /* Each set is due 1 s after its fetch: about two refreshes in 2.5 s. */
  CHECKF("creds: 4 threads across refreshes see whole sets, generations only grow",
         !bad && maxGen >= 3 && maxGen <= 8, "bad=%d maxGen=%llu acquisitions=%d", bad,
         (unsigned long long)maxGen, nAcq);
  sdbCredsFree(p);

  /* Web identity: the token file is read at each fetch (a rotated token works). */
  char zTokFile[512], zSts[160];
  snprintf(zTokFile, sizeof(zTokFile), "%s/webtoken", zDir);
  snprintf(zSts, sizeof(zSts), "%s/sts/", zUrl);
  FILE *f = fopen(zTokFile, "w");
  fputs("web-token-one\n", f);
  fclose(f);
  clearEnv(zDir);
  setenv("AWS_WEB_IDENTITY_TOKEN_FILE", zTokFile, 1);
  setenv("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/sdb-test", 1);
  setenv("AWS_ENDPOINT_URL_STS", zSts, 1);
  rc = sdbCredsOpen("us-east-1", NULL, &p, &err);
  s = rc ? NULL : sdbCredsAcquire(p);
  CHECKF("creds: web identity from STS", s && strncmp(s->zKeyId, "ASIASTS", 7) == 0 && s->zToken &&
         s->expiresMs > t0 && strcmp(sdbCredsSource(p), "web identity") == 0, "rc=%d %s", rc, err.zMsg);
  g = s ? s->iGen : 0;
  sdbCredsRelease(p, s);
  f = fopen(zTokFile, "w");
  fputs("web-token-two\n", f);
  fclose(f);
  usleep(1100000);
  CHECK("creds: web identity renews with the rotated token file", p && sdbCredsRenew(p, g) == 1);
  sdbCredsFree(p);
  f = fopen(zTokFile, "w");
  fputs("web-token-three\n", f);
  fclose(f);
  setenv("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/other", 1);
  rc = sdbCredsOpen("us-east-1", NULL, &p, &err);
  CHECKF("creds: STS refusal names the source and code, not the token", rc == SDB_PERM && !p &&
         strstr(err.zMsg, "web identity") && strstr(err.zMsg, "AccessDenied") &&
         !strstr(err.zMsg, "web-token-three"), "rc=%d %s", rc, err.zMsg);

  clearEnv(zDir);
  setenv("AWS_EC2_METADATA_DISABLED", "false", 1);
  setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:1", 1);
  t0 = nowMs();
  rc = sdbCredsOpen("us-east-1", NULL, &p, &err);
  CHECKF("creds: IMDS unreachable is skipped at once", rc == SDB_OK && !sdbCredsAcquire(p) &&
         nowMs() - t0 < 3000 && strstr(sdbCredsTried(p), "IMDS (connection refused or "
         "unreachable at http://127.0.0.1:1)"), "rc=%d %s", rc, p ? sdbCredsTried(p) : err.zMsg);
  sdbCredsFree(p);
  testCanned(zDir, zUrl);
  testWipe(zDir, zUrl);
  kill(pid, SIGTERM);
  waitpid(pid, NULL, 0);
}

int main(void) {
  char zDir[] = "/tmp/t_creds.XXXXXX";
  if (!mkdtemp(zDir)) return 1;
  testLocal(zDir);
  testImds(zDir);
  testSilentImds(zDir);
  char zCmd[256];
  snprintf(zCmd, sizeof(zCmd), "rm -rf %s", zDir);
  if (system(zCmd) != 0) printf("# could not remove %s\n", zDir);
  return test_done();
}
