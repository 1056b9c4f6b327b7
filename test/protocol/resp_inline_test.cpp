// sdssplitargs() quirks straight on the splitter, below the request parser: how many args and
// which bytes, for lines whose answers are easy to get wrong. The request table covers framing;
// resp_golden_test.cpp checks the same rules against a real redis-server.
#include "protocol/resp_inline.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

namespace coproxy::protocol::resp::detail {
namespace {

using namespace std::literals;

std::optional<std::vector<std::string>> split(std::string_view line) {
    std::string out = "leftover";  // appended to, never cleared: offsets must account for it
    std::vector<byte_range> ranges;
    if (!split_inline(line, out, ranges)) {
        return std::nullopt;
    }
    std::vector<std::string> args;
    for (const auto& r : ranges) {
        args.push_back(out.substr(r.offset, r.length));
    }
    return args;
}

using args = std::vector<std::string>;

struct inline_case {
    std::string_view name;
    std::string_view line;
    std::optional<args> want;
};

TEST(RespInline, SplitsLikeRedis) {
    const std::vector<inline_case> cases = {
        {"empty", "", args{}},
        {"blanks_only", " \t\v\f\r\n", args{}},
        {"one", "PING", args{"PING"}},
        {"separators", "a b\tc\rd\ne", args{"a", "b", "c", "d", "e"}},
        {"vtab_and_ff_inside_token", "a\vb\fc", args{"a\vb\fc"}},
        {"double_quoted_blank", "\" \"", args{" "}},
        {"hex_escape", "\"\\x41\\x62\"", args{"Ab"}},
        {"hex_escape_needs_two_digits", "\"\\x4\"", args{"x4"}},
        {"hex_escape_uppercase", "\"\\xFF\"", args{"\xff"}},
        {"unknown_escape_is_literal", "\"\\z\"", args{"z"}},
        {"escaped_quote", "\"a\\\"b\"", args{"a\"b"}},
        {"single_escapes_only_quote", "'a\\'b\\n'", args{"a'b\\n"}},
        {"quotes_join_token", "a\"b\"'c'", std::nullopt},
        {"quote_opens_mid_token", "ab\"cd\"", args{"abcd"}},
        {"closing_then_vtab", "\"a\"\vb", args{"a", "b"}},
        {"closing_then_text", "\"a\"b", std::nullopt},
        {"unterminated_double", "\"a", std::nullopt},
        {"unterminated_single", "'a", std::nullopt},
        {"backslash_at_end", "\"a\\", std::nullopt},
        {"nul_is_ordinary", "a\0b \"\0\""sv, args{"a\0b"s, "\0"s}},
    };
    for (const auto& c : cases) {
        EXPECT_EQ(split(c.line), c.want) << c.name;
    }
}

}  // namespace
}  // namespace coproxy::protocol::resp::detail
