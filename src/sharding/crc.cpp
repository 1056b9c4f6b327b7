// twemproxy's three CRC hashes. None of them is affected by `char` signedness: each masks the
// table index to eight bits (or reads bytes unsigned) before using it.
#include <array>
#include <cstdint>
#include <string_view>

#include "sharding/hash_functions.hpp"

namespace coproxy::sharding::detail {
namespace {

// CRC-16/XMODEM table (polynomial 0x1021, most significant bit first).
constexpr std::array<std::uint16_t, 256> make_crc16_table() {
    std::array<std::uint16_t, 256> table{};
    for (std::uint32_t i = 0; i < 256; ++i) {
        std::uint32_t crc = i << 8;
        for (int bit = 0; bit < 8; ++bit) {
            crc = (crc & 0x8000u) != 0 ? (crc << 1) ^ 0x1021u : crc << 1;
        }
        table[i] = static_cast<std::uint16_t>(crc & 0xffffu);
    }
    return table;
}

// CRC-32 table (reflected polynomial 0xedb88320), shared by crc32 and crc32a.
constexpr std::array<std::uint32_t, 256> make_crc32_table() {
    std::array<std::uint32_t, 256> table{};
    for (std::uint32_t i = 0; i < 256; ++i) {
        std::uint32_t crc = i;
        for (int bit = 0; bit < 8; ++bit) {
            crc = (crc & 1u) != 0 ? (crc >> 1) ^ 0xedb88320u : crc >> 1;
        }
        table[i] = crc;
    }
    return table;
}

constexpr auto crc16_table = make_crc16_table();
constexpr auto crc32_table = make_crc32_table();

std::uint32_t crc32_register(std::string_view key) {
    std::uint32_t crc = 0xffffffffu;
    for (std::size_t i = 0; i < key.size(); ++i) {
        crc = (crc >> 8) ^ crc32_table[(crc ^ byte_at(key, i)) & 0xffu];
    }
    return crc;
}

}  // namespace

std::uint32_t hash_crc16(std::string_view key) {
    // nutcracker keeps the register in 32 bits and never masks it to 16, so the shifted-out high
    // bits accumulate and the result is a full 32-bit value ("apple" -> 3662830516).
    std::uint32_t crc = 0;
    for (std::size_t i = 0; i < key.size(); ++i) {
        crc = (crc << 8) ^ crc16_table[((crc >> 8) ^ byte_at(key, i)) & 0xffu];
    }
    return crc;
}

std::uint32_t hash_crc32(std::string_view key) {
    // libmemcached's flavour: 15 bits taken from the upper half of the standard CRC-32.
    return ((~crc32_register(key)) >> 16) & 0x7fffu;
}

std::uint32_t hash_crc32a(std::string_view key) {
    return ~crc32_register(key);
}

}  // namespace coproxy::sharding::detail
