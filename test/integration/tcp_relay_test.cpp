// tcp pools end to end: the real coproxy binary between real sockets. Relay correctness with
// multi-MiB random payloads, half-close, idle timeout, failover on refusal and on timeout, warm
// sockets, unix listeners.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <future>
#include <map>
#include <mutex>
#include <thread>

#include "support/coproxy_process.hpp"
#include "support/http.hpp"
#include "support/socket.hpp"

namespace coproxy::test {
namespace {

using namespace std::chrono_literals;

std::string tcp_pool(int listen_port, const std::vector<int>& server_ports,
                     const std::string& extra = "") {
    std::string yaml =
        "relay:\n  protocol: tcp\n  listen: 127.0.0.1:" + std::to_string(listen_port) + "\n" +
        extra + "  servers:\n";
    for (int p : server_ports) {
        yaml += "    - 127.0.0.1:" + std::to_string(p) + ":1\n";
    }
    return yaml;
}

// Sends `payload` and reads the echo concurrently, as a real client of a full-duplex protocol.
std::string echo_round_trip(client_socket& c, const std::string& payload) {
    auto sender = std::async(std::launch::async, [&] {
        const bool ok = c.send_all(payload);
        c.shutdown_write();
        return ok;
    });
    std::string echoed = c.recv_until_eof();
    EXPECT_TRUE(sender.get());
    return echoed;
}

TEST(TcpRelay, MultiMegabytePayloadsBothWays) {
    test_server backend(test_server::echo);
    temp_dir dir;
    const int port = free_port();
    coproxy_process proxy(dir, tcp_pool(port, {backend.port()}), {"--threads", "2"});
    ASSERT_TRUE(proxy.started()) << proxy.log();
    std::vector<std::future<bool>> clients;
    for (unsigned i = 0; i < 4; ++i) {
        clients.push_back(std::async(std::launch::async, [port, i] {
            auto c = client_socket::connect(port);
            if (!c) {
                return false;
            }
            const std::string payload = random_bytes(6 * 1024 * 1024 + i * 4099, i + 1);
            return echo_round_trip(*c, payload) == payload;
        }));
    }
    for (auto& f : clients) {
        EXPECT_TRUE(f.get());
    }
    EXPECT_EQ(proxy.stop(), 0) << proxy.log();
}

// The backend answers only after the client has finished sending: the client's EOF must reach it
// as a half-close while the reply can still flow back.
TEST(TcpRelay, HalfCloseIsKept) {
    test_server backend([](int fd, int) {
        std::size_t total = 0;
        char buf[65536];
        ssize_t n;
        while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) {
            total += static_cast<std::size_t>(n);
        }
        const std::string reply = "got " + std::to_string(total);
        ::send(fd, reply.data(), reply.size(), MSG_NOSIGNAL);
        ::shutdown(fd, SHUT_WR);
    });
    temp_dir dir;
    const int port = free_port();
    coproxy_process proxy(dir, tcp_pool(port, {backend.port()}));
    ASSERT_TRUE(proxy.started()) << proxy.log();
    auto c = client_socket::connect(port);
    ASSERT_TRUE(c);
    ASSERT_TRUE(c->send_all(random_bytes(3 * 1024 * 1024, 7)));
    c->shutdown_write();
    EXPECT_EQ(c->recv_until_eof(), "got 3145728");
}

TEST(TcpRelay, IdleTimeoutClosesQuietPairs) {
    test_server backend(test_server::echo);
    temp_dir dir;
    const int port = free_port();
    coproxy_process proxy(dir, tcp_pool(port, {backend.port()}, "  idle_timeout: 300\n"));
    ASSERT_TRUE(proxy.started()) << proxy.log();
    auto c = client_socket::connect(port);
    ASSERT_TRUE(c);
    // Activity keeps the pair open past the timeout (the pauses are the test: half the timeout)...
    for (int i = 0; i < 4; ++i) {
        std::this_thread::sleep_for(150ms);
        ASSERT_TRUE(c->send_all("ping"));
        ASSERT_EQ(c->recv_exact(4), "ping");
    }
    // ...silence closes it.
    const auto quiet = std::chrono::steady_clock::now();
    c->set_timeout(5s);
    EXPECT_TRUE(c->wait_closed());
    const auto waited = std::chrono::steady_clock::now() - quiet;
    EXPECT_GE(waited, 250ms);
    EXPECT_LT(waited, 3s);
}

TEST(TcpRelay, FailsOverPastARefusingServer) {
    test_server backend(test_server::echo);
    const int dead = free_port();  // nothing listens here: connects are refused
    temp_dir dir;
    const int port = free_port();
    coproxy_process proxy(dir, tcp_pool(port, {dead, backend.port()}), {"--threads", "1"});
    ASSERT_TRUE(proxy.started()) << proxy.log();
    for (int i = 0; i < 6; ++i) {  // round robin starts half of them at the dead server
        auto c = client_socket::connect(port);
        ASSERT_TRUE(c);
        EXPECT_EQ(echo_round_trip(*c, "hello " + std::to_string(i)), "hello " + std::to_string(i));
    }
    EXPECT_NE(proxy.log().find("server '127.0.0.1:" + std::to_string(dead) +
                               "': connect failed: Connection refused"),
              std::string::npos);
}

// A listener with a full accept queue drops SYNs, so connects to it hang: the pool's timeout
// must move the client on to the next server.
TEST(TcpRelay, FailsOverPastAServerThatDoesNotAnswer) {
    const int blackhole = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(blackhole, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    ASSERT_EQ(::listen(blackhole, 0), 0);
    socklen_t len = sizeof a;
    ::getsockname(blackhole, reinterpret_cast<sockaddr*>(&a), &len);
    std::vector<int> fillers;
    for (int i = 0; i < 4; ++i) {
        const int f = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        ::connect(f, reinterpret_cast<sockaddr*>(&a), sizeof a);
        fillers.push_back(f);
    }
    // Once the backlog holds its one connection, further handshakes are not completed.
    pollfd first{fillers[0], POLLOUT, 0};
    ASSERT_EQ(::poll(&first, 1, 5000), 1);

    test_server backend(test_server::echo);
    temp_dir dir;
    const int port = free_port();
    coproxy_process proxy(dir,
                          tcp_pool(port, {ntohs(a.sin_port), backend.port()}, "  timeout: 300\n"),
                          {"--threads", "1"});
    ASSERT_TRUE(proxy.started()) << proxy.log();
    const auto start = std::chrono::steady_clock::now();
    auto c = client_socket::connect(port);
    ASSERT_TRUE(c);
    EXPECT_EQ(echo_round_trip(*c, "through"), "through");
    EXPECT_GE(std::chrono::steady_clock::now() - start, 250ms);  // it waited out the timeout
    EXPECT_NE(proxy.log().find("Connection timed out"), std::string::npos) << proxy.log();
    for (int f : fillers) {
        ::close(f);
    }
    ::close(blackhole);
}

TEST(TcpRelay, AllServersDownClosesTheClient) {
    temp_dir dir;
    const int port = free_port();
    coproxy_process proxy(dir, tcp_pool(port, {free_port(), free_port()}));
    ASSERT_TRUE(proxy.started()) << proxy.log();
    auto c = client_socket::connect(port);
    ASSERT_TRUE(c);
    EXPECT_TRUE(c->wait_closed());
}

// Records, per backend connection, the first bytes it received.
struct recording_backend {
    std::mutex mutex;
    std::map<int, std::string> first_bytes;
    std::atomic<int> close_first{
        0};  // connections with a lower index are closed at once (a restart)
    test_server server{[this](int fd, int index) {
        if (index < close_first) {
            ::shutdown(fd, SHUT_RDWR);  // the peer sees EOF now; the fd is closed on stop()
            return;
        }
        char buf[256];
        const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n > 0) {
            std::lock_guard<std::mutex> lock(mutex);
            first_bytes[index].assign(buf, static_cast<std::size_t>(n));
            ::send(fd, buf, static_cast<std::size_t>(n), MSG_NOSIGNAL);
        }
        test_server::echo(fd, index);
    }};
};

TEST(TcpRelay, WarmSocketCarriesTheFirstByteWithoutAConnect) {
    recording_backend backend;
    temp_dir dir;
    const int port = free_port();
    const int admin = free_port();
    coproxy_process proxy(
        dir,
        tcp_pool(port, {backend.server.port()}, "  preconnect: true\n  server_connections: 2\n"),
        {"--threads", "2", "--admin-addr", "127.0.0.1:" + std::to_string(admin)});
    ASSERT_TRUE(proxy.started()) << proxy.log();
    // 2 per worker, connected on coproxy's side too (and so waiting as warm sockets).
    ASSERT_TRUE(
        eventually([&] { return scrape_metric(admin, "coproxy_server_connects_total") == 4; }));
    const int warm = backend.server.accepted();
    auto c = client_socket::connect(port);
    ASSERT_TRUE(c);
    ASSERT_TRUE(c->send_all("first"));
    ASSERT_EQ(c->recv_exact(5), "first");
    std::lock_guard<std::mutex> lock(backend.mutex);
    ASSERT_EQ(backend.first_bytes.size(), 1u);
    EXPECT_LT(backend.first_bytes.begin()->first, warm)
        << "the client's bytes went to a connection opened after it arrived";
}

TEST(TcpRelay, WarmSocketClosedByTheServerIsReplacedNotHandedOut) {
    recording_backend backend;
    backend.close_first = 2;
    temp_dir dir;
    const int port = free_port();
    coproxy_process proxy(
        dir,
        tcp_pool(port, {backend.server.port()}, "  preconnect: true\n  server_connections: 2\n"),
        {"--threads", "1"});
    ASSERT_TRUE(proxy.started()) << proxy.log();
    // The first two warm sockets die at once; coproxy notices and opens two more.
    ASSERT_TRUE(eventually([&] { return backend.server.accepted() >= 4; }));
    for (int i = 0; i < 2; ++i) {
        auto c = client_socket::connect(port);
        ASSERT_TRUE(c);
        EXPECT_EQ(echo_round_trip(*c, "alive"), "alive");
    }
}

TEST(TcpRelay, UnixListenerWithPermissions) {
    test_server backend(test_server::echo);
    temp_dir dir;
    const std::string path = dir.file("relay.sock");
    const std::string yaml =
        "relay:\n  protocol: tcp\n  listen: " + path +
        " 0600\n  servers:\n    - 127.0.0.1:" + std::to_string(backend.port()) + ":1\n";
    coproxy_process proxy(dir, yaml, {"--threads", "2"});
    ASSERT_TRUE(proxy.started()) << proxy.log();
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    auto c = client_socket::connect_unix(path);
    ASSERT_TRUE(c);
    EXPECT_EQ(echo_round_trip(*c, "over unix"), "over unix");
    EXPECT_EQ(proxy.stop(), 0);
    EXPECT_NE(::access(path.c_str(), F_OK), 0) << "socket file left behind";
}

}  // namespace
}  // namespace coproxy::test
