// Routing and server choice for keyed pools; see the header.
#include "coproxy/upstream/keyed_upstream.hpp"

#include <spdlog/spdlog.h>

#include <memory>

#include "coproxy/sharding/hash.hpp"

namespace coproxy::upstream {
namespace {

sharding::distribution_kind to_sharding(config::distribution_kind k) {
    switch (k) {
        case config::distribution_kind::modula:
            return sharding::distribution_kind::modula;
        case config::distribution_kind::random:
            return sharding::distribution_kind::random;
        default:
            return sharding::distribution_kind::ketama;
    }
}

}  // namespace

keyed_upstream::keyed_upstream(runtime::executor ex,
                               std::shared_ptr<const config::pool_config> pool,
                               std::shared_ptr<runtime::pool_stats> stats, unsigned worker,
                               std::shared_ptr<const backend_protocol> protocol,
                               runtime::buffer_pool& buffers)
    : pool_(std::move(pool)),
      stats_(std::move(stats)),
      worker_(worker),
      protocol_(std::move(protocol)),
      health_(pool_->servers.size(), pool_->auto_eject_hosts, pool_->server_failure_limit,
              pool_->server_retry_timeout),
      distribution_(to_sharding(pool_->distribution)) {
    for (std::uint32_t s = 0; s < pool_->servers.size(); ++s) {
        nodes_.push_back({pool_->servers[s].ketama_identity(), pool_->servers[s].weight});
        connections_.emplace_back();
        for (int c = 0; c < pool_->server_connections; ++c) {
            connections_[s].push_back(std::make_shared<server_connection>(
                ex, connection_settings{pool_, protocol_, s}, server_stats(s), buffers, *this));
        }
    }
}

keyed_upstream::~keyed_upstream() {
    stop();
}

void keyed_upstream::start(eject_callback on_eject) {
    on_eject_ = std::move(on_eject);
    if (pool_->preconnect) {
        for (auto& per_server : connections_) {
            for (auto& c : per_server) {
                c->connect();
            }
        }
    }
}

void keyed_upstream::stop() {
    for (auto& per_server : connections_) {
        for (auto& c : per_server) {
            c->stop();
        }
    }
}

const sharding::continuum& keyed_upstream::ring() {
    // Only ejection changes the live set, so without auto_eject_hosts the ring is built once.
    if (ring_ && !pool_->auto_eject_hosts) {
        return *ring_;
    }
    const auto now = runtime::clock::now();
    if (!ring_ || health_.generation() != ring_generation_ || now >= ring_valid_until_) {
        const std::vector<bool> live = health_.live_mask(now);
        std::unique_ptr<bool[]> flags(new bool[live.size()]);
        for (std::size_t i = 0; i < live.size(); ++i) {
            flags[i] = live[i];
        }
        ring_ = sharding::continuum::build(distribution_, nodes_,
                                           std::span<const bool>(flags.get(), live.size()));
        ring_generation_ = health_.generation();
        ring_valid_until_ = health_.next_return(now);
    }
    return *ring_;
}

std::optional<std::uint32_t> keyed_upstream::route(std::string_view key) {
    const auto& continuum = ring();
    if (distribution_ == sharding::distribution_kind::random) {
        return continuum.pick(static_cast<std::uint32_t>(random_()));
    }
    const std::string_view hashed = sharding::hash_tag_key(key, pool_->hash_tag);
    return continuum.pick(sharding::dispatch_hash(pool_->hash, hashed));
}

void keyed_upstream::submit(std::uint32_t server, request_ptr r) {
    // The least loaded connection that is not backing off; a backing-off one answers at once.
    auto& candidates = connections_[server];
    server_connection* best = nullptr;
    for (auto& c : candidates) {
        if (c->backing_off()) {
            continue;
        }
        if (best == nullptr || c->load() < best->load()) {
            best = c.get();
        }
    }
    (best != nullptr ? *best : *candidates.front()).submit(std::move(r));
}

void keyed_upstream::connection_up(std::uint32_t server) {
    health_.on_success(server);
}

void keyed_upstream::connection_failed(std::uint32_t server, const std::string& reason) {
    const auto& cfg = pool_->servers[server];
    std::uint64_t suppressed = 0;
    if (failure_log_.allow(suppressed)) {
        spdlog::warn("pool '{}': server '{}': {}{}", pool_->name, cfg.display_name(), reason,
                     suppressed ? fmt::format(" ({} similar messages suppressed)", suppressed)
                                : std::string());
    }
    if (auto until = health_.on_failure(server, runtime::clock::now())) {
        stats_->workers[worker_].server_ejects.add();
        spdlog::warn("pool '{}': server '{}' ejected for {} ms after {} consecutive failures",
                     pool_->name, cfg.display_name(), pool_->server_retry_timeout.count(),
                     pool_->server_failure_limit);
        if (on_eject_) {
            on_eject_(server, *until);
        }
    }
}

void keyed_upstream::apply_ejection(std::uint32_t server, runtime::clock::time_point until) {
    health_.eject(server, until);
}

}  // namespace coproxy::upstream
