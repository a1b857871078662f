#!/usr/bin/env python3
"""layers.py BUILD: checks the layering rules of ARCHITECTURE.md on the sources
and on the objects that `make` built into BUILD/core.

1. Includes: a file in core/<layer>/ includes only core/slatedb.h and headers of
   its own layer or of layers below it (util < store < table < meta < db).
2. ext/ includes nothing of core/ but slatedb.h.
3. Symbols: no core source file uses a symbol defined in a higher layer, and no
   two core source files depend on each other, directly or through others
   (read from `nm` of each object).
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
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def layer_of(path):
    parts = path.split("/")
    return parts[1] if len(parts) > 2 and parts[0] == "core" else None


def check_includes(problems):
    for path in sorted(glob.glob("core/*/*.[ch]")):
        mine = layer_of(path)
        if mine not in RANK:
            problems.append(f"{path}: folder {mine} is not a layer ({', '.join(LAYERS)})")
            continue
        for inc in INCLUDE.findall(open(path).read()):
            if inc == "slatedb.h":
                continue
            theirs = inc.split("/")[0] if "/" in inc else None
            if theirs not in RANK:
                problems.append(f"{path}: includes \"{inc}\", not a layer-qualified core header")
            elif RANK[theirs] > RANK[mine]:
                problems.append(f"{path} ({mine}) includes {inc} of the higher layer {theirs}")
    for path in sorted(glob.glob("ext/*.[ch]")):
        for inc in INCLUDE.findall(open(path).read()):
            if inc not in ("slatedb.h", "extInt.h", "sqlite3ext.h", "sqlite3.h"):
                problems.append(f"{path}: ext/ includes {inc}; only slatedb.h of core/ is allowed")


def symbol_graph(build):
    defs, uses = {}, {}
    for obj in sorted(glob.glob(f"{build}/core/*/*.o")):
        src = os.path.relpath(obj, build)[:-2] + ".c"
        out = subprocess.run(["nm", obj], capture_output=True, text=True, check=True).stdout
        for line in out.splitlines():
            f = line.split()
            if len(f) == 3 and f[1] in "TDBRC":
                defs[f[2]] = src
            elif len(f) == 2 and f[0] == "U":
                uses.setdefault(src, set()).add(f[1])
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


def check_symbols(build, problems):
    graph = symbol_graph(build)
    if not graph:
        problems.append(f"no objects under {build}/core: build first")
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
    check_symbols(build, problems)
    for p in problems:
        print(p)
    print(f"layers: {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
