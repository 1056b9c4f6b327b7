// twemproxy's address formats. Host names are kept as text: they are resolved when connecting,
// so a config naming a host that is briefly unresolvable still loads.
#include "config/address.hpp"

#include <charconv>

#include "config/values.hpp"

namespace coproxy::config {
namespace {

std::optional<long> parse_number(std::string_view s) {
    long v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc{} || end != s.data() + s.size()) {
        return std::nullopt;
    }
    return v;
}

struct host_port {
    std::string host;
    std::uint16_t port = 0;
};

// Splits "host:port" / "[v6]:port"; `what` names the thing for messages.
parsed<host_port> split_host_port(std::string_view text) {
    std::string_view host;
    std::string_view port;
    if (!text.empty() && text.front() == '[') {
        const auto close = text.find(']');
        if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
            return {{}, "expected [ipv6]:port"};
        }
        host = text.substr(1, close - 1);
        port = text.substr(close + 2);
    } else {
        const auto colon = text.rfind(':');
        if (colon == std::string_view::npos) {
            return {{}, "expected host:port"};
        }
        host = text.substr(0, colon);
        port = text.substr(colon + 1);
        if (host.find(':') != std::string_view::npos) {
            return {{}, "IPv6 addresses must be written in brackets, e.g. [::1]:6379"};
        }
    }
    if (host.empty()) {
        return {{}, "missing host"};
    }
    // "[[x]:1" would leave "[x" as the host, which no resolver accepts and no listen address
    // canonical form (listen_address::to_string) can spell.
    if (host.find_first_of("[]") != std::string_view::npos) {
        return {{}, "'[' and ']' may only enclose an IPv6 address, e.g. [::1]:6379"};
    }
    auto p = parse_number(port);
    // Leading zeros would change the text twemproxy hashes as the ketama identity.
    if (!p || *p < 1 || *p > 65535 || port.front() == '0') {
        return {{}, "invalid port '" + std::string(port) + "' (1-65535)"};
    }
    return {host_port{std::string(host), static_cast<std::uint16_t>(*p)}, {}};
}

}  // namespace

parsed<listen_address> parse_listen(std::string_view text) {
    text = trim(text);
    listen_address out;
    if (!text.empty() && text.front() == '/') {
        const auto space = text.find_first_of(" \t");
        out.path = std::string(text.substr(0, space));
        if (space != std::string_view::npos) {
            const std::string_view perm = trim(text.substr(space));
            mode_t mode = 0;
            auto [end, ec] = std::from_chars(perm.data(), perm.data() + perm.size(), mode, 8);
            if (ec != std::errc{} || end != perm.data() + perm.size() || mode > 07777) {
                return {{}, "invalid permissions '" + std::string(perm) + "' (octal, e.g. 0666)"};
            }
            out.permissions = mode;
        }
        if (out.path.size() >= 108) {
            return {{}, "unix socket path longer than 107 bytes"};
        }
        return {out, {}};
    }
    if (text.find_first_of(" \t") != std::string_view::npos) {
        return {{}, "unexpected text after host:port (permissions apply to unix sockets only)"};
    }
    auto hp = split_host_port(text);
    if (!hp.value) {
        return {{}, hp.error};
    }
    out.host = hp.value->host;
    out.port = hp.value->port;
    return {out, {}};
}

parsed<server_config> parse_server(std::string_view text) {
    text = trim(text);
    server_config out;
    const auto space = text.find_first_of(" \t");
    std::string_view address = text.substr(0, space);
    if (space != std::string_view::npos) {
        const std::string_view name = trim(text.substr(space));
        if (name.find_first_of(" \t") != std::string_view::npos) {
            return {{}, "expected 'host:port:weight [name]', got extra text after the name"};
        }
        out.name = std::string(name);
    }
    const auto colon = address.rfind(':');
    if (colon == std::string_view::npos) {
        return {{}, "expected 'host:port:weight [name]'"};
    }
    auto weight = parse_number(address.substr(colon + 1));
    if (!weight || *weight < 1 || *weight > 1'000'000) {
        return {{},
                "invalid weight '" + std::string(address.substr(colon + 1)) +
                    "' (an integer 1-1000000) in 'host:port:weight [name]'"};
    }
    out.weight = static_cast<std::uint32_t>(*weight);
    address = address.substr(0, colon);
    if (!address.empty() && address.front() == '/') {
        out.path = std::string(address);
        return {out, {}};
    }
    auto hp = split_host_port(address);
    if (!hp.value) {
        return {{}, hp.error + " in 'host:port:weight [name]'"};
    }
    out.host = hp.value->host;
    out.port = hp.value->port;
    return {out, {}};
}

}  // namespace coproxy::config
