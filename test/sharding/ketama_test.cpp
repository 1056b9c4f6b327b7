// nutcracker's ketama arithmetic piece by piece: point hashes, the float point count, the point
// key cut at 272 bytes, and the identity order servers are kept in.
#include "sharding/ketama.hpp"

#include <gtest/gtest.h>

#include <string>

#include "coproxy/sharding/hash.hpp"

namespace coproxy::sharding::detail {
namespace {

TEST(Ketama, HashMatchesTwemproxyTestSuite) {
    // twemproxy src/test_all.c
    EXPECT_EQ(ketama_hash("server1-8", 0), 3853726576u);
    EXPECT_EQ(ketama_hash("server1-8", 3), 2667054752u);
}

TEST(Ketama, PointValuesAreTheFourWordsOfIdentityDashIndex) {
    const auto values = ketama_point_values("server1", 8);
    for (std::uint32_t word = 0; word < 4; ++word) {
        EXPECT_EQ(values[word], ketama_hash("server1-8", word));
    }
}

struct cut_case {
    std::size_t identity_len;
    std::uint32_t index;
    std::size_t hashed_len;  // bytes of "identity-index" that are hashed
};

// Verified against nutcracker 0.5.0 with server names of 82, 83, 84, 120, 200, 250, 268..271,
// 300 and 1000 bytes: the key is cut to 272 bytes, without a terminating NUL.
constexpr cut_case cut_cases[] = {
    {82, 39, 85},  {83, 10, 86},   {200, 7, 202}, {269, 10, 272},
    {270, 5, 272}, {270, 39, 272}, {271, 3, 272}, {1000, 12, 272},
};

TEST(Ketama, PointKeysAreCutAt272Bytes) {
    for (const auto& c : cut_cases) {
        const std::string identity(c.identity_len, 'a');
        const std::string full = identity + "-" + std::to_string(c.index);
        const std::string hashed = full.substr(0, c.hashed_len);
        const auto values = ketama_point_values(identity, c.index);
        for (std::uint32_t word = 0; word < 4; ++word) {
            EXPECT_EQ(values[word], ketama_hash(hashed, word)) << c.identity_len << "-" << c.index;
        }
    }
}

struct count_case {
    std::uint32_t weight;
    std::uint32_t total_weight;
    std::uint32_t live;
    std::uint32_t points;
    std::string_view why;
};

// The three- and 25-server rows and all weighted rows were checked by placement against
// nutcracker 0.5.0 (3000 keys each); the others follow from the same float arithmetic.
constexpr count_case count_cases[] = {
    {1, 1, 1, 160, "a lone server"},
    {1, 3, 3, 160, "three equal: the float product is exactly 40"},
    {1, 24, 24, 160, "24 equal"},
    {1, 25, 25, 156, "25 equal: just under 40, one md5 hash (4 points) lost"},
    {1, 47, 47, 156, "47 equal"},
    {1, 50, 50, 156, "50 equal"},
    {1, 55, 55, 156, "55 equal"},
    {1, 61, 61, 156, "61 equal"},
    {1, 4, 3, 120, "weights 1, 2, 1: the light ones"},
    {2, 4, 3, 240, "weights 1, 2, 1: the heavy one"},
    {1, 9, 3, 52, "weights 1, 3, 5"},
    {3, 9, 3, 160, "weights 1, 3, 5"},
    {5, 9, 3, 264, "weights 1, 3, 5"},
    {2, 10, 3, 96, "weights 2, 7, 1"},
    {7, 10, 3, 336, "weights 2, 7, 1"},
    {1, 10, 3, 48, "weights 2, 7, 1"},
    {100, 102, 3, 468, "weights 100, 1, 1"},
    {1, 102, 3, 4, "weights 100, 1, 1"},
    {1, 1000, 2, 0, "light enough to get no point at all"},
};

TEST(Ketama, PointCountFollowsNutcrackersFloatArithmetic) {
    for (const auto& c : count_cases) {
        EXPECT_EQ(ketama_point_count(c.weight, c.total_weight, c.live), c.points) << c.why;
    }
}

struct order_case {
    std::vector<std::string> identities;
    std::vector<std::uint32_t> order;
};

TEST(Ketama, ServersAreOrderedByIdentityLengthThenBytes) {
    const order_case cases[] = {
        {{"b", "aa", "zzz"}, {0, 1, 2}},
        {{"zzz", "aa", "b"}, {2, 1, 0}},
        // Verified with nutcracker (modula): the 4-digit port sorts before the 5-digit ones.
        {{"127.0.0.1:38102", "127.0.0.1:9853", "127.0.0.1:38101"}, {1, 2, 0}},
        {{"\xff", "a", "\x01"}, {2, 1, 0}},  // bytes compare unsigned
        {{}, {}},
    };
    for (const auto& c : cases) {
        std::vector<node> nodes;
        for (const auto& id : c.identities) {
            nodes.push_back({id, 1});
        }
        EXPECT_EQ(nutcracker_order(nodes), c.order);
    }
}

}  // namespace
}  // namespace coproxy::sharding::detail
