// libFuzzer target for the YAML config loader, the code behind `coproxy -t`, startup and reloads.
// Seeds: config_fuzz_corpus/ (loader_test.cpp's good table rows, config/coproxy.yml and every file
// of bad/); dictionary: config_fuzz.dict. Invariants, checked with __builtin_trap():
//   nothing escapes parse_config (yaml-cpp's exceptions become errors);
//   ok() xor errors; every error's text is non-empty and starts with the source name;
//   a loaded config has pools, each with a listen address, >= 1 server of weight >= 1 and
//   distinct server identities, and no two pools share a listen address;
//   the same text gives the same result twice;
//   a loaded config written back as canonical YAML loads to the same config (lines aside), and
//   so do its pools as render_pool() writes them (what a reload compares);
//   each input line given to the address parsers directly: an accepted listen address or server
//   entry, written in canonical form, parses back to the same one with the same ketama identity.
#include <algorithm>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "config/address.hpp"
#include "coproxy/config/loader.hpp"
#include "coproxy/config/render.hpp"

namespace {

using namespace coproxy::config;

constexpr std::string_view source = "fuzz.yml";

void check(bool ok) {
    if (!ok) {
        __builtin_trap();
    }
}

load_result parse(std::string_view text) {
    try {
        return parse_config(text, source);
    } catch (...) {
        check(false);  // an exception that escaped the loader: a finding
    }
    return {};
}

// Every field, so that two results compare by their text; `lines` off for the round trip.
std::string describe(const load_result& r, bool lines) {
    std::string out;
    const auto add = [&](std::string_view name, const std::string& value) {
        out += std::string(name) + "=" + std::to_string(value.size()) + ":" + value + ";";
    };
    const auto add_line = [&](int line) {
        if (lines) {
            add("line", std::to_string(line));
        }
    };
    for (const auto& e : r.errors) {
        add("error", e.to_string());
    }
    if (!r.ok()) {
        return out;
    }
    for (const auto& s : r.value->settings) {
        add("setting", s.key);
        add("value", s.value);
        add_line(s.line);
    }
    for (const auto& p : r.value->pools) {
        add("pool", p.name);
        add_line(p.line);
        add("protocol", std::string(to_string(p.protocol)));
        add("listen", p.listen.to_string());
        add("permissions", p.listen.permissions ? std::to_string(*p.listen.permissions) : "-");
        add("hash", std::string(coproxy::sharding::to_string(p.hash)));
        add("hash_tag", p.hash_tag);
        add("distribution", std::string(to_string(p.distribution)));
        add("timeout", p.timeout ? std::to_string(p.timeout->count()) : "-");
        for (const auto& [name, value] : {std::pair{"connect_timeout", p.connect_timeout},
                                          {"server_retry_timeout", p.server_retry_timeout},
                                          {"idle_timeout", p.idle_timeout}}) {
            add(name, std::to_string(value.count()));
        }
        for (const auto& [name, value] : {std::pair{"backlog", p.backlog},
                                          {"redis_db", p.redis_db},
                                          {"server_connections", p.server_connections},
                                          {"server_failure_limit", p.server_failure_limit},
                                          {"client_connections", p.client_connections},
                                          {"preconnect", int{p.preconnect}},
                                          {"auto_eject_hosts", int{p.auto_eject_hosts}},
                                          {"tcpkeepalive", int{p.tcpkeepalive}},
                                          {"reuseport", int{p.reuseport}}}) {
            add(name, std::to_string(value));
        }
        add("redis_auth", p.redis_auth);
        if (p.protocol != protocol_kind::tcp) {  // memory bounds of keyed pools
            add("max_request_bytes", std::to_string(p.effective_max_request_bytes()));
            add("client_output_limit", std::to_string(p.client_output_limit));
            add("server_max_inflight", std::to_string(p.server_max_inflight));
        }
        for (const auto& s : p.servers) {
            add("server", s.is_unix() ? s.path : s.host + " " + std::to_string(s.port));
            add("weight", std::to_string(s.weight));
            add("name", s.name);
            add_line(s.line);
        }
    }
    return out;
}

// A double-quoted YAML scalar holding exactly `s`: yaml-cpp keeps bytes >= 0x80 as they are.
std::string quoted(std::string_view s) {
    static constexpr char hex[] = "0123456789abcdef";
    std::string out = "\"";
    for (const char c : s) {
        const auto u = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (u < 0x20 || u == 0x7f) {
            out += "\\x";
            out += hex[u >> 4];
            out += hex[u & 0xf];
        } else {
            out += c;
        }
    }
    return out + "\"";
}

std::string host_port(const std::string& host, std::uint16_t port) {
    const bool v6 = host.find(':') != std::string::npos;
    return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::string server_text(const server_config& s) {
    const std::string address = s.is_unix() ? s.path : host_port(s.host, s.port);
    const std::string text = address + ":" + std::to_string(s.weight);
    return s.name.empty() ? text : text + " " + s.name;
}

std::string listen_text(const listen_address& l) {
    std::string out = l.to_string();
    if (l.permissions) {
        char octal[8] = {};
        std::to_chars(octal, octal + sizeof octal - 1, *l.permissions, 8);
        out += " 0" + std::string(octal);
    }
    return out;
}

// The config as a file that sets every key it can, in flow style so that no indentation is needed.
std::string to_yaml(const config& c) {
    std::string out;
    if (!c.settings.empty()) {
        out += "coproxy: {";
        for (const auto& s : c.settings) {
            out += quoted(s.key) + ": " + quoted(s.value) + ", ";
        }
        out += "}\n";
    }
    for (const auto& p : c.pools) {
        const auto key = [&](std::string_view name, const std::string& value) {
            out += std::string(name) + ": " + value + ", ";
        };
        out += quoted(p.name) + ": {";
        key("protocol", std::string(to_string(p.protocol)));
        key("listen", quoted(listen_text(p.listen)));
        key("hash", std::string(coproxy::sharding::to_string(p.hash)));
        if (!p.hash_tag.empty()) {
            key("hash_tag", quoted(p.hash_tag));
        }
        key("distribution", std::string(to_string(p.distribution)));
        key("timeout", p.timeout ? std::to_string(p.timeout->count()) : "-1");
        key("connect_timeout", std::to_string(p.connect_timeout.count()));
        key("server_retry_timeout", std::to_string(p.server_retry_timeout.count()));
        key("idle_timeout", std::to_string(p.idle_timeout.count()));
        key("backlog", std::to_string(p.backlog));
        key("server_connections", std::to_string(p.server_connections));
        key("server_failure_limit", std::to_string(p.server_failure_limit));
        key("client_connections", std::to_string(p.client_connections));
        key("preconnect", p.preconnect ? "true" : "false");
        key("auto_eject_hosts", p.auto_eject_hosts ? "true" : "false");
        key("tcpkeepalive", p.tcpkeepalive ? "true" : "false");
        key("reuseport", p.reuseport ? "true" : "false");
        if (p.protocol != protocol_kind::tcp) {  // request limits: keyed pools only
            if (p.max_request_bytes != 0) {
                key("max_request_bytes", std::to_string(p.max_request_bytes));
            }
            key("client_output_limit", std::to_string(p.client_output_limit));
            key("server_max_inflight", std::to_string(p.server_max_inflight));
        }
        if (p.protocol == protocol_kind::redis) {
            key("redis_db", std::to_string(p.redis_db));
            if (!p.redis_auth.empty()) {
                key("redis_auth", quoted(p.redis_auth));
            }
        }
        out += "servers: [";
        for (const auto& s : p.servers) {
            out += quoted(server_text(s)) + ", ";
        }
        out += "]}\n";
    }
    return out;
}

// The address parsers on their own, fed each line of the input: what they accept, written in
// canonical form, parses back to the same address.
void check_addresses(std::string_view text) {
    while (!text.empty()) {
        const std::string_view line = text.substr(0, text.find('\n'));
        text.remove_prefix(std::min(text.size(), line.size() + 1));
        if (const auto l = parse_listen(line); l.value) {
            check(l.error.empty() && (l.value->is_unix() || l.value->port != 0));
            const auto again = parse_listen(listen_text(*l.value));
            check(again.value && listen_text(*again.value) == listen_text(*l.value));
        } else {
            check(!l.error.empty());
        }
        if (const auto s = parse_server(line); s.value) {
            check(s.error.empty() && s.value->weight >= 1);
            const auto again = parse_server(server_text(*s.value));
            check(again.value && server_text(*again.value) == server_text(*s.value));
            check(again.value->ketama_identity() == s.value->ketama_identity());
        } else {
            check(!s.error.empty());
        }
    }
}

void check_errors(const load_result& r) {
    check(r.ok() != !r.errors.empty());
    for (const auto& e : r.errors) {
        const std::string text = e.to_string();
        check(!e.message.empty() && text.starts_with(source));
        check(text.size() > source.size() && (text[source.size()] == ':'));
    }
}

void check_config(const config& c) {
    check(!c.pools.empty() && c.path == source);
    std::set<std::string> listeners;
    std::set<std::string> names;
    for (const auto& p : c.pools) {
        check(names.insert(p.name).second && p.name != "coproxy" && p.line >= 1);
        check(p.listen.is_unix() ? p.listen.port == 0 && p.listen.host.empty()
                                 : p.listen.port != 0 && !p.listen.host.empty());
        check(listeners.insert(p.listen.to_string()).second);
        check(!p.servers.empty());
        std::set<std::string> identities;
        for (const auto& s : p.servers) {
            check(s.weight >= 1 && s.line >= 1);
            check(s.is_unix() ? s.port == 0 : s.port != 0 && !s.host.empty());
            check(identities.insert(s.ketama_identity()).second);
        }
        check(p.hash_tag.empty() || p.hash_tag.size() == 2);
    }
}

// A reload keeps a pool whose render_pool() text is unchanged, so that text must load back as
// the very same pool (GET /config prints the same rendering).
void check_render(const config& c) {
    std::string rendered;
    for (const auto& p : c.pools) {
        rendered += render_pool(p, secrets::shown);
    }
    load_result want;
    want.value = c;
    want.value->settings.clear();
    const load_result back = parse(rendered);
    check(back.ok() && describe(back, false) == describe(want, false));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    check_addresses(text);
    const load_result first = parse(text);
    check_errors(first);
    const std::string described = describe(first, true);
    check(describe(parse(text), true) == described);
    if (!first.ok()) {
        return 0;
    }
    check_config(*first.value);
    const std::string written = to_yaml(*first.value);
    const load_result again = parse(written);
    check(again.ok() && describe(again, false) == describe(first, false));
    check_render(*first.value);
    return 0;
}
