"""File descriptors run out on purpose: coproxy under a low RLIMIT_NOFILE with clients past it.
Connected clients keep working, the listener backs off instead of spinning (its CPU stays low,
its log bounded) and, as descriptors free up, the clients waiting in the backlog are served."""

import os
import socket
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import Cluster, free_port, redis_pool, until  # noqa: E402

PING = b"*1\r\n$4\r\nPING\r\n"


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def answered(s, timeout):
    s.settimeout(timeout)
    try:
        return s.recv(64) == b"+PONG\r\n"
    except (socket.timeout, OSError):
        return False


class FdExhaustion(unittest.TestCase):
    def test_clients_past_the_limit_wait_and_are_served_when_descriptors_free_up(self):
        with Cluster() as cluster:
            shard = cluster.redis()
            port = free_port()
            proxy = cluster.coproxy(redis_pool("cache", port, [shard.port]), "--threads", "1",
                                    max_fds=64)
            self.assertIn("file descriptors but the limit is 64", proxy.log())
            clients, served, waiting = [], [], []
            exhausted_since = time.monotonic()
            for _ in range(100):
                s = socket.create_connection(("127.0.0.1", port), timeout=5)
                s.sendall(PING)
                clients.append(s)
            for s in clients:
                (served if answered(s, 0.3) else waiting).append(s)
            self.assertGreater(len(served), 10)
            self.assertGreater(len(waiting), 10)  # the limit was reached
            # Descriptors stay exhausted for a while: no spin, a bounded log, clients served.
            cpu_before, started = cpu_seconds(proxy.proc.pid), time.monotonic()
            for _ in range(3):
                for s in served:
                    s.sendall(PING)
                    self.assertTrue(answered(s, 5), "a connected client stopped being served")
                time.sleep(1)
            elapsed = time.monotonic() - started
            self.assertLess(cpu_seconds(proxy.proc.pid) - cpu_before, 0.5 * elapsed)
            failures = proxy.log().count("accept failed")
            self.assertLess(failures, 2 * (time.monotonic() - exhausted_since) + 5,
                            "the accept failures flood the log")
            self.assertGreater(failures, 0)
            # Clients leave: the waiting ones are accepted and answered.
            for s in served:
                s.close()
            for s in waiting[:len(served) - 5]:
                self.assertTrue(answered(s, 10), "a waiting client was not served")
            self.assertIsNone(proxy.proc.poll())
            for s in waiting:
                s.close()


if __name__ == "__main__":
    unittest.main()
