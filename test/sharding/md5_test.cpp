// MD5 against RFC 1321's test suite plus inputs on every padding boundary.
#include <gtest/gtest.h>

#include <string>

#include "coproxy/sharding/hash.hpp"

namespace coproxy::sharding {
namespace {

std::string to_hex(const md5_digest& d) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    for (const auto b : d) {
        out.push_back(digits[b >> 4]);
        out.push_back(digits[b & 0xf]);
    }
    return out;
}

struct md5_case {
    std::string input;
    std::string_view digest;
};

TEST(Md5, MatchesRfc1321AndPaddingBoundaries) {
    std::string all_bytes;
    for (int i = 0; i < 256; ++i) {
        all_bytes.push_back(static_cast<char>(i));
    }
    const md5_case cases[] = {
        {"", "d41d8cd98f00b204e9800998ecf8427e"},
        {"a", "0cc175b9c0f1b6a831c399e269772661"},
        {"abc", "900150983cd24fb0d6963f7d28e17f72"},
        {"message digest", "f96b697d7cb7938d525a2f31aaf161d0"},
        {"abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"},
        {"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
         "d174ab98d277d9f5a5611c2c9f419d9f"},
        {"1234567890123456789012345678901234567890"
         "1234567890123456789012345678901234567890",
         "57edf4a22be3c955ac49da2e2107b67a"},
        {std::string(55, 'x'), "04364420e25c512fd958a70738aa8f72"},
        {std::string(56, 'x'), "668a72d5ba17f08e62dabcafad6db14b"},
        {std::string(63, 'x'), "7dc2ca208106a2f703567bdff99d8981"},
        {std::string(64, 'x'), "c1bb4f81d892b2d57947682aeb252456"},
        {std::string(65, 'x'), "1bc932052302d074bdec39795fe00cf6"},
        {std::string(119, 'x'), "ab347a5f68c8a443cfcddc633f12c24f"},
        {std::string(120, 'x'), "fb98667f98096de92620b64f46e1c5b5"},
        {std::string(1000, 'x'), "398533d48111e9f664b1f64cb10c4b63"},
        {all_bytes, "e2c865db4162bed963bfaa9ef6ac18f0"},
    };
    for (const auto& row : cases) {
        EXPECT_EQ(to_hex(md5(row.input)), row.digest) << row.input.size() << " bytes";
    }
}

TEST(Md5, HashKindIsTheDigestsFirstWordLittleEndian) {
    // md5("") = d41d8cd9...: bytes d4 1d 8c d9 read little-endian.
    EXPECT_EQ(hash(hash_kind::md5, ""), 0xd98c1dd4u);
}

}  // namespace
}  // namespace coproxy::sharding
