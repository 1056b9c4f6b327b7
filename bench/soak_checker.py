#!/usr/bin/env python3
"""The verifying client of bench/soak.sh: writes keys through coproxy and reads them back.

Lanes, one persistent connection each, stepped `--rate` times a second:
  redis, tcp   SET k v + GET k pipelined (every 5th step also MSET of 4 keys + MGET of them);
               tcp goes through the plain relay to its own redis-server
  memcache     set k + get k pipelined (every 5th step also 4 sets + one multi-key get)
Every 20th step a lane also connects afresh, sends one GET of a missing key and closes (accept path
under load). A memcache load lane pipelines `--mc-load` requests a second (half set, half get).
Each failed step is recorded by second, lane and kind: an error reply, a timeout, a closed
connection, a refused connect, a value missing right after its write, or a WRONG value (a value
other than the one just written: never expected). After a failure the lane reconnects.
Runs `--seconds`, or until SIGTERM; then writes the error records (`second lane kind count`) to
`--errors` and one JSON summary line (steps, requests, failures per lane) to stdout.
"""
import argparse
import collections
import json
import random
import signal
import socket
import time

stop = False


def on_term(*_):
    global stop
    stop = True


class Failure(Exception):
    pass


class Conn:
    def __init__(self, port, timeout):
        try:
            self.s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        except socket.timeout:
            raise Failure("connect timeout")
        except OSError as e:
            raise Failure("connect: %s" % (e.strerror or type(e).__name__))
        self.buf = b""

    def fill(self):
        try:
            d = self.s.recv(262144)
        except socket.timeout:
            raise Failure("timeout")
        except OSError as e:
            raise Failure("recv: %s" % (e.strerror or type(e).__name__))
        if not d:
            raise Failure("closed by coproxy")
        self.buf += d

    def send(self, data):
        try:
            self.s.sendall(data)
        except socket.timeout:
            raise Failure("timeout")
        except OSError as e:
            raise Failure("send: %s" % (e.strerror or type(e).__name__))

    def line(self):
        while b"\r\n" not in self.buf:
            self.fill()
        l, self.buf = self.buf.split(b"\r\n", 1)
        return l

    def exact(self, n):
        while len(self.buf) < n + 2:
            self.fill()
        v, self.buf = self.buf[:n], self.buf[n + 2:]
        return v

    def resp(self):
        l = self.line()
        t = l[:1]
        if t in (b"+", b"-", b":"):
            return l
        if t == b"$":
            n = int(l[1:])
            return None if n < 0 else self.exact(n)
        if t == b"*":
            n = int(l[1:])
            return None if n < 0 else [self.resp() for _ in range(n)]
        raise Failure("bad reply %r" % l[:40])

    def mc_get(self):
        """Replies to one (multi-key) get: {key: value}; raises on an error line."""
        out = {}
        while True:
            l = self.line()
            if l == b"END":
                return out
            if l.startswith(b"VALUE "):
                w = l.split()
                out[w[1]] = self.exact(int(w[3]))
                continue
            raise Failure("error reply: %s" % l[:40].decode(errors="replace"))

    def close(self):
        self.s.close()


def resp(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a.encode() if isinstance(a, str) else a
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


def mc_set(k, v):
    return b"set %s 0 0 %d\r\n%s\r\n" % (k.encode(), len(v), v)


class Lane:
    def __init__(self, name, port, proto, timeout, errors):
        self.name, self.port, self.proto, self.timeout = name, port, proto, timeout
        self.errors = errors
        self.conn = None
        self.steps = self.requests = self.failures = 0
        self.tag = "%x" % random.getrandbits(32)

    def fail(self, kind):
        self.failures += 1
        self.errors[(int(time.time()), self.name, kind)] += 1

    def step(self):
        self.steps += 1
        n = self.steps
        try:
            if self.conn is None:
                self.conn = Conn(self.port, self.timeout)
            self.check(n)
        except Failure as e:
            self.fail(str(e))
            if self.conn is not None:
                self.conn.close()
                self.conn = None
        except (ValueError, IndexError) as e:
            self.fail("bad reply: %s" % type(e).__name__)
            if self.conn is not None:
                self.conn.close()
                self.conn = None
        if n % 20 == 0:
            self.probe()

    def value(self, k):
        return b"%s=%d" % (k.encode(), random.getrandbits(40))

    def check(self, n):
        c = self.conn
        keys = ["soak:%s:%s:%d" % (self.name, self.tag, n)]
        if n % 5 == 0:
            keys += ["soak:%s:%s:%d.%d" % (self.name, self.tag, n, i) for i in range(4)]
        vals = [self.value(k) for k in keys]
        if self.proto == "redis":
            cmds = [resp("SET", keys[0], vals[0]), resp("GET", keys[0])]
            if len(keys) > 1:
                flat = [x for kv in zip(keys[1:], vals[1:]) for x in kv]
                cmds += [resp("MSET", *flat), resp("MGET", *keys[1:])]
            c.send(b"".join(cmds))
            self.requests += len(cmds)
            replies = [c.resp() for _ in cmds]
            if replies[0] != b"+OK":
                raise Failure("error reply: %s" % replies[0][:40].decode(errors="replace"))
            self.compare(replies[1], vals[0])
            if len(keys) > 1:
                if replies[2] != b"+OK":
                    raise Failure("error reply: %s" % replies[2][:40].decode(errors="replace"))
                if not isinstance(replies[3], list):
                    raise Failure("error reply: %s" % str(replies[3])[:40])
                for got, want in zip(replies[3], vals[1:]):
                    self.compare(got, want)
        else:
            cmds = [mc_set(keys[0], vals[0]), b"get %s\r\n" % keys[0].encode()]
            if len(keys) > 1:
                cmds += [mc_set(k, v) for k, v in zip(keys[1:], vals[1:])]
                cmds.append(b"get %s\r\n" % " ".join(keys[1:]).encode())
            c.send(b"".join(cmds))
            self.requests += len(cmds)
            stored = c.line()
            if stored != b"STORED":
                raise Failure("error reply: %s" % stored[:40].decode(errors="replace"))
            got = c.mc_get()
            self.compare(got.get(keys[0].encode()), vals[0])
            if len(keys) > 1:
                for _ in keys[1:]:
                    stored = c.line()
                    if stored != b"STORED":
                        raise Failure("error reply: %s" % stored[:40].decode(errors="replace"))
                got = c.mc_get()
                for k, v in zip(keys[1:], vals[1:]):
                    self.compare(got.get(k.encode()), v)

    def compare(self, got, want):
        if got == want:
            return
        if got is None:
            raise Failure("missing value")
        if isinstance(got, bytes) and got[:1] == b"-":
            raise Failure("error reply: %s" % got[:40].decode(errors="replace"))
        raise Failure("WRONG value")

    def probe(self):
        try:
            c = Conn(self.port, self.timeout)
            try:
                if self.proto == "redis":
                    c.send(resp("GET", "soak:probe:missing"))
                    r = c.resp()
                    if r is not None:
                        raise Failure("error reply: %s" % str(r)[:40])
                else:
                    c.send(b"get soak:probe:missing\r\n")
                    c.mc_get()
                self.requests += 1
            finally:
                c.close()
        except Failure as e:
            self.fail("probe: %s" % e)


class McLoad:
    """Pipelined memcache load: `per_step` requests a step over one connection."""

    def __init__(self, port, per_step, timeout, errors):
        self.port, self.per_step, self.timeout, self.errors = port, per_step, timeout, errors
        self.conn = None
        self.requests = self.failures = self.steps = 0
        self.name = "mc-load"

    def step(self):
        self.steps += 1
        half = max(1, self.per_step // 2)
        keys = ["soak:load:%d" % random.randrange(100000) for _ in range(half)]
        try:
            if self.conn is None:
                self.conn = Conn(self.port, self.timeout)
            c = self.conn
            c.send(b"".join(mc_set(k, b"x" * 100) for k in keys) +
                   b"".join(b"get %s\r\n" % k.encode() for k in keys))
            bad = 0
            for _ in keys:
                if c.line() != b"STORED":
                    bad += 1
            for _ in keys:
                try:
                    c.mc_get()
                except Failure as e:
                    if not str(e).startswith("error reply"):
                        raise
                    bad += 1
            self.requests += 2 * half
            if bad:
                self.failures += bad
                self.errors[(int(time.time()), self.name, "error replies")] += bad
        except Failure as e:
            self.failures += 1
            self.errors[(int(time.time()), self.name, str(e))] += 1
            if self.conn is not None:
                self.conn.close()
                self.conn = None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--redis", type=int, required=True)
    ap.add_argument("--memcache", type=int, required=True)
    ap.add_argument("--tcp", type=int, required=True)
    ap.add_argument("--seconds", type=float, required=True)
    ap.add_argument("--rate", type=float, default=50, help="steps per second per lane")
    ap.add_argument("--mc-load", type=int, default=2000, help="memcache load requests per second")
    ap.add_argument("--timeout", type=float, default=3)
    ap.add_argument("--errors", required=True)
    a = ap.parse_args()
    signal.signal(signal.SIGTERM, on_term)
    errors = collections.Counter()
    lanes = [Lane("redis", a.redis, "redis", a.timeout, errors),
             Lane("memcache", a.memcache, "memcache", a.timeout, errors),
             Lane("tcp", a.tcp, "redis", a.timeout, errors)]
    if a.mc_load:
        lanes.append(McLoad(a.memcache, max(2, int(a.mc_load / a.rate)), a.timeout, errors))
    t0 = time.time()
    period = 1 / a.rate
    next_step = t0
    while not stop and time.time() - t0 < a.seconds:
        for lane in lanes:
            lane.step()
        next_step += period
        pause = next_step - time.time()
        if pause > 0:
            time.sleep(pause)
        else:
            next_step = time.time()  # behind (a timeout): do not try to catch up in a burst
    with open(a.errors, "w") as f:
        for (sec, lane, kind), n in sorted(errors.items()):
            f.write("%d %s %d %s\n" % (sec, lane, n, kind.replace("\n", " ")))
    print(json.dumps({l.name: {"steps": l.steps, "requests": l.requests, "failures": l.failures}
                      for l in lanes}))


if __name__ == "__main__":
    main()
