// Child processes for integration tests: coproxy itself, redis-server, memcached, nutcracker,
// haproxy. Every child is stopped by pid when its handle goes away, so a failing test leaves
// nothing running.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace coproxy::test {

class child_process {
  public:
    child_process() = default;
    // Starts argv[0] (searched in PATH) with stdout+stderr appended to `log_path` (or /dev/null).
    child_process(std::vector<std::string> argv, std::string log_path = {},
                  std::vector<std::string> extra_env = {});
    child_process(child_process&& o) noexcept;
    child_process& operator=(child_process&& o) noexcept;
    child_process(const child_process&) = delete;
    child_process& operator=(const child_process&) = delete;
    ~child_process();

    pid_t pid() const { return pid_; }
    bool running();
    void signal(int sig) const;
    // Waits for exit; returns the exit status (128+signal when killed), nullopt on timeout.
    std::optional<int> wait(std::chrono::milliseconds timeout);
    // SIGTERM, then SIGKILL after `grace`.
    int stop(std::chrono::milliseconds grace = std::chrono::seconds(5));
    const std::string& log_path() const { return log_path_; }
    std::string log() const;

  private:
    pid_t pid_ = -1;
    std::optional<int> status_;
    std::string log_path_;
};

// A fresh directory under /tmp, removed with its contents on destruction.
class temp_dir {
  public:
    temp_dir();
    ~temp_dir();
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;
    const std::string& path() const { return path_; }
    std::string file(const std::string& name) const { return path_ + "/" + name; }
    std::string write(const std::string& name, const std::string& content) const;

  private:
    std::string path_;
};

// A port nobody listens on right now (bound to 127.0.0.1:0 and released).
int free_port();

// Polls until 127.0.0.1:port accepts a connection.
bool wait_for_port(int port, std::chrono::milliseconds timeout = std::chrono::seconds(10));

// The one timing knob (COPROXY_TEST_BUDGET, default 1): every wait for an event is its nominal
// time times this. .ci/sanitizers and the stress stage raise it.
double test_budget();
std::chrono::milliseconds budget(std::chrono::milliseconds nominal);

// Polls `predicate` every few milliseconds until it holds or `timeout` (times the budget) passes.
template <class Predicate>
bool eventually(Predicate predicate, std::chrono::milliseconds timeout = std::chrono::seconds(10));

// Path of the coproxy binary under test (set by CMake).
std::string coproxy_binary();

}  // namespace coproxy::test

#include <thread>

template <class Predicate>
bool coproxy::test::eventually(Predicate predicate, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + budget(timeout);
    while (std::chrono::steady_clock::now() < deadline) {
        if (predicate()) {
            return true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return predicate();
}
