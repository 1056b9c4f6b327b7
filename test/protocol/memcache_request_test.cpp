// Table tests for the memcached request parser. Each row is a client byte stream and the outcomes
// the parser must report, in order; every row is replayed whole, split at every byte boundary and
// one byte at a time, and must give the same outcomes. Expected errors and resyncs are memcached
// 1.6.18's (memcache_golden_test.cpp replays recorded sessions against the real thing).
#include "coproxy/protocol/memcache_request.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "memcache_test_util.hpp"

namespace coproxy::protocol::memcache {
namespace {

using testing_util::escape;

// Small value and retrieval-line limits keep "too large" rows short; max_line is memcached's.
constexpr request_limits test_limits{.max_line = 2048, .max_retrieval_line = 4096, .max_value = 64};

std::string describe(const request_parser::result& r, const request_parser& p) {
    std::string s;
    if (r.st != status::ok) {
        s = std::string(testing_util::status_name(r.st)) + " " + std::to_string(r.consumed) + " ";
        std::string_view reply = r.reply;
        if (reply.ends_with("\r\n")) {
            reply.remove_suffix(2);
        }
        s += reply.empty() ? "<silent>" : escape(reply);
        return r.close ? s + " close" : s;
    }
    const request& q = p.request();
    s = std::string(name(q.cmd)) + " " + std::to_string(r.consumed);
    if (!q.keys.empty() || is_retrieval(q.cmd)) {
        s += " [";
        for (std::size_t i = 0; i < q.keys.size(); ++i) {
            s += (i == 0 ? "" : " ") + escape(q.keys[i]);
        }
        s += "]";
    }
    if (!q.exptime.empty()) {
        s += " exp=" + std::string(q.exptime);
    }
    if (q.quiet) {
        s += " quiet";
    }
    if (q.base64_key) {
        s += " b64=" + escape(p.hash_key());
    }
    if (is_storage(q.cmd)) {
        s += " data=" + escape(q.data);
    }
    return s;
}

struct replay_result {
    std::vector<std::string> outcomes;
    std::size_t left = 0;  // bytes still unconsumed at the end
};

// Feeds `input` cut at `cuts`, parsing after each piece until need_more, the way a read loop does.
// A rejected storage request whose data block is skipped over several calls reports one outcome.
replay_result replay(const std::string& input, const std::vector<std::size_t>& cuts) {
    request_parser parser(test_limits);
    std::string buffer;
    replay_result out;
    std::size_t fed = 0;
    std::vector<std::size_t> ends = cuts;
    ends.push_back(input.size());
    for (std::size_t end : ends) {
        buffer.append(input, fed, end - fed);
        fed = end;
        for (;;) {
            const bool was_swallowing = parser.swallowing();
            const auto r = parser.parse(buffer);
            EXPECT_LE(r.consumed, buffer.size());
            if (r.st == status::need_more) {
                EXPECT_EQ(r.consumed, 0u);
                break;
            }
            EXPECT_TRUE(r.consumed > 0 || r.close) << describe(r, parser);
            if (was_swallowing) {
                EXPECT_TRUE(r.reply.empty());
                EXPECT_FALSE(out.outcomes.empty());
                std::string& last = out.outcomes.back();
                const std::size_t sp1 = last.find(' ');
                const std::size_t sp2 = last.find(' ', sp1 + 1);
                const std::size_t before = std::stoul(last.substr(sp1 + 1, sp2 - sp1 - 1));
                last.replace(sp1 + 1, sp2 - sp1 - 1, std::to_string(before + r.consumed));
            } else {
                out.outcomes.push_back(describe(r, parser));
            }
            buffer.erase(0, r.consumed);
            if (r.close) {
                out.left = buffer.size() + input.size() - fed;
                return out;
            }
        }
    }
    out.left = buffer.size();
    return out;
}

struct row {
    std::string name;
    std::string input;
    std::vector<std::string> expected;
    std::size_t left = 0;
};

std::string many_keys(std::size_t n) {
    std::string s;
    for (std::size_t i = 0; i < n; ++i) {
        s += (i == 0 ? "" : " ") + std::string("key:") + std::to_string(i);
    }
    return s;
}

const std::string k250(250, 'k');
const std::string k251(251, 'k');
const std::string x64(64, 'x');
const std::string x65(65, 'x');
const std::string o31(31, 'o');
const std::string o32(32, 'o');

// "<what> <size of input><rest>": rows whose input is too long to count by hand.
std::string sized(std::string_view what, const std::string& input, std::string_view rest) {
    return std::string(what) + " " + std::to_string(input.size()) + std::string(rest);
}

const std::string get_250 = "get " + k250 + "\r\n";
const std::string get_251 = "get a " + k251 + " b\r\n";
const std::string get_200 = "get " + many_keys(200) + "\r\n";
const std::string set_251 = "set " + k251 + " 0 0 1\r\n";
const std::string get_400 = "get " + many_keys(400) + "\r\n";
const std::string gets_100_spaces = std::string(100, ' ') + "gets " + many_keys(300) + "\r\n";
const std::string gets_101_spaces = std::string(101, ' ') + "gets " + many_keys(300) + "\r\n";
const std::string gat_300 = "gat 1 " + many_keys(300) + "\r\n";
const std::string get_600 = "get " + many_keys(600) + "\r\n";

// clang-format off
const std::vector<row>& rows() {
    using namespace std::string_literals;
    static const std::vector<row> table = {
        // Retrieval.
        {"get", "get k\r\n", {"get 7 [k]"}},
        {"get_many", "get a b c d e\r\n", {"get 15 [a b c d e]"}},
        {"gets", "gets a b\r\n", {"gets 10 [a b]"}},
        {"get_extra_spaces", "get  a   b \r\n", {"get 13 [a b]"}},
        {"get_leading_spaces", "   get a\r\n", {"get 10 [a]"}},
        {"get_bare_newline", "get a\n", {"get 6 [a]"}},
        {"get_only_last_cr_is_stripped", "get a\r\r\n", {"get 8 [a\\r]"}},
        {"get_nul_ends_the_line", "get a\0b c\r\n"s, {"get 11 [a]"}},
        {"get_control_bytes_in_key", "get a\x01\x7f\xff\r\n", {"get 10 [a\\x01\\x7f\\xff]"}},
        {"get_key_250", get_250, {sized("get", get_250, " [" + k250 + "]")}},
        {"get_key_251", get_251, {sized("invalid", get_251, " CLIENT_ERROR bad command line format")}},
        {"get_200_keys", get_200, {sized("get", get_200, " [" + many_keys(200) + "]")}},
        {"gat", "gat 100 a b\r\n", {"gat 13 [a b] exp=100"}},
        {"gats", "gats -1 a\r\n", {"gats 11 [a] exp=-1"}},
        {"gat_without_keys", "gat 10\r\n", {"gat 8 [] exp=10"}},
        {"gat_bad_exptime", "gat x a\r\n", {"invalid 9 CLIENT_ERROR invalid exptime argument"}},
        {"get_without_key", "get\r\n", {"invalid 5 ERROR"}},
        {"get_tab_is_not_a_space", "get\tfoo\r\n", {"invalid 9 ERROR"}},
        {"get_upper_case", "GET a\r\n", {"invalid 7 ERROR"}},
        // Storage.
        {"set", "set k 0 0 2\r\nhi\r\n", {"set 17 [k] data=hi"}},
        {"set_noreply", "set k 0 0 2 noreply\r\nhi\r\n", {"set 25 [k] quiet data=hi"}},
        {"set_extra_token_is_ignored", "set k 0 0 2 xyz\r\nhi\r\n", {"set 21 [k] data=hi"}},
        {"set_binary_data", "set k 0 0 6\r\na\r\nb\r\n\r\n", {"set 21 [k] data=a\\r\\nb\\r\\n"}},
        {"set_empty", "set k 0 0 0\r\n\r\n", {"set 15 [k] data="}},
        {"set_largest_value", "set k 0 0 64\r\n" + x64 + "\r\n", {"set 80 [k] data=" + x64}},
        {"add", "add k 1 2 1\r\nx\r\n", {"add 16 [k] data=x"}},
        {"replace", "replace k 1 2 1\r\nx\r\n", {"replace 20 [k] data=x"}},
        {"append", "append k 0 0 1\r\nx\r\n", {"append 19 [k] data=x"}},
        {"prepend", "prepend k 0 0 1\r\nx\r\n", {"prepend 20 [k] data=x"}},
        {"cas", "cas k 0 0 1 42\r\nx\r\n", {"cas 19 [k] data=x"}},
        {"cas_noreply", "cas k 0 0 1 42 noreply\r\nx\r\n", {"cas 27 [k] quiet data=x"}},
        {"set_length_wraps_like_memcached", "set k 0 0 4294967298\r\nhi\r\n", {"set 26 [k] data=hi"}},
        {"set_numbers_as_strtol_reads_them", "set k -0 +0 \t2\r\nhi\r\n", {"set 20 [k] data=hi"}},
        {"set_flags_past_32_bits", "set k 4294967296 0 1\r\nx\r\n", {"set 25 [k] data=x"}},
        {"set_token_count", "set k 0 0\r\nhi\r\n", {"invalid 11 ERROR", "invalid 4 ERROR"}},
        {"set_bad_length_resyncs_on_data", "set k 0 0 abc\r\nhi\r\n",
         {"invalid 15 CLIENT_ERROR bad command line format", "invalid 4 ERROR"}},
        {"set_negative_length", "set k 0 0 -1\r\n", {"invalid 14 CLIENT_ERROR bad command line format"}},
        {"set_negative_flags", "set k -1 0 1\r\nx\r\n",
         {"invalid 14 CLIENT_ERROR bad command line format", "invalid 3 ERROR"}},
        {"set_length_past_int", "set k 0 0 2147483646\r\n", {"invalid 22 CLIENT_ERROR bad command line format"}},
        {"set_key_251", set_251 + "x\r\n",
         {sized("invalid", set_251, " CLIENT_ERROR bad command line format"), "invalid 3 ERROR"}},
        {"set_noreply_silences_line_errors", "set k 0 0 x noreply\r\nset k 0 0 noreply\r\n",
         {"invalid 21 <silent>", "invalid 19 <silent>"}},
        {"cas_bad_unique", "cas k 0 0 1 -1\r\nx\r\n",
         {"invalid 16 CLIENT_ERROR bad command line format", "invalid 3 ERROR"}},
        {"bad_data_chunk", "set k 0 0 2\r\nhiX\r\n",
         {"invalid 17 CLIENT_ERROR bad data chunk", "invalid 1 ERROR"}},
        {"bad_data_chunk_bare_newline", "set k 0 0 2\r\nhi\nmn\r\n",
         {"invalid 17 CLIENT_ERROR bad data chunk", "invalid 3 ERROR"}},
        {"bad_data_chunk_noreply", "set k 0 0 2 noreply\r\nhiX\r\n", {"invalid 25 <silent>", "invalid 1 ERROR"}},
        {"bad_data_chunk_ms_q_still_answers", "ms k 2 q\r\nhiX\r\n",
         {"invalid 14 CLIENT_ERROR bad data chunk", "invalid 1 ERROR"}},
        {"too_large_swallows", "set k 0 0 65\r\n" + x65 + "\r\nmn\r\n",
         {"too_large 81 SERVER_ERROR object too large for cache", "mn 4"}},
        {"too_large_swallows_any_terminator", "set k 0 0 65\r\n" + x65 + "XYmn\r\n",
         {"too_large 81 SERVER_ERROR object too large for cache", "mn 4"}},
        {"too_large_noreply", "set k 0 0 65 noreply\r\n" + x65 + "\r\n", {"too_large 89 <silent>"}},
        {"too_large_ms", "ms k 65 q\r\n" + x65 + "\r\n", {"too_large 78 SERVER_ERROR object too large for cache"}},
        {"too_large_partly_arrived", "set k 0 0 65\r\n" + x64,
         {"too_large 78 SERVER_ERROR object too large for cache"}},
        // Other classic commands.
        {"incr", "incr k 5\r\n", {"incr 10 [k]"}},
        {"decr_noreply", "decr k 5 noreply\r\n", {"decr 18 [k] quiet"}},
        {"incr_extra_token", "incr k 5 xyz\r\n", {"incr 14 [k]"}},
        {"incr_max", "incr k 18446744073709551615\r\n", {"incr 29 [k]"}},
        {"incr_bad_delta", "incr k abc\r\nincr k -1\r\nincr k 18446744073709551616\r\n",
         {"invalid 12 CLIENT_ERROR invalid numeric delta argument",
          "invalid 11 CLIENT_ERROR invalid numeric delta argument",
          "invalid 29 CLIENT_ERROR invalid numeric delta argument"}},
        {"incr_bad_delta_noreply", "incr k abc noreply\r\n", {"invalid 20 <silent>"}},
        {"incr_token_count", "incr k\r\n", {"invalid 8 ERROR"}},
        {"touch", "touch k 10\r\n", {"touch 12 [k]"}},
        {"touch_noreply", "touch k 10 noreply\r\n", {"touch 20 [k] quiet"}},
        {"touch_bad_exptime", "touch k x\r\n", {"invalid 11 CLIENT_ERROR invalid exptime argument"}},
        {"delete", "delete k\r\n", {"delete 10 [k]"}},
        {"delete_noreply", "delete k noreply\r\n", {"delete 18 [k] quiet"}},
        {"delete_legacy_zero", "delete k 0\r\n", {"delete 12 [k]"}},
        {"delete_legacy_zero_noreply", "delete k 0 noreply\r\n", {"delete 20 [k] quiet"}},
        {"delete_hold_time", "delete k 1\r\n",
         {"invalid 12 CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]"}},
        {"delete_hold_time_noreply", "delete k 1 noreply\r\n", {"invalid 20 <silent>"}},
        {"delete_zero_zero", "delete k 0 0\r\n",
         {"invalid 14 CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]"}},
        {"delete_token_count", "delete\r\ndelete a b c d\r\n", {"invalid 8 ERROR", "invalid 16 ERROR"}},
        {"delete_key_251_noreply", "delete " + k251 + " noreply\r\n", {"invalid 268 <silent>"}},
        {"flush_all", "flush_all\r\nflush_all 10\r\n", {"flush_all 11", "flush_all 14"}},
        {"flush_all_noreply", "flush_all noreply\r\nflush_all 10 noreply\r\n",
         {"flush_all 19 quiet", "flush_all 22 quiet"}},
        {"flush_all_bad_delay", "flush_all x\r\nflush_all noreply 10\r\nflush_all x noreply\r\n",
         {"invalid 13 CLIENT_ERROR invalid exptime argument",
          "invalid 22 CLIENT_ERROR invalid exptime argument", "invalid 21 <silent>"}},
        {"verbosity", "verbosity 1\r\nverbosity 1 noreply\r\n", {"verbosity 13", "verbosity 21 quiet"}},
        {"verbosity_bad_level", "verbosity x\r\n", {"invalid 13 CLIENT_ERROR bad command line format"}},
        {"version_and_quit", "version\r\nquit\r\n", {"version 9", "quit 6"}},
        {"unsupported_commands", "stats slabs\r\nwatch\r\nbget a\r\n", {"invalid 13 ERROR", "invalid 7 ERROR", "invalid 8 ERROR"}},
        {"stats", "stats\r\nstats reset\r\nstats reset now\r\n", {"stats 7", "stats 13", "invalid 17 ERROR"}},
        {"empty_lines", "\r\n\n  \r\n", {"invalid 2 ERROR", "invalid 1 ERROR", "invalid 4 ERROR"}},
        // Meta commands.
        {"mg", "mg k v\r\n", {"mg 8 [k]"}},
        {"mg_quiet", "mg k q v k O123\r\n", {"mg 17 [k] quiet"}},
        {"mg_quiet_with_a_token", "mg k qv\r\n", {"mg 9 [k] quiet"}},
        {"mg_base64", "mg Zm9v b v\r\n", {"mg 13 [Zm9v] b64=foo"}},
        {"mg_base64_binary", "mg AAH/ b\r\n", {"mg 11 [AAH/] b64=\\x00\\x01\\xff"}},
        {"mg_proxy_hints", "mg k P Lpath v\r\n", {"mg 16 [k]"}},
        {"mg_17_flags", "mg k c f h k l s t u v O1 T1 N1 R1 q P L I\r\n", {"mg 44 [k] quiet"}},
        {"mg_18_flags", "mg k c f h k l s t u v O1 T1 N1 R1 q P L I E\r\n",
         {"invalid 46 CLIENT_ERROR options flags are too long"}},
        {"mg_opaque_32", "mg k O" + o31 + "\r\n", {"mg 39 [k]"}},
        {"mg_opaque_33", "mg k O" + o32 + "\r\n", {"invalid 40 CLIENT_ERROR opaque token too long"}},
        {"ms", "ms k 2 T0 F5\r\nhi\r\n", {"ms 18 [k] data=hi"}},
        {"ms_quiet_mode", "ms k 2 q MA\r\nhi\r\n", {"ms 17 [k] quiet data=hi"}},
        {"ms_empty", "ms k 0\r\n\r\n", {"ms 10 [k] data="}},
        {"ms_base64", "ms Zm9v 2 b\r\nhi\r\n", {"ms 17 [Zm9v] b64=foo data=hi"}},
        {"ms_16_flags", "ms k 1 c f h k l s t u v O1 T1 N1 R1 P L I\r\nx\r\n", {"ms 47 [k] data=x"}},
        {"ms_17_flags_does_not_swallow", "ms k 1 c f h k l s t u v O1 T1 N1 R1 P L I q\r\nx\r\n",
         {"invalid 46 CLIENT_ERROR options flags too long", "invalid 3 ERROR"}},
        {"md", "md k q\r\nmd k I T30 C5\r\n", {"md 8 [k] quiet", "md 15 [k]"}},
        {"ma", "ma k q N0 J5 D2 MI\r\nma k M+ v\r\nma k M- v\r\n",
         {"ma 20 [k] quiet", "ma 11 [k]", "ma 11 [k]"}},
        {"mn", "mn\r\nmn foo\r\n", {"mn 4", "mn 8"}},
        {"me", "me k\r\nme Zm9v b\r\nme k x y\r\n", {"me 6 [k]", "me 11 [Zm9v] b64=foo", "me 10 [k]"}},
        {"meta_without_key", "mg\r\nms\r\nmd\r\nma\r\nme\r\n",
         {"invalid 4 ERROR", "invalid 4 ERROR", "invalid 4 ERROR", "invalid 4 ERROR",
          "invalid 4 CLIENT_ERROR bad command line format"}},
        {"meta_unknown", "mx k\r\nm\r\n", {"invalid 6 ERROR", "invalid 3 ERROR"}},
        {"meta_invalid_flag", "mg k E5\r\nmd k x\r\nma k S\r\n",
         {"invalid 9 CLIENT_ERROR invalid flag", "invalid 8 CLIENT_ERROR invalid or duplicate flag",
          "invalid 8 CLIENT_ERROR invalid or duplicate flag"}},
        {"meta_duplicate_flag", "mg k v v\r\nmg k \x80\r\n",
         {"invalid 10 CLIENT_ERROR duplicate flag", "invalid 8 CLIENT_ERROR duplicate flag"}},
        {"meta_bad_tokens", "mg k Nx\r\nma k Jx\r\nma k D\r\nmd k Cx\r\n",
         {"invalid 9 CLIENT_ERROR bad token in command line format",
          "invalid 9 CLIENT_ERROR invalid or duplicate flag",
          "invalid 8 CLIENT_ERROR invalid or duplicate flag",
          "invalid 9 CLIENT_ERROR invalid or duplicate flag"}},
        {"meta_last_error_wins", "mg k T Mxy\r\nmg k Mxy T\r\n",
         {"invalid 12 CLIENT_ERROR incorrect length for M token",
          "invalid 12 CLIENT_ERROR bad token in command line format"}},
        {"ms_bad_client_flags_keep_previous_error", "ms k 1 Fx\r\nx\r\nms k 1 T Fx\r\nx\r\n",
         {"invalid 14 CLIENT_ERROR bad command line format",
          "invalid 16 CLIENT_ERROR bad token in command line format"}},
        {"meta_modes", "ms k 2 Mx\r\nhi\r\nma k Mx\r\n",
         {"invalid 15 CLIENT_ERROR invalid mode for ms M token",
          "invalid 9 CLIENT_ERROR invalid mode for ma M token"}},
        {"ms_flag_error_swallows_data", "ms k 2 zz\r\nhi\r\nmn\r\n",
         {"invalid 15 CLIENT_ERROR invalid flag", "mn 4"}},
        {"ms_bad_length_does_not_swallow", "ms k abc\r\nhi\r\n",
         {"invalid 10 CLIENT_ERROR bad command line format", "invalid 4 ERROR"}},
        {"meta_base64_errors", "mg foo b\r\nmd foo b\r\nme foo b\r\nms foo 2 b\r\nhi\r\n",
         {"invalid 10 CLIENT_ERROR error decoding key",
          "invalid 10 CLIENT_ERROR invalid or duplicate flag",
          "invalid 10 CLIENT_ERROR bad command line format",
          "invalid 16 CLIENT_ERROR error decoding key"}},
        {"meta_key_251", "mg " + k251 + "\r\nms " + k251 + " 1\r\nx\r\n",
         {"invalid 256 CLIENT_ERROR bad command line format",
          "invalid 258 CLIENT_ERROR bad command line format", "invalid 3 ERROR"}},
        // Line length: memcached closes after 2048 bytes without a newline unless it is a get.
        {"line_too_long_unterminated", std::string(2050, 'x'), {"too_large 0 CLIENT_ERROR line too long close"}, 2050},
        {"line_2049_may_still_end_in_cr", std::string(2049, 'x'), {}, 2049},
        {"line_2048_is_fine", std::string(2048, 'x') + "\r\n", {"invalid 2050 ERROR"}},
        {"line_2048_bare_newline_is_fine", std::string(2048, 'x') + "\n", {"invalid 2049 ERROR"}},
        {"line_2049_is_too_long", std::string(2049, 'x') + "\r\n",
         {"too_large 0 CLIENT_ERROR line too long close"}, 2051},
        {"line_2049_bare_newline_is_too_long", std::string(2049, 'x') + "\n",
         {"too_large 0 CLIENT_ERROR line too long close"}, 2050},
        {"meta_line_too_long", "mg " + std::string(3000, 'k') + "\r\n",
         {"too_large 0 CLIENT_ERROR line too long close"}, 3005},
        {"long_multiget", get_400, {sized("get", get_400, " [" + many_keys(400) + "]")}},
        {"long_multiget_after_100_spaces", gets_100_spaces,
         {sized("gets", gets_100_spaces, " [" + many_keys(300) + "]")}},
        {"long_multiget_after_101_spaces", gets_101_spaces,
         {"too_large 0 CLIENT_ERROR line too long close"}, gets_101_spaces.size()},
        {"long_gat", gat_300, {sized("gat", gat_300, " [" + many_keys(300) + "] exp=1")}},
        {"multiget_over_its_limit", get_600,
         {"too_large 0 CLIENT_ERROR line too long close"}, get_600.size()},
        // Binary protocol, only at the start of the stream.
        {"binary_protocol", "\x80\x01\x00\x03"s, {"binary_protocol 0 CLIENT_ERROR binary protocol is not supported close"}, 4},
        {"0x80_later_is_text", "mn\r\n\x80x\r\n", {"mn 4", "invalid 4 ERROR"}},
        // Pipelines and partial input.
        {"pipeline", "get a\r\nset b 0 0 1\r\nx\r\nbogus\r\nmg c v\r\ndelete d noreply\r\nms e 1 q\r\ny\r\n",
         {"get 7 [a]", "set 16 [b] data=x", "invalid 7 ERROR", "mg 8 [c]", "delete 18 [d] quiet",
          "ms 13 [e] quiet data=y"}},
        {"partial_line", "get a", {}, 5},
        {"partial_data", "set k 0 0 10\r\nabc", {}, 17},
        {"partial_after_request", "mn\r\nset k 0 0 10\r\nabc", {"mn 4"}, 17},
    };
    return table;
}
// clang-format on

TEST(MemcacheRequest, RowsWhole) {
    std::map<std::string, std::string> seeds;
    for (const row& r : rows()) {
        SCOPED_TRACE(r.name);
        const replay_result got = replay(r.input, {});
        EXPECT_EQ(got.outcomes, r.expected);
        EXPECT_EQ(got.left, r.left);
        seeds[r.name] = testing_util::fuzz_input(false, command::get, r.input);
    }
    testing_util::check_seeds("request_", seeds);
}

TEST(MemcacheRequest, RowsSplitAtEveryByte) {
    for (const row& r : rows()) {
        for (std::size_t cut = 1; cut < r.input.size(); ++cut) {
            SCOPED_TRACE(testing::Message() << r.name << " cut at " << cut);
            const replay_result got = replay(r.input, {cut});
            ASSERT_EQ(got.outcomes, r.expected);
            ASSERT_EQ(got.left, r.left);
        }
    }
}

TEST(MemcacheRequest, RowsOneByteAtATime) {
    for (const row& r : rows()) {
        SCOPED_TRACE(r.name);
        std::vector<std::size_t> cuts;
        for (std::size_t cut = 1; cut < r.input.size(); ++cut) {
            cuts.push_back(cut);
        }
        const replay_result got = replay(r.input, cuts);
        EXPECT_EQ(got.outcomes, r.expected);
        EXPECT_EQ(got.left, r.left);
    }
}

TEST(MemcacheRequest, ViewsCoverTheRequest) {
    request_parser parser;
    const std::string input = "gat 30 a b\r\nms k 3 q\r\nabc\r\n";
    auto r = parser.parse(input);
    ASSERT_EQ(r.st, status::ok);
    EXPECT_EQ(parser.request().raw, "gat 30 a b\r\n");
    EXPECT_EQ(parser.request().line, "gat 30 a b\r\n");
    EXPECT_EQ(parser.request().exptime, "30");
    EXPECT_EQ(parser.request().tokens.size(), 4u);
    r = parser.parse(std::string_view(input).substr(r.consumed));
    ASSERT_EQ(r.st, status::ok);
    EXPECT_EQ(parser.request().raw, "ms k 3 q\r\nabc\r\n");
    EXPECT_EQ(parser.request().line, "ms k 3 q\r\n");
    EXPECT_EQ(parser.request().data, "abc");
    EXPECT_EQ(parser.request().key(), "k");
    EXPECT_EQ(parser.hash_key(), "k");
}

// The parser may be handed a moved buffer between calls: it keeps offsets, never pointers.
TEST(MemcacheRequest, ResumesOnAMovedBuffer) {
    request_parser parser;
    std::string first = "set k 0 0 5\r\nab";
    ASSERT_EQ(parser.parse(first).st, status::need_more);
    std::string second = first + "cde\r\n";
    first.assign(first.size(), '#');  // the old bytes are gone
    const auto r = parser.parse(second);
    ASSERT_EQ(r.st, status::ok);
    EXPECT_EQ(parser.request().data, "abcde");
    EXPECT_EQ(parser.request().key(), "k");
}

// Linearity without timing: count the bytes the parser looks at.
TEST(MemcacheRequest, LargeValueInPiecesIsLinear) {
    request_parser parser;  // default limits: 1 MiB values
    const std::string value(1024 * 1024, 'v');
    const std::string input =
        "set big 0 0 " + std::to_string(value.size()) + "\r\n" + value + "\r\n";
    std::size_t size = 0;
    request_parser::result r;
    do {
        size = std::min(size + 16 * 1024, input.size());
        r = parser.parse(std::string_view(input).substr(0, size));
    } while (r.st == status::need_more);
    ASSERT_EQ(r.st, status::ok);
    EXPECT_EQ(parser.request().data.size(), value.size());
    // The line is searched once and tokenized twice; the 1 MiB value is never read.
    EXPECT_LE(parser.scanned_bytes(), 3 * (input.size() - value.size()));
}

TEST(MemcacheRequest, LongMultiGetByteByByteIsLinear) {
    request_parser parser;
    const std::string input = "get " + many_keys(20000) + "\r\n";
    request_parser::result r;
    for (std::size_t size = 1; size <= input.size(); ++size) {
        r = parser.parse(std::string_view(input).substr(0, size));
        if (r.st != status::need_more) {
            break;
        }
    }
    ASSERT_EQ(r.st, status::ok);
    EXPECT_EQ(parser.request().keys.size(), 20000u);
    EXPECT_LE(parser.scanned_bytes(), 2 * input.size() + 200);
}

TEST(MemcacheRequest, SwallowsALargeRejectedValueAcrossCalls) {
    request_parser parser(test_limits);
    const std::string input = "set k 0 0 1000\r\n" + std::string(1000, 'z') + "\r\nmn\r\n";
    auto r = parser.parse(std::string_view(input).substr(0, 100));
    EXPECT_EQ(r.st, status::too_large);
    EXPECT_EQ(r.consumed, 100u);
    EXPECT_EQ(r.reply, "SERVER_ERROR object too large for cache\r\n");
    EXPECT_TRUE(parser.swallowing());
    std::size_t pos = r.consumed;
    r = parser.parse({});
    EXPECT_EQ(r.st, status::need_more);
    r = parser.parse(std::string_view(input).substr(pos, 500));
    EXPECT_EQ(r.st, status::too_large);
    EXPECT_EQ(r.consumed, 500u);
    EXPECT_TRUE(r.reply.empty());
    pos += r.consumed;
    r = parser.parse(std::string_view(input).substr(pos));
    EXPECT_EQ(r.consumed, input.size() - pos - 4);
    EXPECT_FALSE(parser.swallowing());
    pos += r.consumed;
    r = parser.parse(std::string_view(input).substr(pos));
    EXPECT_EQ(r.st, status::ok);
    EXPECT_EQ(parser.request().cmd, command::mn);
}

TEST(MemcacheRequest, ResetStartsANewStream) {
    request_parser parser;
    ASSERT_EQ(parser.parse(std::string_view("set k 0 0 5\r\nab")).st, status::need_more);
    parser.reset();
    const std::string binary = "\x80\x00";
    EXPECT_EQ(parser.parse(binary).st, status::binary_protocol);
}

}  // namespace
}  // namespace coproxy::protocol::memcache
