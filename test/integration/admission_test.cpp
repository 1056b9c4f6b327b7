// The admission limit holds exactly, process-wide, whichever worker SO_REUSEPORT hands a
// connection to; refused clients are closed at once and served ones are not disturbed.
#include <gtest/gtest.h>

#include <future>

#include "support/coproxy_process.hpp"
#include "support/http.hpp"
#include "support/socket.hpp"

namespace coproxy::test {
namespace {

using namespace std::chrono_literals;

struct outcome {
    int served = 0;
    int refused = 0;
};

// Opens `n` connections at once, then asks each for one echo. Keeps the served ones open.
outcome burst(int port, int n, std::vector<client_socket>& served) {
    std::vector<client_socket> all;
    for (int i = 0; i < n; ++i) {
        auto c = client_socket::connect(port);
        if (c) {
            all.push_back(std::move(*c));
        }
    }
    outcome o;
    o.refused = n - static_cast<int>(all.size());
    for (auto& c : all) {
        c.set_timeout(3s);
        if (c.send_all("x") && c.recv_exact(1) == "x") {
            ++o.served;
            served.push_back(std::move(c));
        } else {
            ++o.refused;
        }
    }
    return o;
}

std::string echo_pool(int port, int backend, const std::string& extra = "") {
    return "relay:\n  protocol: tcp\n  listen: 127.0.0.1:" + std::to_string(port) + "\n" + extra +
           "  servers:\n    - 127.0.0.1:" + std::to_string(backend) + ":1\n";
}

TEST(Admission, ProcessLimitHoldsExactlyUnderABurstOfTwiceTheLimit) {
    test_server backend(test_server::echo);
    temp_dir dir;
    const int port = free_port();
    const int admin = free_port();
    coproxy_process proxy(dir, echo_pool(port, backend.port()),
                          {"--threads", "2", "--max-clients", "25", "--admin-addr",
                           "127.0.0.1:" + std::to_string(admin)});
    ASSERT_TRUE(proxy.started()) << proxy.log();
    std::vector<client_socket> served;
    const outcome o = burst(port, 50, served);
    EXPECT_EQ(o.served, 25);
    EXPECT_EQ(o.refused, 25);
    // The served clients keep working after the refusals.
    for (auto& c : served) {
        ASSERT_TRUE(c.send_all("still"));
        EXPECT_EQ(c.recv_exact(5), "still");
    }
    // Places come back when clients leave.
    served.resize(20);
    std::vector<client_socket> more;
    ASSERT_TRUE(
        eventually([&] { return scrape_metric(admin, "coproxy_client_connections") == 20; }));
    EXPECT_EQ(burst(port, 10, more).served, 5);
    EXPECT_NE(proxy.log().find("admission limit reached"), std::string::npos);
}

TEST(Admission, PoolClientConnectionsLimit) {
    test_server backend(test_server::echo);
    temp_dir dir;
    const int port = free_port();
    coproxy_process proxy(dir, echo_pool(port, backend.port(), "  client_connections: 7\n"),
                          {"--threads", "2", "--max-clients", "100"});
    ASSERT_TRUE(proxy.started()) << proxy.log();
    std::vector<client_socket> served;
    const outcome o = burst(port, 14, served);
    EXPECT_EQ(o.served, 7);
    EXPECT_EQ(o.refused, 7);
}

// A Redis client learns why it was refused, in Redis's own words.
TEST(Admission, RedisPoolRefusesWithRedisErrorLine) {
    temp_dir dir;
    const int port = free_port();
    const std::string yaml = "cache:\n  listen: 127.0.0.1:" + std::to_string(port) +
                             "\n  redis: true\n  client_connections: 1\n  servers:\n    - "
                             "127.0.0.1:" +
                             std::to_string(free_port()) + ":1\n";
    const int admin = free_port();
    coproxy_process proxy(dir, yaml,
                          {"--threads", "2", "--admin-addr", "127.0.0.1:" + std::to_string(admin)});
    ASSERT_TRUE(proxy.started()) << proxy.log();
    auto first = client_socket::connect(port);
    ASSERT_TRUE(first);
    ASSERT_TRUE(
        eventually([&] { return scrape_metric(admin, "coproxy_client_connections") == 1; }));
    auto second = client_socket::connect(port);
    ASSERT_TRUE(second);
    EXPECT_EQ(second->recv_line(), "-ERR max number of clients reached\r\n");
    EXPECT_TRUE(second->wait_closed());
}

}  // namespace
}  // namespace coproxy::test
