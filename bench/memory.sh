#!/usr/bin/env bash
# Memory benchmark (not a test), coproxy vs nutcracker (twemproxy 0.5.0) in front of one
# redis-server, the same YAML for both:
#  (a) idle clients: resident memory (VmRSS, and Pss from smaps_rollup) before, with N idle
#      client connections open (accepted, nothing sent), after one GET on each (so every session
#      is fully set up, buffers included), and after they closed (plus one malloc_trim tick);
#      bytes per connection = growth / N. Target: <= 4 KiB per connection for coproxy.
#  (b) a client that never reads: it pipelines thousands of GETs of a 1 MiB value and reads not
#      one byte. coproxy must cut it off at client_output_limit (counted in
#      coproxy_client_output_limit_closes_total) with its RSS bounded, and give the memory back
#      afterwards (malloc_trim every 10 s on worker 0); nutcracker buffers without end, so its run
#      stops at 30 s or 2 GiB of RSS.
# coproxy runs with --threads 1 and --threads 2. Kernel socket buffers are not in any process's
# RSS, so they are not counted here.
# Usage: bench/memory.sh [clients]   (default 10000; about 3 minutes)
#   KEEP=1 keeps the temp dir (logs, samples); COPROXY=path measures that binary, unbuilt.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/.."
n=${1:-10000}
value_bytes=$((1 << 20))
gets=2048                        # pipelined GETs of the 1 MiB value: 2 GiB of replies
cap_kb=$((2 << 20))              # stop a never-reading run at 2 GiB RSS...
cap_secs=30                      # ...or after this long (nutcracker)
cut_secs=20                      # coproxy's never-reading runs: long enough for cut-off and trim
tail_secs=12                     # sampling after the client closed (one malloc_trim tick)
.ci/deps demo >/dev/null
coproxy_binary
work=$(mktemp -d /tmp/coproxy-bench-memory.XXXX)
copy_coproxy "$COPROXY"
echo "$(coproxy_at_rev); $(nproc) CPUs; $(redis_version), $(nutcracker_version)" >&2
trap cleanup EXIT

# nutcracker takes the shell's limit as it is; coproxy raises its own. Root may raise the hard one.
want_fds=$((n + 1024))
[ "$(ulimit -Hn)" = unlimited ] || [ "$(ulimit -Hn)" -ge $want_fds ] || ulimit -Hn $want_fds 2>/dev/null || true
[ "$(ulimit -Hn)" = unlimited ] || [ "$(ulimit -Hn)" -ge $want_fds ] ||
  { echo "FATAL: need $want_fds file descriptors, the hard limit is $(ulimit -Hn)" >&2; exit 1; }
[ "$(ulimit -Sn)" != unlimited ] && [ "$(ulimit -Sn)" -lt $want_fds ] && ulimit -Sn $want_fds

pss() { awk '/^Pss:/ {print $2}' "/proc/$1/smaps_rollup" 2>/dev/null || echo 0; } # kB
wait_fds() { # pid ge|le count seconds: until the pid's fd count is >= / <= count; prints the count
  local i f
  for ((i = 0; i < $4 * 10; i++)); do
    f=$(nfds "$1")
    if [ "$2" = ge ]; then [ "$f" -ge "$3" ] && break; else [ "$f" -le "$3" ] && break; fi
    sleep 0.1
  done
  echo "$f"
}

redis=$(port)
start redis "$work/redis.log" redis-server --port "$redis" --bind 127.0.0.1 --save '' --appendonly no --maxclients 1000
declare -A listen admin
targets=(coproxy-1w coproxy-2w nutcracker)
for t in "${targets[@]}"; do
  listen[$t]=$(port)
  # The same nutcracker-compatible YAML for every target; coproxy's limits stay at their defaults
  # (client_output_limit 64 MiB, mbuf 16 KiB, like nutcracker's mbuf).
  printf 'mem:\n  listen: 127.0.0.1:%s\n  redis: true\n  hash: fnv1a_64\n  distribution: ketama\n  server_connections: 1\n  servers:\n    - 127.0.0.1:%s:1\n' \
    "${listen[$t]}" "$redis" >"$work/$t.yml"
done
for w in 1 2; do
  admin[coproxy-${w}w]=$(port)
  start "coproxy-${w}w" "$work/coproxy-${w}w.log" "$work/coproxy" -c "$work/coproxy-${w}w.yml" --threads $w \
    --max-clients $((n + 1000)) --admin-addr "127.0.0.1:${admin[coproxy-${w}w]}" -s 0 -v 4
done
start nutcracker "$work/nutcracker.out" nutcracker -c "$work/nutcracker.yml" -s "$(port)" -a 127.0.0.1 -o "$work/nutcracker.log"
sleep 1
check_alive
for t in "${targets[@]}"; do
  timeout 10 redis-cli -p "${listen[$t]}" get coproxy:idle >/dev/null 2>&1 ||
    { echo "FATAL: $t does not answer GET on port ${listen[$t]}" >&2; check_alive; exit 1; }
done

start_idle_clients

# (a) idle clients
results=$work/idle.txt
for t in "${targets[@]}"; do
  pid=${pidof[$t]}
  echo "(a) $t: $n idle clients" >&2
  sleep 1
  f0=$(nfds "$pid") r0=$(rss "$pid") p0=$(pss "$pid")
  t0=$(date +%s.%N)
  read -r _ opened _ failed err <<<"$(ic open "${listen[$t]}" "$n" redis)"
  [ "$failed" = 0 ] || echo "  WARNING: $failed connects to $t failed: $err" >&2
  f1=$(wait_fds "$pid" ge $((f0 + n)) 60)
  t1=$(date +%s.%N)
  sleep 2
  r1=$(rss "$pid") p1=$(pss "$pid")
  clients=-
  [ -z "${admin[$t]:-}" ] || clients=$(metrics "${admin[$t]}" coproxy_clients)
  read -r _ answered _ rfailed rerr <<<"$(ic request)"
  [ "$rfailed" = 0 ] || echo "  WARNING: $rfailed of the $t clients did not answer a GET: $rerr" >&2
  sleep 2
  r2=$(rss "$pid") p2=$(pss "$pid")
  ic close >/dev/null
  f3=$(wait_fds "$pid" le $((f0 + 1)) 60)
  sleep 11 # one malloc_trim tick
  r3=$(rss "$pid") p3=$(pss "$pid")
  echo "$t $n $opened $((f1 - f0)) $clients $answered $r0 $r1 $r2 $r3 $p0 $p1 $p2 $p3 $f0 $f3 $t0 $t1" >>"$results"
  check_alive
done

# (b) a client that never reads
redis-cli -p "$redis" -x set coproxy:big < <(head -c $value_bytes /dev/zero | tr '\0' v) >/dev/null
never=$work/never.txt
for t in "${targets[@]}"; do
  pid=${pidof[$t]}
  secs=$cut_secs
  [ "$t" != nutcracker ] || secs=$cap_secs
  echo "(b) $t: $gets pipelined GETs of $((value_bytes >> 20)) MiB, never read, ${secs}s + ${tail_secs}s" >&2
  sleep 1
  closes0=0 sreq0=0
  if [ -n "${admin[$t]:-}" ]; then
    closes0=$(metrics "${admin[$t]}" coproxy_client_output_limit_closes_total)
    sreq0=$(metrics "${admin[$t]}" coproxy_server_requests_total)
  fi
  # VmHWM, reset to the current RSS here (root, or the same user), is the true peak between samples.
  hwm_reset=yes
  echo 5 2>/dev/null >"/proc/$pid/clear_refs" || hwm_reset=no
  python3 - "$t" "${listen[$t]}" "$pid" "$secs" "$cap_kb" "$gets" "$tail_secs" "${admin[$t]:-0}" >>"$never" <<'PY'
import select, socket, sys, time, urllib.request
label, port, pid, secs, cap_kb, gets, tail, admin = sys.argv[1], *map(int, sys.argv[2:])
def rss():
    try:
        for l in open("/proc/%d/status" % pid):
            if l.startswith("VmRSS:"):
                return int(l.split()[1])
    except FileNotFoundError:
        pass
    return 0
def clients():  # coproxy's gauge: 1 while our client is open
    try:
        body = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % admin, timeout=5).read().decode()
        return next(int(float(l.split()[-1])) for l in body.splitlines() if l.startswith("coproxy_clients "))
    except Exception:
        return -1
one = b"*2\r\n$3\r\nGET\r\n$11\r\ncoproxy:big\r\n"
req = one * gets
print("%s sample 0.0 %d" % (label, rss()))
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
s.connect(("127.0.0.1", port))
s.setblocking(False)
poll = select.poll()
poll.register(s, select.POLLRDHUP | select.POLLERR | select.POLLHUP)
t0 = time.time()
sent, cut, next_sample, next_check = 0, None, 0.1, 0.5
def event(now, what):
    print("%s event %.1f %s" % (label, now, what))
while True:
    now = time.time() - t0
    if now >= secs:
        break
    if sent < len(req) and cut is None:
        try:
            sent += s.send(req[sent:sent + 65536])
        except BlockingIOError:
            pass
        except OSError as e:
            cut = now
            event(now, "send failed: %s (cut off)" % e)
    if cut is None and poll.poll(0):
        cut = now
        event(now, "the proxy closed the connection")
    if now >= next_sample:  # every 0.1 s: coproxy's burst lasts well under a second
        r = rss()
        print("%s sample %.2f %d" % (label, now, r))
        next_sample += 0.1
        if r > cap_kb:
            event(now, "RSS passed %d MiB: stop" % (cap_kb >> 10))
            break
    if now >= next_check and cut is None and admin:
        next_check += 0.5
        if clients() == 0:
            cut = now
            event(now, "coproxy_clients fell to 0: cut off")
    time.sleep(0.02)
closed = time.time() - t0
print("%s sent %d" % (label, sent // len(one)))
print("%s cut %s" % (label, "%.1f" % cut if cut is not None else "-"))
print("%s closed %.1f" % (label, closed))
s.close()
next_sample = closed
while time.time() - t0 < closed + tail:
    now = time.time() - t0
    if now >= next_sample:
        print("%s sample %.2f %d" % (label, now, rss()))
        next_sample += 0.1
    time.sleep(0.05)
PY
  if [ -n "${admin[$t]:-}" ]; then
    # GETs already written to redis when the client was cut off still get their 1 MiB replies,
    # which coproxy reads and drops; wait for them, so the next target has redis to itself.
    for ((i = 0; i < 120; i++)); do
      busy=$(($(metrics "${admin[$t]}" coproxy_server_requests_in_flight) + $(metrics "${admin[$t]}" coproxy_server_requests_queued)))
      [ "$busy" = 0 ] && break
      sleep 1
    done
    echo "$t busy $busy $i" >>"$never"
    echo "$t forwarded $(($(metrics "${admin[$t]}" coproxy_server_requests_total) - sreq0))" >>"$never"
    echo "$t closes $(($(metrics "${admin[$t]}" coproxy_client_output_limit_closes_total) - closes0))" >>"$never"
  fi
  alive=yes
  timeout 10 redis-cli -p "${listen[$t]}" get coproxy:idle >/dev/null 2>&1 || alive=NO
  [ $hwm_reset = no ] || echo "$t hwm $(awk '/^VmHWM:/ {print $2}' "/proc/$pid/status")" >>"$never"
  echo "$t answers $alive" >>"$never"
  check_alive
done

python3 - "$results" "$never" "$value_bytes" <<'PY'
import sys
from collections import defaultdict
idle, never, value = sys.argv[1], sys.argv[2], int(sys.argv[3])
MiB = lambda kb: "%.1f" % (kb / 1024)
rows = [l.split() for l in open(idle)]
print("\n(a) idle client connections: resident memory in MiB (VmRSS; Pss in brackets), bytes per connection")
print("%-11s %6s %6s %12s %16s %16s %12s %9s %9s %8s" % ("target", "conns", "open", "before", "idle (accepted)", "after 1 GET each",
      "closed+11s", "B/conn", "B/conn", "Pss B/c"))
print("%-11s %6s %6s %12s %16s %16s %12s %9s %9s %8s" % ("", "", "", "", "", "", "", "idle", "1 GET", "1 GET"))
verdicts = []
for t, n, opened, fdgrowth, clients, answered, r0, r1, r2, r3, p0, p1, p2, p3, f0, f3, t0, t1 in rows:
    n, r0, r1, r2, r3, p0, p1, p2, p3 = map(int, (n, r0, r1, r2, r3, p0, p1, p2, p3))
    b_idle, b_req, b_pss = (r1 - r0) * 1024 / n, (r2 - r0) * 1024 / n, (p2 - p0) * 1024 / n
    print("%-11s %6d %6s %5s [%4s] %8s [%5s] %8s [%5s] %5s [%4s] %9.0f %9.0f %8.0f" % (t, n, fdgrowth, MiB(r0), MiB(p0), MiB(r1), MiB(p1),
          MiB(r2), MiB(p2), MiB(r3), MiB(p3), b_idle, b_req, b_pss))
    notes = []
    if int(fdgrowth) < n:
        notes.append("only %s of %d connections accepted" % (fdgrowth, n))
    if clients != "-" and int(clients) != n:
        notes.append("coproxy_clients said %s" % clients)
    if int(answered) != n:
        notes.append("only %s of %d answered their GET" % (answered, n))
    notes.append("%d connections accepted in %.1f s" % (int(fdgrowth), float(t1) - float(t0)))
    notes.append("fds %s before, %s after close" % (f0, f3))
    print("%-11s   %s" % ("", "; ".join(notes)))
    if t.startswith("coproxy"):
        verdicts.append("%s: %.0f bytes per connection after one GET each (idle: %.0f), target <= 4096: %s"
                        % (t, b_req, b_idle, "holds" if b_req <= 4096 else "FAILS"))
nc = {r[0]: r for r in rows}.get("nutcracker")
for v in verdicts:
    print("  " + v)
if nc:
    print("  nutcracker: %.0f bytes per connection after one GET each (idle: %.0f)"
          % ((int(nc[8]) - int(nc[6])) * 1024 / int(nc[1]), (int(nc[7]) - int(nc[6])) * 1024 / int(nc[1])))

samples, info, order = defaultdict(list), defaultdict(dict), []
for l in open(never):
    w = l.split()
    if w[0] not in order:
        order.append(w[0])
    if w[1] == "sample":
        samples[w[0]].append((float(w[2]), int(w[3])))
    elif w[1] == "event":
        info[w[0]].setdefault("events", []).append(" ".join(w[2:]))
    else:
        info[w[0]][w[1]] = " ".join(w[2:])
print("\n(b) one client pipelines GETs of a %d MiB value and never reads; RSS in MiB" % (value >> 20))
print("%-11s %7s %8s %8s %8s %9s %8s %8s %9s %10s %6s" % ("target", "GETs", "before", "peak", "VmHWM", "cut off", "closes",
      "at close", "close+5s", "close+11s", "alive"))
for t in order:
    s, i = samples[t], info[t]
    closed = float(i["closed"])
    at = lambda x: min(s, key=lambda p: abs(p[0] - x))[1]
    cut = i.get("cut", "-")
    print("%-11s %7s %8s %8s %8s %9s %8s %8s %9s %10s %6s" % (t, i.get("sent", "?"), MiB(s[0][1]), MiB(max(r for _, r in s)),
          MiB(int(i["hwm"])) if "hwm" in i else "?", cut + ("s" if cut != "-" else ""),
          ("+" + i["closes"]) if "closes" in i and t.startswith("coproxy") else "n/a", MiB(at(closed)),
          MiB(at(closed + 5)), MiB(at(closed + 11)), i.get("answers", "?")))
print("  (peak: the highest 0.1 s sample; VmHWM: the kernel's high-water mark over the run; closes: the rise of")
print("  coproxy_client_output_limit_closes_total; close+Ns: N seconds after the client closed its socket)")
for t in order:
    for e in info[t].get("events", []):
        when, what = e.split(" ", 1)
        print("  %s at %ss: %s" % (t, when, what))
for t in order:
    if t.startswith("coproxy"):
        s, i = samples[t], info[t]
        peak = max(int(i.get("hwm", 0)), max(r for _, r in s)) - s[0][1]
        closes = int(i.get("closes", 0))
        closed = float(i["closed"])
        back = min(s, key=lambda p: abs(p[0] - closed - 11))[1] - s[0][1]
        print("  %s: cut off %s (client_output_limit_closes_total +%d), peak growth %.0f MiB for a 64 MiB limit: %s;"
              " 11 s after the client closed: %+.1f MiB from before"
              % (t, "at %ss" % i["cut"] if i.get("cut", "-") != "-" else "NEVER", closes, peak / 1024,
                 "bounded" if closes >= 1 and peak < 3 * 64 * 1024 else "NOT BOUNDED", back / 1024))
        busy, waited = i.get("busy", "? ?").split()
        print("  %s: of the client's GETs, %s reached redis; requests in flight or queued to redis after the run: %s%s"
              % (t, i.get("forwarded", "?"), busy, " (after waiting %s s more)" % waited if waited != "0" else ""))
print("\nRSS over time, MiB (client connects at 0; coproxy's client closes at %ss, nutcracker's at %ss)"
      % (info[order[0]].get("closed", "?"), info.get("nutcracker", {}).get("closed", "?")))
end = max(p[0] for t in order for p in samples[t])
print("%6s" % "t (s)" + "".join("%12s" % t for t in order))
xs = [0, 0.2, 0.4, 0.6, 0.8, 1, 1.5, 2, 3] + list(range(4, int(end) + 1, 2))
for x in xs:
    cells = []
    for t in order:
        near = [p for p in samples[t] if abs(p[0] - x) <= 0.06]
        cells.append("%12s" % (MiB(near[0][1]) if near else ""))
    print("%6s" % x + "".join(cells))
PY

echo
for t in "${targets[@]}"; do
  log=${logof[$t]}
  [ "$t" = nutcracker ] && log=$work/nutcracker.log
  report_log "$t" "$log" "nutcracker-0.5.0 built for|run, rabbit run|client cut off: .* bytes of replies waiting"
done
