// Golden values for twemproxy's hashes: the published "apple" results, the values nutcracker 0.5.0
// itself dispatched with for awkward keys (data/nutcracker_hashes.txt), names, and hash_tag.
#include "coproxy/sharding/hash.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

namespace coproxy::sharding {
namespace {

constexpr hash_kind all_kinds[] = {
    hash_kind::one_at_a_time, hash_kind::md5,     hash_kind::crc16,    hash_kind::crc32,
    hash_kind::crc32a,        hash_kind::fnv1_64, hash_kind::fnv1a_64, hash_kind::fnv1_32,
    hash_kind::fnv1a_32,      hash_kind::hsieh,   hash_kind::murmur,   hash_kind::jenkins,
};

std::string unhex(std::string_view hex) {
    std::string out;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
        out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
    }
    return out;
}

TEST(Hash, NamesAreTwemproxysInEnumOrder) {
    constexpr std::string_view expected[] = {"one_at_a_time", "md5",     "crc16",    "crc32",
                                             "crc32a",        "fnv1_64", "fnv1a_64", "fnv1_32",
                                             "fnv1a_32",      "hsieh",   "murmur",   "jenkins"};
    ASSERT_EQ(hash_names().size(), std::size(expected));
    for (std::size_t i = 0; i < std::size(expected); ++i) {
        EXPECT_EQ(hash_names()[i], expected[i]);
        EXPECT_EQ(to_string(all_kinds[i]), expected[i]);
        EXPECT_EQ(parse_hash(expected[i]), all_kinds[i]);
    }
}

TEST(Hash, ParseAcceptsOnlyTheExactSpelling) {
    constexpr std::string_view rejected[] = {"",     "FNV1A_64", "fnv1a",  "md5 ",
                                             " md5", "murmur3",  "ketama", "crc32b"};
    for (const auto name : rejected) {
        EXPECT_EQ(parse_hash(name), std::nullopt) << '"' << name << '"';
    }
}

struct golden {
    hash_kind kind;
    std::uint32_t value;
};

// twemproxy's src/test_all.c (the same numbers as libmemcached's tests/hash_results.h).
constexpr golden apple_golden[] = {
    {hash_kind::one_at_a_time, 2297466611u}, {hash_kind::md5, 3195025439u},
    {hash_kind::crc16, 3662830516u},         {hash_kind::crc32, 10542u},
    {hash_kind::crc32a, 2838417488u},        {hash_kind::fnv1_64, 473199127u},
    {hash_kind::fnv1a_64, 1488911807u},      {hash_kind::fnv1_32, 67176023u},
    {hash_kind::fnv1a_32, 280767167u},       {hash_kind::hsieh, 3738850110u},
    {hash_kind::murmur, 4142305122u},        {hash_kind::jenkins, 1442444624u},
};

TEST(Hash, AppleMatchesTwemproxyTestSuite) {
    for (const auto& row : apple_golden) {
        EXPECT_EQ(hash(row.kind, "apple"), row.value) << to_string(row.kind);
    }
}

struct observed_row {
    std::string key;
    std::vector<std::uint32_t> values;  // one per hash_kind
};

std::vector<observed_row> load_observed_hashes() {
    std::ifstream in(COPROXY_TEST_DIR "/data/nutcracker_hashes.txt");
    std::vector<observed_row> rows;
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') {
            continue;
        }
        std::istringstream fields(line);
        std::string hex;
        fields >> hex;
        observed_row row{hex == "-" ? std::string() : unhex(hex), {}};
        std::uint32_t v = 0;
        while (fields >> v) {
            row.values.push_back(v);
        }
        rows.push_back(std::move(row));
    }
    return rows;
}

// Empty, binary, CRLF, bytes >= 0x80 (the signed-char quirk), every jenkins/hsieh/murmur tail
// length and keys up to 4 KiB, as nutcracker 0.5.0 hashed them.
TEST(Hash, MatchesValuesObservedFromNutcracker) {
    const auto rows = load_observed_hashes();
    ASSERT_GE(rows.size(), 30u);
    for (const auto& row : rows) {
        ASSERT_EQ(row.values.size(), std::size(all_kinds));
        for (std::size_t i = 0; i < std::size(all_kinds); ++i) {
            EXPECT_EQ(dispatch_hash(all_kinds[i], row.key), row.values[i])
                << to_string(all_kinds[i]) << " key of " << row.key.size() << " bytes";
            if (!row.key.empty()) {
                EXPECT_EQ(hash(all_kinds[i], row.key), row.values[i]);
            }
        }
    }
}

TEST(Hash, EmptyKeyDispatchesWithZeroWhateverTheFunctionGives) {
    for (const auto kind : all_kinds) {
        EXPECT_EQ(dispatch_hash(kind, ""), 0u) << to_string(kind);
    }
    EXPECT_NE(hash(hash_kind::fnv1a_32, ""), 0u);  // so the rule is not a coincidence
}

struct tag_case {
    std::string_view key;
    std::string_view tag;
    std::string_view expected;
};

// Every row with a two-character tag was also dispatched through nutcracker 0.5.0 and agreed.
constexpr tag_case tag_cases[] = {
    {"user:{1234}:profile", "{}", "1234"},
    {"{user1000}.following", "{}", "user1000"},
    {"a{b}c{d}", "{}", "b"},
    {"}a{b}", "{}", "b"},          // a closing char before the opener is ignored
    {"{{a}}", "{}", "{a"},         // the opener is the first '{', the closer the first '}' after
    {"a{}b{c}", "{}", "a{}b{c}"},  // first pair empty: whole key, later pairs are not tried
    {"{}", "{}", "{}"},
    {"{abc", "{}", "{abc"},
    {"abc}", "{}", "abc}"},
    {"}{", "{}", "}{"},
    {"plain", "{}", "plain"},
    {"$x$", "$$", "x"},
    {"$$x$", "$$", "$$x$"},
    {"a$bc$d$e$", "$$", "bc"},
    {"xaYbZ", "ab", "Y"},
    {"bXa", "ab", "bXa"},
    {"user:{1234}", "", "user:{1234}"},   // no hash_tag configured
    {"user:{1234}", "{", "user:{1234}"},  // nutcracker only accepts two-character tags
};

TEST(HashTag, ExtractsTheSameSpanAsNutcracker) {
    for (const auto& row : tag_cases) {
        EXPECT_EQ(hash_tag_key(row.key, row.tag), row.expected)
            << "key " << row.key << " tag " << row.tag;
    }
}

TEST(HashTag, ReturnsAViewIntoTheKey) {
    const std::string key = "a{bc}d";
    const std::string_view inner = hash_tag_key(key, "{}");
    EXPECT_EQ(inner.data(), key.data() + 2);
}

}  // namespace
}  // namespace coproxy::sharding
