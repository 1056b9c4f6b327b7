// Prometheus exposition of the metric tables (runtime/metrics.hpp): one HELP/TYPE per family,
// one sample per pool or server, values summed over workers at scrape time.
#include <algorithm>
#include <cstdio>

#include "coproxy/admin/render.hpp"
#include "coproxy/frontend/commands.hpp"
#include "coproxy/runtime/system.hpp"

namespace coproxy::admin {
namespace {

using process::proxy;

std::string escape(std::string_view value) {
    std::string out;
    for (char c : value) {
        if (c == '\\' || c == '"') {
            out += '\\';
            out += c;
        } else if (c == '\n') {
            out += "\\n";
        } else {
            out += c;
        }
    }
    return out;
}

void family(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
    out += "# HELP coproxy_";
    out += name;
    out += ' ';
    out += help;
    out += "\n# TYPE coproxy_";
    out += name;
    out += ' ';
    out += type;
    out += '\n';
}

template <class Value>
void sample(std::string& out, std::string_view name, std::string_view labels, Value value) {
    out += "coproxy_";
    out += name;
    if (!labels.empty()) {
        out += '{';
        out += labels;
        out += '}';
    }
    out += ' ';
    if constexpr (std::is_floating_point_v<Value>) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.6f", value);
        out += buf;
    } else {
        out += std::to_string(value);
    }
    out += '\n';
}

std::string pool_label(const std::string& pool) {
    return "pool=\"" + escape(pool) + "\"";
}
std::string server_label(const std::string& pool, const std::string& server) {
    return pool_label(pool) + ",server=\"" + escape(server) + "\"";
}

template <class Cells, class Read>
auto sum(const Cells& workers, Read read) {
    decltype(read(workers.front())) total{};
    for (const auto& w : workers) {
        total += read(w);
    }
    return total;
}

// `field` picks the histogram in each worker's cells (default: its latency).
template <class Workers, class Field>
void histogram_samples(std::string& out, std::string_view name, const std::string& labels,
                       const Workers& workers, Field field) {
    std::uint64_t cumulative = 0;
    const auto& bounds = runtime::histogram::bounds;
    for (std::size_t i = 0; i <= bounds.size(); ++i) {
        cumulative += sum(workers, [i, field](const auto& w) { return (w.*field).bucket(i); });
        char le[32];
        if (i < bounds.size()) {
            std::snprintf(le, sizeof le, "%g", bounds[i]);
        } else {
            std::snprintf(le, sizeof le, "+Inf");
        }
        sample(out, std::string(name) + "_bucket", labels + ",le=\"" + le + "\"", cumulative);
    }
    sample(out, std::string(name) + "_sum", labels,
           sum(workers, [field](const auto& w) { return (w.*field).sum_seconds(); }));
    sample(out, std::string(name) + "_count", labels, cumulative);
}

void process_metrics(std::string& out, const proxy& p) {
    const auto uptime = std::chrono::duration<double>(runtime::clock::now() - p.started_at());
    family(out, "uptime_seconds", "gauge", "Seconds since coproxy started");
    sample(out, "uptime_seconds", "", uptime.count());
    family(out, "process_resident_memory_bytes", "gauge", "Resident set size");
    sample(out, "process_resident_memory_bytes", "", runtime::resident_memory_bytes());
    family(out, "process_open_fds", "gauge", "Open file descriptors");
    sample(out, "process_open_fds", "", runtime::open_fd_count());
    family(out, "workers", "gauge", "Worker threads (event loops)");
    sample(out, "workers", "", p.worker_count());
    family(out, "clients", "gauge", "Client connections open, all pools");
    sample(out, "clients", "", const_cast<proxy&>(p).process_gate().current());
    family(out, "max_clients", "gauge", "The process-wide admission limit (--max-clients)");
    sample(out, "max_clients", "", const_cast<proxy&>(p).process_gate().limit());
    family(out, "config_generation", "gauge", "Configuration generation, +1 per applied reload");
    sample(out, "config_generation", "", p.generation());
    family(out, "config_reloads_total", "counter", "Configuration reloads by result");
    sample(out, "config_reloads_total", "result=\"ok\"", p.reloads_ok());
    sample(out, "config_reloads_total", "result=\"failed\"", p.reloads_failed());
    family(out, "draining", "gauge", "1 while shutting down (readiness fails)");
    sample(out, "draining", "", p.draining() ? 1 : 0);
    const auto& admin = counters();
    family(out, "admin_connections", "gauge", "Admin HTTP connections open");
    sample(out, "admin_connections", "", admin.connections.load());
    family(out, "admin_refused_total", "counter",
           "Admin HTTP connections and requests refused, by reason");
    sample(out, "admin_refused_total", "reason=\"connections\"", admin.refused_full.load());
    sample(out, "admin_refused_total", "reason=\"too_large\"", admin.refused_too_large.load());
    sample(out, "admin_refused_total", "reason=\"slow\"", admin.refused_slow.load());
}

}  // namespace

std::string render_prometheus(const proxy& p) {
    std::string out;
    out.reserve(64 * 1024);
    process_metrics(out, p);
    const auto pools = p.pools();

#define COPROXY_POOL_FAMILY(field, prom, twem, help, type)                      \
    family(out, prom, type, help);                                              \
    for (const auto& view : pools) {                                            \
        const auto& st = *view.shared.stats;                                    \
        sample(out, prom, pool_label(st.name),                                  \
               sum(st.workers, [](const auto& w) { return w.field.value(); })); \
    }
#define COPROXY_POOL_COUNTER(field, prom, twem, help) \
    COPROXY_POOL_FAMILY(field, prom, twem, help, "counter")
#define COPROXY_POOL_GAUGE(field, prom, twem, help) \
    COPROXY_POOL_FAMILY(field, prom, twem, help, "gauge")
    COPROXY_POOL_METRICS(COPROXY_POOL_COUNTER, COPROXY_POOL_GAUGE)

#define COPROXY_SERVER_FAMILY(field, prom, twem, help, type)                             \
    family(out, prom, type, help);                                                       \
    for (const auto& view : pools) {                                                     \
        for (const auto& server : view.shared.servers) {                                 \
            sample(out, prom, server_label(view.shared.config->name, server->name),      \
                   sum(server->workers, [](const auto& w) { return w.field.value(); })); \
        }                                                                                \
    }
#define COPROXY_SERVER_COUNTER(field, prom, twem, help) \
    COPROXY_SERVER_FAMILY(field, prom, twem, help, "counter")
#define COPROXY_SERVER_GAUGE(field, prom, twem, help) \
    COPROXY_SERVER_FAMILY(field, prom, twem, help, "gauge")
    COPROXY_SERVER_METRICS(COPROXY_SERVER_COUNTER, COPROXY_SERVER_GAUGE)

    family(out, "server_ejected", "gauge", "1 while a server is out of its pool's distribution");
    const auto now_us = std::chrono::duration_cast<std::chrono::microseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    for (const auto& view : pools) {
        const auto& cfg = *view.shared.config;
        for (const auto& server : view.shared.servers) {
            const auto at = server->ejected_at.load(std::memory_order_relaxed);
            const bool out_now = at != 0 && now_us - at < cfg.server_retry_timeout.count() * 1000;
            sample(out, "server_ejected", server_label(cfg.name, server->name), out_now ? 1 : 0);
        }
    }

    family(out, "commands_total", "counter", "Requests per command (redis and memcache pools)");
    for (const auto& view : pools) {
        const auto& st = *view.shared.stats;
        for (std::size_t c = 0; c < st.commands; ++c) {
            const auto n = sum(st.workers, [c](const auto& w) { return w.commands[c].value(); });
            if (n > 0) {
                const auto name = frontend::command_name(view.shared.config->protocol, c);
                sample(out, "commands_total",
                       pool_label(st.name) + ",command=\"" + escape(name) + "\"", n);
            }
        }
    }

    family(out, "request_duration_seconds", "histogram",
           "Request time seen by the client, from parsed to reply written");
    for (const auto& view : pools) {
        if (view.shared.config->protocol != config::protocol_kind::tcp) {
            histogram_samples(out, "request_duration_seconds", pool_label(view.shared.stats->name),
                              view.shared.stats->workers, &runtime::pool_metrics::latency);
        }
    }
    family(out, "server_request_duration_seconds", "histogram",
           "Upstream time, from written to the server to its reply");
    for (const auto& view : pools) {
        if (view.shared.config->protocol == config::protocol_kind::tcp) {
            continue;
        }
        for (const auto& server : view.shared.servers) {
            histogram_samples(out, "server_request_duration_seconds",
                              server_label(view.shared.config->name, server->name), server->workers,
                              &runtime::server_metrics::latency);
        }
    }
    family(out, "server_lease_wait_seconds", "histogram",
           "Leases that had to open a connection: from asked for to connected");
    for (const auto& view : pools) {
        if (view.shared.config->protocol != config::protocol_kind::redis) {
            continue;
        }
        for (const auto& server : view.shared.servers) {
            histogram_samples(out, "server_lease_wait_seconds",
                              server_label(view.shared.config->name, server->name), server->workers,
                              &runtime::server_metrics::lease_wait);
        }
    }
    return out;
}

}  // namespace coproxy::admin
