// Backend reply framing. A reply is a tree of values; rather than recursing, open aggregates live
// on an explicit bounded stack of "elements still to come", so parsing can stop at any byte and
// resume later, and a hostile or broken backend cannot exhaust the native stack.
//
// Line contents are validated (integers, booleans, doubles, ...) although they are forwarded
// verbatim: garbage there means the stream is out of sync, and matching the next reply to the
// wrong request would be far worse than closing the connection.
#include "coproxy/protocol/resp_reply.hpp"

#include <algorithm>
#include <cstring>

#include "protocol/resp_number.hpp"

namespace coproxy::protocol::resp {
namespace {

constexpr std::size_t npos = std::string_view::npos;

constexpr std::string_view bad_type = "Protocol error: invalid reply type byte";
constexpr std::string_view bad_line_end = "Protocol error: reply line not terminated by CRLF";
constexpr std::string_view line_too_long = "Protocol error: reply line too long";
constexpr std::string_view bad_integer = "Protocol error: invalid integer";
constexpr std::string_view bad_null = "Protocol error: invalid null";
constexpr std::string_view bad_boolean = "Protocol error: invalid boolean";
constexpr std::string_view bad_double = "Protocol error: invalid double";
constexpr std::string_view bad_big_number = "Protocol error: invalid big number";
constexpr std::string_view bad_bulk_len = "Protocol error: invalid bulk length";
constexpr std::string_view bad_bulk_end = "Protocol error: bulk not terminated by CRLF";
constexpr std::string_view bad_verbatim = "Protocol error: invalid verbatim string";
constexpr std::string_view bad_aggregate_len = "Protocol error: invalid aggregate length";
constexpr std::string_view too_deep = "Protocol error: reply nesting too deep";

constexpr bool is_type_byte(char c) {
    return std::string_view("+-:$*_,#(!=%~>|").find(c) != npos;
}

constexpr std::size_t saturating_add(std::size_t a, std::size_t b) {
    return b > SIZE_MAX - a ? SIZE_MAX : a + b;
}

constexpr std::size_t skip_digits(std::string_view s, std::size_t i) {
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
        ++i;
    }
    return i;
}

constexpr std::size_t skip_sign(std::string_view s) {
    return !s.empty() && (s[0] == '+' || s[0] == '-') ? 1 : 0;
}

// RESP3: [+|-]digits[.digits][(e|E)[+|-]digits], or inf / nan. Redis prints %.17g or inf/-inf.
constexpr bool is_double(std::string_view s) {
    std::size_t i = skip_sign(s);
    if (s.substr(i) == "inf" || s.substr(i) == "nan") {
        return true;
    }
    std::size_t j = skip_digits(s, i);
    if (j == i) {
        return false;
    }
    if (j < s.size() && s[j] == '.') {
        i = j + 1;
        j = skip_digits(s, i);
        if (j == i) {
            return false;
        }
    }
    if (j < s.size() && (s[j] == 'e' || s[j] == 'E')) {
        i = j + 1 + skip_sign(s.substr(j + 1));
        j = skip_digits(s, i);
        if (j == i) {
            return false;
        }
    }
    return j == s.size();
}

constexpr bool is_big_number(std::string_view s) {
    const std::size_t i = skip_sign(s);
    return i < s.size() && skip_digits(s, i) == s.size();
}

}  // namespace

reply_parser::reply_parser(reply_limits l) : limits_(l) {
    reset();
}

void reply_parser::reset() {
    phase_ = phase::type_byte;
    pos_ = 0;
    scan_ = 0;
    line_end_ = npos;
    seen_ = 0;
    bulk_len_ = 0;
    scanned_ = 0;
    value_offset_ = 0;
    stack_.clear();
    element_ = 0;
    type_ = reply_type::null;
    null_ = false;
    complete_ = false;
}

reply_parser::result reply_parser::parse(std::span<const char> input) {
    const std::string_view in(input.data(), input.size());
    // A shrunk buffer breaks the calling contract; starting over keeps us memory safe.
    if (phase_ == phase::done || in.size() < seen_) {
        reset();
    }
    for (;;) {
        if (phase_ == phase::type_byte) {
            if (pos_ >= in.size()) {
                break;
            }
            element_ = in[pos_];
            ++scanned_;
            if (!is_type_byte(element_)) {
                return fail(status::invalid, bad_type);
            }
            if (stack_.empty() && element_ != '|') {
                type_ = static_cast<reply_type>(element_);
                value_offset_ = pos_;
            }
            scan_ = pos_ + 1;
            line_end_ = npos;
            phase_ = phase::line;
        }
        if (phase_ == phase::line) {
            const line_state ls = find_line_end(in);
            if (ls == line_state::too_long) {
                return fail(status::too_large, line_too_long);
            }
            if (ls == line_state::need_more) {
                break;
            }
            if (const auto ended = on_line(in)) {
                return *ended;
            }
        } else if (phase_ == phase::bulk_data) {
            const std::size_t available = in.size() - pos_;
            if (available < 2 || available - 2 < bulk_len_) {
                break;
            }
            if (const auto ended = on_bulk_data(in)) {
                return *ended;
            }
        }
        if (complete_) {
            phase_ = phase::done;
            return {status::ok, pos_, {}};
        }
    }
    seen_ = in.size();
    return {status::need_more, 0, {}};
}

// Finds the CR ending the current line, resuming where the last call stopped. found means the
// byte after the CR has arrived too. The line after the type byte holds at most max_line_len
// bytes; judging by the CR's offset keeps the answer independent of how the bytes were split.
reply_parser::line_state reply_parser::find_line_end(std::string_view in) {
    const std::size_t limit = saturating_add(pos_ + 1, saturating_add(limits_.max_line_len, 1));
    if (line_end_ == npos) {
        const std::size_t end = std::min(in.size(), limit);
        const void* hit = scan_ < end ? std::memchr(in.data() + scan_, '\r', end - scan_) : nullptr;
        if (hit == nullptr) {
            scanned_ += end > scan_ ? end - scan_ : 0;
            scan_ = std::max(scan_, end);
            return in.size() >= limit ? line_state::too_long : line_state::need_more;
        }
        line_end_ = static_cast<std::size_t>(static_cast<const char*>(hit) - in.data());
        scanned_ += line_end_ + 1 - scan_;
        scan_ = line_end_ + 1;
    }
    return line_end_ + 1 < in.size() ? line_state::found : line_state::need_more;
}

// Handles a complete line: the CR at line_end_ and the byte after it are available.
std::optional<reply_parser::result> reply_parser::on_line(std::string_view in) {
    const std::string_view text = in.substr(pos_ + 1, line_end_ - pos_ - 1);
    scanned_ += text.size() + 1;
    if (in[line_end_ + 1] != '\n') {
        return fail(status::invalid, bad_line_end);
    }
    pos_ = line_end_ + 2;
    phase_ = phase::type_byte;
    switch (element_) {
        case '$':
        case '!':
        case '=':
            return on_bulk_header(text);
        case '*':
        case '~':
        case '%':
        case '>':
        case '|':
            return on_aggregate(text);
        case ':': {
            std::int64_t ignored = 0;
            if (!detail::parse_int64(text, ignored)) {
                return fail(status::invalid, bad_integer);
            }
            break;
        }
        case '_':
            if (!text.empty()) {
                return fail(status::invalid, bad_null);
            }
            null_ = stack_.empty();
            break;
        case '#':
            if (text != "t" && text != "f") {
                return fail(status::invalid, bad_boolean);
            }
            break;
        case ',':
            if (!is_double(text)) {
                return fail(status::invalid, bad_double);
            }
            break;
        case '(':
            if (!is_big_number(text)) {
                return fail(status::invalid, bad_big_number);
            }
            break;
        default:  // '+' and '-': any text but a line break
            if (text.find('\n') != npos) {
                return fail(status::invalid, bad_line_end);
            }
            break;
    }
    complete_ = finish_value();
    return std::nullopt;
}

std::optional<reply_parser::result> reply_parser::on_bulk_header(std::string_view digits) {
    std::int64_t len = 0;
    if (!detail::parse_int64(digits, len)) {
        return fail(status::invalid, bad_bulk_len);
    }
    if (len == -1 && element_ == '$') {
        null_ = stack_.empty();
        complete_ = finish_value();
        return std::nullopt;
    }
    if (len < 0) {
        return fail(status::invalid, bad_bulk_len);
    }
    if (static_cast<std::uint64_t>(len) > limits_.max_bulk_len) {
        return fail(status::too_large, bad_bulk_len);
    }
    // A verbatim string starts with its three-letter format and a colon ("txt:").
    if (element_ == '=' && len < 4) {
        return fail(status::invalid, bad_verbatim);
    }
    bulk_len_ = static_cast<std::size_t>(len);
    phase_ = phase::bulk_data;
    return std::nullopt;
}

std::optional<reply_parser::result> reply_parser::on_aggregate(std::string_view digits) {
    std::int64_t n = 0;
    if (!detail::parse_int64(digits, n)) {
        return fail(status::invalid, bad_aggregate_len);
    }
    if (n == -1 && element_ == '*') {
        null_ = stack_.empty();
        complete_ = finish_value();
        return std::nullopt;
    }
    if (n < 0) {
        return fail(status::invalid, bad_aggregate_len);
    }
    const bool pairs = element_ == '%' || element_ == '|';
    const std::uint64_t count = static_cast<std::uint64_t>(n) * (pairs ? 2 : 1);
    if (count == 0) {
        // An empty attribute is no value: the attributed value still follows.
        if (element_ != '|') {
            complete_ = finish_value();
        }
        return std::nullopt;
    }
    if (stack_.size() >= limits_.max_depth) {
        return fail(status::too_large, too_deep);
    }
    stack_.push_back({count, element_ == '|'});
    return std::nullopt;
}

std::optional<reply_parser::result> reply_parser::on_bulk_data(std::string_view in) {
    const std::size_t end = pos_ + bulk_len_;
    scanned_ += 2;
    if (in[end] != '\r' || in[end + 1] != '\n') {
        return fail(status::invalid, bad_bulk_end);
    }
    if (element_ == '=') {
        ++scanned_;
        if (in[pos_ + 3] != ':') {
            return fail(status::invalid, bad_verbatim);
        }
    }
    pos_ = end + 2;
    phase_ = phase::type_byte;
    complete_ = finish_value();
    return std::nullopt;
}

// Records that one value ended; returns true when that completes the top-level reply.
bool reply_parser::finish_value() {
    while (!stack_.empty()) {
        frame& top = stack_.back();
        if (--top.remaining > 0) {
            return false;
        }
        const bool attribute = top.attribute;
        stack_.pop_back();
        if (attribute) {
            return false;
        }
    }
    return true;
}

reply_parser::result reply_parser::fail(status st, std::string_view error) {
    phase_ = phase::done;
    return {st, 0, error};
}

std::optional<std::int64_t> integer_value(std::string_view complete_reply) {
    const std::string_view r = complete_reply;
    if (r.size() < 4 || r[0] != ':' || r.substr(r.size() - 2) != "\r\n") {
        return std::nullopt;
    }
    std::int64_t value = 0;
    if (!detail::parse_int64(r.substr(1, r.size() - 3), value)) {
        return std::nullopt;
    }
    return value;
}

bool split_array(std::string_view complete_reply, std::vector<std::string_view>& elements) {
    elements.clear();
    const std::string_view r = complete_reply;
    if (r.empty() || std::string_view("*~%>").find(r[0]) == npos) {
        return false;
    }
    const std::size_t cr = r.find('\r');
    if (cr == npos || cr + 1 >= r.size() || r[cr + 1] != '\n') {
        return false;
    }
    std::int64_t n = 0;
    if (!detail::parse_int64(r.substr(1, cr - 1), n) || n < 0) {
        return false;
    }
    const std::uint64_t count = static_cast<std::uint64_t>(n) * (r[0] == '%' ? 2 : 1);
    std::size_t pos = cr + 2;
    // Every element takes at least three bytes; checking first keeps reserve() honest.
    if (count > (r.size() - pos) / 3) {
        return false;
    }
    elements.reserve(static_cast<std::size_t>(count));
    reply_parser parser;
    for (std::uint64_t i = 0; i < count; ++i) {
        const std::string_view rest = r.substr(pos);
        const auto res = parser.parse(std::span<const char>(rest.data(), rest.size()));
        if (res.st != status::ok) {
            elements.clear();
            return false;
        }
        elements.push_back(rest.substr(0, res.consumed));
        pos += res.consumed;
    }
    if (pos != r.size()) {
        elements.clear();
        return false;
    }
    return true;
}

}  // namespace coproxy::protocol::resp
