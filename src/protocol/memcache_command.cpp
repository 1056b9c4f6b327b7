// Memcached command names, the quiet-mode suppression rule and the meta `b` key decoder.
#include "coproxy/protocol/memcache_command.hpp"

#include <array>

namespace coproxy::protocol::memcache {

namespace {

constexpr std::array<std::string_view, command_count> command_names = {
    "get", "gets",   "gat",  "gats", "set",   "add",     "replace", "append",    "prepend",
    "cas", "delete", "incr", "decr", "touch", "version", "quit",    "flush_all", "verbosity",
    "mg",  "ms",     "md",   "ma",   "mn",    "me",      "stats",
};

// 0..63 for the base64 alphabet, 0 for '=' (it counts as a digit, as in memcached), else 0x80.
constexpr std::array<unsigned char, 256> make_base64_table() {
    std::array<unsigned char, 256> table{};
    table.fill(0x80);
    constexpr std::string_view alphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (std::size_t i = 0; i < alphabet.size(); ++i) {
        table[static_cast<unsigned char>(alphabet[i])] = static_cast<unsigned char>(i);
    }
    table['='] = 0;
    return table;
}
constexpr auto base64_table = make_base64_table();

}  // namespace

std::string_view name(command c) {
    return command_names[static_cast<std::size_t>(c)];
}

bool quiet_suppresses(command c, reply_status s) {
    switch (c) {
        case command::set:
        case command::add:
        case command::replace:
        case command::append:
        case command::prepend:
        case command::cas:
        case command::del:
        case command::incr:
        case command::decr:
        case command::touch:
        case command::flush_all:
        case command::verbosity:
            return true;
        case command::mg:
            return s == reply_status::en;
        case command::ms:
        case command::md:
            return s == reply_status::hd;
        case command::ma:
            return s == reply_status::hd || s == reply_status::va;
        default:
            return false;
    }
}

std::optional<std::size_t> decode_base64_key(std::string_view key, std::span<char> out) {
    std::size_t count = 0;
    for (char ch : key) {
        if (base64_table[static_cast<unsigned char>(ch)] != 0x80) {
            ++count;
        }
    }
    if (count == 0 || count % 4 != 0 || count / 4 * 3 > out.size()) {
        return std::nullopt;
    }
    std::size_t size = 0;
    std::array<unsigned char, 4> quad{};
    std::size_t filled = 0;
    std::size_t pad = 0;
    for (char ch : key) {
        const unsigned char digit = base64_table[static_cast<unsigned char>(ch)];
        if (digit == 0x80) {
            continue;
        }
        pad += ch == '=' ? 1 : 0;
        quad[filled++] = digit;
        if (filled < 4) {
            continue;
        }
        out[size++] = static_cast<char>((quad[0] << 2) | (quad[1] >> 4));
        out[size++] = static_cast<char>((quad[1] << 4) | (quad[2] >> 2));
        out[size++] = static_cast<char>((quad[2] << 6) | quad[3]);
        filled = 0;
        if (pad > 0) {
            // memcached stops at the first padded quad, wherever its '=' were.
            if (pad > 2) {
                return std::nullopt;
            }
            size -= pad;
            break;
        }
    }
    // memcached reports a decoded length of 0 as a failure.
    if (size == 0) {
        return std::nullopt;
    }
    return size;
}

}  // namespace coproxy::protocol::memcache
