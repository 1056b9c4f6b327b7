// What the admin endpoint and the stats port serve, rendered from the proxy's live counters
// (summed over workers when read): Prometheus text exposition and twemproxy's stats JSON.
#pragma once

#include <string>

#include "coproxy/process/proxy.hpp"

namespace coproxy::admin {

// Prometheus text format 0.0.4, every name prefixed coproxy_.
std::string render_prometheus(const process::proxy& proxy);

// nutcracker's stats document: service, source, version, uptime, timestamp, total/curr
// connections, then one object per pool with its counters and one object per server.
std::string render_nutcracker_stats(const process::proxy& proxy);

// nutcracker's -D: the description of every stat.
std::string describe_stats();

}  // namespace coproxy::admin
