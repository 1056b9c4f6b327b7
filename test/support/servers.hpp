// Real peers for integration tests, each on a free port of 127.0.0.1 and stopped by pid:
// redis-server, memcached and nutcracker (twemproxy 0.5.0, the reference for key placement).
#pragma once

#include <string>
#include <vector>

#include "support/process.hpp"

namespace coproxy::test {

class redis_server {
  public:
    // Extra redis-server arguments, e.g. {"--requirepass", "s3cret"}.
    explicit redis_server(const temp_dir& dir, std::vector<std::string> extra = {});
    // On a given port: a restarted backend comes back where the pool expects it.
    redis_server(const temp_dir& dir, int port, std::vector<std::string> extra = {});
    int port() const { return port_; }
    bool running() { return process_.running(); }
    void stop() { process_.stop(); }
    void kill();  // SIGKILL: a backend dying mid-stream
    child_process& process() { return process_; }
    // `redis-cli -p port <args>` output, trailing newline removed.
    std::string cli(const std::vector<std::string>& args) const;

  private:
    int port_;
    child_process process_;
};

class memcached_server {
  public:
    explicit memcached_server(const temp_dir& dir, std::vector<std::string> extra = {});
    int port() const { return port_; }
    void stop() { process_.stop(); }
    void kill();
    child_process& process() { return process_; }

  private:
    int port_;
    child_process process_;
};

class nutcracker_process {
  public:
    // Runs nutcracker with `yaml` (written to the temp dir); its stats port is a free port too.
    nutcracker_process(const temp_dir& dir, const std::string& yaml);
    bool started() const { return started_; }
    child_process& process() { return process_; }

  private:
    child_process process_;
    bool started_ = false;
};

// The output of a command, with a timeout; trailing newline removed.
std::string run_command(const std::vector<std::string>& argv,
                        std::chrono::seconds timeout = std::chrono::seconds(60));

}  // namespace coproxy::test
