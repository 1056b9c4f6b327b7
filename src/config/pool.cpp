// Names and identities derived from pool and server configs.
#include "coproxy/config/pool.hpp"

namespace coproxy::config {

std::string_view to_string(protocol_kind p) {
    switch (p) {
        case protocol_kind::tcp:
            return "tcp";
        case protocol_kind::redis:
            return "redis";
        case protocol_kind::memcache:
            return "memcache";
    }
    return "?";
}

std::string_view to_string(distribution_kind d) {
    switch (d) {
        case distribution_kind::ketama:
            return "ketama";
        case distribution_kind::modula:
            return "modula";
        case distribution_kind::random:
            return "random";
        case distribution_kind::round_robin:
            return "round_robin";
        case distribution_kind::least_connections:
            return "least_connections";
    }
    return "?";
}

sharding::distribution_kind key_distribution(distribution_kind d) {
    switch (d) {
        case distribution_kind::modula:
            return sharding::distribution_kind::modula;
        case distribution_kind::random:
            return sharding::distribution_kind::random;
        default:
            return sharding::distribution_kind::ketama;
    }
}

std::string listen_address::to_string() const {
    if (is_unix()) {
        return path;
    }
    if (host.find(':') != std::string::npos) {
        return "[" + host + "]:" + std::to_string(port);
    }
    return host + ":" + std::to_string(port);
}

std::string server_config::display_name() const {
    if (!name.empty()) {
        return name;
    }
    if (is_unix()) {
        return path;
    }
    return host + ":" + std::to_string(port);
}

std::string server_config::ketama_identity() const {
    return is_unix() ? sharding::ketama_identity(path, 0, name)
                     : sharding::ketama_identity(host, port, name);
}

}  // namespace coproxy::config
