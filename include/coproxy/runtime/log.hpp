// Logging: spdlog behind nutcracker's 0-11 verbosity scale, text or JSON lines, a log file that
// SIGHUP reopens (logrotate), and a limiter for messages that a flood could repeat.
#pragma once

#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdint>
#include <string>

#include "coproxy/config/options.hpp"

namespace coproxy::runtime {

// 0-2 critical, 3 error, 4 warn, 5-6 info, 7 debug, 8-11 trace.
spdlog::level::level_enum level_for_verbosity(int verbosity);

// Returns an error message when the log file cannot be opened (logging then goes to stderr).
std::string init_logging(const config::process_options& options);
void reopen_log();
// The log's file descriptor, for writers that cannot use spdlog (a crash handler).
int log_fd();
// SIGTTIN raises verbosity by one, SIGTTOU lowers it (nutcracker's signals).
int adjust_verbosity(int delta);

// At most one message per interval from one call site; counts what it held back. One per thread.
class log_limiter {
  public:
    explicit log_limiter(std::chrono::milliseconds interval = std::chrono::seconds(1))
        : interval_(interval) {}
    // True when a message may be logged now; `suppressed` then says how many were skipped.
    bool allow(std::uint64_t& suppressed) {
        const auto now = std::chrono::steady_clock::now();
        if (now - last_ < interval_) {
            ++suppressed_;
            return false;
        }
        last_ = now;
        suppressed = suppressed_;
        suppressed_ = 0;
        return true;
    }

  private:
    std::chrono::milliseconds interval_;
    std::chrono::steady_clock::time_point last_{};
    std::uint64_t suppressed_ = 0;
};

}  // namespace coproxy::runtime
