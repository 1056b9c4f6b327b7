// What every upstream (tcp or keyed) keeps about its pool's servers on one worker: their health
// under twemproxy's ejection rules, their counters, and how a failure is logged, counted, turned
// into an ejection and told to the other workers.
#pragma once

#include <functional>
#include <memory>
#include <string_view>

#include "coproxy/config/pool.hpp"
#include "coproxy/runtime/log.hpp"
#include "coproxy/runtime/metrics.hpp"
#include "coproxy/upstream/server_health.hpp"

namespace coproxy::upstream {

using eject_callback = std::function<void(std::uint32_t server, runtime::clock::time_point until)>;

class server_set {
  public:
    server_set(std::shared_ptr<const config::pool_config> pool,
               std::shared_ptr<runtime::pool_stats> stats, runtime::server_stats_list servers,
               unsigned worker);

    const config::pool_config& pool() const { return *pool_; }
    const std::shared_ptr<const config::pool_config>& pool_ptr() const { return pool_; }
    std::size_t size() const { return servers_.size(); }
    runtime::pool_metrics& pool_metrics() { return stats_->workers[worker_]; }
    runtime::server_metrics& metrics(std::uint32_t server) {
        return servers_[server]->workers[worker_];
    }
    server_health& health() { return health_; }

    void on_eject(eject_callback callback) { on_eject_ = std::move(callback); }

    // A connection to `server` was established.
    void succeeded(std::uint32_t server);
    // A connection to `server` failed or broke: logged (at most once a second), counted, and, with
    // auto_eject_hosts, maybe the failure that ejects it (then every other worker is told).
    void failed(std::uint32_t server, std::string_view reason);
    // An ejection decided by another worker.
    void apply_ejection(std::uint32_t server, runtime::clock::time_point until) {
        health_.eject(server, until);
    }

  private:
    std::shared_ptr<const config::pool_config> pool_;
    std::shared_ptr<runtime::pool_stats> stats_;
    runtime::server_stats_list servers_;
    unsigned worker_;
    server_health health_;
    eject_callback on_eject_;
    runtime::log_limiter failure_log_;
};

}  // namespace coproxy::upstream
