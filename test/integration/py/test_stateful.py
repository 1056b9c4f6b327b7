"""Connection state through a sharded Redis pool (3 real redis-servers), with real clients:
transactions (redis-py's pipeline(), WATCH against a conflicting writer, a cross-server one that
applies nothing, the command limit), subscriptions over every shard (redis-py pubsub(), ioredis
and node-redis), blocking commands with their own timeout past the pool's, a client killed while
blocked, the pinned_connections limit under load, SCAN visiting every key once, the whole-pool
commands, a subscriber that never reads, and subscriptions restored after a server restart."""

import json
import os
import socket
import subprocess
import sys
import threading
import time
import unittest
import urllib.request

import redis

sys.path.insert(0, os.path.dirname(__file__))
from harness import Cluster, free_port, raw_exchange, redis_pool, until  # noqa: E402

CLIENTS_DIR = os.path.join(os.path.dirname(__file__), "..", "..", "clients")


def resp(*args):
    return b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args)


def metric(proxy, name, **labels):
    with urllib.request.urlopen(proxy.admin + "/metrics", timeout=10) as r:
        text = r.read().decode()
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            if all(f'{k}="{v}"' in line for k, v in labels.items()):
                total += float(line.rsplit(" ", 1)[1])
    return total


class Stateful(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.cluster = Cluster().__enter__()
        cls.shards = [cls.cluster.redis() for _ in range(3)]
        cls.port, cls.limited, cls.flushable = free_port(), free_port(), free_port()
        ports = [s.port for s in cls.shards]
        # One worker: pinned_connections is per server and worker. Hash tags keep a test's keys
        # on one server (the ports, and so the ring, change from run to run).
        cls.proxy = cls.cluster.coproxy(
            redis_pool("cache", cls.port, ports, timeout=400, hash="md5", hash_tag='"{}"') +
            redis_pool("limited", cls.limited, ports, pinned_connections=2, hash="md5",
                       hash_tag='"{}"', transaction_max_commands=5, client_output_limit=65536) +
            redis_pool("flushable", cls.flushable, ports, allow_flush="true", allow_keys="true",
                       hash="md5"),
            "--threads", "1", admin=True)
        cls.direct = [redis.Redis(port=p) for p in ports]

    @classmethod
    def tearDownClass(cls):
        cls.cluster.__exit__(None, None, None)

    def client(self, port=None):
        return redis.Redis(port=port or self.port, single_connection_client=True)

    def shard_of(self, key):
        for i, d in enumerate(self.direct):
            if d.exists(key):
                return i
        return None

    def keys_on_two_servers(self):
        c = self.client()
        found = {}
        for i in range(1000):
            k = f"spread{i}"
            c.set(k, 1)
            found.setdefault(self.shard_of(k), k)
            if len(found) >= 2:
                break
        c.delete(*found.values())
        return list(found.values())[:2]

    def test_pipeline_is_a_transaction(self):
        c = self.client()
        p = c.pipeline()  # redis-py's default: MULTI ... EXEC
        p.set("{tx}a", 1).incr("{tx}a").incrby("{tx}b", 5).get("{tx}a")
        self.assertEqual(p.execute(), [True, 2, 5, b"2"])

    def test_watch_fails_when_another_client_writes(self):
        c, writer = self.client(), self.client()
        c.set("{w}k", 1)
        with c.pipeline() as p:
            p.watch("{w}k")
            self.assertEqual(p.get("{w}k"), b"1")
            writer.set("{w}k", 2)  # a conflicting writer, on another connection
            p.multi()
            p.set("{w}k", 3)
            with self.assertRaises(redis.WatchError):
                p.execute()
        self.assertEqual(c.get("{w}k"), b"2")
        # Without a conflict, the same optimistic lock succeeds.
        def bump(pipe):
            value = int(pipe.get("{w}k"))
            pipe.multi()
            pipe.set("{w}k", value + 1)
        c.transaction(bump, "{w}k")
        self.assertEqual(c.get("{w}k"), b"3")

    def test_cross_server_transaction_applies_nothing(self):
        a, b = self.keys_on_two_servers()
        out = raw_exchange(self.port, resp(b"MULTI") + resp(b"SET", a.encode(), b"1") +
                           resp(b"SET", b.encode(), b"2") + resp(b"EXEC") +
                           resp(b"MGET", a.encode(), b.encode()))
        self.assertEqual(out, b"+OK\r\n+QUEUED\r\n-CROSSSLOT Keys in request don't hash to the "
                              b"same slot\r\n-EXECABORT Transaction discarded because of previous "
                              b"errors.\r\n*2\r\n$-1\r\n$-1\r\n")
        c = self.client()
        p = c.pipeline()
        p.set(a, 1).set(b, 2)
        with self.assertRaises(redis.ResponseError):
            p.execute()
        self.assertEqual(c.mget(a, b), [None, None])

    def test_transaction_command_limit_keeps_the_connection(self):
        c = self.client(self.limited)
        p = c.pipeline()
        for i in range(6):
            p.set("{lim}k", i)
        with self.assertRaises(redis.ResponseError) as e:
            p.execute()  # redis-py raises the first error: the sixth SET's
        self.assertIn("transaction queued more than 5 commands", str(e.exception))
        self.assertIsNone(c.get("{lim}k"))
        self.assertTrue(c.ping())

    def test_pubsub_over_every_shard(self):
        c = self.client()
        channels = [f"news{i}" for i in range(12)]
        ps = c.pubsub()
        ps.subscribe(*channels)
        ps.psubscribe("alert.*")
        confirmations = [ps.get_message(timeout=5) for _ in range(13)]
        self.assertEqual([m["type"] for m in confirmations], ["subscribe"] * 12 + ["psubscribe"])
        self.assertEqual([m["data"] for m in confirmations], list(range(1, 14)))
        # The channels landed on more than one shard (each PUBLISH reaches its channel's server).
        shards = {s for ch in channels for s, d in enumerate(self.direct)
                  if d.pubsub_numsub(ch)[0][1] > 0}
        self.assertGreater(len(shards), 1)
        publisher = self.client()
        for ch in channels:
            self.assertEqual(publisher.publish(ch, f"hello {ch}"), 1)
        self.assertEqual(publisher.publish("alert.fire", "run"), 1)
        got = [ps.get_message(timeout=5) for _ in range(13)]
        self.assertEqual(sorted(m["data"] for m in got if m["type"] == "message"),
                         sorted(f"hello {ch}".encode() for ch in channels))
        self.assertEqual([m["data"] for m in got if m["type"] == "pmessage"], [b"run"])
        # PING in subscribed mode, then everything undone.
        ps.ping()
        self.assertEqual(ps.get_message(timeout=5)["data"], b"")
        ps.unsubscribe()
        ps.punsubscribe()
        left = [ps.get_message(timeout=5) for _ in range(13)]
        self.assertEqual(left[-1]["data"], 0)
        ps.close()

    def test_node_clients_multi_and_subscribe(self):
        for client in ("ioredis5", "ioredis6", "redis4", "redis5"):
            with self.subTest(client=client):
                out = subprocess.run(["node", os.path.join(CLIENTS_DIR, "stateful.mjs"), client,
                                      str(self.port)], capture_output=True, text=True, timeout=120)
                report = json.loads(out.stdout.strip().splitlines()[-1])
                self.assertEqual(report["failed"], [], out.stderr)
                self.assertEqual(len(report["passed"]), 2)

    def test_blpop_timeout_longer_than_the_pool_timeout(self):
        c = self.client()
        c.delete("{b}q")
        threading.Timer(1.5, lambda: self.client().lpush("{b}q", "x")).start()
        started = time.monotonic()
        self.assertEqual(c.blpop("{b}q", 5), (b"{b}q", b"x"))  # pool timeout: 400 ms
        self.assertGreater(time.monotonic() - started, 1.3)
        started = time.monotonic()
        self.assertIsNone(c.blpop("{b}empty", 1))
        self.assertGreater(time.monotonic() - started, 0.9)
        self.assertTrue(until(lambda: metric(self.proxy, "coproxy_server_leases", pool="cache") == 0))

    def test_a_client_killed_while_blocked_releases_its_lease(self):
        c = self.client()
        c.delete("{k}q")
        s = socket.create_connection(("127.0.0.1", self.port))
        s.sendall(resp(b"BLPOP", b"{k}q", b"0"))
        self.assertTrue(until(lambda: metric(self.proxy, "coproxy_server_leases", pool="cache") == 1))
        s.close()
        self.assertTrue(until(lambda: metric(self.proxy, "coproxy_server_leases", pool="cache") == 0))
        # The blocked connection was closed, not reused: it does not take the next element.
        time.sleep(0.2)
        c.lpush("{k}q", "v")
        self.assertEqual(c.blpop("{k}q", 2), (b"{k}q", b"v"))

    def test_pinned_connections_limit_under_load(self):
        stop = threading.Event()
        errors = []

        def load():
            r = self.client(self.limited)
            i = 0
            while not stop.is_set():
                try:
                    r.set(f"load{i % 50}", i)
                    r.get(f"load{i % 50}")
                except Exception as e:  # noqa: BLE001
                    errors.append(e)
                i += 1
        loaders = [threading.Thread(target=load) for _ in range(4)]
        for t in loaders:
            t.start()
        try:
            holders = [self.client(self.limited) for _ in range(3)]
            for h in holders[:2]:
                self.assertTrue(h.execute_command("WATCH", "{pin}k"))
            with self.assertRaises(redis.ResponseError) as e:
                holders[2].execute_command("WATCH", "{pin}k")
            self.assertIn("pinned_connections", str(e.exception))
            self.assertTrue(holders[2].ping())  # its connection stays
            self.assertTrue(holders[0].execute_command("UNWATCH"))
            self.assertTrue(until(lambda: holders[2].execute_command("WATCH", "{pin}k")))
            self.assertGreaterEqual(metric(self.proxy, "coproxy_server_lease_refusals_total",
                                           pool="limited"), 1)
        finally:
            stop.set()
            for t in loaders:
                t.join()
        self.assertEqual(errors, [])

    def test_scan_visits_every_key_exactly_once(self):
        c = self.client(self.flushable)
        c.flushdb()
        pipe = c.pipeline(transaction=False)
        for i in range(10000):
            pipe.set(f"scan:{i}", i)
        pipe.execute()
        self.assertTrue(all(d.dbsize() > 1000 for d in self.direct))  # every shard has some
        seen = []
        cursor = 0
        while True:
            cursor, keys = c.scan(cursor, match="scan:*", count=500)
            seen.extend(keys)
            if cursor == 0:
                break
        self.assertEqual(len(seen), 10000)
        self.assertEqual(len(set(seen)), 10000)
        self.assertEqual(c.dbsize(), sum(d.dbsize() for d in self.direct))
        self.assertTrue(c.randomkey().startswith(b"scan:"))
        self.assertEqual(len(c.keys("scan:1*")), 1111)
        with self.assertRaises(redis.ResponseError) as e:
            self.client().flushdb()  # the 'cache' pool does not allow it
        self.assertIn("allow_flush", str(e.exception))
        self.assertTrue(c.flushdb())
        self.assertEqual(c.dbsize(), 0)

    def test_a_subscriber_that_never_reads_is_cut_off(self):
        s = socket.create_connection(("127.0.0.1", self.limited))
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.sendall(resp(b"SUBSCRIBE", b"flood"))
        publisher = self.client(self.limited)
        self.assertTrue(until(lambda: publisher.publish("flood", "x") == 1))
        before = metric(self.proxy, "coproxy_client_output_limit_closes_total", pool="limited")
        payload = "y" * 16384
        for _ in range(2000):
            if publisher.publish("flood", payload) == 0:
                break
        self.assertTrue(until(lambda: metric(self.proxy, "coproxy_client_output_limit_closes_total",
                                             pool="limited") > before))
        s.close()


class Resubscribe(unittest.TestCase):
    def test_subscriptions_come_back_after_their_server_restarts(self):
        with Cluster() as cluster:
            shard = cluster.redis()
            port = free_port()
            proxy = cluster.coproxy(redis_pool("cache", port, [shard.port]), admin=True)
            ps = redis.Redis(port=port).pubsub()
            ps.subscribe("keep")
            self.assertEqual(ps.get_message(timeout=5)["type"], "subscribe")
            shard.stop()
            restarted = cluster.redis(port=shard.port)
            self.assertTrue(until(lambda: metric(proxy, "coproxy_pubsub_resubscribes_total") >= 1,
                                  15))
            self.assertEqual(redis.Redis(port=port).publish("keep", "again"), 1)
            self.assertEqual(ps.get_message(timeout=5)["data"], b"again")
            self.assertGreater(metric(proxy, "coproxy_pubsub_gap_milliseconds_total"), 0)
            del restarted


if __name__ == "__main__":
    unittest.main()
