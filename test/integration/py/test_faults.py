"""Faults with several clients at once, against real redis-servers and memcached: abusive clients
(random garbage, giant length headers, one byte at a time, gone in the middle of their replies,
never reading) next to well-behaved ones, on Redis and memcached pools; and memcached backends
that never answer, answer too late or answer garbage (small Python servers in threads). Every
well-behaved client gets every answer right, abusive ones get the protocol's error, coproxy stays
up, answers afterwards and exits cleanly (so an ASan build also reports no leak).
Redis backend faults are covered by test/integration/redis_faults_test.cpp."""

import os
import queue
import random
import re
import socket
import struct
import sys
import threading
import time
import unittest
import urllib.request

import redis
from pymemcache.client.base import Client as Memcache

sys.path.insert(0, os.path.dirname(__file__))
from harness import Cluster, free_port, memcache_pool, redis_pool, until  # noqa: E402

MAX_REQUEST = 1024 * 1024  # max_request_bytes of the abused pools
OUTPUT_LIMIT = 256 * 1024  # their client_output_limit


def check(condition, message):
    if not condition:
        raise AssertionError(message)


class Conn:
    """A raw client connection that reads exactly what it is asked for."""

    def __init__(self, port, rcvbuf=None, timeout=10.0):
        self.s = socket.socket()
        if rcvbuf is not None:
            self.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.s.settimeout(timeout)
        self.s.connect(("127.0.0.1", port))
        self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def __del__(self):
        self.s.close()

    def close(self, reset=False):
        if reset:  # linger 0: a reset instead of a FIN
            self.s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.s.close()

    def send(self, data):
        self.s.sendall(data)

    def _fill(self):
        chunk = self.s.recv(65536)
        if not chunk:
            raise EOFError(f"closed by coproxy; unread: {self.buf[:200]!r}")
        self.buf += chunk

    def read(self, n):
        while len(self.buf) < n:
            self._fill()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def line(self):
        while b"\r\n" not in self.buf:
            self._fill()
        out, self.buf = self.buf.split(b"\r\n", 1)
        return out + b"\r\n"

    def rest_until_close(self):
        """Everything up to the close (a reset after coproxy cut the client off counts as one)."""
        try:
            while True:
                self._fill()
        except (EOFError, ConnectionResetError):
            pass
        out, self.buf = self.buf, b""
        return out


def run_threads(tasks, timeout=40.0):
    """Runs each (name, fn) in a thread; returns {name: result}, re-raising the first failure."""
    results, errors = {}, []

    def wrap(name, fn):
        try:
            results[name] = fn()
        except BaseException as e:  # noqa: B902 - reported to the test's thread
            errors.append((name, e))

    threads = [threading.Thread(target=wrap, args=t, daemon=True) for t in tasks]
    for t in threads:
        t.start()
    deadline = time.time() + timeout
    for t in threads:
        t.join(max(0.0, deadline - time.time()))
    hung = [name for (name, _), t in zip(tasks, threads) if t.is_alive()]
    if hung:
        raise AssertionError(f"still running after {timeout} s: {hung}")
    if errors:
        name, e = errors[0]
        raise AssertionError(f"{name}: {type(e).__name__}: {e}") from e
    return results


def with_good_clients(good, abusers):
    """Starts the well-behaved clients (each `fn(done)` works until `done` is set), runs the
    abusive ones alongside, then lets the good ones finish; a failure of either is raised.
    Returns {good client: requests it made}."""
    done = threading.Event()
    good_results, failure = {}, []

    def run_good():
        try:
            good_results.update(run_threads([(n, lambda f=f: f(done)) for n, f in good]))
        except AssertionError as e:
            failure.append(e)

    runner = threading.Thread(target=run_good, daemon=True)
    runner.start()
    try:
        run_threads(abusers)
    finally:
        done.set()
        runner.join(45)
    if failure:
        raise failure[0]
    check(not runner.is_alive(), "well-behaved clients hung")
    return good_results


def redis_good_client(port, name, min_ops=60, max_seconds=20.0):
    """SET/GET of random values, pipelines and MGET, each answer checked; returns requests made."""

    def work(done):
        rnd = random.Random(name)
        deadline = time.time() + max_seconds
        ops = 0
        with redis.Redis(port=port, single_connection_client=True, socket_timeout=10) as c:
            while ops < min_ops or (not done.is_set() and time.time() < deadline):
                key, value = f"{name}:{ops % 40}", rnd.randbytes(rnd.randrange(1, 4000))
                check(c.set(key, value) is True, f"SET {key}")
                got = c.get(key)
                check(got == value, f"GET {key}: {got[:40]!r} instead of {value[:40]!r}")
                if ops % 10 == 0:
                    values = {f"{name}:p{i}": rnd.randbytes(20) for i in range(20)}
                    p = c.pipeline(transaction=False)
                    for k, v in values.items():
                        p.set(k, v)
                        p.get(k)
                    check(p.execute() == [x for v in values.values() for x in (True, v)],
                          "pipeline replies")
                    check(c.mget(list(values)) == list(values.values()), "MGET")
                ops += 1
                time.sleep(0.001)  # a steady load, not a flood: the machine is shared
        return ops

    return name, work


def memcache_good_client(port, name, min_ops=60, max_seconds=20.0):
    """set/get of random values and get_many, each answer checked; returns requests made."""

    def work(done):
        c = Memcache(("127.0.0.1", port), timeout=10, connect_timeout=10)
        rnd = random.Random(name)
        deadline = time.time() + max_seconds
        ops = 0
        try:
            while ops < min_ops or (not done.is_set() and time.time() < deadline):
                key, value = f"{name}:{ops % 40}", rnd.randbytes(rnd.randrange(1, 4000))
                check(c.set(key, value, noreply=False) is True, f"set {key}")
                got = c.get(key)
                check(got == value,
                      f"get {key}: {(got or b'')[:40]!r} instead of {value[:40]!r}")
                if ops % 10 == 0:
                    values = {f"{name}:m{i}": rnd.randbytes(20) for i in range(20)}
                    check(c.set_many(values, noreply=False) == [], "set_many")
                    check(c.get_many(list(values)) == values, "get_many")
                ops += 1
                time.sleep(0.001)
        finally:
            c.close()
        return ops

    return name, work


def redis_set(port, key, value):
    with redis.Redis(port=port, single_connection_client=True) as c:
        check(c.set(key, value) is True, f"SET {key}")


def memcache_set(port, key, value):
    c = Memcache(("127.0.0.1", port), timeout=10)
    try:
        check(c.set(key, value, noreply=False) is True, f"set {key}")
    finally:
        c.close()


def answer(port, request):
    """The first reply line to `request` on a new connection."""
    c = Conn(port)
    c.send(request)
    return c.line()


def metric(admin, name, **labels):
    with urllib.request.urlopen(admin + "/metrics", timeout=10) as r:
        text = r.read().decode()
    want = sorted(f'{k}="{v}"' for k, v in labels.items())
    for line in text.splitlines():
        m = re.match(r"^(\w+)(?:\{(.*)\})? (\S+)$", line)
        if m and m.group(1) == name and sorted(filter(None, (m.group(2) or "").split(","))) == want:
            return float(m.group(3))
    return 0.0


def stop_cleanly(proxy):
    """SIGTERM: coproxy must exit 0 with no sanitizer report (an ASan build checks for leaks)."""
    rc = proxy.stop()
    log = proxy.log()
    check(rc == 0, f"coproxy exited with {rc}:\n{log[-3000:]}")
    check("Sanitizer" not in log and "runtime error" not in log, log[-5000:])


class AbusiveClients:
    """Each test: four well-behaved clients working while the abusive ones named run alongside.
    A subclass names its protocol (pool, make_pool, backend) and defines the abusers, each a
    method that checks what it gets back."""

    @classmethod
    def setUpClass(cls):
        """Two backends (the subclass's `backend`) behind one pool (its `make_pool`) with small
        limits, served by two workers."""
        cls.cluster = Cluster().__enter__()
        cls.servers = [cls.backend(cls.cluster) for _ in range(2)]
        cls.port = free_port()
        cls.proxy = cls.cluster.coproxy(
            cls.make_pool(cls.pool, cls.port, [s.port for s in cls.servers], timeout=5000,
                          max_request_bytes=MAX_REQUEST, client_output_limit=OUTPUT_LIMIT),
            "--threads", "2", admin=True)

    @classmethod
    def tearDownClass(cls):
        try:
            stop_cleanly(cls.proxy)
        finally:
            cls.cluster.__exit__(None, None, None)

    def run_abuse(self, *abusers):
        good = with_good_clients(
            [self.good_client(f"good{i}-{self._testMethodName}") for i in range(4)],
            [(a.__name__, a) for a in abusers])
        self.assertTrue(all(ops >= 60 for ops in good.values()), good)
        self.assertIsNone(self.proxy.proc.poll(), self.proxy.log()[-3000:])
        self.assert_answers()

    def cut_off_count(self):
        return metric(self.proxy.admin, "coproxy_client_output_limit_closes_total",
                      pool=self.pool)

    def test_garbage(self):
        self.run_abuse(self.garbage)

    def test_giant_length_headers(self):
        self.run_abuse(self.giant_headers)

    def test_one_byte_at_a_time(self):
        self.run_abuse(self.one_byte_at_a_time)

    def test_disconnect_mid_reply(self):
        self.run_abuse(self.disconnect_mid_reply)

    def test_client_that_never_reads_is_cut_off(self):
        self.run_abuse(self.never_reads)

    def test_all_at_once(self):
        errors = metric(self.proxy.admin, "coproxy_protocol_errors_total", pool=self.pool)
        self.run_abuse(self.garbage, self.giant_headers, self.one_byte_at_a_time,
                       self.disconnect_mid_reply, self.never_reads)
        self.assertGreaterEqual(
            metric(self.proxy.admin, "coproxy_protocol_errors_total", pool=self.pool),
            errors + 10)


class RedisAbusiveClients(AbusiveClients, unittest.TestCase):
    """One Redis pool over two redis-servers, small max_request_bytes and client_output_limit,
    two workers."""

    pool = "cache"
    make_pool = staticmethod(redis_pool)

    @staticmethod
    def backend(cluster):
        return cluster.redis()

    def good_client(self, name):
        return redis_good_client(self.port, name)

    def assert_answers(self):
        self.assertEqual(answer(self.port, b"PING\r\n"), b"+PONG\r\n")

    def garbage(self):
        c = Conn(self.port)
        c.send(b"*\xff\xfe\x00garbage\r\n")
        out = c.rest_until_close()
        check(out == b"-ERR Protocol error: invalid multibulk length\r\n", out)
        for seed in range(3):
            # Random bytes read as inline commands (a multibulk when a line starts with '*'):
            # nothing but error lines, then the close, after the client's own.
            c = Conn(self.port)
            c.send(b"x" + random.Random(seed).randbytes(32 * 1024))
            c.s.shutdown(socket.SHUT_WR)
            lines = c.rest_until_close().split(b"\r\n")
            check(lines[-1] == b"", f"seed {seed}: not a whole line at the end: {lines[-1]!r}")
            bad = [line for line in lines[:-1] if not line.startswith(b"-ERR ")]
            check(not bad, f"seed {seed}: not an error: {bad[:3]!r}")
            check(len(lines) > 1, f"seed {seed}: no reply at all")

    def giant_headers(self):
        cases = [
            (b"*99999999999\r\n", b"-ERR Protocol error: invalid multibulk length\r\n"),
            (b"*1\r\n$4294967296\r\n", b"-ERR Protocol error: invalid bulk length\r\n"),
            (b"*-5\r\n*1\r\n$99999999999999999999999\r\n",
             b"-ERR Protocol error: invalid bulk length\r\n"),
            # One argument over max_request_bytes (Redis's proto-max-bulk-len).
            (b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$%d\r\n" % (MAX_REQUEST + 1),
             b"-ERR Protocol error: invalid bulk length\r\n"),
            # Each argument within it, the request as a whole over it; sent in one piece.
            (b"*3\r\n$3\r\nSET\r\n$600000\r\n" + b"a" * 600000 + b"\r\n$600000\r\n" +
             b"b" * 600000 + b"\r\n",
             b"-ERR Protocol error: request larger than max_request_bytes\r\n"),
            (b"GET " + b"a" * 70000, b"-ERR Protocol error: too big inline request\r\n"),
        ]
        for request, expected in cases:
            c = Conn(self.port)
            c.send(b"*1\r\n$4\r\nPING\r\n" + request)
            out = c.rest_until_close()
            check(out == b"+PONG\r\n" + expected, f"{request[:40]!r}: {out[:200]!r}")

    def one_byte_at_a_time(self):
        c = Conn(self.port)
        request = (b"*3\r\n$3\r\nSET\r\n$9\r\nbyte:slow\r\n$12\r\nhello\r\nthere\r\n"
                   b"*2\r\n$3\r\nGET\r\n$9\r\nbyte:slow\r\nPING\r\n*1\r\n$4\r\nPING\r\n")
        for i in range(len(request)):
            c.send(request[i:i + 1])
            time.sleep(0.002)
        expected = b"+OK\r\n$12\r\nhello\r\nthere\r\n+PONG\r\n+PONG\r\n"
        got = c.read(len(expected))
        check(got == expected, got)

    def disconnect_mid_reply(self):
        redis_set(self.port, "mid:value", b"v" * 16384)
        for round_ in range(4):
            c = Conn(self.port)
            c.send(b"*2\r\n$3\r\nGET\r\n$9\r\nmid:value\r\n" * 300)
            c.read(20000)  # a part of the 4.8 MiB of replies, then gone
            c.close(reset=round_ % 2 == 1)

    def never_reads(self):
        before = self.cut_off_count()
        redis_set(self.port, "big:value", b"w" * 65536)
        c = Conn(self.port, rcvbuf=4096)
        c.send(b"*2\r\n$3\r\nGET\r\n$9\r\nbig:value\r\n" * 100)  # 6.4 MiB of replies, unread
        check(until(lambda: self.cut_off_count() > before), "the client was not cut off")
        got = len(c.rest_until_close())
        check(got < 100 * 65536, f"all {got} bytes arrived: it was not cut off")


class MemcacheAbusiveClients(AbusiveClients, unittest.TestCase):
    """One memcached pool over two memcached, small max_request_bytes and client_output_limit,
    two workers."""

    pool = "mc"
    make_pool = staticmethod(memcache_pool)

    @staticmethod
    def backend(cluster):
        return cluster.memcached()

    def good_client(self, name):
        return memcache_good_client(self.port, name)

    def assert_answers(self):
        self.assertTrue(answer(self.port, b"version\r\n").startswith(b"VERSION coproxy-"))

    def garbage(self):
        c = Conn(self.port)
        c.send(b"hello world\r\n\x00\x01\x02\r\n\r\nget\r\nset k\r\nversion\r\n")
        for _ in range(5):
            got = c.line()
            check(got == b"ERROR\r\n", got)
        check(c.line().startswith(b"VERSION coproxy-"), "the connection was not kept")
        for seed in range(3):
            # Random lines: memcached's ERROR or CLIENT_ERROR for each, then the close after
            # the client's own (or at once when a line runs past 2048 bytes, as in memcached).
            c = Conn(self.port)
            c.send(b"x" + random.Random(seed).randbytes(32 * 1024))
            c.s.shutdown(socket.SHUT_WR)
            lines = c.rest_until_close().split(b"\r\n")
            check(lines[-1] == b"", f"seed {seed}: not a whole line at the end: {lines[-1]!r}")
            bad = [line for line in lines[:-1]
                   if line != b"ERROR" and not line.startswith(b"CLIENT_ERROR ")]
            check(not bad, f"seed {seed}: not an error: {bad[:3]!r}")
            check(len(lines) > 1, f"seed {seed}: no reply at all")

    def giant_headers(self):
        # Numbers memcached reads as 32 bits: the same answer as memcached itself gives (a
        # length of 2^32 wraps to 0, as memcached's safe_strtol does), the connection kept.
        direct, proxied = Conn(self.servers[0].port), Conn(self.port)
        for request in (b"set giant:a 0 0 4294967296\r\n\r\n",
                        b"set giant:b 0 0 4294967298\r\nab\r\n",
                        b"set giant:c 0 0 2147483648\r\n",
                        b"set giant:c 0 0 99999999999999999999999\r\n",
                        b"set giant:c 0 0 -1\r\n",
                        b"cas giant:d 0 0 4294967296 1\r\n\r\n",
                        b"incr giant:e 99999999999999999999999\r\n",
                        b"touch giant:e 99999999999999999999999\r\n",
                        b"mg " + b"k" * 300 + b" v\r\n"):
            direct.send(request)
            proxied.send(request)
            theirs, ours = direct.line(), proxied.line()
            check(ours == theirs, f"{request[:40]!r}: {ours!r}, memcached says {theirs!r}")
        # Over max_request_bytes but within memcached's range: refused, the data skipped as
        # memcached skips it, and the connection goes on.
        proxied.send(b"set big 0 0 %d\r\n" % (2 * MAX_REQUEST) + b"z" * (2 * MAX_REQUEST) +
                     b"\r\nset small 0 0 2\r\nok\r\nget small\r\n")
        for expected in (b"SERVER_ERROR object too large for cache\r\n", b"STORED\r\n",
                         b"VALUE small 0 2\r\n", b"ok\r\n", b"END\r\n"):
            got = proxied.line()
            check(got == expected, f"{got!r} instead of {expected!r}")
        # The value within max_request_bytes, the request (line and value) past it: refused
        # and closed however it arrives.
        c = Conn(self.port)
        c.send(b"set edge 0 0 %d\r\n" % (MAX_REQUEST - 8) + b"e" * (MAX_REQUEST - 8) + b"\r\n")
        out = c.rest_until_close()
        check(out == b"SERVER_ERROR object too large for cache\r\n", out)
        # Lines that never end (past memcached's 16 KiB read buffer, or a multi-get past
        # max_request_bytes): memcached's error, then the close.
        for request in (b"set " + b"k" * 20000, b"get " + b"k " * (MAX_REQUEST // 2 + 10)):
            c = Conn(self.port)
            c.send(request)
            out = c.rest_until_close()
            check(out == b"CLIENT_ERROR line too long\r\n", out)

    def one_byte_at_a_time(self):
        c = Conn(self.port)
        request = (b"set byte:slow 5 0 12\r\nhello\r\nthere\r\nget byte:slow nothere\r\n"
                   b"mg byte:slow v f\r\nmn\r\nversion\r\n")
        for i in range(len(request)):
            c.send(request[i:i + 1])
            time.sleep(0.002)
        expected = (b"STORED\r\nVALUE byte:slow 5 12\r\nhello\r\nthere\r\nEND\r\n"
                    b"VA 12 f5\r\nhello\r\nthere\r\nMN\r\n")
        got = c.read(len(expected))
        check(got == expected, got)
        check(c.line().startswith(b"VERSION coproxy-"), "version")

    def disconnect_mid_reply(self):
        memcache_set(self.port, "mid:value", b"v" * 16384)
        for round_ in range(4):
            c = Conn(self.port)
            c.send(b"get mid:value\r\n" * 300)
            c.read(20000)
            c.close(reset=round_ % 2 == 1)

    def never_reads(self):
        before = self.cut_off_count()
        memcache_set(self.port, "big:value", b"w" * 65536)
        c = Conn(self.port, rcvbuf=4096)
        c.send(b"get big:value\r\n" * 100)
        check(until(lambda: self.cut_off_count() > before), "the client was not cut off")
        got = len(c.rest_until_close())
        check(got < 100 * 65536, f"all {got} bytes arrived: it was not cut off")


class FakeServer:
    """A misbehaving backend on 127.0.0.1, one thread per connection running
    `handle(conn, index)`; stop() closes everything."""

    def __init__(self, handle):
        self.handle = handle
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.listener.settimeout(0.1)
        self.port = self.listener.getsockname()[1]
        self.connections = []
        self.stopped = False
        self.thread = threading.Thread(target=self.accept_loop, daemon=True)
        self.thread.start()

    def accept_loop(self):
        while not self.stopped:
            try:
                conn, _ = self.listener.accept()
            except OSError:  # the timeout that lets it see `stopped`, too
                continue
            conn.settimeout(None)
            self.connections.append(conn)
            threading.Thread(target=self.serve, args=(conn, len(self.connections) - 1),
                             daemon=True).start()

    def serve(self, conn, index):
        try:
            self.handle(conn, index)
        except OSError:
            pass
        finally:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def stop(self):
        self.stopped = True
        self.thread.join(5)
        self.listener.close()
        for conn in self.connections:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            conn.close()


def silent(conn, index):
    """Reads everything, answers nothing."""
    while conn.recv(65536):
        pass


def answering(reply, close=False):
    """Answers every chunk it reads with `reply`; with close=True, then closes."""

    def handle(conn, index):
        while conn.recv(65536):
            conn.sendall(reply)
            if close:
                return

    return handle


class SlowRelay:
    """Relays to a real server, holding each reply back `delay` seconds (the delay in force
    when the reply arrived; it can be changed at any time)."""

    def __init__(self, target_port):
        self.target_port = target_port
        self.delay = 0.0

    def __call__(self, conn, index):
        up = socket.create_connection(("127.0.0.1", self.target_port))
        replies = queue.Queue()

        def read_replies():
            try:
                while True:
                    data = up.recv(65536)
                    replies.put((time.monotonic() + self.delay, data))
                    if not data:
                        return
            except OSError:
                replies.put((0, b""))

        def deliver():
            while True:
                due, data = replies.get()
                if not data:
                    return
                time.sleep(max(0.0, due - time.monotonic()))
                try:
                    conn.sendall(data)
                except OSError:
                    return  # coproxy gave up on this connection: the late reply is dropped

        threads = [threading.Thread(target=read_replies, daemon=True),
                   threading.Thread(target=deliver, daemon=True)]
        for t in threads:
            t.start()
        try:
            while data := conn.recv(65536):
                up.sendall(data)
        finally:
            up.shutdown(socket.SHUT_RDWR)
            for t in threads:
                t.join(5)
            up.close()


class MemcacheBackendFaults(unittest.TestCase):
    """Memcached pools whose servers misbehave, next to a healthy pool in the same coproxy whose
    four clients must not notice."""

    def start(self, cluster, faulty_pools):
        """`faulty_pools`: {name: (servers, keys)}; returns {name: listen port}."""
        healthy = cluster.memcached()
        self.good_port = free_port()
        yaml = memcache_pool("healthy", self.good_port, [healthy.port], timeout=5000)
        ports = {}
        for name, (servers, keys) in faulty_pools.items():
            ports[name] = free_port()
            yaml += memcache_pool(re.sub(r"\W", "_", name), ports[name], servers, **keys)
        self.proxy = cluster.coproxy(yaml, "--threads", "2", admin=True)
        return ports

    def fake(self, handle):
        server = FakeServer(handle)
        self.addCleanup(server.stop)
        return server

    def run_probes(self, probes):
        good = with_good_clients(
            [memcache_good_client(self.good_port, f"good{i}") for i in range(4)], probes)
        self.assertTrue(all(ops >= 60 for ops in good.values()), good)

    def finish(self, ports):
        self.assertIsNone(self.proxy.proc.poll(), self.proxy.log()[-3000:])
        for port in ports:
            self.assertTrue(answer(port, b"version\r\n").startswith(b"VERSION coproxy-"))
        stop_cleanly(self.proxy)

    def test_backend_that_never_answers_times_out_then_is_ejected(self):
        with Cluster() as cluster:
            fake = self.fake(silent)
            real = cluster.memcached()
            # md5: twemproxy's fnv1a_64 puts keys that differ in one last byte side by side.
            port = self.start(cluster, {"silent": ([real.port, fake.port], dict(
                hash="md5", timeout=300, auto_eject_hosts="true", server_failure_limit=1,
                server_retry_timeout=30000))})["silent"]

            def probe():
                c = Conn(port)
                keys = [b"%d:silent" % i for i in range(30)]
                start = time.monotonic()
                c.send(b"".join(b"get %s\r\n" % k for k in keys))
                replies = [c.line() for _ in keys]
                waited = time.monotonic() - start
                check(set(replies) == {b"END\r\n", b"SERVER_ERROR Connection timed out\r\n"},
                      replies)
                check(0.25 < waited < 3, f"answered after {waited:.2f} s")
                # Ejected after its first timeout: every key is served by the live server.
                sets = b"".join(b"set %s 0 0 1\r\nx\r\n" % k for k in keys)

                def all_stored():
                    c.send(sets)
                    return [c.line() for _ in keys] == [b"STORED\r\n"] * len(keys)

                check(until(all_stored, 10), "the silent server was not ejected")
                c.send(b"get " + b" ".join(keys) + b"\r\n")
                for k in keys:
                    check(c.line() == b"VALUE %s 0 1\r\n" % k and c.line() == b"x\r\n", k)
                check(c.line() == b"END\r\n", "END")
                check(len(fake.connections) >= 1, "the silent server was never used")
                # Every timed-out reply was coproxy's own error: counted for the pool.
                timed_out = replies.count(b"SERVER_ERROR Connection timed out\r\n")
                check(metric(self.proxy.admin, "coproxy_forward_errors_total", pool="silent")
                      >= timed_out > 0, "forward_errors_total does not count the timeouts")

            self.run_probes([("probe", probe)])
            self.finish([port])

    def test_slow_backend_times_out_and_its_late_replies_are_dropped(self):
        with Cluster() as cluster:
            relay = SlowRelay(cluster.memcached().port)
            port = self.start(cluster, {"slow": ([self.fake(relay).port], dict(timeout=300))})
            port = port["slow"]

            def probe():
                c = Conn(port)
                relay.delay = 0.1  # slow, within the timeout: answered
                for i in range(3):
                    c.send(b"set slow:%d 0 0 1\r\n%d\r\nget slow:%d\r\n" % (i, i, i))
                    for expected in (b"STORED\r\n", b"VALUE slow:%d 0 1\r\n" % i, b"%d\r\n" % i,
                                     b"END\r\n"):
                        got = c.line()
                        check(got == expected, f"{got!r} instead of {expected!r}")
                relay.delay = 1.0  # past the timeout
                start = time.monotonic()
                c.send(b"set late 0 0 4\r\nlate\r\nget slow:0\r\nget slow:1\r\n")
                replies = [c.line() for _ in range(3)]
                waited = time.monotonic() - start
                check(replies == [b"SERVER_ERROR Connection timed out\r\n"] * 3, replies)
                check(0.25 < waited < 0.9, f"answered after {waited:.2f} s")
                relay.delay = 0.0
                # Until the late replies would have come, and a while after, every answer is the
                # right one: nothing late is taken for the answer to a newer request.
                ok = 0
                while time.monotonic() < start + 2.0 or ok < 5:
                    check(time.monotonic() < start + 10, "never answered again")
                    c.send(b"get slow:2\r\n")
                    first = c.line()
                    if first.startswith(b"SERVER_ERROR ") and ok == 0:
                        time.sleep(0.05)  # reconnecting after the failure
                        continue
                    check(first == b"VALUE slow:2 0 1\r\n", f"{first!r} after {ok} good ones")
                    check(c.line() + c.line() == b"2\r\nEND\r\n", "value")
                    ok += 1

            self.run_probes([("probe", probe)])
            self.finish([port])

    def test_garbage_from_backend_is_a_server_error(self):
        garbage = {
            "unknown reply": answering(b"BOGUS REPLY\r\n"),
            "giant value": answering(b"VALUE k 0 99999999999\r\n"),
            "value past 4 GiB": answering(b"VALUE k 0 4294967296\r\n"),
            "random bytes": answering(random.Random(7).randbytes(600) + b"\r\n"),
            "bare newline": answering(b"END\n"),
            "truncated value": answering(b"VALUE k 0 10\r\nabc"),
            "closed mid-value": answering(b"VALUE k 0 10\r\nabc", close=True),
            "line without end": answering(b"VALUE " + b"k" * 20000),
            "two answers to one request": answering(b"END\r\nEND\r\n"),
        }
        with Cluster() as cluster:
            ports = self.start(cluster, {name: ([self.fake(handle).port], dict(timeout=500))
                                         for name, handle in garbage.items()})

            def probe(name):
                def run():
                    c = Conn(ports[name])
                    c.send(b"get k\r\n")
                    got = c.line()
                    if name == "two answers to one request":
                        check(got == b"END\r\n", got)  # the first one is the answer
                    else:
                        check(got.startswith(b"SERVER_ERROR "), f"{name}: {got!r}")
                    c.send(b"set k 0 0 1\r\nx\r\n")
                    got = c.line()
                    check(got.startswith(b"SERVER_ERROR "), f"{name}: set: {got!r}")
                    c.send(b"version\r\n")
                    check(c.line().startswith(b"VERSION coproxy-"), f"{name}: connection lost")

                return name, run

            self.run_probes([probe(name) for name in garbage])
            self.finish(ports.values())


if __name__ == "__main__":
    unittest.main()
