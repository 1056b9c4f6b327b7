// See fake_backend.hpp.
#include "support/fake_backend.hpp"

#include <sys/socket.h>

namespace coproxy::test {
namespace {

class line_reader final : public upstream::reply_reader {
  public:
    result read(std::span<const char> input, upstream::request&) override {
        const std::string_view s(input.data(), input.size());
        const auto end = s.find('\n');
        if (end == std::string_view::npos) {
            return {s.size() > 4096 ? status::invalid : status::need_more, 0};
        }
        return {status::complete, end + 1};
    }
};

}  // namespace

std::unique_ptr<upstream::reply_reader> line_protocol::make_reader() const {
    return std::make_unique<line_reader>();
}

fake_backend::fake_backend(std::string handshake_reply)
    : handshake_reply_(std::move(handshake_reply)), server_([this](int fd, int) { serve(fd); }) {}

std::vector<std::string> fake_backend::lines() {
    std::lock_guard<std::mutex> lock(mutex_);
    return lines_;
}

void fake_backend::serve(int fd) {
    std::string buffer;
    bool hung = false;
    char chunk[4096];
    for (;;) {
        const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
        if (n <= 0) {
            return;
        }
        buffer.append(chunk, static_cast<std::size_t>(n));
        std::string out;
        for (auto end = buffer.find('\n'); end != std::string::npos; end = buffer.find('\n')) {
            const std::string line = buffer.substr(0, end);
            buffer.erase(0, end + 1);
            {
                std::lock_guard<std::mutex> lock(mutex_);
                lines_.push_back(line);
            }
            if (line == "bye") {
                ::send(fd, out.data(), out.size(), MSG_NOSIGNAL);
                ::shutdown(fd, SHUT_RDWR);
                return;
            }
            if (line == "hold") {
                hung = true;
            }
            if (hung) {
                continue;
            }
            if (line == "hello") {
                out += handshake_reply_;
            } else if (line.rfind("err ", 0) == 0) {
                out += "ERR " + line.substr(4) + "\n";
            } else {
                out += "+" + line + "\n";
            }
        }
        if (!out.empty() && ::send(fd, out.data(), out.size(), MSG_NOSIGNAL) < 0) {
            return;
        }
    }
}

}  // namespace coproxy::test
