// RESP request codec: frames client requests (RESP multibulk or Redis inline commands) exactly as
// Redis 7's networking.c does, and encodes argument lists as multibulk. Pure functions over bytes:
// the proxy owns the socket and the buffer. The backend direction is in resp_reply.hpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "coproxy/protocol/resp_status.hpp"

namespace coproxy::protocol::resp {

struct limits {
    std::size_t max_bulk_len = 512 * 1024 * 1024;  // Redis proto-max-bulk-len
    std::size_t max_multibulk_len = 1024 * 1024;   // args per request (Redis allows INT_MAX)
    std::size_t max_inline_len = 64 * 1024;  // Redis PROTO_INLINE_MAX_SIZE: inline and header lines
    // Set while the client has not passed the proxy's AUTH: Redis then also refuses more than 10
    // args or a bulk over 16 KiB, so an unauthenticated client cannot make it buffer much.
    bool unauthenticated = false;

    bool operator==(const limits&) const = default;
};

namespace detail {
// Offsets, not pointers: the caller may move its buffer between two parse() calls.
struct byte_range {
    std::size_t offset;
    std::size_t length;
};
}  // namespace detail

// Parses one request from the front of `input`; resumable across need_more without rescanning.
//
// Contract: `input` always starts at the first byte of the current request. After need_more the
// caller calls again with the same bytes plus more (possibly at a new address). After any other
// status the next call starts a new request, so a read loop is just: parse, act, drop `consumed`.
//
// ok with argc() == 0 is a request Redis ignores (`*0`, `*-1`, an empty or blank inline line):
// drop `consumed` bytes and send nothing. invalid/too_large carry Redis's own error text; the
// caller replies "-ERR <error>\r\n" and closes, as Redis does.
class request_parser {
  public:
    struct result {
        status st;
        std::size_t consumed;    // size of the request when ok, else 0
        std::string_view error;  // e.g. "Protocol error: invalid bulk length"; valid until parse()
    };

    explicit request_parser(limits l = {});

    result parse(std::span<const char> input);

    // Valid after ok until the next parse()/reset(). Multibulk args point into the caller's
    // buffer (so that buffer must stay put meanwhile); inline args point into the parser.
    std::size_t argc() const { return args_.size(); }
    std::string_view arg(std::size_t i) const { return {base_ + args_[i].offset, args_[i].length}; }
    // True when the args were decoded from an inline command: its raw bytes are not RESP, so the
    // caller must re-encode (encode_request) instead of forwarding them.
    bool is_inline() const { return inline_; }

    void reset();
    // For the next request on (e.g. lift `unauthenticated` once AUTH succeeded).
    void set_limits(const limits& l) { limits_ = l; }

    // Bytes looked at for the current request. Exists so tests can assert the parser is linear:
    // bulk payloads are skipped by length and never scanned, and no byte is searched twice.
    std::size_t scanned_bytes() const { return scanned_; }

  private:
    enum class phase : std::uint8_t {
        start,
        count_line,
        bulk_len_line,
        bulk_data,
        inline_line,
        done
    };
    enum class line_state : std::uint8_t { found, need_more, too_long };

    line_state find_line_end(std::string_view in, char terminator);
    result parse_multibulk(std::string_view in);
    result parse_inline(std::string_view in);
    std::optional<result> on_count_line(std::string_view in);
    std::optional<result> on_bulk_len_line(std::string_view in);
    result need_more(std::string_view in);
    result complete(std::size_t consumed);
    result fail(status st, std::string_view error);
    result fail_expected_dollar(char got);
    void start_line(std::size_t at);

    limits limits_;
    phase phase_ = phase::start;
    std::size_t pos_ = 0;        // first byte of the current line or bulk payload
    std::size_t scan_ = 0;       // where the search for the current line's end resumes
    std::size_t line_end_ = 0;   // the terminator's offset once found; npos until then
    std::size_t seen_ = 0;       // input size at the last need_more, to detect a shrunk buffer
    std::size_t remaining_ = 0;  // bulk args still to read
    std::size_t bulk_len_ = 0;
    std::size_t scanned_ = 0;
    std::vector<detail::byte_range> args_;
    std::string decoded_;  // inline args after unquoting
    const char* base_ = nullptr;
    bool inline_ = false;
    char error_buf_[48] = {};  // "expected '$', got 'x'" is the only error that is not a literal
};

// Appends `*N\r\n` then `$len\r\n<arg>\r\n` per arg: the canonical form that the parser accepts
// byte for byte.
void encode_request(std::span<const std::string_view> args, std::string& out);
// Re-encodes a parsed request, e.g. an inline command, without collecting the args first.
void encode_request(const request_parser& parsed, std::string& out);

}  // namespace coproxy::protocol::resp
