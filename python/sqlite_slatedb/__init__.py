"""sqlite_slatedb: SlateDB databases as SQLite virtual tables, from Python.

The package bundles the sqlite-slatedb extension (slatedb.so, built from this
repository by `pip install .`). Typical use with the standard sqlite3 module:

    import sqlite3, sqlite_slatedb
    conn = sqlite3.connect(":memory:")
    sqlite_slatedb.load(conn)
    conn.execute("CREATE VIRTUAL TABLE kv USING slatedb('s3://bucket/db', mode=reader)")

Other bindings (apsw, sqlean, ...) can load loadable_path() themselves.
"""
import os
import sqlite3

__version__ = "0.1.0"
__all__ = ["load", "loadable_path", "__version__"]


def loadable_path():
    """The bundled extension's path without its .so suffix.

    SQLite adds the suffix and derives the entry point (sqlite3_slatedb_init)
    from the file name, so the path can be given as it is to
    load_extension() or to the shell's .load.
    """
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "slatedb")


def load(conn):
    """Load the extension into the sqlite3 connection conn.

    Extension loading is enabled for the load and disabled again afterwards
    (also when the load fails), so SQL run on conn later cannot load other
    libraries. Raises sqlite3.OperationalError if the load fails, and
    RuntimeError if this Python's sqlite3 module cannot load extensions.
    """
    if not hasattr(conn, "enable_load_extension"):
        raise RuntimeError(
            "this Python's sqlite3 module was built without extension loading"
            " (Debian's python3 has it; a Python built from source needs"
            " ./configure --enable-loadable-sqlite-extensions)")
    conn.enable_load_extension(True)
    try:
        conn.load_extension(loadable_path())
    finally:
        conn.enable_load_extension(False)
