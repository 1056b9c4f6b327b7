// The request table. resp_request_test.cpp replays every row whole, split at every byte and byte
// by byte; resp_corpus_test.cpp keeps each row's input as a seed of the resp_request_fuzz target.
// Error texts are Redis 7's; test/protocol/resp_golden_test.cpp pins them to a real redis-server.
#pragma once

#include <ostream>
#include <string_view>
#include <vector>

#include "coproxy/protocol/resp_request.hpp"
#include "protocol/resp_test_support.hpp"

namespace coproxy::protocol::resp::test {

using namespace std::string_view_literals;

struct request_case {
    std::string_view name;  // also the seed file name
    std::string_view input;
    status st = status::ok;
    std::size_t consumed = whole;  // checked only when ok
    std::vector<std::string_view> args = {};
    bool is_inline = false;
    std::string_view error = {};
    limits lim = {};
};

// Parameterized test names come from the row; this keeps gtest from dumping its bytes.
inline void PrintTo(const request_case& c, std::ostream* os) {
    *os << c.name;
}

constexpr std::string_view e_mbulk = "Protocol error: invalid multibulk length";
constexpr std::string_view e_bulk = "Protocol error: invalid bulk length";
constexpr std::string_view e_big_mbulk = "Protocol error: too big mbulk count string";
constexpr std::string_view e_big_bulk = "Protocol error: too big bulk count string";
constexpr std::string_view e_big_inline = "Protocol error: too big inline request";
constexpr std::string_view e_quotes = "Protocol error: unbalanced quotes in request";
// Redis prints the offending byte, with CR and LF shown as spaces.
constexpr std::string_view e_got_space = "Protocol error: expected '$', got ' '";
constexpr std::string_view e_bulk_end = "Protocol error: expected CRLF after bulk argument";

constexpr std::string_view e_unauth_mbulk = "Protocol error: unauthenticated multibulk length";
constexpr std::string_view e_unauth_bulk = "Protocol error: unauthenticated bulk length";
constexpr limits unauth = {.unauthenticated = true};

constexpr auto ok = status::ok;
constexpr auto more = status::need_more;
constexpr auto bad = status::invalid;
constexpr auto big = status::too_large;

// clang-format off
inline const std::vector<request_case> request_cases = {
    // Multibulk: forwarded as received.
    {"mb_ping", "*1\r\n$4\r\nPING\r\n", ok, whole, {"PING"}},
    {"mb_set", "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n", ok, whole,
     {"SET", "key", "value"}},
    {"mb_lowercase", "*2\r\n$3\r\nget\r\n$1\r\nk\r\n", ok, whole, {"get", "k"}},
    {"mb_empty_arg", "*2\r\n$4\r\nECHO\r\n$0\r\n\r\n", ok, whole, {"ECHO", ""}},
    {"mb_only_empty_args", "*3\r\n$0\r\n\r\n$0\r\n\r\n$0\r\n\r\n", ok, whole, {"", "", ""}},
    {"mb_nul_in_arg", "*2\r\n$4\r\nECHO\r\n$3\r\na\0b\r\n"sv, ok, whole, {"ECHO", "a\0b"sv}},
    {"mb_crlf_in_arg", "*2\r\n$4\r\nECHO\r\n$4\r\n\r\n\r\n\r\n", ok, whole, {"ECHO", "\r\n\r\n"}},
    {"mb_resp_in_arg", "*2\r\n$4\r\nECHO\r\n$8\r\n*1\r\n$1\r\n\r\n", ok, whole,
     {"ECHO", "*1\r\n$1\r\n"}},
    {"mb_high_bytes", "*2\r\n$4\r\nECHO\r\n$3\r\n\xff\x80\0\r\n"sv, ok, whole,
     {"ECHO", "\xff\x80\0"sv}},
    {"mb_ten_args", "*10\r\n$3\r\nDEL\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n$1\r\ne\r\n"
                    "$1\r\nf\r\n$1\r\ng\r\n$1\r\nh\r\n$1\r\ni\r\n",
     ok, whole, {"DEL", "a", "b", "c", "d", "e", "f", "g", "h", "i"}},
    {"mb_pipeline", "*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nPING\r\n", ok, 14, {"PING"}},
    {"mb_then_inline", "*1\r\n$4\r\nPING\r\nPING\r\n", ok, 14, {"PING"}},
    {"mb_then_partial", "*1\r\n$4\r\nPING\r\n*2\r\n$3", ok, 14, {"PING"}},
    // Redis consumes these and runs nothing.
    {"mb_zero_count", "*0\r\n", ok, whole, {}},
    {"mb_null_count", "*-1\r\n", ok, whole, {}},
    {"mb_negative_count", "*-7\r\n", ok, whole, {}},
    {"mb_min_int64_count", "*-9223372036854775808\r\n", ok, whole, {}},
    {"mb_zero_then_ping", "*0\r\n*1\r\n$4\r\nPING\r\n", ok, 4, {}},
    // Exactly at each limit.
    {"mb_count_at_limit", "*2\r\n$1\r\na\r\n$1\r\nb\r\n", ok, whole, {"a", "b"}, false, {},
     {.max_multibulk_len = 2}},
    {"mb_bulk_at_limit", "*1\r\n$3\r\nabc\r\n", ok, whole, {"abc"}, false, {}, {.max_bulk_len = 3}},
    {"mb_lines_at_limit", "*1\r\n$4\r\nPING\r\n", ok, whole, {"PING"}, false, {},
     {.max_inline_len = 2}},

    // Before AUTH, Redis also caps args at 10 and bulks at 16 KiB; inline is not capped.
    {"unauth_ten_args", "*10\r\n$3\r\nDEL\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n"
                        "$1\r\ne\r\n"
                        "$1\r\nf\r\n$1\r\ng\r\n$1\r\nh\r\n$1\r\ni\r\n",
     ok, whole, {"DEL", "a", "b", "c", "d", "e", "f", "g", "h", "i"}, false, {}, unauth},
    {"unauth_negative_count", "*-5\r\n", ok, whole, {}, false, {}, unauth},
    {"unauth_inline_many_args", "DEL a b c d e f g h i j k\r\n", ok, whole,
     {"DEL", "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k"}, true, {}, unauth},
    {"unauth_bulk_at_limit", "*1\r\n$16384\r\n", more, 0, {}, false, {}, unauth},
    {"err_unauth_count", "*11\r\n", big, 0, {}, false, e_unauth_mbulk, unauth},
    {"err_unauth_count_invalid_first", "*3000000000\r\n", bad, 0, {}, false, e_mbulk, unauth},
    {"err_unauth_bulk", "*1\r\n$16385\r\n", big, 0, {}, false, e_unauth_bulk, unauth},
    {"err_unauth_bulk_invalid_first", "*1\r\n$-1\r\n", bad, 0, {}, false, e_bulk, unauth},

    {"nm_empty", "", more},
    {"nm_star", "*", more},
    {"nm_count_cr", "*1\r", more},
    {"nm_count_line", "*1\r\n", more},
    {"nm_bulk_len_cr", "*1\r\n$4\r", more},
    {"nm_bulk_payload", "*1\r\n$4\r\nPIN", more},
    {"nm_bulk_no_crlf", "*1\r\n$4\r\nPING", more},
    {"nm_bulk_cr_only", "*1\r\n$4\r\nPING\r", more},
    {"nm_second_arg", "*2\r\n$4\r\nECHO\r\n", more},
    // Redis reads a header only once its CR is there, even if it is already wrong.
    {"nm_long_count", "*123456789012345678901234567890", more},
    {"nm_no_dollar_yet", "*1\r\nfoo", more},
    {"nm_redis_max_bulk", "*1\r\n$536870912\r\n", more},

    {"err_count_letter", "*x\r\n", bad, 0, {}, false, e_mbulk},
    {"err_count_empty", "*\r\n", bad, 0, {}, false, e_mbulk},
    {"err_count_plus", "*+1\r\n$4\r\nPING\r\n", bad, 0, {}, false, e_mbulk},
    {"err_count_leading_zero", "*01\r\n$4\r\nPING\r\n", bad, 0, {}, false, e_mbulk},
    {"err_count_minus_zero", "*-0\r\n", bad, 0, {}, false, e_mbulk},
    {"err_count_minus_only", "*-\r\n", bad, 0, {}, false, e_mbulk},
    {"err_count_space_before", "* 1\r\n", bad, 0, {}, false, e_mbulk},
    {"err_count_space_after", "*1 \r\n", bad, 0, {}, false, e_mbulk},
    {"err_count_over_int_max", "*2147483648\r\n", bad, 0, {}, false, e_mbulk},
    {"err_count_int64_overflow", "*9223372036854775808\r\n", bad, 0, {}, false, e_mbulk},
    {"err_count_21_chars", "*100000000000000000000\r\n", bad, 0, {}, false, e_mbulk},
    {"err_count_bad_lf", "*1\rX$4\r\nPING\r\n", bad, 0, {}, false, e_mbulk},
    {"err_count_lf_only", "*1\n$4\r\nPING\r\n", bad, 0, {}, false, e_mbulk},
    {"err_count_over_default_limit", "*2147483647\r\n", big, 0, {}, false, e_mbulk},
    {"err_count_over_limit", "*3\r\n", big, 0, {}, false, e_mbulk, {.max_multibulk_len = 2}},
    {"err_count_line_too_long", "*12345", big, 0, {}, false, e_big_mbulk, {.max_inline_len = 4}},
    {"err_count_cr_past_limit", "*1234\r\n", big, 0, {}, false, e_big_mbulk, {.max_inline_len = 4}},
    {"err_bulk_colon", "*1\r\n:1\r\n", bad, 0, {}, false, "Protocol error: expected '$', got ':'"},
    {"err_bulk_empty_line", "*1\r\n\r\n", bad, 0, {}, false, e_got_space},
    {"err_bulk_lf_line", "*1\r\n\n\r\n", bad, 0, {}, false, e_got_space},
    {"err_bulk_nul", "*1\r\n\0abc\r\n"sv, bad, 0, {}, false, e_got_space},
    {"err_bulk_inline_text", "*2\r\n$4\r\nECHO\r\nfoo\r\n", bad, 0, {}, false,
     "Protocol error: expected '$', got 'f'"},
    {"err_bulk_negative", "*1\r\n$-1\r\n", bad, 0, {}, false, e_bulk},
    {"err_bulk_minus_zero", "*1\r\n$-0\r\n", bad, 0, {}, false, e_bulk},
    {"err_bulk_plus", "*1\r\n$+4\r\nPING\r\n", bad, 0, {}, false, e_bulk},
    {"err_bulk_leading_zero", "*1\r\n$04\r\nPING\r\n", bad, 0, {}, false, e_bulk},
    {"err_bulk_letter", "*1\r\n$x\r\n", bad, 0, {}, false, e_bulk},
    {"err_bulk_empty_len", "*1\r\n$\r\n", bad, 0, {}, false, e_bulk},
    {"err_bulk_overflow", "*1\r\n$99999999999999999999\r\n", bad, 0, {}, false, e_bulk},
    {"err_bulk_bad_lf", "*1\r\n$4\rXPING\r\n", bad, 0, {}, false, e_bulk},
    {"err_second_bulk_len", "*2\r\n$4\r\nECHO\r\n$x\r\n", bad, 0, {}, false, e_bulk},
    {"err_bulk_over_redis_max", "*1\r\n$536870913\r\n", big, 0, {}, false, e_bulk},
    {"err_bulk_over_limit", "*1\r\n$4\r\nPING\r\n", big, 0, {}, false, e_bulk, {.max_bulk_len = 3}},
    {"err_bulk_len_too_long", "*1\r\n$1234\r\n", big, 0, {}, false, e_big_bulk,
     {.max_inline_len = 4}},
    // Redis skips the two bytes after a payload unread; we insist on CRLF (see resp_request.cpp).
    {"err_bulk_end_letters", "*1\r\n$4\r\nPINGXY", bad, 0, {}, false, e_bulk_end},
    {"err_bulk_end_cr_only", "*1\r\n$4\r\nPING\rX", bad, 0, {}, false, e_bulk_end},
    {"err_bulk_end_swapped", "*1\r\n$4\r\nPING\n\r", bad, 0, {}, false, e_bulk_end},
    {"err_bulk_too_short", "*1\r\n$3\r\nPING\r\n", bad, 0, {}, false, e_bulk_end},

    // Inline: decoded with Redis's quoting rules, re-encoded by the caller.
    {"in_ping_crlf", "PING\r\n", ok, whole, {"PING"}, true},
    {"in_ping_lf", "PING\n", ok, whole, {"PING"}, true},
    {"in_ping_cr_cr_lf", "PING\r\r\n", ok, whole, {"PING"}, true},
    {"in_blanks", "  ECHO   x  \n", ok, whole, {"ECHO", "x"}, true},
    {"in_double_quotes", "SET a \"b c\"\r\n", ok, whole, {"SET", "a", "b c"}, true},
    {"in_escapes", "ECHO \"a\\x41\\x4g\\n\\q\\\"\"\r\n", ok, whole, {"ECHO", "aAx4g\nq\""}, true},
    {"in_escape_bare_x", "ECHO \"\\x\"\r\n", ok, whole, {"ECHO", "x"}, true},
    {"in_escape_controls", "ECHO \"\\t\\r\\b\\a\\\\\"\r\n", ok, whole, {"ECHO", "\t\r\b\a\\"},
     true},
    {"in_escape_hex", "ECHO \"\\xff\\x00\\xAb\"\r\n", ok, whole, {"ECHO", "\xff\0\xab"sv}, true},
    {"in_single_quotes", "ECHO 'it\\'s \\\\ \\n'\r\n", ok, whole, {"ECHO", "it's \\\\ \\n"}, true},
    {"in_single_no_hex", "ECHO '\\x41'\r\n", ok, whole, {"ECHO", "\\x41"}, true},
    {"in_double_in_single", "ECHO '\"'\r\n", ok, whole, {"ECHO", "\""}, true},
    {"in_single_in_double", "ECHO \"a'b\"\r\n", ok, whole, {"ECHO", "a'b"}, true},
    {"in_empty_double", "ECHO \"\"\r\n", ok, whole, {"ECHO", ""}, true},
    {"in_empty_single", "ECHO ''\r\n", ok, whole, {"ECHO", ""}, true},
    {"in_quote_mid_token", "ECHO ab\"c d\"\r\n", ok, whole, {"ECHO", "abc d"}, true},
    {"in_vtab_in_token", "ECHO a\vb\r\n", ok, whole, {"ECHO", "a\vb"}, true},
    {"in_vtab_after_quote", "ECHO \"a\"\v\r\n", ok, whole, {"ECHO", "a"}, true},
    {"in_formfeed", "\fECHO\f x\r\n", ok, whole, {"ECHO\f", "x"}, true},
    {"in_tab_and_cr_split", "ECHO\tfoo\rbar\r\n", ok, whole, {"ECHO", "foo", "bar"}, true},
    {"in_nul_byte", "ECHO a\0b\r\n"sv, ok, whole, {"ECHO", "a\0b"sv}, true},
    {"in_utf8", "ECHO caf\xc3\xa9\r\n", ok, whole, {"ECHO", "caf\xc3\xa9"}, true},
    {"in_leading_space_star", " *1\r\n", ok, whole, {"*1"}, true},
    {"in_dollar_text", "$4\r\n", ok, whole, {"$4"}, true},
    // Redis skips empty and blank lines.
    {"in_empty_crlf", "\r\n", ok, whole, {}, true},
    {"in_empty_lf", "\n", ok, whole, {}, true},
    {"in_blank_line", "   \t\r\n", ok, whole, {}, true},
    {"in_pipeline", "PING\r\nPING\r\n", ok, 6, {"PING"}, true},
    {"in_then_multibulk", "PING\r\n*1\r\n$4\r\nPING\r\n", ok, 6, {"PING"}, true},
    {"in_line_at_limit", "PING\r\n", ok, whole, {"PING"}, true, {}, {.max_inline_len = 5}},

    {"nm_inline", "PING", more},
    {"nm_inline_cr", "PING\r", more},
    {"nm_inline_open_quote", "SET a \"b", more},

    {"err_inline_open_double", "ECHO \"abc\r\n", bad, 0, {}, false, e_quotes},
    {"err_inline_open_single", "ECHO 'abc\r\n", bad, 0, {}, false, e_quotes},
    {"err_inline_after_double", "ECHO \"a\"b\r\n", bad, 0, {}, false, e_quotes},
    {"err_inline_after_single", "ECHO 'a'b\r\n", bad, 0, {}, false, e_quotes},
    {"err_inline_quote_quote", "ECHO \"a\"\"b\"\r\n", bad, 0, {}, false, e_quotes},
    {"err_inline_mid_token_open", "ECHO ab\"c d\"e\r\n", bad, 0, {}, false, e_quotes},
    {"err_inline_escaped_close", "ECHO \"abc\\\"\r\n", bad, 0, {}, false, e_quotes},
    {"err_inline_trailing_backslash", "ECHO \"abc\\\r\n", bad, 0, {}, false, e_quotes},
    {"err_inline_too_long", "PING\r\n", big, 0, {}, false, e_big_inline, {.max_inline_len = 4}},
    {"err_inline_no_lf_too_long", "PINGPONG", big, 0, {}, false, e_big_inline,
     {.max_inline_len = 4}},
};
// clang-format on

}  // namespace coproxy::protocol::resp::test
