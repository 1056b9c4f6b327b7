// Server selection: placements nutcracker 0.5.0 really made (data/nutcracker_placement.txt), and
// the structure of each distribution: ketama points, modula slots, random slots, ejection.
#include "coproxy/sharding/continuum.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>

#include "coproxy/sharding/hash.hpp"

namespace coproxy::sharding {
namespace {

constexpr distribution_kind all_distributions[] = {
    distribution_kind::ketama, distribution_kind::modula, distribution_kind::random};

std::string unhex(std::string_view hex) {
    std::string out;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
        out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
    }
    return out;
}

std::vector<node> equal_nodes(std::size_t n) {
    std::vector<node> nodes;
    for (std::size_t i = 0; i < n; ++i) {
        nodes.push_back({"10.0.0." + std::to_string(i) + ":6379", 1});
    }
    return nodes;
}

std::map<std::uint32_t, std::size_t> points_per_server(const continuum& c) {
    std::map<std::uint32_t, std::size_t> counts;
    for (const auto& p : c.points()) {
        ++counts[p.server];
    }
    return counts;
}

TEST(Continuum, DistributionNamesAreTwemproxys) {
    constexpr std::string_view expected[] = {"ketama", "modula", "random"};
    ASSERT_EQ(distribution_names().size(), std::size(expected));
    for (std::size_t i = 0; i < std::size(expected); ++i) {
        EXPECT_EQ(distribution_names()[i], expected[i]);
        EXPECT_EQ(to_string(all_distributions[i]), expected[i]);
        EXPECT_EQ(parse_distribution(expected[i]), all_distributions[i]);
    }
    EXPECT_EQ(parse_distribution("Ketama"), std::nullopt);
    EXPECT_EQ(parse_distribution("vnode"), std::nullopt);
    EXPECT_EQ(parse_distribution(""), std::nullopt);
}

struct identity_case {
    std::string_view host;
    std::uint16_t port;
    std::string_view name;
    std::string_view expected;
};

// Each rule (name, port 11211, host:port, unix socket) was checked by placement against
// nutcracker 0.5.0, in redis and memcache pools.
constexpr identity_case identity_cases[] = {
    {"127.0.0.1", 6379, "", "127.0.0.1:6379"},
    {"127.0.0.2", 11211, "", "127.0.0.2"},  // libmemcached compatibility
    {"cache.example", 11211, "", "cache.example"},
    {"127.0.0.1", 38102, "cache-b", "cache-b"},  // a name replaces host and port
    {"127.0.0.1", 11211, "alpha", "alpha"},
    {"/tmp/redis.sock", 0, "", "/tmp/redis.sock:"},  // unix socket keeps the separator
    {"/tmp/redis.sock", 0, "sock", "sock"},
};

TEST(Continuum, KetamaIdentityFollowsNutcrackersRule) {
    for (const auto& c : identity_cases) {
        EXPECT_EQ(ketama_identity(c.host, c.port, c.name), c.expected);
    }
}

TEST(Continuum, FindsDuplicateIdentities) {
    struct dup_case {
        std::vector<node> nodes;
        std::optional<std::size_t> duplicate;
    };
    const dup_case cases[] = {
        {{}, std::nullopt},
        {{{"a", 1}, {"b", 1}}, std::nullopt},
        {{{"a", 1}, {"b", 1}, {"a", 2}}, 2},
        {{{"b", 1}, {"b", 1}}, 1},
    };
    for (const auto& c : cases) {
        EXPECT_EQ(find_duplicate_identity(c.nodes), c.duplicate);
    }
}

struct observed_pool {
    std::string label;
    distribution_kind kind = distribution_kind::ketama;
    hash_kind hash = hash_kind::fnv1a_64;
    std::string tag;
    std::vector<node> nodes;
    std::vector<bool> live;
    std::vector<std::pair<std::string, std::uint32_t>> keys;
};

std::vector<observed_pool> load_observed_pools() {
    std::ifstream in(COPROXY_TEST_DIR "/data/nutcracker_placement.txt");
    std::vector<observed_pool> pools;
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream fields(line);
        std::string verb;
        fields >> verb;
        if (verb == "pool") {
            std::string dist, hash_name, tag;
            observed_pool pool;
            fields >> pool.label >> dist >> hash_name >> tag;
            pool.kind = parse_distribution(dist).value();
            pool.hash = parse_hash(hash_name).value();
            pool.tag = tag == "-" ? "" : tag;
            pools.push_back(std::move(pool));
        } else if (verb == "server") {
            node n;
            int live = 0;
            fields >> n.identity >> n.weight >> live;
            pools.back().nodes.push_back(std::move(n));
            pools.back().live.push_back(live != 0);
        } else if (verb == "key") {
            std::string hex;
            std::uint32_t server = 0;
            fields >> hex >> server;
            pools.back().keys.emplace_back(unhex(hex), server);
        }
    }
    return pools;
}

// 26 pools: ketama and modula over every hash family, names, weights, hash_tag, port 11211 and
// unix-socket identities, memcache pools, a 25-server ring, ejected servers, 1000-byte names.
TEST(Continuum, MatchesPlacementObservedFromNutcracker) {
    const auto pools = load_observed_pools();
    ASSERT_GE(pools.size(), 20u);
    for (const auto& pool : pools) {
        const auto live = std::make_unique<bool[]>(pool.live.size());
        std::copy(pool.live.begin(), pool.live.end(), live.get());
        const auto c = continuum::build(pool.kind, pool.nodes,
                                        std::span<const bool>(live.get(), pool.live.size()));
        for (const auto& [key, server] : pool.keys) {
            const std::uint32_t h = dispatch_hash(pool.hash, hash_tag_key(key, pool.tag));
            EXPECT_EQ(c.pick(h), server) << pool.label << " key of " << key.size() << " bytes";
        }
    }
}

TEST(Ketama, EqualServersGet160PointsUnlessFloatRoundsDown) {
    struct ring_case {
        std::size_t servers;
        std::size_t points_each;
    };
    // 156 at 25 servers was confirmed by placement: with 160 nutcracker disagrees on 61/3000 keys.
    constexpr ring_case cases[] = {{1, 160}, {2, 160}, {3, 160}, {24, 160}, {25, 156}, {26, 160}};
    for (const auto& c : cases) {
        const auto nodes = equal_nodes(c.servers);
        const auto ring = continuum::build(distribution_kind::ketama, nodes);
        const auto counts = points_per_server(ring);
        ASSERT_EQ(counts.size(), c.servers);
        for (const auto& [server, count] : counts) {
            EXPECT_EQ(count, c.points_each) << c.servers << " servers, server " << server;
        }
    }
}

TEST(Ketama, PickIsTheFirstPointAtOrAfterTheHashAndWraps) {
    const auto nodes = equal_nodes(3);
    const auto ring = continuum::build(distribution_kind::ketama, nodes);
    const auto points = ring.points();
    ASSERT_EQ(points.size(), 480u);
    ASSERT_TRUE(std::is_sorted(points.begin(), points.end(),
                               [](const auto& a, const auto& b) { return a.value < b.value; }));
    for (std::size_t i = 0; i + 1 < points.size(); ++i) {
        if (points[i].value == points[i + 1].value) {
            continue;
        }
        EXPECT_EQ(ring.pick(points[i].value), points[i].server);
        EXPECT_EQ(ring.pick(points[i].value + 1), points[i + 1].server);
    }
    EXPECT_EQ(ring.pick(0), points.front().server);
    ASSERT_LT(points.back().value, 0xffffffffu);
    EXPECT_EQ(ring.pick(points.back().value + 1), points.front().server);  // wrap-around
    EXPECT_EQ(ring.pick(0xffffffffu), points.front().server);
}

TEST(Ketama, EjectedServersLoseTheirPointsAndTheRestAreRescaled) {
    struct eject_case {
        std::vector<std::uint32_t> weights;
        std::array<bool, 4> live;
        std::map<std::uint32_t, std::size_t> points;
    };
    const eject_case cases[] = {
        {{1, 1, 1, 1}, {true, false, true, true}, {{0, 160}, {2, 160}, {3, 160}}},
        {{1, 1, 2, 1}, {true, true, false, true}, {{0, 160}, {1, 160}, {3, 160}}},
        {{1, 3, 5, 1}, {false, true, true, false}, {{1, 120}, {2, 200}}},
        {{1, 1, 1, 1}, {false, false, false, true}, {{3, 160}}},
    };
    for (const auto& c : cases) {
        std::vector<node> nodes = equal_nodes(c.weights.size());
        for (std::size_t i = 0; i < nodes.size(); ++i) {
            nodes[i].weight = c.weights[i];
        }
        const auto ring = continuum::build(distribution_kind::ketama, nodes, c.live);
        EXPECT_EQ(points_per_server(ring), c.points);
        EXPECT_EQ(ring.live_count(), c.points.size());
    }
}

// Config order zzz(3), b(1), aa(2); nutcracker's order is b, aa, zzz, so with 6 slots:
// 0 -> b, 1..2 -> aa, 3..5 -> zzz.
const node lettered[] = {{"zzz", 3}, {"b", 1}, {"aa", 2}};

TEST(Modula, SlotsFollowWeightsInIdentityOrder) {
    const auto c = continuum::build(distribution_kind::modula, lettered);
    struct slot_case {
        std::uint32_t hash;
        std::uint32_t server;
    };
    constexpr slot_case cases[] = {{0, 1}, {1, 2}, {2, 2}, {3, 0},
                                   {5, 0}, {6, 1}, {7, 2}, {0xffffffffu, 0}};  // 2^32-1 = 3 mod 6
    for (const auto& s : cases) {
        EXPECT_EQ(c.pick(s.hash), s.server) << s.hash;
    }
}

TEST(Modula, EjectedServersGiveUpTheirSlots) {
    const bool live[] = {false, true, true};  // zzz ejected: 3 slots, 0 -> b, 1..2 -> aa
    const auto c = continuum::build(distribution_kind::modula, lettered, live);
    constexpr std::uint32_t expected[] = {1, 2, 2, 1, 2, 2};
    for (std::uint32_t h = 0; h < std::size(expected); ++h) {
        EXPECT_EQ(c.pick(h), expected[h]) << h;
    }
}

TEST(Random, OneSlotPerLiveServerWhateverTheWeights) {
    struct random_case {
        std::array<bool, 3> live;
        std::vector<std::uint32_t> picks;  // for draws 0, 1, 2, ...
    };
    const random_case cases[] = {
        {{true, true, true}, {1, 2, 0, 1, 2, 0}},
        {{false, true, true}, {1, 2, 1, 2}},
        {{true, false, false}, {0, 0}},
    };
    for (const auto& c : cases) {
        const auto r = continuum::build(distribution_kind::random, lettered, c.live);
        for (std::uint32_t draw = 0; draw < c.picks.size(); ++draw) {
            EXPECT_EQ(r.pick(draw), c.picks[draw]) << draw;
        }
    }
}

TEST(Continuum, NothingLivePicksNothing) {
    const bool none[] = {false, false, false};
    for (const auto kind : all_distributions) {
        const auto empty = continuum::build(kind, {});
        const auto dead = continuum::build(kind, lettered, none);
        for (const std::uint32_t h : {0u, 1u, 0xffffffffu}) {
            EXPECT_EQ(empty.pick(h), std::nullopt) << to_string(kind);
            EXPECT_EQ(dead.pick(h), std::nullopt) << to_string(kind);
        }
        EXPECT_EQ(dead.live_count(), 0u);
    }
}

TEST(Continuum, ASingleServerTakesEveryKey) {
    const node one[] = {{"solo", 7}};
    for (const auto kind : all_distributions) {
        const auto c = continuum::build(kind, one);
        for (const std::uint32_t h : {0u, 1u, 12345u, 0xffffffffu}) {
            EXPECT_EQ(c.pick(h), 0u) << to_string(kind);
        }
    }
}

}  // namespace
}  // namespace coproxy::sharding
