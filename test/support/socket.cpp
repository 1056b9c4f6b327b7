// Blocking sockets for integration tests; see socket.hpp.
#include "support/socket.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>
#include <stdexcept>
#include <utility>

#include "support/process.hpp"

namespace coproxy::test {

client_socket::client_socket(client_socket&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}

client_socket& client_socket::operator=(client_socket&& o) noexcept {
    if (this != &o) {
        close();
        fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
}

client_socket::~client_socket() {
    close();
}

void client_socket::close() {
    if (fd_ >= 0) {
        ::close(fd_);
        fd_ = -1;
    }
}

std::optional<client_socket> client_socket::connect(int port, std::chrono::milliseconds timeout) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    timeval tv{static_cast<time_t>(timeout.count() / 1000),
               static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        ::close(fd);
        return std::nullopt;
    }
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    client_socket s(fd);
    s.set_timeout(budget(std::chrono::seconds(10)));
    return s;
}

std::optional<client_socket> client_socket::connect_unix(const std::string& path) {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strncpy(a.sun_path, path.c_str(), sizeof a.sun_path - 1);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        ::close(fd);
        return std::nullopt;
    }
    client_socket s(fd);
    s.set_timeout(budget(std::chrono::seconds(10)));
    return s;
}

void client_socket::set_timeout(std::chrono::milliseconds t) {
    timeval tv{static_cast<time_t>(t.count() / 1000),
               static_cast<suseconds_t>((t.count() % 1000) * 1000)};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

bool client_socket::send_all(std::string_view data) {
    while (!data.empty()) {
        const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
        if (n <= 0) {
            if (n < 0 && errno == EINTR) {
                continue;
            }
            return false;
        }
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

std::string client_socket::recv_exact(std::size_t n) {
    std::string out(n, '\0');
    std::size_t got = 0;
    while (got < n) {
        const ssize_t r = ::recv(fd_, out.data() + got, n - got, 0);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r <= 0) {
            break;
        }
        got += static_cast<std::size_t>(r);
    }
    out.resize(got);
    return out;
}

std::string client_socket::recv_until_eof() {
    std::string out;
    char buf[65536];
    for (;;) {
        const ssize_t r = ::recv(fd_, buf, sizeof buf, 0);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r <= 0) {
            return out;
        }
        out.append(buf, static_cast<std::size_t>(r));
    }
}

std::string client_socket::recv_line() {
    std::string out;
    char c;
    while (::recv(fd_, &c, 1, 0) == 1) {
        out += c;
        if (c == '\n') {
            break;
        }
    }
    return out;
}

bool client_socket::wait_closed() {
    char buf[4096];
    for (;;) {
        const ssize_t r = ::recv(fd_, buf, sizeof buf, 0);
        if (r == 0 || (r < 0 && errno == ECONNRESET)) {
            return true;
        }
        if (r < 0 && errno != EINTR) {
            return false;  // timeout
        }
    }
}

void client_socket::shutdown_write() {
    ::shutdown(fd_, SHUT_WR);
}

test_server::test_server(handler h, int backlog) : handler_(std::move(h)) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    const int one = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        ::listen(listen_fd_, backlog) != 0) {
        throw std::runtime_error("test_server: bind/listen failed");
    }
    socklen_t len = sizeof a;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    acceptor_ = std::thread([this] { accept_loop(); });
}

test_server::~test_server() {
    stop();
}

void test_server::accept_loop() {
    for (;;) {
        pollfd p{listen_fd_, POLLIN, 0};
        if (::poll(&p, 1, 50) <= 0) {
            if (stopping_) {
                return;
            }
            continue;
        }
        const int fd = ::accept(listen_fd_, nullptr, nullptr);
        if (fd < 0) {
            continue;
        }
        const int index = accepted_.fetch_add(1);
        std::lock_guard<std::mutex> lock(mutex_);
        fds_.push_back(fd);
        connections_.emplace_back([this, fd, index] { handler_(fd, index); });
    }
}

void test_server::stop() {
    if (stopping_.exchange(true)) {
        return;
    }
    acceptor_.join();
    ::close(listen_fd_);
    std::lock_guard<std::mutex> lock(mutex_);
    for (int fd : fds_) {
        ::shutdown(fd, SHUT_RDWR);  // wakes handlers blocked in recv
    }
    for (auto& t : connections_) {
        t.join();
    }
    for (int fd : fds_) {
        ::close(fd);
    }
}

void test_server::echo(int fd, int) {
    char buf[65536];
    for (;;) {
        const ssize_t r = ::recv(fd, buf, sizeof buf, 0);
        if (r <= 0) {
            ::shutdown(fd, SHUT_WR);
            return;
        }
        std::size_t sent = 0;
        while (sent < static_cast<std::size_t>(r)) {
            const ssize_t w =
                ::send(fd, buf + sent, static_cast<std::size_t>(r) - sent, MSG_NOSIGNAL);
            if (w <= 0) {
                return;
            }
            sent += static_cast<std::size_t>(w);
        }
    }
}

std::string random_bytes(std::size_t n, unsigned seed) {
    std::mt19937 rng(seed);
    std::string out(n, '\0');
    for (auto& c : out) {
        c = static_cast<char>(rng());
    }
    return out;
}

}  // namespace coproxy::test
