// Linux process facilities; see system.hpp.
#include "coproxy/runtime/system.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace coproxy::runtime {
namespace {

unsigned affinity_cpus() {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (::sched_getaffinity(0, sizeof set, &set) == 0) {
        return static_cast<unsigned>(std::max(1, CPU_COUNT(&set)));
    }
    const long n = ::sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? static_cast<unsigned>(n) : 1;
}

std::string read_first_line(const std::string& path) {
    std::ifstream in(path);
    std::string line;
    std::getline(in, line);
    return line;
}

}  // namespace

unsigned cpus_from_cgroup_v2(const std::string& cpu_max) {
    std::istringstream in(cpu_max);
    std::string quota;
    long long period = 0;
    if (!(in >> quota >> period) || quota == "max" || period <= 0) {
        return 0;
    }
    try {
        return cpus_from_cgroup_v1(std::stoll(quota), period);
    } catch (...) {
        return 0;
    }
}

unsigned cpus_from_cgroup_v1(long long quota_us, long long period_us) {
    if (quota_us <= 0 || period_us <= 0) {
        return 0;
    }
    return static_cast<unsigned>(std::max<long long>(1, (quota_us + period_us - 1) / period_us));
}

unsigned available_cpus(const std::string& root) {
    unsigned cpus = affinity_cpus();
    unsigned quota = cpus_from_cgroup_v2(read_first_line(root + "/cpu.max"));
    if (quota == 0) {
        for (const char* dir : {"/cpu", "/cpu,cpuacct", "/cpuacct,cpu"}) {
            const std::string q = read_first_line(root + dir + "/cpu.cfs_quota_us");
            const std::string p = read_first_line(root + dir + "/cpu.cfs_period_us");
            if (!q.empty() && !p.empty()) {
                try {
                    quota = cpus_from_cgroup_v1(std::stoll(q), std::stoll(p));
                } catch (...) {
                    quota = 0;
                }
                break;
            }
        }
    }
    return quota == 0 ? cpus : std::min(cpus, quota);
}

fd_limit raise_fd_limit(std::uint64_t wanted) {
    fd_limit out{wanted, 0};
    rlimit rl{};
    if (::getrlimit(RLIMIT_NOFILE, &rl) != 0) {
        return out;
    }
    if (rl.rlim_cur < wanted) {
        rlimit raised = rl;
        raised.rlim_cur = wanted;
        if (raised.rlim_max < wanted) {
            raised.rlim_max = wanted;  // only a privileged process may do this
        }
        if (::setrlimit(RLIMIT_NOFILE, &raised) != 0) {
            raised.rlim_cur = std::min<rlim_t>(wanted, rl.rlim_max);
            raised.rlim_max = rl.rlim_max;
            ::setrlimit(RLIMIT_NOFILE, &raised);
        }
        ::getrlimit(RLIMIT_NOFILE, &rl);
    }
    out.limit = rl.rlim_cur;
    return out;
}

daemon_start::~daemon_start() {
    if (fd_ >= 0) {
        ::close(fd_);  // without a report the parent sees EOF: the daemon died starting
    }
}

void daemon_start::succeeded() {
    if (fd_ >= 0) {
        [[maybe_unused]] const auto n = ::write(fd_, "0", 1);
        ::close(std::exchange(fd_, -1));
    }
}

void daemon_start::failed(const std::string& message) {
    if (fd_ >= 0) {
        const std::string report = "1" + message;
        [[maybe_unused]] const auto n = ::write(fd_, report.data(), report.size());
        ::close(std::exchange(fd_, -1));
    }
}

// The started process: waits for the daemon's report, then leaves with it.
[[noreturn]] void wait_for_report(int fd) {
    std::string report;
    char buf[512];
    for (;;) {
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n > 0) {
            report.append(buf, static_cast<std::size_t>(n));
        } else if (n == 0 || errno != EINTR) {
            break;
        }
    }
    if (!report.empty() && report[0] == '0') {
        ::_exit(0);
    }
    const std::string message =
        report.empty() ? "the daemon exited before its start-up was complete" : report.substr(1);
    const std::string line = "coproxy: " + message + "\n";
    [[maybe_unused]] const auto n = ::write(STDERR_FILENO, line.data(), line.size());
    ::_exit(1);
}

daemon_start daemon_start::daemonize(std::string& error) {
    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
        error = std::string("pipe: ") + std::strerror(errno);
        return {};
    }
    const pid_t first = ::fork();
    if (first < 0) {
        error = std::string("fork: ") + std::strerror(errno);
        return {};
    }
    if (first > 0) {
        ::close(pipe_fds[1]);
        wait_for_report(pipe_fds[0]);
    }
    ::close(pipe_fds[0]);
    daemon_start report(pipe_fds[1]);
    if (::setsid() < 0) {
        report.failed(std::string("setsid: ") + std::strerror(errno));
        ::_exit(1);
    }
    const pid_t second = ::fork();
    if (second < 0) {
        report.failed(std::string("fork: ") + std::strerror(errno));
        ::_exit(1);
    }
    if (second > 0) {
        ::_exit(0);  // the intermediate child; the report pipe stays with the daemon
    }
    ::umask(0);
    const int null = ::open("/dev/null", O_RDWR);
    if (::chdir("/") != 0 || null < 0) {
        report.failed(std::string("cannot detach: ") + std::strerror(errno));
        ::_exit(1);
    }
    ::dup2(null, STDIN_FILENO);
    ::dup2(null, STDOUT_FILENO);
    ::dup2(null, STDERR_FILENO);
    if (null > STDERR_FILENO) {
        ::close(null);
    }
    return report;
}

pid_file::pid_file(std::string path) : path_(std::move(path)) {
    std::ofstream out(path_, std::ios::trunc);
    out << ::getpid() << '\n';
    if (!out) {
        error_ = "cannot write pid file '" + path_ + "': " + std::strerror(errno);
        path_.clear();
    }
}

pid_file::~pid_file() {
    if (!path_.empty()) {
        ::unlink(path_.c_str());
    }
}

std::uint64_t resident_memory_bytes() {
    std::ifstream in("/proc/self/statm");
    std::uint64_t size = 0;
    std::uint64_t resident = 0;
    in >> size >> resident;
    return resident * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
}

std::uint64_t open_fd_count() {
    std::error_code ec;
    std::uint64_t n = 0;
    for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
         !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
        ++n;
    }
    return n > 0 ? n - 1 : 0;  // the iterator's own descriptor
}

}  // namespace coproxy::runtime
