// Memcached reply framing: reads reply lines for the command that was sent, skips VALUE/VA data
// blocks by their declared size, and stops at the line that ends the reply. Anything a memcached
// would not send for that command is `invalid`: the backend stream can no longer be trusted.
#include "coproxy/protocol/memcache_reply.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>

namespace coproxy::protocol::memcache {

namespace {

enum class line_type : std::uint8_t { invalid, last, value };

// What one reply line is: the reply's last line, or a line announcing a data block of `size`.
struct line_kind {
    line_type type = line_type::invalid;
    reply_status status = reply_status::end;
    std::uint64_t size = 0;
};

constexpr line_kind last(reply_status s) {
    return {line_type::last, s, 0};
}

// The line is `word`, or `word` followed by a space and more.
bool is_word(std::string_view line, std::string_view word) {
    return line.starts_with(word) && (line.size() == word.size() || line[word.size()] == ' ');
}

bool parse_decimal(std::string_view s, std::uint64_t& out) {
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return !s.empty() && ec == std::errc{} && end == s.data() + s.size();
}

// Splits off the next space-separated field of `rest`.
std::string_view next_field(std::string_view& rest) {
    const std::size_t end = std::min(rest.find(' '), rest.size());
    const std::string_view field = rest.substr(0, end);
    rest.remove_prefix(std::min(end + 1, rest.size()));
    return field;
}

// "VALUE <key> <flags> <bytes> [<cas unique>]"
line_kind value_line(std::string_view line) {
    std::string_view rest = line.substr(6);
    const std::string_view key = next_field(rest);
    const std::string_view flags = next_field(rest);
    const std::string_view bytes = next_field(rest);
    std::uint64_t number = 0;
    line_kind k{line_type::value, reply_status::end, 0};
    if (key.empty() || !parse_decimal(flags, number) || !parse_decimal(bytes, k.size)) {
        return {};
    }
    if (!rest.empty() && !parse_decimal(next_field(rest), number)) {
        return {};
    }
    return rest.empty() ? k : line_kind{};
}

line_kind classic_line(std::string_view line, command cmd) {
    const auto either = [&](std::string_view a, reply_status sa, std::string_view b,
                            reply_status sb) {
        return line == a ? last(sa) : line == b ? last(sb) : line_kind{};
    };
    switch (cmd) {
        case command::get:
        case command::gets:
        case command::gat:
        case command::gats:
            if (line == "END") {
                return last(reply_status::end);
            }
            return line.starts_with("VALUE ") ? value_line(line) : line_kind{};
        case command::set:
        case command::add:
        case command::replace:
        case command::append:
        case command::prepend:
        case command::cas:
            if (line == "STORED" || line == "NOT_STORED") {
                return last(line == "STORED" ? reply_status::stored : reply_status::not_stored);
            }
            return either("EXISTS", reply_status::exists, "NOT_FOUND", reply_status::not_found);
        case command::del:
            return either("DELETED", reply_status::deleted, "NOT_FOUND", reply_status::not_found);
        case command::touch:
            return either("TOUCHED", reply_status::touched, "NOT_FOUND", reply_status::not_found);
        case command::incr:
        case command::decr: {
            if (line == "NOT_FOUND") {
                return last(reply_status::not_found);
            }
            // The new value, which memcached may pad with spaces.
            const std::size_t digits = std::min(line.find_first_not_of("0123456789"), line.size());
            const bool padded = line.find_first_not_of(' ', digits) == std::string_view::npos;
            return digits > 0 && padded ? last(reply_status::number) : line_kind{};
        }
        case command::version:
            return is_word(line, "VERSION") ? last(reply_status::version) : line_kind{};
        case command::flush_all:
        case command::verbosity:
            return line == "OK" ? last(reply_status::ok) : line_kind{};
        case command::stats:
            return line == "RESET" ? last(reply_status::ok) : line_kind{};  // only reset is sent
        default:
            return {};  // quit is never answered
    }
}

// Which codes memcached answers each meta command with (errors aside).
bool meta_allows(command cmd, reply_status s) {
    using enum reply_status;
    switch (cmd) {
        case command::mg:
            return s == hd || s == va || s == en;
        case command::ms:
            return s == hd || s == nf || s == ns || s == ex;
        case command::md:
            return s == hd || s == nf || s == ex;
        case command::ma:
            return s == hd || s == va || s == nf || s == ns || s == ex;
        case command::mn:
            return s == mn;
        default:
            return s == me || s == en;
    }
}

// "<CD> <flags>*", or "VA <size> <flags>*" before a data block.
line_kind meta_line(std::string_view line, command cmd) {
    if (line.size() < 2 || (line.size() > 2 && line[2] != ' ')) {
        return {};
    }
    struct code {
        std::string_view text;
        reply_status status;
    };
    constexpr code codes[] = {
        {"HD", reply_status::hd}, {"VA", reply_status::va}, {"EN", reply_status::en},
        {"NF", reply_status::nf}, {"NS", reply_status::ns}, {"EX", reply_status::ex},
        {"MN", reply_status::mn}, {"ME", reply_status::me},
    };
    const std::string_view text = line.substr(0, 2);
    const code* found = nullptr;
    for (const code& c : codes) {
        if (c.text == text) {
            found = &c;
        }
    }
    if (found == nullptr || !meta_allows(cmd, found->status)) {
        return {};
    }
    if (found->status != reply_status::va) {
        return last(found->status);
    }
    std::string_view rest = line.substr(std::min<std::size_t>(3, line.size()));
    line_kind k{line_type::value, reply_status::va, 0};
    return parse_decimal(next_field(rest), k.size) ? k : line_kind{};
}

line_kind classify(std::string_view line, command cmd) {
    if (cmd == command::quit) {
        return {};
    }
    if (is_word(line, "ERROR")) {
        return last(reply_status::error);
    }
    if (is_word(line, "CLIENT_ERROR")) {
        return last(reply_status::client_error);
    }
    if (is_word(line, "SERVER_ERROR")) {
        return last(reply_status::server_error);
    }
    return is_meta(cmd) ? meta_line(line, cmd) : classic_line(line, cmd);
}

}  // namespace

reply_parser::reply_parser(reply_limits limits) : limits_(limits) {}

void reply_parser::reset() {
    line_start_ = 0;
    scanned_ = 0;
    data_end_ = 0;
}

reply_parser::result reply_parser::fail(status st) {
    reset();
    return {st, 0};
}

reply_parser::result reply_parser::parse(std::span<const char> in, command cmd) {
    if (scanned_ == 0 && data_end_ == 0) {
        kind_ = reply_status::end;
        value_count_ = 0;
        values_size_ = 0;
    }
    const std::size_t size = in.size();
    for (;;) {
        if (data_end_ != 0) {
            if (size < data_end_) {
                return {};
            }
            if (in[data_end_ - 2] != '\r' || in[data_end_ - 1] != '\n') {
                return fail(status::invalid);
            }
            line_start_ = data_end_;
            scanned_ = data_end_;
            data_end_ = 0;
            if (!is_retrieval(cmd)) {
                const std::size_t consumed = line_start_;
                reset();
                return {status::ok, consumed};  // a VA and its data block
            }
        }
        // Fewer bytes than last time breaks the contract; at least stay memory-safe.
        scanned_ = std::min(scanned_, size);
        line_start_ = std::min(line_start_, size);
        const char* from = in.data() + scanned_;
        const auto* newline = static_cast<const char*>(std::memchr(from, '\n', size - scanned_));
        if (newline == nullptr) {
            scanned_total_ += size - scanned_;
            scanned_ = size;
            // max_line does not count the line's "\r\n", whose '\r' may already be here.
            return size - line_start_ > limits_.max_line + 1 ? fail(status::too_large) : result{};
        }
        scanned_total_ += static_cast<std::size_t>(newline - from) + 1;
        const auto end = static_cast<std::size_t>(newline - in.data());
        if (end - line_start_ > limits_.max_line + 1) {
            return fail(status::too_large);
        }
        // memcached ends every line with \r\n; a bare \n means we lost track of the stream.
        if (end == line_start_ || in[end - 1] != '\r') {
            return fail(status::invalid);
        }
        const std::string_view line(in.data() + line_start_, end - 1 - line_start_);
        scanned_total_ += line.size();
        const line_kind k = classify(line, cmd);
        if (k.type == line_type::invalid) {
            return fail(status::invalid);
        }
        if (k.type == line_type::last) {
            kind_ = k.status;
            values_size_ = is_retrieval(cmd) ? line_start_ : 0;
            reset();
            return {status::ok, end + 1};
        }
        if (k.size > limits_.max_value) {
            return fail(status::too_large);
        }
        kind_ = k.status;
        value_count_ += is_retrieval(cmd) ? 1 : 0;
        data_end_ = end + 1 + static_cast<std::size_t>(k.size) + 2;
        scanned_ = end + 1;
    }
}

}  // namespace coproxy::protocol::memcache
