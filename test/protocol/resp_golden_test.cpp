// The codec against bytes captured from redis-server 7.0 and redis-cli: what clients really
// send, the exact protocol errors Redis answers, how Redis splits inline commands, and the
// replies (RESP2 and RESP3, HELLO 3, pushes, attributes) a backend really produces.
#include "protocol/resp_golden.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "coproxy/protocol/resp.hpp"  // the umbrella header stands alone too
#include "protocol/resp_test_support.hpp"

namespace coproxy::protocol::resp::test {
namespace {

std::string redis_error_reply(std::string_view error) {
    return "-ERR " + std::string(error) + "\r\n";
}

std::string as_bulk(std::string_view s) {
    return "$" + std::to_string(s.size()) + "\r\n" + std::string(s) + "\r\n";
}

TEST(RespGolden, RedisCliRequestsParseAndEncodeIdentically) {
    for (const auto& c : golden::cli_captures) {
        SCOPED_TRACE(std::string(c.name));
        request_parser p;
        const auto r = p.parse(bytes(c.sent));
        ASSERT_EQ(r.st, status::ok);
        EXPECT_EQ(r.consumed, c.sent.size());
        EXPECT_FALSE(p.is_inline());
        EXPECT_EQ(args_of(p), std::vector<std::string>(c.args.begin(), c.args.end()));
        std::string encoded;
        encode_request(c.args, encoded);
        EXPECT_EQ(encoded, c.sent);
    }
}

TEST(RespGolden, ProtocolErrorsMatchRedisByteForByte) {
    for (const auto& c : golden::error_captures) {
        SCOPED_TRACE(std::string(c.name));
        request_parser p;
        const auto r = p.parse(bytes(c.request));
        ASSERT_NE(r.st, status::ok);
        ASSERT_NE(r.st, status::need_more);
        EXPECT_EQ(redis_error_reply(r.error), c.redis_reply);
    }
}

TEST(RespGolden, UnauthenticatedLimitsMatchRedis) {
    for (const auto& c : golden::unauthenticated_captures) {
        SCOPED_TRACE(std::string(c.name));
        request_parser p({.unauthenticated = true});
        const auto r = p.parse(bytes(c.request));
        ASSERT_NE(r.st, status::ok);
        ASSERT_NE(r.st, status::need_more);
        EXPECT_EQ(redis_error_reply(r.error), c.redis_reply);
    }
}

TEST(RespGolden, TooBigLinesMatchRedis) {
    request_parser p;
    const std::string mbulk = "*" + std::string(70000, '1');
    auto r = p.parse(bytes(mbulk));
    EXPECT_EQ(r.st, status::too_large);
    EXPECT_EQ(redis_error_reply(r.error), golden::too_big_mbulk_reply);

    const std::string bulk = "*1\r\n" + std::string(70000, 'x');
    r = p.parse(bytes(bulk));
    EXPECT_EQ(r.st, status::too_large);
    EXPECT_EQ(redis_error_reply(r.error), golden::too_big_bulk_reply);

    const std::string inline_line(70000, 'x');
    r = p.parse(bytes(inline_line));
    EXPECT_EQ(r.st, status::too_large);
    EXPECT_EQ(redis_error_reply(r.error), golden::too_big_inline_reply);
}

TEST(RespGolden, InlineSplittingMatchesRedis) {
    for (const auto& c : golden::inline_captures) {
        SCOPED_TRACE(std::string(c.name));
        request_parser p;
        const auto r = p.parse(bytes(c.line));
        ASSERT_EQ(r.st, status::ok);
        ASSERT_TRUE(p.is_inline());
        ASSERT_GE(p.argc(), 1u);
        if (c.redis_reply.starts_with("$")) {
            ASSERT_EQ(p.argc(), 2u);
            EXPECT_EQ(p.arg(0), "ECHO");
            EXPECT_EQ(as_bulk(p.arg(1)), c.redis_reply);
        } else {
            // Redis did not see ECHO at all: it names the command it did see.
            const std::string prefix = "-ERR unknown command '" + std::string(p.arg(0)) + "'";
            EXPECT_TRUE(c.redis_reply.starts_with(prefix)) << c.redis_reply;
        }
    }
}

TEST(RespGolden, IgnoredRequestsAreEmptyThenPing) {
    request_parser p;
    std::string_view rest = golden::ignored_then_ping;
    std::size_t empty = 0;
    for (;;) {
        const auto r = p.parse(bytes(rest));
        ASSERT_EQ(r.st, status::ok);
        rest.remove_prefix(r.consumed);
        if (p.argc() == 0) {
            ++empty;
            continue;
        }
        EXPECT_EQ(args_of(p), std::vector<std::string>{"PING"});
        break;
    }
    EXPECT_EQ(empty, 6u);
    EXPECT_TRUE(rest.empty());
    EXPECT_EQ(golden::ignored_then_ping_reply, "+PONG\r\n");  // one command ran
}

TEST(RespGolden, StricterThanRedisWhereRedisSkipsBytesUnread) {
    for (const auto& c : golden::lax_captures) {
        SCOPED_TRACE(std::string(c.name));
        request_parser p;
        const auto r = p.parse(bytes(c.request));
        EXPECT_EQ(r.st, status::invalid);
        EXPECT_EQ(r.error, c.our_error);
    }
}

// Every captured byte stream splits into exactly the top-level replies Redis sent.
TEST(RespGolden, RepliesFrameExactly) {
    for (const auto& c : golden::reply_captures) {
        SCOPED_TRACE(std::string(c.name));
        reply_parser p;
        std::string_view rest = c.reply;
        std::string types;
        while (!rest.empty()) {
            const auto r = p.parse(bytes(rest));
            ASSERT_EQ(r.st, status::ok) << r.error;
            types.push_back(static_cast<char>(p.type()));
            rest.remove_prefix(r.consumed);
        }
        EXPECT_EQ(types, c.types);
    }
}

TEST(RespGolden, RepliesSplitAtEveryByte) {
    for (const auto& c : golden::reply_captures) {
        SCOPED_TRACE(std::string(c.name));
        reply_parser whole_parser;
        const auto want = whole_parser.parse(bytes(c.reply));
        ASSERT_EQ(want.st, status::ok);
        const auto want_type = whole_parser.type();
        replay_split_everywhere(
            reply_parser(), c.reply, [&](const reply_parser& p, const reply_parser::result& r) {
                return r.st == want.st && r.consumed == want.consumed && p.type() == want_type
                           ? std::string()
                           : std::string("differs from the whole parse");
            });
    }
}

TEST(RespGolden, RequestsOfReplyCapturesAreCanonical) {
    for (const auto& c : golden::reply_captures) {
        SCOPED_TRACE(std::string(c.name));
        request_parser p;
        const auto r = p.parse(bytes(c.request));
        ASSERT_EQ(r.st, status::ok);
        EXPECT_EQ(r.consumed, c.request.size());
        std::string encoded;
        encode_request(p, encoded);
        EXPECT_EQ(encoded, c.request);
    }
}

TEST(RespGolden, Hello3IsAMapOfSevenPairs) {
    const auto& hello = golden::reply_captures;
    const auto it = std::find_if(hello.begin(), hello.end(),
                                 [](const auto& c) { return c.name == "resp3_hello3"; });
    ASSERT_NE(it, hello.end());
    std::vector<std::string_view> elements;
    ASSERT_TRUE(split_array(it->reply, elements));
    ASSERT_EQ(elements.size(), 14u);
    EXPECT_EQ(elements[0], "$6\r\nserver\r\n");
    EXPECT_EQ(elements[4], "$5\r\nproto\r\n");
    EXPECT_EQ(integer_value(elements[5]), 3);
    EXPECT_EQ(elements[13], "*0\r\n");
}

TEST(RespGolden, AttributeValueOffset) {
    for (const auto& c : golden::reply_captures) {
        if (c.name != "resp3_debug_attrib") {
            continue;
        }
        reply_parser p;
        const auto r = p.parse(bytes(c.reply));
        ASSERT_EQ(r.st, status::ok);
        EXPECT_EQ(c.reply.substr(p.value_offset()),
                  "$39\r\nSome real reply following the attribute\r\n");
        return;
    }
    FAIL() << "capture missing";
}

TEST(RespGolden, MergeHelpersOnRealReplies) {
    for (const auto& c : golden::reply_captures) {
        if (c.name == "resp2_del_count") {
            EXPECT_EQ(integer_value(c.reply), 2);
        }
        if (c.name == "resp2_mget_nil") {
            std::vector<std::string_view> elements;
            ASSERT_TRUE(split_array(c.reply, elements));
            EXPECT_EQ(elements,
                      (std::vector<std::string_view>{"$1\r\nv\r\n", "$-1\r\n", "$2\r\n-9\r\n"}));
        }
    }
}

}  // namespace
}  // namespace coproxy::protocol::resp::test
