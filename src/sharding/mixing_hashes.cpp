// twemproxy's shift-and-add hashes: one_at_a_time, hsieh, murmur (MurmurHash2 with a
// length-derived seed) and jenkins (lookup3's hashlittle, initval 13). Multi-byte loads are
// little-endian, as on the x86-64 nutcracker builds whose placement we must match.
#include <cstdint>
#include <string_view>

#include "sharding/hash_functions.hpp"

namespace coproxy::sharding::detail {
namespace {

std::uint32_t load_le16(std::string_view key, std::size_t at) {
    return static_cast<std::uint32_t>(byte_at(key, at)) |
           static_cast<std::uint32_t>(byte_at(key, at + 1)) << 8;
}

std::uint32_t load_le32(std::string_view key, std::size_t at) {
    return load_le16(key, at) | load_le16(key, at + 2) << 16;
}

constexpr std::uint32_t rotl(std::uint32_t x, int k) {
    return (x << k) | (x >> (32 - k));
}

struct jenkins_state {
    std::uint32_t a;
    std::uint32_t b;
    std::uint32_t c;

    // clang-format off
    void mix() {
        a -= c; a ^= rotl(c, 4);  c += b;
        b -= a; b ^= rotl(a, 6);  a += c;
        c -= b; c ^= rotl(b, 8);  b += a;
        a -= c; a ^= rotl(c, 16); c += b;
        b -= a; b ^= rotl(a, 19); a += c;
        c -= b; c ^= rotl(b, 4);  b += a;
    }

    void finish() {
        c ^= b; c -= rotl(b, 14);
        a ^= c; a -= rotl(c, 11);
        b ^= a; b -= rotl(a, 25);
        c ^= b; c -= rotl(b, 16);
        a ^= c; a -= rotl(c, 4);
        b ^= a; b -= rotl(a, 14);
        c ^= b; c -= rotl(b, 24);
    }
    // clang-format on
};

}  // namespace

std::uint32_t hash_one_at_a_time(std::string_view key) {
    std::uint32_t value = 0;
    for (std::size_t i = 0; i < key.size(); ++i) {
        value += signed_byte32(byte_at(key, i));
        value += value << 10;
        value ^= value >> 6;
    }
    value += value << 3;
    value ^= value >> 11;
    value += value << 15;
    return value;
}

std::uint32_t hash_hsieh(std::string_view key) {
    if (key.empty()) {
        return 0;
    }
    std::uint32_t h = 0;
    std::size_t at = 0;
    for (std::size_t blocks = key.size() / 4; blocks > 0; --blocks, at += 4) {
        h += load_le16(key, at);
        const std::uint32_t tmp = (load_le16(key, at + 2) << 11) ^ h;
        h = (h << 16) ^ tmp;
        h += h >> 11;
    }
    switch (key.size() % 4) {
        case 3:
            h += load_le16(key, at);
            h ^= h << 16;
            // The only byte hsieh reads through plain `char`: it is sign-extended before the shift.
            h ^= signed_byte32(byte_at(key, at + 2)) << 18;
            h += h >> 11;
            break;
        case 2:
            h += load_le16(key, at);
            h ^= h << 11;
            h += h >> 17;
            break;
        case 1:
            h += byte_at(key, at);
            h ^= h << 10;
            h += h >> 1;
            break;
        default:
            break;
    }
    h ^= h << 3;
    h += h >> 5;
    h ^= h << 4;
    h += h >> 17;
    h ^= h << 25;
    h += h >> 6;
    return h;
}

std::uint32_t hash_murmur(std::string_view key) {
    constexpr std::uint32_t m = 0x5bd1e995u;
    const auto length = static_cast<std::uint32_t>(key.size());
    std::uint32_t h = (0xdeadbeefu * length) ^ length;
    std::size_t at = 0;
    for (; key.size() - at >= 4; at += 4) {
        std::uint32_t k = load_le32(key, at);
        k *= m;
        k ^= k >> 24;
        k *= m;
        h *= m;
        h ^= k;
    }
    switch (key.size() - at) {
        case 3:
            h ^= static_cast<std::uint32_t>(byte_at(key, at + 2)) << 16;
            [[fallthrough]];
        case 2:
            h ^= static_cast<std::uint32_t>(byte_at(key, at + 1)) << 8;
            [[fallthrough]];
        case 1:
            h ^= byte_at(key, at);
            h *= m;
            break;
        default:
            break;
    }
    h ^= h >> 13;
    h *= m;
    h ^= h >> 15;
    return h;
}

std::uint32_t hash_jenkins(std::string_view key) {
    const std::uint32_t init = 0xdeadbeefu + static_cast<std::uint32_t>(key.size()) + 13u;
    jenkins_state s{init, init, init};
    if (key.empty()) {
        return s.c;  // lookup3 skips the final mix for empty input
    }
    std::size_t at = 0;
    std::size_t left = key.size();
    // The last block is always 1..12 bytes and takes the final mix instead of mix().
    for (; left > 12; left -= 12, at += 12) {
        s.a += load_le32(key, at);
        s.b += load_le32(key, at + 4);
        s.c += load_le32(key, at + 8);
        s.mix();
    }
    std::uint32_t* words[3] = {&s.a, &s.b, &s.c};
    for (std::size_t i = 0; i < left; ++i) {
        *words[i / 4] += static_cast<std::uint32_t>(byte_at(key, at + i)) << (8 * (i % 4));
    }
    s.finish();
    return s.c;
}

}  // namespace coproxy::sharding::detail
