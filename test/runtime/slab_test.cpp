// The connection slab: fixed capacity, O(1) take/release through the free list, generations that
// tell a reused slot from its previous occupant.
#include "coproxy/runtime/slab.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace coproxy::runtime {
namespace {

struct tracked {
    static inline int alive = 0;
    explicit tracked(std::string v) : value(std::move(v)) { ++alive; }
    ~tracked() { --alive; }
    std::string value;
};

TEST(Slab, TakesUntilFullThenRefuses) {
    slab<tracked> s(3);
    std::set<std::uint32_t> taken;
    for (int i = 0; i < 3; ++i) {
        auto index = s.take("v" + std::to_string(i));
        ASSERT_TRUE(index);
        taken.insert(*index);
    }
    EXPECT_EQ(taken.size(), 3u);
    EXPECT_TRUE(s.full());
    EXPECT_FALSE(s.take("overflow"));
    EXPECT_EQ(s.size(), 3u);
}

TEST(Slab, ReleaseMakesRoomAndDestroys) {
    tracked::alive = 0;
    {
        slab<tracked> s(2);
        auto a = *s.take("a");
        auto b = *s.take("b");
        EXPECT_EQ(tracked::alive, 2);
        s.release(a);
        EXPECT_EQ(tracked::alive, 1);
        EXPECT_FALSE(s.live(a));
        auto c = s.take("c");
        ASSERT_TRUE(c);
        EXPECT_EQ(*c, a);  // the free list hands back the released slot first
        EXPECT_EQ(s[*c].value, "c");
        EXPECT_EQ(s[b].value, "b");
    }
    EXPECT_EQ(tracked::alive, 0);  // the slab destroys what is still live
}

TEST(Slab, GenerationChangesOnReuse) {
    slab<tracked> s(1);
    auto a = *s.take("first");
    const auto g1 = s.generation(a);
    s.release(a);
    auto b = *s.take("second");
    ASSERT_EQ(a, b);
    EXPECT_NE(s.generation(b), g1);
}

TEST(Slab, ForEachVisitsLiveEntriesOnly) {
    slab<tracked> s(4);
    auto a = *s.take("a");
    s.take("b");
    s.take("c");
    s.release(a);
    std::set<std::string> seen;
    s.for_each([&](std::uint32_t, tracked& t) { seen.insert(t.value); });
    EXPECT_EQ(seen, (std::set<std::string>{"b", "c"}));
}

TEST(Slab, ChurnKeepsSizeExact) {
    slab<tracked> s(64);
    std::vector<std::uint32_t> live;
    for (int round = 0; round < 1000; ++round) {
        if (live.size() < 64 && (round % 3 != 0 || live.empty())) {
            live.push_back(*s.take("x"));
        } else {
            s.release(live.back());
            live.pop_back();
        }
        ASSERT_EQ(s.size(), live.size());
    }
}

TEST(Slab, LargeCapacityCostsNoMemoryUntilUsed) {
    // 10 million slots of a 256-byte type: reserved address space, pages untouched.
    struct big {
        char bytes[256];
    };
    slab<big> s(10'000'000);
    EXPECT_EQ(s.capacity(), 10'000'000u);
    EXPECT_TRUE(s.take());
}

}  // namespace
}  // namespace coproxy::runtime
