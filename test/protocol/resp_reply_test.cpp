// Reply parser: the table replayed every way a socket could split it, pipelines of all rows,
// linearity checks that count work, and the merge helpers integer_value() and split_array().
#include "coproxy/protocol/resp_reply.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "protocol/resp_reply_cases.hpp"
#include "protocol/resp_test_support.hpp"

namespace coproxy::protocol::resp::test {
namespace {

std::size_t expected_consumed(const reply_case& c) {
    if (c.st != status::ok) {
        return 0;
    }
    return c.consumed == whole ? c.input.size() : c.consumed;
}

std::string mismatch(const reply_case& c, const reply_parser& p, const reply_parser::result& r) {
    std::ostringstream why;
    if (r.st != c.st) {
        why << "status " << r.st << " != " << c.st << "; ";
    }
    if (r.consumed != expected_consumed(c)) {
        why << "consumed " << r.consumed << " != " << expected_consumed(c) << "; ";
    }
    if (r.error != c.error) {
        why << "error '" << r.error << "' != '" << c.error << "'; ";
    }
    if (c.st == status::ok) {
        if (p.type() != c.type) {
            why << "type '" << static_cast<char>(p.type()) << "' != '" << static_cast<char>(c.type)
                << "'; ";
        }
        if (p.is_null() != c.is_null) {
            why << "is_null " << p.is_null() << "; ";
        }
        if (p.value_offset() != c.value_offset) {
            why << "value_offset " << p.value_offset() << " != " << c.value_offset << "; ";
        }
    }
    return why.str();
}

auto checker(const reply_case& c) {
    return [&c](const reply_parser& p, const reply_parser::result& r) { return mismatch(c, p, r); };
}

class RespReplyTable : public ::testing::TestWithParam<reply_case> {};

TEST_P(RespReplyTable, Whole) {
    const reply_case& c = GetParam();
    replay_whole(reply_parser(c.lim), c.input, checker(c));
}

TEST_P(RespReplyTable, SplitAtEveryByte) {
    const reply_case& c = GetParam();
    replay_split_everywhere(reply_parser(c.lim), c.input, checker(c));
}

TEST_P(RespReplyTable, ByteByByte) {
    const reply_case& c = GetParam();
    replay_byte_by_byte(reply_parser(c.lim), c.input, checker(c));
}

TEST_P(RespReplyTable, ParserIsReusable) {
    const reply_case& c = GetParam();
    reply_parser p(c.lim);
    const std::string warmup = "|1\r\n+a\r\n+b\r\n*-1\r\n";  // leaves null/offset/type set
    ASSERT_EQ(p.parse(bytes(warmup)).st, status::ok);
    const std::string input(c.input);
    EXPECT_EQ(mismatch(c, p, p.parse(bytes(input))), "");
    EXPECT_EQ(mismatch(c, p, p.parse(bytes(input))), "");
}

INSTANTIATE_TEST_SUITE_P(Resp, RespReplyTable, ::testing::ValuesIn(reply_cases),
                         [](const auto& row) { return std::string(row.param.name); });

TEST(RespReply, RowNamesAreUnique) {
    std::set<std::string_view> names;
    for (const auto& c : reply_cases) {
        EXPECT_TRUE(names.insert(c.name).second) << c.name;
    }
}

// Every complete reply of the table back to back, read in chunks of many sizes, as replies
// stream from a backend that answers a pipeline.
TEST(RespReply, PipelineOfAllRowsInAnyChunking) {
    std::string stream;
    std::vector<const reply_case*> expected;
    const reply_limits defaults;
    for (const auto& c : reply_cases) {
        if (c.st == status::ok && c.lim.max_depth == defaults.max_depth &&
            c.lim.max_bulk_len == defaults.max_bulk_len &&
            c.lim.max_line_len == defaults.max_line_len) {
            stream.append(c.input.substr(0, expected_consumed(c)));
            expected.push_back(&c);
        }
    }
    for (const std::size_t chunk : {1, 2, 3, 5, 7, 16, 64, 4096}) {
        SCOPED_TRACE("chunk " + std::to_string(chunk));
        reply_parser p;
        std::string buffer;
        std::size_t fed = 0;
        std::size_t next = 0;
        while (next < expected.size()) {
            const auto r = p.parse(bytes(buffer));
            if (r.st == status::need_more) {
                ASSERT_LT(fed, stream.size()) << "stalled before row " << expected[next]->name;
                const std::size_t n = std::min(chunk, stream.size() - fed);
                buffer.append(stream, fed, n);
                fed += n;
                continue;
            }
            ASSERT_EQ(mismatch(*expected[next], p, r), "") << expected[next]->name;
            buffer.erase(0, r.consumed);
            ++next;
        }
        EXPECT_TRUE(buffer.empty());
    }
}

reply_parser::result feed_in_pieces(reply_parser& p, const std::string& stream, std::size_t piece) {
    std::size_t have = 0;
    for (;;) {
        have = std::min(have + piece, stream.size());
        const auto r = p.parse(std::span<const char>(stream.data(), have));
        if (r.st != status::need_more || have == stream.size()) {
            return r;
        }
    }
}

TEST(RespReply, LinearBigBulkInSmallPieces) {
    std::string stream = "$16777216\r\n";
    stream.append(16 * 1024 * 1024, 'v');
    stream.append("\r\n");
    reply_parser p;
    const auto r = feed_in_pieces(p, stream, 16 * 1024);
    ASSERT_EQ(r.st, status::ok);
    EXPECT_EQ(r.consumed, stream.size());
    EXPECT_LE(p.scanned_bytes(), 2 * 11 + 2);
}

TEST(RespReply, LinearHugeArrayInSmallPieces) {
    std::string stream = "*200000\r\n";
    for (int i = 0; i < 100000; ++i) {
        stream += ":" + std::to_string(i) + "\r\n";
        stream += "*2\r\n$3\r\nabc\r\n_\r\n";
    }
    reply_parser p;
    const auto r = feed_in_pieces(p, stream, 16 * 1024);
    ASSERT_EQ(r.st, status::ok);
    EXPECT_EQ(r.consumed, stream.size());
    EXPECT_LE(p.scanned_bytes(), 2 * stream.size());
}

TEST(RespReply, DefaultDepthLimitIsExact) {
    std::string at_limit;
    for (int i = 0; i < 128; ++i) {
        at_limit += "*1\r\n";
    }
    reply_parser p;
    const std::string ok_reply = at_limit + ":1\r\n";
    EXPECT_EQ(p.parse(bytes(ok_reply)).st, status::ok);
    const std::string too_deep = at_limit + "*1\r\n:1\r\n";
    EXPECT_EQ(p.parse(bytes(too_deep)).st, status::too_large);
}

TEST(RespReply, ResetAbandonsAPartialReply) {
    reply_parser p;
    const std::string partial = "*2\r\n:1\r\n";
    ASSERT_EQ(p.parse(bytes(partial)).st, status::need_more);
    p.reset();
    const std::string one = ":1\r\n";
    const auto r = p.parse(bytes(one));
    EXPECT_EQ(r.st, status::ok);
    EXPECT_EQ(r.consumed, 4u);
}

TEST(RespReply, ShrunkBufferStartsOver) {
    reply_parser p;
    const std::string partial = "*3\r\n$5\r\nhello\r\n:1\r\n";
    ASSERT_EQ(p.parse(bytes(partial)).st, status::need_more);
    const std::string other = "+OK\r\n";
    const auto r = p.parse(bytes(other));
    EXPECT_EQ(r.st, status::ok);
    EXPECT_EQ(r.consumed, 5u);
}

TEST(RespReply, IsErrorForBothErrorTypes) {
    reply_parser p;
    for (const std::string s : {"-ERR x\r\n", "!1\r\nx\r\n"}) {
        ASSERT_EQ(p.parse(bytes(s)).st, status::ok);
        EXPECT_TRUE(p.is_error()) << s;
    }
    const std::string fine = "+ERR\r\n";
    ASSERT_EQ(p.parse(bytes(fine)).st, status::ok);
    EXPECT_FALSE(p.is_error());
}

struct integer_case {
    std::string_view name;
    std::string_view reply;
    std::optional<std::int64_t> value;
};

TEST(RespReply, IntegerValue) {
    const std::vector<integer_case> cases = {
        {"zero", ":0\r\n", 0},
        {"positive", ":42\r\n", 42},
        {"negative", ":-9\r\n", -9},
        {"max", ":9223372036854775807\r\n", INT64_MAX},
        {"min", ":-9223372036854775808\r\n", INT64_MIN},
        {"overflow", ":9223372036854775808\r\n", std::nullopt},
        {"empty_number", ":\r\n", std::nullopt},
        {"no_crlf", ":1", std::nullopt},
        {"lf_only", ":1\n", std::nullopt},
        {"trailing_bytes", ":1\r\n+OK\r\n", std::nullopt},
        {"plus_sign", ":+1\r\n", std::nullopt},
        {"not_integer", "+1\r\n", std::nullopt},
        {"bulk", "$1\r\n1\r\n", std::nullopt},
        {"empty", "", std::nullopt},
    };
    for (const auto& c : cases) {
        EXPECT_EQ(integer_value(c.reply), c.value) << c.name;
    }
}

struct split_case {
    std::string_view name;
    std::string_view reply;
    bool ok;
    std::vector<std::string_view> elements;
};

TEST(RespReply, SplitArray) {
    const std::vector<split_case> cases = {
        {"mget",
         "*3\r\n$1\r\nv\r\n$-1\r\n$2\r\n-9\r\n",
         true,
         {"$1\r\nv\r\n", "$-1\r\n", "$2\r\n-9\r\n"}},
        {"empty", "*0\r\n", true, {}},
        {"nested", "*2\r\n*1\r\n:1\r\n_\r\n", true, {"*1\r\n:1\r\n", "_\r\n"}},
        {"with_attribute", "*1\r\n|1\r\n+a\r\n+b\r\n:1\r\n", true, {"|1\r\n+a\r\n+b\r\n:1\r\n"}},
        {"resp3_set", "~2\r\n+a\r\n+b\r\n", true, {"+a\r\n", "+b\r\n"}},
        {"resp3_map_pairs", "%1\r\n+k\r\n:1\r\n", true, {"+k\r\n", ":1\r\n"}},
        {"push", ">2\r\n+x\r\n:1\r\n", true, {"+x\r\n", ":1\r\n"}},
        {"null_array", "*-1\r\n", false, {}},
        {"bulk", "$1\r\nv\r\n", false, {}},
        {"attribute_prefix", "|0\r\n*0\r\n", false, {}},
        {"short", "*2\r\n:1\r\n", false, {}},
        {"trailing", "*1\r\n:1\r\n:2\r\n", false, {}},
        {"count_lies_big", "*999999999\r\n:1\r\n", false, {}},
        {"bad_element", "*1\r\n:x\r\n", false, {}},
        {"bad_header", "*1\rX:1\r\n", false, {}},
        {"empty_input", "", false, {}},
    };
    for (const auto& c : cases) {
        std::vector<std::string_view> got = {"stale"};
        EXPECT_EQ(split_array(c.reply, got), c.ok) << c.name;
        EXPECT_EQ(got, c.elements) << c.name;
    }
}

// What a multi-key merge does: split each backend's array and concatenate element bytes under a
// new header; the result parses back to the same elements.
TEST(RespReply, SplitThenReassemble) {
    const std::string a = "*2\r\n$1\r\nx\r\n$-1\r\n";
    const std::string b = "*1\r\n*2\r\n:1\r\n:2\r\n";
    std::vector<std::string_view> ea;
    std::vector<std::string_view> eb;
    ASSERT_TRUE(split_array(a, ea));
    ASSERT_TRUE(split_array(b, eb));
    std::string merged = "*3\r\n";
    for (const auto& e : ea) {
        merged.append(e);
    }
    for (const auto& e : eb) {
        merged.append(e);
    }
    reply_parser p;
    const auto r = p.parse(bytes(merged));
    ASSERT_EQ(r.st, status::ok);
    EXPECT_EQ(r.consumed, merged.size());
    std::vector<std::string_view> all;
    ASSERT_TRUE(split_array(merged, all));
    EXPECT_EQ(all, (std::vector<std::string_view>{"$1\r\nx\r\n", "$-1\r\n", "*2\r\n:1\r\n:2\r\n"}));
}

}  // namespace
}  // namespace coproxy::protocol::resp::test
