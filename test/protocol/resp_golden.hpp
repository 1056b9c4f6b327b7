// Bytes captured from the real thing (redis-server 7.0.15 and its redis-cli, Debian 12) and kept as
// data, so that the codec is checked against Redis itself rather than against our reading of it.
// Captured by a throwaway script over a loopback socket; HELLO's "id" is whatever it was then.
#pragma once

#include <string_view>
#include <vector>

namespace coproxy::protocol::resp::test::golden {

using namespace std::string_view_literals;

// What redis-cli sends for `redis-cli <args...>`.
struct cli_capture {
    std::string_view name;
    std::vector<std::string_view> args;
    std::string_view sent;
};

// A request that makes Redis answer a protocol error and close.
struct error_capture {
    std::string_view name;
    std::string_view request;
    std::string_view redis_reply;
};

// An inline `ECHO ...` line and Redis's answer, which shows how Redis split and unquoted it.
struct inline_capture {
    std::string_view name;
    std::string_view line;
    std::string_view redis_reply;
};

// A request and every byte Redis answered; `types` holds the type byte of each top-level reply in
// order (a RESP3 push can come before or after the reply it rides with).
struct reply_capture {
    std::string_view name;
    std::string_view request;
    std::string_view reply;
    int protocol;
    std::string_view types;
};

inline const std::vector<cli_capture> cli_captures = {
    {"cli_set_with_space",
     {"SET", "key", "hello world"},
     "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$11\r\nhello world\r\n"sv},
    {"cli_mget",
     {"MGET", "a", "b", "c"},
     "*4\r\n$4\r\nMGET\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n"sv},
    {"cli_set_empty", {"SET", "e", ""}, "*3\r\n$3\r\nSET\r\n$1\r\ne\r\n$0\r\n\r\n"sv},
    {"cli_echo_utf8", {"ECHO", "caf\xc3\xa9"}, "*2\r\n$4\r\nECHO\r\n$5\r\ncaf\xc3\xa9\r\n"sv},
    {"cli_del", {"DEL", "k1", "k2"}, "*3\r\n$3\r\nDEL\r\n$2\r\nk1\r\n$2\r\nk2\r\n"sv},
};

inline const std::vector<error_capture> error_captures = {
    {"count_letter", "*x\r\n"sv, "-ERR Protocol error: invalid multibulk length\r\n"sv},
    {"count_plus", "*+1\r\n$4\r\nPING\r\n"sv,
     "-ERR Protocol error: invalid multibulk length\r\n"sv},
    {"count_leading_zero", "*01\r\n$4\r\nPING\r\n"sv,
     "-ERR Protocol error: invalid multibulk length\r\n"sv},
    {"count_minus_zero", "*-0\r\n"sv, "-ERR Protocol error: invalid multibulk length\r\n"sv},
    {"count_over_int_max", "*3000000000\r\n"sv,
     "-ERR Protocol error: invalid multibulk length\r\n"sv},
    {"count_empty", "*\r\n"sv, "-ERR Protocol error: invalid multibulk length\r\n"sv},
    {"bulk_letter", "*1\r\n$x\r\n"sv, "-ERR Protocol error: invalid bulk length\r\n"sv},
    {"bulk_negative", "*1\r\n$-1\r\n"sv, "-ERR Protocol error: invalid bulk length\r\n"sv},
    {"bulk_plus", "*1\r\n$+4\r\nPING\r\n"sv, "-ERR Protocol error: invalid bulk length\r\n"sv},
    {"bulk_leading_zero", "*1\r\n$04\r\nPING\r\n"sv,
     "-ERR Protocol error: invalid bulk length\r\n"sv},
    {"bulk_over_max", "*1\r\n$536870913\r\n"sv, "-ERR Protocol error: invalid bulk length\r\n"sv},
    {"bulk_overflow", "*1\r\n$99999999999999999999\r\n"sv,
     "-ERR Protocol error: invalid bulk length\r\n"sv},
    {"expected_dollar_colon", "*1\r\n:1\r\n"sv, "-ERR Protocol error: expected '$', got ':'\r\n"sv},
    {"expected_dollar_empty_line", "*1\r\n\r\n"sv,
     "-ERR Protocol error: expected '$', got ' '\r\n"sv},
    {"expected_dollar_lf", "*1\r\n\n\r\n"sv, "-ERR Protocol error: expected '$', got ' '\r\n"sv},
    {"expected_dollar_text", "*2\r\n$4\r\nECHO\r\nfoo\r\n"sv,
     "-ERR Protocol error: expected '$', got 'f'\r\n"sv},
    {"inline_open_double", "ECHO \"abc\r\n"sv,
     "-ERR Protocol error: unbalanced quotes in request\r\n"sv},
    {"inline_open_single", "ECHO 'abc\r\n"sv,
     "-ERR Protocol error: unbalanced quotes in request\r\n"sv},
    {"inline_after_quote", "ECHO \"a\"b\r\n"sv,
     "-ERR Protocol error: unbalanced quotes in request\r\n"sv},
    {"inline_mid_token", "ECHO ab\"c d\"e\r\n"sv,
     "-ERR Protocol error: unbalanced quotes in request\r\n"sv},
    {"inline_escaped_close", "ECHO \"abc\\\"\r\n"sv,
     "-ERR Protocol error: unbalanced quotes in request\r\n"sv},
};

inline const std::vector<inline_capture> inline_captures = {
    {"escapes", "ECHO \"a\\x41\\x4g\\n\\q\\\"\"\r\n"sv, "$8\r\naAx4g\nq\"\r\n"sv},
    {"bare_x", "ECHO \"\\x\"\r\n"sv, "$1\r\nx\r\n"sv},
    {"single_no_hex", "ECHO '\\x41'\r\n"sv, "$4\r\n\\x41\r\n"sv},
    {"controls", "ECHO \"\\t\\r\\b\\a\\\\\"\r\n"sv, "$5\r\n\t\r\x08\x07\\\r\n"sv},
    {"empty_double", "ECHO \"\"\r\n"sv, "$0\r\n\r\n"sv},
    {"empty_single", "ECHO ''\r\n"sv, "$0\r\n\r\n"sv},
    {"single_in_double", "ECHO \"a'b\"\r\n"sv, "$3\r\na'b\r\n"sv},
    {"blanks_lf", "  ECHO   x  \n"sv, "$1\r\nx\r\n"sv},
    {"cr_cr_lf", "ECHO x\r\r\n"sv, "$1\r\nx\r\n"sv},
    {"hex_bytes", "ECHO \"\\xff\\x00\"\r\n"sv, "$2\r\n\xff\x00\r\n"sv},
    {"single_quotes", "ECHO 'it\\'s \\\\ \\n'\r\n"sv, "$10\r\nit's \\\\ \\n\r\n"sv},
    {"vtab_in_token",
     "ECHO a\x0b"
     "b\r\n"sv,
     "$3\r\na\x0b"
     "b\r\n"sv},
    {"vtab_after_quote", "ECHO \"a\"\x0b\r\n"sv, "$1\r\na\r\n"sv},
    {"quote_mid_token", "ECHO ab\"c d\"\r\n"sv, "$5\r\nabc d\r\n"sv},
    {"formfeed_token", "ECHO\x0c x\r\n"sv,
     "-ERR unknown command 'ECHO\x0c', with args beginning with: 'x' \r\n"sv},
    {"utf8", "ECHO caf\xc3\xa9\r\n"sv, "$5\r\ncaf\xc3\xa9\r\n"sv},
};

inline const std::vector<reply_capture> reply_captures = {
    {"resp2_pong", "*1\r\n$4\r\nPING\r\n"sv, "+PONG\r\n"sv, 2, "+"},
    {"resp2_ok", "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n"sv, "+OK\r\n"sv, 2, "+"},
    {"resp2_get", "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"sv, "$1\r\nv\r\n"sv, 2, "$"},
    {"resp2_get_missing", "*2\r\n$3\r\nGET\r\n$7\r\nmissing\r\n"sv, "$-1\r\n"sv, 2, "$"},
    {"resp2_incr", "*2\r\n$4\r\nINCR\r\n$1\r\nn\r\n"sv, ":1\r\n"sv, 2, ":"},
    {"resp2_incrby_negative", "*3\r\n$6\r\nINCRBY\r\n$1\r\nn\r\n$3\r\n-10\r\n"sv, ":-9\r\n"sv, 2,
     ":"},
    {"resp2_wrongtype", "*3\r\n$5\r\nLPUSH\r\n$1\r\nk\r\n$1\r\nx\r\n"sv,
     "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"sv, 2, "-"},
    {"resp2_rpush", "*5\r\n$5\r\nRPUSH\r\n$1\r\nl\r\n$1\r\na\r\n$0\r\n\r\n$1\r\nc\r\n"sv,
     ":3\r\n"sv, 2, ":"},
    {"resp2_lrange", "*4\r\n$6\r\nLRANGE\r\n$1\r\nl\r\n$1\r\n0\r\n$2\r\n-1\r\n"sv,
     "*3\r\n$1\r\na\r\n$0\r\n\r\n$1\r\nc\r\n"sv, 2, "*"},
    {"resp2_lrange_empty", "*4\r\n$6\r\nLRANGE\r\n$3\r\nnol\r\n$1\r\n0\r\n$2\r\n-1\r\n"sv,
     "*0\r\n"sv, 2, "*"},
    {"resp2_mget_nil", "*4\r\n$4\r\nMGET\r\n$1\r\nk\r\n$7\r\nmissing\r\n$1\r\nn\r\n"sv,
     "*3\r\n$1\r\nv\r\n$-1\r\n$2\r\n-9\r\n"sv, 2, "*"},
    {"resp2_xadd",
     "*7\r\n$4\r\nXADD\r\n$1\r\ns\r\n$3\r\n1-1\r\n$1\r\nf\r\n$1\r\nv\r\n$1\r\ng\r\n$1\r\nw\r\n"sv,
     "$3\r\n1-1\r\n"sv, 2, "$"},
    {"resp2_xrange_nested", "*4\r\n$6\r\nXRANGE\r\n$1\r\ns\r\n$1\r\n-\r\n$1\r\n+\r\n"sv,
     "*1\r\n*2\r\n$3\r\n1-1\r\n*4\r\n$1\r\nf\r\n$1\r\nv\r\n$1\r\ng\r\n$1\r\nw\r\n"sv, 2, "*"},
    {"resp2_blpop_timeout", "*3\r\n$5\r\nBLPOP\r\n$3\r\nnol\r\n$4\r\n0.01\r\n"sv, "*-1\r\n"sv, 2,
     "*"},
    {"resp2_hset", "*4\r\n$4\r\nHSET\r\n$1\r\nh\r\n$1\r\nf\r\n$1\r\n1\r\n"sv, ":1\r\n"sv, 2, ":"},
    {"resp2_hgetall", "*2\r\n$7\r\nHGETALL\r\n$1\r\nh\r\n"sv, "*2\r\n$1\r\nf\r\n$1\r\n1\r\n"sv, 2,
     "*"},
    {"resp2_set_binary",
     "*3\r\n$3\r\nSET\r\n$3\r\nbin\r\n$6\r\na\r\nb\x00"
     "c\r\n"sv,
     "+OK\r\n"sv, 2, "+"},
    {"resp2_get_binary", "*2\r\n$3\r\nGET\r\n$3\r\nbin\r\n"sv,
     "$6\r\na\r\nb\x00"
     "c\r\n"sv,
     2, "$"},
    {"resp2_unknown_command", "*2\r\n$9\r\nNOSUCHCMD\r\n$1\r\nx\r\n"sv,
     "-ERR unknown command 'NOSUCHCMD', with args beginning with: 'x' \r\n"sv, 2, "-"},
    {"resp2_zadd",
     "*6\r\n$4\r\nZADD\r\n$1\r\nz\r\n$3\r\n1.5\r\n$1\r\nm\r\n$3\r\ninf\r\n$2\r\nm2\r\n"sv,
     ":2\r\n"sv, 2, ":"},
    {"resp2_zscore", "*3\r\n$6\r\nZSCORE\r\n$1\r\nz\r\n$1\r\nm\r\n"sv, "$3\r\n1.5\r\n"sv, 2, "$"},
    {"resp2_zscore_inf", "*3\r\n$6\r\nZSCORE\r\n$1\r\nz\r\n$2\r\nm2\r\n"sv, "$3\r\ninf\r\n"sv, 2,
     "$"},
    {"resp2_multi", "*1\r\n$5\r\nMULTI\r\n"sv, "+OK\r\n"sv, 2, "+"},
    {"resp2_queued", "*2\r\n$4\r\nINCR\r\n$1\r\nk\r\n"sv, "+QUEUED\r\n"sv, 2, "+"},
    {"resp2_queued_ping", "*1\r\n$4\r\nPING\r\n"sv, "+QUEUED\r\n"sv, 2, "+"},
    {"resp2_exec_with_error", "*1\r\n$4\r\nEXEC\r\n"sv,
     "*2\r\n-ERR value is not an integer or out of range\r\n+PONG\r\n"sv, 2, "*"},
    {"resp2_del_count", "*4\r\n$3\r\nDEL\r\n$1\r\nk\r\n$1\r\nl\r\n$2\r\nzz\r\n"sv, ":2\r\n"sv, 2,
     ":"},
    {"resp2_hello2", "*2\r\n$5\r\nHELLO\r\n$1\r\n2\r\n"sv,
     "*14\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n$5\r\nproto\r\n"
     ":2\r\n$2\r\nid\r\n:88\r\n$4\r\nmode\r\n$10\r\nstandalone\r\n$4\r\nrole\r\n$6\r\n"
     "master\r\n$7\r\nmodules\r\n*0\r\n"sv,
     2, "*"},
    {"resp3_hello3", "*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n"sv,
     "%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n$5\r\nproto\r\n"
     ":3\r\n$2\r\nid\r\n:89\r\n$4\r\nmode\r\n$10\r\nstandalone\r\n$4\r\nrole\r\n$6\r\n"
     "master\r\n$7\r\nmodules\r\n*0\r\n"sv,
     3, "%"},
    {"resp3_null", "*2\r\n$3\r\nGET\r\n$7\r\nmissing\r\n"sv, "_\r\n"sv, 3, "_"},
    {"resp3_map", "*2\r\n$7\r\nHGETALL\r\n$1\r\nh\r\n"sv, "%1\r\n$1\r\nf\r\n$1\r\n1\r\n"sv, 3, "%"},
    {"resp3_sadd", "*3\r\n$4\r\nSADD\r\n$2\r\nst\r\n$1\r\na\r\n"sv, ":1\r\n"sv, 3, ":"},
    {"resp3_set", "*2\r\n$8\r\nSMEMBERS\r\n$2\r\nst\r\n"sv, "~1\r\n$1\r\na\r\n"sv, 3, "~"},
    {"resp3_double", "*3\r\n$6\r\nZSCORE\r\n$1\r\nz\r\n$1\r\nm\r\n"sv, ",1.5\r\n"sv, 3, ","},
    {"resp3_double_inf", "*3\r\n$6\r\nZSCORE\r\n$1\r\nz\r\n$2\r\nm2\r\n"sv, ",inf\r\n"sv, 3, ","},
    {"resp3_debug_string", "*3\r\n$5\r\nDEBUG\r\n$8\r\nPROTOCOL\r\n$6\r\nstring\r\n"sv,
     "$11\r\nHello World\r\n"sv, 3, "$"},
    {"resp3_debug_integer", "*3\r\n$5\r\nDEBUG\r\n$8\r\nPROTOCOL\r\n$7\r\ninteger\r\n"sv,
     ":12345\r\n"sv, 3, ":"},
    {"resp3_debug_double", "*3\r\n$5\r\nDEBUG\r\n$8\r\nPROTOCOL\r\n$6\r\ndouble\r\n"sv,
     ",3.141\r\n"sv, 3, ","},
    {"resp3_debug_bignum", "*3\r\n$5\r\nDEBUG\r\n$8\r\nPROTOCOL\r\n$6\r\nbignum\r\n"sv,
     "(1234567999999999999999999999999999999\r\n"sv, 3, "("},
    {"resp3_debug_null", "*3\r\n$5\r\nDEBUG\r\n$8\r\nPROTOCOL\r\n$4\r\nnull\r\n"sv, "_\r\n"sv, 3,
     "_"},
    {"resp3_debug_array", "*3\r\n$5\r\nDEBUG\r\n$8\r\nPROTOCOL\r\n$5\r\narray\r\n"sv,
     "*3\r\n:0\r\n:1\r\n:2\r\n"sv, 3, "*"},
    {"resp3_debug_set", "*3\r\n$5\r\nDEBUG\r\n$8\r\nPROTOCOL\r\n$3\r\nset\r\n"sv,
     "~3\r\n:0\r\n:1\r\n:2\r\n"sv, 3, "~"},
    {"resp3_debug_map", "*3\r\n$5\r\nDEBUG\r\n$8\r\nPROTOCOL\r\n$3\r\nmap\r\n"sv,
     "%3\r\n:0\r\n#f\r\n:1\r\n#t\r\n:2\r\n#f\r\n"sv, 3, "%"},
    {"resp3_debug_attrib", "*3\r\n$5\r\nDEBUG\r\n$8\r\nPROTOCOL\r\n$6\r\nattrib\r\n"sv,
     "|1\r\n$14\r\nkey-popularity\r\n*2\r\n$7\r\nkey:123\r\n:90\r\n$39\r\n"
     "Some real reply following the attribute\r\n"sv,
     3, "$"},
    {"resp3_debug_push", "*3\r\n$5\r\nDEBUG\r\n$8\r\nPROTOCOL\r\n$4\r\npush\r\n"sv,
     ">2\r\n$16\r\nserver-cpu-usage\r\n:42\r\n$40\r\n"
     "Some real reply following the push reply\r\n"sv,
     3, ">$"},
    {"resp3_debug_verbatim", "*3\r\n$5\r\nDEBUG\r\n$8\r\nPROTOCOL\r\n$8\r\nverbatim\r\n"sv,
     "=29\r\ntxt:This is a verbatim\nstring\r\n"sv, 3, "="},
    {"resp3_debug_true", "*3\r\n$5\r\nDEBUG\r\n$8\r\nPROTOCOL\r\n$4\r\ntrue\r\n"sv, "#t\r\n"sv, 3,
     "#"},
    {"resp3_debug_false", "*3\r\n$5\r\nDEBUG\r\n$8\r\nPROTOCOL\r\n$5\r\nfalse\r\n"sv, "#f\r\n"sv, 3,
     "#"},
    {"resp3_tracking_on", "*3\r\n$6\r\nCLIENT\r\n$8\r\nTRACKING\r\n$2\r\non\r\n"sv, "+OK\r\n"sv, 3,
     "+"},
    {"resp3_tracked_get", "*2\r\n$3\r\nGET\r\n$2\r\nst\r\n"sv,
     "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"sv, 3, "-"},
    {"resp3_set_and_invalidate", "*3\r\n$3\r\nSET\r\n$2\r\nst\r\n$2\r\nv2\r\n"sv,
     "+OK\r\n>2\r\n$10\r\ninvalidate\r\n*1\r\n$2\r\nst\r\n"sv, 3, "+>"},
    {"resp3_xrange_nested", "*4\r\n$6\r\nXRANGE\r\n$1\r\ns\r\n$1\r\n-\r\n$1\r\n+\r\n"sv,
     "*1\r\n*2\r\n$3\r\n1-1\r\n*4\r\n$1\r\nf\r\n$1\r\nv\r\n$1\r\ng\r\n$1\r\nw\r\n"sv, 3, "*"},
    {"resp3_config_get_map", "*3\r\n$6\r\nCONFIG\r\n$3\r\nGET\r\n$9\r\nmaxmemory\r\n"sv,
     "%1\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n"sv, 3, "%"},
    {"resp3_zrange_withscores",
     "*5\r\n$6\r\nZRANGE\r\n$1\r\nz\r\n$1\r\n0\r\n$2\r\n-1\r\n$10\r\nWITHSCORES\r\n"sv,
     "*2\r\n*2\r\n$1\r\nm\r\n,1.5\r\n*2\r\n$2\r\nm2\r\n,inf\r\n"sv, 3, "*"},
    {"resp3_mget_null", "*3\r\n$4\r\nMGET\r\n$2\r\nst\r\n$7\r\nmissing\r\n"sv,
     "*2\r\n$2\r\nv2\r\n_\r\n"sv, 3, "*"},
};

// Redis runs nothing for `*0`, `*-1`, `*-7`, an empty line, a bare LF and a blank line: one PONG.
constexpr std::string_view ignored_then_ping = "*0\r\n*-1\r\n*-7\r\n\r\n\n   \r\nPING\r\n"sv;
constexpr std::string_view ignored_then_ping_reply = "+PONG\r\n"sv;

// Bytes Redis skips without looking at them, so it answered PONG to each of these; coproxy
// refuses them instead (resp_request.cpp says why).
struct lax_capture {
    std::string_view name;
    std::string_view request;
    std::string_view redis_reply;
    std::string_view our_error;
};
inline const std::vector<lax_capture> lax_captures = {
    {"lax_bulk_end", "*1\r\n$4\r\nPINGXY"sv, "+PONG\r\n"sv,
     "Protocol error: expected CRLF after bulk argument"},
    {"lax_count_lf", "*1\rX$4\r\nPING\r\n"sv, "+PONG\r\n"sv,
     "Protocol error: invalid multibulk length"},
    {"lax_bulk_len_lf", "*1\r\n$4\rXPING\r\n"sv, "+PONG\r\n"sv,
     "Protocol error: invalid bulk length"},
};

// Sent before AUTH to a Redis with requirepass set.
inline const std::vector<error_capture> unauthenticated_captures = {
    {"unauth_count", "*11\r\n"sv, "-ERR Protocol error: unauthenticated multibulk length\r\n"sv},
    {"unauth_bulk", "*1\r\n$16385\r\n"sv, "-ERR Protocol error: unauthenticated bulk length\r\n"sv},
    {"unauth_count_invalid", "*99999999999\r\n"sv,
     "-ERR Protocol error: invalid multibulk length\r\n"sv},
    {"unauth_bulk_invalid", "*1\r\n$-1\r\n"sv, "-ERR Protocol error: invalid bulk length\r\n"sv},
};

// 70000 bytes without a line end, sent at once: Redis's answers.
constexpr std::string_view too_big_mbulk_reply =
    "-ERR Protocol error: too big mbulk count string\r\n"sv;
constexpr std::string_view too_big_bulk_reply =
    "-ERR Protocol error: too big bulk count string\r\n"sv;
constexpr std::string_view too_big_inline_reply =
    "-ERR Protocol error: too big inline request\r\n"sv;

}  // namespace coproxy::protocol::resp::test::golden
