// What a Redis session answers itself: PING, ECHO, QUIT, SELECT, AUTH, HELLO (RESP2), CLIENT (this
// client's own name, info and flags), COMMAND (from the command table) and the INFO text.
#include <unistd.h>

#include <algorithm>
#include <boost/asio/ip/tcp.hpp>
#include <charconv>
#include <cstring>

#include "coproxy/protocol/redis_info.hpp"
#include "coproxy/protocol/redis_introspection.hpp"
#include "coproxy/version.hpp"
#include "frontend/redis_session.hpp"
#include "frontend/redis_state.hpp"

namespace coproxy::frontend {
namespace {

namespace redis = protocol::redis;

const auto process_start = runtime::clock::now();

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

// Compares without an early exit, so response time says nothing about how much matched.
bool constant_time_equal(std::string_view a, std::string_view b) {
    unsigned char diff = a.size() == b.size() ? 0 : 1;
    const std::size_t n = std::max(a.size(), b.size());
    for (std::size_t i = 0; i < n; ++i) {
        const unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
        const unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
        diff |= static_cast<unsigned char>(x ^ y);
    }
    return diff == 0;
}

std::string bulk(std::string_view s) {
    std::string out;
    redis::append_bulk(s, out);
    return out;
}

std::string arity_error(std::string_view name) {
    std::string out;
    redis::format_arity_error(name, out);
    return out;
}

std::string unknown_subcommand(std::string_view sub, std::string_view container) {
    std::string out = "-ERR unknown subcommand '";
    for (std::size_t i = 0; i < sub.size() && i < 128; ++i) {
        out += sub[i] == '\r' || sub[i] == '\n' ? ' ' : sub[i];
    }
    out += "'. Try " + std::string(container) + " HELP.\r\n";
    return out;
}

// Redis's rule for client names and library info: printable ASCII, no spaces.
bool valid_client_text(std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return c > 32 && c < 127; });
}

std::string help_reply(std::initializer_list<std::string_view> lines) {
    std::string out;
    redis::append_array_header(lines.size(), out);
    for (const auto line : lines) {
        out += "+";
        out += line;
        out += "\r\n";
    }
    return out;
}

std::string endpoint_text(const runtime::stream_protocol::endpoint& e) {
    if (e.protocol().family() == AF_INET || e.protocol().family() == AF_INET6) {
        asio::ip::tcp::endpoint tcp;
        std::memcpy(tcp.data(), e.data(), std::min<std::size_t>(e.size(), tcp.capacity()));
        tcp.resize(e.size());
        const auto address = tcp.address();
        // Appended: GCC 12 at -O3 reports a false -Werror=restrict for "literal" + std::string
        // temporaries (GCC bug 105651).
        std::string text;
        if (address.is_v6()) {
            text.append(1, '[').append(address.to_string()).append(1, ']');
        } else {
            text = address.to_string();
        }
        return text.append(1, ':').append(std::to_string(tcp.port()));
    }
    return "/unix";
}

}  // namespace

redis_session::client_meta& redis_session::meta() {
    if (!meta_) {
        meta_ = std::make_unique<client_meta>();
    }
    return *meta_;
}

void redis_session::answer_locally(const redis::command_info& info) {
    const std::string_view name = info.name;
    if (name == "ping") {
        if (argv_.size() > 2) {
            reply_local(arity_error("ping"));
        } else if (subscribed()) {
            subscribed_ping();
        } else {
            reply_local(argv_.size() == 2 ? bulk(argv_[1]) : "+PONG\r\n");
        }
    } else if (name == "echo") {
        reply_local(bulk(argv_[1]));
    } else if (name == "quit") {
        reply_local("+OK\r\n");
        quit_ = true;
    } else if (name == "select") {
        reply_local(argv_[1] == "0" ? "+OK\r\n"
                                    : "-ERR only database 0 is available through a proxy\r\n");
    } else if (name == "auth") {
        authenticate(std::span(argv_).subspan(1));
    } else if (name == "hello") {
        hello();
    } else if (name == "client") {
        client();
    } else if (name == "command") {
        command();
    }
}

// Redis 7's answers: with no password configured, AUTH <password> is an error and
// AUTH default <anything> succeeds (the default user has no password); with one, the user must be
// "default" (the only one) and the password must match.
bool redis_session::check_password(std::string_view user, std::string_view password) {
    const std::string& expected = service().config().redis_auth;
    const bool user_ok = user == "default";  // the only user; names are case-sensitive
    if (expected.empty()) {
        return user_ok;
    }
    return constant_time_equal(password, expected) && user_ok;
}

void redis_session::authenticate(std::span<const std::string_view> args) {
    if (args.size() > 2) {
        reply_local("-ERR syntax error\r\n");
        return;
    }
    if (args.size() == 1 && service().config().redis_auth.empty()) {
        reply_local(
            "-ERR AUTH <password> called without any password configured for the default user. "
            "Are you sure your configuration is correct?\r\n");
        return;
    }
    const std::string_view user = args.size() == 2 ? args[0] : std::string_view("default");
    if (!check_password(user, args.back())) {
        reply_local("-WRONGPASS invalid username-password pair or user is disabled.\r\n");
        return;
    }
    if (!authenticated_) {
        authenticated_ = true;
        parser_.set_limits(limits(false));
    }
    reply_local("+OK\r\n");
}

// HELLO [protover [AUTH user pass] [SETNAME name]] in Redis's order. coproxy speaks RESP2: version
// 3 gets -NOPROTO, on which ioredis, Lettuce and go-redis carry on in RESP2.
void redis_session::hello() {
    std::size_t next = 1;
    if (argv_.size() >= 2) {
        const std::string_view v = argv_[1];
        long long version = 0;
        const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), version);
        if (ec != std::errc{} || end != v.data() + v.size()) {
            reply_local("-ERR Protocol version is not an integer or out of range\r\n");
            return;
        }
        if (version != 2) {
            reply_local("-NOPROTO unsupported protocol version\r\n");
            return;
        }
        next = 2;
    }
    std::optional<std::pair<std::string_view, std::string_view>> credentials;
    std::optional<std::string_view> name;
    for (std::size_t j = next; j < argv_.size(); ++j) {
        const std::size_t more = argv_.size() - 1 - j;
        if (iequals(argv_[j], "auth") && more >= 2) {
            credentials.emplace(argv_[j + 1], argv_[j + 2]);
            j += 2;
        } else if (iequals(argv_[j], "setname") && more >= 1) {
            name = argv_[++j];
        } else {
            reply_local("-ERR Syntax error in HELLO option '" + std::string(argv_[j]) + "'\r\n");
            return;
        }
    }
    if (credentials) {
        if (!check_password(credentials->first, credentials->second)) {
            reply_local("-WRONGPASS invalid username-password pair or user is disabled.\r\n");
            return;
        }
        if (!authenticated_) {
            authenticated_ = true;
            parser_.set_limits(limits(false));
        }
    }
    if (!authenticated_) {
        reply_local(
            "-NOAUTH HELLO must be called with the client already authenticated, otherwise the "
            "HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and "
            "select the RESP protocol version at the same time\r\n");
        return;
    }
    if (name) {
        if (!valid_client_text(*name)) {
            reply_local(
                "-ERR Client names cannot contain spaces, newlines or special characters.\r\n");
            return;
        }
        meta().name = std::string(*name);
    }
    std::string out;
    redis::encode_hello(coproxy::version, id_, out);
    reply_local(out);
}

void redis_session::client() {
    const std::string_view sub = argv_[1];
    const std::size_t argc = argv_.size();
    struct row {
        std::string_view name;
        int arity;
        bool served;
    };
    // Redis 7.2's CLIENT subcommands and their arity; the served ones act on this client only.
    static constexpr row rows[] = {
        {"id", 2, true},        {"setname", 3, true},    {"getname", 2, true},
        {"info", 2, true},      {"setinfo", 4, true},    {"no-evict", 3, true},
        {"no-touch", 3, true},  {"help", 2, true},       {"list", -2, false},
        {"kill", -3, false},    {"pause", -3, false},    {"unpause", 2, false},
        {"reply", 3, false},    {"tracking", -3, false}, {"trackinginfo", 2, false},
        {"getredir", 2, false}, {"caching", 3, false},   {"unblock", -3, false},
    };
    const auto* it = std::find_if(std::begin(rows), std::end(rows),
                                  [&](const row& r) { return iequals(r.name, sub); });
    if (it == std::end(rows)) {
        reply_local(unknown_subcommand(sub, "CLIENT"));
        return;
    }
    const std::string full = "client|" + std::string(it->name);
    const bool arity_ok = it->arity >= 0 ? argc == static_cast<std::size_t>(it->arity)
                                         : argc >= static_cast<std::size_t>(-it->arity);
    if (!arity_ok) {
        reply_local(arity_error(full));
        return;
    }
    if (!it->served) {
        std::string out;
        redis::format_unsupported_error(full, out);
        reply_local(out);
        return;
    }
    const std::string_view name = it->name;
    if (name == "id") {
        std::string reply;
        redis::append_integer(id_, reply);
        reply_local(reply);
    } else if (name == "setname") {
        if (!valid_client_text(argv_[2])) {
            reply_local(
                "-ERR Client names cannot contain spaces, newlines or special characters.\r\n");
            return;
        }
        meta().name = std::string(argv_[2]);
        reply_local("+OK\r\n");
    } else if (name == "getname") {
        reply_local(meta_ && !meta_->name.empty() ? bulk(meta_->name) : "$-1\r\n");
    } else if (name == "info") {
        reply_local(bulk(client_line()));
    } else if (name == "setinfo") {
        const bool lib_name = iequals(argv_[2], "lib-name");
        if (!lib_name && !iequals(argv_[2], "lib-ver")) {
            reply_local("-ERR Unrecognized option '" + std::string(argv_[2]) + "'\r\n");
            return;
        }
        if (!valid_client_text(argv_[3])) {
            reply_local("-ERR " + std::string(lib_name ? "lib-name" : "lib-ver") +
                        " cannot contain spaces, newlines or special characters.\r\n");
            return;
        }
        (lib_name ? meta().lib_name : meta().lib_ver) = std::string(argv_[3]);
        reply_local("+OK\r\n");
    } else if (name == "no-evict" || name == "no-touch") {
        const bool on = iequals(argv_[2], "on");
        if (!on && !iequals(argv_[2], "off")) {
            reply_local("-ERR syntax error\r\n");
            return;
        }
        (name == "no-evict" ? meta().no_evict : meta().no_touch) = on;
        reply_local("+OK\r\n");
    } else if (name == "help") {
        reply_local(help_reply({
            "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "ID",
            "    Return the ID of the current connection.",
            "GETNAME",
            "    Return the name of the current connection.",
            "SETNAME <name>",
            "    Assign the name <name> to the current connection.",
            "SETINFO <LIB-NAME|LIB-VER> <value>",
            "    Set client library name or version.",
            "INFO",
            "    Return information about the current client connection.",
            "NO-EVICT (ON|OFF)",
            "    Protect the current client connection from eviction.",
            "NO-TOUCH (ON|OFF)",
            "    Recorded for the connection (not applied on the servers).",
            "HELP",
            "    Print this help.",
        }));
    }
}

// CLIENT INFO's line, in Redis's field order, for what a proxy connection has.
std::string redis_session::client_line() {
    boost::system::error_code ec;
    const auto remote = slot_.client.socket().remote_endpoint(ec);
    const auto local = slot_.client.socket().local_endpoint(ec);
    const auto now = runtime::clock::now();
    const auto age = std::chrono::duration_cast<std::chrono::seconds>(now - connected_at_).count();
    const auto idle =
        std::chrono::duration_cast<std::chrono::seconds>(now - slot_.last_active).count();
    std::string flags;
    if (meta_ && meta_->no_evict) {
        flags += 'e';
    }
    if (meta_ && meta_->no_touch) {
        flags += 'T';
    }
    if (flags.empty()) {
        flags = "N";
    }
    return "id=" + std::to_string(id_) + " addr=" + (ec ? "?" : endpoint_text(remote)) +
           " laddr=" + endpoint_text(local) +
           " fd=" + std::to_string(slot_.client.socket().native_handle()) +
           " name=" + (meta_ ? meta_->name : "") + " age=" + std::to_string(age) +
           " idle=" + std::to_string(idle) + " flags=" + flags +
           " db=0 sub=0 psub=0 ssub=0 multi=-1 events=r cmd=client|info user=default redir=-1"
           " resp=2 lib-name=" +
           (meta_ ? meta_->lib_name : "") + " lib-ver=" + (meta_ ? meta_->lib_ver : "") + "\n";
}

void redis_session::command() {
    std::string out;
    const auto table = redis::all_commands();
    if (argv_.size() == 1) {
        redis::append_array_header(redis::advertised_count(), out);
        for (const auto& row : table) {
            if (redis::advertised(row)) {
                redis::encode_command_info(row, out);
            }
        }
        reply_local(out);
        return;
    }
    const std::string_view sub = argv_[1];
    // A name as COMMAND INFO/DOCS takes it: "get", or "object|encoding".
    const auto find = [](std::string_view name) -> const redis::command_info* {
        const auto bar = name.find('|');
        const std::vector<std::string_view> words =
            bar == std::string_view::npos
                ? std::vector<std::string_view>{name}
                : std::vector<std::string_view>{name.substr(0, bar), name.substr(bar + 1)};
        const auto* row = redis::resolve(words);
        return row != nullptr &&
                       (redis::advertised(*row) || (bar != std::string_view::npos &&
                                                    row->kind != redis::command_kind::unsupported))
                   ? row
                   : nullptr;
    };
    if (iequals(sub, "count")) {
        if (argv_.size() == 2) {
            std::string reply;
            redis::append_integer(static_cast<long long>(redis::advertised_count()), reply);
            reply_local(reply);
        } else {
            reply_local(arity_error("command|count"));
        }
    } else if (iequals(sub, "info")) {
        redis::append_array_header(argv_.size() - 2, out);
        for (std::size_t i = 2; i < argv_.size(); ++i) {
            const auto* row = find(argv_[i]);
            if (row == nullptr) {
                out += "*-1\r\n";
            } else {
                redis::encode_command_info(*row, out);
            }
        }
        reply_local(out);
    } else if (iequals(sub, "docs")) {
        std::vector<const redis::command_info*> rows;
        if (argv_.size() == 2) {
            for (const auto& row : table) {
                if (redis::advertised(row)) {
                    rows.push_back(&row);
                }
            }
        }
        for (std::size_t i = 2; i < argv_.size(); ++i) {
            if (const auto* row = find(argv_[i])) {
                rows.push_back(row);
            }
        }
        redis::append_array_header(rows.size() * 2, out);
        for (const auto* row : rows) {
            redis::encode_command_docs(*row, out);
        }
        reply_local(out);
    } else if (iequals(sub, "list")) {
        std::vector<std::string_view> names;
        for (const auto& row : table) {
            if (redis::advertised(row)) {
                names.push_back(row.name);
            }
        }
        redis::append_array_header(names.size(), out);
        for (const auto n : names) {
            redis::append_bulk(n, out);
        }
        reply_local(out);
    } else if (iequals(sub, "help")) {
        reply_local(help_reply({
            "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "(no subcommand)",
            "    Return details about all the commands coproxy serves.",
            "COUNT",
            "    Return the number of commands coproxy serves.",
            "INFO [<command-name> ...]",
            "    Return details about the given commands.",
            "DOCS [<command-name> ...]",
            "    Return how coproxy serves the given commands.",
            "LIST",
            "    Return the names of the commands coproxy serves.",
            "HELP",
            "    Print this help.",
        }));
    } else if (iequals(sub, "getkeys") || iequals(sub, "getkeysandflags")) {
        redis::format_unsupported_error(
            "command|" + std::string(iequals(sub, "getkeys") ? "getkeys" : "getkeysandflags"), out);
        reply_local(out);
    } else {
        reply_local(unknown_subcommand(sub, "COMMAND"));
    }
}

// INFO: coproxy's own sections, the lowest redis_version among the servers that answered (so a
// client never enables what one shard lacks), and their keyspaces summed.
std::string redis_session::info_reply(std::span<const std::string_view> sections,
                                      std::span<const upstream::request_ptr> servers) {
    std::vector<redis::server_info> infos;
    std::vector<std::string_view> elements;
    for (const auto& part : servers) {
        if (part->failed || part->reply.empty() || part->reply[0] != '$') {
            continue;  // a server that cannot answer now says nothing about the pool
        }
        const auto body_at = part->reply.find("\r\n");
        infos.push_back(redis::parse_info(std::string_view(part->reply).substr(body_at + 2)));
    }
    const redis::info_sections want(sections);
    const auto& cfg = service().config();
    std::int64_t clients = 0;
    std::uint64_t accepted = 0;
    std::uint64_t rejected = 0;
    std::uint64_t commands = 0;
    for (const auto& w : service().stats().workers) {
        clients += w.client_connections.value();
        accepted += w.client_connections_accepted.value();
        rejected += w.client_connections_rejected.value();
        commands += w.requests.value();
    }
    const auto uptime =
        std::chrono::duration_cast<std::chrono::seconds>(runtime::clock::now() - process_start)
            .count();
    std::string text;
    if (want.wants("server")) {
        const std::string version = redis::lowest_version(infos);
        text += "# Server\r\n";
        if (!version.empty()) {
            text += "redis_version:" + version + "\r\n";
        }
        text += "redis_mode:standalone\r\nproxy:coproxy\r\nproxy_version:" +
                std::string(coproxy::version) +
                "\r\nos:Linux\r\narch_bits:64\r\nprocess_id:" + std::to_string(::getpid()) +
                "\r\ntcp_port:" + std::to_string(cfg.listen.port) +
                "\r\nuptime_in_seconds:" + std::to_string(uptime) +
                "\r\nuptime_in_days:" + std::to_string(uptime / 86400) + "\r\n\r\n";
    }
    if (want.wants("clients")) {
        text += "# Clients\r\nconnected_clients:" + std::to_string(clients) +
                "\r\nmaxclients:" + std::to_string(worker().process_gate.limit()) + "\r\n\r\n";
    }
    if (want.wants("persistence")) {
        text += "# Persistence\r\nloading:0\r\n\r\n";
    }
    if (want.wants("stats")) {
        text += "# Stats\r\ntotal_connections_received:" + std::to_string(accepted) +
                "\r\ntotal_commands_processed:" + std::to_string(commands) +
                "\r\nrejected_connections:" + std::to_string(rejected) + "\r\n\r\n";
    }
    if (want.wants("replication")) {
        text += "# Replication\r\nrole:master\r\nconnected_slaves:0\r\n\r\n";
    }
    if (want.wants("keyspace")) {
        text += "# Keyspace\r\n" + redis::format_keyspace(redis::sum_keyspace(infos)) + "\r\n";
    }
    while (text.ends_with("\r\n\r\n")) {
        text.resize(text.size() - 2);
    }
    return bulk(text);
}

}  // namespace coproxy::frontend
