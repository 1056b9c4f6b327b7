"""Memcached pools with real clients (python3-pymemcache, libmemcached's memcslap) and raw sockets
against three real memcached servers: every ASCII command, noreply, multi-get across servers in key
order, meta commands with their flags and quiet mode, memcached's own errors with the connection
kept, a 1 MiB value, memcslap's set/get/mget loads spread over the servers, a server killed
mid-stream."""

import os
import re
import socket
import subprocess
import sys
import time
import unittest
import urllib.request

from pymemcache.client.base import Client

sys.path.insert(0, os.path.dirname(__file__))
from harness import Cluster, free_port, memcache_pool  # noqa: E402


class Raw:
    """A raw memcached text connection that reads exactly what is expected."""

    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.buf = b""

    def __del__(self):
        self.s.close()

    def send(self, data):
        self.s.sendall(data)

    def expect(self, data):
        while len(self.buf) < len(data):
            chunk = self.s.recv(65536)
            if not chunk:
                break
            self.buf += chunk
        got, self.buf = self.buf[:len(data)], self.buf[len(data):]
        return got

    def nothing_more(self, wait=0.3):
        self.s.settimeout(wait)
        try:
            extra = self.s.recv(65536)
        except socket.timeout:
            extra = b""
        self.s.settimeout(5)
        return self.buf + extra == b""

    def closed(self):
        self.s.settimeout(5)
        try:
            return self.s.recv(1) == b""
        except ConnectionResetError:
            return True


class MemcachePool(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.cluster = Cluster().__enter__()
        cls.servers = [cls.cluster.memcached("-I", "2m") for _ in range(3)]
        cls.port = free_port()
        cls.cluster.coproxy(memcache_pool("mc", cls.port, [s.port for s in cls.servers],
                                          hash="md5", distribution="ketama", timeout=3000),
                            "--threads", "2")

    @classmethod
    def tearDownClass(cls):
        cls.cluster.__exit__(None, None, None)

    def client(self):
        return Client(("127.0.0.1", self.port), timeout=5, connect_timeout=5)

    def direct(self, server):
        return Client(("127.0.0.1", server.port), timeout=5)

    def test_storage_commands(self):
        c = self.client()
        self.assertTrue(c.set("k", b"v", noreply=False))
        self.assertEqual(c.get("k"), b"v")
        self.assertTrue(c.add("new", b"1", noreply=False))
        self.assertFalse(c.add("new", b"2", noreply=False))
        self.assertTrue(c.replace("new", b"3", noreply=False))
        self.assertFalse(c.replace("absent", b"3", noreply=False))
        self.assertTrue(c.append("new", b"4", noreply=False))
        self.assertTrue(c.prepend("new", b"2", noreply=False))
        self.assertEqual(c.get("new"), b"234")
        value, cas = c.gets("new")
        self.assertTrue(c.cas("new", b"5", cas, noreply=False))
        self.assertFalse(c.cas("new", b"6", cas, noreply=False))
        self.assertEqual(c.get("new"), b"5")
        self.assertEqual(c.incr("n", 1), None)
        c.set("n", b"10", noreply=False)
        self.assertEqual(c.incr("n", 5), 15)
        self.assertEqual(c.decr("n", 20), 0)
        self.assertTrue(c.touch("n", 100, noreply=False))
        self.assertTrue(c.delete("n", noreply=False))
        self.assertFalse(c.delete("n", noreply=False))
        self.assertTrue(c.version())

    def test_noreply_is_quiet_and_ordered(self):
        c = self.client()
        for i in range(200):
            c.set(f"nr{i}", str(i).encode(), noreply=True)
        self.assertEqual(c.get("nr199"), b"199")
        self.assertEqual(c.get_many([f"nr{i}" for i in range(200)]),
                         {f"nr{i}": str(i).encode() for i in range(200)})

    def test_multi_get_spans_servers_in_key_order(self):
        c = self.client()
        keys = [f"multi:{i}" for i in range(100)]
        for i, k in enumerate(keys):
            c.set(k, str(i).encode(), noreply=False)
        self.assertTrue(all(self.direct(s).stats()[b"curr_items"] > 10 for s in self.servers))
        r = Raw(self.port)
        asked = ["multi:5", "missing", "multi:77", "multi:5", "multi:0"]
        r.send(b"get " + " ".join(asked).encode() + b"\r\n")
        self.assertEqual(r.expect(b"VALUE multi:5 0 1\r\n5\r\nVALUE multi:77 0 2\r\n77\r\n"
                                  b"VALUE multi:5 0 1\r\n5\r\nVALUE multi:0 0 1\r\n0\r\nEND\r\n"),
                         b"VALUE multi:5 0 1\r\n5\r\nVALUE multi:77 0 2\r\n77\r\n"
                         b"VALUE multi:5 0 1\r\n5\r\nVALUE multi:0 0 1\r\n0\r\nEND\r\n")
        result = c.gets_many(keys)
        self.assertEqual(sorted(result), sorted(keys))
        r.send(b"gat 100 " + " ".join(keys[:50]).encode() + b"\r\n")
        expected = b"".join(b"VALUE %s 0 %d\r\n%d\r\n" % (k.encode(), len(str(i)), i)
                            for i, k in enumerate(keys[:50])) + b"END\r\n"
        self.assertEqual(r.expect(expected), expected)

    def test_large_value(self):
        c = self.client()
        value = os.urandom(1024 * 1024)
        self.assertTrue(c.set("big", value, noreply=False))
        self.assertEqual(c.get("big"), value)

    def test_meta_commands(self):
        r = Raw(self.port)
        r.send(b"ms meta1 2 T60 F5\r\nhi\r\n")
        self.assertEqual(r.expect(b"HD\r\n"), b"HD\r\n")
        r.send(b"mg meta1 v f t\r\n")
        line = r.expect(b"VA 2 f5 t60\r\nhi\r\n")
        self.assertTrue(line.startswith(b"VA 2 f5 t"), line)
        # Quiet mode: a miss says nothing, a hit does; mn marks the end of the pipeline.
        r.send(b"mg nothere v q\r\nmg meta1 v q\r\nmn\r\n")
        self.assertEqual(r.expect(b"VA 2\r\nhi\r\nMN\r\n"), b"VA 2\r\nhi\r\nMN\r\n")
        r.send(b"ma counter N0 J5 v\r\nma counter v\r\nmd counter q\r\nmn\r\n")
        self.assertEqual(r.expect(b"VA 1\r\n5\r\nVA 1\r\n6\r\nMN\r\n"),
                         b"VA 1\r\n5\r\nVA 1\r\n6\r\nMN\r\n")
        # A base64 key (b flag) is routed by its decoded bytes: the same server as the plain key.
        r.send(b"ms bWV0YTI= 1 b\r\nx\r\nmg meta2 v\r\n")
        self.assertEqual(r.expect(b"HD\r\nVA 1\r\nx\r\n"), b"HD\r\nVA 1\r\nx\r\n")
        r.send(b"mg meta1 v O123 k\r\n")
        self.assertEqual(r.expect(b"VA 2 O123 kmeta1\r\nhi\r\n"), b"VA 2 O123 kmeta1\r\nhi\r\n")

    def test_errors_keep_the_connection(self):
        r = Raw(self.port)
        r.send(b"bogus\r\n")
        self.assertEqual(r.expect(b"ERROR\r\n"), b"ERROR\r\n")
        r.send(b"get " + b"k" * 251 + b"\r\n")
        self.assertEqual(r.expect(b"CLIENT_ERROR bad command line format\r\n"),
                         b"CLIENT_ERROR bad command line format\r\n")
        # As memcached: the declared 2 bytes + 2 are skipped, the leftover "\r\n" is an empty line.
        r.send(b"set x 0 0 2\r\nabcd\r\n")
        self.assertEqual(r.expect(b"CLIENT_ERROR bad data chunk\r\nERROR\r\n"),
                         b"CLIENT_ERROR bad data chunk\r\nERROR\r\n")
        r.send(b"incr x notanumber\r\n")
        self.assertEqual(r.expect(b"CLIENT_ERROR invalid numeric delta argument\r\n"),
                         b"CLIENT_ERROR invalid numeric delta argument\r\n")
        r.send(b"set ok 0 0 1\r\n1\r\nget ok\r\n")
        self.assertEqual(r.expect(b"STORED\r\nVALUE ok 0 1\r\n1\r\nEND\r\n"),
                         b"STORED\r\nVALUE ok 0 1\r\n1\r\nEND\r\n")

    def test_binary_protocol_is_refused_and_closed(self):
        r = Raw(self.port)
        r.send(b"\x80\x00\x00\x05" + b"\x00" * 20)
        self.assertEqual(r.expect(b"CLIENT_ERROR binary protocol is not supported\r\n"),
                         b"CLIENT_ERROR binary protocol is not supported\r\n")
        self.assertTrue(r.closed())

    def test_quit_closes(self):
        r = Raw(self.port)
        r.send(b"set q 0 0 1\r\n1\r\nquit\r\nget q\r\n")
        self.assertEqual(r.expect(b"STORED\r\n"), b"STORED\r\n")
        self.assertTrue(r.closed())

    def test_flush_all_reaches_every_server(self):
        c = self.client()
        for i in range(60):
            c.set(f"flush{i}", b"x", noreply=False)
        self.assertTrue(c.flush_all(noreply=False))
        self.assertEqual(c.get_many([f"flush{i}" for i in range(60)]), {})


class Memcslap(unittest.TestCase):
    """libmemcached's own load generator (memcslap, libmemcached-tools) through a 2-worker pool:
    4 threads of random 20-60 byte keys and 50-5000 byte values; memcslap prints how many keys it
    stored or found, and exits 0 whatever failed, so the counts are what is checked."""

    concurrency, keys = 4, 2000

    @classmethod
    def setUpClass(cls):
        cls.cluster = Cluster().__enter__()
        cls.servers = [cls.cluster.memcached() for _ in range(3)]
        cls.port = free_port()
        cls.proxy = cls.cluster.coproxy(
            memcache_pool("mc", cls.port, [s.port for s in cls.servers], timeout=5000),
            "--threads", "2", admin=True)

    @classmethod
    def tearDownClass(cls):
        cls.cluster.__exit__(None, None, None)

    def memcslap(self, test):
        """Runs one memcslap test; returns the number of keys its threads stored or found."""
        run = subprocess.run(
            ["memcslap", f"--servers=127.0.0.1:{self.port}", f"--concurrency={self.concurrency}",
             f"--execute-number={self.keys}", f"--test={test}"],
            capture_output=True, text=True, timeout=120)
        out = run.stdout + run.stderr
        self.assertEqual(run.returncode, 0, out)
        self.assertNotRegex(out, r"(?i)fatal|fail|error", out)
        m = re.search(rf"^Time to {test} +(\d+) keys by +{self.concurrency} threads", out, re.M)
        self.assertIsNotNone(m, out)
        return int(m.group(1))

    def metrics(self):
        with urllib.request.urlopen(self.proxy.admin + "/metrics", timeout=10) as r:
            text = r.read().decode()
        totals = {}
        for name, value in re.findall(r"^(coproxy_\w+)(?:\{[^}]*\})? (\S+)$", text, re.M):
            totals[name] = totals.get(name, 0.0) + float(value)
        return totals

    def test_set_get_and_mget_spread_over_the_servers(self):
        # set: every thread stores the same 2000 keys; get: a fresh 2000 keys are loaded, then
        # every thread reads 2000 random ones of them; mget: a fresh 2000 keys are loaded, then
        # every thread asks for all of them in one multi-get (an ~80 KB command line).
        self.assertEqual(self.memcslap("set"), self.concurrency * self.keys)
        self.assertEqual(self.memcslap("get"), self.concurrency * self.keys)
        self.assertEqual(self.memcslap("mget"), self.concurrency * self.keys)
        items = []
        for server in self.servers:
            c = Client(("127.0.0.1", server.port), timeout=5)
            items.append(c.stats()[b"curr_items"])
            c.close()
        self.assertEqual(sum(items), 3 * self.keys, items)
        self.assertTrue(all(n > self.keys // 10 for n in items), items)
        m = self.metrics()
        for name in ("coproxy_protocol_errors_total", "coproxy_forward_errors_total",
                     "coproxy_client_errors_total", "coproxy_server_errors_total",
                     "coproxy_server_timeouts_total", "coproxy_server_eof_total"):
            self.assertEqual(m.get(name, 0.0), 0.0, name)
        self.assertGreater(m["coproxy_fragments_total"], 0)  # the multi-gets were split


class MemcacheServerKilled(unittest.TestCase):
    def test_server_killed_mid_stream(self):
        with Cluster() as cluster:
            servers = [cluster.memcached() for _ in range(3)]
            port = free_port()
            cluster.coproxy(memcache_pool("mc", port, [s.port for s in servers], timeout=2000))
            r = Raw(port)
            batch = b"".join(b"set s%d 0 0 1\r\nx\r\n" % i for i in range(3000))
            r.send(batch)
            self.assertEqual(r.expect(b"STORED\r\n" * 3000), b"STORED\r\n" * 3000)
            gets = b"".join(b"get s%d\r\n" % i for i in range(3000))
            r.send(gets[:len(gets) // 2])
            servers[1].signal(9)
            r.send(gets[len(gets) // 2:])
            replies = []
            while len(replies) < 3000:
                line = b""
                while not line.endswith(b"\r\n"):
                    line += r.expect(b"x")
                if line.startswith(b"VALUE"):
                    r.expect(b"x\r\nEND\r\n")
                    replies.append("hit")
                elif line == b"END\r\n":
                    replies.append("miss")
                else:
                    self.assertTrue(line.startswith(b"SERVER_ERROR"), line)
                    replies.append("error")
            self.assertEqual(len(replies), 3000)
            self.assertIn("error", replies)
            self.assertGreater(replies.count("hit"), 1000)
            r.send(b"version\r\n")
            self.assertEqual(r.expect(b"VERSION "), b"VERSION ")  # the connection still works


if __name__ == "__main__":
    unittest.main()
