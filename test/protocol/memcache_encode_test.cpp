// Tests for the memcached request encoders: the loud rewrite of quiet requests (the proxy never
// forwards noreply or q) and multi-get sub-requests. Every encoding is parsed back and must give
// the same request, minus its quietness.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "coproxy/protocol/memcache_request.hpp"
#include "memcache_test_util.hpp"

namespace coproxy::protocol::memcache {
namespace {

using testing_util::escape;

struct parsed {
    command cmd = command::get;
    std::vector<std::string> keys;
    std::string exptime;
    std::string data;
    std::string hash_key;
    bool quiet = false;
    bool base64_key = false;
    std::size_t consumed = 0;
};

std::optional<parsed> parse_one(std::string_view bytes) {
    request_parser parser;
    const auto r = parser.parse(bytes);
    if (r.st != status::ok) {
        return std::nullopt;
    }
    const request& q = parser.request();
    parsed p{q.cmd,
             {},
             std::string(q.exptime),
             std::string(q.data),
             std::string(parser.hash_key()),
             q.quiet,
             q.base64_key,
             r.consumed};
    for (std::string_view k : q.keys) {
        p.keys.emplace_back(k);
    }
    return p;
}

std::string loud(std::string_view bytes) {
    request_parser parser;
    EXPECT_EQ(parser.parse(bytes).st, status::ok) << escape(bytes);
    std::string out = "prefix:";  // encoders append
    encode_without_quiet(parser.request(), out);
    EXPECT_TRUE(out.starts_with("prefix:"));
    return out.substr(7);
}

// Parsing the loud form gives the same request, not quiet, and consumes exactly the encoding.
void expect_round_trip(std::string_view original) {
    SCOPED_TRACE(escape(original));
    const auto before = parse_one(original);
    ASSERT_TRUE(before);
    const std::string encoded = loud(original);
    const auto after = parse_one(encoded);
    ASSERT_TRUE(after) << escape(encoded);
    EXPECT_EQ(after->consumed, encoded.size());
    EXPECT_EQ(after->cmd, before->cmd);
    EXPECT_EQ(after->keys, before->keys);
    EXPECT_EQ(after->exptime, before->exptime);
    EXPECT_EQ(after->data, before->data);
    EXPECT_EQ(after->hash_key, before->hash_key);
    EXPECT_EQ(after->base64_key, before->base64_key);
    EXPECT_FALSE(after->quiet);
    EXPECT_EQ(loud(encoded), encoded);  // a loud request stays as it is
}

TEST(MemcacheEncode, DropsNoreplyAndQ) {
    struct row {
        std::string_view quiet;
        std::string_view loud;
    };
    const std::vector<row> rows = {
        {"set k 0 0 2 noreply\r\nhi\r\n", "set k 0 0 2\r\nhi\r\n"},
        {"add k 5 60 3 noreply\r\na\r\n\r\n", "add k 5 60 3\r\na\r\n\r\n"},
        {"cas k 1 2 3 99 noreply\r\nabc\r\n", "cas k 1 2 3 99\r\nabc\r\n"},
        {"incr k 5 noreply\r\n", "incr k 5\r\n"},
        {"decr k 5 noreply\n", "decr k 5\r\n"},
        {"delete k noreply\r\n", "delete k\r\n"},
        {"delete k 0 noreply\r\n", "delete k 0\r\n"},
        {"touch k 10 noreply\r\n", "touch k 10\r\n"},
        {"flush_all noreply\r\n", "flush_all\r\n"},
        {"flush_all 5 noreply\r\n", "flush_all 5\r\n"},
        {"verbosity 1 noreply\r\n", "verbosity 1\r\n"},
        {"mg k q v\r\n", "mg k v\r\n"},
        {"mg k v qq O1\r\n", "mg k v O1\r\n"},
        {"mg  k  q   v \r\n", "mg k v\r\n"},
        {"mg Zm9v b q k\r\n", "mg Zm9v b k\r\n"},
        {"ms k 2 q T0\r\nhi\r\n", "ms k 2 T0\r\nhi\r\n"},
        {"ms q 1 q\r\nq\r\n", "ms q 1\r\nq\r\n"},  // a key or data that reads "q" stays
        {"md q q\r\n", "md q\r\n"},
        {"ma k q N0 v\r\n", "ma k N0 v\r\n"},
        // Loud requests are re-encoded as they are.
        {"get a b\r\n", "get a b\r\n"},
        {"gat 10 a\r\n", "gat 10 a\r\n"},
        {"set k 0 0 1 xyz\r\nx\r\n", "set k 0 0 1 xyz\r\nx\r\n"},
        {"delete k 0\r\n", "delete k 0\r\n"},
        {"mn\r\n", "mn\r\n"},
        {"me Zm9v b\r\n", "me Zm9v b\r\n"},
    };
    for (const row& r : rows) {
        EXPECT_EQ(loud(r.quiet), r.loud) << escape(r.quiet);
        expect_round_trip(r.quiet);
    }
}

TEST(MemcacheEncode, RetrievalSubRequests) {
    const std::vector<std::string_view> keys = {"k1", "k5", "k9"};
    std::string out;
    encode_retrieval(command::get, {}, keys, out);
    EXPECT_EQ(out, "get k1 k5 k9\r\n");
    out.clear();
    encode_retrieval(command::gats, "300", std::span(keys).first(2), out);
    EXPECT_EQ(out, "gats 300 k1 k5\r\n");
    for (command cmd : {command::get, command::gets, command::gat, command::gats}) {
        for (std::size_t n = 1; n <= keys.size(); ++n) {
            out.clear();
            encode_retrieval(cmd, "-1", std::span(keys).first(n), out);
            const auto p = parse_one(out);
            ASSERT_TRUE(p) << out;
            EXPECT_EQ(p->cmd, cmd);
            EXPECT_EQ(p->consumed, out.size());
            EXPECT_EQ(p->keys, std::vector<std::string>(keys.begin(), keys.begin() + n));
            EXPECT_EQ(p->exptime, cmd == command::gat || cmd == command::gats ? "-1" : "");
        }
    }
}

// Splitting a multi-get per server and re-encoding gives back every key exactly once.
TEST(MemcacheEncode, SplitMultiGetRoundTrip) {
    std::string line = "gets";
    for (int i = 0; i < 100; ++i) {
        line += " key:" + std::to_string(i);
    }
    line += "\r\n";
    request_parser parser;
    ASSERT_EQ(parser.parse(line).st, status::ok);
    std::vector<std::vector<std::string_view>> per_server(3);
    for (std::size_t i = 0; i < parser.request().keys.size(); ++i) {
        per_server[i % 3].push_back(parser.request().keys[i]);
    }
    std::vector<std::string> seen;
    for (const auto& keys : per_server) {
        std::string sub;
        encode_retrieval(command::gets, {}, keys, sub);
        const auto p = parse_one(sub);
        ASSERT_TRUE(p);
        seen.insert(seen.end(), p->keys.begin(), p->keys.end());
    }
    EXPECT_EQ(seen.size(), 100u);
}

// Random quiet requests built from the grammar: the loud form round-trips.
TEST(MemcacheEncode, RandomQuietRequestsRoundTrip) {
    std::mt19937 rng(42);
    const auto pick = [&](std::initializer_list<std::string_view> options) {
        return *(options.begin() + rng() % options.size());
    };
    const auto key = [&] {
        std::string k;
        const std::size_t n = 1 + rng() % 40;
        for (std::size_t i = 0; i < n; ++i) {
            k += static_cast<char>('!' + rng() % 94);  // any printable but space
        }
        return k;
    };
    const auto data = [&] {
        std::string d;
        const std::size_t n = rng() % 20;
        for (std::size_t i = 0; i < n; ++i) {
            d += pick({"a", "\r", "\n", "\r\n", " ", "\0", "q"});
        }
        return d;
    };
    for (int i = 0; i < 2000; ++i) {
        std::string req;
        const std::string d = data();
        switch (rng() % 6) {
            case 0:
                req = std::string(pick({"set", "add", "replace", "append", "prepend"})) + " " +
                      key() + " " + std::to_string(rng() % 100) + " 0 " + std::to_string(d.size()) +
                      " noreply\r\n" + d + "\r\n";
                break;
            case 1:
                req = "cas " + key() + " 0 0 " + std::to_string(d.size()) + " " +
                      std::to_string(rng()) + " noreply\r\n" + d + "\r\n";
                break;
            case 2:
                req = std::string(pick({"incr", "decr", "touch"})) + " " + key() + " 7 noreply\r\n";
                break;
            case 3:
                req = std::string(pick({"mg", "md", "ma"})) + " " + key() + " " +
                      std::string(pick({"q", "q v", "v q", "O1 q k", "qx"})) + "\r\n";
                break;
            case 4:
                req = "ms " + key() + " " + std::to_string(d.size()) + " " +
                      std::string(pick({"q", "T0 q", "q F1 c"})) + "\r\n" + d + "\r\n";
                break;
            default:
                req = "delete " + key() + std::string(pick({" noreply", " 0 noreply"})) + "\r\n";
                break;
        }
        ASSERT_TRUE(parse_one(req).value_or(parsed{}).quiet) << escape(req);
        expect_round_trip(req);
    }
}

}  // namespace
}  // namespace coproxy::protocol::memcache
