#!/usr/bin/env python3
"""layers.py BUILD: checks the layering rules of ARCHITECTURE.md on the sources
and on the objects that `make` built into BUILD/core.

1. Includes: a file in core/<layer>/ includes only core/slatedb.h and headers of
   its own layer or of layers below it (util < store < table < meta < db).
   Includes are resolved as the compiler does ("" and <>, relative paths
   normalised), so "util/../db/x.h" counts as db/.
2. ext/ includes nothing of core/ but slatedb.h, and its objects use no core
   symbol but the public sdb_* API.
3. Symbols: no core source file uses a symbol defined in a higher layer, and no
   two core source files depend on each other, directly or through others
   (read from `nm` of each object; a source without an up-to-date object is a
   problem too).
Prints one line per violation and ends with "layers: N problems"; exit status
1 when N > 0.
"""
import glob
import os
import re
import subprocess
import sys

LAYERS = ["util", "store", "table", "meta", "db"]
RANK = {name: i for i, name in enumerate(LAYERS)}
INCLUDE = re.compile(r'^\s*#\s*include\s*[<"]([^">]+)[">]', re.M)


def layer_of(path):
    parts = path.split("/")
    return parts[1] if len(parts) > 2 and parts[0] == "core" else None


def core_header(path, inc):
    """The core/ header that #include inc in path resolves to (the including
    file's folder first, then -Icore), as a normalised path, or None when it
    is not a file of core/ (a system or ext/ header)."""
    for base in (os.path.dirname(path), "core"):
        cand = os.path.normpath(os.path.join(base, inc))
        if os.path.isfile(cand):
            return cand if cand.startswith("core" + os.sep) else None
    return None


def check_includes(problems):
    for path in sorted(glob.glob("core/*/*.[ch]")):
        mine = layer_of(path)
        if mine not in RANK:
            problems.append(f"{path}: folder {mine} is not a layer ({', '.join(LAYERS)})")
            continue
        for inc in INCLUDE.findall(open(path).read()):
            target = core_header(path, inc)
            if target is None or target == "core/slatedb.h":
                continue
            theirs = layer_of(target)
            if inc != os.path.relpath(target, "core"):
                problems.append(f"{path}: includes \"{inc}\"; write it as \"{os.path.relpath(target, 'core')}\"")
            if theirs not in RANK:
                problems.append(f"{path}: includes {target}, which is in no layer")
            elif RANK[theirs] > RANK[mine]:
                problems.append(f"{path} ({mine}) includes {target} of the higher layer {theirs}")
    for path in sorted(glob.glob("ext/*.[ch]")):
        for inc in INCLUDE.findall(open(path).read()):
            target = core_header(path, inc)
            if target is not None and target != "core/slatedb.h":
                problems.append(f"{path}: ext/ includes {target}; only core/slatedb.h is allowed")


DEFINED = set("TDBRCWVGSi")   # nm types of a global definition


def read_objects(build, pattern, problems):
    """{source: (defined symbols, used symbols)} for the objects of pattern;
    a source without an up-to-date object is a problem (build first)."""
    out = {}
    for src in sorted(glob.glob(pattern)):
        obj = os.path.join(build, src[:-2] + ".o")
        if not os.path.isfile(obj) or os.path.getmtime(obj) < os.path.getmtime(src):
            problems.append(f"{src}: no up-to-date object {obj}: run make first")
            continue
        text = subprocess.run(["nm", obj], capture_output=True, text=True, check=True).stdout
        defs, uses = set(), set()
        for line in text.splitlines():
            f = line.split()
            if len(f) == 3 and f[1] in DEFINED:
                defs.add(f[2])
            elif len(f) == 2 and f[0] == "U":
                uses.add(f[1])
        out[src] = (defs, uses)
    return out


def symbol_graph(objects):
    defs, uses = {}, {}
    for src, (d, u) in objects.items():
        for sym in d:
            defs[sym] = src
        uses[src] = u
    graph = {}
    for src, syms in uses.items():
        for sym in syms:
            other = defs.get(sym)
            if other and other != src:
                graph.setdefault(src, {}).setdefault(other, set()).add(sym)
    return graph


def reachable(graph, start):
    seen, stack = set(), [start]
    while stack:
        for nxt in graph.get(stack.pop(), {}):
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return seen


def check_ext_symbols(core, ext, problems):
    """ext/ may use of core/ only the public API (sdb_*), whatever it includes."""
    public = {s for defs, _ in core.values() for s in defs if s.startswith("sdb_")}
    internal = {s for defs, _ in core.values() for s in defs} - public
    for src, (_, uses) in sorted(ext.items()):
        bad = sorted(uses & internal)
        if bad:
            problems.append(f"{src} uses core internals: {' '.join(bad)}")


def check_symbols(core, problems):
    graph = symbol_graph(core)
    if not graph:
        problems.append("no core objects: build first")
        return
    for src, deps in sorted(graph.items()):
        for dst, syms in sorted(deps.items()):
            if RANK.get(layer_of(dst), 0) > RANK.get(layer_of(src), 0):
                problems.append(f"{src} uses {dst} of a higher layer: {' '.join(sorted(syms))}")
    reach = {src: reachable(graph, src) for src in graph}
    pairs = sorted({tuple(sorted((a, b))) for a in reach for b in reach[a]
                    if a != b and a in reach.get(b, ())})
    for a, b in pairs:
        problems.append(f"cycle: {a} <-> {b}")


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else "build"
    problems = []
    check_includes(problems)
    core = read_objects(build, "core/*/*.c", problems)
    ext = read_objects(build, "ext/*.c", problems)
    check_symbols(core, problems)
    check_ext_symbols(core, ext, problems)
    for p in problems:
        print(p)
    print(f"layers: {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
