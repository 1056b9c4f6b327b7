// CPU counting must follow the container's quota (cgroup v1 and v2), not the host's cores.
#include "coproxy/runtime/system.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace coproxy::runtime {
namespace {

TEST(System, CgroupV2Quota) {
    EXPECT_EQ(cpus_from_cgroup_v2("max 100000"), 0u);
    EXPECT_EQ(cpus_from_cgroup_v2("200000 100000"), 2u);
    EXPECT_EQ(cpus_from_cgroup_v2("150000 100000"), 2u);  // 1.5 CPUs: round up
    EXPECT_EQ(cpus_from_cgroup_v2("50000 100000"), 1u);
    EXPECT_EQ(cpus_from_cgroup_v2(""), 0u);
    EXPECT_EQ(cpus_from_cgroup_v2("garbage"), 0u);
}

TEST(System, CgroupV1Quota) {
    EXPECT_EQ(cpus_from_cgroup_v1(-1, 100000), 0u);
    EXPECT_EQ(cpus_from_cgroup_v1(400000, 100000), 4u);
    EXPECT_EQ(cpus_from_cgroup_v1(10000, 100000), 1u);
}

class FakeCgroup : public testing::Test {
  protected:
    void SetUp() override {
        root_ = std::filesystem::temp_directory_path() /
                ("coproxy-cgroup-" + std::to_string(::getpid()));
        std::filesystem::create_directories(root_ / "cpu");
    }
    void TearDown() override { std::filesystem::remove_all(root_); }
    void write(const std::string& name, const std::string& text) {
        std::ofstream(root_ / name) << text << "\n";
    }
    std::filesystem::path root_;
};

TEST_F(FakeCgroup, V2LimitCapsAffinity) {
    write("cpu.max", "100000 100000");
    EXPECT_EQ(available_cpus(root_.string()), 1u);
}

TEST_F(FakeCgroup, V1LimitCapsAffinity) {
    write("cpu/cpu.cfs_quota_us", "100000");
    write("cpu/cpu.cfs_period_us", "100000");
    EXPECT_EQ(available_cpus(root_.string()), 1u);
}

TEST_F(FakeCgroup, NoLimitUsesAffinity) {
    write("cpu.max", "max 100000");
    EXPECT_GE(available_cpus(root_.string()), 1u);
}

TEST(System, FdLimitReportsWhatItGot) {
    const auto r = raise_fd_limit(64);
    EXPECT_TRUE(r.ok());
    EXPECT_GE(r.limit, 64u);
}

TEST(System, ProcessFigures) {
    EXPECT_GT(resident_memory_bytes(), 0u);
    EXPECT_GE(open_fd_count(), 3u);
}

}  // namespace
}  // namespace coproxy::runtime
