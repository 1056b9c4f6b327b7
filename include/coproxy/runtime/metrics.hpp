// Counters as tables (one row per metric: field, Prometheus name, twemproxy stats name, help),
// kept per worker and summed when read. Each cell has one writer, its worker thread, so an
// increment is a relaxed load and store (a plain add on x86, no lock prefix); readers on other
// threads see a consistent, slightly stale value.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
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

// Request latency with fixed buckets from 100 us to 10 s (Prometheus histogram, seconds).
class histogram {
  public:
    static constexpr std::array<double, 16> bounds = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                                      0.01,   0.025,   0.05,   0.1,   0.25,   0.5,
                                                      1,      2.5,     5,      10};
    void observe(std::chrono::nanoseconds d) {
        const double seconds = std::chrono::duration<double>(d).count();
        std::size_t i = 0;
        while (i < bounds.size() && seconds > bounds[i]) {
            ++i;
        }
        buckets_[i].add();  // the last cell is +Inf
        sum_micros_.add(static_cast<std::uint64_t>(
            std::chrono::duration_cast<std::chrono::microseconds>(d).count()));
    }
    std::uint64_t bucket(std::size_t i) const { return buckets_[i].value(); }  // not cumulative
    double sum_seconds() const { return static_cast<double>(sum_micros_.value()) / 1e6; }

  private:
    std::array<counter, bounds.size() + 1> buckets_;
    counter sum_micros_;
};

// clang-format off
// X(field, Prometheus name without the coproxy_ prefix, twemproxy stats name or "", help)
#define COPROXY_POOL_METRICS(COUNTER, GAUGE)                                                       \
    GAUGE(client_connections, "client_connections", "client_connections",                         \
          "Client connections open")                                                              \
    COUNTER(client_connections_accepted, "client_connections_accepted_total", "",                 \
            "Client connections accepted")                                                        \
    COUNTER(client_connections_rejected, "client_connections_rejected_total", "",                 \
            "Client connections refused by an admission limit")                                   \
    COUNTER(client_eof, "client_eof_total", "client_eof", "Client connections closed by the client") \
    COUNTER(client_err, "client_errors_total", "client_err",                                      \
            "Client connections closed on an error")                                              \
    COUNTER(client_idle_timeouts, "client_idle_timeouts_total", "",                               \
            "Client connections closed by idle_timeout")                                          \
    COUNTER(client_output_overflows, "client_output_limit_closes_total", "",                      \
            "Clients cut off for letting replies pile up past client_output_limit")               \
    COUNTER(client_bytes_in, "client_received_bytes_total", "", "Bytes received from clients")     \
    COUNTER(client_bytes_out, "client_sent_bytes_total", "", "Bytes sent to clients")              \
    COUNTER(requests, "requests_total", "", "Requests received from clients")                     \
    COUNTER(responses, "responses_total", "", "Responses sent to clients")                        \
    COUNTER(protocol_errors, "protocol_errors_total", "", "Malformed client requests")            \
    COUNTER(forward_error, "forward_errors_total", "forward_error",                               \
            "Requests answered with coproxy's own error (no server, down, timed out, lost), "     \
            "and tcp connections no server would take")                                           \
    COUNTER(fragments, "fragments_total", "fragments",                                            \
            "Sub-requests made by splitting multi-key requests")                                  \
    COUNTER(server_ejects, "server_ejects_total", "server_ejects",                                \
            "Times a server of this pool was ejected")                                            \
    COUNTER(get_hits, "get_hits_total", "",                                                       \
            "memcache pools: keys a get/gets/gat/gats or mg found")                               \
    COUNTER(get_misses, "get_misses_total", "",                                                   \
            "memcache pools: keys a get/gets/gat/gats or mg did not find")                        \
    COUNTER(pubsub_resubscribes, "pubsub_resubscribes_total", "",                                 \
            "Redis pools: subscriptions restored after their server connection was lost")         \
    COUNTER(pubsub_gap_ms, "pubsub_gap_milliseconds_total", "",                                   \
            "Redis pools: time subscriptions were down (messages published then were missed)")

#define COPROXY_SERVER_METRICS(COUNTER, GAUGE)                                                     \
    GAUGE(server_connections, "server_connections", "server_connections",                         \
          "Connections open to this server")                                                      \
    COUNTER(server_connects, "server_connects_total", "", "Connections established to this server") \
    COUNTER(server_connect_failures, "server_connect_failures_total", "",                         \
            "Failed connection attempts to this server")                                          \
    COUNTER(server_eof, "server_eof_total", "server_eof", "Connections closed by this server")     \
    COUNTER(server_err, "server_errors_total", "server_err",                                      \
            "Connections to this server closed on an error")                                      \
    COUNTER(server_timedout, "server_timeouts_total", "server_timedout",                          \
            "Requests or connects that timed out")                                                \
    COUNTER(requests, "server_requests_total", "requests", "Requests sent to this server")        \
    COUNTER(request_bytes, "server_request_bytes_total", "request_bytes",                         \
            "Bytes sent to this server")                                                          \
    COUNTER(responses, "server_responses_total", "responses",                                     \
            "Responses received from this server")                                                \
    COUNTER(response_bytes, "server_response_bytes_total", "response_bytes",                      \
            "Bytes received from this server")                                                    \
    GAUGE(queued, "server_requests_queued", "in_queue", "Requests waiting to be sent")             \
    GAUGE(queued_bytes, "server_requests_queued_bytes", "in_queue_bytes",                         \
          "Bytes of requests waiting to be sent")                                                 \
    GAUGE(in_flight, "server_requests_in_flight", "out_queue",                                    \
          "Requests sent and awaiting their reply")                                               \
    GAUGE(in_flight_bytes, "server_requests_in_flight_bytes", "out_queue_bytes",                  \
          "Bytes of requests sent and awaiting their reply")                                      \
    GAUGE(leases, "server_leases", "",                                                            \
          "Connections leased by clients for connection state (MULTI, WATCH, blocking, pub/sub)") \
    COUNTER(lease_refusals, "server_lease_refusals_total", "",                                    \
            "Leases refused because pinned_connections were all leased")                          \
    COUNTER(lease_connects, "server_lease_connects_total", "",                                    \
            "Leased connections opened (the rest are warm ones reused)")
// clang-format on

#define COPROXY_DECLARE_COUNTER(field, name, nutcracker, help) counter field;
#define COPROXY_DECLARE_GAUGE(field, name, nutcracker, help) gauge field;

// alignas keeps two workers' cells off one cache line.
struct alignas(64) pool_metrics {
    COPROXY_POOL_METRICS(COPROXY_DECLARE_COUNTER, COPROXY_DECLARE_GAUGE)
    histogram latency;  // request time seen by the client: parsed -> reply written
    std::unique_ptr<counter[]> commands;  // per command (Redis table row / memcached command)
};

struct alignas(64) server_metrics {
    COPROXY_SERVER_METRICS(COPROXY_DECLARE_COUNTER, COPROXY_DECLARE_GAUGE)
    histogram latency;     // upstream time: written -> reply received
    histogram lease_wait;  // a lease that had to connect: asked for -> connection up
};

#undef COPROXY_DECLARE_COUNTER
#undef COPROXY_DECLARE_GAUGE

// One pool's cells, one set per worker. Shared (shared_ptr) between the services of a pool
// across reloads, so its counters continue when its servers change.
struct pool_stats {
    pool_stats(std::string pool_name, unsigned worker_count, std::size_t command_count)
        : name(std::move(pool_name)), workers(worker_count), commands(command_count) {
        for (auto& w : workers) {
            w.commands.reset(new counter[command_count]);
        }
    }
    std::string name;
    std::vector<pool_metrics> workers;
    std::size_t commands;  // cells in each worker's commands array
};

// One server's cells; shared by the upstreams of every generation that has this server.
struct server_stats {
    server_stats(std::string server_name, unsigned worker_count)
        : name(std::move(server_name)), workers(worker_count) {}
    std::string name;
    std::vector<server_metrics> workers;
    std::atomic<std::int64_t> ejected_at{0};    // unix microseconds of the last ejection; 0 = never
    std::atomic<std::int64_t> reachable_at{0};  // steady ms of the last successful connect
    std::atomic<std::int64_t> unreachable_at{0};  // steady ms of the last failed connect
};

using server_stats_list = std::vector<std::shared_ptr<server_stats>>;

}  // namespace coproxy::runtime
