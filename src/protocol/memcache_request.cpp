// Memcached request framing: finds the command line, applies memcached's line-length rule, waits
// for a storage command's data block without rescanning, checks the block's terminator and skips
// the data of rejected storage requests. What a line means is memcache_line.cpp's business.
#include "coproxy/protocol/memcache_request.hpp"

#include <algorithm>
#include <cstring>

#include "memcache_line.hpp"

namespace coproxy::protocol::memcache {

namespace {

// memcached closes silently; a reason before the close costs nothing and helps whoever debugs.
constexpr std::string_view line_too_long_reply = "CLIENT_ERROR line too long\r\n";
constexpr std::string_view binary_reply = "CLIENT_ERROR binary protocol is not supported\r\n";

// Enough bytes to see 100 leading spaces and "gats ".
constexpr std::size_t retrieval_prefix = 106;

// memcached lets a line outgrow its limit only if it starts, after at most 100 spaces, with
// "get " or "gets ". gat/gats lines are as long as get lines, so they may too.
bool starts_retrieval(std::string_view s) {
    const std::size_t spaces = std::min(s.find_first_not_of(' '), s.size());
    if (spaces > 100) {
        return false;
    }
    s.remove_prefix(spaces);
    return s.starts_with("get ") || s.starts_with("gets ") || s.starts_with("gat ") ||
           s.starts_with("gats ");
}

}  // namespace

request_parser::request_parser(request_limits limits) : limits_(limits) {}

void request_parser::reset() {
    request_ = {};
    scanned_ = 0;
    pending_line_ = 0;
    pending_total_ = 0;
    swallow_ = 0;
    retrieval_line_ = -1;
    at_stream_start_ = true;
}

std::string_view request_parser::hash_key() const {
    if (request_.base64_key) {
        return {decoded_key_.data(), decoded_size_};
    }
    return request_.key();
}

// Ends the current request: the next parse() starts a new one.
request_parser::result request_parser::done(status st, std::size_t consumed, std::string_view reply,
                                            bool close) {
    scanned_ = 0;
    pending_line_ = 0;
    pending_total_ = 0;
    retrieval_line_ = -1;
    at_stream_start_ = false;
    return {st, consumed, reply, close};
}

request_parser::result request_parser::parse(std::span<const char> in) {
    request_ = {};
    // A huge multi-get leaves a huge token vector behind: do not keep it for the connection's life.
    if (tokens_.capacity() > 4096) {
        tokens_ = {};
    }
    const std::size_t size = in.size();
    if (swallow_ > 0) {
        if (size == 0) {
            return {};
        }
        const std::size_t take = std::min(size, swallow_);
        swallow_ -= take;
        return {swallow_status_, take, {}, false};
    }
    if (size == 0) {
        return {};
    }
    // memcached picks the protocol from a connection's first byte.
    if (at_stream_start_ && static_cast<unsigned char>(in[0]) == 0x80) {
        return {status::binary_protocol, 0, binary_reply, true};
    }
    if (pending_total_ != 0) {
        return size < pending_total_ ? result{} : finish_line(in, pending_line_);
    }
    scanned_ =
        std::min(scanned_, size);  // fewer bytes than last time breaks the contract: stay safe
    const char* from = in.data() + scanned_;
    const auto* newline = static_cast<const char*>(std::memchr(from, '\n', size - scanned_));
    if (newline == nullptr) {
        scanned_total_ += size - scanned_;
        scanned_ = size;
        // The last byte may be the '\r' of "\r\n", which does not count.
        if (line_too_long(in, size - 1)) {
            return done(status::too_large, 0, line_too_long_reply, true);
        }
        return {};
    }
    scanned_total_ += static_cast<std::size_t>(newline - from) + 1;
    const auto content = static_cast<std::size_t>(newline - in.data());
    const bool has_cr = content > 1 && in[content - 1] == '\r';
    if (line_too_long(in, content - (has_cr ? 1 : 0))) {
        return done(status::too_large, 0, line_too_long_reply, true);
    }
    return finish_line(in, content + 1);
}

// Whether a line of `length` bytes, terminator excluded, is past the limit (see request_limits).
// Held to every line however it was read, so the outcome does not depend on how TCP split it.
// (Not counting the '\r' also keeps any accepted line acceptable once re-encoded with "\r\n".)
bool request_parser::line_too_long(std::span<const char> in, std::size_t length) {
    if (length <= limits_.max_line) {
        return false;
    }
    bool retrieval = retrieval_line_ == 1;
    if (retrieval_line_ < 0) {
        const std::size_t seen = std::min(length, retrieval_prefix);
        retrieval = starts_retrieval({in.data(), seen});
        if (seen == retrieval_prefix) {
            retrieval_line_ = retrieval ? 1 : 0;
        }
    }
    return !retrieval || length > limits_.max_retrieval_line;
}

void request_parser::tokenize(std::string_view line) {
    tokens_.clear();
    std::size_t i = 0;
    while (i < line.size()) {
        if (line[i] == ' ') {
            ++i;
            continue;
        }
        const std::size_t end = std::min(line.find(' ', i), line.size());
        tokens_.push_back(line.substr(i, end - i));
        i = end;
    }
    scanned_total_ += line.size();
}

// `line_end` is the offset just past the line's '\n'; a storage command's data follows it.
request_parser::result request_parser::finish_line(std::span<const char> in, std::size_t line_end) {
    std::string_view line(in.data(), line_end - 1);
    // memcached drops the '\r' before '\n' only when another byte precedes it, and reads the
    // line as a C string, so a NUL ends it.
    if (line.size() > 1 && line.back() == '\r') {
        line.remove_suffix(1);
    }
    line = line.substr(0, line.find('\0'));
    tokenize(line);
    const detail::line_check check = detail::check_line(tokens_, limits_.max_value, decoded_key_);
    if (check.v == detail::verdict::reject) {
        return done(status::invalid, line_end, check.reply);
    }
    const std::size_t total =
        line_end + (check.data_size >= 0 ? static_cast<std::size_t>(check.data_size) + 2 : 0);
    if (check.v == detail::verdict::reject_swallow) {
        const std::size_t take = std::min(in.size(), total);
        const status st = check.too_large ? status::too_large : status::invalid;
        result r = done(st, take, check.reply);
        swallow_ = total - take;
        swallow_status_ = st;
        return r;
    }
    if (check.data_size >= 0) {
        if (in.size() < total) {
            pending_line_ = line_end;
            pending_total_ = total;
            return {};
        }
        if (in[total - 2] != '\r' || in[total - 1] != '\n') {
            // memcached has read the declared bytes and goes on after them; noreply hides the
            // error, ms's q does not.
            const bool silent = check.quiet && check.cmd != command::ms;
            return done(status::invalid, total, silent ? "" : detail::bad_data_chunk);
        }
    }
    const std::span<const std::string_view> tokens = tokens_;
    request_.cmd = check.cmd;
    request_.raw = {in.data(), total};
    request_.line = {in.data(), line_end};
    request_.tokens = tokens;
    request_.keys = tokens.subspan(check.first_key, check.key_count);
    if (check.cmd == command::gat || check.cmd == command::gats) {
        request_.exptime = tokens[1];
    }
    if (check.data_size >= 0) {
        request_.data = {in.data() + line_end, static_cast<std::size_t>(check.data_size)};
    }
    request_.quiet = check.quiet;
    request_.base64_key = check.base64_key;
    decoded_size_ = check.decoded_size;
    return done(status::ok, total, {});
}

}  // namespace coproxy::protocol::memcache
