// Memcached request encoders: a request made loud again (no `noreply`, no `q`) for forwarding,
// and the per-server sub-requests of a split multi-get.
#include "coproxy/protocol/memcache_request.hpp"

namespace coproxy::protocol::memcache {

namespace {

// Where a meta command's flags start: after the key, and after ms's data length.
std::size_t first_flag(command c) {
    switch (c) {
        case command::mg:
        case command::md:
        case command::ma:
            return 2;
        case command::ms:
            return 3;
        default:
            return 0;  // mn and me carry no q flag
    }
}

bool is_quiet_token(const request& r, std::size_t i) {
    if (!r.quiet) {
        return false;
    }
    if (is_meta(r.cmd)) {
        const std::size_t flags = first_flag(r.cmd);
        return flags != 0 && i >= flags && r.tokens[i][0] == 'q';
    }
    // A classic request is quiet only when its last token is "noreply".
    return i + 1 == r.tokens.size();
}

}  // namespace

void encode_without_quiet(const request& r, std::string& out) {
    std::size_t size = 2 + (is_storage(r.cmd) ? r.data.size() + 2 : 0);
    for (std::string_view t : r.tokens) {
        size += t.size() + 1;
    }
    out.reserve(out.size() + size);
    bool first = true;
    for (std::size_t i = 0; i < r.tokens.size(); ++i) {
        if (is_quiet_token(r, i)) {
            continue;
        }
        if (!first) {
            out += ' ';
        }
        out += r.tokens[i];
        first = false;
    }
    out += "\r\n";
    if (is_storage(r.cmd)) {
        out += r.data;
        out += "\r\n";
    }
}

void encode_retrieval(command cmd, std::string_view exptime, std::span<const std::string_view> keys,
                      std::string& out) {
    const bool touch = cmd == command::gat || cmd == command::gats;
    std::size_t size = name(cmd).size() + 2 + (touch ? exptime.size() + 1 : 0);
    for (std::string_view k : keys) {
        size += k.size() + 1;
    }
    out.reserve(out.size() + size);
    out += name(cmd);
    if (touch) {
        out += ' ';
        out += exptime;
    }
    for (std::string_view k : keys) {
        out += ' ';
        out += k;
    }
    out += "\r\n";
}

}  // namespace coproxy::protocol::memcache
