// A server pool as configured: twemproxy's YAML keys plus coproxy's additions. Plain data; the
// loader (loader.hpp) fills and validates it, the runtime turns it into listeners and upstreams.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "coproxy/sharding/continuum.hpp"
#include "coproxy/sharding/hash.hpp"

namespace coproxy::config {

using millis = std::chrono::milliseconds;

enum class protocol_kind : std::uint8_t { tcp, redis, memcache };

// How a pool picks a server. ketama/modula/random are twemproxy's key distributions; the two
// balancers only make sense for tcp pools, where there is no key (ketama hashes the client
// address).
enum class distribution_kind : std::uint8_t {
    ketama,
    modula,
    random,
    round_robin,
    least_connections
};

std::string_view to_string(protocol_kind);
std::string_view to_string(distribution_kind);

// The key distribution a continuum is built with: ketama, modula or random (the balancers, which
// hash the client address in keyed mode, map to ketama).
sharding::distribution_kind key_distribution(distribution_kind);

// `host:port` (IPv4, hostname, or [IPv6]) or an absolute unix socket path with optional octal mode.
struct listen_address {
    std::string host;                   // empty for unix sockets
    std::uint16_t port = 0;             // 0 for unix sockets
    std::string path;                   // unix socket path, empty for tcp
    std::optional<mode_t> permissions;  // chmod() applied to the unix socket
    bool is_unix() const { return !path.empty(); }
    std::string to_string() const;  // canonical form, used to detect duplicates
};

// One `servers:` entry in twemproxy's format `host:port:weight [name]` or `/path:weight [name]`.
struct server_config {
    std::string host;  // hostname or address; resolved when connecting
    std::uint16_t port = 0;
    std::string path;  // unix socket backend
    std::uint32_t weight = 1;
    std::string name;  // optional; twemproxy uses it as the ketama identity
    int line = 0;      // 1-based line in the config file, for messages
    bool is_unix() const { return !path.empty(); }
    // The name used in stats and logs: the configured name, else host:port (or the path).
    std::string display_name() const;
    // The string ketama hashes for this server, by twemproxy's rule.
    std::string ketama_identity() const;
};

struct pool_config {
    std::string name;
    int line = 0;
    protocol_kind protocol = protocol_kind::memcache;
    listen_address listen;
    sharding::hash_kind hash = sharding::hash_kind::fnv1a_64;
    std::string hash_tag;  // empty or exactly two characters
    distribution_kind distribution = distribution_kind::ketama;
    std::optional<millis> timeout;  // request and connect timeout; unset = wait indefinitely
    millis connect_timeout{1000};   // coproxy: connect-only timeout when `timeout` is unset
    int backlog = 512;
    bool preconnect = false;
    std::string redis_auth;
    int redis_db = 0;
    int server_connections = 1;
    bool auto_eject_hosts = false;
    millis server_retry_timeout{30000};
    int server_failure_limit = 2;
    int client_connections = 0;  // 0 = unlimited (by this pool; --max-clients still applies)
    bool tcpkeepalive = false;
    bool reuseport = false;
    millis idle_timeout{0};  // coproxy: close a client (tcp: a pair) idle this long; 0 = never
    // coproxy's memory bounds (keyed pools); 0 in the file means the protocol's default.
    std::uint64_t max_request_bytes = 0;  // one request; redis: 512 MiB, memcache: 64 MiB
    std::uint64_t client_output_limit = 64 * 1024 * 1024;  // replies queued for one client
    int server_max_inflight = 1024;  // requests written to one server connection, unanswered
    // Redis pools: connection state (transactions, blocking commands, subscriptions).
    int pinned_connections = 64;           // leased connections per server per worker
    int transaction_max_commands = 10000;  // commands one MULTI may queue
    bool allow_flush = false;              // FLUSHDB / FLUSHALL reach every server
    bool allow_keys = false;               // KEYS reaches every server

    std::uint64_t effective_max_request_bytes() const {
        if (max_request_bytes != 0) {
            return max_request_bytes;
        }
        return protocol == protocol_kind::redis ? 512ULL * 1024 * 1024 : 64ULL * 1024 * 1024;
    }
    std::vector<server_config> servers;

    bool has_timeout() const { return timeout.has_value(); }
    millis effective_connect_timeout() const { return timeout ? *timeout : connect_timeout; }
};

}  // namespace coproxy::config
