// Pool keys: twemproxy's, with twemproxy's meaning and defaults, then coproxy's additions.
#include "config/pool_keys.hpp"

#include <algorithm>
#include <charconv>
#include <initializer_list>
#include <limits>

#include "config/address.hpp"
#include "config/values.hpp"

namespace coproxy::config {
namespace {

using problems = std::vector<key_problem>;

problems fail(std::string message, int line = 0) {
    return {key_problem{line, {}, std::move(message)}};
}

std::optional<std::string> scalar(const YAML::Node& node) {
    if (!node.IsScalar()) {
        return std::nullopt;
    }
    return node.Scalar();
}

std::string kind_name(const YAML::Node& node) {
    if (node.IsSequence()) {
        return "a list";
    }
    if (node.IsMap()) {
        return "a map";
    }
    return "'" + node.Scalar() + "'";
}

std::optional<long long> to_integer(const YAML::Node& node) {
    auto text = scalar(node);
    return text ? parse_integer(*text) : std::nullopt;
}

std::optional<bool> to_bool(const YAML::Node& node) {
    auto text = scalar(node);
    return text ? parse_bool(*text) : std::nullopt;
}

template <auto Member>
problems set_bool(pool_draft& d, const YAML::Node& node) {
    auto v = to_bool(node);
    if (!v) {
        return fail("expected true or false, got " + kind_name(node));
    }
    d.cfg.*Member = *v;
    return {};
}

template <auto Member, long long Min, long long Max>
problems set_bytes(pool_draft& d, const YAML::Node& node) {
    auto v = to_integer(node);
    if (!v) {
        return fail("expected a number of bytes, got " + kind_name(node));
    }
    if (*v < Min || *v > Max) {
        return fail("must be between " + std::to_string(Min) + " and " + std::to_string(Max) +
                    " bytes, got " + std::to_string(*v));
    }
    d.cfg.*Member = static_cast<std::uint64_t>(*v);
    return {};
}

template <auto Member, long long Min, long long Max>
problems set_int(pool_draft& d, const YAML::Node& node) {
    auto v = to_integer(node);
    if (!v) {
        return fail("expected an integer, got " + kind_name(node));
    }
    if (*v < Min || *v > Max) {
        return fail("must be between " + std::to_string(Min) + " and " + std::to_string(Max) +
                    ", got " + std::to_string(*v));
    }
    d.cfg.*Member = static_cast<int>(*v);
    return {};
}

// Durations are milliseconds as in twemproxy.
template <auto Member, long long Min, long long Max>
problems set_millis(pool_draft& d, const YAML::Node& node) {
    auto v = to_integer(node);
    if (!v) {
        return fail("expected milliseconds as an integer, got " + kind_name(node));
    }
    if (*v < Min || *v > Max) {
        return fail("must be between " + std::to_string(Min) + " and " + std::to_string(Max) +
                    " ms, got " + std::to_string(*v));
    }
    d.cfg.*Member = millis{*v};
    return {};
}

problems set_timeout(pool_draft& d, const YAML::Node& node) {
    auto v = to_integer(node);
    if (!v) {
        return fail("expected milliseconds as an integer, got " + kind_name(node));
    }
    if (*v == -1) {
        d.cfg.timeout.reset();  // twemproxy's spelling of "no timeout"
        return {};
    }
    if (*v < 1 || *v > 86'400'000) {
        return fail("must be between 1 and 86400000 ms (or -1 for none), got " +
                    std::to_string(*v));
    }
    d.cfg.timeout = millis{*v};
    return {};
}

problems set_listen(pool_draft& d, const YAML::Node& node) {
    auto text = scalar(node);
    if (!text) {
        return fail("expected host:port or /path/to.sock [mode], got " + kind_name(node));
    }
    auto address = parse_listen(*text);
    if (!address.value) {
        return fail(address.error + " in '" + *text + "'");
    }
    d.cfg.listen = std::move(*address.value);
    return {};
}

std::string joined(std::span<const std::string_view> names) {
    std::string out;
    for (auto n : names) {
        out += (out.empty() ? "" : ", ") + std::string(n);
    }
    return out;
}

problems set_hash(pool_draft& d, const YAML::Node& node) {
    auto text = scalar(node);
    auto kind = text ? sharding::parse_hash(trim(*text)) : std::nullopt;
    if (!kind) {
        return fail("unknown hash " + kind_name(node) + "; one of " +
                    joined(sharding::hash_names()));
    }
    d.cfg.hash = *kind;
    return {};
}

problems set_hash_tag(pool_draft& d, const YAML::Node& node) {
    auto text = scalar(node);
    if (!text || text->size() != 2) {
        return fail("expected exactly two characters, e.g. \"{}\", got " + kind_name(node));
    }
    d.cfg.hash_tag = *text;
    return {};
}

constexpr std::string_view distribution_names[] = {"ketama", "modula", "random", "round_robin",
                                                   "least_connections"};

problems set_distribution(pool_draft& d, const YAML::Node& node) {
    auto text = scalar(node);
    if (text) {
        for (std::size_t i = 0; i < std::size(distribution_names); ++i) {
            if (trim(*text) == distribution_names[i]) {
                d.distribution = static_cast<distribution_kind>(i);
                return {};
            }
        }
    }
    return fail("unknown distribution " + kind_name(node) + "; one of " +
                joined(distribution_names));
}

problems set_protocol(pool_draft& d, const YAML::Node& node) {
    auto text = scalar(node);
    const std::string v = text ? lowercase(trim(*text)) : "";
    if (v == "tcp") {
        d.protocol = protocol_kind::tcp;
    } else if (v == "redis") {
        d.protocol = protocol_kind::redis;
    } else if (v == "memcache" || v == "memcached") {
        d.protocol = protocol_kind::memcache;
    } else {
        return fail("unknown protocol " + kind_name(node) + "; one of tcp, redis, memcache");
    }
    return {};
}

problems set_redis(pool_draft& d, const YAML::Node& node) {
    auto v = to_bool(node);
    if (!v) {
        return fail("expected true or false, got " + kind_name(node));
    }
    d.redis = *v;
    return {};
}

problems set_redis_auth(pool_draft& d, const YAML::Node& node) {
    auto text = scalar(node);
    if (!text || text->empty()) {
        return fail("expected a non-empty password");
    }
    d.cfg.redis_auth = *text;
    return {};
}

problems set_servers(pool_draft& d, const YAML::Node& node) {
    if (!node.IsSequence()) {
        return fail("expected a list of 'host:port:weight [name]' entries, got " + kind_name(node));
    }
    problems out;
    for (const auto& item : node) {
        const int line = item.Mark().is_null() ? 0 : item.Mark().line + 1;
        auto text = scalar(item);
        if (!text) {
            out.push_back({line, {}, "expected 'host:port:weight [name]', got " + kind_name(item)});
            continue;
        }
        auto server = parse_server(*text);
        if (!server.value) {
            out.push_back({line, {}, server.error + ": '" + *text + "'"});
            continue;
        }
        server.value->line = line;
        d.cfg.servers.push_back(std::move(*server.value));
    }
    return out;
}

constexpr long long max_int = std::numeric_limits<int>::max();
constexpr long long day_ms = 86'400'000;
using C = pool_config;

// clang-format off
const pool_key keys[] = {
    {{"listen", "host:port | /path [mode]", "(required)",
      "Address clients connect to: host:port, [ipv6]:port, or a unix socket path with an optional "
      "octal mode (e.g. /run/coproxy.sock 0666).", true}, set_listen},
    {{"servers", "list", "(required)",
      "Backends as 'host:port:weight [name]' (or '/path.sock:weight [name]'). Host names are "
      "resolved when connecting. The name, when given, is the ketama identity.", true}, set_servers},
    {{"redis", "bool", "false",
      "twemproxy's protocol switch: true speaks Redis, false memcached (unless 'protocol' says tcp).",
      true}, set_redis},
    {{"hash", "enum", "fnv1a_64 (tcp: md5)",
      "Key hash: one_at_a_time, md5, crc16, crc32, crc32a, fnv1_64, fnv1a_64, fnv1_32, fnv1a_32, "
      "hsieh, murmur, jenkins. Values are identical to twemproxy's.", true}, set_hash},
    {{"hash_tag", "2 chars", "none",
      "Two characters, e.g. \"{}\": only the part of the key between them is hashed.", true},
     set_hash_tag},
    {{"distribution", "enum", "ketama (tcp: round_robin)",
      "ketama, modula or random for redis/memcache pools (twemproxy's); tcp pools also take "
      "round_robin and least_connections, and ketama hashes the client address.", true},
     set_distribution},
    {{"timeout", "ms", "-1 (none)",
      "Connect timeout, and how long a request may wait for its reply, counted from when it is "
      "written to the server.", true}, set_timeout},
    {{"backlog", "int", "512", "listen() backlog.", true}, set_int<&C::backlog, 1, 65535>},
    {{"client_connections", "int", "0 (unlimited)",
      "Most clients this pool serves at once, across all workers; more are accepted and closed "
      "with the protocol's error line. twemproxy parses this key but ignores it.", true},
     set_int<&C::client_connections, 0, max_int>},
    {{"tcpkeepalive", "bool", "false", "SO_KEEPALIVE on client and server sockets.", true},
     set_bool<&C::tcpkeepalive>},
    {{"preconnect", "bool", "false",
      "Connect to every server at start (tcp pools: keep server_connections warm sockets per "
      "server per worker, handed to new clients).", true}, set_bool<&C::preconnect>},
    {{"redis_auth", "string", "none",
      "Password: clients must AUTH with it, and coproxy sends AUTH to backends on connect.", true},
     set_redis_auth},
    {{"redis_db", "int", "0", "SELECT this database on every backend connection.", true},
     set_int<&C::redis_db, 0, max_int>},
    {{"server_connections", "int", "1",
      "Connections per server per worker (redis/memcache: pipelined, shared by clients; tcp: warm "
      "pool size with preconnect).", true}, set_int<&C::server_connections, 1, 1024>},
    {{"auto_eject_hosts", "bool", "false",
      "Take a server out of the distribution after server_failure_limit consecutive failures.",
      true}, set_bool<&C::auto_eject_hosts>},
    {{"server_retry_timeout", "ms", "30000", "How long an ejected server stays out.", true},
     set_millis<&C::server_retry_timeout, 1, day_ms>},
    {{"server_failure_limit", "int", "2", "Consecutive failures that eject a server.", true},
     set_int<&C::server_failure_limit, 1, max_int>},
    {{"reuseport", "bool", "false",
      "Let other processes bind the same listen address (SO_REUSEPORT). coproxy's own workers "
      "always share it.", true}, set_bool<&C::reuseport>},
    {{"protocol", "enum", "from 'redis'",
      "tcp, redis or memcache. tcp is a plain L4 relay; the other two may also be chosen with "
      "twemproxy's 'redis' key.", false}, set_protocol},
    {{"connect_timeout", "ms", "1000",
      "Connect timeout when 'timeout' is not set ('timeout' covers connects when it is).", false},
     set_millis<&C::connect_timeout, 1, day_ms>},
    {{"idle_timeout", "ms", "0 (never)",
      "Close a client connection (tcp: a client/server pair) idle this long.", false},
     set_millis<&C::idle_timeout, 0, day_ms>},
    {{"max_request_bytes", "bytes", "redis 536870912, memcache 67108864",
      "Largest request a client may send (Redis's proto-max-bulk-len applies per argument); "
      "a larger one is refused with the protocol's error and the connection closed.", false},
     set_bytes<&C::max_request_bytes, 1024, 4LL * 1024 * 1024 * 1024>},
    {{"client_output_limit", "bytes", "67108864",
      "Replies waiting to be written to one client; a client that sends but never reads is cut "
      "off at this limit (Redis's client-output-buffer-limit).", false},
     set_bytes<&C::client_output_limit, 1024, 64LL * 1024 * 1024 * 1024>},
    {{"server_max_inflight", "int", "1024",
      "Requests written to one server connection and not yet answered; more wait their turn.",
      false},
     set_int<&C::server_max_inflight, 1, 1'000'000>},
    {{"pinned_connections", "int", "64",
      "Redis pools: connections per server per worker that clients lease for connection state "
      "(MULTI/EXEC, WATCH, blocking commands, subscriptions), kept warm and reused. Past it a "
      "client asking for one gets an error at once; its connection stays open.", false},
     set_int<&C::pinned_connections, 1, 100'000>},
    {{"transaction_max_commands", "int", "10000",
      "Redis pools: commands one MULTI may queue; past it (or past max_request_bytes queued) the "
      "command is refused and EXEC answers -EXECABORT.", false},
     set_int<&C::transaction_max_commands, 1, 10'000'000>},
    {{"allow_flush", "bool", "false",
      "Redis pools: let FLUSHDB and FLUSHALL empty every server of the pool.", false},
     set_bool<&C::allow_flush>},
    {{"allow_keys", "bool", "false",
      "Redis pools: let KEYS run on every server (it blocks each server while it scans; SCAN "
      "does not).", false},
     set_bool<&C::allow_keys>},
};
// clang-format on

std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) {
        row[j] = j;
    }
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t above = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1])});
            diagonal = above;
        }
    }
    return row[b.size()];
}

void resolve_protocol(pool_draft& d, problems& out) {
    if (d.protocol && d.redis) {
        const bool consistent = (*d.protocol == protocol_kind::redis) == *d.redis;
        if (!consistent) {
            out.push_back({0, "protocol",
                           "protocol '" + std::string(to_string(*d.protocol)) +
                               "' contradicts 'redis: " + (*d.redis ? "true" : "false") + "'"});
        }
    }
    if (d.protocol) {
        d.cfg.protocol = *d.protocol;
    } else {
        d.cfg.protocol = d.redis.value_or(false) ? protocol_kind::redis : protocol_kind::memcache;
    }
}

void resolve_distribution(pool_draft& d, problems& out) {
    const bool tcp = d.cfg.protocol == protocol_kind::tcp;
    d.cfg.distribution =
        d.distribution.value_or(tcp ? distribution_kind::round_robin : distribution_kind::ketama);
    const bool balancer = d.cfg.distribution == distribution_kind::round_robin ||
                          d.cfg.distribution == distribution_kind::least_connections;
    if (balancer && !tcp) {
        out.push_back({0, "distribution",
                       std::string(to_string(d.cfg.distribution)) +
                           " is for tcp pools only; keyed pools use ketama, modula or random"});
    }
}

void check_servers(const pool_draft& d, problems& out) {
    std::vector<sharding::node> nodes;
    for (const auto& s : d.cfg.servers) {
        nodes.push_back({s.ketama_identity(), s.weight});
    }
    // twemproxy refuses two servers with one identity: their keys could not be told apart.
    if (auto dup = sharding::find_duplicate_identity(nodes)) {
        const auto& s = d.cfg.servers[*dup];
        out.push_back({s.line, "servers",
                       "two servers share the identity '" + nodes[*dup].identity +
                           "' (give them distinct names)"});
    }
}

// Keys that were given but do not apply to this pool's protocol.
void reject_present(const std::set<std::string>& present,
                    std::initializer_list<std::string_view> names, const std::string& why,
                    problems& out) {
    for (std::string_view key : names) {
        if (present.count(std::string(key)) != 0) {
            out.push_back({0, std::string(key), why});
        }
    }
}

}  // namespace

const pool_key* find_pool_key(std::string_view name) {
    const auto* it = std::find_if(std::begin(keys), std::end(keys),
                                  [&](const pool_key& k) { return k.info.name == name; });
    return it == std::end(keys) ? nullptr : it;
}

std::string suggest_key(std::string_view unknown) {
    for (const auto& k : keys) {
        if (edit_distance(unknown, k.info.name) <= 2) {
            return "; did you mean '" + std::string(k.info.name) + "'?";
        }
    }
    return {};
}

std::vector<key_problem> finish_pool(pool_draft& d, const std::set<std::string>& present) {
    problems out;
    if (present.count("listen") == 0) {
        out.push_back({0, "listen", "missing; every pool needs a listen address"});
    }
    if (present.count("servers") == 0 || d.cfg.servers.empty()) {
        if (present.count("servers") != 0 && d.cfg.servers.empty()) {
            out.push_back({0, "servers", "empty; every pool needs at least one server"});
        } else if (present.count("servers") == 0) {
            out.push_back({0, "servers", "missing; every pool needs at least one server"});
        }
    }
    resolve_protocol(d, out);
    resolve_distribution(d, out);
    if (d.cfg.protocol == protocol_kind::tcp && present.count("hash") == 0) {
        d.cfg.hash = sharding::hash_kind::md5;  // client addresses cluster under fnv1a_64
    }
    check_servers(d, out);
    if (d.cfg.protocol != protocol_kind::redis) {
        reject_present(present,
                       {"redis_auth", "redis_db", "pinned_connections", "transaction_max_commands",
                        "allow_flush", "allow_keys"},
                       "only applies to redis pools (this pool speaks " +
                           std::string(to_string(d.cfg.protocol)) + ")",
                       out);
    }
    if (d.cfg.protocol == protocol_kind::tcp) {
        // A byte relay has no requests or replies to bound; accepting these would promise a limit
        // that nothing enforces.
        reject_present(present, {"max_request_bytes", "client_output_limit", "server_max_inflight"},
                       "only applies to redis and memcache pools (this pool is a tcp relay)", out);
    }
    return out;
}

std::span<const pool_key_info> pool_key_table() {
    static const auto infos = [] {
        std::vector<pool_key_info> v;
        for (const auto& k : keys) {
            v.push_back(k.info);
        }
        return v;
    }();
    return infos;
}

std::string describe_config() {
    std::string out = "Pool keys (twemproxy's keys keep twemproxy's meaning):\n";
    for (const auto& k : keys) {
        out += "  " + std::string(k.info.name) + " (" + std::string(k.info.type) + ", default " +
               std::string(k.info.default_text) + ")" +
               (k.info.from_twemproxy ? "" : " [coproxy]") + "\n      " +
               std::string(k.info.description) + "\n";
    }
    out += "\nProcess options (flags; also COPROXY_<NAME> and the file's `coproxy:` section):\n";
    for (const auto& o : option_table()) {
        out += "  --" + std::string(o.name) + " (" + std::string(o.type) + ", default " +
               (o.default_text.empty() ? std::string("-") : std::string(o.default_text)) + ")" +
               (o.in_file ? ", file key " + file_key(o.name) : std::string()) + "\n      " +
               std::string(o.description) + "\n";
    }
    return out;
}

}  // namespace coproxy::config
