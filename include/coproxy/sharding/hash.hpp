// twemproxy's twelve key hashes, bit-identical to nutcracker 0.5.0 on x86-64 (quirks included),
// so a pool moved from nutcracker to coproxy keeps every key on the server that already holds it.
//
// Two quirks callers must know:
//  * nutcracker reads keys through `char`, which is signed on x86. Bytes >= 0x80 are therefore
//    sign-extended by one_at_a_time, the four fnv variants and hsieh's 3-byte tail. We reproduce
//    that explicitly, so the values are the same on platforms where `char` is unsigned.
//  * The distribution never hashes an empty key: nutcracker dispatches it with hash 0. That rule
//    lives in dispatch_hash(), not in hash(), whose value for "" is the function's own.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace coproxy::sharding {

// Same order as twemproxy's HASH_CODEC, so the numeric value matches nutcracker's hash_type_t.
enum class hash_kind : std::uint8_t {
    one_at_a_time,
    md5,
    crc16,
    crc32,
    crc32a,
    fnv1_64,
    fnv1a_64,
    fnv1_32,
    fnv1a_32,
    hsieh,
    murmur,
    jenkins,
};

inline constexpr std::size_t hash_kind_count = 12;

// twemproxy's spelling of every hash, indexed by hash_kind.
std::span<const std::string_view> hash_names();

// Exact, case-sensitive match as nutcracker's config parser does; nullopt for anything else.
std::optional<hash_kind> parse_hash(std::string_view name);

std::string_view to_string(hash_kind kind);

// The 32-bit value nutcracker's hash function of this kind returns for `key`.
std::uint32_t hash(hash_kind kind, std::string_view key);

// The value nutcracker feeds its distribution for an (already hash-tagged) key: 0 for the empty
// key, hash(kind, key) otherwise.
std::uint32_t dispatch_hash(hash_kind kind, std::string_view key);

// twemproxy's hash_tag rule: when `tag` is two characters and the key holds tag[0] followed later
// by tag[1] with at least one byte between them, the bytes between the first tag[0] and the first
// tag[1] after it; otherwise the whole key. An empty tag (none configured) yields the whole key.
std::string_view hash_tag_key(std::string_view key, std::string_view tag);

using md5_digest = std::array<std::uint8_t, 16>;

// RFC 1321 MD5. Ketama places its points with it, and hash_kind::md5 is its first four bytes.
md5_digest md5(std::string_view data);

}  // namespace coproxy::sharding
