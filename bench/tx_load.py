"""Load for bench/transactions.sh: `clients` connections, together `rate` MULTI/INCR/EXEC
transactions a second (each client paced on its own schedule), for `seconds`. Runs its clients in
`procs` processes of threads (redis-py, the client operators run). Prints one JSON line:
transactions done, errors, achieved rate, latency p50/p99/max in ms."""

import json
import multiprocessing
import sys
import threading
import time

import redis


def client_thread(port, rate, seconds, index, out):
    c = redis.Redis(port=port, single_connection_client=True)
    key = f"{{tx{index}}}counter"
    interval = 1.0 / rate
    start = time.monotonic()
    due = start + (index % 100) * interval / 100  # spread the clients' phases
    latencies, errors = [], 0
    while True:
        now = time.monotonic()
        if now - start >= seconds:
            break
        if due > now:
            time.sleep(due - now)
        t0 = time.monotonic()
        try:
            p = c.pipeline()  # MULTI, INCR, EXEC in one write
            p.incr(key)
            p.execute()
        except redis.RedisError:
            errors += 1
        latencies.append(time.monotonic() - t0)
        due += interval
    out.put((latencies, errors))


def proc_main(port, rates, seconds, first, out):
    threads = [threading.Thread(target=client_thread, args=(port, r, seconds, first + i, out))
               for i, r in enumerate(rates)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def main():
    port, clients, rate, seconds, procs = (int(a) for a in sys.argv[1:6])
    per_client = rate / clients
    out = multiprocessing.Queue()
    per_proc = [clients // procs + (1 if i < clients % procs else 0) for i in range(procs)]
    workers, first = [], 0
    for n in per_proc:
        p = multiprocessing.Process(target=proc_main,
                                    args=(port, [per_client] * n, seconds, first, out))
        first += n
        p.start()
        workers.append(p)
    latencies, errors = [], 0
    for _ in range(clients):
        lat, err = out.get()
        latencies.extend(lat)
        errors += err
    for p in workers:
        p.join()
    latencies.sort()
    pick = lambda q: round(latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000, 2)
    print(json.dumps({"transactions": len(latencies), "errors": errors,
                      "rate": round(len(latencies) / seconds, 1), "p50_ms": pick(0.5),
                      "p99_ms": pick(0.99), "max_ms": round(latencies[-1] * 1000, 2)}))


if __name__ == "__main__":
    main()
