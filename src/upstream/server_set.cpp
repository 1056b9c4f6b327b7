// Server failure accounting shared by tcp and keyed upstreams; see server_set.hpp.
#include "coproxy/upstream/server_set.hpp"

#include <spdlog/spdlog.h>

namespace coproxy::upstream {
namespace {

std::int64_t steady_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               runtime::clock::now().time_since_epoch())
        .count();
}

}  // namespace

server_set::server_set(std::shared_ptr<const config::pool_config> pool,
                       std::shared_ptr<runtime::pool_stats> stats,
                       runtime::server_stats_list servers, unsigned worker)
    : pool_(std::move(pool)),
      stats_(std::move(stats)),
      servers_(std::move(servers)),
      worker_(worker),
      health_(pool_->servers.size(), pool_->auto_eject_hosts, pool_->server_failure_limit,
              pool_->server_retry_timeout) {}

void server_set::succeeded(std::uint32_t server) {
    health_.on_success(server);
    servers_[server]->reachable_at.store(steady_ms(), std::memory_order_relaxed);
}

void server_set::failed(std::uint32_t server, std::string_view reason) {
    servers_[server]->unreachable_at.store(steady_ms(), std::memory_order_relaxed);
    const auto& cfg = pool_->servers[server];
    std::uint64_t suppressed = 0;
    if (failure_log_.allow(suppressed)) {
        spdlog::warn("pool '{}': server '{}': {}{}", pool_->name, cfg.display_name(), reason,
                     suppressed ? fmt::format(" ({} similar messages suppressed)", suppressed)
                                : std::string());
    }
    const auto until = health_.on_failure(server, runtime::clock::now());
    if (!until) {
        return;
    }
    pool_metrics().server_ejects.add();
    servers_[server]->ejected_at.store(std::chrono::duration_cast<std::chrono::microseconds>(
                                           std::chrono::system_clock::now().time_since_epoch())
                                           .count(),
                                       std::memory_order_relaxed);
    spdlog::warn("pool '{}': server '{}' ejected for {} ms after {} consecutive failures",
                 pool_->name, cfg.display_name(), pool_->server_retry_timeout.count(),
                 pool_->server_failure_limit);
    if (on_eject_) {
        on_eject_(server, *until);
    }
}

}  // namespace coproxy::upstream
