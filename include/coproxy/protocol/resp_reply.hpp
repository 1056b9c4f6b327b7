// RESP reply framing for the backend direction: finds where each complete RESP2/RESP3 reply ends
// so replies can be matched in order to requests, plus the stateless helpers that multi-key
// merges need (an integer's value, an array's element bytes). Replies are forwarded verbatim,
// so nothing here decodes or copies a payload.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "coproxy/protocol/resp_status.hpp"

namespace coproxy::protocol::resp {

// The type byte of each RESP2/RESP3 value. Attributes (`|`) are not a reply type: they prefix one.
enum class reply_type : char {
    simple_string = '+',
    simple_error = '-',
    integer = ':',
    bulk_string = '$',
    array = '*',
    null = '_',
    double_number = ',',
    boolean = '#',
    big_number = '(',
    bulk_error = '!',
    verbatim_string = '=',
    map = '%',
    set = '~',
    push = '>',
};

struct reply_limits {
    std::size_t max_bulk_len = 512 * 1024 * 1024;  // Redis strings cap at 512 MiB
    // + - : , ( lines. A Lua error_reply() can be as long as a string, so no stricter by default.
    std::size_t max_line_len = 512 * 1024 * 1024;
    // Aggregates and attributes open at once. Redis's own replies nest under 10; modules and Lua
    // can nest deeper, and the bound keeps a broken backend from growing the stack without end.
    std::size_t max_depth = 128;
};

// Finds the end of one complete reply at the front of `input`, including nested aggregates and
// any attributes before the value. Same calling contract as request_parser: `input` starts at the
// reply's first byte; after need_more call again with the same bytes plus more (the buffer may
// move); after any other status the next call starts a new reply. Payloads are skipped by length,
// so a huge bulk or a million-element array arriving in pieces costs linear time overall.
//
// RESP3 streamed strings and aggregates (`$?`, `*?`) are rejected: Redis never sends them.
class reply_parser {
  public:
    struct result {
        status st;
        std::size_t consumed;    // size of the reply when ok, else 0
        std::string_view error;  // why the backend stream is unusable (for logs)
    };

    explicit reply_parser(reply_limits l = {});

    result parse(std::span<const char> input);

    // After ok: the value's type, attributes skipped. A push (`>`) is out of band: it answers no
    // request.
    reply_type type() const { return type_; }
    bool is_error() const {
        return type_ == reply_type::simple_error || type_ == reply_type::bulk_error;
    }
    bool is_null() const { return null_; }  // `$-1`, `*-1` or `_`
    // Offset of the value's type byte: the size of the attributes before it (usually 0).
    std::size_t value_offset() const { return value_offset_; }

    void reset();

    // Bytes looked at for the current reply; lets tests assert linearity (see request_parser).
    std::size_t scanned_bytes() const { return scanned_; }

  private:
    enum class phase : std::uint8_t { type_byte, line, bulk_data, done };
    struct frame {
        std::uint64_t remaining;  // elements still to come (two per map or attribute entry)
        bool attribute;           // completing it does not complete an element of its parent
    };

    enum class line_state : std::uint8_t { found, need_more, too_long };

    line_state find_line_end(std::string_view in);
    std::optional<result> on_line(std::string_view in);
    std::optional<result> on_aggregate(std::string_view digits);
    std::optional<result> on_bulk_header(std::string_view digits);
    std::optional<result> on_bulk_data(std::string_view in);
    bool finish_value();
    result fail(status st, std::string_view error);

    reply_limits limits_;
    phase phase_ = phase::type_byte;
    std::size_t pos_ = 0;       // current element's type byte, or its payload in bulk_data
    std::size_t scan_ = 0;      // where the search for the current line's CR resumes
    std::size_t line_end_ = 0;  // the CR's offset once found; npos until then
    std::size_t seen_ = 0;      // input size at the last need_more, to detect a shrunk buffer
    std::size_t bulk_len_ = 0;
    std::size_t scanned_ = 0;
    std::size_t value_offset_ = 0;
    std::vector<frame> stack_;  // open aggregates, innermost last
    char element_ = 0;          // type byte of the element being read
    reply_type type_ = reply_type::null;
    bool null_ = false;
    bool complete_ = false;
};

// The value of a complete `:<n>\r\n` reply; nullopt for anything else.
std::optional<std::int64_t> integer_value(std::string_view complete_reply);

// Splits a complete aggregate reply (`*`, or RESP3 `~`, `%`, `>`; a map gives 2N elements) into
// the raw bytes of its elements, each a complete reply itself (attributes included). Returns false
// for a null array, a non-aggregate or malformed bytes. `elements` is cleared first.
bool split_array(std::string_view complete_reply, std::vector<std::string_view>& elements);

}  // namespace coproxy::protocol::resp
