// The twelve hash functions behind coproxy::sharding::hash(), one per twemproxy hash name. Private
// to the sharding module; tests include it to pin each function separately.
#pragma once

#include <cstdint>
#include <string_view>

namespace coproxy::sharding::detail {

// nutcracker reads key bytes through `char`, which is signed on x86-64: a byte >= 0x80 enters the
// arithmetic as a negative number, i.e. sign-extended. These reproduce that on every platform.
constexpr std::uint32_t signed_byte32(unsigned char byte) {
    return static_cast<std::uint32_t>(static_cast<std::int32_t>(static_cast<std::int8_t>(byte)));
}
constexpr std::uint64_t signed_byte64(unsigned char byte) {
    return static_cast<std::uint64_t>(static_cast<std::int64_t>(static_cast<std::int8_t>(byte)));
}

constexpr unsigned char byte_at(std::string_view key, std::size_t i) {
    return static_cast<unsigned char>(key[i]);
}

std::uint32_t hash_one_at_a_time(std::string_view key);
std::uint32_t hash_md5(std::string_view key);
std::uint32_t hash_crc16(std::string_view key);
std::uint32_t hash_crc32(std::string_view key);
std::uint32_t hash_crc32a(std::string_view key);
std::uint32_t hash_fnv1_64(std::string_view key);
std::uint32_t hash_fnv1a_64(std::string_view key);
std::uint32_t hash_fnv1_32(std::string_view key);
std::uint32_t hash_fnv1a_32(std::string_view key);
std::uint32_t hash_hsieh(std::string_view key);
std::uint32_t hash_murmur(std::string_view key);
std::uint32_t hash_jenkins(std::string_view key);

}  // namespace coproxy::sharding::detail
