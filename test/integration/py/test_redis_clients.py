"""Redis pools with real clients (python3-redis, redis-cli) against three real redis-servers:
pipelines, large and binary values, multi-key commands across shards checked against a single
reference redis-server, Redis's own error texts, connections that stay usable after refusals."""

import os
import random
import socket
import subprocess
import sys
import unittest

import redis

sys.path.insert(0, os.path.dirname(__file__))
from harness import Cluster, free_port, raw_exchange, redis_pool  # noqa: E402


class RedisPool(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.cluster = Cluster().__enter__()
        cls.shards = [cls.cluster.redis() for _ in range(3)]
        cls.reference = cls.cluster.redis()  # one plain redis-server: what Redis itself answers
        cls.port = free_port()
        cls.proxy = cls.cluster.coproxy(
            redis_pool("cache", cls.port, [s.port for s in cls.shards], hash="fnv1a_64",
                       distribution="ketama", timeout=5000), "--threads", "2")

    @classmethod
    def tearDownClass(cls):
        cls.cluster.__exit__(None, None, None)

    def client(self, **kw):
        return redis.Redis(port=self.port, single_connection_client=True, **kw)

    def direct(self, shard):
        return redis.Redis(port=shard.port)

    def test_keys_spread_over_shards_and_read_back(self):
        c = self.client()
        values = {f"user:{i}:{random.random()}": os.urandom(16) for i in range(2000)}
        for k, v in values.items():
            c.set(k, v)
        for k, v in values.items():
            self.assertEqual(c.get(k), v)
        counts = [self.direct(s).dbsize() for s in self.shards]
        self.assertEqual(sum(counts) >= 2000, True)
        self.assertTrue(all(n > 100 for n in counts), counts)

    def test_pipeline_replies_in_order(self):
        c = self.client()
        p = c.pipeline(transaction=False)
        for i in range(3000):
            p.set(f"pipe:{i}", i)
            p.incr(f"pipe:{i}")
            p.get(f"pipe:{i}")
        results = p.execute()
        for i in range(3000):
            self.assertEqual(results[3 * i:3 * i + 3], [True, i + 1, str(i + 1).encode()])

    def test_sixteen_mebibyte_value(self):
        c = self.client()
        value = os.urandom(16 * 1024 * 1024)
        self.assertTrue(c.set("big", value))
        self.assertEqual(c.get("big"), value)
        self.assertEqual(c.strlen("big"), len(value))

    def test_binary_and_empty_keys(self):
        c = self.client()
        keys = [bytes(range(256)), b"\r\n*3\r\n$3\r\nset\r\n", b"", b" ", "ключ".encode(),
                b"\x80\xff\xfe"]
        for i, k in enumerate(keys):
            c.set(k, b"v%d" % i)
        for i, k in enumerate(keys):
            self.assertEqual(c.get(k), b"v%d" % i, k)
        self.assertTrue(c.set(b"empty-value", b""))
        self.assertEqual(c.get(b"empty-value"), b"")

    def test_multi_key_commands_match_a_single_redis(self):
        c = self.client()
        ref = self.direct(self.reference)
        keys = [f"mk:{i}" for i in range(1000)]
        pairs = {k: f"value-{i}" for i, k in enumerate(keys)}
        self.assertTrue(c.mset(pairs))
        ref.mset(pairs)
        asked = keys + ["mk:missing", keys[3], keys[999]]
        self.assertEqual(c.mget(asked), ref.mget(asked))
        self.assertEqual(c.exists(*asked), ref.exists(*asked))
        self.assertEqual(c.touch(*asked), ref.touch(*asked))
        self.assertEqual(c.delete(*keys[:500], "mk:missing"), ref.delete(*keys[:500], "mk:missing"))
        self.assertEqual(c.unlink(*keys[500:]), ref.unlink(*keys[500:]))
        self.assertEqual(c.mget(keys[:10]), [None] * 10)
        # The keys really were spread: every shard saw part of the MSET.
        self.assertTrue(all(self.direct(s).info("commandstats").get("cmdstat_mset") for s in
                            self.shards))

    def test_hash_tags_keep_keys_together_for_multi_key_commands(self):
        c = self.client()
        self.assertTrue(c.mset({"{user1}:a": 1, "{user1}:b": 2}))
        self.assertEqual(c.mget("{user1}:a", "{user1}:b"), [b"1", b"2"])

    def test_every_data_type(self):
        c = self.client()
        c.hset("h", mapping={"f1": "1", "f2": "2"})
        self.assertEqual(c.hgetall("h"), {b"f1": b"1", b"f2": b"2"})
        c.rpush("l", "a", "b", "c")
        self.assertEqual(c.lrange("l", 0, -1), [b"a", b"b", b"c"])
        c.sadd("s", "x", "y")
        self.assertEqual(c.smembers("s"), {b"x", b"y"})
        c.zadd("z", {"a": 1, "b": 2})
        self.assertEqual(c.zrange("z", 0, -1, withscores=True), [(b"a", 1.0), (b"b", 2.0)])
        c.pfadd("hll", "a", "b", "c")
        self.assertEqual(c.pfcount("hll"), 3)
        c.geoadd("g", (13.361389, 38.115556, "Palermo"))
        self.assertEqual(len(c.geopos("g", "Palermo")), 1)
        c.set("h2", "v")
        self.assertEqual(c.getdel("h2"), b"v")
        self.assertEqual(c.expire("l", 100), True)
        self.assertTrue(0 < c.ttl("l") <= 100)

    def test_eval_routed_by_its_first_key(self):
        c = self.client()
        c.set("script-key", "hello")
        self.assertEqual(c.eval("return redis.call('get', KEYS[1])", 1, "script-key"), b"hello")
        # SCRIPT LOAD reaches every server, so EVALSHA works whichever shard its key is on.
        sha = c.script_load("return redis.call('get', KEYS[1])")
        self.assertEqual(c.script_exists(sha, "0" * 40), [True, False])
        for shard in self.shards:
            self.assertEqual(self.direct(shard).script_exists(sha), [True])
        for i in range(20):
            c.set(f"sk{i}", i)
            self.assertEqual(c.evalsha(sha, 1, f"sk{i}"), str(i).encode())

    def test_unsupported_command_keeps_the_connection(self):
        c = self.client()
        c.set("still", "here")
        with self.assertRaises(redis.ResponseError) as e:
            c.config_get("maxmemory")
        self.assertEqual(str(e.exception), "unsupported command 'config'")
        # Refused with the key that would allow them (the pool does not).
        for command, key in ((["KEYS", "*"], "allow_keys"), (["FLUSHALL"], "allow_flush")):
            with self.assertRaises(redis.ResponseError) as e:
                c.execute_command(*command)
            self.assertIn(f"set {key}: true", str(e.exception))
        for command in (["WAIT", "1", "0"], ["MONITOR"], ["CLIENT", "KILL", "x", "y"]):
            with self.assertRaises(redis.ResponseError):
                c.execute_command(*command)
        self.assertEqual(c.get("still"), b"here")

    def test_unknown_command_and_arity_errors_are_redis_texts(self):
        ref = redis.Redis(port=self.reference.port, single_connection_client=True)
        c = self.client()
        for command in (["FOO"], ["FOO", "a", "b"], ["GET"], ["SET", "k"], ["MGET"],
                        ["OBJECT", "NOPE", "k"]):
            with self.assertRaises(redis.ResponseError) as ours:
                c.execute_command(*command)
            with self.assertRaises(redis.ResponseError) as theirs:
                ref.execute_command(*command)
            self.assertEqual(str(ours.exception), str(theirs.exception), command)
        self.assertTrue(c.ping())

    def test_local_commands(self):
        c = self.client()
        self.assertTrue(c.ping())
        self.assertEqual(c.echo("hi"), b"hi")
        self.assertEqual(raw_exchange(self.port, b"PING msg\r\n"), b"$3\r\nmsg\r\n")
        self.assertTrue(c.execute_command("SELECT", "0"))
        with self.assertRaises(redis.ResponseError):
            c.execute_command("SELECT", "1")

    def test_inline_commands_and_quit(self):
        out = raw_exchange(self.port, b'SET inline "a b"\r\nGET inline\r\nPING\r\nQUIT\r\nGET x\r\n',
                           read_until_close=True)
        self.assertEqual(out, b"+OK\r\n$3\r\na b\r\n+PONG\r\n+OK\r\n")

    def test_protocol_error_replies_then_closes(self):
        out = raw_exchange(self.port, b"*1\r\n$4\r\nPING\r\n*x\r\n", read_until_close=True)
        self.assertEqual(out, b"+PONG\r\n-ERR Protocol error: invalid multibulk length\r\n")

    def test_redis_cli(self):
        run = lambda *a: subprocess.run(["redis-cli", "-p", str(self.port), *a], capture_output=True,
                                        text=True, timeout=10).stdout.strip()
        self.assertEqual(run("set", "cli-key", "cli-value"), "OK")
        self.assertEqual(run("get", "cli-key"), "cli-value")
        self.assertEqual(run("mget", "cli-key", "nope"), "cli-value")
        self.assertIn("unsupported command 'config'", run("config", "get", "x"))


class RedisSeveralConnectionsPerServer(unittest.TestCase):
    """With server_connections > 1 a client's requests to one server stay on one connection, so a
    pipelined SET then GET of a key is read back (found by the redis benchmark: 36% misses)."""

    def test_pipelined_writes_are_read_back(self):
        with Cluster() as cluster:
            shard = cluster.redis()
            port = free_port()
            cluster.coproxy(redis_pool("cache", port, [shard.port], server_connections=3),
                            "--threads", "1")
            clients = [redis.Redis(port=port, single_connection_client=True) for _ in range(4)]
            for round_ in range(5):
                for n, c in enumerate(clients):
                    p = c.pipeline(transaction=False)
                    for i in range(500):
                        p.set(f"ord:{n}:{i}", f"v{round_}:{i}")
                        p.get(f"ord:{n}:{i}")
                    results = p.execute()
                    self.assertEqual(results[1::2], [f"v{round_}:{i}".encode() for i in range(500)])


class RedisAuth(unittest.TestCase):
    """redis_auth: clients must AUTH to coproxy; coproxy AUTHs to backends with requirepass."""

    @classmethod
    def setUpClass(cls):
        cls.cluster = Cluster().__enter__()
        cls.shards = [cls.cluster.redis("--requirepass", "s3cret") for _ in range(2)]
        cls.port = free_port()
        cls.cluster.coproxy(redis_pool("secure", cls.port, [s.port for s in cls.shards],
                                       redis_auth="s3cret", redis_db=3))

    @classmethod
    def tearDownClass(cls):
        cls.cluster.__exit__(None, None, None)

    def test_commands_need_auth(self):
        c = redis.Redis(port=self.port, single_connection_client=True)
        with self.assertRaises(redis.AuthenticationError):
            c.get("k")

    def test_wrong_password(self):
        # redis-py 4.3 reports WRONGPASS as a plain ResponseError, as it does for Redis itself.
        with self.assertRaises((redis.ResponseError, redis.AuthenticationError)) as e:
            redis.Redis(port=self.port, password="nope", single_connection_client=True).ping()
        self.assertIn("invalid username-password pair", str(e.exception))

    def test_right_password_then_backend_auth_and_db(self):
        c = redis.Redis(port=self.port, password="s3cret", single_connection_client=True)
        self.assertTrue(c.set("authed", "yes"))
        self.assertEqual(c.get("authed"), b"yes")
        user = redis.Redis(port=self.port, username="default", password="s3cret",
                           single_connection_client=True)
        self.assertEqual(user.get("authed"), b"yes")
        # Backends received the data in database 3 (redis_db), through their own AUTH.
        found = [redis.Redis(port=s.port, password="s3cret", db=3).get("authed")
                 for s in self.shards]
        self.assertIn(b"yes", found)
        self.assertEqual([redis.Redis(port=s.port, password="s3cret", db=0).dbsize()
                          for s in self.shards], [0, 0])

    def test_pre_auth_requests_are_bounded(self):
        out = raw_exchange(self.port, b"*20\r\n", read_until_close=True)
        self.assertEqual(out, b"-ERR Protocol error: unauthenticated multibulk length\r\n")


if __name__ == "__main__":
    unittest.main()
