// Key grouping: parts in the order each server first appears, every key's part remembered, and
// an unroutable key failing the whole request. The group merges once every part has answered.
#include "frontend/fanout.hpp"

#include <gtest/gtest.h>

#include <map>

namespace coproxy::frontend {
namespace {

std::optional<key_groups> group(const std::vector<std::string_view>& keys,
                                const std::map<std::string_view, std::uint32_t>& servers) {
    return group_by_server(
        keys.size(), [&](std::size_t i) { return keys[i]; },
        [&](std::string_view k) -> std::optional<std::uint32_t> {
            auto it = servers.find(k);
            return it == servers.end() ? std::nullopt : std::optional<std::uint32_t>(it->second);
        });
}

TEST(GroupByServer, PartsFollowFirstAppearance) {
    const auto g =
        group({"a", "b", "c", "d", "e"}, {{"a", 7}, {"b", 2}, {"c", 7}, {"d", 0}, {"e", 2}});
    ASSERT_TRUE(g);
    EXPECT_EQ(g->servers, (std::vector<std::uint32_t>{7, 2, 0}));
    EXPECT_EQ(g->key_part, (std::vector<std::uint32_t>{0, 1, 0, 2, 1}));
}

TEST(GroupByServer, OneServerIsOnePart) {
    const auto g = group({"a", "b"}, {{"a", 3}, {"b", 3}});
    ASSERT_TRUE(g);
    EXPECT_EQ(g->servers, (std::vector<std::uint32_t>{3}));
}

TEST(GroupByServer, AKeyWithoutAServerFailsTheRequest) {
    EXPECT_FALSE(group({"a", "lost"}, {{"a", 1}}));
}

struct counting_group final : fanout {
    counting_group(upstream::request& parent, upstream::request_pool& pool, int parts)
        : fanout(parent) {
        for (int i = 0; i < parts; ++i) {
            add_part(pool);
        }
    }
    int merges = 0;
    void merge() override {
        ++merges;
        parent_.finish("merged", false);
    }
};

TEST(Fanout, MergesOnceAfterTheLastPartAndSubmitsEachToItsServer) {
    upstream::request_pool pool;
    auto parent = pool.make();
    auto owned = std::make_unique<counting_group>(*parent, pool, 3);
    counting_group& g = *owned;
    std::vector<std::pair<std::uint32_t, upstream::request*>> submitted;
    const std::vector<std::uint32_t> servers = {4, 1, 9};
    fanout::launch(*parent, std::move(owned), servers,
                   [&](std::uint32_t s, const upstream::request_ptr& p) {
                       submitted.emplace_back(s, p.get());
                   });
    ASSERT_EQ(submitted.size(), 3u);
    EXPECT_EQ(submitted[0].first, 4u);
    EXPECT_EQ(submitted[2].first, 9u);
    submitted[2].second->finish("x", false);
    submitted[0].second->finish("x", false);
    EXPECT_EQ(g.merges, 0);
    submitted[1].second->finish("x", false);
    EXPECT_EQ(g.merges, 1);
    EXPECT_EQ(parent->reply, "merged");
}

TEST(Fanout, PartsOutlivingTheGroupNoLongerCallIt) {
    upstream::request_pool pool;
    auto parent = pool.make();
    upstream::request_ptr part;
    {
        auto owned = std::make_unique<counting_group>(*parent, pool, 1);
        part = owned->part(0);
        fanout::launch(*parent, std::move(owned), std::vector<std::uint32_t>{0},
                       [](std::uint32_t, const upstream::request_ptr&) {});
        parent->group.reset();  // the client left; the part is still in a server queue
    }
    EXPECT_EQ(part->sink, nullptr);
    part->finish("late", false);  // must not touch the destroyed group
}

}  // namespace
}  // namespace coproxy::frontend
