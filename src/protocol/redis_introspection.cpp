// See redis_introspection.hpp.
#include "coproxy/protocol/redis_introspection.hpp"

#include <vector>

namespace coproxy::protocol::redis {
namespace {

bool served(const command_info& row) {
    return row.kind != command_kind::unsupported;
}

bool is_subcommand(const command_info& row) {
    return row.name.find('|') != std::string_view::npos;
}

// The served "name|..." rows of a container.
std::vector<const command_info*> subcommands(const command_info& container) {
    std::vector<const command_info*> out;
    if (!container.has(flag::subcommands)) {
        return out;
    }
    for (const command_info& row : all_commands()) {
        if (served(row) && row.name.size() > container.name.size() &&
            row.name.starts_with(container.name) && row.name[container.name.size()] == '|') {
            out.push_back(&row);
        }
    }
    return out;
}

std::string_view summary(const command_info& row) {
    switch (row.kind) {
        case command_kind::single_key:
            return row.has(flag::same_server) ? "coproxy: sent to the server of its first key"
                                              : "coproxy: sent to the server of its key";
        case command_kind::multi_key:
            return "coproxy: split per server, replies merged";
        case command_kind::eval:
            return "coproxy: sent to the server of its first key (of the script without keys)";
        case command_kind::local:
            return "coproxy: answered by the proxy";
        case command_kind::whole_pool:
            return "coproxy: sent to every server of the pool, replies merged";
        case command_kind::any_server:
            return "coproxy: answered by one server of the pool";
        case command_kind::stateful:
            return "coproxy: on a server connection this client holds for it";
        case command_kind::unsupported:
            break;
    }
    return "coproxy: subcommands served one by one";
}

}  // namespace

void append_bulk(std::string_view s, std::string& out) {
    out += '$';
    out += std::to_string(s.size());
    out += "\r\n";
    out += s;
    out += "\r\n";
}

void append_array_header(std::size_t n, std::string& out) {
    out += '*';
    out += std::to_string(n);
    out += "\r\n";
}

void append_integer(long long v, std::string& out) {
    out += ':';
    out += std::to_string(v);
    out += "\r\n";
}

bool advertised(const command_info& row) noexcept {
    if (is_subcommand(row)) {
        return false;
    }
    return served(row) || !subcommands(row).empty();
}

std::size_t advertised_count() noexcept {
    std::size_t n = 0;
    for (const command_info& row : all_commands()) {
        n += advertised(row) ? 1 : 0;
    }
    return n;
}

void encode_command_info(const command_info& row, std::string& out) {
    append_array_header(10, out);
    append_bulk(row.name, out);
    append_integer(row.arity, out);
    std::vector<std::string_view> flags;
    if (row.has(flag::write)) {
        flags.emplace_back("write");
    }
    if (row.has(flag::readonly)) {
        flags.emplace_back("readonly");
    }
    if (row.has(flag::movable_keys) || row.kind == command_kind::eval) {
        flags.emplace_back("movablekeys");
    }
    append_array_header(flags.size(), out);
    for (const auto f : flags) {
        out += '+';
        out += f;
        out += "\r\n";
    }
    append_integer(row.first_key, out);
    append_integer(row.last_key, out);
    append_integer(row.key_step, out);
    append_array_header(0, out);  // ACL categories: coproxy has one user
    append_array_header(0, out);  // tips
    append_array_header(0, out);  // key specs: first/last/step say where the keys are
    const auto subs = subcommands(row);
    append_array_header(subs.size(), out);
    for (const command_info* sub : subs) {
        encode_command_info(*sub, out);
    }
}

void encode_command_docs(const command_info& row, std::string& out) {
    append_bulk(row.name, out);
    append_array_header(4, out);
    append_bulk("summary", out);
    append_bulk(summary(row), out);
    append_bulk("group", out);
    append_bulk(command_group(row), out);
}

void encode_hello(std::string_view version, std::int64_t client_id, std::string& out) {
    append_array_header(14, out);
    append_bulk("server", out);
    append_bulk("redis", out);
    append_bulk("version", out);
    append_bulk(version, out);
    append_bulk("proto", out);
    append_integer(2, out);
    append_bulk("id", out);
    append_integer(client_id, out);
    append_bulk("mode", out);
    append_bulk("standalone", out);
    append_bulk("role", out);
    append_bulk("master", out);
    append_bulk("modules", out);
    append_array_header(0, out);
}

}  // namespace coproxy::protocol::redis
