#!/usr/bin/env bash
# bench-compare.sh A B: compare two results files of `make bench` workload 9 (scripts/bench-proc.sh,
# build/bench/results.tsv): per workload the ours/native ratio of each run and its change
# (B / A; < 1 = B closer to native), and whether B meets the target.
set -u
[ $# -eq 2 ] && [ -f "$1" ] && [ -f "$2" ] || { echo "usage: bench-compare.sh A.tsv B.tsv" >&2; exit 2; }
awk -F '\t' '
  FNR == 1 || /^#/ { next }
  FNR == NR { ra[$1] = $5; oa[$1] = $3; next }
  { w[++n] = $1; rb[$1] = $5; ob[$1] = $3; tg[$1] = $6; met[$1] = $7 }
  END {
    printf "%-14s %10s %10s %10s %10s %8s %-12s %s\n", "workload", "ours A", "ours B", "ratio A", "ratio B", "B/A", "target", "met (B)"
    for (i = 1; i <= n; i++) {
      k = w[i]; a = (k in ra) ? ra[k] : "-"
      ch = (a != "-" && a + 0 > 0 && rb[k] != "-") ? sprintf("%.2f", rb[k] / a) : "-"
      printf "%-14s %10s %10s %10s %10s %8s %-12s %s\n", k, (k in oa) ? oa[k] : "-", ob[k], a, rb[k], ch, tg[k], met[k]
    }
  }' "$1" "$2"
