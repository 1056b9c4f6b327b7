"""Processes for the Python integration tests: real redis-server, memcached and coproxy on free
ports of 127.0.0.1, each stopped by pid when the test is done (also when it fails)."""

import os
import random
import resource
import signal
import socket
import subprocess
import tempfile
import time

COPROXY = os.environ.get("COPROXY_BINARY", "build/src/coproxy")

# The one timing knob: every wait for something to happen (a port, a log line, a condition) is
# its nominal time times BUDGET. .ci/sanitizers and the stress stage raise it (a TSan build under
# a CPU hog runs many times slower); waits are for events, so a larger budget costs nothing
# when things are fast.
BUDGET = float(os.environ.get("COPROXY_TEST_BUDGET", "1"))


def budget(seconds):
    """`seconds` scaled by the test budget."""
    return seconds * BUDGET


def free_port():
    """A port nobody uses now, below the kernel's ephemeral range (32768+), so an outgoing
    connection cannot take it between this check and the bind of the process it is meant for."""
    while True:
        port = random.randrange(20000, 32000)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue


def wait_for_port(port, timeout=10.0):
    deadline = time.time() + budget(timeout)
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return True
        except OSError:
            time.sleep(0.02)
    return False


class Process:
    """A child process with its output in a log file; stop() ends it by pid."""

    def __init__(self, argv, log_path, preexec_fn=None):
        self.log_path = log_path
        self.log_file = open(log_path, "ab")
        self.proc = subprocess.Popen(argv, stdout=self.log_file, stderr=subprocess.STDOUT,
                                     start_new_session=True, preexec_fn=preexec_fn)

    def log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def signal(self, sig):
        if self.proc.poll() is None:
            os.kill(self.proc.pid, sig)

    def stop(self, grace=10.0):
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(grace)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log_file.close()
        return self.proc.returncode


class Cluster:
    """Backends plus one coproxy in front of them; use as a context manager."""

    def __init__(self):
        self.dir = tempfile.TemporaryDirectory(prefix="coproxy-py-")
        self.processes = []

    def path(self, name):
        return os.path.join(self.dir.name, name)

    def redis(self, *extra, port=None):
        """A redis-server; `port` restarts one where its pool expects it."""
        port = port or free_port()
        p = Process(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                     "--appendonly", "no", "--protected-mode", "no", *extra],
                    self.path(f"redis-{port}.log"))
        self.processes.append(p)
        assert wait_for_port(port), p.log()
        p.port = port
        return p

    def memcached(self, *extra):
        port = free_port()
        p = Process(["memcached", "-p", str(port), "-U", "0", "-l", "127.0.0.1", "-u", "root",
                     *extra], self.path(f"memcached-{port}.log"))
        self.processes.append(p)
        assert wait_for_port(port), p.log()
        p.port = port
        return p

    def coproxy(self, yaml, *flags, admin=False, max_fds=None):
        """Starts coproxy on `yaml`; with admin=True it gets an admin endpoint (p.admin) and a
        stats port (p.stats_port) on free ports; `max_fds` caps its RLIMIT_NOFILE (soft and
        hard, so it cannot raise it)."""
        conf = self.path("coproxy.yml")
        with open(conf, "w") as f:
            f.write(yaml)
        admin_port, stats_port = (free_port(), free_port()) if admin else (None, 0)
        admin_addr = f"127.0.0.1:{admin_port}" if admin else ""
        argv = [COPROXY, "-c", conf, "-v", "6", "--admin-addr", admin_addr, "-s",
                str(stats_port), "-a", "127.0.0.1", *flags]
        if "--drain-delay" not in flags:
            argv += ["--drain-delay", "0"]
        limit = None
        if max_fds is not None:
            def limit():
                resource.setrlimit(resource.RLIMIT_NOFILE, (max_fds, max_fds))
        p = Process(argv, self.path("coproxy.log"), preexec_fn=limit)
        p.conf = conf
        p.admin = f"http://127.0.0.1:{admin_port}" if admin else None
        p.stats_port = stats_port
        self.processes.append(p)
        deadline = time.time() + budget(10)
        while " started: " not in p.log():
            assert p.proc.poll() is None and time.time() < deadline, p.log()
            time.sleep(0.02)
        return p

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        for p in reversed(self.processes):
            p.stop()
        self.dir.cleanup()


def redis_pool(name, listen_port, servers, **keys):
    lines = [f"{name}:", f"  listen: 127.0.0.1:{listen_port}", "  redis: true"]
    lines += [f"  {k}: {v}" for k, v in keys.items()]
    lines.append("  servers:")
    lines += [f"    - 127.0.0.1:{port}:1" for port in servers]
    return "\n".join(lines) + "\n"


def memcache_pool(name, listen_port, servers, **keys):
    """A pool that speaks memcached unless `keys` say otherwise (no 'redis:' line: its default)."""
    lines = [f"{name}:", f"  listen: 127.0.0.1:{listen_port}"]
    lines += [f"  {k}: {v}" for k, v in keys.items()]
    lines.append("  servers:")
    lines += [f"    - 127.0.0.1:{port}:1" for port in servers]
    return "\n".join(lines) + "\n"


def until(predicate, timeout=10.0):
    """Polls `predicate` until it holds or `timeout` seconds (times the budget) pass; its last
    answer."""
    deadline = time.time() + budget(timeout)
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def raw_exchange(port, data, read_until_close=False, timeout=5.0):
    """Sends raw bytes, returns what comes back (until close, or until the socket goes quiet)."""
    timeout = budget(timeout)
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.sendall(data)
    chunks = []
    s.settimeout(timeout if read_until_close else 0.5)
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    except socket.timeout:
        pass
    s.close()
    return b"".join(chunks)
