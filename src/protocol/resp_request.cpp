// Client request framing, following processMultibulkBuffer()/processInlineBuffer() of Redis 7:
// the same accepted syntax, the same limits and the same error texts, because the proxy forwards
// the raw bytes and must never frame them differently from the Redis behind it. Where Redis is
// lax about bytes it then skips (the LF after a CR, the CRLF after a bulk), this parser is strict:
// rejecting is always safe, accepting something Redis frames differently never is.
#include "coproxy/protocol/resp_request.hpp"

#include <algorithm>
#include <charconv>
#include <climits>
#include <cstring>

#include "protocol/resp_inline.hpp"
#include "protocol/resp_number.hpp"

namespace coproxy::protocol::resp {
namespace {

constexpr std::size_t npos = std::string_view::npos;

// Redis starts argv at this many slots whatever the announced count, so a client cannot make it
// allocate for a million args it never sends; same here.
constexpr std::size_t initial_args_reserve = 1024;

// Hard-coded in Redis for clients that still have to authenticate.
constexpr std::int64_t unauthenticated_max_args = 10;
constexpr std::int64_t unauthenticated_max_bulk = 16384;

constexpr std::string_view invalid_multibulk = "Protocol error: invalid multibulk length";
constexpr std::string_view invalid_bulk = "Protocol error: invalid bulk length";
constexpr std::string_view too_big_mbulk = "Protocol error: too big mbulk count string";
constexpr std::string_view too_big_bulk = "Protocol error: too big bulk count string";
constexpr std::string_view too_big_inline = "Protocol error: too big inline request";
constexpr std::string_view unauth_multibulk = "Protocol error: unauthenticated multibulk length";
constexpr std::string_view unauth_bulk = "Protocol error: unauthenticated bulk length";
constexpr std::string_view unbalanced_quotes = "Protocol error: unbalanced quotes in request";
// Redis has no text for this: it skips two bytes after a bulk without looking at them.
constexpr std::string_view bad_bulk_end = "Protocol error: expected CRLF after bulk argument";

constexpr std::size_t saturating_add(std::size_t a, std::size_t b) {
    return b > SIZE_MAX - a ? SIZE_MAX : a + b;
}

}  // namespace

request_parser::request_parser(limits l) : limits_(l) {
    reset();
}

void request_parser::reset() {
    phase_ = phase::start;
    pos_ = 0;
    start_line(0);
    seen_ = 0;
    remaining_ = 0;
    bulk_len_ = 0;
    scanned_ = 0;
    args_.clear();
    decoded_.clear();
    base_ = nullptr;
    inline_ = false;
}

void request_parser::start_line(std::size_t at) {
    pos_ = at;
    scan_ = at;
    line_end_ = npos;
}

request_parser::result request_parser::parse(std::span<const char> input) {
    const std::string_view in(input.data(), input.size());
    // A shrunk buffer breaks the calling contract; starting over keeps us memory safe.
    if (phase_ == phase::done || in.size() < seen_) {
        reset();
    }
    if (phase_ == phase::start) {
        if (in.empty()) {
            return need_more(in);
        }
        // Redis decides by the first byte alone, so " *1" is an inline command.
        phase_ = in[0] == '*' ? phase::count_line : phase::inline_line;
    }
    return phase_ == phase::inline_line ? parse_inline(in) : parse_multibulk(in);
}

// Looks for the terminator of the line starting at pos_. A line may hold at most max_inline_len
// bytes before its terminator: Redis errors once that many bytes have arrived without one.
// Deciding on the terminator's offset rather than on what has arrived so far keeps the answer
// independent of how the bytes were split.
request_parser::line_state request_parser::find_line_end(std::string_view in, char terminator) {
    const std::size_t limit = saturating_add(pos_, saturating_add(limits_.max_inline_len, 1));
    if (line_end_ == npos) {
        const std::size_t end = std::min(in.size(), limit);
        if (scan_ < end) {
            const void* hit = std::memchr(in.data() + scan_, terminator, end - scan_);
            if (hit == nullptr) {
                scanned_ += end - scan_;
                scan_ = end;
            } else {
                line_end_ = static_cast<std::size_t>(static_cast<const char*>(hit) - in.data());
                scanned_ += line_end_ + 1 - scan_;
                scan_ = line_end_ + 1;
            }
        }
        if (line_end_ == npos) {
            return in.size() >= limit ? line_state::too_long : line_state::need_more;
        }
    }
    return line_state::found;
}

request_parser::result request_parser::parse_multibulk(std::string_view in) {
    if (phase_ == phase::count_line) {
        const line_state ls = find_line_end(in, '\r');
        if (ls == line_state::too_long) {
            return fail(status::too_large, too_big_mbulk);
        }
        // Like Redis, a header line is only read once the byte after its CR is there too.
        if (ls == line_state::need_more || line_end_ + 1 >= in.size()) {
            return need_more(in);
        }
        if (const auto ended = on_count_line(in)) {
            return *ended;
        }
    }
    for (;;) {
        if (phase_ == phase::bulk_len_line) {
            const line_state ls = find_line_end(in, '\r');
            if (ls == line_state::too_long) {
                return fail(status::too_large, too_big_bulk);
            }
            if (ls == line_state::need_more || line_end_ + 1 >= in.size()) {
                return need_more(in);
            }
            if (const auto ended = on_bulk_len_line(in)) {
                return *ended;
            }
        }
        // phase_ is bulk_data here. The payload is skipped by length, never scanned.
        const std::size_t available = in.size() - pos_;
        if (available < 2 || available - 2 < bulk_len_) {
            return need_more(in);
        }
        const std::size_t end = pos_ + bulk_len_;
        scanned_ += 2;
        if (in[end] != '\r' || in[end + 1] != '\n') {
            return fail(status::invalid, bad_bulk_end);
        }
        args_.push_back({pos_, bulk_len_});
        if (--remaining_ == 0) {
            base_ = in.data();
            return complete(end + 2);
        }
        start_line(end + 2);
        phase_ = phase::bulk_len_line;
    }
}

// Both header handlers return a result only when it ends the request.
std::optional<request_parser::result> request_parser::on_count_line(std::string_view in) {
    const std::string_view digits = in.substr(pos_ + 1, line_end_ - pos_ - 1);
    scanned_ += digits.size() + 1;
    std::int64_t count = 0;
    // Redis never checks that LF follows the CR; it skips the byte, which we refuse to guess at.
    if (!detail::parse_int64(digits, count) || count > INT_MAX || in[line_end_ + 1] != '\n') {
        return fail(status::invalid, invalid_multibulk);
    }
    if (limits_.unauthenticated && count > unauthenticated_max_args) {
        return fail(status::too_large, unauth_multibulk);
    }
    if (count > 0 && static_cast<std::uint64_t>(count) > limits_.max_multibulk_len) {
        return fail(status::too_large, invalid_multibulk);
    }
    if (count <= 0) {
        // Redis consumes `*0`, `*-1`, ... and runs nothing.
        return complete(line_end_ + 2);
    }
    remaining_ = static_cast<std::size_t>(count);
    args_.reserve(std::min(remaining_, initial_args_reserve));
    start_line(line_end_ + 2);
    phase_ = phase::bulk_len_line;
    return std::nullopt;
}

std::optional<request_parser::result> request_parser::on_bulk_len_line(std::string_view in) {
    scanned_ += line_end_ - pos_ + 1;
    // Redis checks the '$' only once the whole line is there, so an empty line says "got ' '".
    if (in[pos_] != '$') {
        return fail_expected_dollar(in[pos_]);
    }
    std::int64_t len = 0;
    if (!detail::parse_int64(in.substr(pos_ + 1, line_end_ - pos_ - 1), len) || len < 0 ||
        in[line_end_ + 1] != '\n') {
        return fail(status::invalid, invalid_bulk);
    }
    if (static_cast<std::uint64_t>(len) > limits_.max_bulk_len) {
        return fail(status::too_large, invalid_bulk);
    }
    if (limits_.unauthenticated && len > unauthenticated_max_bulk) {
        return fail(status::too_large, unauth_bulk);
    }
    bulk_len_ = static_cast<std::size_t>(len);
    pos_ = line_end_ + 2;
    phase_ = phase::bulk_data;
    return std::nullopt;
}

request_parser::result request_parser::parse_inline(std::string_view in) {
    const line_state ls = find_line_end(in, '\n');
    if (ls == line_state::too_long) {
        return fail(status::too_large, too_big_inline);
    }
    if (ls == line_state::need_more) {
        return need_more(in);
    }
    // A bare LF ends the line too; a CR right before it is part of the line ending.
    const std::size_t content =
        line_end_ > 0 && in[line_end_ - 1] == '\r' ? line_end_ - 1 : line_end_;
    decoded_.clear();
    decoded_.reserve(content);
    scanned_ += content;
    if (!detail::split_inline(in.substr(0, content), decoded_, args_)) {
        args_.clear();
        return fail(status::invalid, unbalanced_quotes);
    }
    base_ = decoded_.data();
    inline_ = true;
    return complete(line_end_ + 1);
}

request_parser::result request_parser::need_more(std::string_view in) {
    seen_ = in.size();
    return {status::need_more, 0, {}};
}

request_parser::result request_parser::complete(std::size_t consumed) {
    phase_ = phase::done;
    return {status::ok, consumed, {}};
}

request_parser::result request_parser::fail(status st, std::string_view error) {
    phase_ = phase::done;
    args_.clear();
    return {st, 0, error};
}

// Redis formats the byte with %c and then maps CR and LF to spaces so the error stays one line.
// It never gets to report a NUL (its strchr() stops there and it waits for more data); a space
// is used for it too rather than cutting the message.
request_parser::result request_parser::fail_expected_dollar(char got) {
    constexpr std::string_view prefix = "Protocol error: expected '$', got '";
    static_assert(prefix.size() + 2 <= sizeof(error_buf_));
    const char shown = got == '\r' || got == '\n' || got == '\0' ? ' ' : got;
    std::copy(prefix.begin(), prefix.end(), error_buf_);
    error_buf_[prefix.size()] = shown;
    error_buf_[prefix.size() + 1] = '\'';
    return fail(status::invalid, std::string_view(error_buf_, prefix.size() + 2));
}

namespace {

void append_header(char type, std::size_t n, std::string& out) {
    char digits[24];
    const auto [end, ec] = std::to_chars(digits, digits + sizeof(digits), n);
    out.push_back(type);
    out.append(digits, end);
    out.append("\r\n", 2);
}

std::size_t decimal_width(std::size_t n) {
    std::size_t width = 1;
    while (n >= 10) {
        n /= 10;
        ++width;
    }
    return width;
}

template <typename Args>
void encode_args(std::size_t argc, const Args& arg_at, std::string& out) {
    // One exact reservation: encoding a request never grows `out` twice.
    std::size_t size = 1 + decimal_width(argc) + 2;
    for (std::size_t i = 0; i < argc; ++i) {
        const std::size_t len = arg_at(i).size();
        size += 1 + decimal_width(len) + 2 + len + 2;
    }
    out.reserve(out.size() + size);
    append_header('*', argc, out);
    for (std::size_t i = 0; i < argc; ++i) {
        const std::string_view arg = arg_at(i);
        append_header('$', arg.size(), out);
        out.append(arg);
        out.append("\r\n", 2);
    }
}

}  // namespace

void encode_request(std::span<const std::string_view> args, std::string& out) {
    encode_args(
        args.size(), [&](std::size_t i) { return args[i]; }, out);
}

void encode_request(const request_parser& parsed, std::string& out) {
    encode_args(
        parsed.argc(), [&](std::size_t i) { return parsed.arg(i); }, out);
}

}  // namespace coproxy::protocol::resp
