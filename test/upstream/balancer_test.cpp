// tcp pool balancing: weights honoured, failover order complete, ejected servers skipped,
// ketama stable per client address.
#include "coproxy/upstream/balancer.hpp"

#include <gtest/gtest.h>

#include <map>
#include <set>

namespace coproxy::upstream {
namespace {

using namespace std::chrono_literals;

config::pool_config pool_with(config::distribution_kind kind, std::vector<std::uint32_t> weights) {
    config::pool_config p;
    p.name = "p";
    p.protocol = config::protocol_kind::tcp;
    p.distribution = kind;
    for (std::size_t i = 0; i < weights.size(); ++i) {
        config::server_config s;
        s.host = "10.0.0." + std::to_string(i + 1);
        s.port = 5000;
        s.weight = weights[i];
        p.servers.push_back(s);
    }
    return p;
}

server_health healthy(std::size_t n) {
    return server_health(n, true, 1, 1000ms);
}

TEST(Balancer, RoundRobinHonoursWeightsSmoothly) {
    auto pool = pool_with(config::distribution_kind::round_robin, {5, 1, 1});
    balancer b(pool);
    auto health = healthy(3);
    std::map<std::uint32_t, int> counts;
    std::vector<std::uint32_t> order;
    std::vector<std::uint32_t> c;
    for (int i = 0; i < 700; ++i) {
        b.candidates("", health, runtime::clock::now(), c);
        ASSERT_EQ(c.size(), 3u);
        ++counts[c[0]];
        if (i < 7) {
            order.push_back(c[0]);
        }
    }
    EXPECT_EQ(counts[0], 500);
    EXPECT_EQ(counts[1], 100);
    EXPECT_EQ(counts[2], 100);
    // nginx's smooth weighted round robin: a a b a c a a, never a burst of five a's.
    EXPECT_EQ(order, (std::vector<std::uint32_t>{0, 0, 1, 0, 2, 0, 0}));
}

TEST(Balancer, CandidatesFailOverThroughEveryLiveServerOnce) {
    auto pool = pool_with(config::distribution_kind::round_robin, {1, 1, 1, 1});
    balancer b(pool);
    auto health = healthy(4);
    const auto now = runtime::clock::now();
    health.eject(2, now + 1s);
    std::vector<std::uint32_t> c;
    b.candidates("", health, now, c);
    ASSERT_EQ(c.size(), 3u);
    std::set<std::uint32_t> unique(c.begin(), c.end());
    EXPECT_EQ(unique.size(), 3u);
    EXPECT_EQ(unique.count(2), 0u);
}

TEST(Balancer, EjectedServerReturnsAfterRetryTimeout) {
    auto pool = pool_with(config::distribution_kind::round_robin, {1, 1});
    balancer b(pool);
    auto health = healthy(2);
    const auto now = runtime::clock::now();
    health.eject(0, now + 100ms);
    std::vector<std::uint32_t> c;
    b.candidates("", health, now, c);
    EXPECT_EQ(c, (std::vector<std::uint32_t>{1}));
    b.candidates("", health, now + 200ms, c);
    EXPECT_EQ(c.size(), 2u);
}

TEST(Balancer, LeastConnectionsRelativeToWeight) {
    auto pool = pool_with(config::distribution_kind::least_connections, {2, 1});
    balancer b(pool);
    auto health = healthy(2);
    std::vector<std::uint32_t> c;
    std::map<std::uint32_t, int> counts;
    for (int i = 0; i < 30; ++i) {
        b.candidates("", health, runtime::clock::now(), c);
        b.opened(c[0]);
        ++counts[c[0]];
    }
    EXPECT_EQ(counts[0], 20);
    EXPECT_EQ(counts[1], 10);
    for (int i = 0; i < 10; ++i) {
        b.closed(0);
    }
    b.candidates("", health, runtime::clock::now(), c);
    EXPECT_EQ(c[0], 0u);  // 10/2 < 10/1
}

// Client addresses differ only in their last bytes; md5 spreads them (fnv1a_64, twemproxy's
// default, clusters such keys on a three-server ring).
TEST(Balancer, KetamaIsStablePerClientAndSpreads) {
    auto pool = pool_with(config::distribution_kind::ketama, {1, 1, 1});
    pool.hash = sharding::hash_kind::md5;
    balancer b(pool);
    auto health = healthy(3);
    std::vector<std::uint32_t> c;
    std::map<std::uint32_t, int> counts;
    for (int i = 0; i < 300; ++i) {
        const std::string client = "192.168.1." + std::to_string(i);
        b.candidates(client, health, runtime::clock::now(), c);
        const auto first = c[0];
        b.candidates(client, health, runtime::clock::now(), c);
        EXPECT_EQ(c[0], first);
        ++counts[first];
    }
    EXPECT_EQ(counts.size(), 3u);
    for (auto [server, n] : counts) {
        EXPECT_GT(n, 50) << server;
    }
}

TEST(Balancer, NoLiveServerNoCandidates) {
    auto pool = pool_with(config::distribution_kind::ketama, {1});
    balancer b(pool);
    auto health = healthy(1);
    const auto now = runtime::clock::now();
    health.eject(0, now + 1s);
    std::vector<std::uint32_t> c{7};
    b.candidates("x", health, now, c);
    EXPECT_TRUE(c.empty());
}

TEST(ServerHealth, EjectsAfterTheFailureLimitWhenAllowed) {
    server_health h(2, true, 3, 500ms);
    const auto now = runtime::clock::now();
    EXPECT_FALSE(h.on_failure(0, now));
    EXPECT_FALSE(h.on_failure(0, now));
    h.on_success(0);  // a success resets the count
    EXPECT_FALSE(h.on_failure(0, now));
    EXPECT_FALSE(h.on_failure(0, now));
    auto until = h.on_failure(0, now);
    ASSERT_TRUE(until);
    EXPECT_EQ(*until, now + 500ms);
    EXPECT_FALSE(h.live(0, now + 499ms));
    EXPECT_TRUE(h.live(0, now + 500ms));
    EXPECT_EQ(h.next_return(now), now + 500ms);
}

TEST(ServerHealth, NeverEjectsWithoutAutoEject) {
    server_health h(1, false, 1, 500ms);
    const auto now = runtime::clock::now();
    for (int i = 0; i < 10; ++i) {
        EXPECT_FALSE(h.on_failure(0, now));
    }
    EXPECT_TRUE(h.live(0, now));
    EXPECT_EQ(h.failures(0), 10);
}

}  // namespace
}  // namespace coproxy::upstream
