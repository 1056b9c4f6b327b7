// The individual hash functions: twemproxy's own crc32a vectors, each function's value for the
// empty key (which dispatch never uses), and the signed-`char` quirk spelled out arithmetically.
// hsieh's quirk (only its 3-byte tail is sign-extended) is pinned by data/nutcracker_hashes.txt.
#include "sharding/hash_functions.hpp"

#include <gtest/gtest.h>

namespace coproxy::sharding::detail {
namespace {

using hash_fn = std::uint32_t (*)(std::string_view);

struct vector_case {
    const char* label;
    hash_fn fn;
    std::string_view key;
    std::uint32_t expected;
};

const vector_case vectors[] = {
    // twemproxy tests/test_hashkit.cpp
    {"crc32a", hash_crc32a, "", 0x0u},
    {"crc32a", hash_crc32a, "123456", 0x0972d361u},
    {"crc32a", hash_crc32a, "abcdef", 0x4b8e39efu},
    {"crc32a", hash_crc32a, "\xe4\xb8\xad", 0xd5d15a8bu},
    // crc32a is the standard CRC-32, whose check value is well known.
    {"crc32a", hash_crc32a, "123456789", 0xcbf43926u},
    // The functions' own values for "": the offset bases, lookup3's unmixed seed, md5("").
    {"one_at_a_time", hash_one_at_a_time, "", 0u},
    {"md5", hash_md5, "", 0xd98c1dd4u},
    {"crc16", hash_crc16, "", 0u},
    {"crc32", hash_crc32, "", 0u},
    {"fnv1_64", hash_fnv1_64, "", 0x84222325u},
    {"fnv1a_64", hash_fnv1a_64, "", 0x84222325u},
    {"fnv1_32", hash_fnv1_32, "", 2166136261u},
    {"fnv1a_32", hash_fnv1a_32, "", 2166136261u},
    {"hsieh", hash_hsieh, "", 0u},
    {"murmur", hash_murmur, "", 0u},
    {"jenkins", hash_jenkins, "", 0xdeadbeefu + 13u},
    // One high byte, computed by hand from the FNV definition with the byte sign-extended:
    // (offset ^ 0xffffff80) * prime for fnv1a, offset * prime ^ 0xffffff80 for fnv1.
    {"fnv1a_32", hash_fnv1a_32, "\x80", (2166136261u ^ 0xffffff80u) * 16777619u},
    {"fnv1_32", hash_fnv1_32, "\x80", (2166136261u * 16777619u) ^ 0xffffff80u},
    {"fnv1a_64", hash_fnv1a_64, "\x80", (0x84222325u ^ 0xffffff80u) * 0x1b3u},
    {"fnv1_64", hash_fnv1_64, "\x80",
     static_cast<std::uint32_t>((0xcbf29ce484222325ull * 0x100000001b3ull) ^
                                0xffffffffffffff80ull)},
};

TEST(HashFunctions, MatchKnownVectors) {
    for (const auto& row : vectors) {
        EXPECT_EQ(row.fn(row.key), row.expected)
            << row.label << " of " << row.key.size() << " bytes";
    }
}

TEST(HashFunctions, SignedByteWideningIsExplicit) {
    struct widen_case {
        unsigned char byte;
        std::uint32_t as32;
        std::uint64_t as64;
    };
    constexpr widen_case cases[] = {
        {0x00, 0x00u, 0x00u},
        {0x7f, 0x7fu, 0x7fu},
        {0x80, 0xffffff80u, 0xffffffffffffff80u},
        {0xff, 0xffffffffu, 0xffffffffffffffffu},
    };
    for (const auto& c : cases) {
        EXPECT_EQ(signed_byte32(c.byte), c.as32) << int{c.byte};
        EXPECT_EQ(signed_byte64(c.byte), c.as64) << int{c.byte};
    }
}

}  // namespace
}  // namespace coproxy::sharding::detail
