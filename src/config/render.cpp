// YAML rendering of effective configuration; see render.hpp.
#include "coproxy/config/render.hpp"

#include <yaml-cpp/yaml.h>

#include <cstdio>

namespace coproxy::config {
namespace {

std::string octal(mode_t mode) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "0%o", static_cast<unsigned>(mode));
    return buf;
}

void emit_pool(YAML::Emitter& out, const pool_config& p, secrets s) {
    out << YAML::Key << p.name << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "listen" << YAML::Value
        << (p.listen.permissions ? p.listen.to_string() + " " + octal(*p.listen.permissions)
                                 : p.listen.to_string());
    out << YAML::Key << "protocol" << YAML::Value << std::string(to_string(p.protocol));
    out << YAML::Key << "redis" << YAML::Value << (p.protocol == protocol_kind::redis);
    out << YAML::Key << "hash" << YAML::Value << std::string(sharding::to_string(p.hash));
    if (!p.hash_tag.empty()) {
        out << YAML::Key << "hash_tag" << YAML::Value << YAML::DoubleQuoted << p.hash_tag;
    }
    out << YAML::Key << "distribution" << YAML::Value << std::string(to_string(p.distribution));
    out << YAML::Key << "timeout" << YAML::Value << (p.timeout ? p.timeout->count() : -1);
    out << YAML::Key << "connect_timeout" << YAML::Value << p.connect_timeout.count();
    out << YAML::Key << "idle_timeout" << YAML::Value << p.idle_timeout.count();
    out << YAML::Key << "backlog" << YAML::Value << p.backlog;
    out << YAML::Key << "client_connections" << YAML::Value << p.client_connections;
    out << YAML::Key << "tcpkeepalive" << YAML::Value << p.tcpkeepalive;
    out << YAML::Key << "preconnect" << YAML::Value << p.preconnect;
    out << YAML::Key << "server_connections" << YAML::Value << p.server_connections;
    out << YAML::Key << "auto_eject_hosts" << YAML::Value << p.auto_eject_hosts;
    out << YAML::Key << "server_failure_limit" << YAML::Value << p.server_failure_limit;
    out << YAML::Key << "server_retry_timeout" << YAML::Value << p.server_retry_timeout.count();
    out << YAML::Key << "reuseport" << YAML::Value << p.reuseport;
    if (p.protocol != protocol_kind::tcp) {
        out << YAML::Key << "max_request_bytes" << YAML::Value << p.effective_max_request_bytes();
        out << YAML::Key << "client_output_limit" << YAML::Value << p.client_output_limit;
        out << YAML::Key << "server_max_inflight" << YAML::Value << p.server_max_inflight;
    }
    if (p.protocol == protocol_kind::redis) {
        if (!p.redis_auth.empty()) {
            out << YAML::Key << "redis_auth" << YAML::Value
                << (s == secrets::redacted ? std::string("<redacted>") : p.redis_auth);
        }
        out << YAML::Key << "redis_db" << YAML::Value << p.redis_db;
    }
    out << YAML::Key << "servers" << YAML::Value << YAML::BeginSeq;
    for (const auto& server : p.servers) {
        // Appended piece by piece: GCC 12 at -O3 reports a false -Werror=restrict for
        // "literal" + std::string temporaries (GCC bug 105651).
        std::string line;
        if (server.is_unix()) {
            line = server.path;
        } else if (server.host.find(':') != std::string::npos) {
            line.append(1, '[')
                .append(server.host)
                .append("]:")
                .append(std::to_string(server.port));
        } else {
            line.append(server.host).append(1, ':').append(std::to_string(server.port));
        }
        line.append(1, ':').append(std::to_string(server.weight));
        if (!server.name.empty()) {
            line.append(1, ' ').append(server.name);
        }
        out << line;
    }
    out << YAML::EndSeq << YAML::EndMap;
}

}  // namespace

std::string render_pool(const pool_config& pool, secrets s) {
    YAML::Emitter out;
    out << YAML::BeginMap;
    emit_pool(out, pool, s);
    out << YAML::EndMap;
    return std::string(out.c_str()) + "\n";
}

std::string render_config(const config& cfg, const process_options& o, secrets s) {
    YAML::Emitter out;
    out << YAML::BeginMap;
    out << YAML::Key << "coproxy" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "threads" << YAML::Value << o.threads;
    out << YAML::Key << "max_clients" << YAML::Value << o.max_clients;
    out << YAML::Key << "shutdown_timeout" << YAML::Value
        << std::to_string(o.shutdown_timeout.count()) + "ms";
    out << YAML::Key << "drain_delay" << YAML::Value
        << std::to_string(o.drain_delay.count()) + "ms";
    out << YAML::Key << "verbose" << YAML::Value << o.verbose;
    out << YAML::Key << "output" << YAML::Value << o.output;
    out << YAML::Key << "log_format" << YAML::Value
        << (o.log_format == log_format::json ? "json" : "text");
    out << YAML::Key << "daemonize" << YAML::Value << o.daemonize;
    out << YAML::Key << "pid_file" << YAML::Value << o.pid_file;
    out << YAML::Key << "mbuf_size" << YAML::Value << o.mbuf_size;
    out << YAML::Key << "stats_port" << YAML::Value << o.stats_port;
    out << YAML::Key << "stats_addr" << YAML::Value << o.stats_addr;
    out << YAML::Key << "stats_interval" << YAML::Value << o.stats_interval.count();
    out << YAML::Key << "admin_addr" << YAML::Value << o.admin_addr;
    out << YAML::Key << "watch_config" << YAML::Value << o.watch_config;
    out << YAML::EndMap;
    for (const auto& pool : cfg.pools) {
        emit_pool(out, pool, s);
    }
    out << YAML::EndMap;
    return std::string(out.c_str()) + "\n";
}

}  // namespace coproxy::config
