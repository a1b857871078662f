/*
** curlapi.h: libcurl, loaded when the first S3 store or credential request
** needs it (sdbCurlLoad) instead of linked into the extension: loading
** libcurl and the two dozen libraries it needs (TLS, Kerberos, LDAP, ...)
** took about a third of the instructions of a short sqlite3 process that
** never touches S3.
**
** Include this instead of <curl/curl.h>: the curl_* functions below then call
** through the table sdbCurl, which is filled once sdbCurlLoad succeeded (it
** must be called before any of them). libcurl's compile-time type checks of
** curl_easy_setopt are off here (CURL_DISABLE_TYPECHECK): they wrap the name
** this header redefines.
*/
#ifndef SDB_CURLAPI_H
#define SDB_CURLAPI_H

#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>

#include "util/sdbInt.h"

/* The libcurl functions the engine calls. */
typedef struct SdbCurlApi {
  CURLcode (*global_init)(long);
  CURL *(*easy_init)(void);
  CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
  CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
  CURLcode (*easy_perform)(CURL *);
  void (*easy_reset)(CURL *);
  void (*easy_cleanup)(CURL *);
  const char *(*easy_strerror)(CURLcode);
  CURLM *(*multi_init)(void);
  CURLMcode (*multi_setopt)(CURLM *, CURLMoption, ...);
  CURLMcode (*multi_add_handle)(CURLM *, CURL *);
  CURLMcode (*multi_remove_handle)(CURLM *, CURL *);
  CURLMcode (*multi_perform)(CURLM *, int *);
  CURLMcode (*multi_poll)(CURLM *, struct curl_waitfd[], unsigned int, int, int *);
  CURLMsg *(*multi_info_read)(CURLM *, int *);
  CURLMcode (*multi_cleanup)(CURLM *);
  struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
  void (*slist_free_all)(struct curl_slist *);
} SdbCurlApi;

/* Filled by sdbCurlLoad; read-only afterwards. */
extern SdbCurlApi sdbCurl;

/* Load libcurl (libcurl.so.4) and run curl_global_init, once per process
** (later calls return the first outcome). SDB_OK, or SDB_CANTOPEN naming the
** library and why it could not be used. Thread-safe. */
int sdbCurlLoad(SdbErr *pErr);

#undef curl_easy_setopt     /* curl.h's pass-through macros of the variadic calls */
#undef curl_easy_getinfo
#undef curl_multi_setopt
#define curl_global_init sdbCurl.global_init
#define curl_easy_init sdbCurl.easy_init
#define curl_easy_setopt sdbCurl.easy_setopt
#define curl_easy_getinfo sdbCurl.easy_getinfo
#define curl_easy_perform sdbCurl.easy_perform
#define curl_easy_reset sdbCurl.easy_reset
#define curl_easy_cleanup sdbCurl.easy_cleanup
#define curl_easy_strerror sdbCurl.easy_strerror
#define curl_multi_init sdbCurl.multi_init
#define curl_multi_setopt sdbCurl.multi_setopt
#define curl_multi_add_handle sdbCurl.multi_add_handle
#define curl_multi_remove_handle sdbCurl.multi_remove_handle
#define curl_multi_perform sdbCurl.multi_perform
#define curl_multi_poll sdbCurl.multi_poll
#define curl_multi_info_read sdbCurl.multi_info_read
#define curl_multi_cleanup sdbCurl.multi_cleanup
#define curl_slist_append sdbCurl.slist_append
#define curl_slist_free_all sdbCurl.slist_free_all

#endif /* SDB_CURLAPI_H */
