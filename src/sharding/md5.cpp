// RFC 1321 MD5, used for ketama's continuum points and for hash_kind::md5. Written for short
// inputs (keys, "host:port-N" strings): one pass over whole blocks, the tail padded on the stack.
#include <array>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "coproxy/sharding/hash.hpp"
#include "sharding/hash_functions.hpp"

namespace coproxy::sharding {
namespace {

// floor(abs(sin(i + 1)) * 2^32), RFC 1321 section 3.4.
constexpr std::array<std::uint32_t, 64> sine_table{
    0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
    0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
    0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
    0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
    0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
    0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
    0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
    0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
};

// Per-round left rotations, RFC 1321 section 3.4.
constexpr std::array<int, 16> rotations{7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21};

constexpr std::uint32_t rotl(std::uint32_t x, int k) {
    return (x << k) | (x >> (32 - k));
}

struct md5_state {
    std::array<std::uint32_t, 4> abcd{0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476};

    void consume(const unsigned char* block) {
        std::array<std::uint32_t, 16> m{};
        for (std::size_t i = 0; i < 16; ++i) {
            const unsigned char* p = block + 4 * i;
            m[i] = static_cast<std::uint32_t>(p[0]) | static_cast<std::uint32_t>(p[1]) << 8 |
                   static_cast<std::uint32_t>(p[2]) << 16 | static_cast<std::uint32_t>(p[3]) << 24;
        }
        auto [a, b, c, d] = abcd;
        for (std::size_t i = 0; i < 64; ++i) {
            const std::size_t round = i / 16;
            std::uint32_t f = 0;
            std::size_t g = 0;
            if (round == 0) {
                f = (b & c) | (~b & d);
                g = i;
            } else if (round == 1) {
                f = (d & b) | (~d & c);
                g = (5 * i + 1) % 16;
            } else if (round == 2) {
                f = b ^ c ^ d;
                g = (3 * i + 5) % 16;
            } else {
                f = c ^ (b | ~d);
                g = (7 * i) % 16;
            }
            const std::uint32_t next =
                b + rotl(a + f + sine_table[i] + m[g], rotations[round * 4 + i % 4]);
            a = d;
            d = c;
            c = b;
            b = next;
        }
        abcd[0] += a;
        abcd[1] += b;
        abcd[2] += c;
        abcd[3] += d;
    }
};

}  // namespace

md5_digest md5(std::string_view data) {
    md5_state state;
    const auto* bytes = reinterpret_cast<const unsigned char*>(data.data());
    const std::size_t whole = data.size() / 64 * 64;
    for (std::size_t at = 0; at < whole; at += 64) {
        state.consume(bytes + at);
    }

    // Tail + 0x80 + zero fill + 64-bit little-endian bit length: one or two blocks.
    std::array<unsigned char, 128> tail{};
    const std::size_t rest = data.size() - whole;
    if (rest > 0) {
        std::memcpy(tail.data(), bytes + whole, rest);
    }
    tail[rest] = 0x80;
    const std::size_t tail_len = rest < 56 ? 64 : 128;
    const std::uint64_t bit_len = static_cast<std::uint64_t>(data.size()) * 8;
    for (std::size_t i = 0; i < 8; ++i) {
        tail[tail_len - 8 + i] = static_cast<unsigned char>(bit_len >> (8 * i));
    }
    state.consume(tail.data());
    if (tail_len == 128) {
        state.consume(tail.data() + 64);
    }

    md5_digest digest{};
    for (std::size_t i = 0; i < 16; ++i) {
        digest[i] = static_cast<std::uint8_t>(state.abcd[i / 4] >> (8 * (i % 4)));
    }
    return digest;
}

namespace detail {

std::uint32_t hash_md5(std::string_view key) {
    // The digest's first four bytes read little-endian, as libmemcached and ketama do.
    const md5_digest d = md5(key);
    return static_cast<std::uint32_t>(d[0]) | static_cast<std::uint32_t>(d[1]) << 8 |
           static_cast<std::uint32_t>(d[2]) << 16 | static_cast<std::uint32_t>(d[3]) << 24;
}

}  // namespace detail
}  // namespace coproxy::sharding
