/*
** curlapi.c: libcurl loaded on first use (see curlapi.h).
*/
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "store/curlapi.h"

SdbCurlApi sdbCurl;

static pthread_once_t curlOnce = PTHREAD_ONCE_INIT;
static char zCurlWhy[256];   /* why loading failed; "" once loaded and initialised */

/* The names of SdbCurlApi's members in libcurl, in the struct's order. */
static const char *const azCurlSym[] = {
  "curl_global_init", "curl_easy_init", "curl_easy_setopt", "curl_easy_getinfo",
  "curl_easy_perform", "curl_easy_reset", "curl_easy_cleanup", "curl_easy_strerror",
  "curl_multi_init", "curl_multi_setopt", "curl_multi_add_handle", "curl_multi_remove_handle",
  "curl_multi_perform", "curl_multi_poll", "curl_multi_info_read", "curl_multi_cleanup",
  "curl_slist_append", "curl_slist_free_all",
};

/* pthread_once body: dlopen libcurl (kept loaded for the process's life),
** resolve every function into sdbCurl, run curl_global_init. Sets zCurlWhy
** on failure (the table is then left empty). */
static void curlLoadOnce(void) {
  SdbCurlApi api;
  enum { N = sizeof(azCurlSym) / sizeof(azCurlSym[0]) };
  _Static_assert(sizeof(api) == N * sizeof(void *), "SdbCurlApi and azCurlSym differ");
  if (!sdbLibLoad("libcurl.so.4", azCurlSym, N, (void **)&api, zCurlWhy, sizeof(zCurlWhy))) {
    if (strstr(zCurlWhy, " lacks ")) {
      size_t n = strlen(zCurlWhy);
      snprintf(zCurlWhy + n, sizeof(zCurlWhy) - n, " (libcurl 7.66 or later is needed)");
    }
    return;
  }
  if (api.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
    snprintf(zCurlWhy, sizeof(zCurlWhy), "libcurl initialisation failed");
    return;
  }
  sdbCurl = api;
}

int sdbCurlLoad(SdbErr *pErr) {
  pthread_once(&curlOnce, curlLoadOnce);
  if (zCurlWhy[0]) return sdbErrSet(pErr, SDB_CANTOPEN, "S3 needs libcurl: %s", zCurlWhy);
  return SDB_OK;
}
