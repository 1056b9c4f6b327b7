#!/usr/bin/env bash
# Checks coproxy's sharding library against the real nutcracker 0.5.0 on this machine, the way
# test/sharding/data/*.txt were produced. Not part of ctest: it starts ~40 redis-server processes
# and one nutcracker on 127.0.0.0/8, all on free ports, and stops each of them by pid.
#   1. hashes: for awkward keys, every hash's dispatch value is recovered from nutcracker (modula
#      pools of 32, 31, 29, 27, 25, 23 and 19 servers reveal hash mod m; the CRT combines them).
#   2. placement: keys written through nutcracker are found on the backends and compared with
#      continuum::pick() for ketama and modula pools with names, weights, hash_tag, unix sockets,
#      port 11211 (on 127.0.0.2-4, skipped if taken), 25 servers and 270-byte names.
#   3. ejection: a backend is killed, nutcracker ejects it, placement is compared with a live mask.
# Usage: test/sharding/verify_against_nutcracker.sh [build-dir]   (default: build-sharding)
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$repo/build-sharding}
lib=$build/src/libcoproxy_sharding.a
for tool in nutcracker redis-server python3 c++; do
    command -v "$tool" >/dev/null || { echo "missing $tool" >&2; exit 2; }
done
[[ -f $lib ]] || { echo "build $lib first (target coproxy_sharding)" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The predictor: reads a pool and keys on stdin, prints what coproxy would do.
cat >"$work/predict.cpp" <<'CPP'
#include <coproxy/sharding/continuum.hpp>
#include <coproxy/sharding/hash.hpp>
#include <iostream>
#include <memory>
#include <sstream>
using namespace coproxy::sharding;
static std::string unhex(const std::string& h) {
    std::string out;
    for (std::size_t i = 0; i + 1 < h.size(); i += 2) {
        out.push_back(static_cast<char>(std::stoi(h.substr(i, 2), nullptr, 16)));
    }
    return out;
}
// Input lines: pool DIST HASH TAG | server HOST PORT WEIGHT LIVE [NAME] | key HEX | hashes HEX
int main() {
    std::string line, tag;
    distribution_kind dist{};
    hash_kind kind{};
    std::vector<node> nodes;
    std::vector<char> live;
    std::unique_ptr<continuum> c;
    while (std::getline(std::cin, line)) {
        std::istringstream in(line);
        std::string verb, a, b, d;
        in >> verb;
        if (verb == "pool") {
            in >> a >> b >> d;
            dist = *parse_distribution(a);
            kind = *parse_hash(b);
            tag = d == "-" ? "" : d;
        } else if (verb == "server") {
            std::string host, name;
            unsigned port = 0, weight = 0;
            int up = 1;
            in >> host >> port >> weight >> up >> name;
            const auto port16 = static_cast<std::uint16_t>(port);
            nodes.push_back({ketama_identity(host, port16, name), weight});
            live.push_back(static_cast<char>(up));
        } else if (verb == "key") {
            if (!c) {
                auto mask = std::make_unique<bool[]>(live.size());
                std::copy(live.begin(), live.end(), mask.get());
                c = std::make_unique<continuum>(continuum::build(
                    dist, nodes, std::span<const bool>(mask.get(), live.size())));
            }
            in >> a;
            const auto key = unhex(a == "-" ? "" : a);
            const auto pick = c->pick(dispatch_hash(kind, hash_tag_key(key, tag)));
            std::cout << (pick ? static_cast<int>(*pick) : -1) << '\n';
        } else if (verb == "hashes") {
            in >> a;
            const auto key = unhex(a == "-" ? "" : a);
            for (const auto name : hash_names()) {
                std::cout << dispatch_hash(*parse_hash(name), key) << ' ';
            }
            std::cout << '\n';
        }
    }
}
CPP
c++ -std=c++20 -O2 -I"$repo/include" "$work/predict.cpp" "$lib" -o "$work/predict"

python3 - "$work" <<'PY' || { status=$?; tail -5 "$work/nc.log" 2>/dev/null; exit "$status"; }
import os, random, signal, socket, subprocess, sys, time

WORK = sys.argv[1]
HASHES = ["one_at_a_time", "md5", "crc16", "crc32", "crc32a", "fnv1_64", "fnv1a_64",
          "fnv1_32", "fnv1a_32", "hsieh", "murmur", "jenkins"]
MODULI = [32, 31, 29, 27, 25, 23, 19]  # pairwise coprime, product > 2^32
procs = []


def start(args, name):
    log = open(os.path.join(WORK, name + ".log"), "wb")
    p = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, cwd=WORK)
    procs.append(p)
    return p


def stop(p):
    if p.poll() is None:
        os.kill(p.pid, signal.SIGTERM)
        try:
            p.wait(5)
        except subprocess.TimeoutExpired:
            os.kill(p.pid, signal.SIGKILL)
            p.wait()


def free_port(host="127.0.0.1", taken=set()):
    # The kernel may hand a just-released port out again, so remember what we already chose.
    while True:
        with socket.socket() as s:
            s.bind((host, 0))
            port = s.getsockname()[1]
        if port not in taken:
            taken.add(port)
            return port


def wait_for(connect, what):
    for _ in range(200):
        try:
            connect().close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(what + " never came up")


class Resp:
    def __init__(self, host, port=None):
        if port is None:
            self.s = socket.socket(socket.AF_UNIX)
            self.s.connect(host)
        else:
            self.s = socket.create_connection((host, port), 5)
        self.buf = b""

    def close(self):
        self.s.close()

    def _need(self, n):
        while len(self.buf) < n:
            chunk = self.s.recv(65536)
            if not chunk:
                raise ConnectionError("closed")
            self.buf += chunk

    def send(self, *args):
        out = b"*%d\r\n" % len(args)
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            out += b"$%d\r\n%s\r\n" % (len(a), a)
        self.s.sendall(out)

    def reply(self):
        while b"\r\n" not in self.buf:
            self._need(len(self.buf) + 1)
        line, self.buf = self.buf.split(b"\r\n", 1)
        if line[:1] == b"$":
            n = int(line[1:])
            if n < 0:
                return None
            self._need(n + 2)
            value, self.buf = self.buf[:n], self.buf[n + 2:]
            return value
        if line[:1] == b":":
            return int(line[1:])
        return line[1:].decode(errors="replace")  # +simple or -error

    def call(self, *args):
        self.send(*args)
        return self.reply()


class Redis:
    def __init__(self, host="127.0.0.1", port=None, unix=None):
        self.host, self.unix = host, unix
        self.port = None if unix else (port or free_port(host))
        args = ["redis-server", "--save", "", "--appendonly", "no", "--dir", WORK]
        if unix:
            args += ["--port", "0", "--unixsocket", unix]
        else:
            args += ["--port", str(self.port), "--bind", host]
        self.proc = start(args, f"redis-{host}-{self.port or 'unix'}")
        wait_for(self.connect, "redis")

    def connect(self):
        return Resp(self.unix) if self.unix else Resp(self.host, self.port)

    def config_addr(self):  # host, port as nutcracker's config and our predictor take them
        return (self.unix, 0) if self.unix else (self.host, self.port)


def predict(lines):
    out = subprocess.run([os.path.join(WORK, "predict")], input="\n".join(lines) + "\n",
                         capture_output=True, text=True, check=True).stdout
    return out.split("\n")[:-1]


def pool_yaml(name, listen, dist, hash_name, tag, servers, eject=False):
    y = f"{name}:\n  listen: 127.0.0.1:{listen}\n  hash: {hash_name}\n"
    y += f"  distribution: {dist}\n  redis: true\n"
    if tag:
        y += f'  hash_tag: "{tag}"\n'
    if eject:
        y += "  auto_eject_hosts: true\n  server_failure_limit: 1\n"
        y += "  server_retry_timeout: 600000\n  timeout: 1000\n"
    y += "  servers:\n"
    for backend, weight, label in servers:
        host, port = backend.config_addr()
        addr = f"{host}:{weight}" if port == 0 else f"{host}:{port}:{weight}"
        y += f"    - {addr}" + (f" {label}" if label else "") + "\n"
    return y


def holder(conns, key):
    for c in conns:
        c.send("EXISTS", key)
    where = [i for i, c in enumerate(conns) if c.reply() == 1]
    assert len(where) == 1, (key, where)
    return where[0]


def random_keys(rng, n, tag=""):
    keys = set()
    while len(keys) < n:
        size = rng.randint(1, 60)
        if rng.random() < 0.5:
            k = bytes(rng.randrange(256) for _ in range(size))
        else:
            k = bytes(rng.randrange(0x20, 0x7f) for _ in range(size))
        if tag and rng.random() < 0.7:
            inner = bytes(rng.randrange(0x61, 0x7b) for _ in range(rng.randint(0, 4)))
            k = k[: size // 2] + tag[0].encode() + inner + tag[1].encode() + k[size // 2:]
        keys.add(k)
    return sorted(keys)


def crt(residues):
    x, m = 0, 1
    for r, mod in residues:
        x += m * (((r - x) * pow(m, -1, mod)) % mod)
        m *= mod
    return x


checks = mismatches = 0


def report(label, bad, total):
    global checks, mismatches
    checks += total
    mismatches += bad
    print(f"{label:40s} {total - bad}/{total} agree")


try:
    rng = random.Random(1)
    backends = [Redis() for _ in range(32)]
    unix = Redis(unix=os.path.join(WORK, "r.sock"))
    try:
        port_11211 = [Redis(f"127.0.0.{i}", 11211) for i in (2, 3, 4)]
    except (RuntimeError, OSError):
        port_11211 = []
    b = backends
    named = [(b[0], 1, "alpha"), (b[1], 3, "beta"), (b[2], 5, "gamma")]
    heavy = [(b[0], 100, ""), (b[1], 1, ""), (b[2], 1, "")]
    unsorted = [(b[2], 3, "zzz"), (b[0], 1, "b"), (b[1], 2, "aa")]
    placement = {  # label: (distribution, hash, hash_tag, [(backend, weight, name)])
        "ketama fnv1a_64": ("ketama", "fnv1a_64", "", [(x, 1, "") for x in b[:3]]),
        "ketama md5 names+weights": ("ketama", "md5", "", named),
        "ketama hsieh weights 100,1,1": ("ketama", "hsieh", "", heavy),
        "ketama fnv1_64 25 servers": ("ketama", "fnv1_64", "", [(x, 1, "") for x in b[:25]]),
        "ketama jenkins hash_tag {}": ("ketama", "jenkins", "{}", [(x, 1, "") for x in b[:4]]),
        "ketama murmur unix socket": ("ketama", "murmur", "", [(unix, 1, "")] + named[:2]),
        "ketama crc32a 270-byte names":
            ("ketama", "crc32a", "", [(x, 1, c * 270) for x, c in zip(b[:3], "xyz")]),
        "modula one_at_a_time weights, names": ("modula", "one_at_a_time", "", unsorted),
        "modula crc16 hash_tag $$": ("modula", "crc16", "$$", [(x, 1 + i % 2, "") for i, x in
                                                              enumerate(b[3:0:-1])]),
    }
    if port_11211:
        placement["ketama fnv1a_32 port 11211"] = ("ketama", "fnv1a_32", "",
                                                   [(x, 1, "") for x in port_11211])
    ejection = {
        "ejected: ketama md5": ("ketama", "md5", [(x, 1, "") for x in b[26:30]], 1),
        "ejected: modula murmur weights":
            ("modula", "murmur", [(b[30], 1, ""), (b[31], 2, ""), (b[29], 3, "")], 2),
    }

    conf, listen = "", {}
    for h in HASHES:
        for m in MODULI:
            listen[(h, m)] = free_port()
            conf += pool_yaml(f"crt_{h}_{m}", listen[(h, m)], "modula", h, "",
                              [(x, 1, "") for x in b[:m]])
    for i, (label, (dist, h, tag, servers)) in enumerate(placement.items()):
        listen[label] = free_port()
        conf += pool_yaml(f"place{i}", listen[label], dist, h, tag, servers)
    for i, (label, (dist, h, servers, dead)) in enumerate(ejection.items()):
        listen[label] = free_port()
        conf += pool_yaml(f"eject{i}", listen[label], dist, h, "", servers, eject=True)
    conf_path = os.path.join(WORK, "nutcracker.yml")
    open(conf_path, "w").write(conf)
    start(["nutcracker", "-c", conf_path, "-s", str(free_port()), "-a", "127.0.0.1",
           "-p", os.path.join(WORK, "nc.pid"), "-o", os.path.join(WORK, "nc.log")], "nutcracker")
    wait_for(lambda: Resp("127.0.0.1", listen[(HASHES[0], MODULI[0])]), "nutcracker")

    # 1. hashes
    conns = [x.connect() for x in b]
    # nutcracker numbers modula slots in identity order ("127.0.0.1:PORT", shorter first).
    ident = [f"127.0.0.1:{x.port}" for x in b]
    slot_of = {m: {i: r for r, i in enumerate(sorted(range(m), key=lambda i: (len(ident[i]),
                                                                              ident[i])))}
               for m in MODULI}
    proxies = {(h, m): Resp("127.0.0.1", listen[(h, m)]) for h in HASHES for m in MODULI}
    awkward = [b"", b"apple", b"\x80", b"\xff\xff\xff", b"ab\x80", b"abcdef\xfe", b"\x00\x01\x02",
               b"a\r\nb", b"\xe4\xb8\xad", bytes(range(256)), b"k" * 1000]
    ours = predict([f"hashes {k.hex() or '-'}" for k in awkward])
    bad = 0
    for k, line in zip(awkward, ours):
        for h, expected in zip(HASHES, map(int, line.split())):
            residues = []
            for m in MODULI:
                proxies[(h, m)].call("SET", k, "v")
                where = holder(conns, k)
                conns[where].call("DEL", k)
                residues.append((slot_of[m][where], m))
            bad += crt(residues) != expected
    report("hashes (12 kinds x awkward keys)", bad, len(awkward) * len(HASHES))

    # 2. placement
    def compare(label, dist, h, tag, servers, keys, live):
        proxy = Resp("127.0.0.1", listen[label])
        up_index = [i for i, up in enumerate(live) if up]
        backs = [servers[i][0].connect() for i in up_index]
        for c in backs:
            c.call("FLUSHALL")
        seen = []
        for k in keys:
            assert proxy.call("SET", k, "v") == "OK", label
            seen.append(up_index[holder(backs, k)])
        lines = [f"pool {dist} {h} {tag or '-'}"]
        for (x, w, name), up in zip(servers, live):
            host, port = x.config_addr()
            lines.append(f"server {host} {port} {w} {int(up)} {name}".rstrip())
        lines += [f"key {k.hex()}" for k in keys]
        got = list(map(int, predict(lines)))
        report(label, sum(s != g for s, g in zip(seen, got)), len(keys))

    for label, (dist, h, tag, servers) in placement.items():
        compare(label, dist, h, tag, servers, random_keys(rng, 1000, tag), [True] * len(servers))

    # 3. ejection
    for label, (dist, h, servers, dead) in ejection.items():
        stop(servers[dead][0].proc)
        proxy = Resp("127.0.0.1", listen[label])
        streak, n = 0, 0
        while streak < 200 and n < 5000:  # until requests stop failing: the host is ejected
            n += 1
            streak = streak + 1 if proxy.call("SET", b"probe%d" % n, "v") == "OK" else 0
        live = [i != dead for i in range(len(servers))]
        compare(label, dist, h, "", servers, random_keys(rng, 1000), live)
finally:
    for p in reversed(procs):
        stop(p)

print(f"{checks - mismatches} passed, {mismatches} failed")
sys.exit(1 if mismatches else 0)
PY
