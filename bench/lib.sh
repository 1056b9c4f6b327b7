# shellcheck shell=bash
# Shared by the bench/*.sh scripts, which source it (it is not run on its own): which coproxy to
# measure, the processes a benchmark starts and how it stops them, free ports, and what /proc and
# the admin endpoint say about a process. A script makes `work` (its temp dir) first, then installs
# `trap cleanup EXIT`.

work=""                      # the script's temp dir, which it makes before using what needs it
pids=()                      # every background process to stop at the end
declare -A pidof logof cmdof # process label -> pid, log file, command line (for restarts)

# The binary to measure: $COPROXY as given, else build/src/coproxy, freshly built.
coproxy_binary() {
  if [ -z "${COPROXY:-}" ]; then
    .ci/build coproxy >/dev/null
    COPROXY=build/src/coproxy
  fi
}

# A private copy in $work, so a rebuild during the run cannot change (or remove) the binary under test.
copy_coproxy() { # binary
  cp "$1" "$work/coproxy"
}

# "coproxy <version> at <git revision>", for the line a benchmark starts with.
coproxy_at_rev() {
  local rev
  if rev=$(git rev-parse --short HEAD 2>/dev/null); then
    git diff --quiet HEAD -- src include || rev+=" + uncommitted changes in src/include"
  else
    rev="(not a git checkout)"
  fi
  echo "coproxy $("$work/coproxy" -V 2>&1 | head -1 | awk '{print $NF}') at $rev"
}

# The versions of the peers, for the same line.
redis_version() { redis-server --version | awk '{print $3}'; }
memcached_version() { memcached -V | awk '{print $2}'; }
nutcracker_version() { nutcracker -V 2>&1 | head -1 | awk '{print $NF}'; }

# A free TCP port on 127.0.0.1 (free when asked: take them all before starting anything).
port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# Start a command in the background, output appended to its log, and remember it (and how, for
# restarts) under a label.
start() { # label log command...
  local label=$1 log=$2
  shift 2
  "$@" >>"$log" 2>&1 </dev/null &
  pids+=($!)
  pidof[$label]=$!
  logof[$label]=$log
  # shellcheck disable=SC2034 # read by the scripts that restart a process (soak.sh)
  cmdof[$label]="$*"
}

# Is the process started under this label still running?
alive() { # label
  kill -0 "${pidof[$1]}" 2>/dev/null
}

# Fail loudly, with the logs, if any started process has died.
check_alive() {
  local label
  for label in "${!pidof[@]}"; do
    if ! alive "$label"; then
      echo "FATAL: $label (pid ${pidof[$label]}) is not running; its log ${logof[$label]}:" >&2
      tail -50 "${logof[$label]}" >&2
      exit 1
    fi
  done
}

# The EXIT trap: SIGINT to everything (coproxy: shutdown without the drain delay), SIGKILL to what
# is left after 10 s; report a coproxy that did not exit cleanly (unless the script already said it
# died: coproxy_gone), and remove $work unless KEEP is set.
cleanup() {
  set +e
  [ -n "${IC_PID:-}" ] && kill "$IC_PID" 2>/dev/null
  for p in "${pids[@]}"; do kill -INT "$p" 2>/dev/null; done
  ( sleep 10; for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; done ) &
  local killer=$! label st
  for label in "${!pidof[@]}"; do
    wait "${pidof[$label]}" 2>/dev/null
    st=$?
    if [ $st != 0 ] && [[ $label == coproxy* ]] && [ -z "${coproxy_gone:-}" ]; then
      echo "WARNING: $label exited with status $st$([ $st -gt 128 ] && echo " (signal $((st - 128)))") on SIGINT; its log:" >&2
      tail -20 "${logof[$label]}" >&2
    fi
  done
  kill "$killer" 2>/dev/null
  wait 2>/dev/null
  if [ -n "${KEEP:-}" ]; then echo "kept $work" >&2; else rm -rf "$work"; fi
}

# /proc readings of a pid: resident memory in kB, open fds, CPU (utime + stime) in clock ticks.
rss() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
nfds() { ls "/proc/$1/fd" | wc -l; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# coproxy's metrics on the admin port: the sum of each name over its label sets, on one line.
metrics() { # admin-port name...
  python3 - "$@" <<'PY'
import sys, urllib.request
body = urllib.request.urlopen("http://127.0.0.1:%s/metrics" % sys.argv[1], timeout=10).read().decode()
sums = dict.fromkeys(sys.argv[2:], 0.0)
for l in body.splitlines():
    name = l.split("{")[0].split(" ")[0]
    if name in sums:
        sums[name] += float(l.split()[-1])
print(" ".join("%d" % sums[n] for n in sys.argv[2:]))
PY
}

# The idle-client holder (bench/idle_clients.py) as a coprocess, IC; talk to it with ic.
start_idle_clients() {
  coproc IC { exec python3 bench/idle_clients.py; }
}

# One command line to the idle-client holder; prints its one answer line.
ic() { # command...
  local reply
  echo "$*" >&"${IC[1]}"
  read -r -t 900 reply <&"${IC[0]}" || { echo "FATAL: the idle-client holder did not answer '$*'" >&2; exit 1; }
  echo "$reply"
}

# After the run: the lines of a log that match none of the expected ones (an extended regex), the
# first 10, so that a surprise in a proxy's log is seen.
report_log() { # label log expected
  local lines
  lines=$(grep -vcE "$3" "$2" || true)
  if [ "$lines" != 0 ]; then
    echo "log of $1 ($lines lines, first 10):"
    grep -vE "$3" "$2" | head -10 | sed 's/^/  /'
  fi
}
