// The whole proxy: workers, their pools and listeners, and the process-wide pieces they share
// (admission gates, stats). Driven from the main thread's control loop: start, shut down, and
// (operations) reload. Everything worker-owned is changed only by posting to its worker.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "coproxy/config/loader.hpp"
#include "coproxy/config/options.hpp"
#include "coproxy/frontend/listener.hpp"
#include "coproxy/frontend/pool_service.hpp"
#include "coproxy/frontend/worker_state.hpp"
#include "coproxy/runtime/worker.hpp"

namespace coproxy::frontend {

class proxy {
  public:
    proxy(const config::process_options& options, unsigned workers);
    proxy(const proxy&) = delete;
    proxy& operator=(const proxy&) = delete;
    ~proxy();

    // Opens every listener, then starts the workers. Returns an error (nothing started) when a
    // listener cannot be opened.
    std::string start(const config::config& cfg);

    // Graceful shutdown, run on the control loop: readiness fails at once; after `drain_delay`
    // every listener closes; open connections get `timeout` to finish, then the rest are closed,
    // tcp pairs spread over the last tenth of it; finally the workers stop.
    runtime::task<void> shutdown(std::chrono::milliseconds drain_delay,
                                 std::chrono::milliseconds timeout);

    unsigned worker_count() const { return static_cast<unsigned>(workers_.size()); }
    std::int64_t sessions() const;
    bool ready() const { return ready_.load(); }
    runtime::admission_gate& process_gate() { return process_gate_; }
    const std::map<std::string, pool_shared>& pools() const { return pools_; }

  private:
    pool_shared make_pool(const config::pool_config& pool);
    void add_pool(unsigned w, const pool_shared& shared, runtime::unique_fd fd,
                  runtime::stream_protocol protocol);
    void broadcast_ejection(const std::string& pool, unsigned from, std::uint32_t server,
                            runtime::clock::time_point until);
    void stop_accepting(worker_state& state);
    void close_spread(worker_state& state, std::chrono::milliseconds window);

    config::process_options options_;
    runtime::admission_gate process_gate_;
    std::vector<std::unique_ptr<runtime::worker>> workers_;
    std::vector<std::unique_ptr<worker_state>> states_;
    std::vector<std::map<std::string, std::shared_ptr<listener>>> listeners_;  // per worker
    std::map<std::string, pool_shared> pools_;
    std::vector<std::string> unix_paths_;
    std::atomic<bool> ready_{false};
    bool started_ = false;
};

}  // namespace coproxy::frontend
