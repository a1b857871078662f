/*
** curlapi.c: loads libcurl on first use (curlapi.h says why).
**
** Ownership: the library handle and the table live until the process exits
** (libcurl is never unloaded: its global state outlives every store).
*/
#define SDB_CURLAPI_IMPL
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

#include "store/curlapi.h"

/* The soname of Debian's libcurl4 (any libcurl with ABI 4). */
#define CURL_SONAME "libcurl.so.4"

const SdbCurlApi *sdbCurlApi = NULL;

static SdbCurlApi gApi;
static pthread_once_t gOnce = PTHREAD_ONCE_INIT;
static char gzWhy[256];           /* why the load failed; "" when it worked */

/* Resolve zName from hLib into *ppFn; 0 if it is missing (gzWhy says). */
static int curlSym(void *hLib, const char *zName, void **ppFn) {
  *ppFn = dlsym(hLib, zName);
  if (*ppFn) return 1;
  snprintf(gzWhy, sizeof(gzWhy), "%s has no %s (libcurl 7.66 or later is needed)", CURL_SONAME,
           zName);
  return 0;
}

/* Every entry of the table, in order, with its libcurl name. */
#define CURL_FN(field) {#field, (void **)&gApi.field}
static int curlResolve(void *hLib) {
  static const struct { const char *zField; void **ppFn; } a[] = {
    CURL_FN(global_init), CURL_FN(easy_init), CURL_FN(easy_setopt), CURL_FN(easy_getinfo),
    CURL_FN(easy_perform), CURL_FN(easy_reset), CURL_FN(easy_cleanup), CURL_FN(easy_strerror),
    CURL_FN(multi_init), CURL_FN(multi_setopt), CURL_FN(multi_add_handle),
    CURL_FN(multi_remove_handle), CURL_FN(multi_perform), CURL_FN(multi_poll),
    CURL_FN(multi_info_read), CURL_FN(multi_cleanup), CURL_FN(slist_append),
    CURL_FN(slist_free_all),
  };
  for (size_t i = 0; i < sizeof(a) / sizeof(a[0]); i++) {
    char zName[64];
    snprintf(zName, sizeof(zName), "curl_%s", a[i].zField);
    if (!curlSym(hLib, zName, a[i].ppFn)) return 0;
  }
  return 1;
}

/* pthread_once body: dlopen, resolve, curl_global_init. */
static void curlLoadOnce(void) {
  void *hLib = dlopen(CURL_SONAME, RTLD_NOW | RTLD_LOCAL);
  if (!hLib) {
    const char *z = dlerror();
    snprintf(gzWhy, sizeof(gzWhy), "cannot load %s (install Debian's libcurl4): %s", CURL_SONAME,
             z ? z : "unknown reason");
    return;
  }
  if (!curlResolve(hLib)) return;       /* the handle stays open: harmless */
  if (gApi.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
    snprintf(gzWhy, sizeof(gzWhy), "%s: curl_global_init failed", CURL_SONAME);
    return;
  }
  sdbCurlApi = &gApi;
}

int sdbCurlLoad(SdbErr *pErr) {
  pthread_once(&gOnce, curlLoadOnce);
  if (sdbCurlApi) return SDB_OK;
  return sdbErrSet(pErr, SDB_ERROR, "S3 needs libcurl: %s", gzWhy);
}
