// Blocking RESP2 client for integration tests; see resp_client.hpp.
#include "support/resp_client.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <charconv>
#include <cstdio>

namespace coproxy::test {

std::string escape_bytes(std::string_view text) {
    std::string out;
    for (const char c : text) {
        const auto u = static_cast<unsigned char>(c);
        if (u >= 0x20 && u < 0x7f && c != '\\') {
            out += c;
        } else {
            char hex[5];
            std::snprintf(hex, sizeof hex, "\\x%02x", u);
            out += hex;
        }
    }
    return out;
}

std::string resp_reply::describe() const {
    if (nil) {
        return "(nil)";
    }
    switch (type) {
        case '$':
            return "\"" + escape_bytes(text) + "\"";
        case '*':
            return "[" + std::to_string(elements.size()) + " elements]";
        default:
            return std::string(1, type) + escape_bytes(text);
    }
}

void append_resp_command(std::string& out, const std::vector<std::string_view>& args) {
    out += '*';
    out += std::to_string(args.size());
    out += "\r\n";
    for (const auto arg : args) {
        out += '$';
        out += std::to_string(arg.size());
        out += "\r\n";
        out += arg;
        out += "\r\n";
    }
}

std::optional<resp_client> resp_client::connect(int port) {
    auto s = client_socket::connect(port);
    if (!s) {
        return std::nullopt;
    }
    return resp_client(std::move(*s));
}

bool resp_client::fill() {
    if (pos_ > 0 && pos_ == buffer_.size()) {
        buffer_.clear();
        pos_ = 0;
    } else if (pos_ > (1u << 20)) {
        buffer_.erase(0, pos_);
        pos_ = 0;
    }
    char chunk[65536];
    for (;;) {
        const ssize_t n = ::recv(socket_.fd(), chunk, sizeof chunk, 0);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return false;
        }
        buffer_.append(chunk, static_cast<std::size_t>(n));
        return true;
    }
}

std::optional<std::string> resp_client::read_line() {
    for (;;) {
        const auto end = buffer_.find("\r\n", pos_);
        if (end != std::string::npos) {
            std::string line = buffer_.substr(pos_, end - pos_);
            pos_ = end + 2;
            return line;
        }
        if (!fill()) {
            return std::nullopt;
        }
    }
}

std::optional<std::string> resp_client::read_bytes(std::size_t n) {
    while (buffer_.size() - pos_ < n) {
        if (!fill()) {
            return std::nullopt;
        }
    }
    std::string out = buffer_.substr(pos_, n);
    pos_ += n;
    return out;
}

std::optional<resp_reply> resp_client::read_reply() {
    const auto line = read_line();
    if (!line || line->empty()) {
        return std::nullopt;
    }
    resp_reply reply;
    reply.type = (*line)[0];
    reply.text = line->substr(1);
    if (reply.type == '+' || reply.type == '-' || reply.type == ':') {
        return reply;
    }
    if (reply.type != '$' && reply.type != '*') {
        return std::nullopt;
    }
    long long n = 0;
    const auto [end, ec] =
        std::from_chars(reply.text.data(), reply.text.data() + reply.text.size(), n);
    if (ec != std::errc() || end != reply.text.data() + reply.text.size() || n < -1) {
        return std::nullopt;
    }
    reply.text.clear();
    if (n == -1) {
        reply.nil = true;
        return reply;
    }
    if (reply.type == '$') {
        auto payload = read_bytes(static_cast<std::size_t>(n) + 2);
        if (!payload || payload->substr(payload->size() - 2) != "\r\n") {
            return std::nullopt;
        }
        payload->resize(payload->size() - 2);
        reply.text = std::move(*payload);
        return reply;
    }
    for (long long i = 0; i < n; ++i) {
        auto element = read_reply();
        if (!element) {
            return std::nullopt;
        }
        reply.elements.push_back(std::move(*element));
    }
    return reply;
}

std::optional<resp_reply> resp_client::call(const std::vector<std::string_view>& args) {
    std::string command;
    append_resp_command(command, args);
    if (!send(command)) {
        return std::nullopt;
    }
    return read_reply();
}

}  // namespace coproxy::test
