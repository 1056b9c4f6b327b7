// Private to the memcached request codec: memcached 1.6's verdict on one complete command line
// (proto_text.c's checks, in its order, with its error texts): classic commands in
// memcache_line.cpp, meta commands in memcache_meta.cpp. Framing lives in the parser.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "coproxy/protocol/memcache_command.hpp"

namespace coproxy::protocol::memcache::detail {

enum class verdict : std::uint8_t {
    accept,
    reject,          // answer `reply`, skip the line
    reject_swallow,  // answer `reply`, skip the line and data_size + 2 bytes after it
};

struct line_check {
    verdict v = verdict::reject;
    command cmd = command::get;
    std::string_view reply;       // with \r\n; empty where memcached stays silent (noreply)
    bool too_large = false;       // the reply is "object too large"
    std::int64_t data_size = -1;  // storage/ms: the data block's length, \r\n excluded
    bool quiet = false;
    bool base64_key = false;
    std::size_t first_key = 0;  // keys are tokens[first_key, first_key + key_count)
    std::size_t key_count = 0;
    std::size_t decoded_size = 0;  // base64_key: bytes written to the decoded-key buffer
};

// `tokens` is the line split on ' ' (memcached splits on nothing else). `decoded` receives a
// meta `b` key. `max_value` is the largest data block accepted.
line_check check_line(std::span<const std::string_view> tokens, std::size_t max_value,
                      std::span<char, max_key_size> decoded);

// The texts both halves of check_line use.
inline constexpr std::string_view error_reply = "ERROR\r\n";
inline constexpr std::string_view bad_format = "CLIENT_ERROR bad command line format\r\n";
inline constexpr std::string_view too_large_reply = "SERVER_ERROR object too large for cache\r\n";
inline constexpr std::string_view bad_data_chunk = "CLIENT_ERROR bad data chunk\r\n";

// memcached's token count includes a terminal token, and its checks are written against it.
inline std::size_t ntokens(std::span<const std::string_view> t) {
    return t.size() + 1;
}

inline bool key_too_long(std::span<const std::string_view> t) {
    return t[1].size() > max_key_size;
}

inline line_check reject(std::string_view reply) {
    line_check c;
    c.reply = reply;
    return c;
}

inline line_check reject_swallow(std::string_view reply, std::int32_t data_size) {
    line_check c = reject(reply);
    c.v = verdict::reject_swallow;
    c.data_size = data_size;
    return c;
}

inline line_check accept(command cmd, std::size_t first_key, std::size_t key_count, bool quiet) {
    line_check c;
    c.v = verdict::accept;
    c.cmd = cmd;
    c.first_key = first_key;
    c.key_count = key_count;
    c.quiet = quiet;
    return c;
}

// The meta half (memcache_meta.cpp): `t[0]` is a two-byte command starting with 'm'.
line_check check_meta_line(std::span<const std::string_view> t, std::size_t max_value,
                           std::span<char, max_key_size> decoded);

}  // namespace coproxy::protocol::memcache::detail
