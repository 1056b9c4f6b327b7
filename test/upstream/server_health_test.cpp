// twemproxy's ejection rules: consecutive failures counted, a success resets them, the limit
// ejects for server_retry_timeout (only with auto_eject_hosts), ejections from other workers
// applied, and the generation changes whenever the live set may have.
#include "coproxy/upstream/server_health.hpp"

#include <gtest/gtest.h>

namespace coproxy::upstream {
namespace {

using namespace std::chrono_literals;
const auto t0 = runtime::clock::time_point{} + 1000s;

TEST(ServerHealth, EjectsAtTheFailureLimitForTheRetryTimeout) {
    server_health h(3, true, 2, 500ms);
    EXPECT_FALSE(h.on_failure(1, t0));
    EXPECT_TRUE(h.live(1, t0));
    const auto until = h.on_failure(1, t0);
    ASSERT_TRUE(until);
    EXPECT_EQ(*until, t0 + 500ms);
    EXPECT_FALSE(h.live(1, t0 + 499ms));
    EXPECT_TRUE(h.live(1, t0 + 500ms));
    EXPECT_EQ(h.live_mask(t0), (std::vector<bool>{true, false, true}));
    EXPECT_EQ(h.next_return(t0), t0 + 500ms);
    EXPECT_EQ(h.next_return(t0 + 500ms), runtime::clock::time_point::max());
    EXPECT_EQ(h.failures(1), 0);  // counting starts again after an ejection
}

TEST(ServerHealth, ASuccessResetsTheCount) {
    server_health h(1, true, 2, 500ms);
    h.on_failure(0, t0);
    h.on_success(0);
    EXPECT_FALSE(h.on_failure(0, t0));
    EXPECT_TRUE(h.live(0, t0));
}

TEST(ServerHealth, WithoutAutoEjectNothingIsEjected) {
    server_health h(1, false, 1, 500ms);
    for (int i = 0; i < 10; ++i) {
        EXPECT_FALSE(h.on_failure(0, t0));
    }
    EXPECT_TRUE(h.live(0, t0));
    EXPECT_EQ(h.generation(), 0u);
}

TEST(ServerHealth, AppliesTheLatestEjectionAndBumpsTheGeneration) {
    server_health h(2, true, 5, 500ms);
    const auto g = h.generation();
    h.eject(0, t0 + 1s);  // decided by another worker
    EXPECT_GT(h.generation(), g);
    EXPECT_FALSE(h.live(0, t0));
    const auto g2 = h.generation();
    h.eject(0, t0 + 100ms);  // older news changes nothing
    EXPECT_EQ(h.generation(), g2);
    EXPECT_FALSE(h.live(0, t0 + 500ms));
}

}  // namespace
}  // namespace coproxy::upstream
