// Table tests for the memcached reply parser: each row is a backend byte stream, the commands its
// replies answer, and the outcomes expected; every row is replayed whole, split at every byte
// boundary and one byte at a time. Real memcached 1.6.18 replies are replayed in
// memcache_golden_test.cpp; these rows add the edge cases a healthy server rarely sends.
#include "coproxy/protocol/memcache_reply.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "memcache_test_util.hpp"

namespace coproxy::protocol::memcache {
namespace {

constexpr reply_limits test_limits{.max_line = 128, .max_value = 64};

std::string describe(const reply_parser::result& r, const reply_parser& p, command cmd) {
    if (r.st != status::ok) {
        return std::string(testing_util::status_name(r.st));
    }
    std::string s =
        std::string(testing_util::reply_name(p.kind())) + " " + std::to_string(r.consumed);
    if (is_retrieval(cmd)) {
        s += " values=" + std::to_string(p.value_count()) + "/" + std::to_string(p.values_size());
    }
    return s;
}

struct replay_result {
    std::vector<std::string> outcomes;
    std::size_t left = 0;
};

// Feeds `input` cut at `cuts`; the n-th reply answers cmds[n] (the last command repeats). A
// failure ends the stream (left stays 0), as the proxy would close that backend connection.
replay_result replay(const std::vector<command>& cmds, const std::string& input,
                     const std::vector<std::size_t>& cuts) {
    reply_parser parser(test_limits);
    std::string buffer;
    replay_result out;
    std::size_t fed = 0;
    std::vector<std::size_t> ends = cuts;
    ends.push_back(input.size());
    for (std::size_t end : ends) {
        buffer.append(input, fed, end - fed);
        fed = end;
        for (;;) {
            const command cmd = cmds[std::min(out.outcomes.size(), cmds.size() - 1)];
            const auto r = parser.parse(buffer, cmd);
            EXPECT_LE(r.consumed, buffer.size());
            if (r.st == status::need_more) {
                EXPECT_EQ(r.consumed, 0u);
                break;
            }
            out.outcomes.push_back(describe(r, parser, cmd));
            if (r.st != status::ok) {
                return out;  // the stream is abandoned: nothing is left to parse
            }
            EXPECT_GT(r.consumed, 0u);
            EXPECT_LE(parser.values_size(), r.consumed);
            buffer.erase(0, r.consumed);
        }
    }
    out.left = buffer.size();
    return out;
}

struct row {
    std::string name;
    std::vector<command> cmds;
    std::string input;
    std::vector<std::string> expected;
    std::size_t left = 0;
};

using enum command;

// clang-format off
const std::vector<row>& rows() {
    using namespace std::string_literals;
    static const std::vector<row> table = {
        // The get family.
        {"get_miss", {get}, "END\r\n", {"end 5 values=0/0"}},
        {"get_hit", {get}, "VALUE a 0 1\r\nx\r\nEND\r\n", {"end 21 values=1/16"}},
        {"get_many", {get}, "VALUE a 0 1\r\nx\r\nVALUE bb 7 2\r\nyy\r\nVALUE c 0 0\r\n\r\nEND\r\n",
         {"end 54 values=3/49"}},
        {"gets_cas", {gets}, "VALUE a 5 1 12345\r\nx\r\nEND\r\n", {"end 27 values=1/22"}},
        {"gat_and_gats", {gat, gats}, "VALUE a 0 1\r\nx\r\nEND\r\nEND\r\n",
         {"end 21 values=1/16", "end 5 values=0/0"}},
        {"value_data_looks_like_replies", {get},
         "VALUE a 0 12\r\nEND\r\nEND\r\n\r\n\r\nVALUE b 0 2\r\n\r\n\r\nEND\r\n", {"end 50 values=2/45"}},
        {"value_of_64_bytes", {get}, "VALUE a 0 64\r\n" + std::string(64, 'v') + "\r\nEND\r\n",
         {"end 85 values=1/80"}},
        {"value_too_large", {get}, "VALUE a 0 65\r\n", {"too_large"}},
        {"get_error_instead", {get, get, get},
         "ERROR\r\nCLIENT_ERROR bad command line format\r\nSERVER_ERROR out of memory\r\n",
         {"error 7 values=0/0", "client_error 38 values=0/0", "server_error 28 values=0/0"}},
        {"get_error_after_values", {get}, "VALUE a 0 1\r\nx\r\nSERVER_ERROR out of memory writing get response\r\n",
         {"server_error 65 values=1/16"}},
        {"value_bad_length", {get}, "VALUE a 0 x\r\n", {"invalid"}},
        {"value_negative_length", {get}, "VALUE a 0 -1\r\n", {"invalid"}},
        {"value_missing_length", {get}, "VALUE a 0\r\n", {"invalid"}},
        {"value_too_many_fields", {get}, "VALUE a 0 1 2 3\r\nx\r\nEND\r\n", {"invalid"}},
        {"value_bad_cas", {gets}, "VALUE a 0 1 x\r\nx\r\nEND\r\n", {"invalid"}},
        {"value_bad_terminator", {get}, "VALUE a 0 1\r\nxy\r\nEND\r\n", {"invalid"}},
        {"bare_newline", {get}, "END\n", {"invalid"}},
        {"empty_line", {get}, "\r\n", {"invalid"}},
        {"wrong_reply_for_get", {get}, "STORED\r\n", {"invalid"}},
        {"end_with_trailer", {get}, "END \r\n", {"invalid"}},
        {"line_too_long", {get}, "VALUE " + std::string(200, 'k'), {"too_large"}},
        {"line_at_limit", {version}, "VERSION " + std::string(120, 'v') + "\r\n", {"version 130"}},
        // Classic single-line replies.
        {"storage", {set, add, replace, cas, append, prepend},
         "STORED\r\nNOT_STORED\r\nNOT_STORED\r\nEXISTS\r\nSTORED\r\nNOT_FOUND\r\n",
         {"stored 8", "not_stored 12", "not_stored 12", "exists 8", "stored 8", "not_found 11"}},
        {"storage_errors", {set, set}, "SERVER_ERROR object too large for cache\r\nCLIENT_ERROR bad data chunk\r\n",
         {"server_error 41", "client_error 29"}},
        {"storage_wrong_reply", {set}, "DELETED\r\n", {"invalid"}},
        {"delete", {del, del}, "DELETED\r\nNOT_FOUND\r\n", {"deleted 9", "not_found 11"}},
        {"touch", {touch, touch}, "TOUCHED\r\nNOT_FOUND\r\n", {"touched 9", "not_found 11"}},
        {"incr_decr", {incr, decr, incr, incr}, "15\r\n0\r\n18446744073709551615\r\nNOT_FOUND\r\n",
         {"number 4", "number 3", "number 22", "not_found 11"}},
        {"incr_padded", {decr}, "9   \r\n", {"number 6"}},
        {"incr_non_numeric", {incr}, "CLIENT_ERROR cannot increment or decrement non-numeric value\r\n",
         {"client_error 62"}},
        {"incr_wrong_replies", {incr}, "-1\r\n", {"invalid"}},
        {"incr_space_first", {incr}, " 1\r\n", {"invalid"}},
        {"version", {version}, "VERSION 1.6.18\r\n", {"version 16"}},
        {"flush_all_verbosity", {flush_all, verbosity}, "OK\r\nOK\r\n", {"ok 4", "ok 4"}},
        {"quit_has_no_reply", {quit}, "OK\r\n", {"invalid"}},
        // Meta replies.
        {"mg_hd", {mg, mg}, "HD\r\nHD f0 s2 t-1 c5 kfoo O1\r\n", {"HD 4", "HD 25"}},
        {"mg_va", {mg}, "VA 2 f0 kfoo\r\nhi\r\n", {"VA 18"}},
        {"mg_va_empty", {mg}, "VA 0\r\n\r\n", {"VA 8"}},
        {"mg_va_data_looks_like_lines", {mg}, "VA 4\r\n\r\n\r\n\r\n", {"VA 12"}},
        {"mg_en", {mg, mg}, "EN\r\nEN knokey O9\r\n", {"EN 4", "EN 14"}},
        {"mg_errors", {mg}, "CLIENT_ERROR bad token in command line format\r\n", {"client_error 47"}},
        {"mg_va_too_large", {mg}, "VA 65\r\n", {"too_large"}},
        {"mg_va_bad_size", {mg}, "VA x\r\n", {"invalid"}},
        {"mg_va_no_size", {mg}, "VA\r\n", {"invalid"}},
        {"mg_va_bad_terminator", {mg}, "VA 2\r\nhiX\r\n", {"invalid"}},
        {"mg_code_glued_to_flags", {mg}, "HDf0\r\n", {"invalid"}},
        {"mg_wrong_code", {mg}, "NF\r\n", {"invalid"}},
        {"mg_classic_reply", {mg}, "END\r\n", {"invalid"}},
        {"ms", {ms, ms, ms, ms}, "HD c21 km2 O1\r\nNS\r\nEX\r\nNF\r\n", {"HD 15", "NS 4", "EX 4", "NF 4"}},
        {"ms_va_is_wrong", {ms}, "VA 1\r\nx\r\n", {"invalid"}},
        {"md", {md, md, md}, "HD\r\nNF O5 knokey\r\nEX\r\n", {"HD 4", "NF 14", "EX 4"}},
        {"ma", {ma, ma, ma, ma, ma}, "HD\r\nVA 1\r\n7\r\nNF\r\nNS\r\nEX\r\n",
         {"HD 4", "VA 9", "NF 4", "NS 4", "EX 4"}},
        {"mn", {mn}, "MN\r\n", {"MN 4"}},
        {"mn_wrong", {mn}, "HD\r\n", {"invalid"}},
        {"me", {me, me}, "ME k exp=-1 la=2 cas=17 fetch=no cls=1 size=62\r\nEN\r\n", {"ME 48", "EN 4"}},
        // A pipeline of different commands, as a backend connection sees it.
        {"pipeline", {get, set, mg, del, ma, mn},
         "VALUE a 0 1\r\nx\r\nEND\r\nSTORED\r\nVA 1 t-1\r\ny\r\nNOT_FOUND\r\nVA 2\r\n10\r\nMN\r\n",
         {"end 21 values=1/16", "stored 8", "VA 13", "not_found 11", "VA 10", "MN 4"}},
        {"partial", {get}, "VALUE a 0 10\r\nabc", {}, 17},
    };
    return table;
}
// clang-format on

TEST(MemcacheReply, RowsWhole) {
    std::map<std::string, std::string> seeds;
    for (const row& r : rows()) {
        SCOPED_TRACE(r.name);
        const replay_result got = replay(r.cmds, r.input, {});
        EXPECT_EQ(got.outcomes, r.expected);
        EXPECT_EQ(got.left, r.left);
        seeds[r.name] = testing_util::fuzz_input(true, r.cmds.front(), r.input);
    }
    testing_util::check_seeds("reply_", seeds);
}

TEST(MemcacheReply, RowsSplitAtEveryByte) {
    for (const row& r : rows()) {
        for (std::size_t cut = 1; cut < r.input.size(); ++cut) {
            SCOPED_TRACE(testing::Message() << r.name << " cut at " << cut);
            const replay_result got = replay(r.cmds, r.input, {cut});
            ASSERT_EQ(got.outcomes, r.expected);
            ASSERT_EQ(got.left, r.left);
        }
    }
}

TEST(MemcacheReply, RowsOneByteAtATime) {
    for (const row& r : rows()) {
        SCOPED_TRACE(r.name);
        std::vector<std::size_t> cuts;
        for (std::size_t cut = 1; cut < r.input.size(); ++cut) {
            cuts.push_back(cut);
        }
        const replay_result got = replay(r.cmds, r.input, cuts);
        EXPECT_EQ(got.outcomes, r.expected);
        EXPECT_EQ(got.left, r.left);
    }
}

// Merging a split multi-get: each server's VALUE blocks, in order, then a single END.
TEST(MemcacheReply, MergesSubRepliesUnderOneEnd) {
    const std::string first = "VALUE a 0 1\r\n1\r\nVALUE c 0 1\r\n3\r\nEND\r\n";
    const std::string second = "END\r\n";
    const std::string third = "VALUE b 0 2\r\n22\r\nEND\r\n";
    std::string merged;
    reply_parser parser;
    for (const std::string* sub : {&first, &second, &third}) {
        const auto r = parser.parse(*sub, get);
        ASSERT_EQ(r.st, status::ok);
        ASSERT_EQ(r.consumed, sub->size());
        merged.append(*sub, 0, parser.values_size());
    }
    merged += "END\r\n";
    EXPECT_EQ(merged, "VALUE a 0 1\r\n1\r\nVALUE c 0 1\r\n3\r\nVALUE b 0 2\r\n22\r\nEND\r\n");
    const auto r = parser.parse(merged, get);
    EXPECT_EQ(r.consumed, merged.size());
    EXPECT_EQ(parser.value_count(), 3u);
}

TEST(MemcacheReply, ResumesOnAMovedBuffer) {
    reply_parser parser;
    std::string first = "VALUE a 0 5\r\nab";
    ASSERT_EQ(parser.parse(first, get).st, status::need_more);
    std::string second = first + "cde\r\nEND\r\n";
    first.assign(first.size(), '#');
    const auto r = parser.parse(second, get);
    ASSERT_EQ(r.st, status::ok);
    EXPECT_EQ(r.consumed, second.size());
    EXPECT_EQ(parser.values_size(), second.size() - 5);
}

// Linearity without timing: count the bytes the parser looks at.
TEST(MemcacheReply, LargeValueInPiecesIsLinear) {
    reply_parser parser;  // default limits: 1 MiB values
    const std::string value(1024 * 1024, 'v');
    const std::string input =
        "VALUE big 0 " + std::to_string(value.size()) + "\r\n" + value + "\r\nEND\r\n";
    std::size_t size = 0;
    reply_parser::result r;
    do {
        size = std::min(size + 16 * 1024, input.size());
        r = parser.parse(std::string_view(input).substr(0, size), get);
    } while (r.st == status::need_more);
    ASSERT_EQ(r.st, status::ok);
    EXPECT_EQ(r.consumed, input.size());
    EXPECT_LE(parser.scanned_bytes(), 2 * (input.size() - value.size()));
}

TEST(MemcacheReply, HundredKeyReplyByteByByteIsLinear) {
    std::string input;
    for (int i = 0; i < 100; ++i) {
        const std::string data(100 + i, static_cast<char>('a' + i % 26));
        input += "VALUE key:" + std::to_string(i) + " 0 " + std::to_string(data.size()) + "\r\n" +
                 data + "\r\n";
    }
    input += "END\r\n";
    reply_parser parser;
    reply_parser::result r;
    for (std::size_t size = 1; size <= input.size(); ++size) {
        r = parser.parse(std::string_view(input).substr(0, size), get);
        if (r.st != status::need_more) {
            break;
        }
    }
    ASSERT_EQ(r.st, status::ok);
    EXPECT_EQ(parser.value_count(), 100u);
    // Lines are searched once and read once more to classify; data blocks are never read.
    EXPECT_LE(parser.scanned_bytes(), 2 * (input.size() - 100 * 100 - 4950));
}

}  // namespace
}  // namespace coproxy::protocol::memcache
