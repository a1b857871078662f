/*
** testalloc.h: an engine allocator for tests, installed with sdb_config_alloc
** (testAllocInstall, before anything is allocated). Every block carries its
** size in front; a freed block is overwritten with 0xA5 before it goes back to
** malloc and a realloc always moves, so a pointer kept past its block's free
** reads poison instead of passing by luck; testAllocBytes() is how many bytes
** the engine holds at the moment.
*/
#ifndef SDB_TESTALLOC_H
#define SDB_TESTALLOC_H

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "slatedb.h"

#define TESTALLOC_HDR 16
static atomic_long testAllocOut;    /* bytes outstanding */

static void *testAllocMalloc(void *pCtx, size_t n) {
  (void)pCtx;
  unsigned char *p = malloc(n + TESTALLOC_HDR);
  if (!p) return NULL;
  memcpy(p, &n, sizeof(n));
  atomic_fetch_add(&testAllocOut, (long)n);
  return p + TESTALLOC_HDR;
}

static void testAllocFree(void *pCtx, void *pv) {
  (void)pCtx;
  if (!pv) return;
  unsigned char *p = (unsigned char *)pv - TESTALLOC_HDR;
  size_t n;
  memcpy(&n, p, sizeof(n));
  atomic_fetch_sub(&testAllocOut, (long)n);
  memset(p, 0xA5, n + TESTALLOC_HDR);
  free(p);
}

static void *testAllocRealloc(void *pCtx, void *pv, size_t n) {
  void *pNew = testAllocMalloc(pCtx, n);
  if (!pNew || !pv) return pNew;
  size_t nOld;
  memcpy(&nOld, (unsigned char *)pv - TESTALLOC_HDR, sizeof(nOld));
  memcpy(pNew, pv, nOld < n ? nOld : n);
  testAllocFree(pCtx, pv);
  return pNew;
}

/* Install the allocator: SDB_OK, or SDB_MISUSE if the engine holds memory. */
static inline int testAllocInstall(void) {
  static const SdbAllocMethods m = {testAllocMalloc, testAllocRealloc, testAllocFree, NULL};
  return sdb_config_alloc(&m);
}

/* Bytes the engine holds now. */
static inline long testAllocBytes(void) { return atomic_load(&testAllocOut); }

#endif
