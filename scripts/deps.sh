#!/bin/sh
# deps.sh: make sure the Debian packages the build needs are installed.
# As root it installs what is missing (apt-get); otherwise it stops with the
# one command to run. With --test also the packages only the tests use: Debian's
# python3 with venv, pip, setuptools and wheel (scripts/python-test.sh builds and
# installs the Python package offline with them, and prints SKIP without them).
need=""
extra=""
[ "${1:-}" = --test ] && extra="python3 python3-venv python3-pip python3-setuptools python3-wheel"
for p in libsqlite3-dev libcurl4-openssl-dev libssl-dev libsnappy-dev zlib1g-dev \
         liblz4-dev libzstd-dev libxxhash-dev sqlite3 pkg-config $extra; do
  dpkg -s "$p" >/dev/null 2>&1 || need="$need $p"
done
[ -z "$need" ] && exit 0
if [ "$(id -u)" = 0 ]; then
  echo "deps: installing$need"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need) >/dev/null || {
    echo "deps: apt-get install$need failed"; exit 1; }
else
  echo "deps: missing packages; run: sudo apt-get install -y$need"
  exit 1
fi
