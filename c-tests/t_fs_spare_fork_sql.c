/*
** t_fs_spare_fork_sql.c: review reproducer (commit 127ede6), through SQL: a
** process that committed twice to a local writer table forks (a pre-fork
** server that opened the database before forking its workers); the child
** opens a connection of its own, which the handle registry gives the
** parent's handle, and commits one row; then the parent commits one row.
** Before 127ede6 each PUT made its own temp file; now both processes hold
** the one spare (one open file description, one offset): the parent's WAL
** SST is appended to the object the child published and acknowledged.
** A fresh process then reads the database: the child's acknowledged row
** must be there.
*/
#define SQLITE_CORE 1
#define SDB_TESTHOOKS 1
#include "../ext/cost.c"
#include "../ext/handles.c"
#include "../ext/keycodec.c"
#include "../ext/options.c"
#include "../ext/slatedb_ext.c"
#include "../ext/vtab.c"
#include "../ext/vtab_args.c"
#include "../ext/vtab_info.c"
#include "../ext/vtab_read.c"
#include "../ext/vtab_plan.c"
#include "../ext/vtab_write.c"

#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test.h"
#include "vtabtest.h"

static char zRoot[256];

static void listWal(void) {
  char zPath[400];
  snprintf(zPath, sizeof(zPath), "%s/wal", zRoot);
  DIR *d = opendir(zPath);
  struct dirent *e;
  while (d && (e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.' && (e->d_name[1] == 0 || e->d_name[1] == '.')) continue;
    char zF[700];
    struct stat st;
    snprintf(zF, sizeof(zF), "%s/%s", zPath, e->d_name);
    stat(zF, &st);
    printf("#   wal/%s %lld bytes\n", e->d_name, (long long)st.st_size);
  }
  if (d) closedir(d);
}

/* In a new process: how many rows with key zKey a fresh reader sees, or -1. */
static int countInFreshProcess(const char *zKey) {
  pid_t pid = fork();
  if (pid == 0) {
    /* A forked child inherits the registry: forget it (a fresh process would
    ** have none) by reading through a path alias the registry does not know?
    ** It canonicalises paths, so read with a reader handle instead (mode
    ** differs: a separate handle that loads the manifest and WAL anew). */
    sqlite3 *db = openTable(zRoot, NULL);
    int n = -1;
    sqlite3_stmt *st = 0;
    if (db && sqlite3_prepare_v2(db, "SELECT count(*) FROM t WHERE key = ?", -1, &st, 0) == SQLITE_OK) {
      sqlite3_bind_text(st, 1, zKey, -1, SQLITE_STATIC);
      if (sqlite3_step(st) == SQLITE_ROW) n = sqlite3_column_int(st, 0);
      else printf("# read: %s\n", sqlite3_errmsg(db));
    }
    sqlite3_finalize(st);
    _exit(n < 0 ? 255 : n);
  }
  int s = 0;
  waitpid(pid, &s, 0);
  return WIFEXITED(s) ? (WEXITSTATUS(s) == 255 ? -1 : WEXITSTATUS(s)) : -2;
}

int main(void) {
  snprintf(zRoot, sizeof(zRoot), "%s/sdb-sparefork-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
  CHECK("temp dir", mkdtemp(zRoot) != NULL);
  setvbuf(stdout, NULL, _IONBF, 0);
  strcat(zRoot, "/db");
  sqlite3 *db = openTable(zRoot, "mode=writer, compactor=off, gc=off");
  CHECK("open writer", db != NULL);
  CHECK("commit a", execSql(db, "INSERT INTO t(key, value) VALUES ('a', 'a')") == SQLITE_OK);
  CHECK("commit b", execSql(db, "INSERT INTO t(key, value) VALUES ('b', 'b')") == SQLITE_OK);
  usleep(100000);   /* the spare is made */
  pid_t pid = fork();
  if (pid == 0) {
    alarm(5);
    sqlite3 *db2 = openTable(zRoot, "mode=writer, compactor=off, gc=off");
    int rc = db2 ? execSql(db2, "INSERT INTO t(key, value) VALUES ('child', 'acknowledged')") : -1;
    _exit(rc == SQLITE_OK ? 0 : 1);   /* exits without closing, as a killed worker would */
  }
  int st = 0;
  waitpid(pid, &st, 0);
  CHECKF("the child's commit was acknowledged", WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %d", st);
  int rc = execSql(db, "INSERT INTO t(key, value) VALUES ('parent', 'p')");
  printf("# the parent's commit after the child's: rc=%d\n", rc);
  listWal();
  int n = countInFreshProcess("child");
  CHECKF("a fresh reader sees the child's acknowledged row", n == 1, "count=%d", n);
  sqlite3_close(db);
  char zCmd[300];
  snprintf(zCmd, sizeof(zCmd), "rm -rf '%.*s'", (int)(strlen(zRoot) - 3), zRoot);
  if (system(zCmd) != 0) printf("# could not remove\n");
  return test_done();
}
