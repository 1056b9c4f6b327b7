// Graceful shutdown: on SIGTERM the listeners close, an open transfer runs to completion, and the
// process exits 0; what is still open at the shutdown timeout is closed.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>

#include <future>

#include "support/coproxy_process.hpp"
#include "support/socket.hpp"

namespace coproxy::test {
namespace {

using namespace std::chrono_literals;

// Sends `total` bytes slowly: the transfer takes about `duration`.
test_server::handler slow_sender(std::size_t total, std::chrono::milliseconds duration) {
    return [total, duration](int fd, int) {
        const std::string chunk = random_bytes(total / 20, 3);
        for (int i = 0; i < 20; ++i) {
            if (::send(fd, chunk.data(), chunk.size(), MSG_NOSIGNAL) <= 0) {
                return;
            }
            std::this_thread::sleep_for(duration / 20);
        }
        ::shutdown(fd, SHUT_WR);
    };
}

std::string pool_yaml(int port, int backend) {
    return "relay:\n  protocol: tcp\n  listen: 127.0.0.1:" + std::to_string(port) +
           "\n  servers:\n    - 127.0.0.1:" + std::to_string(backend) + ":1\n";
}

TEST(Shutdown, SigtermLetsAnOpenTransferComplete) {
    constexpr std::size_t total = 20 * 200 * 1024;
    test_server backend(slow_sender(total, 1500ms));
    temp_dir dir;
    const int port = free_port();
    coproxy_process proxy(dir, pool_yaml(port, backend.port()),
                          {"--threads", "2", "--shutdown-timeout", "20s"});
    ASSERT_TRUE(proxy.started()) << proxy.log();
    auto c = client_socket::connect(port);
    ASSERT_TRUE(c);
    auto received = std::async(std::launch::async, [&] { return c->recv_until_eof().size(); });
    ASSERT_TRUE(eventually([&] { return backend.accepted() == 1; }));  // the transfer is on
    proxy.process().signal(SIGTERM);
    // New clients are turned away once the listeners close...
    EXPECT_TRUE(eventually([&] { return !client_socket::connect(port, 200ms); }, 3s));
    // ...while the transfer in progress completes in full.
    EXPECT_EQ(received.get(), total);
    c->close();  // the pair ends when both directions are done
    EXPECT_EQ(proxy.process().wait(10s), 0) << proxy.log();
    EXPECT_NE(proxy.log().find("all workers stopped"), std::string::npos);
}

TEST(Shutdown, ConnectionsStillOpenAtTheTimeoutAreClosed) {
    test_server backend(test_server::echo);
    temp_dir dir;
    const int port = free_port();
    coproxy_process proxy(dir, pool_yaml(port, backend.port()),
                          {"--threads", "2", "--shutdown-timeout", "1s"});
    ASSERT_TRUE(proxy.started()) << proxy.log();
    std::vector<client_socket> idle;
    for (int i = 0; i < 6; ++i) {
        auto c = client_socket::connect(port);
        ASSERT_TRUE(c);
        ASSERT_TRUE(c->send_all("x"));
        ASSERT_EQ(c->recv_exact(1), "x");
        idle.push_back(std::move(*c));
    }
    const auto start = std::chrono::steady_clock::now();
    proxy.process().signal(SIGTERM);
    EXPECT_EQ(proxy.process().wait(10s), 0) << proxy.log();
    const auto took = std::chrono::steady_clock::now() - start;
    EXPECT_GE(took, 800ms);
    EXPECT_LT(took, 5s);
    for (auto& c : idle) {
        c.set_timeout(2s);
        EXPECT_TRUE(c.wait_closed());
    }
}

TEST(Shutdown, SecondSignalExitsAtOnce) {
    test_server backend(test_server::echo);
    temp_dir dir;
    const int port = free_port();
    coproxy_process proxy(dir, pool_yaml(port, backend.port()), {"--shutdown-timeout", "60s"});
    ASSERT_TRUE(proxy.started()) << proxy.log();
    auto c = client_socket::connect(port);
    ASSERT_TRUE(c);
    ASSERT_TRUE(c->send_all("x"));
    ASSERT_EQ(c->recv_exact(1), "x");
    proxy.process().signal(SIGTERM);
    ASSERT_TRUE(eventually(
        [&] { return proxy.log().find("shutting down gracefully") != std::string::npos; }));
    proxy.process().signal(SIGINT);
    EXPECT_TRUE(proxy.process().wait(3s).has_value());
}

TEST(Shutdown, DrainDelayKeepsAcceptingBeforeClosing) {
    test_server backend(test_server::echo);
    temp_dir dir;
    const int port = free_port();
    coproxy_process proxy(dir, pool_yaml(port, backend.port()), {"--drain-delay", "1s"});
    ASSERT_TRUE(proxy.started()) << proxy.log();
    proxy.process().signal(SIGTERM);
    ASSERT_TRUE(eventually(
        [&] { return proxy.log().find("shutting down gracefully") != std::string::npos; }));
    auto c = client_socket::connect(port);  // still accepted during the delay
    ASSERT_TRUE(c);
    ASSERT_TRUE(c->send_all("late"));
    EXPECT_EQ(c->recv_exact(4), "late");
    c->close();
    EXPECT_EQ(proxy.process().wait(10s), 0) << proxy.log();
}

}  // namespace
}  // namespace coproxy::test
