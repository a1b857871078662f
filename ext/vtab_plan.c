/*
** vtab_plan.c: xBestIndex of the slatedb module, and the parser xFilter uses
** to read the plan back (design/SQL.md §4.6).
**
** What is pushed down (only under BINARY collation, only on usable terms):
**
**   key = ?, key IS ?          point lookup                        argv, omit
**   key IN (...)               all at once (sqlite3_vtab_in): one xFilter
**                              sorts, dedupes and looks the keys up in order
**   key > >= < <= ?, BETWEEN   range bounds (max of lowers, min of uppers)
**   key GLOB 'p*'              through the BINARY >= / < terms SQLite derives;
**                              the GLOB itself stays with SQLite
**   prefix = ?  (kv('p'))      range [p, successor(p)); an unusable prefix
**                              term makes the plan fail (SQLITE_CONSTRAINT)
**   ORDER BY key [DESC]        consumed; the scan runs in that direction
**   url = ?, options = ?       slatedb_read's arguments: must be usable
**                              (else SQLITE_CONSTRAINT); without url, a plan
**                              costs 1e300 (an OR branch) and xFilter fails
**   extra_arg = ?              the catcher after the argument columns: a
**                              table-function argument too many; an error
**   LIMIT / OFFSET             only if every other term was consumed with
**                              omit=1, the ORDER BY (if any) was consumed and
**                              there is no point lookup (an IN handled one
**                              value per xFilter looks like one)
**
**   key LIKE 'p%'              text and blob keys: the range of the pattern's
**                              ASCII literal prefix, covering every ASCII case
**                              variant (sdbExtBoundsLike); omit=0, so SQLite
**                              re-checks the LIKE (case_sensitive_like too,
**                              whose BINARY >= / < terms SQLite derives and
**                              which make the range exact); only while the
**                              connection's like() answers a probe as the
**                              built-in does (planLikeIsBuiltin)
**
** The NOCASE terms SQLite derives from a case-insensitive LIKE, terms on
** value/seq/timestamps and functions are left to SQLite; so is a second IN
** or LIKE on key. LIKE ... ESCAPE is never offered to a virtual table.
**
** key_type=text: a key term whose right-hand side is not a constant known
** here (a parameter, a column of another table, an IN list) is loose (see
** extInt.h): omit=0, xFilter scans a superset, and its idxStr token ends in
** "~" ("key=~"). A text, blob or NULL constant is compared as text, as a
** literal is; a number constant is loose (it may carry CAST's affinity).
**
** Checked terms: a loose range term (>, >=, <, <=) while the table holds no
** key below ':' ("low" keys; bNoLowKeys) is omitted (omit=1) and its token
** ends in "!" ("key<=!"), so SQLite does not re-check each row. Why this can
** be exact: SQLite does not tell us the affinity of the right-hand side v.
** For `key OP v` it compares (a) as text when v has no affinity (a number
** becomes its text: 7 -> '7', 9e999 -> 'Inf'), (b) numerically when v has
** NUMERIC/INTEGER/REAL affinity (a numeric-looking key such as '007', ' 7',
** '-1.5e3' becomes a number, below all text; other keys stay text), (c) by
** class then bytes when v has TEXT/BLOB affinity (numbers < text < blob).
** A numeric-looking key starts with a byte below ':' (white space, '+', '-',
** '.', digits). The three readings agree, and xFilter's bounds are exact,
** for a "clear" v: NULL (no row), BLOB (above every text key), or TEXT whose
** first byte is >= ':' (plain byte order for every key). For an "unclear" v
** (INTEGER, REAL, or TEXT empty or starting below ':') they agree only
** outside the zone Z(v) = { key < ':' } plus, for a number, { key <= text(v) }
** (only +Inf's 'Inf' is above ':'): there every reading says key > v. So
** xFilter (sdbExtZoneApply) keeps the superset bounds (no lower bound for >
** and >=; for < and <= the superset holds only zone keys) and records the
** zone; a row within it fails the statement ("prepare it again"), since the
** table changed after planning; prepared again, the plan is loose. Rows
** outside the zone cost one flag test. EQ and IN stay loose.
**
** A database whose text encoding is UTF-16 (PRAGMA encoding, fixed once the
** schema exists and shared by ATTACHed databases) compares text with memcmp
** of UTF-16, an order unlike the engine's UTF-8 byte order. There a text key
** gets only = and IN (equality does not depend on order): no range, checked
** or LIKE term, and ORDER BY key is left to SQLite (so LIMIT/OFFSET too).
** LIKE is not pushed on blob keys either: like() reads a blob as text in the
** database's encoding (unless built with SQLITE_LIKE_DOESNT_MATCH_BLOBS).
** The = and IN terms are not omitted there: the engine looks up the UTF-8
** of the value, and SQLite's UTF-16 to UTF-8 conversion is not one to one
** (a lone surrogate takes the next code unit with it: 00D8 6100 becomes the
** UTF-8 of U+10061, whose key reads back as 00D8 61DC), so SQLite re-checks.
**
** idxStr names the role of each xFilter argument in argv order, e.g.
** "key>= key< ORDER DESC LIMIT" (EXPLAIN QUERY PLAN shows idxNum:idxStr);
** "FULL" is an unconstrained scan. idxNum is a bit mask for humans only:
**
**   0x001 EQ   0x002 IN   0x004 LOWER   0x008 LOWER_EXCL  0x010 UPPER
**   0x020 UPPER_EXCL   0x040 PREFIX   0x080 ORDER   0x100 DESC   0x200 LIMIT
**   0x400 OFFSET   0x800 LOOSE (some key term is loose)   0x1000 LIKE
**   0x2000 CHECKED (some key term is checked)
**
** Costs, for a table of N rows (sdb_db_estimate once the table's database
** is open, else 1e6; no I/O happens here): a point lookup costs 10 (a loose
** one 20) and returns one row (SQLITE_INDEX_SCAN_UNIQUE), an IN list 10 per
** key (10 keys assumed), a range 10 + 4 per row it returns (N/4 per bound,
** N/64 for a prefix or a LIKE prefix), a full scan 100 + 4N. SQLite's own
** tables cost about 3 per row scanned, and about log2(rows) per rowid
** lookup, so with a realistic N a join probes the key of a large database
** in the inner loop, and scans a small one against a larger native table.
*/
#include <float.h>
#include <string.h>

#include "extInt.h"

#define PLAN_EQ         0x001
#define PLAN_IN         0x002
#define PLAN_LOWER      0x004
#define PLAN_LOWER_EXCL 0x008
#define PLAN_UPPER      0x010
#define PLAN_UPPER_EXCL 0x020
#define PLAN_PREFIX     0x040
#define PLAN_ORDER      0x080
#define PLAN_DESC       0x100
#define PLAN_LIMIT      0x200
#define PLAN_OFFSET     0x400
#define PLAN_LOOSE      0x800
#define PLAN_LIKE       0x1000
#define PLAN_CHECKED    0x2000

#ifdef SDB_TESTHOOKS
int sdbExtTestNoOmit = 0;
#endif

/* Token of each SDB_ARG_* role in idxStr (index = role). */
static const char *const azRoleToken[] = {
  "", "key=", "key IN", "key>", "key>=", "key<", "key<=", "prefix=", "LIMIT", "OFFSET",
  "key LIKE", "url=", "options="
};

/* See extInt.h. */
const SdbExtPlanCols sdbExtPlanColsTable = { SDB_COL_PREFIX, -1, -1, SDB_COL_EXTRA };
const SdbExtPlanCols sdbExtPlanColsRead = { -1, SDB_RCOL_URL, SDB_RCOL_OPTIONS, SDB_RCOL_EXTRA };

/* Work state of one xBestIndex call. */
typedef struct PlanBuild {
  sqlite3 *db;                    /* the connection (for the like() probe) */
  sqlite3_index_info *pInfo;
  int nArg;                       /* argv slots assigned so far */
  u8 aRole[SDB_PLAN_MAXARG];      /* role of each slot */
  u8 aLoose[SDB_PLAN_MAXARG];     /* slot is a loose key term */
  u8 aChecked[SDB_PLAN_MAXARG];   /* slot is a checked key term (omitted) */
  int eKeyType;                   /* SDB_KEY_* of the table */
  int bNoLowKeys;                 /* loose range terms may be checked */
  int idxNum;                     /* PLAN_* bits */
  int bNoOmit;                    /* test hook: never set omit */
  int bPrefixUnusable;            /* a prefix = term that is not usable */
  int mArgUnusable;               /* bit 1 << (role - SDB_ARG_URL): an unusable
                                  ** url = or options = term */
  int mArgUsed;                   /* the same bits: the argument is in argv */
  int bExtra;                     /* a term on the catcher column */
  int nUrl;                       /* url = terms seen, usable or not */
  int eLikeBuiltin;               /* planLikeIsBuiltin's answer, -1 before */
  int bUtf16;                     /* the database's text is UTF-16 (file comment) */
} PlanBuild;

/* Give constraint i the next argv slot with role eRole. False if full.
** A loose term is never omitted: SQLite re-checks it. */
static int planUse(PlanBuild *p, int i, int eRole, int bLoose) {
  if (p->nArg >= SDB_PLAN_MAXARG) return 0;
  p->aLoose[p->nArg] = (u8)bLoose;
  p->aRole[p->nArg++] = (u8)eRole;
  p->pInfo->aConstraintUsage[i].argvIndex = p->nArg;
  p->pInfo->aConstraintUsage[i].omit = (p->bNoOmit || bLoose) ? 0 : 1;
  return 1;
}

/* True if key constraint i (role eRole) is loose: a text key whose
** right-hand side is not a constant known at planning time, or is a number
** (a literal 7 has no affinity, but CAST(7 AS INTEGER) has INTEGER affinity
** and compares '07' numerically; the value cannot tell them apart). A text
** constant has no affinity or TEXT affinity (a numeric CAST yields a number):
** compared as text either way. */
static int planIsLoose(PlanBuild *p, int i, int eRole) {
  sqlite3_value *pRhs = 0;
  if (p->eKeyType != SDB_KEY_TEXT) return 0;
  if (eRole == SDB_ARG_KEY_IN) return 1;
  if (sqlite3_vtab_rhs_value(p->pInfo, i, &pRhs) != SQLITE_OK || pRhs == 0) return 1;
  int eType = sqlite3_value_type(pRhs);
  return eType == SQLITE_INTEGER || eType == SQLITE_FLOAT;
}

/* True if constraint i's right-hand side is the constant REAL +Inf (its text
** 'Inf' sorts from ':' up): checked, it would fail on every key from ':' to
** 'Inf'; loose, SQLite compares those rows itself. */
static int planRhsIsInf(PlanBuild *p, int i) {
  sqlite3_value *pRhs = 0;
  if (sqlite3_vtab_rhs_value(p->pInfo, i, &pRhs) != SQLITE_OK || pRhs == 0) return 0;
  return sqlite3_value_type(pRhs) == SQLITE_FLOAT && sqlite3_value_double(pRhs) > DBL_MAX;
}

/* The role of a key constraint with operator op, or 0 if not pushed down. */
static int planKeyRole(int op) {
  switch (op) {
    case SQLITE_INDEX_CONSTRAINT_EQ:
    case SQLITE_INDEX_CONSTRAINT_IS: return SDB_ARG_KEY_EQ;
    case SQLITE_INDEX_CONSTRAINT_GT: return SDB_ARG_KEY_GT;
    case SQLITE_INDEX_CONSTRAINT_GE: return SDB_ARG_KEY_GE;
    case SQLITE_INDEX_CONSTRAINT_LT: return SDB_ARG_KEY_LT;
    case SQLITE_INDEX_CONSTRAINT_LE: return SDB_ARG_KEY_LE;
    default: return 0;
  }
}

/* PLAN_* bits for a key role. */
static int planKeyBits(int eRole) {
  switch (eRole) {
    case SDB_ARG_KEY_EQ: return PLAN_EQ;
    case SDB_ARG_KEY_IN: return PLAN_IN;
    case SDB_ARG_KEY_GT: return PLAN_LOWER | PLAN_LOWER_EXCL;
    case SDB_ARG_KEY_GE: return PLAN_LOWER;
    case SDB_ARG_KEY_LT: return PLAN_UPPER | PLAN_UPPER_EXCL;
    default:             return PLAN_UPPER;
  }
}

/* Consider constraint i on the key column. */
static void planKey(PlanBuild *p, int i) {
  const struct sqlite3_index_constraint *pCons = &p->pInfo->aConstraint[i];
  int eRole = planKeyRole(pCons->op);
  if (!pCons->usable || eRole == 0) return;
  if (p->bUtf16 && p->eKeyType == SDB_KEY_TEXT && eRole != SDB_ARG_KEY_EQ) return;
  const char *zColl = sqlite3_vtab_collation(p->pInfo, i);
  if (zColl && sqlite3_stricmp(zColl, "BINARY") != 0) return;
  if (pCons->op == SQLITE_INDEX_CONSTRAINT_EQ && sqlite3_vtab_in(p->pInfo, i, -1)) {
    if (p->idxNum & PLAN_IN) return;    /* a second IN stays with SQLite */
    eRole = SDB_ARG_KEY_IN;
  }
  int bLoose = planIsLoose(p, i, eRole);
  int bChecked = bLoose && p->bNoLowKeys && eRole >= SDB_ARG_KEY_GT && eRole <= SDB_ARG_KEY_LE
                 && !planRhsIsInf(p, i);
  if (bChecked) bLoose = 0;
  if (!planUse(p, i, eRole, bLoose)) return;
  if (p->bUtf16 && p->eKeyType == SDB_KEY_TEXT) {
    p->pInfo->aConstraintUsage[i].omit = 0;   /* UTF-8 is lossy: SQLite re-checks */
  }
  if (bChecked) {
    p->aChecked[p->nArg - 1] = 1;
    p->idxNum |= PLAN_CHECKED;
  }
  if (eRole == SDB_ARG_KEY_IN) sqlite3_vtab_in(p->pInfo, i, 1);
  if (bLoose) {
    p->idxNum |= PLAN_LOOSE;
    if (eRole == SDB_ARG_KEY_EQ) return;      /* not a point lookup */
  }
  p->idxNum |= planKeyBits(eRole);
}

/*
** The probe of like(): pairs on which SQLite's built-in like() (either
** case_sensitive_like) answers as listed, and a like() that folds Unicode
** (ICU's), ignores accents or reads its wildcards otherwise does not. The
** range of a LIKE term covers only ASCII case variants of the literal
** prefix, so it is pushed only while the probe holds. Each pair is
** like(pattern, string):
*/
static const char zLikeProbe[] =
  "SELECT like('k', char(8490))"        /* KELVIN SIGN folds to k in Unicode */
  " || like('s', char(383))"            /* LONG S folds to s */
  " || like('a', char(228))"            /* a-umlaut: accent-insensitive */
  " || like('a', char(65345))"          /* FULLWIDTH a: compatibility folding */
  " || like(char(228), char(196))"      /* a-umlaut vs A-umlaut: Unicode case */
  " || like('ab', 'abc') || like('abc', 'abd') || like('a%', 'ba')"
  " || like('a_c', 'abc') || like('a%', 'aXY') || like('%b%', 'abc')"
  " || like('abc', 'abc')";
#define LIKE_PROBE_EXPECT "000000001111"

/*
** True if the connection's like() answers the probe as SQLite's built-in
** does. A nested statement, run while SQLite prepares the outer one (no
** table, so no schema or lock is involved); any failure means false. The
** answer holds for the outer statement's life: it calls the like() it
** resolved now, and redefining like() expires the connection's statements,
** whose new prepare probes again.
*/
static int planLikeIsBuiltin(sqlite3 *db) {
  sqlite3_stmt *pStmt = 0;
  int bOk = 0;
  if (sqlite3_prepare_v2(db, zLikeProbe, -1, &pStmt, 0) == SQLITE_OK &&
      sqlite3_step(pStmt) == SQLITE_ROW) {
    const unsigned char *z = sqlite3_column_text(pStmt, 0);
    bOk = z && strcmp((const char *)z, LIKE_PROBE_EXPECT) == 0;
  }
  sqlite3_finalize(pStmt);
  return bOk;
}

/*
** Consider LIKE constraint i on the key (text and blob keys): xFilter scans
** the range of the pattern's literal prefix (sdbExtBoundsLike), omit=0 so
** SQLite re-checks the LIKE. A pattern known here without a literal prefix
** ('%x', '_x') would scan everything: left to SQLite. One LIKE is pushed,
** and none when like() is not the built-in (planLikeIsBuiltin, once per call).
*/
static void planLike(PlanBuild *p, int i) {
  const struct sqlite3_index_constraint *pCons = &p->pInfo->aConstraint[i];
  sqlite3_value *pRhs = 0;
  if (!pCons->usable || (p->idxNum & PLAN_LIKE) || p->bUtf16) return;
  if (p->eKeyType != SDB_KEY_TEXT && p->eKeyType != SDB_KEY_BLOB) return;
  if (sqlite3_vtab_rhs_value(p->pInfo, i, &pRhs) == SQLITE_OK && pRhs) {
    sqlite3_value *pCopy = sqlite3_value_dup(pRhs);
    const u8 *z = pCopy ? sqlite3_value_text(pCopy) : 0;
    int n = z ? sdbExtLikePrefixLen(z) : 0;
    sqlite3_value_free(pCopy);
    if (n == 0) return;
  }
  if (p->eLikeBuiltin < 0) p->eLikeBuiltin = p->db ? planLikeIsBuiltin(p->db) : 0;
  if (!p->eLikeBuiltin) return;
  if (!planUse(p, i, SDB_ARG_KEY_LIKE, 0)) return;
  p->pInfo->aConstraintUsage[i].omit = 0;
  p->idxNum |= PLAN_LIKE;
}

/* Consider constraint i on the hidden prefix column. */
static void planPrefix(PlanBuild *p, int i) {
  const struct sqlite3_index_constraint *pCons = &p->pInfo->aConstraint[i];
  if (pCons->op != SQLITE_INDEX_CONSTRAINT_EQ) return;
  if (!pCons->usable) { p->bPrefixUnusable = 1; return; }
  const char *zColl = sqlite3_vtab_collation(p->pInfo, i);
  if (zColl && sqlite3_stricmp(zColl, "BINARY") != 0) return;
  if (p->idxNum & PLAN_PREFIX) return;  /* a second one is checked by SQLite */
  if (planUse(p, i, SDB_ARG_PREFIX, 0)) p->idxNum |= PLAN_PREFIX;
}

/* Consider constraint i on an argument column of slatedb_read (role eRole).
** A second term on one (`url = ?` in WHERE too) is left to SQLite. */
static void planArg(PlanBuild *p, int i, int eRole) {
  const struct sqlite3_index_constraint *pCons = &p->pInfo->aConstraint[i];
  if (pCons->op != SQLITE_INDEX_CONSTRAINT_EQ) return;
  if (eRole == SDB_ARG_URL) p->nUrl++;
  int bit = 1 << (eRole - SDB_ARG_URL);
  if (!pCons->usable) { p->mArgUnusable |= bit; return; }
  if ((p->mArgUsed & bit) || !planUse(p, i, eRole, 0)) return;
  p->mArgUsed |= bit;
  p->pInfo->aConstraintUsage[i].omit = 1;    /* xColumn returns the argument */
}

/* True if constraint op is LIMIT or OFFSET. */
static int planIsLimitOp(int op) {
  return op == SQLITE_INDEX_CONSTRAINT_LIMIT || op == SQLITE_INDEX_CONSTRAINT_OFFSET;
}

/* True if every constraint other than LIMIT/OFFSET was consumed with omit. */
static int planAllOmitted(const PlanBuild *p) {
  const sqlite3_index_info *pInfo = p->pInfo;
  for (int i = 0; i < pInfo->nConstraint; i++) {
    if (planIsLimitOp(pInfo->aConstraint[i].op)) continue;
    if (!pInfo->aConstraintUsage[i].omit) return 0;
  }
  return 1;
}

/* Push LIMIT and OFFSET down when that is safe (see the file comment). */
static void planLimit(PlanBuild *p) {
  sqlite3_index_info *pInfo = p->pInfo;
  if (p->bNoOmit || (p->idxNum & PLAN_EQ)) return;
  if (pInfo->nOrderBy > 0 && !pInfo->orderByConsumed) return;
  if (!planAllOmitted(p)) return;
  for (int i = 0; i < pInfo->nConstraint; i++) {
    const struct sqlite3_index_constraint *pCons = &pInfo->aConstraint[i];
    if (!planIsLimitOp(pCons->op) || !pCons->usable) continue;
    int bLimit = pCons->op == SQLITE_INDEX_CONSTRAINT_LIMIT;
    if ((p->idxNum & (bLimit ? PLAN_LIMIT : PLAN_OFFSET)) != 0) continue;
    if (planUse(p, i, bLimit ? SDB_ARG_LIMIT : SDB_ARG_OFFSET, 0)) {
      p->idxNum |= bLimit ? PLAN_LIMIT : PLAN_OFFSET;
    }
  }
}

/* Consume ORDER BY key [ASC|DESC]. Later terms cannot matter: key is unique. */
static void planOrder(PlanBuild *p) {
  sqlite3_index_info *pInfo = p->pInfo;
  if (pInfo->nOrderBy < 1 || pInfo->aOrderBy[0].iColumn != SDB_COL_KEY) return;
  if (p->bUtf16 && p->eKeyType == SDB_KEY_TEXT) return;   /* SQLite sorts */
  pInfo->orderByConsumed = 1;
  p->idxNum |= PLAN_ORDER;
  if (pInfo->aOrderBy[0].desc) p->idxNum |= PLAN_DESC;
}

/* Costs, in the units of SQLite's planner (a native full scan costs about 3
** per row, a rowid lookup about log2 of the rows). */
#define COST_ROW   4.0     /* a row a scan reads, decodes and returns */
#define COST_SCAN  100.0   /* starting a full scan: every table of the version */
#define COST_PROBE 10.0    /* a point lookup, or a range scan's seek */

/* Estimated cost and rows of the plan for a table of nRows rows. */
static void planCost(PlanBuild *p, double nRows) {
  sqlite3_index_info *pInfo = p->pInfo;
  double nOut = nRows, rCost;
  if (p->idxNum & PLAN_EQ) {
    nOut = 1;
    rCost = COST_PROBE;
    pInfo->idxFlags |= SQLITE_INDEX_SCAN_UNIQUE;
  } else if (p->idxNum & PLAN_IN) {
    nOut = 10;
    rCost = 10 * COST_PROBE;
  } else if ((p->idxNum & PLAN_LOOSE)
             && !(p->idxNum & (PLAN_LOWER | PLAN_UPPER | PLAN_PREFIX | PLAN_LIKE))) {
    nOut = 2;                     /* a loose key = : a lookup for text values */
    rCost = 2 * COST_PROBE;
  } else if (!(p->idxNum & (PLAN_LOWER | PLAN_UPPER | PLAN_PREFIX | PLAN_LIKE))) {
    rCost = nRows * COST_ROW + COST_SCAN;
  } else {
    if (p->idxNum & PLAN_LOWER) nOut /= 4;
    if (p->idxNum & PLAN_UPPER) nOut /= 4;
    if (p->idxNum & (PLAN_PREFIX | PLAN_LIKE)) nOut /= 64;
    rCost = nOut * COST_ROW + COST_PROBE;
  }
  pInfo->estimatedRows = nOut < 1 ? 1 : (sqlite3_int64)nOut;
  pInfo->estimatedCost = rCost;
}

/* Build idxStr: the argv roles in order, with ORDER inserted before LIMIT. */
static int planIdxStr(PlanBuild *p) {
  sqlite3_str *pStr = sqlite3_str_new(0);
  int bOrder = (p->idxNum & PLAN_ORDER) != 0;
  for (int i = 0; i < p->nArg; i++) {
    if (bOrder && (p->aRole[i] == SDB_ARG_LIMIT || p->aRole[i] == SDB_ARG_OFFSET)) {
      sqlite3_str_appendf(pStr, "%sORDER %s", i ? " " : "", (p->idxNum & PLAN_DESC) ? "DESC" : "ASC");
      bOrder = 0;
    }
    sqlite3_str_appendf(pStr, "%s%s%s", i ? " " : "", azRoleToken[p->aRole[i]],
                        p->aLoose[i] ? "~" : p->aChecked[i] ? "!" : "");
  }
  if (bOrder) {
    sqlite3_str_appendf(pStr, "%sORDER %s", p->nArg ? " " : "",
                        (p->idxNum & PLAN_DESC) ? "DESC" : "ASC");
  }
  if (sqlite3_str_length(pStr) == 0) sqlite3_str_appendall(pStr, "FULL");
  char *z = sqlite3_str_finish(pStr);
  if (!z) return SQLITE_NOMEM;
  p->pInfo->idxStr = z;
  p->pInfo->needToFreeIdxStr = 1;
  return SQLITE_OK;
}

/* See extInt.h. */
int sdbExtBestIndex(sqlite3 *db, sqlite3_index_info *pInfo, double nEstRows, int eKeyType,
                    int bNoOmit, int bNoLowKeys, int *peEnc) {
  return sdbExtBestIndexCols(db, pInfo, nEstRows, eKeyType, bNoOmit, bNoLowKeys, peEnc,
                             &sdbExtPlanColsTable);
}

/* See extInt.h. */
int sdbExtTextIsUtf16(sqlite3 *db, int *peEnc) {
  if (*peEnc == 0 && db) {
    sqlite3_stmt *pStmt = 0;
    if (sqlite3_prepare_v2(db, "PRAGMA encoding", -1, &pStmt, 0) == SQLITE_OK &&
        sqlite3_step(pStmt) == SQLITE_ROW) {
      const char *z = (const char *)sqlite3_column_text(pStmt, 0);
      if (z) *peEnc = sqlite3_stricmp(z, "UTF-8") == 0 ? SQLITE_UTF8 : SQLITE_UTF16;
    }
    sqlite3_finalize(pStmt);
  }
  return *peEnc != SQLITE_UTF8;      /* unknown (a failure): as UTF-16, exact */
}

/* Give each constraint to the planner of its column. */
static void planConstraints(PlanBuild *p, const SdbExtPlanCols *pCols) {
  for (int i = 0; i < p->pInfo->nConstraint; i++) {
    int iCol = p->pInfo->aConstraint[i].iColumn;
    if (iCol == SDB_COL_KEY && p->pInfo->aConstraint[i].op == SQLITE_INDEX_CONSTRAINT_LIKE) {
      planLike(p, i);
    } else if (iCol == SDB_COL_KEY) planKey(p, i);
    else if (iCol == pCols->iPrefix) planPrefix(p, i);
    else if (iCol == pCols->iUrl) planArg(p, i, SDB_ARG_URL);
    else if (iCol == pCols->iOptions) planArg(p, i, SDB_ARG_OPTIONS);
    else if (iCol == pCols->iExtra) p->bExtra = 1;
  }
}

/* See extInt.h. */
int sdbExtBestIndexCols(sqlite3 *db, sqlite3_index_info *pInfo, double nEstRows, int eKeyType,
                        int bNoOmit, int bNoLowKeys, int *peEnc, const SdbExtPlanCols *pCols) {
  PlanBuild b;
  memset(&b, 0, sizeof(b));
  b.db = db;
  b.bNoLowKeys = bNoLowKeys && eKeyType == SDB_KEY_TEXT;
  b.eLikeBuiltin = -1;
  b.pInfo = pInfo;
  b.eKeyType = eKeyType;
  b.bNoOmit = bNoOmit;
  b.bUtf16 = sdbExtTextIsUtf16(db, peEnc);
  planConstraints(&b, pCols);
  if (b.bExtra) return SDB_PLAN_EXTRA_ARG;
  if (b.mArgUnusable & ~b.mArgUsed) return SQLITE_CONSTRAINT;
  if (b.bPrefixUnusable && !(b.idxNum & PLAN_PREFIX)) return SQLITE_CONSTRAINT;
  planOrder(&b);
  planLimit(&b);
  planCost(&b, nEstRows);
  if (pCols->iUrl >= 0 && b.nUrl == 0) pInfo->estimatedCost = 1e300;   /* see extInt.h */
  pInfo->idxNum = b.idxNum;
  return planIdxStr(&b);
}

/* See extInt.h. */
int sdbExtPlanParse(const char *zIdxStr, int argc, SdbExtPlan *pPlan) {
  const char *z = zIdxStr ? zIdxStr : "";
  memset(pPlan, 0, sizeof(*pPlan));
  if (strcmp(z, "FULL") == 0) z = "";
  while (*z) {
    int eRole = 0;
    size_t n = 0;
    if (strncmp(z, "ORDER ASC", 9) == 0) { n = 9; }
    else if (strncmp(z, "ORDER DESC", 10) == 0) { n = 10; pPlan->bDesc = 1; }
    for (int r = 1; n == 0 && r < (int)(sizeof(azRoleToken) / sizeof(azRoleToken[0])); r++) {
      size_t m = strlen(azRoleToken[r]);
      if (strncmp(z, azRoleToken[r], m) != 0) continue;
      int bLoose = z[m] == '~', bChecked = z[m] == '!';
      int bMark = bLoose || bChecked;
      if (z[m + bMark] != ' ' && z[m + bMark] != 0) continue;
      eRole = r;
      n = m + (size_t)bMark;
      if (pPlan->nArg < SDB_PLAN_MAXARG) {
        pPlan->aLoose[pPlan->nArg] = (u8)bLoose;
        pPlan->aChecked[pPlan->nArg] = (u8)bChecked;
      }
    }
    if (n == 0 || (eRole && pPlan->nArg >= SDB_PLAN_MAXARG)) return SQLITE_ERROR;
    if (eRole) pPlan->aRole[pPlan->nArg++] = (u8)eRole;
    z += n;
    if (*z == ' ') z++;
  }
  return pPlan->nArg == argc ? SQLITE_OK : SQLITE_ERROR;
}
