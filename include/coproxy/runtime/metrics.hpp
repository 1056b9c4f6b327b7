// Counters as tables (one row per metric: name, kind, help), kept per worker and summed when read.
// Each cell has one writer, its worker thread, so an increment is a relaxed load and store (a plain
// add on x86, no lock prefix); readers on other threads see a consistent, slightly stale value.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace coproxy::runtime {

class counter {
  public:
    void add(std::uint64_t n = 1) {
        value_.store(value_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
    }
    std::uint64_t value() const { return value_.load(std::memory_order_relaxed); }

  private:
    std::atomic<std::uint64_t> value_{0};
};

class gauge {
  public:
    void add(std::int64_t n = 1) {
        value_.store(value_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
    }
    void sub(std::int64_t n = 1) { add(-n); }
    void set(std::int64_t n) { value_.store(n, std::memory_order_relaxed); }
    std::int64_t value() const { return value_.load(std::memory_order_relaxed); }

  private:
    std::atomic<std::int64_t> value_{0};
};

// clang-format off
#define COPROXY_POOL_METRICS(COUNTER, GAUGE)                                                        \
    GAUGE(client_connections, "Client connections open")                                           \
    COUNTER(client_connections_accepted, "Client connections accepted")                            \
    COUNTER(client_connections_rejected, "Client connections refused by an admission limit")       \
    COUNTER(client_eof, "Client connections closed by the client")                                 \
    COUNTER(client_err, "Client connections closed on an error")                                  \
    COUNTER(client_idle_timeouts, "Client connections closed by idle_timeout")                     \
    COUNTER(client_bytes_in, "Bytes received from clients")                                        \
    COUNTER(client_bytes_out, "Bytes sent to clients")                                             \
    COUNTER(requests, "Requests received from clients")                                            \
    COUNTER(responses, "Responses sent to clients")                                                \
    COUNTER(protocol_errors, "Malformed client requests")                                          \
    COUNTER(forward_error, "Requests or connections no server could take")                         \
    COUNTER(fragments, "Sub-requests made by splitting multi-key requests")                        \
    COUNTER(server_ejects, "Times a server of this pool was ejected")

#define COPROXY_SERVER_METRICS(COUNTER, GAUGE)                                                      \
    GAUGE(server_connections, "Connections open to this server")                                   \
    COUNTER(server_connects, "Connections established to this server")                             \
    COUNTER(server_connect_failures, "Failed connection attempts to this server")                  \
    COUNTER(server_eof, "Connections closed by this server")                                       \
    COUNTER(server_err, "Connections to this server closed on an error")                           \
    COUNTER(server_timedout, "Requests or connects that timed out")                                \
    COUNTER(requests, "Requests sent to this server")                                              \
    COUNTER(request_bytes, "Bytes sent to this server")                                            \
    COUNTER(responses, "Responses received from this server")                                      \
    COUNTER(response_bytes, "Bytes received from this server")                                     \
    GAUGE(in_flight, "Requests sent and awaiting their reply")                                     \
    GAUGE(ejected, "1 while this server is ejected")
// clang-format on

#define COPROXY_DECLARE_COUNTER(name, help) counter name;
#define COPROXY_DECLARE_GAUGE(name, help) gauge name;

// alignas keeps two workers' cells off one cache line.
struct alignas(64) pool_metrics {
    COPROXY_POOL_METRICS(COPROXY_DECLARE_COUNTER, COPROXY_DECLARE_GAUGE)
};

struct alignas(64) server_metrics {
    COPROXY_SERVER_METRICS(COPROXY_DECLARE_COUNTER, COPROXY_DECLARE_GAUGE)
};

#undef COPROXY_DECLARE_COUNTER
#undef COPROXY_DECLARE_GAUGE

// One pool's cells for every worker, and the same for each of its servers. Kept alive by
// shared_ptr so a pool removed by a reload can finish counting while its clients drain.
struct pool_stats {
    std::string name;
    std::vector<pool_metrics> workers;
    struct server {
        std::string name;
        std::vector<server_metrics> workers;
    };
    std::vector<std::unique_ptr<server>> servers;

    pool_stats(std::string pool_name, unsigned worker_count)
        : name(std::move(pool_name)), workers(worker_count) {}
    server& add_server(std::string server_name, unsigned worker_count) {
        servers.push_back(std::make_unique<server>());
        servers.back()->name = std::move(server_name);
        servers.back()->workers = std::vector<server_metrics>(worker_count);
        return *servers.back();
    }
};

}  // namespace coproxy::runtime
