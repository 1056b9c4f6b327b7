#!/usr/bin/env bash
# Transactions benchmark (not a test): redis-py clients run MULTI/INCR/EXEC transactions (one
# write each, as its default pipeline() sends them) at a fixed total rate, directly against one
# redis-server and through a coproxy Redis pool over three, in one run. It reports transactions/s,
# latency p50/p99, errors, the upstream connections coproxy opened per second after warm-up (the
# point of leased connections: Envoy's design opens one per transaction), and the CPU a
# transaction costs through coproxy (proxy + servers) against direct (the server), from
# /proc/<pid>/stat.
# Usage: bench/transactions.sh [rate] [seconds] [clients]   (default: 2000 60 50)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/.."
rate=${1:-2000}
seconds=${2:-60}
clients=${3:-50}
.ci/deps demo >/dev/null
coproxy_binary
work=$(mktemp -d /tmp/coproxy-bench-tx.XXXX)
copy_coproxy "$COPROXY"
echo "$(coproxy_at_rev); $(nproc) CPUs; $(redis_version); $clients clients, $rate tx/s, ${seconds}s" >&2
trap cleanup EXIT

rport=()
for i in 1 2 3 4; do
  p=$(port)
  rport+=("$p")
  start "redis$i" "$work/redis$i.log" redis-server --port "$p" --bind 127.0.0.1 --save '' --appendonly no
done
listen=$(port)
admin=$(port)
{
  printf 'tx:\n  listen: 127.0.0.1:%s\n  redis: true\n  hash_tag: "{}"\n  timeout: 1000\n  servers:\n' "$listen"
  for p in "${rport[@]:1}"; do printf '    - 127.0.0.1:%s:1\n' "$p"; done
} >"$work/coproxy.yml"
start coproxy "$work/coproxy.log" "$work/coproxy" -c "$work/coproxy.yml" -s 0 \
  --admin-addr "127.0.0.1:$admin" --threads "$(nproc)"
sleep 1
check_alive

py=/usr/bin/python3
# Warm-up through coproxy: the lease pools grow to the peak number of transactions in flight at
# once (each worker's, per server), then stay.
"$py" bench/tx_load.py "$listen" "$clients" "$rate" 15 5 >/dev/null

# Direct: one redis-server (the anchor), its CPU over the run.
d0=$(cpu_ticks "${pidof[redis1]}")
direct=$("$py" bench/tx_load.py "${rport[0]}" "$clients" "$rate" "$seconds" 5)
d1=$(cpu_ticks "${pidof[redis1]}")

# Through coproxy over three servers: proxy and servers' CPU, connections opened.
read -r l0 c0 < <(metrics "$admin" coproxy_server_lease_connects_total coproxy_server_connects_total)
p0=$(cpu_ticks "${pidof[coproxy]}")
s0=0
for i in 2 3 4; do s0=$((s0 + $(cpu_ticks "${pidof[redis$i]}"))); done
proxied=$("$py" bench/tx_load.py "$listen" "$clients" "$rate" "$seconds" 5)
p1=$(cpu_ticks "${pidof[coproxy]}")
s1=0
for i in 2 3 4; do s1=$((s1 + $(cpu_ticks "${pidof[redis$i]}"))); done
read -r l1 c1 < <(metrics "$admin" coproxy_server_lease_connects_total coproxy_server_connects_total)
read -r leases_now < <(metrics "$admin" coproxy_server_leases)
check_alive

"$py" - "$direct" "$proxied" "$((d1 - d0))" "$((p1 - p0))" "$((s1 - s0))" \
  "$((l1 - l0))" "$((c1 - c0))" "$seconds" "$(getconf CLK_TCK)" "$leases_now" <<'PY'
import json, sys
direct, proxied = json.loads(sys.argv[1]), json.loads(sys.argv[2])
dcpu, pcpu, scpu, leases, conns, secs, hz, held = (float(a) for a in sys.argv[3:11])
us = lambda ticks, tx: ticks / hz / max(tx, 1) * 1e6
print("%-22s %10s %8s %8s %8s %7s %16s" % ("target", "tx/s", "p50 ms", "p99 ms", "max ms", "errors", "CPU us per tx"))
print("%-22s %10.0f %8.2f %8.2f %8.2f %7d %16s" % ("direct (1 redis)", direct["rate"], direct["p50_ms"], direct["p99_ms"], direct["max_ms"], direct["errors"], "%.1f (server)" % us(dcpu, direct["transactions"])))
print("%-22s %10.0f %8.2f %8.2f %8.2f %7d %16s" % ("coproxy (3 redis)", proxied["rate"], proxied["p50_ms"], proxied["p99_ms"], proxied["max_ms"], proxied["errors"], "%.1f + %.1f" % (us(pcpu, proxied["transactions"]), us(scpu, proxied["transactions"]))))
print("coproxy: upstream connections opened after warm-up: %d leased + %d shared in %.0f s = %.3f/s; leases held at the end: %d" % (leases, conns, secs, (leases + conns) / secs, held))
print("CPU per transaction, coproxy + its servers vs direct: x%.2f" % ((us(pcpu, proxied["transactions"]) + us(scpu, proxied["transactions"])) / max(us(dcpu, direct["transactions"]), 1e-9)))
PY
report_log coproxy "$work/coproxy.log" 'started|pool |admin endpoint|running as root|file descriptors|shutting down|listeners closed|workers stopped|stopped$'
