// Request parser: the table replayed every way a socket could split it, pipelines of all rows,
// encode -> parse round trips, and linearity checks that count work instead of timing it.
#include "coproxy/protocol/resp_request.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "protocol/resp_request_cases.hpp"
#include "protocol/resp_test_support.hpp"

namespace coproxy::protocol::resp::test {
namespace {

std::size_t expected_consumed(const request_case& c) {
    if (c.st != status::ok) {
        return 0;
    }
    return c.consumed == whole ? c.input.size() : c.consumed;
}

std::string mismatch(const request_case& c, const request_parser& p,
                     const request_parser::result& r) {
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
        if (p.is_inline() != c.is_inline) {
            why << "is_inline " << p.is_inline() << "; ";
        }
        const std::vector<std::string> want(c.args.begin(), c.args.end());
        if (args_of(p) != want) {
            why << "args differ (" << p.argc() << " vs " << want.size() << "); ";
        }
    }
    return why.str();
}

class RespRequestTable : public ::testing::TestWithParam<request_case> {};

auto checker(const request_case& c) {
    return [&c](const request_parser& p, const request_parser::result& r) {
        return mismatch(c, p, r);
    };
}

TEST_P(RespRequestTable, Whole) {
    const request_case& c = GetParam();
    replay_whole(request_parser(c.lim), c.input, checker(c));
}

TEST_P(RespRequestTable, SplitAtEveryByte) {
    const request_case& c = GetParam();
    replay_split_everywhere(request_parser(c.lim), c.input, checker(c));
}

TEST_P(RespRequestTable, ByteByByte) {
    const request_case& c = GetParam();
    replay_byte_by_byte(request_parser(c.lim), c.input, checker(c));
}

// Parsing is a pure function of the bytes: a parser that just finished a request (or failed
// one) answers the next exactly like a new one.
TEST_P(RespRequestTable, ParserIsReusable) {
    const request_case& c = GetParam();
    request_parser p(c.lim);
    const std::string warmup = "*1\r\n$2\r\nhi\r\n";  // within every row's limits
    ASSERT_EQ(p.parse(bytes(warmup)).st, status::ok);
    const std::string input(c.input);
    EXPECT_EQ(mismatch(c, p, p.parse(bytes(input))), "");
    EXPECT_EQ(mismatch(c, p, p.parse(bytes(input))), "");
}

INSTANTIATE_TEST_SUITE_P(Resp, RespRequestTable, ::testing::ValuesIn(request_cases),
                         [](const auto& row) { return std::string(row.param.name); });

// The rows that parse to at least one arg.
std::vector<request_case> rows_with_args() {
    std::vector<request_case> out;
    for (const auto& c : request_cases) {
        if (c.st == status::ok && !c.args.empty()) {
            out.push_back(c);
        }
    }
    return out;
}

class RespRequestRoundTrip : public ::testing::TestWithParam<request_case> {};

TEST_P(RespRequestRoundTrip, EncodeThenParseGivesSameArgs) {
    const request_case& c = GetParam();
    std::string encoded = "prefix kept";
    encode_request(c.args, encoded);
    ASSERT_EQ(encoded.substr(0, 11), "prefix kept");
    encoded.erase(0, 11);
    if (!c.is_inline) {
        // Redis's integer syntax has one spelling per number, so multibulk is canonical.
        EXPECT_EQ(encoded, c.input.substr(0, expected_consumed(c)));
    }
    request_parser p;
    const auto r = p.parse(bytes(encoded));
    ASSERT_EQ(r.st, status::ok);
    EXPECT_EQ(r.consumed, encoded.size());
    EXPECT_FALSE(p.is_inline());
    EXPECT_EQ(args_of(p), std::vector<std::string>(c.args.begin(), c.args.end()));

    // The overload that re-encodes straight from a parser gives the same bytes.
    request_parser from_row(c.lim);
    const std::string input(c.input);
    ASSERT_EQ(from_row.parse(bytes(input)).st, status::ok);
    std::string reencoded;
    encode_request(from_row, reencoded);
    EXPECT_EQ(reencoded, encoded);
}

INSTANTIATE_TEST_SUITE_P(Resp, RespRequestRoundTrip, ::testing::ValuesIn(rows_with_args()),
                         [](const auto& row) { return std::string(row.param.name); });

TEST(RespRequest, RowNamesAreUnique) {
    std::set<std::string_view> names;
    for (const auto& c : request_cases) {
        EXPECT_TRUE(names.insert(c.name).second) << c.name;
    }
}

// Every complete request of the table, back to back, read in chunks of many sizes: each parse
// starts where the previous one stopped, as in the proxy's read loop.
TEST(RespRequest, PipelineOfAllRowsInAnyChunking) {
    std::string stream;
    std::vector<const request_case*> expected;
    for (const auto& c : request_cases) {
        if (c.st == status::ok && c.lim == limits{}) {
            stream.append(c.input.substr(0, expected_consumed(c)));
            expected.push_back(&c);
        }
    }
    for (const std::size_t chunk : {1, 2, 3, 5, 7, 16, 64, 4096}) {
        SCOPED_TRACE("chunk " + std::to_string(chunk));
        request_parser p;
        std::string buffer;  // unconsumed bytes only, like the proxy's read buffer
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
        EXPECT_EQ(fed, stream.size());
    }
}

TEST(RespRequest, EncodeExactBytes) {
    std::string out;
    const std::vector<std::string_view> args = {"SET", "key", "hello world"};
    encode_request(args, out);
    EXPECT_EQ(out, "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$11\r\nhello world\r\n");
    out.clear();
    encode_request(std::span<const std::string_view>{}, out);
    EXPECT_EQ(out, "*0\r\n");
    out.clear();
    const std::string big(1234567, 'x');
    const std::vector<std::string_view> one = {big};
    encode_request(one, out);
    EXPECT_EQ(out.substr(0, 14), "*1\r\n$1234567\r\n");
    EXPECT_EQ(out.size(), 14 + big.size() + 2);
}

TEST(RespRequest, InlineIsReencodedAsMultibulk) {
    request_parser p;
    const std::string line = "SET a \"b c\"\r\n";
    ASSERT_EQ(p.parse(bytes(line)).st, status::ok);
    ASSERT_TRUE(p.is_inline());
    std::string out;
    encode_request(p, out);
    EXPECT_EQ(out, "*3\r\n$3\r\nSET\r\n$1\r\na\r\n$3\r\nb c\r\n");
}

// Random binary args, including every byte value, survive encode -> parse split anywhere.
TEST(RespRequest, RandomArgsRoundTrip) {
    std::mt19937 rng(20240613);
    for (int round = 0; round < 300; ++round) {
        std::vector<std::string> owned(1 + rng() % 6);
        for (auto& a : owned) {
            a.resize(rng() % 40);
            for (auto& ch : a) {
                ch = static_cast<char>(rng());
            }
        }
        const std::vector<std::string_view> args(owned.begin(), owned.end());
        std::string encoded;
        encode_request(args, encoded);
        const std::size_t split = rng() % (encoded.size() + 1);
        request_parser p;
        std::string first = encoded.substr(0, split);
        auto r = p.parse(bytes(first));
        if (r.st == status::need_more) {
            poison(first);
            r = p.parse(bytes(encoded));
        }
        ASSERT_EQ(r.st, status::ok);
        ASSERT_EQ(r.consumed, encoded.size());
        ASSERT_EQ(args_of(p), owned);
    }
}

TEST(RespRequest, ArgsPointIntoTheLastBuffer) {
    request_parser p;
    const std::string first = "*2\r\n$4\r\nECHO\r\n$5\r\nhel";
    ASSERT_EQ(p.parse(bytes(first)).st, status::need_more);
    const std::string second = "*2\r\n$4\r\nECHO\r\n$5\r\nhello\r\n";
    ASSERT_EQ(p.parse(bytes(second)).st, status::ok);
    EXPECT_EQ(p.arg(0).data(), second.data() + 8);
    EXPECT_EQ(p.arg(1).data(), second.data() + 18);
}

TEST(RespRequest, ErrorClearsArgsAndNextCallStartsOver) {
    request_parser p;
    const std::string bad_input = "*2\r\n$4\r\nECHO\r\n$x\r\n";
    const auto r = p.parse(bytes(bad_input));
    EXPECT_EQ(r.st, status::invalid);
    EXPECT_EQ(p.argc(), 0u);
    const std::string ping = "PING\r\n";
    EXPECT_EQ(p.parse(bytes(ping)).st, status::ok);
    EXPECT_EQ(args_of(p), std::vector<std::string>{"PING"});
}

TEST(RespRequest, ResetAbandonsAPartialRequest) {
    request_parser p;
    const std::string partial = "*2\r\n$4\r\nECHO\r\n";
    ASSERT_EQ(p.parse(bytes(partial)).st, status::need_more);
    p.reset();
    const std::string ping = "*1\r\n$4\r\nPING\r\n";
    const auto r = p.parse(bytes(ping));
    EXPECT_EQ(r.st, status::ok);
    EXPECT_EQ(r.consumed, ping.size());
    EXPECT_EQ(args_of(p), std::vector<std::string>{"PING"});
}

// Breaking the contract (passing fewer bytes than before) must not read out of bounds: the parser
// starts over on what it is given.
TEST(RespRequest, ShrunkBufferStartsOver) {
    request_parser p;
    const std::string partial = "*2\r\n$4\r\nECHO\r\n$3\r\nab";
    ASSERT_EQ(p.parse(bytes(partial)).st, status::need_more);
    const std::string other = "PING\n";
    const auto r = p.parse(bytes(other));
    EXPECT_EQ(r.st, status::ok);
    EXPECT_EQ(args_of(p), std::vector<std::string>{"PING"});
}

TEST(RespRequest, DefaultLimitsAreRedisDefaults) {
    const limits l;
    EXPECT_EQ(l.max_bulk_len, 536870912u);
    EXPECT_EQ(l.max_inline_len, 65536u);
    EXPECT_EQ(l.max_multibulk_len, 1048576u);
    EXPECT_FALSE(l.unauthenticated);
}

// What the proxy does once a client's AUTH succeeds: lift the cap for the following requests.
TEST(RespRequest, SetLimitsAppliesToTheNextRequest) {
    request_parser p({.unauthenticated = true});
    const std::string many = "*11\r\n";
    EXPECT_EQ(p.parse(bytes(many)).st, status::too_large);
    p.set_limits({});
    std::vector<std::string_view> args(11, "a");
    std::string encoded;
    encode_request(args, encoded);
    const auto r = p.parse(bytes(encoded));
    EXPECT_EQ(r.st, status::ok);
    EXPECT_EQ(p.argc(), 11u);
}

// Feeds `stream` growing by `piece` bytes per call (the buffer holds everything received so far,
// as the proxy's does) and returns the final result.
request_parser::result feed_in_pieces(request_parser& p, const std::string& stream,
                                      std::size_t piece, std::size_t& calls) {
    calls = 0;
    std::size_t have = 0;
    for (;;) {
        have = std::min(have + piece, stream.size());
        ++calls;
        const auto r = p.parse(std::span<const char>(stream.data(), have));
        if (r.st != status::need_more || have == stream.size()) {
            return r;
        }
    }
}

// A 16 MiB value arriving 16 KiB at a time: the payload is never scanned, so the work is the
// header plus two trailer bytes, however many reads it takes.
TEST(RespRequest, LinearBigBulkInSmallPieces) {
    const std::string header = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$16777216\r\n";
    std::string stream = header;
    stream.append(16 * 1024 * 1024, 'v');
    stream.append("\r\n");
    request_parser p;
    std::size_t calls = 0;
    const auto r = feed_in_pieces(p, stream, 16 * 1024, calls);
    ASSERT_EQ(r.st, status::ok);
    EXPECT_EQ(r.consumed, stream.size());
    EXPECT_EQ(p.arg(2).size(), 16u * 1024 * 1024);
    EXPECT_GT(calls, 1000u);
    EXPECT_LE(p.scanned_bytes(), 2 * header.size() + 3 * 2);
}

// MSET with 100k pairs arriving 16 KiB at a time: every byte is looked at a bounded number of
// times (searched once, header digits parsed once more), never rescanned from the start.
TEST(RespRequest, LinearHugeMultibulkInSmallPieces) {
    std::vector<std::string> owned = {"MSET"};
    for (int i = 0; i < 100000; ++i) {
        owned.push_back("key:" + std::to_string(i));
        owned.push_back("value:" + std::to_string(i));
    }
    const std::vector<std::string_view> args(owned.begin(), owned.end());
    std::string stream;
    encode_request(args, stream);
    request_parser p;
    std::size_t calls = 0;
    const auto r = feed_in_pieces(p, stream, 16 * 1024, calls);
    ASSERT_EQ(r.st, status::ok);
    EXPECT_EQ(r.consumed, stream.size());
    ASSERT_EQ(p.argc(), owned.size());
    EXPECT_EQ(p.arg(200000), "value:99999");
    EXPECT_GT(calls, 100u);
    EXPECT_LE(p.scanned_bytes(), 2 * stream.size());
}

TEST(RespRequest, LinearInlineOneByteAtATime) {
    std::string stream = "ECHO ";
    stream.append(60000, 'x');
    stream.append("\r\n");
    request_parser p;
    std::size_t calls = 0;
    const auto r = feed_in_pieces(p, stream, 1, calls);
    ASSERT_EQ(r.st, status::ok);
    EXPECT_EQ(calls, stream.size());
    EXPECT_EQ(p.arg(1).size(), 60000u);
    EXPECT_LE(p.scanned_bytes(), 2 * stream.size());
}

// The inline limit is about the line, not about how much arrived: a line of exactly
// max_inline_len bytes is fine, one more is too big, whether its LF is there or not.
TEST(RespRequest, InlineLimitAtRedisSize) {
    const limits l;
    std::string at_limit(l.max_inline_len, 'x');
    at_limit.push_back('\n');
    request_parser p;
    EXPECT_EQ(p.parse(bytes(at_limit)).st, status::ok);
    std::string over(l.max_inline_len + 1, 'x');
    EXPECT_EQ(p.parse(bytes(over)).st, status::too_large);
    over.push_back('\n');
    const auto r = p.parse(bytes(over));
    EXPECT_EQ(r.st, status::too_large);
    EXPECT_EQ(r.error, "Protocol error: too big inline request");
}

}  // namespace
}  // namespace coproxy::protocol::resp::test
