// twemproxy's stats document and -D descriptions, from the same metric tables as /metrics, so
// dashboards and scripts written for nutcracker keep working.
#include <unistd.h>

#include "coproxy/admin/render.hpp"
#include "coproxy/version.hpp"

namespace coproxy::admin {
namespace {

std::string json_string(std::string_view s) {
    std::string out = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (static_cast<unsigned char>(c) < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", c);
            out += buf;
        } else {
            out += c;
        }
    }
    return out + "\"";
}

template <class Cells, class Read>
long long sum(const Cells& workers, Read read) {
    long long total = 0;
    for (const auto& w : workers) {
        total += static_cast<long long>(read(w));
    }
    return total;
}

std::string hostname() {
    char name[256] = {};
    ::gethostname(name, sizeof name - 1);
    return name;
}

}  // namespace

std::string render_nutcracker_stats(const process::proxy& p) {
    const auto pools = p.pools();
    const auto now = std::chrono::system_clock::now();
    const auto uptime =
        std::chrono::duration_cast<std::chrono::seconds>(runtime::clock::now() - p.started_at());
    long long total = 0;
    long long current = 0;
    for (const auto& view : pools) {
        total += sum(view.shared.stats->workers,
                     [](const auto& w) { return w.client_connections_accepted.value(); });
        current += sum(view.shared.stats->workers,
                       [](const auto& w) { return w.client_connections.value(); });
    }
    std::string out =
        "{\"service\":\"coproxy\", \"source\":" + json_string(hostname()) +
        ", \"version\":" + json_string(coproxy::version) +
        ", \"uptime\":" + std::to_string(uptime.count()) + ", \"timestamp\":" +
        std::to_string(
            std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count()) +
        ", \"total_connections\":" + std::to_string(total) +
        ", \"curr_connections\":" + std::to_string(current);
    for (const auto& view : pools) {
        const auto& st = *view.shared.stats;
        out += ", " + json_string(st.name) + ": {";
        bool first = true;
#define COPROXY_POOL_FIELD(field, prom, twem, help)                                            \
    if (!std::string_view(twem).empty()) {                                                     \
        out += first ? "" : ", ";                                                              \
        first = false;                                                                         \
        out += "\"" twem "\":" +                                                               \
               std::to_string(sum(st.workers, [](const auto& w) { return w.field.value(); })); \
    }
        COPROXY_POOL_METRICS(COPROXY_POOL_FIELD, COPROXY_POOL_FIELD)
#undef COPROXY_POOL_FIELD
        for (const auto& server : view.shared.servers) {
            out += ", " + json_string(server->name) + ": {";
            bool first_field = true;
            const auto emit = [&](std::string_view key, long long value) {
                out += first_field ? "" : ", ";
                first_field = false;
                // Appended: GCC 12 at -O3 reports a false -Werror=restrict for
                // "literal" + std::string temporaries (GCC bug 105651).
                out.append(1, '"').append(key).append("\":").append(std::to_string(value));
            };
#define COPROXY_SERVER_FIELD(field, prom, twem, help)                                           \
    if (std::string_view(twem) == "server_timedout") {                                          \
        emit(twem, sum(server->workers, [](const auto& w) { return w.field.value(); }));        \
        emit("server_connections",                                                              \
             sum(server->workers, [](const auto& w) { return w.server_connections.value(); })); \
        emit("server_ejected_at", server->ejected_at.load(std::memory_order_relaxed));          \
    } else if (!std::string_view(twem).empty() &&                                               \
               std::string_view(twem) != "server_connections") {                                \
        emit(twem, sum(server->workers, [](const auto& w) { return w.field.value(); }));        \
    }
            COPROXY_SERVER_METRICS(COPROXY_SERVER_FIELD, COPROXY_SERVER_FIELD)
#undef COPROXY_SERVER_FIELD
            out += "}";
        }
        out += "}";
    }
    return out + "}";
}

std::string describe_stats() {
    std::string out = "pool stats:\n";
    const auto line = [&](std::string_view name, std::string_view help) {
        std::string padded(name);
        padded.resize(std::max<std::size_t>(padded.size() + 2, 20), ' ');
        out += "  " + padded + "\"" + std::string(help) + "\"\n";
    };
#define COPROXY_DESCRIBE(field, prom, twem, help) \
    line(std::string_view(twem).empty() ? std::string_view(prom) : twem, help);
    COPROXY_POOL_METRICS(COPROXY_DESCRIBE, COPROXY_DESCRIBE)
    out += "\nserver stats:\n";
    COPROXY_SERVER_METRICS(COPROXY_DESCRIBE, COPROXY_DESCRIBE)
    line("server_ejected_at", "timestamp when server was ejected in usec since epoch");
#undef COPROXY_DESCRIBE
    out += "\nnutcracker's names are used where it has the stat; the others are coproxy's own.\n";
    return out;
}

}  // namespace coproxy::admin
