// Memcached text/meta protocol vocabulary shared by the request and reply codecs: the commands the
// proxy understands, parse statuses, reply statuses, the quiet-mode rule and the `b` key decoder.
// Behaviour follows memcached 1.6 (checked against a running 1.6.18, see memcache_golden_test.cpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace coproxy::protocol::memcache {

// memcached's KEY_MAX_LENGTH; also the longest `b` key, so a buffer this big fits any decoded key.
inline constexpr std::size_t max_key_size = 250;

enum class status : std::uint8_t { ok, need_more, invalid, too_large, binary_protocol };

enum class command : std::uint8_t {
    get,
    gets,
    gat,
    gats,
    set,
    add,
    replace,
    append,
    prepend,
    cas,
    del,  // "delete"
    incr,
    decr,
    touch,
    version,
    quit,
    flush_all,
    verbosity,
    mg,
    ms,
    md,
    ma,
    mn,
    me,
    stats,  // plain `stats` (the proxy's own) and `stats reset` (sent to every server)
};
inline constexpr std::size_t command_count = static_cast<std::size_t>(command::stats) + 1;

std::string_view name(command c);

// get/gets/gat/gats: any number of keys, answered by VALUE blocks and END.
constexpr bool is_retrieval(command c) {
    return c <= command::gats;
}
// A data block follows the command line.
constexpr bool is_storage(command c) {
    return (c >= command::set && c <= command::cas) || c == command::ms;
}
constexpr bool is_meta(command c) {
    return c >= command::mg && c <= command::me;
}

// What a server said. The get family ends with `end` whatever number of VALUE blocks came first.
enum class reply_status : std::uint8_t {
    end,
    stored,
    not_stored,
    exists,
    not_found,
    deleted,
    touched,
    number,  // incr/decr result
    version,
    ok,
    va,
    hd,
    en,
    nf,
    ns,
    ex,
    mn,
    me,
    error,  // "ERROR": unknown command
    client_error,
    server_error,
};

constexpr bool is_error(reply_status s) {
    return s >= reply_status::error;
}

// The proxy never forwards `noreply` or the meta `q` flag (replies are matched to requests by
// order, so every forwarded request must be answered); it drops the reply itself instead. True
// when memcached, had it seen the quiet request, would not have sent a reply with status `s`:
//   classic noreply: nothing at all, errors included (memcached's out_string skips them);
//   mg q: EN;  ms q: HD;  md q: HD;  ma q: HD and VA (1.6.18 also skips the VA of `ma q v`).
// Meta errors and other meta codes are always sent.
bool quiet_suppresses(command c, reply_status s);

// Decodes a meta `b` key the way memcached's base64_decode does (characters outside the alphabet
// are skipped, the counted ones must make whole quads, decoding stops after a padded quad) into
// `out`. Returns the decoded size, or nullopt where memcached fails ("error decoding key") or
// `out` is too small; `out` of max_key_size bytes always suffices for a valid key.
std::optional<std::size_t> decode_base64_key(std::string_view key, std::span<char> out);

}  // namespace coproxy::protocol::memcache
