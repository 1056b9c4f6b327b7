#!/usr/bin/env bash
# Soak test (a long benchmark, not part of the test suite): coproxy (--threads 2) with three pools,
#   redis     2 redis-servers, ketama, auto_eject_hosts (retry 5 s)
#   memcache  2 memcached, ketama, no ejection
#   tcp       a plain relay to a third redis-server
# Phase 1 opens CLIENTS idle connections spread over the three pools and checks that every one is
# accepted and answers one GET; they stay open. Phase 2 runs DURATION seconds of mixed load while,
# every RESTART_EVERY seconds, the first redis-server and (half a period later) the first memcached
# are killed with SIGKILL and restarted on the same port DOWN seconds later:
#   redis-benchmark on the redis pool (-c 50 SET/GET, and MGET of 10 keys, -r 100000) and through
#   the tcp pool (-c 20 SET/GET), in rounds with a PAUSE; plus 200 fresh connections a round (-k 0);
#   bench/soak_checker.py: writes keys and reads them back on each pool (errors counted by kind and
#   second) plus pipelined memcached set/get load.
# Every SAMPLE seconds it records coproxy's RSS, open fds, clients, CPU and counters. At the end:
# the idle clients must answer again (they lived through the restarts), fresh requests must work,
# then the clients close and the fds must come back to where they started.
# Client errors are "expected" when they fall in a restart window (from the kill to GRACE seconds
# after the backend is back) of the pool's restarted backend, "other" otherwise; a WRONG value (not
# the one just written) is never expected. "Other" errors are reported as warnings.
# Exit status 1 when coproxy died or stopped answering, fds leaked (end > start + 16 once the
# clients closed), RSS kept growing (median of the last quarter of phase 2 over the second quarter's
# by more than 20% and 16 MiB), not every client was accepted/answered, or a value came back wrong.
# Usage: [DURATION=600] [CLIENTS=10000] [RESTART_EVERY=60] [DOWN=3] [GRACE=10] [SAMPLE=10]
#        [PAUSE=2] bench/soak.sh      (KEEP=1 keeps the temp dir; COPROXY=path uses that binary
#        without building)   quick: DURATION=60 CLIENTS=2000 bench/soak.sh
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/.."
duration=${DURATION:-600}
clients=${CLIENTS:-10000}
every=${RESTART_EVERY:-60}
down=${DOWN:-3}
grace=${GRACE:-10}
sample=${SAMPLE:-10}
pause=${PAUSE:-2}
.ci/deps demo >/dev/null
coproxy_binary
work=$(mktemp -d /tmp/coproxy-soak.XXXX)
copy_coproxy "$COPROXY"
stop_soak() { # the load loops stop when the file appears
  touch "$work/stop"
  cleanup
}
trap stop_soak EXIT
echo "$(coproxy_at_rev); $(nproc) CPUs; $(redis_version), memcached $(memcached_version)" >&2
echo "soak: $clients idle clients, ${duration}s of load, a backend restart every $((every / 2))s, samples every ${sample}s" >&2

# coproxy raises its own fd limit (and warns when it cannot reach what --max-clients may need);
# the idle-client holder raises its own; the rest inherit this. Root may raise the hard limit.
want_fds=$((2 * clients + 5000))
[ "$(ulimit -Hn)" = unlimited ] || [ "$(ulimit -Hn)" -ge $want_fds ] || ulimit -Hn $want_fds 2>/dev/null || true
[ "$(ulimit -Sn)" = unlimited ] || [ "$(ulimit -Sn)" -ge "$(ulimit -Hn)" ] || ulimit -Sn "$(ulimit -Hn)"
[ "$(ulimit -Sn)" = unlimited ] || [ "$(ulimit -Sn)" -ge $((clients * 4 / 3 + 1000)) ] ||
  { echo "FATAL: $clients clients need about $((clients * 4 / 3 + 1000)) file descriptors, the limit is $(ulimit -Sn)" >&2; exit 1; }

answers() { # label port: is the backend up?
  if [[ $1 == r* ]]; then
    timeout 2 redis-cli -p "$2" ping 2>/dev/null | grep -q PONG
  else
    timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$2 && printf 'version\r\n' >&3 && head -c 7 <&3 | grep -q VERSION" 2>/dev/null
  fi
}

# Backends. redis-servers need no persistence; r1 and m1 are the ones restarted.
declare -A bport
for b in r1 r2 rt m1 m2; do bport[$b]=$(port); done
for b in r1 r2 rt; do
  start "$b" "$work/$b.log" redis-server --port "${bport[$b]}" --bind 127.0.0.1 --save '' --appendonly no --maxclients $((clients + 1000))
done
for b in m1 m2; do
  start "$b" "$work/$b.log" memcached -p "${bport[$b]}" -U 0 -l 127.0.0.1 -u "$(id -un)" -m 256 -c 4096
done
pr=$(port) pm=$(port) pt=$(port) admin=$(port)
cat >"$work/coproxy.yml" <<YML
soak_redis:
  listen: 127.0.0.1:$pr
  redis: true
  hash: fnv1a_64
  distribution: ketama
  timeout: 1000
  auto_eject_hosts: true
  server_failure_limit: 2
  server_retry_timeout: 5000
  server_connections: 1
  servers:
    - 127.0.0.1:${bport[r1]}:1 r1
    - 127.0.0.1:${bport[r2]}:1 r2
soak_memcache:
  listen: 127.0.0.1:$pm
  protocol: memcache
  hash: fnv1a_64
  distribution: ketama
  timeout: 1000
  auto_eject_hosts: false
  server_connections: 1
  servers:
    - 127.0.0.1:${bport[m1]}:1 m1
    - 127.0.0.1:${bport[m2]}:1 m2
soak_tcp:
  protocol: tcp
  listen: 127.0.0.1:$pt
  timeout: 1000
  servers:
    - 127.0.0.1:${bport[rt]}:1 rt
YML
start coproxy "$work/coproxy.log" "$work/coproxy" -c "$work/coproxy.yml" --threads 2 --max-clients $((clients + 2000)) \
  --admin-addr "127.0.0.1:$admin" -s 0 -v 4
cp_pid=${pidof[coproxy]}
sleep 1
check_alive
for b in r1 r2 rt m1 m2; do answers "$b" "${bport[$b]}" || { echo "FATAL: backend $b does not answer" >&2; exit 1; }; done

start_idle_clients
# Warm up: a few connections per pool, one request each, so both workers have their server
# connections before the baseline is taken.
for p in "$pr:redis" "$pm:memcache" "$pt:redis"; do ic open "${p%%:*}" 8 "${p#*:}" >/dev/null; done
read -r _ _ _ warm_failed warm_err <<<"$(ic request)"
ic close >/dev/null
[ "$warm_failed" = 0 ] || { echo "FATAL: warm-up requests failed: $warm_err" >&2; exit 1; }
sleep 3
fds_start=$(nfds "$cp_pid") rss_start=$(rss "$cp_pid")

# Phase 1: CLIENTS idle connections, a third on each pool.
echo "phase 1: opening $clients client connections" >&2
read -r acc0 rej0 <<<"$(metrics "$admin" coproxy_client_connections_accepted_total coproxy_client_connections_rejected_total)"
t0=$(date +%s.%N)
opened=0 open_failed=0
i=0
for p in "$pr:redis" "$pm:memcache" "$pt:redis"; do
  n=$((clients / 3 + (i < clients % 3 ? 1 : 0)))
  i=$((i + 1))
  read -r _ o _ f err <<<"$(ic open "${p%%:*}" "$n" "${p#*:}")"
  opened=$((opened + o)) open_failed=$((open_failed + f))
  [ "$f" = 0 ] || echo "  WARNING: $f connects to port ${p%%:*} failed: $err" >&2
done
for ((i = 0; i < 600; i++)); do
  read -r open_now <<<"$(metrics "$admin" coproxy_clients)"
  [ "$open_now" -ge "$opened" ] && break
  sleep 0.1
done
t1=$(date +%s.%N)
read -r _ answered1 _ failed1 err1 <<<"$(ic request)"
[ "$failed1" = 0 ] || echo "  WARNING: $failed1 idle clients did not answer: $err1" >&2
read -r acc1 rej1 open_now <<<"$(metrics "$admin" coproxy_client_connections_accepted_total coproxy_client_connections_rejected_total coproxy_clients)"
sleep 2
fds_clients=$(nfds "$cp_pid") rss_clients=$(rss "$cp_pid")
phase1="$clients $opened $open_failed $((acc1 - acc0)) $((rej1 - rej0)) $open_now $answered1 $failed1 $(python3 -c "print('%.1f' % ($t1 - $t0))")"
echo "  $opened open, $((acc1 - acc0)) accepted, $answered1 answered; RSS $((rss_clients / 1024)) MiB, fds $fds_clients" >&2

# Phase 2: load, restarts, samples.
echo "phase 2: ${duration}s of load" >&2
round() { # name port benchmark-args... : one redis-benchmark run; appends "start end rc tests-done first-error"
  local name=$1 port=$2 rc=0 t0 err tests
  shift 2
  t0=$(date +%s.%N)
  # redis-benchmark exits at the first error reply: a round cut short is an error seen.
  timeout 120 redis-benchmark -p "$port" -q "$@" >"$work/$name.round" 2>&1 || rc=$?
  err=$(tr '\r' '\n' <"$work/$name.round" | grep -iE 'error|refused|reset|timed? ?out' | head -1 | tr ' ' '_' || true)
  tests=$(tr '\r' '\n' <"$work/$name.round" | grep -c 'requests per second' || true)
  echo "$t0 $(date +%s.%N) $rc $tests ${err:--}" >>"$work/$name.txt"
}
redis_load() { # rounds until stopped: SET/GET, MGET of 10 keys (split over both servers), churn
  local mget=(MGET)
  for _ in 1 2 3 4 5 6 7 8 9 10; do mget+=("key:__rand_int__"); done
  while [ ! -e "$work/stop" ]; do
    round redis "$pr" -c 50 -n 5000 -r 100000 -d 64 -t set,get
    round redis-mget "$pr" -c 50 -n 2000 -r 100000 "${mget[@]}"
    round redis-churn "$pr" -k 0 -c 5 -n 200 -t ping_inline
    sleep "$pause"
  done
}
tcp_load() {
  while [ ! -e "$work/stop" ]; do
    round tcp "$pt" -c 20 -n 4000 -r 100000 -d 64 -t set,get
    round tcp-churn "$pt" -k 0 -c 5 -n 200 -t ping_inline
    sleep "$pause"
  done
}
loops=()
redis_load & loops+=($!)
tcp_load & loops+=($!)
python3 bench/soak_checker.py --redis "$pr" --memcache "$pm" --tcp "$pt" --seconds "$duration" \
  --errors "$work/checker.errors" >"$work/checker.json" 2>"$work/checker.log" &
checker=$!
pids+=("$checker")

samples=$work/samples.txt events=$work/events.txt
: >"$events"
phase2_start=$(date +%s)
next_sample=0
declare -A up_at # backend -> time to restart it
restart_at_r=$((every / 3)) restart_at_m=$((every / 3 + every / 2))
prev_ticks=$(cpu_ticks "$cp_pid") prev_t=$(date +%s.%N)
sample_now() {
  local now ticks
  now=$(date +%s.%N)
  ticks=$(cpu_ticks "$cp_pid")
  local cpu
  cpu=$(python3 -c "print('%.0f' % (($ticks - $prev_ticks) / $(getconf CLK_TCK) / ($now - $prev_t) * 100))")
  prev_ticks=$ticks prev_t=$now
  echo "$1 $(rss "$cp_pid") $(nfds "$cp_pid") $cpu $(metrics "$admin" coproxy_clients coproxy_requests_total coproxy_forward_errors_total coproxy_server_ejects_total coproxy_server_connect_failures_total coproxy_client_errors_total)" >>"$samples"
}
while :; do
  el=$(($(date +%s) - phase2_start))
  if ! alive coproxy; then
    echo "FATAL: coproxy died during phase 2 (at ${el}s); its log:" >&2
    tail -30 "${logof[coproxy]}" >&2
    coproxy_gone=1
    break
  fi
  if [ "$el" -ge "$next_sample" ]; then
    sample_now "$el"
    next_sample=$((next_sample + sample))
  fi
  [ "$el" -lt "$duration" ] || [ ${#up_at[@]} -gt 0 ] || break
  for b in r1 m1; do
    due=$restart_at_r
    [ $b = r1 ] || due=$restart_at_m
    if [ "$el" -ge "$due" ] && [ "$el" -lt $((duration - down - 2)) ]; then
      kill -KILL "${pidof[$b]}"
      wait "${pidof[$b]}" 2>/dev/null || true
      echo "$(date +%s.%N) $b down" >>"$events"
      up_at[$b]=$(($(date +%s) + down))
      if [ $b = r1 ]; then restart_at_r=$((restart_at_r + every)); else restart_at_m=$((restart_at_m + every)); fi
    fi
  done
  for b in "${!up_at[@]}"; do
    if [ "$(date +%s)" -ge "${up_at[$b]}" ]; then
      # shellcheck disable=SC2086 # the saved command line is meant to split
      start "$b" "$work/$b.log" ${cmdof[$b]}
      for ((i = 0; i < 50; i++)); do answers "$b" "${bport[$b]}" && break; sleep 0.1; done
      answers "$b" "${bport[$b]}" || { echo "FATAL: $b did not come back" >&2; exit 1; }
      echo "$(date +%s.%N) $b up" >>"$events"
      unset "up_at[$b]"
    fi
  done
  sleep 1
done
touch "$work/stop"
wait "$checker" || true
for l in "${loops[@]}"; do wait "$l" || true; done
phase2_end=$(date +%s)

# After the load: the idle clients answer again, fresh requests work, then everything closes.
after="-"
if [ -z "${coproxy_gone:-}" ]; then
  echo "after the load: checking the idle clients, then closing them" >&2
  sleep 2
  read -r _ answered2 _ failed2 err2 <<<"$(ic request)"
  [ "$failed2" = 0 ] || echo "  WARNING: $failed2 idle clients did not answer after the load: $err2" >&2
  fresh=$(python3 - "$pr" "$pm" "$pt" <<'PY'
import socket, sys
pr, pm, pt = map(int, sys.argv[1:])
def talk(port, data, want):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(data)
    buf = b""
    while not buf.endswith(want) and len(buf) < 1000:
        d = s.recv(4096)
        if not d:
            break
        buf += d
    s.close()
    return buf.endswith(want)
ok = [talk(pr, b"*3\r\n$3\r\nSET\r\n$10\r\nsoak:final\r\n$2\r\nok\r\n*2\r\n$3\r\nGET\r\n$10\r\nsoak:final\r\n", b"+OK\r\n$2\r\nok\r\n"),
      talk(pm, b"set soak:final 0 0 2\r\nok\r\nget soak:final\r\n", b"STORED\r\nVALUE soak:final 0 2\r\nok\r\nEND\r\n"),
      talk(pt, b"*1\r\n$4\r\nPING\r\n", b"+PONG\r\n")]
print(" ".join("yes" if x else "NO" for x in ok))
PY
) || fresh="NO NO NO"
  health=$(python3 -c "import urllib.request,sys; print(urllib.request.urlopen('http://127.0.0.1:$admin/healthz', timeout=5).status)" 2>/dev/null || echo failed)
  curl_metrics=$work/metrics.txt
  python3 -c "import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:$admin/metrics', timeout=10).read().decode())" >"$curl_metrics"
  ic close >/dev/null
  for ((i = 0; i < 600; i++)); do
    read -r open_now <<<"$(metrics "$admin" coproxy_clients)"
    [ "$open_now" = 0 ] && break
    sleep 0.1
  done
  sleep 12 # one malloc_trim tick; the tcp pool refills its warm sockets
  fds_end=$(nfds "$cp_pid") rss_end=$(rss "$cp_pid")
  after="$answered2 $failed2 $fresh $health $open_now $fds_end $rss_end"
  alive coproxy || coproxy_gone=1
fi

set +e
python3 - "$work" "$phase1" "$after" "$fds_start $rss_start $fds_clients $rss_clients" "$phase2_start" "$phase2_end" "$grace" "${coproxy_gone:-}" <<'PY'
import json, os, statistics, sys
from collections import Counter, defaultdict
work, phase1, after, base, p2s, p2e, grace, gone = sys.argv[1:]
p2s, p2e, grace = int(p2s), int(p2e), float(grace)
fails, warns = [], []
MiB = lambda kb: kb / 1024
fds_start, rss_start, fds_clients, rss_clients = map(int, base.split())
n, opened, open_failed, accepted, rejected, open_now, answered1, failed1, secs = phase1.split()
print("\n== phase 1: %s idle client connections (a third per pool)" % n)
print("  opened %s (%s connects failed), accepted by coproxy %s, rejected %s, open %s, answered one GET each: %s (%s failed); %s s"
      % (opened, open_failed, accepted, rejected, open_now, answered1, failed1, secs))
print("  coproxy RSS %.1f MiB -> %.1f MiB (%.0f bytes per client), fds %d -> %d"
      % (MiB(rss_start), MiB(rss_clients), (rss_clients - rss_start) * 1024 / max(1, int(n)), fds_start, fds_clients))
if int(accepted) < int(n) or int(answered1) < int(n):
    fails.append("phase 1: not every client was accepted and answered")

events = []
for l in open(os.path.join(work, "events.txt")):
    t, b, what = l.split()
    events.append((float(t), b, what))
windows = defaultdict(list)  # pool -> [(from, to)]
outages = []  # (backend, pool, down, up)
downs = {}
for t, b, what in events:
    pool = "redis" if b == "r1" else "memcache"
    if what == "down":
        downs[b] = t
    else:
        windows[pool].append((downs[b] - 1, t + grace))
        outages.append((b, pool, downs.pop(b), t))
for b, t in downs.items():
    windows["redis" if b == "r1" else "memcache"].append((t - 1, 1e12))
lane_pool = {"redis": "redis", "tcp": "tcp", "memcache": "memcache", "mc-load": "memcache"}
expected, other = Counter(), Counter()
kinds = defaultdict(Counter)
wrong = 0
err_by_sec = defaultdict(lambda: [0, 0])
path = os.path.join(work, "checker.errors")
for l in open(path) if os.path.exists(path) else []:
    sec, lane, cnt, kind = l.split(None, 3)
    sec, cnt, kind = int(sec), int(cnt), kind.strip()
    pool = lane_pool[lane]
    exp = "WRONG" not in kind and any(a <= sec + 0.999 and sec <= b for a, b in windows[pool])
    (expected if exp else other)[lane] += cnt
    kinds[(lane, "expected" if exp else "other")][kind] += cnt
    err_by_sec[sec][0 if exp else 1] += cnt
    if "WRONG" in kind:
        wrong += cnt
try:
    summary = json.load(open(os.path.join(work, "checker.json")))
except Exception:
    summary = {}

errs_at = defaultdict(int)  # (pool, second) -> checker failures
for l in open(path) if os.path.exists(path) else []:
    sec, lane, cnt, _ = l.split(None, 3)
    errs_at[(lane_pool[lane], int(sec))] += int(cnt)
samples = [l.split() for l in open(os.path.join(work, "samples.txt"))]
print("\n== phase 2: %d s of load; backend restarts (SIGKILL, then started again on the same port):" % (p2e - p2s))
for b, pool, d, u in outages:
    secs = [sec for (p, sec), c in errs_at.items() if p == pool and d - 1 <= sec <= u + grace]
    n_err = sum(errs_at[(pool, sec)] for sec in secs)
    last = max(secs) + 1 - u if secs else None
    print("  %s killed at %6.1f s, back at %6.1f s: %5d checker failures on the %s pool%s" % (
        b, d - p2s, u - p2s, n_err, pool, "" if last is None else ", the last within %.0f s %s it was back"
        % (abs(last), "before" if last <= 0 else "after")))
print("\ncoproxy over time. requests/s: coproxy_requests_total (redis and memcache pools); cl errs, fwd errs, ejects, conn")
print("fails: the rise of coproxy_client_errors_total, _forward_errors_total, _server_ejects_total,")
print("_server_connect_failures_total (a redis-benchmark that meets an error reply exits at once, resetting its other")
print("connections: client errors); checker errs:")
print("failed checker steps and memcache load requests in the interval, expected (restart window) / other")
print("%6s %8s %6s %8s %5s %11s %8s %8s %7s %10s %13s  %s" % ("t (s)", "RSS MiB", "fds", "clients", "cpu%", "requests/s",
      "cl errs", "fwd errs", "ejects", "conn fails", "checker errs", "events"))
prev = None
for row in samples:
    t, rss, fds, cpu, cl, req, fwd, ej, cf, ce = row
    t = int(t)
    rate = fwd_d = ej_d = cf_d = ce_d = ""
    e, o = 0, 0
    if prev:
        dt = t - int(prev[0])
        rate = "%.0f" % ((int(req) - int(prev[5])) / dt) if dt else ""
        fwd_d = "+%d" % (int(fwd) - int(prev[6]))
        ej_d = "+%d" % (int(ej) - int(prev[7]))
        cf_d = "+%d" % (int(cf) - int(prev[8]))
        ce_d = "+%d" % (int(ce) - int(prev[9]))
        for s in range(p2s + int(prev[0]), p2s + t):
            e += err_by_sec[s][0]
            o += err_by_sec[s][1]
    ev = ", ".join("%s %s" % (b, w) for tt, b, w in events if prev and int(prev[0]) <= tt - p2s < t)
    print("%6d %8.1f %6s %8s %5s %11s %8s %8s %7s %10s %13s  %s" % (t, MiB(int(rss)), fds, cl, cpu, rate, ce_d, fwd_d, ej_d, cf_d,
          "%d/%d" % (e, o) if prev else "", ev))
    prev = row

def in_window(pool, a, b):
    return any(a <= y and x <= b for x, y in windows[pool])
print("\nload generators (requests in completed tests; a round that met an error reply stops there):")
for name, per, tests, what in (("redis", 5000, 2, "redis pool: redis-benchmark -c 50 -n 5000 SET/GET"),
                               ("redis-mget", 2000, 1, "redis pool: redis-benchmark -c 50 -n 2000 MGET of 10 keys"),
                               ("redis-churn", 200, 1, "redis pool: redis-benchmark -k 0 -c 5 -n 200 PING, a connection each"),
                               ("tcp", 4000, 2, "tcp pool:   redis-benchmark -c 20 -n 4000 SET/GET"),
                               ("tcp-churn", 200, 1, "tcp pool:   redis-benchmark -k 0 -c 5 -n 200 PING, a connection each")):
    p = os.path.join(work, name + ".txt")
    rounds = [l.split() for l in open(p)] if os.path.exists(p) else []
    done = sum(int(r[3]) for r in rounds) * per
    bad = [r for r in rounds if r[2] != "0" or int(r[3]) < tests]
    exp = [r for r in bad if in_window(name.split("-")[0], float(r[0]), float(r[1]))]
    oth = [r for r in bad if r not in exp]
    print("  %-68s %4d rounds, %8d requests, rounds cut short: %d expected, %d other"
          % (what, len(rounds), done, len(exp), len(oth)))
    for r in oth[:3]:
        print("      other: at %.0f s, exit %s: %s" % (float(r[0]) - p2s, r[2], r[4].replace("_", " ")[:100]))
    if oth:
        warns.append("%s: %d redis-benchmark rounds cut short outside restart windows" % (name, len(oth)))
for lane in ("redis", "memcache", "tcp", "mc-load"):
    s = summary.get(lane, {})
    print("  checker %-9s %8s steps, %9s requests, failures: %6d expected during restarts, %d other"
          % (lane, s.get("steps", "?"), s.get("requests", "?"), expected[lane], other[lane]))
    for cls in ("expected", "other"):
        for kind, cnt in kinds[(lane, cls)].most_common(4):
            print("      %-8s %6d  %s" % (cls, cnt, kind))
if sum(other.values()):
    warns.append("the checker saw %d failures outside restart windows" % sum(other.values()))
if wrong:
    fails.append("the checker read back %d WRONG values" % wrong)
if not summary:
    fails.append("the checker did not finish (no summary)")

print("\n== after the load")
rss_series = [int(r[1]) for r in samples]
if after != "-":
    answered2, failed2, fr, fm, ft, health, open_end, fds_end, rss_end = after.split()
    fds_end, rss_end = int(fds_end), int(rss_end)
    print("  idle clients answering a GET again: %s (%s failed)" % (answered2, failed2))
    print("  fresh requests: redis pool %s, memcache pool %s, tcp pool %s; /healthz %s" % (fr, fm, ft, health))
    print("  after all clients closed: coproxy_clients %s, fds %d (start %d, with clients %d), RSS %.1f MiB (start %.1f, with clients %.1f, max %.1f)"
          % (open_end, fds_end, fds_start, fds_clients, MiB(rss_end), MiB(rss_start), MiB(rss_clients), MiB(max(rss_series + [rss_end]))))
    if int(failed2):
        fails.append("%s idle clients did not answer after the load" % failed2)
    if "NO" in (fr, fm, ft) or health != "200":
        fails.append("coproxy does not answer after the load")
    if fds_end > fds_start + 16:
        fails.append("fds leaked: %d at the end vs %d at the start" % (fds_end, fds_start))
if gone:
    fails.append("coproxy died")
q = len(rss_series) // 4
if q >= 2:
    second, last = statistics.median(rss_series[q:2 * q]), statistics.median(rss_series[-q:])
    grew = last - second
    ok = not (grew > 0.2 * second and grew > 16 * 1024)
    print("  RSS, median of phase 2's second quarter %.1f MiB, of its last quarter %.1f MiB: %+.1f MiB -> %s"
          % (MiB(second), MiB(last), MiB(grew), "bounded" if ok else "GROWING"))
    if not ok:
        fails.append("RSS kept growing")
else:
    print("  RSS growth: too few samples to judge (%d)" % len(rss_series))

m = os.path.join(work, "metrics.txt")
if os.path.exists(m):
    print("\ncoproxy's counters at the end (non-zero; per pool, or pool/server):")
    keep = ("error", "fail", "timeout", "eject", "eof", "rejected", "closes", "requests_total", "responses_total",
            "connects_total", "accepted")
    rows = defaultdict(dict)
    for l in open(m):
        if l.startswith("#") or not l.strip():
            continue
        name, val = l.rsplit(" ", 1)
        base_name = name.split("{")[0]
        if not any(k in base_name for k in keep) or base_name.startswith("coproxy_commands") or float(val) == 0:
            continue
        labels = dict(kv.split("=", 1) for kv in name[len(base_name) + 1:-1].split(",")) if "{" in name else {}
        where = "/".join(v.strip('"') for k, v in labels.items() if k in ("pool", "server"))
        rows[base_name.replace("coproxy_", "")][where] = int(float(val))
    for name in sorted(rows):
        print("  %-40s %s" % (name, "  ".join("%s=%d" % kv for kv in sorted(rows[name].items()))))

print("\nverdict: %s" % ("PASS" if not fails else "FAIL"))
for f in fails:
    print("  - " + f)
for w in warns:
    print("  warning (not failing the run): " + w)
sys.exit(1 if fails else 0)
PY
status=$?
set -e
# Expected: the restarted backends (r1, m1) going away and coming back, and the root warning.
expected="server '(r1|m1)'|running as root"
lines=$(grep -vciE "$expected" "${logof[coproxy]}" || true)
echo
echo "coproxy log: $(wc -l <"${logof[coproxy]}") lines; $lines not about the restarted backends$([ "$lines" = 0 ] || echo ', first 10:')"
[ "$lines" = 0 ] || grep -viE "$expected" "${logof[coproxy]}" | head -10 | sed 's/^/  /'
echo "most common log lines (numbers masked):"
sed -E 's/^\[[^]]*\] *//; s/[0-9]+/N/g' "${logof[coproxy]}" | sort | uniq -c | sort -rn | head -8 | sed 's/^/  /'
exit $status
