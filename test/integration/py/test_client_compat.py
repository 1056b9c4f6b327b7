"""The client libraries operators run, with their default options, against coproxy pools over
real servers: redis-py with hiredis and with its Python parser, ioredis 5 and 6 and node-redis 4
and 5 (test/clients, installed by .ci/deps), against a plain Redis pool and a redis_auth pool;
pymemcache and libmemcached's memccapable against a 2-server memcached pool; Redis 7's pre-AUTH
answers compared with a real redis-server; and two nutcracker-style daemons on one host."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import unittest

import redis
import redis.connection
from pymemcache.client.base import Client as Memcache

sys.path.insert(0, os.path.dirname(__file__))
from harness import COPROXY, Cluster, free_port, memcache_pool, raw_exchange, redis_pool, until  # noqa: E402

CLIENTS_DIR = os.path.join(os.path.dirname(__file__), "..", "..", "clients")
NODE_CLIENTS = ("ioredis5", "ioredis6", "redis4", "redis5")
PASSWORD = "s3cret"


def resp(*args):
    return b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args)


class Pools:
    """Three shards behind a plain pool, three with a password behind a redis_auth pool."""

    @classmethod
    def setUpClass(cls):
        cls.cluster = Cluster().__enter__()
        cls.plain_shards = [cls.cluster.redis() for _ in range(3)]
        cls.auth_shards = [cls.cluster.redis("--requirepass", PASSWORD) for _ in range(3)]
        cls.plain, cls.auth = free_port(), free_port()
        cls.proxy = cls.cluster.coproxy(
            redis_pool("plain", cls.plain, [s.port for s in cls.plain_shards]) +
            redis_pool("auth", cls.auth, [s.port for s in cls.auth_shards], redis_auth=PASSWORD),
            "--threads", "2")

    @classmethod
    def tearDownClass(cls):
        cls.cluster.__exit__(None, None, None)


class NodeClients(Pools, unittest.TestCase):
    def run_client(self, client, port, password=None):
        modules = os.path.join(CLIENTS_DIR, "node_modules", client)
        self.assertTrue(os.path.isdir(modules), f"{modules} missing: run .ci/deps test")
        argv = ["node", os.path.join(CLIENTS_DIR, "compat.mjs"), client, str(port)]
        if password:
            argv.append(password)
        out = subprocess.run(argv, capture_output=True, text=True, timeout=120)
        self.assertTrue(out.stdout.strip(), out.stderr)
        report = json.loads(out.stdout.strip().splitlines()[-1])
        self.assertEqual(report["failed"], [], f"{client}: {report}\n{out.stderr}")
        self.assertEqual(len(report["passed"]), 6, report)

    def test_every_client_on_a_plain_pool(self):
        for client in NODE_CLIENTS:
            with self.subTest(client=client):
                self.run_client(client, self.plain)

    def test_every_client_on_a_redis_auth_pool(self):
        for client in NODE_CLIENTS:
            with self.subTest(client=client):
                self.run_client(client, self.auth, PASSWORD)


class RedisPy(Pools, unittest.TestCase):
    PARSERS = (("hiredis", redis.connection.HiredisParser),
               ("python", redis.connection.PythonParser))

    def clients(self):
        self.assertTrue(redis.connection.HIREDIS_AVAILABLE, "python3-hiredis is not installed")
        for name, parser in self.PARSERS:
            for port, password in ((self.plain, None), (self.auth, PASSWORD)):
                pool = redis.ConnectionPool(port=port, password=password, parser_class=parser)
                yield f"{name}/{'auth' if password else 'plain'}", redis.Redis(connection_pool=pool)

    def test_the_cases_with_both_parsers(self):
        for label, c in self.clients():
            with self.subTest(client=label):
                key = f"py:{label}:"
                self.assertTrue(c.set(key + "hello", "world"))
                p = c.pipeline(transaction=False)
                p.set(key + "p", 1).incr(key + "p").get(key + "p")
                self.assertEqual(p.execute(), [True, 2, b"2"])
                keys = [f"{key}mk{i}" for i in range(30)]
                c.mset({k: i for i, k in enumerate(keys)})
                self.assertEqual(c.mget(keys), [str(i).encode() for i in range(30)])
                self.assertEqual(c.delete(*keys), 30)
                script = c.register_script("return redis.call('get', KEYS[1])")
                c.set(key + "sk", "scripted")
                self.assertEqual(script(keys=[key + "sk"]), b"scripted")  # NOSCRIPT, SCRIPT LOAD
                with self.assertRaises(redis.ResponseError) as refused:
                    c.config_get("maxmemory")
                self.assertEqual(str(refused.exception), "unsupported command 'config'")
                self.assertEqual(c.get(key + "hello"), b"world")
                # redis-py's default pipeline() is a MULTI/EXEC transaction: all or nothing.
                tx = c.pipeline()
                tx.set(key + "tx", "b").incr(key + "tx:n")
                try:
                    result = tx.execute()
                    self.assertEqual(result, [True, 1])
                    self.assertEqual(c.get(key + "tx"), b"b")
                except redis.ResponseError:
                    self.assertIsNone(c.get(key + "tx"))
                    self.assertIsNone(c.get(key + "tx:n"))

    def test_a_transaction_sent_in_one_write_applies_all_or_nothing(self):
        # The sequence: DEL, MULTI, SET, EXEC, GET in one write.
        out = raw_exchange(self.plain, resp(b"DEL", b"mx1") + resp(b"MULTI") +
                           resp(b"SET", b"mx1", b"b") + resp(b"EXEC") + resp(b"GET", b"mx1"))
        lines = out.split(b"\r\n")
        self.assertEqual(lines[0], b":0")
        if lines[1].startswith(b"-"):  # MULTI refused: nothing inside it may apply
            self.assertTrue(lines[2].startswith(b"-"), out)
            self.assertTrue(lines[3].startswith(b"-EXECABORT"), out)
            self.assertEqual(lines[4], b"$-1", out)
        else:
            self.assertEqual(lines[1:3], [b"+OK", b"+QUEUED"], out)
            self.assertTrue(out.endswith(b"$1\r\nb\r\n"), out)


class PreAuthOrder(Pools, unittest.TestCase):
    """Before AUTH, Redis 7 still reports unknown commands and arity, and lets QUIT and HELLO in."""

    def both(self, request):
        return (raw_exchange(self.auth, request), raw_exchange(self.auth_shards[0].port, request))

    def test_answers_match_redis_server(self):
        for request in (resp(b"FOO", b"a"), resp(b"GET"), resp(b"GET", b"k"),
                        resp(b"HELLO", b"2", b"AUTH", b"default", b"wrong"),
                        resp(b"AUTH", b"default", b"wrong"), resp(b"AUTH", b"nobody", PASSWORD.encode())):
            with self.subTest(request=request):
                ours, theirs = self.both(request)
                self.assertEqual(ours, theirs)
        ours = raw_exchange(self.auth, resp(b"QUIT"), read_until_close=True)
        self.assertEqual(ours, b"+OK\r\n")  # and the connection closed

    def test_hello_authenticates_in_resp2_and_refuses_resp3(self):
        out = raw_exchange(self.auth, resp(b"HELLO", b"3", b"AUTH", b"default", PASSWORD.encode()))
        self.assertTrue(out.startswith(b"-NOPROTO"), out)
        out = raw_exchange(self.auth, resp(b"HELLO", b"2", b"AUTH", b"default", PASSWORD.encode(),
                                           b"SETNAME", b"app") + resp(b"CLIENT", b"GETNAME") +
                           resp(b"GET", b"k"))
        self.assertTrue(out.startswith(b"*14\r\n$6\r\nserver\r\n$5\r\nredis\r\n"), out)
        self.assertTrue(out.endswith(b"$3\r\napp\r\n$-1\r\n"), out)

    def test_auth_default_without_a_password_is_ok(self):
        self.assertEqual(raw_exchange(self.plain, resp(b"AUTH", b"default", b"x")), b"+OK\r\n")

    def test_info_reports_the_servers_version_and_keyspace(self):
        c = redis.Redis(port=self.plain)
        for i in range(10):
            c.set(f"info{i}", i)
        info = c.info()
        self.assertEqual(info["redis_version"],
                         redis.Redis(port=self.plain_shards[0].port).info()["redis_version"])
        self.assertEqual(info["loading"], 0)
        direct = sum(redis.Redis(port=s.port).dbsize() for s in self.plain_shards)
        self.assertEqual(info["db0"]["keys"], direct)

    def test_command_docs_and_redis_cli(self):
        out = subprocess.run(["redis-cli", "-p", str(self.plain), "command", "count"],
                             capture_output=True, text=True, timeout=10)
        self.assertGreater(int(out.stdout), 100)
        out = subprocess.run(["redis-cli", "-p", str(self.plain), "object", "help"],
                             capture_output=True, text=True, timeout=10)
        self.assertIn("OBJECT <subcommand>", out.stdout)


class Memcached(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.cluster = Cluster().__enter__()
        cls.servers = [cls.cluster.memcached() for _ in range(2)]
        cls.port = free_port()
        cls.proxy = cls.cluster.coproxy(memcache_pool("mc", cls.port, [s.port for s in cls.servers]))

    @classmethod
    def tearDownClass(cls):
        cls.cluster.__exit__(None, None, None)

    def test_memccapable_ascii_passes_every_test(self):
        out = subprocess.run(["memccapable", "-a", "-h", "127.0.0.1", "-p", str(self.port)],
                             capture_output=True, text=True, timeout=120)
        self.assertIn("All tests passed", out.stdout + out.stderr, out.stdout + out.stderr)
        self.assertEqual(out.stdout.count("[pass]"), 27, out.stdout)

    def test_pymemcache_and_stats(self):
        c = Memcache(("127.0.0.1", self.port))
        c.set("mc:k", "v")
        self.assertEqual(c.get("mc:k"), b"v")
        self.assertIsNone(c.get("mc:missing"))
        stats = c.stats()
        self.assertGreaterEqual(stats[b"get_hits"], 1)
        self.assertGreaterEqual(stats[b"get_misses"], 1)
        self.assertTrue(stats[b"version"].startswith(b"coproxy-"))

    def test_a_long_unknown_line_gets_error_and_the_connection_carries_on(self):
        out = raw_exchange(self.port, b"x" * 5000 + b"\r\nversion\r\n")
        self.assertTrue(out.startswith(b"ERROR\r\nVERSION coproxy-"), out[:100])


class NutcrackerFlags(unittest.TestCase):
    """One coproxy per pool on a host, as operators run twemproxy: nutcracker's flags, -d."""

    def test_two_daemons_side_by_side_and_a_failed_start_fails(self):
        with Cluster() as cluster:
            shard = cluster.redis()
            started = []
            try:
                for i in range(2):
                    port, stats = free_port(), free_port()
                    conf = cluster.path(f"pool{i}.yml")
                    with open(conf, "w") as f:
                        f.write(redis_pool(f"pool{i}", port, [shard.port]))
                    pid_file = cluster.path(f"pool{i}.pid")
                    argv = [COPROXY, "-d", "-c", conf, "-o", cluster.path(f"pool{i}.log"),
                            "-p", pid_file, "-s", str(stats), "-a", "127.0.0.1", "-v", "6",
                            "-m", "16384", "-i", "1000", "--drain-delay", "0"]
                    done = subprocess.run(argv, capture_output=True, text=True, timeout=30)
                    self.assertEqual(done.returncode, 0, done.stderr)
                    with open(pid_file) as f:
                        started.append((int(f.read()), port, conf))
                for pid, port, _ in started:
                    self.assertTrue(redis.Redis(port=port).ping())
                # The second one found the default admin address taken and said so.
                logs = [open(cluster.path(f"pool{i}.log")).read() for i in range(2)]
                self.assertIn("the default address 0.0.0.0:22223 is taken", "".join(logs))
                # A pool port already taken: -d fails, with the reason, before returning.
                busy = subprocess.run([COPROXY, "-d", "-c", started[0][2], "-s", "0",
                                       "--admin-addr", ""],
                                      capture_output=True, text=True, timeout=30)
                self.assertNotEqual(busy.returncode, 0)
                self.assertIn("cannot listen on", busy.stderr)
            finally:
                for pid, _, _ in started:
                    os.kill(pid, signal.SIGTERM)
                for pid, _, _ in started:
                    until(lambda: not os.path.exists(f"/proc/{pid}"), 15)


if __name__ == "__main__":
    unittest.main()
