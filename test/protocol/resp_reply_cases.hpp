// The reply table: every RESP2 and RESP3 type, nested, null, attributed, pipelined and broken.
// resp_reply_test.cpp replays each row whole, split at every byte and byte by byte;
// resp_corpus_test.cpp keeps each row's input as a seed of the resp_reply_fuzz target.
#pragma once

#include <ostream>
#include <string_view>
#include <vector>

#include "coproxy/protocol/resp_reply.hpp"
#include "protocol/resp_test_support.hpp"

namespace coproxy::protocol::resp::test {

using namespace std::string_view_literals;

struct reply_case {
    std::string_view name;  // also the seed file name
    std::string_view input;
    status st = status::ok;
    std::size_t consumed = whole;  // the rest are checked only when ok
    reply_type type = reply_type::null;
    bool is_null = false;
    std::size_t value_offset = 0;
    std::string_view error = {};
    reply_limits lim = {};
};

inline void PrintTo(const reply_case& c, std::ostream* os) {
    *os << c.name;
}

namespace reply_rows {

using t = reply_type;
constexpr auto ok = status::ok;
constexpr auto more = status::need_more;
constexpr auto bad = status::invalid;
constexpr auto big = status::too_large;

constexpr std::string_view e_type = "Protocol error: invalid reply type byte";
constexpr std::string_view e_line_end = "Protocol error: reply line not terminated by CRLF";
constexpr std::string_view e_line_long = "Protocol error: reply line too long";
constexpr std::string_view e_int = "Protocol error: invalid integer";
constexpr std::string_view e_null = "Protocol error: invalid null";
constexpr std::string_view e_bool = "Protocol error: invalid boolean";
constexpr std::string_view e_double = "Protocol error: invalid double";
constexpr std::string_view e_big_number = "Protocol error: invalid big number";
constexpr std::string_view e_bulk_len = "Protocol error: invalid bulk length";
constexpr std::string_view e_bulk_end = "Protocol error: bulk not terminated by CRLF";
constexpr std::string_view e_verbatim = "Protocol error: invalid verbatim string";
constexpr std::string_view e_aggregate = "Protocol error: invalid aggregate length";
constexpr std::string_view e_deep = "Protocol error: reply nesting too deep";

// clang-format off
inline const std::vector<reply_case> rows = {
    // RESP2
    {"simple_ok", "+OK\r\n", ok, whole, t::simple_string},
    {"simple_empty", "+\r\n", ok, whole, t::simple_string},
    {"simple_punctuation", "+a:b c*$\r\n", ok, whole, t::simple_string},
    {"error_err", "-ERR unknown command 'x'\r\n", ok, whole, t::simple_error},
    {"error_wrongtype", "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
     ok, whole, t::simple_error},
    {"error_empty", "-\r\n", ok, whole, t::simple_error},
    {"int_zero", ":0\r\n", ok, whole, t::integer},
    {"int_negative", ":-9\r\n", ok, whole, t::integer},
    {"int_max", ":9223372036854775807\r\n", ok, whole, t::integer},
    {"int_min", ":-9223372036854775808\r\n", ok, whole, t::integer},
    {"bulk", "$1\r\nv\r\n", ok, whole, t::bulk_string},
    {"bulk_empty", "$0\r\n\r\n", ok, whole, t::bulk_string},
    {"bulk_binary", "$6\r\na\r\nb\0c\r\n"sv, ok, whole, t::bulk_string},
    {"bulk_looks_like_reply", "$4\r\n:1\r\n\r\n", ok, whole, t::bulk_string},
    {"bulk_null", "$-1\r\n", ok, whole, t::bulk_string, true},
    {"array_empty", "*0\r\n", ok, whole, t::array},
    {"array_null", "*-1\r\n", ok, whole, t::array, true},
    {"array_bulks", "*3\r\n$1\r\na\r\n$0\r\n\r\n$1\r\nc\r\n", ok, whole, t::array},
    {"array_mget_nil", "*3\r\n$1\r\nv\r\n$-1\r\n$2\r\n-9\r\n", ok, whole, t::array},
    {"array_nested", "*1\r\n*2\r\n$3\r\n1-1\r\n*4\r\n$1\r\nf\r\n$1\r\nv\r\n$1\r\ng\r\n$1\r\nw\r\n",
     ok, whole, t::array},
    {"array_exec_error", "*2\r\n-ERR value is not an integer or out of range\r\n+PONG\r\n",
     ok, whole, t::array},
    {"array_of_empties", "*3\r\n*0\r\n*-1\r\n$-1\r\n", ok, whole, t::array},
    {"array_deep", "*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n:1\r\n", ok, whole, t::array},
    // RESP3
    {"null", "_\r\n", ok, whole, t::null, true},
    {"double", ",3.141\r\n", ok, whole, t::double_number},
    {"double_inf", ",inf\r\n", ok, whole, t::double_number},
    {"double_neg_inf", ",-inf\r\n", ok, whole, t::double_number},
    {"double_nan", ",nan\r\n", ok, whole, t::double_number},
    {"double_exponent", ",1.5e+300\r\n", ok, whole, t::double_number},
    {"double_neg_zero", ",-0\r\n", ok, whole, t::double_number},
    {"double_integral", ",10\r\n", ok, whole, t::double_number},
    {"bool_true", "#t\r\n", ok, whole, t::boolean},
    {"bool_false", "#f\r\n", ok, whole, t::boolean},
    {"big_number", "(1234567999999999999999999999999999999\r\n", ok, whole, t::big_number},
    {"big_number_negative", "(-3492890328409238509324850943850943825024385\r\n", ok, whole,
     t::big_number},
    {"bulk_error", "!21\r\nSYNTAX invalid syntax\r\n", ok, whole, t::bulk_error},
    {"bulk_error_empty", "!0\r\n\r\n", ok, whole, t::bulk_error},
    {"verbatim", "=29\r\ntxt:This is a verbatim\nstring\r\n", ok, whole, t::verbatim_string},
    {"verbatim_shortest", "=4\r\nmkd:\r\n", ok, whole, t::verbatim_string},
    {"map", "%1\r\n$1\r\nf\r\n$1\r\n1\r\n", ok, whole, t::map},
    {"map_empty", "%0\r\n", ok, whole, t::map},
    {"map_nested", "%2\r\n+a\r\n%1\r\n+b\r\n:1\r\n+c\r\n*1\r\n~0\r\n", ok, whole, t::map},
    {"set", "~3\r\n:0\r\n:1\r\n:2\r\n", ok, whole, t::set},
    {"set_empty", "~0\r\n", ok, whole, t::set},
    {"array_mixed", "*5\r\n_\r\n#t\r\n,1.5\r\n(12\r\n=5\r\ntxt:x\r\n", ok, whole, t::array},
    {"push_invalidate", ">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nk\r\n", ok, whole, t::push},
    {"push_then_reply", ">2\r\n$16\r\nserver-cpu-usage\r\n:42\r\n$3\r\nfoo\r\n", ok, 32, t::push},
    {"attribute", "|1\r\n$14\r\nkey-popularity\r\n*2\r\n$7\r\nkey:123\r\n:90\r\n"
                  "$39\r\nSome real reply following the attribute\r\n",
     ok, whole, t::bulk_string, false, 47},
    {"attribute_empty", "|0\r\n:1\r\n", ok, whole, t::integer, false, 4},
    {"attribute_twice", "|1\r\n+a\r\n+b\r\n|1\r\n+c\r\n+d\r\n:1\r\n", ok, whole, t::integer, false,
     24},
    {"attribute_on_null", "|1\r\n+a\r\n+b\r\n_\r\n", ok, whole, t::null, true, 12},
    {"attribute_on_attribute_key", "|1\r\n|1\r\n+x\r\n+y\r\n+k\r\n+v\r\n+OK\r\n", ok, whole,
     t::simple_string, false, 24},
    {"attribute_in_array", "*2\r\n|1\r\n+ttl\r\n:3600\r\n$1\r\nv\r\n:2\r\n", ok, whole, t::array},
    {"attribute_in_map", "%1\r\n|0\r\n+k\r\n|1\r\n+a\r\n+b\r\n+v\r\n", ok, whole, t::map},
    // Pipelines: only the first reply is consumed.
    {"pipeline_two", "+OK\r\n+OK\r\n", ok, 5, t::simple_string},
    {"pipeline_partial_second", ":1\r\n*2\r\n", ok, 4, t::integer},
    {"pipeline_null_then_more", "$-1\r\n$1\r\nx\r\n", ok, 5, t::bulk_string, true},
    // Exactly at each limit.
    {"depth_at_limit", "*1\r\n*1\r\n:1\r\n", ok, whole, t::array, false, 0, {}, {.max_depth = 2}},
    {"bulk_at_limit", "$3\r\nabc\r\n", ok, whole, t::bulk_string, false, 0, {},
     {.max_bulk_len = 3}},
    {"line_at_limit", "+OK\r\n", ok, whole, t::simple_string, false, 0, {}, {.max_line_len = 2}},

    {"nm_empty", "", more},
    {"nm_type_only", "+", more},
    {"nm_no_cr", "+OK", more},
    {"nm_cr_only", "+OK\r", more},
    {"nm_lf_without_cr", "+OK\n", more},
    {"nm_bulk_header", "$5\r\n", more},
    {"nm_bulk_partial", "$5\r\nhel", more},
    {"nm_bulk_no_crlf", "$5\r\nhello", more},
    {"nm_array_partial", "*2\r\n:1\r\n", more},
    {"nm_nested_partial", "*2\r\n*2\r\n:1\r\n:2\r\n", more},
    {"nm_attribute_only", "|1\r\n+a\r\n+b\r\n", more},
    {"nm_map_half", "%1\r\n+k\r\n", more},
    {"nm_huge_array", "*9223372036854775807\r\n:1\r\n", more},
    {"nm_huge_map", "%9223372036854775807\r\n", more},
    {"nm_verbatim_partial", "=10\r\ntxt:", more},

    {"err_type_unknown", "?x\r\n", bad, 0, t::null, false, 0, e_type},
    {"err_type_space", " +OK\r\n", bad, 0, t::null, false, 0, e_type},
    {"err_type_digit", "1\r\n", bad, 0, t::null, false, 0, e_type},
    {"err_type_crlf", "\r\n", bad, 0, t::null, false, 0, e_type},
    {"err_type_in_array", "*1\r\nx\r\n", bad, 0, t::null, false, 0, e_type},
    {"err_after_bulk", "*2\r\n$1\r\na\r\nb\r\n", bad, 0, t::null, false, 0, e_type},
    {"err_line_bad_lf", "+OK\rX", bad, 0, t::null, false, 0, e_line_end},
    {"err_simple_with_lf", "+OK\n+OK\r\n", bad, 0, t::null, false, 0, e_line_end},
    {"err_error_with_lf", "-E\nR\r\n", bad, 0, t::null, false, 0, e_line_end},
    {"err_int_letters", ":abc\r\n", bad, 0, t::null, false, 0, e_int},
    {"err_int_empty", ":\r\n", bad, 0, t::null, false, 0, e_int},
    {"err_int_plus", ":+1\r\n", bad, 0, t::null, false, 0, e_int},
    {"err_int_leading_zero", ":01\r\n", bad, 0, t::null, false, 0, e_int},
    {"err_int_overflow", ":9223372036854775808\r\n", bad, 0, t::null, false, 0, e_int},
    {"err_null_text", "_x\r\n", bad, 0, t::null, false, 0, e_null},
    {"err_bool_other", "#x\r\n", bad, 0, t::null, false, 0, e_bool},
    {"err_bool_long", "#tt\r\n", bad, 0, t::null, false, 0, e_bool},
    {"err_bool_empty", "#\r\n", bad, 0, t::null, false, 0, e_bool},
    {"err_double_empty", ",\r\n", bad, 0, t::null, false, 0, e_double},
    {"err_double_letters", ",abc\r\n", bad, 0, t::null, false, 0, e_double},
    {"err_double_trailing_dot", ",1.\r\n", bad, 0, t::null, false, 0, e_double},
    {"err_double_bare_exponent", ",1e\r\n", bad, 0, t::null, false, 0, e_double},
    {"err_double_sign_only", ",-\r\n", bad, 0, t::null, false, 0, e_double},
    {"err_big_number_empty", "(\r\n", bad, 0, t::null, false, 0, e_big_number},
    {"err_big_number_sign_only", "(-\r\n", bad, 0, t::null, false, 0, e_big_number},
    {"err_big_number_letters", "(12a\r\n", bad, 0, t::null, false, 0, e_big_number},
    {"err_bulk_len_letters", "$x\r\n", bad, 0, t::null, false, 0, e_bulk_len},
    {"err_bulk_minus_two", "$-2\r\n", bad, 0, t::null, false, 0, e_bulk_len},
    {"err_bulk_streamed", "$?\r\n;4\r\nHell\r\n;0\r\n", bad, 0, t::null, false, 0, e_bulk_len},
    {"err_bulk_end", "$1\r\nvX\r\n", bad, 0, t::null, false, 0, e_bulk_end},
    {"err_bulk_end_swapped", "$1\r\nv\n\r", bad, 0, t::null, false, 0, e_bulk_end},
    {"err_bulk_too_short", "$2\r\nabc\r\n", bad, 0, t::null, false, 0, e_bulk_end},
    {"err_bulk_error_null", "!-1\r\n", bad, 0, t::null, false, 0, e_bulk_len},
    {"err_verbatim_null", "=-1\r\n", bad, 0, t::null, false, 0, e_bulk_len},
    {"err_verbatim_short", "=3\r\ntxt\r\n", bad, 0, t::null, false, 0, e_verbatim},
    {"err_verbatim_no_colon", "=4\r\ntxtx\r\n", bad, 0, t::null, false, 0, e_verbatim},
    {"err_array_minus_two", "*-2\r\n", bad, 0, t::null, false, 0, e_aggregate},
    {"err_array_streamed", "*?\r\n:1\r\n.\r\n", bad, 0, t::null, false, 0, e_aggregate},
    {"err_array_leading_zero", "*01\r\n:1\r\n", bad, 0, t::null, false, 0, e_aggregate},
    {"err_set_null", "~-1\r\n", bad, 0, t::null, false, 0, e_aggregate},
    {"err_map_null", "%-1\r\n", bad, 0, t::null, false, 0, e_aggregate},
    {"err_push_null", ">-1\r\n", bad, 0, t::null, false, 0, e_aggregate},
    {"err_attribute_null", "|-1\r\n", bad, 0, t::null, false, 0, e_aggregate},
    {"err_nested_element", "*2\r\n:1\r\n:x\r\n", bad, 0, t::null, false, 0, e_int},
    {"err_too_deep", "*1\r\n*1\r\n*1\r\n:1\r\n", big, 0, t::null, false, 0, e_deep,
     {.max_depth = 2}},
    {"err_too_deep_attribute", "*1\r\n|1\r\n+a\r\n+b\r\n:1\r\n", big, 0, t::null, false, 0, e_deep,
     {.max_depth = 1}},
    {"err_bulk_over_limit", "$4\r\nabcd\r\n", big, 0, t::null, false, 0, e_bulk_len,
     {.max_bulk_len = 3}},
    {"err_line_too_long", "+OKAY\r\n", big, 0, t::null, false, 0, e_line_long, {.max_line_len = 3}},
    {"err_line_too_long_no_cr", "+OKAYOKAY", big, 0, t::null, false, 0, e_line_long,
     {.max_line_len = 3}},
};
// clang-format on

}  // namespace reply_rows

inline const std::vector<reply_case>& reply_cases = reply_rows::rows;

}  // namespace coproxy::protocol::resp::test
