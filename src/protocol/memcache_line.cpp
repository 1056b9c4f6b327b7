// memcached 1.6's verdict on a classic command line: token counts, key lengths and numbers are
// checked in proto_text.c's order so that the first failing check picks the same error text, and
// errors are silenced by `noreply` exactly where memcached's out_string silences them.
#include "memcache_line.hpp"

#include <cstdint>
#include <limits>
#include <optional>

#include "memcache_number.hpp"

namespace coproxy::protocol::memcache::detail {

namespace {

using token_list = std::span<const std::string_view>;
using key_buffer = std::span<char, max_key_size>;

constexpr std::string_view bad_delete =
    "CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]\r\n";
constexpr std::string_view bad_exptime = "CLIENT_ERROR invalid exptime argument\r\n";
constexpr std::string_view bad_delta = "CLIENT_ERROR invalid numeric delta argument\r\n";

line_check check_get(token_list t, command cmd) {
    std::size_t first = 1;
    if (cmd == command::gat || cmd == command::gats) {
        if (!c_int32(t[1])) {
            return reject(bad_exptime);
        }
        first = 2;
    }
    for (std::size_t i = first; i < t.size(); ++i) {
        if (t[i].size() > max_key_size) {
            return reject(bad_format);
        }
    }
    return accept(cmd, first, t.size() - first, false);
}

line_check check_update(token_list t, command cmd, std::size_t max_value) {
    const bool with_cas = cmd == command::cas;
    const std::size_t n = ntokens(t);
    if (with_cas ? (n != 7 && n != 8) : (n != 6 && n != 7)) {
        return reject(error_reply);
    }
    const bool noreply = t.back() == "noreply";
    const std::string_view bad = noreply ? std::string_view{} : bad_format;
    if (key_too_long(t)) {
        return reject(bad);
    }
    const auto vlen = c_int32(t[4]);
    if (!is_c_unsigned(t[2]) || !c_int32(t[3]) || !vlen) {
        return reject(bad);
    }
    if (with_cas && !is_c_unsigned(t[5])) {
        return reject(bad);
    }
    if (*vlen < 0 || *vlen > std::numeric_limits<std::int32_t>::max() - 2) {
        return reject(bad);
    }
    if (static_cast<std::size_t>(*vlen) > max_value) {
        line_check c = reject_swallow(noreply ? std::string_view{} : too_large_reply, *vlen);
        c.too_large = true;
        return c;
    }
    line_check c = accept(cmd, 1, 1, noreply);
    c.data_size = *vlen;
    return c;
}

line_check check_arithmetic(token_list t, command cmd) {
    if (ntokens(t) != 4 && ntokens(t) != 5) {
        return reject(error_reply);
    }
    const bool noreply = t.back() == "noreply";
    if (key_too_long(t)) {
        return reject(noreply ? std::string_view{} : bad_format);
    }
    if (!is_c_unsigned(t[2])) {
        return reject(noreply ? std::string_view{} : bad_delta);
    }
    return accept(cmd, 1, 1, noreply);
}

line_check check_delete(token_list t) {
    const std::size_t n = ntokens(t);
    if (n < 3 || n > 5) {
        return reject(error_reply);
    }
    bool noreply = false;
    if (n > 3) {
        // The legacy hold time is accepted only as "0".
        const bool hold_is_zero = t[2] == "0";
        noreply = t.back() == "noreply";
        const bool valid =
            (n == 4 && (hold_is_zero || noreply)) || (n == 5 && hold_is_zero && noreply);
        if (!valid) {
            return reject(noreply ? std::string_view{} : bad_delete);
        }
    }
    if (key_too_long(t)) {
        return reject(noreply ? std::string_view{} : bad_format);
    }
    return accept(command::del, 1, 1, noreply);
}

line_check check_touch(token_list t) {
    if (ntokens(t) != 4 && ntokens(t) != 5) {
        return reject(error_reply);
    }
    const bool noreply = t.back() == "noreply";
    if (key_too_long(t)) {
        return reject(noreply ? std::string_view{} : bad_format);
    }
    if (!c_int32(t[2])) {
        return reject(noreply ? std::string_view{} : bad_exptime);
    }
    return accept(command::touch, 1, 1, noreply);
}

line_check check_flush_all(token_list t) {
    if (ntokens(t) > 4) {
        return reject(error_reply);
    }
    const bool noreply = t.back() == "noreply";
    if (ntokens(t) != (noreply ? 3u : 2u) && !c_int32(t[1])) {
        return reject(noreply ? std::string_view{} : bad_exptime);
    }
    return accept(command::flush_all, 0, 0, noreply);
}

line_check check_verbosity(token_list t) {
    if (ntokens(t) != 3 && ntokens(t) != 4) {
        return reject(error_reply);
    }
    const bool noreply = t.back() == "noreply";
    if (!is_c_unsigned(t[1])) {
        return reject(noreply ? std::string_view{} : bad_format);
    }
    return accept(command::verbosity, 0, 0, noreply);
}

std::optional<command> classic_command(std::string_view word) {
    for (auto c = static_cast<int>(command::get); c < static_cast<int>(command::mg); ++c) {
        if (name(static_cast<command>(c)) == word) {
            return static_cast<command>(c);
        }
    }
    return std::nullopt;
}

}  // namespace

line_check check_line(token_list t, std::size_t max_value, key_buffer decoded) {
    // No memcached command is shorter than two bytes.
    if (t.empty() || t[0].size() < 2) {
        return reject(error_reply);
    }
    if (t[0].size() == 2 && t[0][0] == 'm') {
        return check_meta_line(t, max_value, decoded);
    }
    if (t[0] == "stats") {
        // `stats` and `stats reset`; per-server sections (slabs, items, settings...) are not
        // proxied.
        const bool plain = ntokens(t) == 2;
        const bool reset = ntokens(t) == 3 && t[1] == "reset";
        return plain || reset ? accept(command::stats, 0, 0, false) : reject(error_reply);
    }
    const auto cmd = classic_command(t[0]);
    if (!cmd) {
        return reject(error_reply);  // also slabs, watch, lru...: not proxied
    }
    switch (*cmd) {
        case command::get:
        case command::gets:
        case command::gat:
        case command::gats:
            return ntokens(t) < 3 ? reject(error_reply) : check_get(t, *cmd);
        case command::set:
        case command::add:
        case command::replace:
        case command::append:
        case command::prepend:
        case command::cas:
            return check_update(t, *cmd, max_value);
        case command::incr:
        case command::decr:
            return check_arithmetic(t, *cmd);
        case command::del:
            return check_delete(t);
        case command::touch:
            return check_touch(t);
        case command::flush_all:
            return check_flush_all(t);
        case command::verbosity:
            return check_verbosity(t);
        default:
            return accept(*cmd, 0, 0, false);  // version and quit take no arguments
    }
}

}  // namespace coproxy::protocol::memcache::detail
