// The admission gates must hold exactly: however many threads race for places, no more than the
// limit get in, and every place is given back.
#include "coproxy/runtime/admission.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace coproxy::runtime {
namespace {

TEST(Admission, UnlimitedCountsButNeverRefuses) {
    admission_gate g(0);
    for (int i = 0; i < 100; ++i) {
        EXPECT_TRUE(g.try_enter());
    }
    EXPECT_EQ(g.current(), 100);
}

TEST(Admission, TicketHoldsBothGatesAndReleasesBoth) {
    admission_gate process(2);
    admission_gate pool(1);
    {
        auto t = admission_ticket::try_admit(process, pool);
        ASSERT_TRUE(t);
        EXPECT_EQ(process.current(), 1);
        EXPECT_EQ(pool.current(), 1);
        auto refused = admission_ticket::try_admit(process, pool);
        EXPECT_FALSE(refused);
        EXPECT_EQ(process.current(), 1);  // the outer place taken for it was given back
        admission_ticket moved = std::move(t);
        EXPECT_EQ(pool.current(), 1);
    }
    EXPECT_EQ(process.current(), 0);
    EXPECT_EQ(pool.current(), 0);
}

TEST(Admission, ExactUnderContention) {
    constexpr int limit = 1000;
    constexpr int threads = 8;
    constexpr int attempts_per_thread = 1000;  // 8x the limit
    admission_gate process(limit);
    admission_gate pool(0);
    std::atomic<int> admitted{0};
    std::vector<std::vector<admission_ticket>> held(threads);
    std::vector<std::thread> workers;
    std::atomic<bool> go{false};
    for (int t = 0; t < threads; ++t) {
        workers.emplace_back([&, t] {
            while (!go) {
            }
            for (int i = 0; i < attempts_per_thread; ++i) {
                if (auto ticket = admission_ticket::try_admit(process, pool)) {
                    held[t].push_back(std::move(ticket));
                    ++admitted;
                }
            }
        });
    }
    go = true;
    for (auto& w : workers) {
        w.join();
    }
    EXPECT_EQ(admitted.load(), limit);
    EXPECT_EQ(process.current(), limit);
    held.clear();
    EXPECT_EQ(process.current(), 0);
}

TEST(Admission, LoweredLimitKeepsConnectedClients) {
    admission_gate g(5);
    for (int i = 0; i < 5; ++i) {
        ASSERT_TRUE(g.try_enter());
    }
    g.set_limit(2);
    EXPECT_FALSE(g.try_enter());
    EXPECT_EQ(g.current(), 5);
    for (int i = 0; i < 4; ++i) {
        g.leave();
    }
    EXPECT_TRUE(g.try_enter());
}

}  // namespace
}  // namespace coproxy::runtime
