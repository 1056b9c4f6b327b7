#!/usr/bin/env bash
# Memcached pool benchmark (not a test): in one run, memaslap (libmemcached-tools' memcaslap, one
# client thread, ASCII protocol) against one memcached directly, through coproxy with one worker
# and through nutcracker (twemproxy 0.5.0, one process), both proxies with the same pool (ketama,
# fnv1a_64, server_connections 1) over three memcached. Two workloads:
#   getset  memaslap's 9:1 get:set mix, one key per get;
#   mget    gets of DIVISION (100) keys per request only; over 3 servers every request is split in
#           three and merged (the window's keys are set first, by memaslap's warm-up).
# Rounds interleave the targets (rotating their order) and the table shows medians and ratios,
# because on a shared machine only ratios from one run mean anything. It also shows the CPU each
# proxy and the memcached servers spent per request (from /proc/<pid>/stat), which is much
# steadier than throughput when other work shares the CPUs.
# Correctness: before measuring, a multi-get through every target must return what was set, and
# the proxies must spread the keys over the three servers and place them alike (what one sets, the
# other reads); during the runs memaslap checks that every key of every get comes back
# (get_misses), verifies a share VERIFY of the values (verify_misses/failed) and prints any error
# reply; after, coproxy's metrics and nutcracker's stats must show no errors.
# "direct" is a fourth memcached of its own holding every key: the ceiling for one backend, not
# for the fleet (it cannot shard).
# Usage: [ROUNDS=6] [SECONDS=4] [CONCURRENCY=16] [DIVISION=100] [KEY_BYTES=32] [VALUE_BYTES=100]
#        [VERIFY=0.1] [KEEP=1] bench/memcache.sh
#   SECONDS is per memaslap run; 2 workloads x 3 targets x ROUNDS runs: about 3.2 minutes with the
#   defaults. KEEP=1 keeps the temp dir with the logs and memaslap's outputs; COPROXY=path measures
#   that binary (default build/src/coproxy, built only when missing).
secs=$SECONDS # first: bash counts SECONDS up from the value it was started with
set -euo pipefail
. "$(dirname "$0")/lib.sh"
[ "$secs" -ge 1 ] 2>/dev/null || secs=4
rounds=${ROUNDS:-6}
conc=${CONCURRENCY:-16}
division=${DIVISION:-100}
key_bytes=${KEY_BYTES:-32}
value_bytes=${VALUE_BYTES:-100}
verify=${VERIFY:-0.1}
cd "$(dirname "$0")/.."
.ci/deps demo >/dev/null
py=/usr/bin/python3 # Debian's, which has python3-pymemcache (not a pyenv or venv python3 on PATH)
COPROXY=${COPROXY:-build/src/coproxy}
[ -x "$COPROXY" ] || .ci/build coproxy >/dev/null
work=$(mktemp -d /tmp/coproxy-bench-memcache.XXXX)
copy_coproxy "$COPROXY"
echo "$(coproxy_at_rev) (binary of $(date -r "$COPROXY" '+%F %T')); $(nproc) CPUs; memcached $(memcached_version), $(nutcracker_version), $(memcaslap -V | head -1)" >&2
trap cleanup EXIT

# Backends: mc1..mc3 behind the proxies, mc0 alone for "direct". memcached refuses to run as root
# without -u.
user=()
[ "$(id -u)" != 0 ] || user=(-u root)
mport=()
for i in 0 1 2 3; do
  p=$(port)
  mport+=("$p")
  start "mc$i" "$work/mc$i.log" memcached -p "$p" -l 127.0.0.1 -m 256 -t 1 -U 0 "${user[@]}"
done

cp_port=$(port)
nc_port=$(port)
admin=$(port)
nc_stats=$(port)
pool() { # listen port
  printf 'mc:\n  listen: 127.0.0.1:%s\n  redis: false\n  distribution: ketama\n  hash: fnv1a_64\n  server_connections: 1\n  servers:\n' "$1"
  for p in "${mport[@]:1}"; do printf '    - 127.0.0.1:%s:1\n' "$p"; done
}
pool "$cp_port" >"$work/coproxy.yml"
pool "$nc_port" >"$work/nutcracker.yml"
# The admin endpoint is only read at the end (errors); -s 0: no stats port.
start coproxy-1w "$work/coproxy.log" "$work/coproxy" -c "$work/coproxy.yml" --threads 1 \
  --admin-addr "127.0.0.1:$admin" -s 0 -v 3
start nutcracker "$work/nutcracker.out" nutcracker -c "$work/nutcracker.yml" -s "$nc_stats" \
  -a 127.0.0.1 -i 1000 -o "$work/nutcracker.log"

order=(direct coproxy-1w nutcracker)
declare -A target=([direct]=${mport[0]} [coproxy-1w]=$cp_port [nutcracker]=$nc_port)
for label in "${order[@]}"; do
  for _ in $(seq 50); do
    $py -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1).close()' \
      "${target[$label]}" 2>/dev/null && break
    sleep 0.1
  done
done
check_alive

# Sanity before measuring: 300 keys set through each target must come back from a multi-get of
# all of them (and of a missing key) through the same target, and each proxy must have spread
# its keys over the three servers.
$py - "${mport[@]}" "$cp_port" "$nc_port" <<'PY' >"$work/sanity.txt" 2>&1 || true
import hashlib, sys
from pymemcache.client.base import Client
ports = list(map(int, sys.argv[1:]))
direct, backends, targets = ports[0], ports[1:4], {"direct": ports[0], "coproxy-1w": ports[4], "nutcracker": ports[5]}
def items(port):
    return int(Client(("127.0.0.1", port), timeout=5).stats()[b"curr_items"])
ok = True
for label, port in targets.items():
    try:
        before = [items(p) for p in backends]
        c = Client(("127.0.0.1", port), timeout=5)
        # Varied keys: with fnv1a, keys that differ only in a last digit land close on the ring.
        keys = ["sanity:%s:%s" % (label, hashlib.md5(b"%d" % i).hexdigest()[:12]) for i in range(300)]
        for k in keys:
            c.set(k, ("value of " + k).encode(), noreply=False)
        got = c.get_many(keys + ["sanity:missing"])
        want = {k: ("value of " + k).encode() for k in keys}
        if got != want:
            bad = [k for k in keys if got.get(k) != want[k]]
            print("WRONG: %s: multi-get of 301 keys: %d values wrong or missing (%s...), %d extra"
                  % (label, len(bad), bad[:3], len(set(got) - set(want))))
            ok = False
        spread = [a - b for a, b in zip((items(p) for p in backends), before)]
        if label != "direct":
            if min(spread) == 0 or sum(spread) != 300:
                print("WRONG: %s: its 300 keys went to the servers as %s" % (label, spread))
                ok = False
            else:
                print("%s: 300 keys spread over the 3 servers as %s" % (label, spread))
    except Exception as e:
        print("WRONG: %s: %s: %s" % (label, type(e).__name__, e))
        ok = False
# Both proxies place keys alike (twemproxy's placement): what one set, the other reads.
try:
    cp, nc = Client(("127.0.0.1", targets["coproxy-1w"]), timeout=5), Client(("127.0.0.1", targets["nutcracker"]), timeout=5)
    for writer, reader, name in ((cp, nc, "coproxy-1w -> nutcracker"), (nc, cp, "nutcracker -> coproxy-1w")):
        keys = ["placement:%s:%s" % (name[:2], hashlib.md5(b"%d" % i).hexdigest()[:12]) for i in range(300)]
        for k in keys:
            writer.set(k, k.encode(), noreply=False)
        got = reader.get_many(keys)
        if len(got) != len(keys):
            print("WRONG: placement %s: %d of 300 keys not found where the other proxy put them" % (name, 300 - len(got)))
            ok = False
except Exception as e:
    print("WRONG: placement: %s: %s" % (type(e).__name__, e))
    ok = False
print("sanity: all replies right, both proxies place keys alike" if ok else "sanity: SOME REPLIES WRONG (see above)")
PY
cat "$work/sanity.txt" >&2
check_alive

# memaslap's configuration: fixed key and value sizes, and the get:set mix.
mix() { printf 'key\n%s %s 1\nvalue\n%s %s 1\ncmd\n0 %s\n1 %s\n' "$key_bytes" "$key_bytes" "$value_bytes" "$value_bytes" "$1" "$2"; }
mix 0.1 0.9 >"$work/getset.cfg"
mix 0 1 >"$work/mget.cfg"

backends_cpu() { # the servers behind the target: mc0 for direct, mc1..mc3 for the proxies
  if [ "$1" = direct ]; then cpu_ticks "${pidof[mc0]}"; else
    echo $(($(cpu_ticks "${pidof[mc1]}") + $(cpu_ticks "${pidof[mc2]}") + $(cpu_ticks "${pidof[mc3]}")))
  fi
}
field() { awk -v k="$2" '$1 == k":" {print $2 + 0; found = 1} END {if (!found) print 0}' "$1"; } # file key
# What memaslap prints when all is well; anything else (e.g. "<fd SERVER_ERROR ...") is an error.
memaslap_lines='^$|^(servers|threads count|concurrency|run time|windows size|set proportion|get proportion|cmd_get|cmd_set|get_misses|verify_misses|verify_failed|written_bytes|read_bytes|object_bytes): |^Run time: [0-9.]+s Ops: '
results=$work/results.txt
sets_done() { # target -> cmd_set summed over the memcached behind it (through bash's /dev/tcp)
  local p fd line sum=0 ports=("${mport[@]:1}")
  [ "$1" = direct ] && ports=("${mport[0]}")
  for p in "${ports[@]}"; do
    exec {fd}<>"/dev/tcp/127.0.0.1/$p"
    printf 'stats\r\n' >&"$fd"
    while IFS= read -r -u "$fd" line; do
      line=${line%$'\r'}
      [ "$line" = END ] && break
      [[ $line == "STAT cmd_set "* ]] && sum=$((sum + ${line##* }))
    done
    exec {fd}>&-
  done
  echo "$sum"
}
# One memaslap run; appends "round workload target cmd_get cmd_set run_time proxy-ticks
# backend-ticks errors" (errors: error replies, missed keys, failed verifications, a non-zero exit).
bench() { # workload target
  local workload=$1 label=$2 port=${target[$2]} out pc0=0 pc1=0 bc0 bc1 rc=0 div=1 warm=0 sets0 mpid
  out="$work/out.$workload.$label.$RANDOM"
  # mget: memaslap first sets the 1024 keys of each connection's window (its warm-up, before its
  # timed run), so the CPU is counted from when the servers have seen those sets.
  [ "$workload" = mget ] && div=$division && warm=$((conc * 1024))
  sets0=$(sets_done "$label")
  timeout $((secs + 60)) memcaslap -s "127.0.0.1:$port" -T 1 -c "$conc" -w 1k -t "${secs}s" \
    -F "$work/$workload.cfg" -d "$div" -v "$verify" >"$out" 2>&1 &
  mpid=$!
  if [ $warm != 0 ]; then
    local deadline=$(($(date +%s) + 60))
    while [ "$(sets_done "$label")" -lt $((sets0 + warm)) ] && kill -0 $mpid 2>/dev/null; do
      [ "$(date +%s)" -lt $deadline ] || { echo "  WARNING: $label ($workload): warm-up sets not all seen; CPU includes them" >&2; break; }
      sleep 0.02
    done
  fi
  [ "$label" = direct ] || pc0=$(cpu_ticks "${pidof[$label]}")
  bc0=$(backends_cpu "$label")
  wait $mpid || rc=$?
  [ "$label" = direct ] || pc1=$(cpu_ticks "${pidof[$label]}")
  bc1=$(backends_cpu "$label")
  local cmd_get cmd_set misses vmiss vfail run_time err_lines errs
  cmd_get=$(field "$out" cmd_get)
  cmd_set=$(field "$out" cmd_set)
  misses=$(field "$out" get_misses)
  vmiss=$(field "$out" verify_misses)
  vfail=$(field "$out" verify_failed)
  run_time=$(sed -nE 's/^Run time: ([0-9.]+)s .*/\1/p' "$out" | tail -1)
  err_lines=$(grep -cvE "$memaslap_lines" "$out" || true)
  errs=$((misses + vmiss + vfail + err_lines))
  if [ $rc != 0 ] || [ -z "$run_time" ]; then
    echo "  WARNING: memaslap on $label ($workload) exited with $rc$([ $rc = 124 ] && echo ' (timeout: hang?)'); its output:" >&2
    tail -5 "$out" >&2
    errs=$((errs + 1000000))
    run_time=${run_time:-0}
  fi
  if [ "$errs" != 0 ]; then
    echo "  WARNING: $label ($workload): get_misses $misses, verify_misses $vmiss, verify_failed $vfail, $err_lines error lines:" >&2
    grep -vE "$memaslap_lines" "$out" | sed -E 's/^<[0-9]+ //' | sort | uniq -c | sort -rn | head -5 >&2
  fi
  echo "$round $workload $label $cmd_get $cmd_set $run_time $((pc1 - pc0)) $((bc1 - bc0)) $errs" >>"$results"
  check_alive
}

start_time=$(date +%s)
for ((r = 0; r < rounds; r++)); do
  round=$((r + 1))
  echo "round $round/$rounds ($(($(date +%s) - start_time))s)" >&2
  n=${#order[@]}
  for workload in getset mget; do
    for ((i = 0; i < n; i++)); do
      bench "$workload" "${order[$(((i + r) % n))]}"
    done
  done
done
echo "done in $(($(date +%s) - start_time))s" >&2

# After the runs: the proxies' own error counters, and how the keys ended up spread.
sleep 1.2 # nutcracker aggregates its stats every second (-i 1000)
$py - "$admin" "$nc_stats" "${mport[@]:1}" <<'PY' >"$work/after.txt" 2>&1 || true
import json, re, socket, sys, urllib.request
admin, nc_stats, backends = int(sys.argv[1]), int(sys.argv[2]), list(map(int, sys.argv[3:]))
metrics = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % admin, timeout=5).read().decode()
bad = []
for name in ("protocol_errors", "forward_errors", "client_errors", "server_errors", "server_timeouts",
             "server_eof", "server_connect_failures", "client_output_limit_closes"):
    total = sum(float(v) for v in re.findall(r"^coproxy_%s_total\{[^}]*\} (\S+)$" % name, metrics, re.M))
    if total:
        bad.append("%s %g" % (name, total))
print("coproxy-1w metrics: " + (", ".join(bad) if bad else "no errors, timeouts or server EOFs"))
s = socket.create_connection(("127.0.0.1", nc_stats), timeout=5)
doc = b""
while True:
    chunk = s.recv(65536)
    if not chunk:
        break
    doc += chunk
pool = json.loads(doc)["mc"]
bad = ["%s %d" % (k, pool[k]) for k in ("client_err", "server_ejects", "forward_error") if pool.get(k)]
for server, st in pool.items():
    if isinstance(st, dict):
        bad += ["%s %s %d" % (server, k, st[k]) for k in ("server_err", "server_timedout", "server_eof") if st.get(k)]
print("nutcracker stats: " + (", ".join(bad) if bad else "no errors, timeouts or server EOFs"))
def items(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(b"stats\r\n")
    buf = b""
    while not buf.endswith(b"END\r\n"):
        buf += s.recv(65536)
    return int(re.search(rb"STAT curr_items (\d+)", buf).group(1))
print("keys on the 3 servers behind the proxies: %s" % " / ".join(str(items(p)) for p in backends))
PY

SETUP="memaslap -T 1 -c $conc, key $key_bytes B, value $value_bytes B, ${secs} s per run, verify $verify" \
  $py - "$results" "$(getconf CLK_TCK)" "$division" "$work/sanity.txt" "$work/after.txt" "${order[@]}" <<'PY'
import os, sys, statistics
from collections import defaultdict
path, hz, division, sanity, after, order = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5], sys.argv[6:]
rate = defaultdict(dict)   # (workload, target) -> {round: ops/s (getset) or keys/s (mget)}
cpu = defaultdict(dict)    # (workload, target) -> {round: (proxy us/req, memcached us/req, proxy ns/key)}
errors = defaultdict(int)
for line in open(path):
    r, w, t, gets, sets, secs, pt, bt, errs = line.split()
    gets, sets, secs, pt, bt = int(gets), int(sets), float(secs), int(pt), int(bt)
    errors[w, t] += int(errs)
    if not secs or not gets:
        continue
    # Requests: a multi-get of DIVISION keys is one; the mget workload's sets are memaslap's
    # warm-up, before its timed run and before the CPU was sampled.
    reqs = max(gets // division, 1) if w == "mget" else sets + gets
    rate[w, t][r] = gets / secs if w == "mget" else (gets + sets) / secs
    cpu[w, t][r] = (pt / hz / reqs * 1e6, bt / hz / reqs * 1e6, pt / hz / gets * 1e9)
med = lambda xs: statistics.median(xs) if xs else 0.0
def R(w, t): return med(list(rate[w, t].values()))
def C(w, t, i): return med([x[i] for x in cpu[w, t].values()])
def spread(w, t):
    xs = list(rate[w, t].values())
    return (max(xs) - min(xs)) / med(xs) * 100 if len(xs) > 1 and med(xs) else 0.0
def paired(w, a, b, cpu_ratio=False):
    """Ratios a/b of the runs of one round (run one after the other, so under about the same
    load from the rest of the machine): (median, min, max). With cpu_ratio: b's proxy CPU per
    request over a's, so that > 1 means a is better in both."""
    if cpu_ratio:
        xs = [cpu[w, b][r][0] / cpu[w, a][r][0] for r in cpu[w, a] if r in cpu[w, b] and cpu[w, a][r][0]]
    else:
        xs = [rate[w, a][r] / rate[w, b][r] for r in rate[w, a] if rate[w, b].get(r)]
    return (med(xs), min(xs), max(xs)) if xs else (0.0, 0.0, 0.0)
def show(x): return "%.2f (%.2f..%.2f)" % x if x[0] else "n/a"
nrounds = max((len(v) for v in rate.values()), default=0)
print("\n" + open(sanity).read().strip().splitlines()[-1])
print("%s; median of %d round(s)" % (os.environ["SETUP"], nrounds))
print("cpu: microseconds of CPU per request spent by the proxy / by the memcached behind the target (direct: its one)")
print("spread: (max - min) / median of the throughput over the rounds")
print("ratios: the median of the rounds' ratios (each round runs every target one after the other), (min..max)")
titles = {"getset": "get/set 9:1, one key per get; ops/s", "mget": "multi-get of %d keys per request; keys/s (requests/s = keys/s / %d)" % (division, division)}
verdicts = []
for w in ("getset", "mget"):
    print("\n== " + titles[w])
    extra = "  proxy ns/key" if w == "mget" else ""
    print("%-12s %10s %7s %13s %16s%s  %s" % ("target", "keys/s" if w == "mget" else "ops/s", "spread", "proxy us/req", "memcached us/req", extra, "errors"))
    for t in order:
        pc = "%.2f" % C(w, t, 0) if t != "direct" else "-"
        pk = "  %13s" % ("%.0f" % C(w, t, 2) if t != "direct" else "-") if w == "mget" else ""
        print("%-12s %10.0f %6.0f%% %13s %16.2f%s  %s" % (t, R(w, t), spread(w, t), pc, C(w, t, 1), pk, errors[w, t] or "none"))
    thr, cpur = paired(w, "coproxy-1w", "nutcracker"), paired(w, "coproxy-1w", "nutcracker", cpu_ratio=True)
    print("%-22s %-20s %s" % ("ratio", "throughput", "proxy CPU per request, nutcracker's / coproxy's (> 1: coproxy cheaper)"))
    print("%-22s %-20s %s" % ("coproxy-1w/nutcracker", show(thr), show(cpur)))
    print("%-22s %s" % ("coproxy-1w/direct", show(paired(w, "coproxy-1w", "direct"))))
    print("%-22s %s" % ("nutcracker/direct", show(paired(w, "nutcracker", "direct"))))
    name = "multi-get" if w == "mget" else "get/set  "
    verdicts.append("%s by throughput: coproxy-1w / nutcracker = %.2f: %s" % (name, thr[0], "holds" if thr[0] >= 1 else "FAILS"))
    verdicts.append("%s by proxy CPU:  nutcracker / coproxy-1w = %.2f (%.2f vs %.2f us per request): %s"
                    % (name, cpur[0], C(w, "nutcracker", 0), C(w, "coproxy-1w", 0), "holds" if cpur[0] >= 1 else "FAILS"))
print("\nacceptance (a 1-worker coproxy reaches at least nutcracker's throughput):")
for v in verdicts:
    print("  " + v)
total_errors = sum(errors.values())
print("\n" + open(after).read().strip())
print("memaslap: " + ("no errors, misses or failed verifications" if not total_errors else "%d errors/misses (see the warnings above)" % total_errors))
PY

echo
for label in coproxy-1w nutcracker; do
  log=${logof[$label]}
  [ "$label" = nutcracker ] && log=$work/nutcracker.log
  report_log "$label" "$log" "nutcracker-0.5.0 built for|run, rabbit run|signal 2 \\(SIGINT\\)"
done
