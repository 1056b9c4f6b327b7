#!/usr/bin/env bash
# Redis pool benchmark (not a test): in one run, redis-benchmark SET/GET (-c 50, -P 1 and -P 16,
# -r 100000) direct to a redis-server, through coproxy with one worker and with all workers
# (server_connections 1, and 2), and through nutcracker (twemproxy 0.5.0, one process), with one
# shard and with three shards behind the proxies; then one MGET of 1000 keys repeated (the
# linearity check: coproxy over 3 shards vs the same MGET on one redis-server vs nutcracker over 3
# shards), and of 100 and 10000 keys. Before measuring it checks the replies of every target
# (pipelined SET k/GET k on one connection, and the MGETs) and prints any that are wrong; after, it
# prints the proxies' logs and any coproxy that did not exit cleanly on SIGINT.
# Rounds interleave the targets (rotating their order) and the table shows medians, requests/s
# and ratios, because on a shared machine only ratios from one run mean anything. It also shows
# the CPU each proxy and the redis-servers spent per request (from /proc/<pid>/stat).
# "direct" is always one redis-server (with 3 shards: the first of them, holding a third of the
# keys, so it is the ceiling for one backend, not for the fleet).
# Usage: bench/redis.sh [requests-at-P1] [rounds] [mget-requests] [server_connections values]
#   defaults: 80000 3 6000 "1 2"  (-P 16 runs 6x the requests; MGET of 100 keys 5x, of 10000
#   keys a tenth; about 9 minutes on 2 cores, plus the build)
#   quick:    bench/redis.sh 20000 1 1000 1        (KEEP=1 keeps the temp dir with logs and outputs;
#   COPROXY=path measures that binary, unbuilt)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/.."
n1=${1:-80000}
rounds=${2:-3}
nmget=${3:-6000}
read -r -a sconns <<<"${4:-1 2}"
n16=$((n1 * 6))
.ci/deps demo >/dev/null
coproxy_binary
work=$(mktemp -d /tmp/coproxy-bench-redis.XXXX)
copy_coproxy "$COPROXY"
echo "$(coproxy_at_rev); $(nproc) CPUs; $(redis_version), $(nutcracker_version)" >&2
trap cleanup EXIT
cpus=$(nproc)

# Backends: three redis-servers; r1 is "direct" and the single shard of the 1-shard pools.
rport=()
for i in 1 2 3; do
  p=$(port)
  rport+=("$p")
  start "redis$i" "$work/redis$i.log" redis-server --port "$p" --bind 127.0.0.1 --save '' --appendonly no
done

pool() { # name listen server_connections port...
  local name=$1 listen=$2 sc=$3
  shift 3
  printf '%s:\n  listen: 127.0.0.1:%s\n  redis: true\n  distribution: ketama\n  hash: fnv1a_64\n  server_connections: %s\n  servers:\n' \
    "$name" "$listen" "$sc"
  for p in "$@"; do printf '    - 127.0.0.1:%s:1\n' "$p"; done
}

# Targets: label -> "port for 1 shard:port for 3 shards:pid label (the proxy, or - for direct)"
declare -A target
order=(direct)
target[direct]="${rport[0]}:${rport[0]}:-"
for sc in "${sconns[@]}"; do
  for w in $( (echo 1; echo "$cpus") | sort -un); do
    label="coproxy-${w}w"
    [ "$sc" = 1 ] || label+="-sc$sc"
    p1=$(port)
    p3=$(port)
    { pool one "$p1" "$sc" "${rport[0]}"; pool three "$p3" "$sc" "${rport[@]}"; } >"$work/$label.yml"
    start "$label" "$work/$label.log" "$work/coproxy" -c "$work/$label.yml" --threads "$w" --admin-addr "" -s 0 -v 3
    target[$label]="$p1:$p3:$label"
    order+=("$label")
  done
done
p1=$(port)
p3=$(port)
{ pool one "$p1" 1 "${rport[0]}"; pool three "$p3" 1 "${rport[@]}"; } >"$work/nutcracker.yml"
start nutcracker "$work/nutcracker.out" nutcracker -c "$work/nutcracker.yml" -s "$(port)" -a 127.0.0.1 -o "$work/nutcracker.log"
target[nutcracker]="$p1:$p3:nutcracker"
order+=(nutcracker)
sleep 1
check_alive
for label in "${order[@]}"; do
  IFS=: read -r p1 p3 _ <<<"${target[$label]}"
  for p in "$p1" "$p3"; do
    timeout 10 redis-cli -p "$p" ping 2>&1 | grep -q PONG || { echo "FATAL: $label on port $p does not answer PING" >&2; check_alive; exit 1; }
  done
done

# Sanity before measuring: pipelined SET/GET through every target must come back in order and
# right, and the MGET keys (populated through coproxy over 3 shards, and all of them on r1 for the
# direct run) must read back identically through every target.
targets_list=$(for label in "${order[@]}"; do IFS=: read -r p1 p3 _ <<<"${target[$label]}"; echo "$label $p1 $p3"; done)
TARGETS=$targets_list python3 - "${rport[0]}" "$(cut -d: -f2 <<<"${target[${order[1]}]}")" <<'PY' >"$work/sanity.txt" 2>&1 || true
import os, socket, sys
direct, cp_three = map(int, sys.argv[1:])
targets = [l.split() for l in os.environ["TARGETS"].strip().splitlines()]
def enc(*a):
    out = [b"*%d\r\n" % len(a)]
    for x in a:
        x = x.encode() if isinstance(x, str) else x
        out.append(b"$%d\r\n%s\r\n" % (len(x), x))
    return b"".join(out)
class Conn:
    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.buf = b""
    def line(self):
        while b"\r\n" not in self.buf:
            d = self.s.recv(65536)
            if not d: raise EOFError("connection closed by peer")
            self.buf += d
        l, self.buf = self.buf.split(b"\r\n", 1)
        return l
    def exact(self, n):
        while len(self.buf) < n + 2:
            d = self.s.recv(65536)
            if not d: raise EOFError("connection closed by peer")
            self.buf += d
        v, self.buf = self.buf[:n], self.buf[n + 2:]
        return v
    def reply(self):
        l = self.line()
        t, rest = l[:1], l[1:]
        if t in (b"+", b"-", b":"): return l
        if t == b"$":
            n = int(rest)
            return None if n < 0 else self.exact(n)
        if t == b"*":
            n = int(rest)
            return None if n < 0 else [self.reply() for _ in range(n)]
        raise ValueError("bad reply %r" % l)
    def call(self, *cmds):
        self.s.sendall(b"".join(enc(*c) for c in cmds))
        return [self.reply() for _ in cmds]
keys = ["mget:%d" % i for i in range(1, 10001)]
vals = [b"value:%05d" % i for i in range(1, 10001)]
for port in (direct, cp_three):
    c = Conn(port)
    for i in range(0, len(keys), 1000):
        flat = [x for kv in zip(keys[i:i + 1000], vals[i:i + 1000]) for x in kv]
        assert c.call(["MSET", *flat]) == [b"+OK"], "MSET through port %d failed" % port
ok = True
for label, p1, p3 in targets:
    for shards, port in (("1 shard", int(p1)), ("3 shards", int(p3))):
        try:
            c = Conn(port)
            cmds, want = [], []
            for i in range(500):
                k, v = "sanity:%s:%d" % (label, i), b"v%d" % i
                cmds += [["SET", k, v], ["GET", k]]
                want += [b"+OK", v]
            got = c.call(*cmds)
            if got != want:
                bad = next(i for i, (g, w) in enumerate(zip(got, want)) if g != w)
                wrong = sum(1 for g, w in zip(got, want) if g != w)
                print("WRONG: %s %s: pipelined SET k/GET k x500 on one connection: %d replies wrong, first #%d is %r, expected %r"
                      % (label, shards, wrong, bad, got[bad], want[bad]))
                ok = False
            if shards == "3 shards" or label == "direct":
                for k in (1000, 10000):
                    got = c.call(["MGET", *keys[:k]])[0]
                    if got != vals[:k]:
                        miss = sum(1 for g, w in zip(got, vals) if g != w) if isinstance(got, list) else "all"
                        print("WRONG: %s %s: MGET of %d keys: %s values wrong (reply %.60r...)" % (label, shards, k, miss, got))
                        ok = False
        except Exception as e:
            print("WRONG: %s %s: %s: %s" % (label, shards, type(e).__name__, e))
            ok = False
print("sanity: all replies right" if ok else "sanity: SOME REPLIES WRONG (see above)")
PY
cat "$work/sanity.txt"
check_alive

backends_cpu() { # all three redis-servers
  echo $(($(cpu_ticks "${pidof[redis1]}") + $(cpu_ticks "${pidof[redis2]}") + $(cpu_ticks "${pidof[redis3]}")))
}
results=$work/results.txt
# One redis-benchmark run; appends "section target test rps requests wall proxy-ticks backend-ticks errors".
bench() { # section target port requests redis-benchmark-args...
  local section=$1 label=$2 port=$3 requests=$4
  shift 4
  local out="$work/out.$section.$label.$RANDOM" plabel pc0=0 pc1=0 bc0 bc1 t0 t1 rc=0
  plabel=$(cut -d: -f3 <<<"${target[$label]}")
  [ "$plabel" = - ] || pc0=$(cpu_ticks "${pidof[$plabel]}")
  bc0=$(backends_cpu)
  t0=$(date +%s.%N)
  timeout 180 redis-benchmark -h 127.0.0.1 -p "$port" -n "$requests" -q "$@" >"$out" 2>&1 || rc=$?
  t1=$(date +%s.%N)
  [ "$plabel" = - ] || pc1=$(cpu_ticks "${pidof[$plabel]}")
  bc1=$(backends_cpu)
  local errs
  errs=$(tr '\r' '\n' <"$out" | grep -c 'Error from server' || true)
  [ $rc = 0 ] || { echo "  WARNING: redis-benchmark on $label ($section) exited with $rc$([ $rc = 124 ] && echo ' (timeout: hang?)')" >&2; errs=$((errs + 1000000)); }
  [ "$errs" = 0 ] || { echo "  WARNING: errors from $label ($section, $*):" >&2; tr '\r' '\n' <"$out" | grep 'Error from server' | sort | uniq -c | head -5 >&2; }
  tr '\r' '\n' <"$out" | grep 'requests per second' |
    sed -E 's/^(.*): ([0-9.]+) requests per second.*/\1 \2/' | awk '{print $1, $NF}' |
    while read -r test rps; do
      echo "$section $label $test $rps $requests $t0 $t1 $((pc1 - pc0)) $((bc1 - bc0)) $errs" >>"$results"
    done
  tr '\r' '\n' <"$out" | grep -q 'requests per second' ||
    echo "$section $label none 0 $requests $t0 $t1 $((pc1 - pc0)) $((bc1 - bc0)) $errs" >>"$results"
  check_alive
}

# MGET sizes: 1000 keys through every target; 100 and 10000 keys (is the cost per key constant?)
# through direct, coproxy with server_connections 1, and nutcracker.
mget_all=(direct)
mget_core=(direct)
for label in "${order[@]}"; do
  [ "$label" = direct ] && continue
  mget_all+=("$label")
  [[ $label == *-sc* ]] || mget_core+=("$label")
done
declare -A mkeys
for k in 100 1000 10000; do mkeys[$k]=$(seq -f 'mget:%g' 1 $k | tr '\n' ' '); done
start_time=$(date +%s)
for ((r = 0; r < rounds; r++)); do
  echo "round $((r + 1))/$rounds ($(($(date +%s) - start_time))s)" >&2
  n=${#order[@]}
  for shards in 1 3; do
    for pl in 1 16; do
      reqs=$n1
      [ $pl = 1 ] || reqs=$n16
      for ((i = 0; i < n; i++)); do
        label=${order[$(((i + r) % n))]}
        IFS=: read -r p1 p3 _ <<<"${target[$label]}"
        port=$p1
        [ $shards = 1 ] || port=$p3
        bench "${shards}shard-P$pl" "$label" "$port" "$reqs" -t set,get -c 50 -P "$pl" -r 100000
      done
    done
  done
  for k in 100 1000 10000; do
    if [ $k = 1000 ]; then list=("${mget_all[@]}"); else list=("${mget_core[@]}"); fi
    reqs=$((nmget * 1000 / k / (k == 100 ? 2 : 1)))
    [ $reqs -ge 50 ] || reqs=50
    m=${#list[@]}
    for ((i = 0; i < m; i++)); do
      label=${list[$(((i + r) % m))]}
      port=$(cut -d: -f2 <<<"${target[$label]}")
      # shellcheck disable=SC2086 # the keys are meant to split
      bench "mget$k" "$label" "$port" "$reqs" -c 10 MGET ${mkeys[$k]}
    done
  done
done
echo "done in $(($(date +%s) - start_time))s" >&2

python3 - "$results" "$(getconf CLK_TCK)" "${order[@]}" <<'PY'
import sys, statistics
from collections import defaultdict
path, hz, order = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
rps = defaultdict(list)      # (section, target, test) -> [rps]
cpu = defaultdict(list)      # (section, target) -> [(proxy us/req, backends us/req)]
errors = defaultdict(int)
for line in open(path):
    sec, tgt, test, r, reqs, t0, t1, pt, bt, errs = line.split()
    rps[sec, tgt, test].append(float(r))
    errors[sec, tgt] += int(errs)
    if test in ("SET", "none") or sec.startswith("mget"):
        total = int(reqs) * (1 if sec.startswith("mget") else 2)
        cpu[sec, tgt].append((int(pt) / hz / total * 1e6, int(bt) / hz / total * 1e6))
med = lambda xs: statistics.median(xs) if xs else 0.0
def R(sec, tgt, test): return med(rps.get((sec, tgt, test), []))
def spread(sec, tgt, test):  # (max - min) / median over the rounds
    xs = rps.get((sec, tgt, test), [])
    return (max(xs) - min(xs)) / med(xs) if len(xs) > 1 and med(xs) else 0.0
def ratio(a, b): return "%5.2f" % (a / b) if b else "  n/a"
one = order[1]  # coproxy with 1 worker and the first server_connections value
nrounds = max(len(v) for v in rps.values())
print("\nredis-benchmark -c 50 -r 100000, requests/s, median of %d round(s)" % nrounds)
print("cpu: microseconds of CPU per request spent by the proxy / by all three redis-servers (medians)")
print("spread: the largest (max - min) / median over the rounds among the row's four cells")
verdicts = []
for shards in (1, 3):
    print("\n== %d shard%s behind the proxies%s" % (shards, "s" if shards > 1 else "",
          "; direct = one of the three redis-servers" if shards > 1 else "; direct = that redis-server"))
    print("%-20s %10s %10s %10s %10s   %-13s %-13s %6s" % ("target", "P1 SET", "P1 GET", "P16 SET", "P16 GET", "cpu P1", "cpu P16", "spread"))
    for t in order:
        cells = [R("%dshard-P%d" % (shards, p), t, test) for p in (1, 16) for test in ("SET", "GET")]
        cp = []
        for p in (1, 16):
            c = cpu.get(("%dshard-P%d" % (shards, p), t), [])
            cp.append("%5.1f / %5.1f" % (med([x[0] for x in c]), med([x[1] for x in c])) if c else "")
        err = sum(errors[("%dshard-P%d" % (shards, p), t)] for p in (1, 16))
        sp = max(spread("%dshard-P%d" % (shards, p), t, test) for p in (1, 16) for test in ("SET", "GET"))
        print("%-20s %10.0f %10.0f %10.0f %10.0f   %-13s %-13s %5.0f%%%s" % (t, *cells, *cp, sp * 100, "  ERRORS: %d" % err if err else ""))
    for base in ("nutcracker", "direct"):
        for t in order:
            if t in ("direct", base):
                continue
            cells = [ratio(R("%dshard-P%d" % (shards, p), t, test), R("%dshard-P%d" % (shards, p), base, test))
                     for p in (1, 16) for test in ("SET", "GET")]
            print("%-20s %10s %10s %10s %10s" % ("%s/%s" % (t, "nc" if base == "nutcracker" else "direct"), *cells))
    for p, want in ((1, 1.0), (16, 1.3)):
        for test in ("SET", "GET"):
            a, b = R("%dshard-P%d" % (shards, p), one, test), R("%dshard-P%d" % (shards, p), "nutcracker", test)
            x = a / b if b else 0
            verdicts.append("%d shard%s -P %-2d %s: %s / nutcracker = %.2f, target >= %.1f: %s"
                            % (shards, "s" if shards > 1 else " ", p, test, one, x, want, "holds" if x >= want else "FAILS"))
ks = (100, 1000, 10000)
def pcpu(sec, t, i=0):
    c = cpu.get((sec, t), [])
    return med([x[i] for x in c]) if c else 0.0
print("\n== MGET of K keys (-c 10); proxies over 3 shards, direct = one redis-server holding all the keys")
print("%-20s %9s %9s %9s   %7s %7s %7s   %6s   %s" % ("target", "K=100", "K=1000", "K=10000", "/direct", "/direct", "/direct", "spread",
      "proxy cpu ns/key K=100, 1000, 10000; backends us/op K=1000"))
for t in order:
    v = [R("mget%d" % k, t, "MGET") for k in ks]
    d = [R("mget%d" % k, "direct", "MGET") for k in ks]
    err = sum(errors[("mget%d" % k, t)] for k in ks)
    sp = max(spread("mget%d" % k, t, "MGET") for k in ks)
    per_key = ["%5.0f" % (pcpu("mget%d" % k, t) * 1000 / k) if t != "direct" and v[i] else "    -" for i, k in enumerate(ks)]
    print("%-20s %9s %9s %9s   %7s %7s %7s   %5.0f%%   %s %s %s; %5.0f%s" % (t, *[("%.0f" % x) if x else "-" for x in v],
          *[ratio(x, y) if x else "    -" for x, y in zip(v, d)], sp * 100, *per_key, pcpu("mget1000", t, 1),
          "  ERRORS: %d" % err if err else ""))
d, nc = R("mget1000", "direct", "MGET"), R("mget1000", "nutcracker", "MGET")
print("\nacceptance (coproxy with 1 worker, server_connections 1, vs nutcracker), by throughput:")
for v in verdicts:
    print("  " + v)
print("  MGET linearity, 1000 keys: %s over 3 shards / direct on 1 = %.2f (target: about 1); nutcracker / direct = %.2f"
      % (one, R("mget1000", one, "MGET") / d if d else 0, nc / d if d else 0))
print("\nthe same by proxy CPU per request (nutcracker's / coproxy's: the throughput each would reach on a core of its own;")
print("steadier than throughput when other processes share the CPUs):")
for shards in (1, 3):
    for p, want in ((1, 1.0), (16, 1.3)):
        sec = "%dshard-P%d" % (shards, p)
        a, b = pcpu(sec, one), pcpu(sec, "nutcracker")
        x = b / a if a else 0
        print("  %d shard%s -P %-2d SET+GET: %.1f us vs %.1f us per request, x%.2f, target >= %.1f: %s"
              % (shards, "s" if shards > 1 else " ", p, a, b, x, want, "holds" if x >= want else "FAILS"))
pk = lambda t, k: pcpu("mget%d" % k, t) * 1000 / k
print("  MGET proxy CPU per key, K=100 / 1000 / 10000: %s %.0f / %.0f / %.0f ns, nutcracker %.0f / %.0f / %.0f ns (linear = flat)"
      % (one, *[pk(one, k) for k in ks], *[pk("nutcracker", k) for k in ks]))
PY

echo
for label in "${order[@]}"; do
  [ "$label" = direct ] && continue
  log=${logof[$label]}
  [ "$label" = nutcracker ] && log=$work/nutcracker.log
  expected="nutcracker-0.5.0 built for|run, rabbit run|unsupported command 'CONFIG'|signal 2 \\(SIGINT\\)"
  report_log "$label" "$log" "$expected"
done
