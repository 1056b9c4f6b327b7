#!/usr/bin/env python3
"""Holds many client connections open for bench/memory.sh and bench/soak.sh.

Driven by one command per line on stdin; answers each with one line on stdout:
  open PORT N PROTO   connect N more clients to 127.0.0.1:PORT (PROTO: redis or memcache)
                      -> "opened N failed F [first error]"
  request [PORT]      one request on every open client (of PORT only, if given), reply checked:
                      redis `GET coproxy:idle` (nil or a bulk), memcache `get coproxy:idle` (END)
                      -> "answered A failed F [error counts]"
  close               close every client -> "closed N"
Clients that failed a request are closed and forgotten, so the next `request` asks only live ones.
Connects go in small batches with a pause, so a proxy's accept backlog never overflows (an
overflowed backlog drops SYNs and turns a connect into a one-second retransmit).
"""
import collections
import resource
import socket
import sys
import time

BATCH = 200
REQUEST = {"redis": b"*2\r\n$3\r\nGET\r\n$12\r\ncoproxy:idle\r\n", "memcache": b"get coproxy:idle\r\n"}


def raise_nofile(n):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = n + 256
    if soft >= want:
        return
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(want, hard), max(want, hard)))
    except (ValueError, OSError):  # not privileged: as far as the hard limit goes
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def read_reply(s, proto):
    """One complete reply, or raises. Enough of RESP and memcached's text protocol for GET."""
    buf = b""
    while True:
        d = s.recv(65536)
        if not d:
            raise EOFError("closed by the proxy")
        buf += d
        if proto == "memcache":
            if buf.endswith(b"END\r\n") or (b"ERROR" in buf and buf.endswith(b"\r\n")):
                return buf
            continue
        if b"\r\n" not in buf:
            continue
        line = buf.split(b"\r\n", 1)[0]
        if line[:1] == b"$" and int(line[1:]) >= 0:
            if len(buf) >= len(line) + 2 + int(line[1:]) + 2:
                return buf
            continue
        return buf


def ok(reply, proto):
    if proto == "memcache":
        return reply.endswith(b"END\r\n") and b"ERROR" not in reply
    return reply[:1] == b"$"


def main():
    clients = []  # (socket, port, proto)
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        if words[0] == "open":
            port, n, proto = int(words[1]), int(words[2]), words[3]
            raise_nofile(len(clients) + n)
            opened, failed, first = 0, 0, ""
            for i in range(n):
                try:
                    s = socket.create_connection(("127.0.0.1", port), timeout=10)
                    clients.append((s, port, proto))
                    opened += 1
                except OSError as e:
                    failed += 1
                    first = first or "%s: %s" % (type(e).__name__, e)
                if i % BATCH == BATCH - 1:
                    time.sleep(0.02)
            print("opened %d failed %d %s" % (opened, failed, first), flush=True)
        elif words[0] == "request":
            only = int(words[1]) if len(words) > 1 else None
            chosen = [c for c in clients if only is None or c[1] == only]
            answered, errors, dead = 0, collections.Counter(), set()
            for i in range(0, len(chosen), 500):
                batch = chosen[i:i + 500]
                for s, _, proto in batch:
                    try:
                        s.sendall(REQUEST[proto])
                    except OSError as e:
                        errors["send: " + type(e).__name__] += 1
                        dead.add(s)
                for s, _, proto in batch:
                    if s in dead:
                        continue
                    try:
                        r = read_reply(s, proto)
                        if ok(r, proto):
                            answered += 1
                            continue
                        errors["reply %r" % r[:40]] += 1
                    except (OSError, EOFError, ValueError) as e:
                        errors[type(e).__name__] += 1
                    dead.add(s)
            for s in dead:
                s.close()
            clients = [c for c in clients if c[0] not in dead]
            detail = " ".join("[%s]x%d" % kv for kv in errors.most_common(3))
            print("answered %d failed %d %s" % (answered, sum(errors.values()), detail), flush=True)
        elif words[0] == "close":
            for s, _, _ in clients:
                s.close()
            print("closed %d" % len(clients), flush=True)
            clients = []
        else:
            print("unknown command %r" % words[0], flush=True)


if __name__ == "__main__":
    main()
