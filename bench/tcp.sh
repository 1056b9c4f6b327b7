#!/usr/bin/env bash
# tcp pool benchmark (not a test): in one run, iperf3 throughput direct, through coproxy with one
# worker and with all workers, and through haproxy; then new connections per second with
# redis-benchmark -k 0 (a fresh connection per PING) through the same proxies. Reports medians of
# several rounds and ratios, because on a shared machine only ratios from one run mean anything.
# Usage: bench/tcp.sh [seconds-per-iperf-run] [rounds]
#   KEEP=1 keeps the temp dir (configs, logs); COPROXY=path measures that binary, unbuilt.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/.."
secs=${1:-5}
rounds=${2:-3}
.ci/deps demo >/dev/null
coproxy_binary
work=$(mktemp -d /tmp/coproxy-bench-tcp.XXXX)
copy_coproxy "$COPROXY"
trap cleanup EXIT

iperf=$(port); redis=$(port)
cp1=$(port); cpn=$(port); ha=$(port)
rcp1=$(port); rcpn=$(port); rha=$(port)
cpus=$(nproc)

start iperf3 "$work/iperf3.log" iperf3 -s -p "$iperf"
start redis "$work/redis.log" redis-server --port "$redis" --bind 127.0.0.1 --save '' --appendonly no

pool() { # name listen server preconnect
  printf '%s:\n  protocol: tcp\n  listen: 127.0.0.1:%s\n  preconnect: %s\n  server_connections: 4\n  servers:\n    - 127.0.0.1:%s:1\n' "$1" "$2" "$4" "$3"
}
# iperf3's server runs one test at a time, so warm sockets would occupy it: no preconnect there.
{ pool iperf1 "$cp1" "$iperf" false; pool redis1 "$rcp1" "$redis" true; } >"$work/one.yml"
{ pool iperfn "$cpn" "$iperf" false; pool redisn "$rcpn" "$redis" true; } >"$work/all.yml"
start coproxy-one "$work/coproxy-one.log" "$work/coproxy" -c "$work/one.yml" --threads 1 --admin-addr "" -s 0 -v 3
start coproxy-all "$work/coproxy-all.log" "$work/coproxy" -c "$work/all.yml" --threads "$cpus" --admin-addr "" -s 0 -v 3
cat >"$work/haproxy.cfg" <<CFG
global
  nbthread $cpus
  maxconn 4096
defaults
  mode tcp
  timeout connect 5s
  timeout client 60s
  timeout server 60s
frontend iperf
  bind 127.0.0.1:$ha
  default_backend iperf
backend iperf
  server s1 127.0.0.1:$iperf
frontend redis
  bind 127.0.0.1:$rha
  default_backend redis
backend redis
  server s1 127.0.0.1:$redis
CFG
start haproxy "$work/haproxy.log" haproxy -f "$work/haproxy.cfg" -db
sleep 1
check_alive

gbps() { # port -> Gbit/s received; iperf3's server needs a moment between tests, so retry
  for _ in 1 2 3 4 5; do
    sleep 0.5
    if out=$(iperf3 -c 127.0.0.1 -p "$1" -t "$secs" -J 2>/dev/null |
      python3 -c 'import json,sys; d=json.load(sys.stdin); print("%.2f" % (d["end"]["sum_received"]["bits_per_second"]/1e9))' 2>/dev/null); then
      echo "$out"
      return
    fi
  done
  echo 0
}
conns() { # port -> new connections per second (each carries one PING)
  timeout 120 redis-benchmark -p "$1" -k 0 -c 20 -n 20000 -t ping_inline -q 2>/dev/null |
    awk -F'[: ]+' '/requests per second/ {for(i=1;i<=NF;i++) if($i=="requests") print $(i-1)}' | tail -1
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

declare -A tput rate
targets=("direct:$iperf:$redis" "coproxy-1w:$cp1:$rcp1" "coproxy-${cpus}w:$cpn:$rcpn" "haproxy-${cpus}t:$ha:$rha")
for ((r = 1; r <= rounds; r++)); do
  for t in "${targets[@]}"; do
    IFS=: read -r name ip rp <<<"$t"
    tput[$name]+="$(gbps "$ip") "
    rate[$name]+="$(conns "$rp") "
  done
done

printf '\n%-14s %12s %14s\n' target "iperf3 Gb/s" "new conn/s"
for t in "${targets[@]}"; do
  name=${t%%:*}
  tm=$(echo ${tput[$name]} | tr ' ' '\n' | median)
  rm=$(echo ${rate[$name]} | tr ' ' '\n' | median)
  printf '%-14s %12s %14s\n' "$name" "$tm" "$rm"
  eval "m_${name//[-]/_}_t=$tm; m_${name//[-]/_}_r=$rm"
done
ha_t=$(echo ${tput[haproxy-${cpus}t]} | tr ' ' '\n' | median)
ha_r=$(echo ${rate[haproxy-${cpus}t]} | tr ' ' '\n' | median)
c1_t=$(echo ${tput[coproxy-1w]} | tr ' ' '\n' | median)
c1_r=$(echo ${rate[coproxy-1w]} | tr ' ' '\n' | median)
python3 - "$c1_t" "$ha_t" "$c1_r" "$ha_r" <<'PY'
import sys
c1t, hat, c1r, har = map(float, sys.argv[1:])
print("\ncoproxy 1 worker vs haproxy: throughput x%.2f, connection rate x%.2f" % (c1t / hat, c1r / har))
PY
