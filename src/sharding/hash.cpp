// Name table, parsing and dispatch for twemproxy's hashes, plus the hash_tag and empty-key rules
// nutcracker applies before a key reaches its distribution.
#include "coproxy/sharding/hash.hpp"

#include <array>

#include "sharding/hash_functions.hpp"

namespace coproxy::sharding {
namespace {

using hash_fn = std::uint32_t (*)(std::string_view);

struct hash_row {
    std::string_view name;
    hash_fn fn;
};

// Indexed by hash_kind; the order is twemproxy's HASH_CODEC order.
constexpr std::array<hash_row, hash_kind_count> hash_table{{
    {"one_at_a_time", detail::hash_one_at_a_time},
    {"md5", detail::hash_md5},
    {"crc16", detail::hash_crc16},
    {"crc32", detail::hash_crc32},
    {"crc32a", detail::hash_crc32a},
    {"fnv1_64", detail::hash_fnv1_64},
    {"fnv1a_64", detail::hash_fnv1a_64},
    {"fnv1_32", detail::hash_fnv1_32},
    {"fnv1a_32", detail::hash_fnv1a_32},
    {"hsieh", detail::hash_hsieh},
    {"murmur", detail::hash_murmur},
    {"jenkins", detail::hash_jenkins},
}};

constexpr std::array<std::string_view, hash_kind_count> make_names() {
    std::array<std::string_view, hash_kind_count> names{};
    for (std::size_t i = 0; i < hash_kind_count; ++i) {
        names[i] = hash_table[i].name;
    }
    return names;
}

constexpr std::array<std::string_view, hash_kind_count> hash_name_list = make_names();

}  // namespace

std::span<const std::string_view> hash_names() {
    return hash_name_list;
}

std::optional<hash_kind> parse_hash(std::string_view name) {
    for (std::size_t i = 0; i < hash_kind_count; ++i) {
        if (hash_table[i].name == name) {
            return static_cast<hash_kind>(i);
        }
    }
    return std::nullopt;
}

std::string_view to_string(hash_kind kind) {
    return hash_table[static_cast<std::size_t>(kind)].name;
}

std::uint32_t hash(hash_kind kind, std::string_view key) {
    return hash_table[static_cast<std::size_t>(kind)].fn(key);
}

std::uint32_t dispatch_hash(hash_kind kind, std::string_view key) {
    // nutcracker's server_pool_hash() short-circuits zero-length keys to 0 instead of hashing.
    if (key.empty()) {
        return 0;
    }
    return hash(kind, key);
}

std::string_view hash_tag_key(std::string_view key, std::string_view tag) {
    // nutcracker only accepts two-character tags; anything else means "no tag".
    if (tag.size() != 2) {
        return key;
    }
    const auto open = key.find(tag[0]);
    if (open == std::string_view::npos) {
        return key;
    }
    // Only the first opening character counts, and the closing one is searched after it, so
    // "a{}b{c}" keeps the whole key: the first pair is empty and nutcracker does not look further.
    const auto close = key.find(tag[1], open + 1);
    if (close == std::string_view::npos || close - open <= 1) {
        return key;
    }
    return key.substr(open + 1, close - open - 1);
}

}  // namespace coproxy::sharding
