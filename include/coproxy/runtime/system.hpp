// What the process needs from the operating system: CPU count (affinity and cgroup quota), the
// file-descriptor limit, daemonizing, the pid file, and its own RSS and fd count for metrics.
#pragma once

#include <cstdint>
#include <string>
#include <utility>

namespace coproxy::runtime {

// CPUs this process may use: the affinity mask, capped by a cgroup v2 (cpu.max) or v1
// (cpu.cfs_quota_us / cpu.cfs_period_us) quota, rounded up; at least 1. `cgroup_root` is for tests.
unsigned available_cpus(const std::string& cgroup_root = "/sys/fs/cgroup");

// Parses a cgroup quota: v2 "max 100000" / "150000 100000", v1 quota and period. 0 = no quota.
unsigned cpus_from_cgroup_v2(const std::string& cpu_max);
unsigned cpus_from_cgroup_v1(long long quota_us, long long period_us);

struct fd_limit {
    std::uint64_t wanted = 0;
    std::uint64_t limit = 0;  // soft limit after the attempt
    bool ok() const { return limit >= wanted; }
};
// Raises RLIMIT_NOFILE's soft limit (and the hard one, when privileged) to `wanted`.
fd_limit raise_fd_limit(std::uint64_t wanted);

// Classic double fork, stdio to /dev/null, with one difference: the process that was started
// (what an init script or a harness waits for) does not exit until the daemon says how its
// start-up went, and then exits 0, or 1 with the daemon's message on stderr. So a listener that
// cannot bind fails the command, as it does in the foreground. Call before any thread starts.
class daemon_start {
  public:
    daemon_start() = default;
    daemon_start(daemon_start&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
    daemon_start& operator=(daemon_start&& o) noexcept {
        std::swap(fd_, o.fd_);
        return *this;
    }
    ~daemon_start();

    // Forks; returns in the daemon only (error text in `error` when it could not be made).
    static daemon_start daemonize(std::string& error);

    // Start-up is over: the waiting parent exits 0. Idempotent; the first report wins.
    void succeeded();
    // Start-up failed: the waiting parent prints `message` and exits 1.
    void failed(const std::string& message);

  private:
    explicit daemon_start(int fd) : fd_(fd) {}
    int fd_ = -1;  // the pipe to the waiting parent; -1 once reported (or not a daemon)
};

// Writes the pid on creation, removes the file on destruction.
class pid_file {
  public:
    pid_file() = default;
    explicit pid_file(std::string path);
    pid_file(pid_file&& o) noexcept : path_(std::move(o.path_)) { o.path_.clear(); }
    pid_file& operator=(pid_file&&) = delete;
    ~pid_file();
    const std::string& error() const { return error_; }

  private:
    std::string path_;
    std::string error_;
};

std::uint64_t resident_memory_bytes();
std::uint64_t open_fd_count();

}  // namespace coproxy::runtime
