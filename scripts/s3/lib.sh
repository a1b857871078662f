# lib.sh: start/stop moto + the strict keep-alive proxy for S3 tests. Source it:
#
#   . scripts/s3/lib.sh
#   dir=$(mktemp -d)
#   trap 's3_stop "$dir"' EXIT
#   s3_start "$dir" || { echo "SKIP my-suite: $S3_ERROR"; exit 0; }
#   s3_make_bucket sdbtest-bucket
#   s3_rules '[{"method":"PUT","status":503,"times":2}]'   # optional faults
#   ... run the client against $AWS_ENDPOINT ...
#   s3_stats                 # JSON counters of the proxy
#   s3_reset; s3_moto_reset  # between tests, instead of restarting
#
# s3_start DIR exports (always these test values):
#   AWS_ENDPOINT=http://127.0.0.1:PROXYPORT   AWS_ALLOW_HTTP=true
#   AWS_REGION=us-east-1   AWS_DEFAULT_REGION=us-east-1
#   AWS_ACCESS_KEY_ID=sdbtest   AWS_SECRET_ACCESS_KEY=sdbtest-secret
#   SDB_TEST_MOTO=http://127.0.0.1:MOTOPORT    (moto itself, no proxy)
#   SDB_TEST_PROXY=http://127.0.0.1:PROXYPORT  (same as AWS_ENDPOINT)
#   SDB_TEST_S3DIR=DIR
# and unsets AWS_SESSION_TOKEN, AWS_PROFILE and AWS_ENDPOINT_URL, unless
# SDB_TEST_SESSION_TOKEN is set: then AWS_SESSION_TOKEN=$SDB_TEST_SESSION_TOKEN
# and the proxy requires that token (signed x-amz-security-token).
# Files in DIR: moto.pid, moto.port, moto.log, proxy.pid, proxy.port,
# proxy.log (one line per request, see s3proxy.py), proxy.err.
# On failure s3_start prints the reason to stderr, sets S3_ERROR, stops what it
# started and returns non-zero.
#
# s3_stop DIR kills both by the PIDs in DIR (never by name) and waits for them.
# The other helpers use $SDB_TEST_MOTO / $SDB_TEST_PROXY and return non-zero
# when the HTTP answer is not 2xx.

S3_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# _s3_curl ARGS...: curl that ignores proxy environment variables.
_s3_curl() { curl --noproxy '*' -sS --max-time 10 "$@"; }

# _s3_free_port: print a free TCP port on 127.0.0.1.
_s3_free_port() {
  "$S3_PYTHON" -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# _s3_alive PID: true if PID runs and is not a zombie.
_s3_alive() {
  local st
  [ -n "$1" ] && kill -0 "$1" 2>/dev/null || return 1
  st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
  [ "$st" != Z ]
}

# _s3_kill PIDFILE: TERM, wait up to 5 s, then KILL; reap if it is our child.
_s3_kill() {
  local f=$1 pid i
  [ -f "$f" ] || return 0
  pid=$(cat "$f" 2>/dev/null)
  if [ -n "$pid" ] && _s3_alive "$pid"; then
    kill "$pid" 2>/dev/null || true
    for i in $(seq 50); do _s3_alive "$pid" || break; sleep 0.1; done
    if _s3_alive "$pid"; then kill -9 "$pid" 2>/dev/null || true; sleep 0.1; fi
  fi
  if [ -n "$pid" ]; then wait "$pid" 2>/dev/null || true; fi
  rm -f "$f"
  return 0
}

_s3_fail() {
  S3_ERROR=$1
  echo "s3_start: $1" >&2
  return 1
}

# s3_start DIR
s3_start() {
  local dir=$1 i mport pport code attempt
  [ -n "$dir" ] || { _s3_fail "usage: s3_start DIR"; return 1; }
  mkdir -p "$dir" || { _s3_fail "cannot create $dir"; return 1; }
  dir=$(cd "$dir" && pwd)
  S3_ERROR=
  command -v curl >/dev/null || { _s3_fail "curl is not installed"; return 1; }
  command -v python3 >/dev/null || { _s3_fail "python3 is not on PATH"; return 1; }
  # The real interpreter (not the pyenv shim): faster, and $! is the server itself.
  S3_PYTHON=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null)
  [ -x "$S3_PYTHON" ] || { _s3_fail "python3 does not run"; return 1; }
  local err
  if ! err=$("$S3_PYTHON" -c 'import moto.server, flask, werkzeug' 2>&1); then
    _s3_fail "python3 ($S3_PYTHON) cannot import moto's server: $(echo "$err" | tail -n 1)"
    return 1
  fi

  export AWS_ACCESS_KEY_ID=sdbtest
  export AWS_SECRET_ACCESS_KEY=sdbtest-secret
  export AWS_REGION=us-east-1
  export AWS_DEFAULT_REGION=us-east-1
  export AWS_ALLOW_HTTP=true
  unset AWS_PROFILE AWS_ENDPOINT_URL
  local verify="$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY"
  if [ -n "${SDB_TEST_SESSION_TOKEN:-}" ]; then
    export AWS_SESSION_TOKEN=$SDB_TEST_SESSION_TOKEN
    verify="$verify:$SDB_TEST_SESSION_TOKEN"
  else
    unset AWS_SESSION_TOKEN
  fi

  # moto: a free port can be taken between the probe and the bind; retry.
  for attempt in 1 2 3; do
    mport=$(_s3_free_port) || { _s3_fail "cannot find a free port"; return 1; }
    "$S3_PYTHON" -m moto.server -H 127.0.0.1 -p "$mport" >"$dir/moto.log" 2>&1 </dev/null &
    echo $! >"$dir/moto.pid"
    echo "$mport" >"$dir/moto.port"
    code=000
    for i in $(seq 200); do          # 200 x 0.1 s = 20 s
      _s3_alive "$(cat "$dir/moto.pid")" || break
      code=$(curl --noproxy '*' -s -o /dev/null -w '%{http_code}' --max-time 2 \
             "http://127.0.0.1:$mport/moto-api/data.json" 2>/dev/null) || true
      [ "$code" = 200 ] && break
      sleep 0.1
    done
    [ "$code" = 200 ] && break
    _s3_kill "$dir/moto.pid"
    if ! grep -qi 'address already in use' "$dir/moto.log"; then break; fi
  done
  if [ "$code" != 200 ]; then
    _s3_fail "moto did not start on 127.0.0.1:$mport within 20 s: $(tail -n 1 "$dir/moto.log" 2>/dev/null)"
    return 1
  fi

  rm -f "$dir/proxy.port"
  "$S3_PYTHON" "$S3_LIB_DIR/s3proxy.py" --upstream "127.0.0.1:$mport" \
    --listen 127.0.0.1:0 --port-file "$dir/proxy.port" --log "$dir/proxy.log" \
    --verify "$verify" --region "$AWS_REGION" >/dev/null 2>"$dir/proxy.err" </dev/null &
  echo $! >"$dir/proxy.pid"
  code=000
  for i in $(seq 200); do
    _s3_alive "$(cat "$dir/proxy.pid")" || break
    if [ -s "$dir/proxy.port" ]; then
      pport=$(cat "$dir/proxy.port")
      code=$(curl --noproxy '*' -s -o /dev/null -w '%{http_code}' --max-time 2 \
             "http://127.0.0.1:$pport/__proxy/stats" 2>/dev/null) || true
      [ "$code" = 200 ] && break
    fi
    sleep 0.1
  done
  if [ "$code" != 200 ]; then
    _s3_kill "$dir/proxy.pid"; _s3_kill "$dir/moto.pid"
    _s3_fail "the proxy did not start within 20 s: $(tail -n 1 "$dir/proxy.err" 2>/dev/null)"
    return 1
  fi

  export SDB_TEST_S3DIR=$dir
  export SDB_TEST_MOTO=http://127.0.0.1:$mport
  export SDB_TEST_PROXY=http://127.0.0.1:$pport
  export AWS_ENDPOINT=$SDB_TEST_PROXY
  return 0
}

# s3_stop DIR: stop the proxy and moto started by s3_start DIR (by PID only).
s3_stop() {
  local dir=$1
  [ -n "$dir" ] && [ -d "$dir" ] || return 0
  _s3_kill "$dir/proxy.pid"
  _s3_kill "$dir/moto.pid"
  return 0
}

# _s3_http EXPECTED-PREFIX CURL-ARGS...: run curl, print the body, check the status.
_s3_http() {
  local want=$1 out code
  shift
  out=$(_s3_curl -w '\n%{http_code}' "$@") || { echo "$out" >&2; return 1; }
  code=${out##*$'\n'}
  out=${out%$'\n'*}
  out=${out%$'\n'}
  [ -n "$out" ] && printf '%s\n' "$out"
  case $code in $want*) return 0 ;; esac
  echo "HTTP $code from curl $*" >&2
  return 1
}

# s3_make_bucket NAME: unsigned PUT /NAME straight to moto (>= 3 characters).
s3_make_bucket() {
  _s3_http 2 -X PUT "$SDB_TEST_MOTO/$1" >/dev/null
}

# s3_rules JSON [SEED]: replace the proxy's fault rules (reseed the RNG if SEED).
s3_rules() {
  _s3_http 2 -X POST -H 'Content-Type: application/json' --data-binary "$1" \
    "$SDB_TEST_PROXY/__proxy/rules${2:+?seed=$2}" >/dev/null
}

# s3_reset: clear the proxy's rules and counters.
s3_reset() { _s3_http 2 -X POST "$SDB_TEST_PROXY/__proxy/reset" >/dev/null; }

# s3_stats: print the proxy's counters (JSON).
s3_stats() { _s3_http 2 "$SDB_TEST_PROXY/__proxy/stats"; }

# s3_stat FIELD: print one counter, e.g. s3_stat sigv4_fail, s3_stat faults.status_503
# (0 when absent).
s3_stat() {
  s3_stats | "${S3_PYTHON:-python3}" -c 'import json, sys
v = json.load(sys.stdin)
for p in sys.argv[1].split("."):
    v = v.get(p, 0) if isinstance(v, dict) else 0
print(json.dumps(v) if isinstance(v, (dict, list)) else v)' "$1"
}

# s3_moto_reset: drop every bucket and object in moto.
s3_moto_reset() { _s3_http 2 -X POST "$SDB_TEST_MOTO/moto-api/reset" >/dev/null; }
