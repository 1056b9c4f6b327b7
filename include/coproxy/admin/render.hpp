// What the admin endpoint and the stats port serve, rendered from the proxy's live counters
// (summed over workers when read): Prometheus text exposition and twemproxy's stats JSON.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "coproxy/process/proxy.hpp"

namespace coproxy::admin {

// The admin endpoint's own counters, process-wide (its connections are served by every worker).
struct admin_counters {
    std::atomic<std::int64_t> connections{0};
    std::atomic<std::uint64_t> refused_full{0};       // past --admin-max-connections
    std::atomic<std::uint64_t> refused_too_large{0};  // a request past the size limits
    std::atomic<std::uint64_t> refused_slow{0};       // a request not complete in time
};
admin_counters& counters();

// Prometheus text format 0.0.4, every name prefixed coproxy_.
std::string render_prometheus(const process::proxy& proxy);

// nutcracker's stats document: service, source, version, uptime, timestamp, total/curr
// connections, then one object per pool with its counters and one object per server.
std::string render_nutcracker_stats(const process::proxy& proxy);

// nutcracker's -D: the description of every stat.
std::string describe_stats();

}  // namespace coproxy::admin
