// Buffers are reused up to a cap and given back beyond it, so a burst does not pin memory.
#include "coproxy/runtime/buffer_pool.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace coproxy::runtime {
namespace {

TEST(BufferPool, ReusesUpToTheCap) {
    buffer_pool pool(1024, 2);
    std::vector<char*> held;
    for (int i = 0; i < 5; ++i) {
        held.push_back(pool.acquire());
    }
    EXPECT_EQ(pool.in_use(), 5u);
    for (char* b : held) {
        pool.release(b);
    }
    EXPECT_EQ(pool.in_use(), 0u);
    EXPECT_EQ(pool.cached(), 2u);  // three went back to the allocator
}

TEST(BufferPool, LeaseAcquiresLazilyAndReturnsOnDestruction) {
    buffer_pool pool(512, 4);
    {
        buffer_lease lease(pool);
        EXPECT_FALSE(lease.held());
        char* a = lease.acquire();
        EXPECT_EQ(lease.acquire(), a);  // idempotent while held
        EXPECT_EQ(pool.in_use(), 1u);
        buffer_lease moved = std::move(lease);
        EXPECT_TRUE(moved.held());
        EXPECT_EQ(pool.in_use(), 1u);
    }
    EXPECT_EQ(pool.in_use(), 0u);
    EXPECT_EQ(pool.cached(), 1u);
}

}  // namespace
}  // namespace coproxy::runtime
