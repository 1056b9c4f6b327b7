// twemproxy's four FNV hashes. All four take each key byte as a sign-extended `char`, and its
// "64-bit" fnv1a is really a 32-bit loop seeded with the low halves of the 64-bit constants.
#include <cstdint>
#include <string_view>

#include "sharding/hash_functions.hpp"

namespace coproxy::sharding::detail {
namespace {

constexpr std::uint64_t fnv64_offset = 0xcbf29ce484222325ull;
constexpr std::uint64_t fnv64_prime = 0x100000001b3ull;
constexpr std::uint32_t fnv32_offset = 2166136261u;
constexpr std::uint32_t fnv32_prime = 16777619u;

}  // namespace

std::uint32_t hash_fnv1_64(std::string_view key) {
    std::uint64_t h = fnv64_offset;
    for (std::size_t i = 0; i < key.size(); ++i) {
        h *= fnv64_prime;
        h ^= signed_byte64(byte_at(key, i));
    }
    return static_cast<std::uint32_t>(h);
}

std::uint32_t hash_fnv1a_64(std::string_view key) {
    // Truncated seed and prime: the whole loop runs in 32 bits, unlike real FNV-1a 64.
    auto h = static_cast<std::uint32_t>(fnv64_offset);
    const auto prime = static_cast<std::uint32_t>(fnv64_prime);
    for (std::size_t i = 0; i < key.size(); ++i) {
        h ^= signed_byte32(byte_at(key, i));
        h *= prime;
    }
    return h;
}

std::uint32_t hash_fnv1_32(std::string_view key) {
    std::uint32_t h = fnv32_offset;
    for (std::size_t i = 0; i < key.size(); ++i) {
        h *= fnv32_prime;
        h ^= signed_byte32(byte_at(key, i));
    }
    return h;
}

std::uint32_t hash_fnv1a_32(std::string_view key) {
    std::uint32_t h = fnv32_offset;
    for (std::size_t i = 0; i < key.size(); ++i) {
        h ^= signed_byte32(byte_at(key, i));
        h *= fnv32_prime;
    }
    return h;
}

}  // namespace coproxy::sharding::detail
