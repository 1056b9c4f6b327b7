"""Operations against real redis-servers and memcached: Prometheus metrics that match the traffic
sent, /healthz, /readyz flipping on losing a pool's servers and on SIGTERM, nutcracker's stats
JSON, /config with secrets redacted, hot reload (a server added under an open connection; a bad
config rejected with the old one still serving), and a drain that completes an in-flight pipeline
before a clean close."""

import json
import os
import re
import signal
import socket
import sys
import time
import unittest
import urllib.error
import urllib.request

import redis
from pymemcache.client.base import Client as Memcache

sys.path.insert(0, os.path.dirname(__file__))
from harness import Cluster, free_port, redis_pool, until  # noqa: E402


def http(url, method="GET"):
    req = urllib.request.Request(url, method=method)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def scrape(base):
    """Prometheus text -> {(name, frozenset(labels)): value}."""
    status, text = http(base + "/metrics")
    assert status == 200, text
    samples = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = re.match(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$', line)
        assert m, f"malformed exposition line: {line!r}"
        labels = frozenset(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(3) or ""))
        samples[(m.group(1), labels)] = float(m.group(4))
    return samples


def value(samples, name, **labels):
    return samples.get((name, frozenset(labels.items())), 0.0)


def stats_json(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    return json.loads(data)


class Observability(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.cluster = Cluster().__enter__()
        cls.shards = [cls.cluster.redis("--requirepass", "s3cret") for _ in range(3)]
        cls.mc = [cls.cluster.memcached() for _ in range(2)]
        cls.redis_port, cls.mc_port = free_port(), free_port()
        yaml = redis_pool("cache", cls.redis_port, [s.port for s in cls.shards], hash="md5",
                          redis_auth="s3cret") + \
            f"sessions:\n  listen: 127.0.0.1:{cls.mc_port}\n  hash: md5\n  servers:\n" + \
            "".join(f"    - 127.0.0.1:{m.port}:1 mc{i}\n" for i, m in enumerate(cls.mc))
        cls.proxy = cls.cluster.coproxy(yaml, "--threads", "2", "-i", "100", admin=True)

    @classmethod
    def tearDownClass(cls):
        cls.cluster.__exit__(None, None, None)

    def test_metrics_match_the_traffic(self):
        before = scrape(self.proxy.admin)
        c = redis.Redis(port=self.redis_port, password="s3cret", single_connection_client=True)
        for i in range(300):
            c.set(f"m{i}", "x" * 10)
        for i in range(200):
            c.get(f"m{i}")
        c.mget([f"m{i}" for i in range(50)])  # one request, split over the shards
        m = Memcache(("127.0.0.1", self.mc_port))
        for i in range(40):
            m.set(f"k{i}", b"v", noreply=False)
        m.get_many([f"k{i}" for i in range(40)])
        after = scrape(self.proxy.admin)
        delta = lambda name, **l: value(after, name, **l) - value(before, name, **l)
        # AUTH + 300 SET + 200 GET + 1 MGET
        self.assertEqual(delta("coproxy_requests_total", pool="cache"), 502)
        self.assertEqual(delta("coproxy_commands_total", pool="cache", command="set"), 300)
        self.assertEqual(delta("coproxy_commands_total", pool="cache", command="get"), 200)
        self.assertEqual(delta("coproxy_commands_total", pool="cache", command="mget"), 1)
        self.assertEqual(delta("coproxy_commands_total", pool="cache", command="auth"), 1)
        self.assertEqual(delta("coproxy_fragments_total", pool="cache"), 3)
        sent = sum(delta("coproxy_server_requests_total", pool="cache",
                         server=f"127.0.0.1:{s.port}") for s in self.shards)
        self.assertEqual(sent, 500 + 3)  # the AUTH is answered here; the MGET went as 3 parts
        self.assertEqual(delta("coproxy_request_duration_seconds_count", pool="cache"), 502)
        self.assertEqual(delta("coproxy_commands_total", pool="sessions", command="set"), 40)
        self.assertEqual(delta("coproxy_commands_total", pool="sessions", command="get"), 1)
        self.assertGreater(delta("coproxy_client_received_bytes_total", pool="cache"), 300 * 20)
        self.assertEqual(value(after, "coproxy_client_connections", pool="cache"), 1)
        self.assertGreater(value(after, "coproxy_process_resident_memory_bytes"), 1e6)
        self.assertEqual(value(after, "coproxy_workers"), 2)
        servers = {dict(k[1]).get("server") for k in after if k[0] == "coproxy_server_connections"}
        self.assertIn("mc0", servers)
        # Every histogram's buckets are cumulative and end at the count.
        inf = value(after, "coproxy_request_duration_seconds_bucket", pool="cache", le="+Inf")
        self.assertEqual(inf, value(after, "coproxy_request_duration_seconds_count", pool="cache"))

    def test_healthz(self):
        self.assertEqual(http(self.proxy.admin + "/healthz"), (200, "ok\n"))

    def test_config_is_redacted(self):
        status, body = http(self.proxy.admin + "/config")
        self.assertEqual(status, 200)
        self.assertIn("redis_auth: <redacted>", body)
        self.assertNotIn("s3cret", body)
        self.assertIn(f"127.0.0.1:{self.shards[0].port}:1", body)

    def test_twemproxy_stats_document(self):
        r = redis.Redis(port=self.redis_port, password="s3cret")
        r.set("stats", "1")  # routed, counted on a server

        def counted():
            d = stats_json(self.proxy.stats_port)  # -i 100: aggregated at most every 100 ms
            return d if sum(d["cache"][f"127.0.0.1:{s.port}"]["requests"]
                            for s in self.shards) > 0 else None
        self.assertTrue(until(counted))
        doc = stats_json(self.proxy.stats_port)
        for field in ("service", "source", "version", "uptime", "timestamp", "total_connections",
                      "curr_connections"):
            self.assertIn(field, doc)
        pool = doc["cache"]
        for field in ("client_eof", "client_err", "client_connections", "server_ejects",
                      "forward_error", "fragments"):
            self.assertIn(field, pool)
        server = pool[f"127.0.0.1:{self.shards[0].port}"]
        for field in ("server_eof", "server_err", "server_timedout", "server_connections",
                      "server_ejected_at", "requests", "request_bytes", "responses",
                      "response_bytes", "in_queue", "in_queue_bytes", "out_queue",
                      "out_queue_bytes"):
            self.assertIn(field, server)
        self.assertGreater(sum(pool[f"127.0.0.1:{s.port}"]["requests"] for s in self.shards), 0)
        self.assertIn("mc1", doc["sessions"])

    def test_unknown_path_and_method(self):
        self.assertEqual(http(self.proxy.admin + "/nope")[0], 404)
        self.assertEqual(http(self.proxy.admin + "/reload")[0], 405)


class Readiness(unittest.TestCase):
    def test_readyz_flips_when_a_pool_loses_every_server_and_on_sigterm(self):
        with Cluster() as cluster:
            shard = cluster.redis()
            port = free_port()
            proxy = cluster.coproxy(redis_pool("only", port, [shard.port]), "--drain-delay",
                                    "2s", admin=True)
            self.assertEqual(http(proxy.admin + "/readyz"), (200, "ready\n"))
            shard.stop()
            self.assertTrue(until(lambda: http(proxy.admin + "/readyz")[0] == 503, 15))
            status, body = http(proxy.admin + "/readyz")
            self.assertIn("pool 'only': no server reachable", body)
            # Back when a server is back.
            cluster.processes.append(
                __import__("harness").Process(
                    ["redis-server", "--port", str(shard.port), "--bind", "127.0.0.1", "--save",
                     "", "--appendonly", "no"], cluster.path("redis-again.log")))
            self.assertTrue(until(lambda: http(proxy.admin + "/readyz")[0] == 200, 15))
            proxy.signal(signal.SIGTERM)
            # Readiness fails as soon as the signal is handled, long before the drain delay ends.
            self.assertTrue(until(lambda: http(proxy.admin + "/readyz")[0] == 503, 1.0))
            self.assertEqual(http(proxy.admin + "/healthz")[0], 200)  # still alive
            # During the drain delay clients are still served.
            self.assertTrue(redis.Redis(port=port).ping())
            self.assertEqual(proxy.proc.wait(20), 0)


class Reload(unittest.TestCase):
    def test_adding_a_server_under_an_open_connection(self):
        with Cluster() as cluster:
            a, b = cluster.redis(), cluster.redis()
            port = free_port()
            proxy = cluster.coproxy(redis_pool("cache", port, [a.port], hash="md5"), admin=True)
            c = redis.Redis(port=port, single_connection_client=True)
            for i in range(200):
                c.set(f"r{i}", i)
            with open(proxy.conf, "w") as f:
                f.write(redis_pool("cache", port, [a.port, b.port], hash="md5"))
            self.assertEqual(http(proxy.admin + "/reload", "POST"),
                             (200, "reloaded: generation 2\n"))
            # The same connection keeps working, and new writes now reach the new server.
            for i in range(200, 600):
                self.assertTrue(c.set(f"r{i}", i))
            self.assertGreater(redis.Redis(port=b.port).dbsize(), 50)
            for i in range(200, 600):
                self.assertEqual(c.get(f"r{i}"), str(i).encode())
            samples = scrape(proxy.admin)
            self.assertEqual(value(samples, "coproxy_config_reloads_total", result="ok"), 1)
            self.assertEqual(value(samples, "coproxy_config_generation"), 2)

    def test_bad_reload_is_rejected_and_the_old_config_keeps_serving(self):
        with Cluster() as cluster:
            a = cluster.redis()
            port = free_port()
            good = redis_pool("cache", port, [a.port])
            proxy = cluster.coproxy(good, admin=True)
            c = redis.Redis(port=port, single_connection_client=True)
            c.set("before", 1)
            with open(proxy.conf, "w") as f:
                f.write(good.replace("redis: true", "redis: true\n  hash: fnv2"))
            status, body = http(proxy.admin + "/reload", "POST")
            self.assertEqual(status, 400)
            self.assertIn("pool 'cache': key 'hash': unknown hash 'fnv2'", body)
            self.assertEqual(c.get("before"), b"1")
            # SIGHUP reloads too, and is rejected the same way.
            proxy.signal(signal.SIGHUP)
            self.assertTrue(until(lambda: "reload rejected" in proxy.log()))
            self.assertEqual(redis.Redis(port=port).get("before"), b"1")
            samples = scrape(proxy.admin)
            self.assertEqual(value(samples, "coproxy_config_reloads_total", result="failed"), 2)
            self.assertEqual(value(samples, "coproxy_config_generation"), 1)

    def test_adding_and_removing_pools(self):
        with Cluster() as cluster:
            a = cluster.redis()
            p1, p2 = free_port(), free_port()
            proxy = cluster.coproxy(redis_pool("one", p1, [a.port]), "--watch-config", admin=True)
            c1 = redis.Redis(port=p1, single_connection_client=True)
            c1.set("k", "v")
            with open(proxy.conf, "w") as f:  # --watch-config notices the file change
                f.write(redis_pool("two", p2, [a.port]))
            self.assertTrue(until(lambda: http(proxy.admin + "/config")[1].count("two:") == 1))
            self.assertEqual(redis.Redis(port=p2).get("k"), b"v")
            # The removed pool's listener is closed and its client drained.
            self.assertTrue(until(lambda: not _connects(p1)))
            with self.assertRaises(redis.ConnectionError):
                c1.get("k")


class AdminBounds(unittest.TestCase):
    """The admin endpoint is bounded (connections, request size, slow senders) and a flood of it
    leaves the data path alone."""

    def test_flood_and_slow_senders_are_bounded_and_the_data_path_unaffected(self):
        with Cluster() as cluster:
            shard = cluster.redis()
            port = free_port()
            proxy = cluster.coproxy(redis_pool("cache", port, [shard.port]),
                                    "--admin-max-connections", "8", admin=True)
            admin_port = int(proxy.admin.rsplit(":", 1)[1])
            # Eight idle connections fill the endpoint; past them a connection is refused at once.
            # Two workers accept, in no set order, so an idle one may be the refused one: those
            # are replaced until eight are held and a probe is refused.
            idle = []

            def filled_and_refusing():
                idle[:] = [s for s in idle if not closed_by_peer(s)]
                while len(idle) < 8:
                    idle.append(socket.create_connection(("127.0.0.1", admin_port)))
                time.sleep(0.05)
                return refused_connection(admin_port)
            self.assertTrue(until(filled_and_refusing))
            # The data path does not notice: a thousand requests, all answered.
            c = redis.Redis(port=port, single_connection_client=True)
            started = time.monotonic()
            for i in range(1000):
                self.assertTrue(c.set(f"a{i}", i))
            self.assertLess(time.monotonic() - started, 20)
            for s in idle:
                s.close()
            # coproxy sees those closes a moment later (sooner or later on a loaded machine); a
            # connection opened before it has would still be refused as the ninth, and the slow
            # sender below would be counted as that, not as slow. A probe that is served proves
            # fewer than eight are held, and nothing else opens one meanwhile.
            self.assertTrue(until(lambda: served_connection(admin_port)))
            # A slow sender (slowloris) is cut off; a header past 8 KiB gets 431.
            slow = socket.create_connection(("127.0.0.1", admin_port), timeout=30)
            slow.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")
            started = time.monotonic()
            closed = False
            while time.monotonic() - started < 20 and not closed:
                try:
                    slow.sendall(b"X")
                    slow.settimeout(1)
                    closed = slow.recv(1024) == b""
                except socket.timeout:
                    continue
                except OSError:
                    closed = True
            self.assertTrue(closed, "a slow sender kept its admin connection")
            big = raw(admin_port, b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: " + b"x" * 10000 +
                      b"\r\n\r\n")
            self.assertTrue(big.startswith(b"HTTP/1.1 431"), big[:80])
            samples = scrape(proxy.admin)
            self.assertGreaterEqual(value(samples, "coproxy_admin_refused_total",
                                          reason="connections"), 1)
            self.assertGreaterEqual(value(samples, "coproxy_admin_refused_total", reason="slow"), 1)
            self.assertGreaterEqual(value(samples, "coproxy_admin_refused_total",
                                          reason="too_large"), 1)


def closed_by_peer(s):
    """Whether the peer answered or closed (a refused connection gets a 503, then EOF)."""
    s.setblocking(False)
    try:
        return s.recv(1, socket.MSG_PEEK) is not None
    except BlockingIOError:
        return False
    except OSError:
        return True
    finally:
        s.setblocking(True)


def probe(port):
    # Connection: close: a probe that is served is over (and uncounted) once its reply has ended.
    return raw(port, b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")


def refused_connection(port):
    # The idle connections may still wait in a worker's accept queue: a probe that is served
    # closes at once, and the next probe tries again.
    out = probe(port)
    return out.startswith(b"HTTP/1.1 503") and b"too many connections" in out


def served_connection(port):
    """Whether a new admin connection is served, not refused for the connection limit (whatever
    /healthz then says)."""
    out = probe(port)
    return out.startswith(b"HTTP/1.1 ") and b"too many connections" not in out


def raw(port, data):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(data)
    out = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            out += chunk
    except (socket.timeout, ConnectionResetError):
        pass
    s.close()
    return out


def resp(*args):
    return b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args)


def _connects(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return True
    except OSError:
        return False


class Drain(unittest.TestCase):
    def test_in_flight_pipeline_completes_then_clean_close(self):
        with Cluster() as cluster:
            shard = cluster.redis()
            port = free_port()
            proxy = cluster.coproxy(redis_pool("cache", port, [shard.port]), admin=True)
            s = socket.create_connection(("127.0.0.1", port), timeout=10)
            # A slow request first, then a pipeline behind it: all are in flight at SIGTERM.
            script = b"local i = 0 while i < 20000000 do i = i + 1 end return i"
            pipeline = resp(b"EVAL", script, b"0")
            pipeline += b"".join(resp(b"SET", b"d%d" % (i % 10), b"x") for i in range(1000))
            s.sendall(pipeline)
            # The EVAL is on the server (in flight) before SIGTERM.
            self.assertTrue(until(lambda: value(scrape(proxy.admin),
                                                "coproxy_server_requests_in_flight",
                                                pool="cache",
                                                server=f"127.0.0.1:{shard.port}") >= 1))
            proxy.signal(signal.SIGTERM)
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break  # a clean close (EOF), not a reset
                data += chunk
            self.assertTrue(data.startswith(b":20000000\r\n"), data[:60])
            self.assertEqual(data.count(b"+OK\r\n"), 1000)
            self.assertEqual(proxy.proc.wait(15), 0)
            self.assertIn("all workers stopped", proxy.log())


if __name__ == "__main__":
    unittest.main()
