/*
** curlapi.h: libcurl, loaded when the first S3 store or credential request
** needs it, not when the extension loads.
**
** Linking libcurl into slatedb.so made every process that loads the extension
** map and relocate libcurl's whole dependency tree (about thirty libraries:
** TLS, LDAP, Kerberos, SSH, IDN, ...): about 6 ms per new sqlite3 process,
** also for local-directory databases that never use it. The extension now
** opens Debian's libcurl.so.4 with dlopen on first use, once per process,
** and calls it through the table below. The code that uses libcurl includes
** this header instead of <curl/curl.h> and calls curl_* as usual: the names
** are macros for the table's entries, valid once sdbCurlLoad succeeded.
*/
#ifndef SDB_STORE_CURLAPI_H
#define SDB_STORE_CURLAPI_H

#define CURL_DISABLE_TYPECHECK 1  /* curl.h's checking macros would hide ours */
#include <curl/curl.h>

#include "util/sdbInt.h"

/* The libcurl functions the store uses. */
typedef struct SdbCurlApi {
  CURLcode (*global_init)(long flags);
  CURL *(*easy_init)(void);
  CURLcode (*easy_setopt)(CURL *h, CURLoption opt, ...);
  CURLcode (*easy_getinfo)(CURL *h, CURLINFO info, ...);
  CURLcode (*easy_perform)(CURL *h);
  void (*easy_reset)(CURL *h);
  void (*easy_cleanup)(CURL *h);
  const char *(*easy_strerror)(CURLcode cc);
  CURLM *(*multi_init)(void);
  CURLMcode (*multi_setopt)(CURLM *m, CURLMoption opt, ...);
  CURLMcode (*multi_add_handle)(CURLM *m, CURL *h);
  CURLMcode (*multi_remove_handle)(CURLM *m, CURL *h);
  CURLMcode (*multi_perform)(CURLM *m, int *pnRunning);
  CURLMcode (*multi_poll)(CURLM *m, struct curl_waitfd *a, unsigned n, int ms, int *pnFd);
  CURLMsg *(*multi_info_read)(CURLM *m, int *pnLeft);
  CURLMcode (*multi_cleanup)(CURLM *m);
  struct curl_slist *(*slist_append)(struct curl_slist *p, const char *z);
  void (*slist_free_all)(struct curl_slist *p);
} SdbCurlApi;

/* The loaded table; NULL before the first successful sdbCurlLoad. */
extern const SdbCurlApi *sdbCurlApi;

/*
** Load libcurl (dlopen of libcurl.so.4, every function above resolved,
** curl_global_init) once per process; later calls return the first call's
** outcome. SDB_OK, or SDB_ERROR with a message naming the library and the
** loader's reason (libcurl missing or too old). Thread-safe.
*/
int sdbCurlLoad(SdbErr *pErr);

#ifndef SDB_CURLAPI_IMPL
/* curl.h may define some of these names as macros of its own. */
#undef curl_global_init
#define curl_global_init (sdbCurlApi->global_init)
#undef curl_easy_init
#define curl_easy_init (sdbCurlApi->easy_init)
#undef curl_easy_setopt
#define curl_easy_setopt (sdbCurlApi->easy_setopt)
#undef curl_easy_getinfo
#define curl_easy_getinfo (sdbCurlApi->easy_getinfo)
#undef curl_easy_perform
#define curl_easy_perform (sdbCurlApi->easy_perform)
#undef curl_easy_reset
#define curl_easy_reset (sdbCurlApi->easy_reset)
#undef curl_easy_cleanup
#define curl_easy_cleanup (sdbCurlApi->easy_cleanup)
#undef curl_easy_strerror
#define curl_easy_strerror (sdbCurlApi->easy_strerror)
#undef curl_multi_init
#define curl_multi_init (sdbCurlApi->multi_init)
#undef curl_multi_setopt
#define curl_multi_setopt (sdbCurlApi->multi_setopt)
#undef curl_multi_add_handle
#define curl_multi_add_handle (sdbCurlApi->multi_add_handle)
#undef curl_multi_remove_handle
#define curl_multi_remove_handle (sdbCurlApi->multi_remove_handle)
#undef curl_multi_perform
#define curl_multi_perform (sdbCurlApi->multi_perform)
#undef curl_multi_poll
#define curl_multi_poll (sdbCurlApi->multi_poll)
#undef curl_multi_info_read
#define curl_multi_info_read (sdbCurlApi->multi_info_read)
#undef curl_multi_cleanup
#define curl_multi_cleanup (sdbCurlApi->multi_cleanup)
#undef curl_slist_append
#define curl_slist_append (sdbCurlApi->slist_append)
#undef curl_slist_free_all
#define curl_slist_free_all (sdbCurlApi->slist_free_all)
#endif

#endif
