"""smoke.py DIR: the installed sqlite_slatedb package, as a user uses it.

Run by scripts/python-test.sh with the Python of a venv the package was
pip-installed into, from outside the source tree. DIR is a scratch folder for
the database. Prints one PASS/FAIL/SKIP line per check.
"""
import os
import sqlite3
import sys


def check(name, ok, why=""):
    print(("PASS python: %s" % name) if ok else ("FAIL python: %s: %s" % (name, why)))
    return ok


def main(work):
    import sqlite_slatedb

    conn = sqlite3.connect(":memory:")
    if not hasattr(conn, "enable_load_extension"):
        print("SKIP python: this Python's sqlite3 module cannot load extensions")
        return
    path = sqlite_slatedb.loadable_path()
    check("loadable_path() is the installed package's slatedb.so",
          os.path.isfile(path + ".so") and "site-packages" in path and os.path.isabs(path),
          "loadable_path() = %r" % path)

    sqlite_slatedb.load(conn)
    version = conn.execute("SELECT slatedb_version()").fetchone()[0]
    check("load(conn) loads the extension of the package's version",
          ("sqlite-slatedb %s " % sqlite_slatedb.__version__) in version,
          "slatedb_version() = %r, package %s" % (version, sqlite_slatedb.__version__))
    try:
        conn.load_extension(path)
        check("load(conn) disables extension loading again", False, "a second load_extension worked")
    except sqlite3.OperationalError as e:
        check("load(conn) disables extension loading again", "not authorized" in str(e), str(e))

    db = os.path.join(work, "db")
    conn.execute("CREATE VIRTUAL TABLE kv USING slatedb(%s, mode=writer)" % sql_quote(db))
    conn.executemany("INSERT INTO kv(key, value) VALUES (?, ?)",
                     [("user:%03d" % i, "v%d" % i) for i in range(100)])
    conn.commit()
    rows = conn.execute("SELECT key, value FROM kv WHERE key >= 'user:010' AND key < 'user:013'"
                        " ORDER BY key").fetchall()
    check("a mode=writer table writes and reads back",
          rows == [("user:010", "v10"), ("user:011", "v11"), ("user:012", "v12")], repr(rows))

    # load() again on the same connection: the table made before still counts
    # in slatedb_cost (a second load registers nothing).
    sqlite_slatedb.load(conn)
    conn.execute("INSERT INTO kv(key, value) VALUES ('user:100', 'v100')")
    conn.commit()
    puts = conn.execute("SELECT puts FROM slatedb_cost WHERE scope = 'last statement'").fetchone()
    check("load(conn) twice: slatedb_cost still counts the table's commit", puts == (1,),
          "last statement puts = %r" % (puts,))

    reader = sqlite3.connect(":memory:")
    sqlite_slatedb.load(reader)
    reader.execute("CREATE VIRTUAL TABLE r USING slatedb(%s, mode=reader)" % sql_quote(db))
    got = reader.execute("SELECT count(*), min(key), max(value) FROM r").fetchone()
    check("a mode=reader table on another connection sees the commits",
          got == (101, "user:000", "v99"), repr(got))
    try:
        reader.execute("INSERT INTO r VALUES ('x', 'y')")
        check("the reader refuses writes", False, "the INSERT worked")
    except sqlite3.Error as e:
        check("the reader refuses writes", "slatedb" in str(e), str(e))
    reader.close()
    conn.close()


def sql_quote(s):
    return "'" + s.replace("'", "''") + "'"


if __name__ == "__main__":
    try:
        main(sys.argv[1])
    except Exception as e:  # a crash is a failure with its reason, not a silent exit
        print("FAIL python: smoke.py: %s: %s" % (type(e).__name__, e))
        sys.exit(1)
