// Blocking client sockets and small threaded TCP servers for integration tests. Every call has a
// timeout so a broken proxy fails the test instead of hanging it.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace coproxy::test {

class client_socket {
  public:
    client_socket() = default;
    explicit client_socket(int fd) : fd_(fd) {}
    client_socket(client_socket&& o) noexcept;
    client_socket& operator=(client_socket&& o) noexcept;
    ~client_socket();

    // Connects to 127.0.0.1:port (or a unix socket path); nullopt on failure.
    static std::optional<client_socket> connect(
        int port, std::chrono::milliseconds timeout = std::chrono::seconds(5));
    static std::optional<client_socket> connect_unix(const std::string& path);

    int fd() const { return fd_; }
    void set_timeout(std::chrono::milliseconds t);
    bool send_all(std::string_view data);
    // Exactly n bytes, or fewer when the peer closed / the timeout hit.
    std::string recv_exact(std::size_t n);
    std::string recv_until_eof();
    // Bytes up to and including "\r\n" (or "\n").
    std::string recv_line();
    // True when the peer closed (EOF or reset) within the socket timeout.
    bool wait_closed();
    void shutdown_write();
    void close();

  private:
    int fd_ = -1;
};

// A TCP server on 127.0.0.1 (port 0) running `handler` in a thread per connection.
class test_server {
  public:
    using handler = std::function<void(int fd, int connection_index)>;
    explicit test_server(handler h, int backlog = 128);
    ~test_server();
    test_server(const test_server&) = delete;
    test_server& operator=(const test_server&) = delete;

    int port() const { return port_; }
    int accepted() const { return accepted_.load(); }
    void stop();

    // Handlers: echo until EOF then half-close; swallow everything.
    static void echo(int fd, int);

  private:
    void accept_loop();
    handler handler_;
    int listen_fd_ = -1;
    int port_ = 0;
    std::atomic<int> accepted_{0};
    std::atomic<bool> stopping_{false};
    std::thread acceptor_;
    std::mutex mutex_;
    std::vector<std::thread> connections_;
    std::vector<int> fds_;
};

std::string random_bytes(std::size_t n, unsigned seed);

}  // namespace coproxy::test
