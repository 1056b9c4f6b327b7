// Redis's integer syntax (string2ll), which decides every length the proxy accepts. Checked at
// compile time too, since the parser is constexpr.
#include "protocol/resp_number.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace coproxy::protocol::resp::detail {
namespace {

constexpr std::optional<std::int64_t> parsed(std::string_view s) {
    std::int64_t v = 0;
    return parse_int64(s, v) ? std::optional<std::int64_t>(v) : std::nullopt;
}

static_assert(parsed("0") == 0);
static_assert(parsed("-1") == -1);
static_assert(!parsed("01"));
static_assert(!parsed("+1"));
static_assert(!parsed("-0"));

struct number_case {
    std::string_view text;
    std::optional<std::int64_t> value;
};

TEST(RespNumber, AcceptsExactlyWhatRedisString2llAccepts) {
    const std::vector<number_case> cases = {
        {"0", 0},
        {"7", 7},
        {"10", 10},
        {"-1", -1},
        {"4294967296", 4294967296},
        {"9223372036854775807", INT64_MAX},
        {"-9223372036854775808", INT64_MIN},
        {"", std::nullopt},
        {"-", std::nullopt},
        {"-0", std::nullopt},
        {"00", std::nullopt},
        {"01", std::nullopt},
        {"-01", std::nullopt},
        {"+1", std::nullopt},
        {" 1", std::nullopt},
        {"1 ", std::nullopt},
        {"1\r", std::nullopt},
        {"1a", std::nullopt},
        {"0x10", std::nullopt},
        {"1.0", std::nullopt},
        {"1e3", std::nullopt},
        {"--1", std::nullopt},
        {"9223372036854775808", std::nullopt},
        {"-9223372036854775809", std::nullopt},
        {"18446744073709551615", std::nullopt},
        {"18446744073709551616", std::nullopt},
        {"99999999999999999999", std::nullopt},
        // Redis refuses 21+ characters before reading them, even if the value would fit.
        {"-00000000000000000001", std::nullopt},
        {"100000000000000000000", std::nullopt},
    };
    for (const auto& c : cases) {
        EXPECT_EQ(parsed(c.text), c.value) << "'" << c.text << "'";
    }
}

}  // namespace
}  // namespace coproxy::protocol::resp::detail
