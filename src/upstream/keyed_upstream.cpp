// Routing and server choice for keyed pools; see the header.
#include "coproxy/upstream/keyed_upstream.hpp"

#include <spdlog/spdlog.h>

#include <memory>

#include "coproxy/sharding/hash.hpp"

namespace coproxy::upstream {
keyed_upstream::keyed_upstream(runtime::executor ex,
                               std::shared_ptr<const config::pool_config> pool,
                               std::shared_ptr<runtime::pool_stats> stats,
                               runtime::server_stats_list servers, unsigned worker,
                               std::shared_ptr<const backend_protocol> protocol,
                               runtime::buffer_pool& buffers, runtime::flush_queue& flushes,
                               request_pool& requests)
    : servers_(std::move(pool), std::move(stats), std::move(servers), worker),
      protocol_(std::move(protocol)),
      leases_(ex, protocol_, servers_, buffers, flushes, requests),
      distribution_(config::key_distribution(servers_.pool().distribution)) {
    const auto& cfg = servers_.pool();
    for (std::uint32_t s = 0; s < cfg.servers.size(); ++s) {
        nodes_.push_back({cfg.servers[s].ketama_identity(), cfg.servers[s].weight});
        connections_.emplace_back();
        for (int c = 0; c < cfg.server_connections; ++c) {
            connections_[s].push_back(std::make_shared<server_connection>(
                ex,
                connection_settings{servers_.pool_ptr(), protocol_, s,
                                    static_cast<std::size_t>(cfg.server_max_inflight)},
                servers_.metrics(s), buffers, flushes, *this));
        }
    }
}

keyed_upstream::~keyed_upstream() {
    stop();
}

void keyed_upstream::start(eject_callback on_eject) {
    servers_.on_eject(std::move(on_eject));
    if (pool().preconnect) {
        for (auto& per_server : connections_) {
            for (auto& c : per_server) {
                c->connect();
            }
        }
    }
}

void keyed_upstream::stop() {
    leases_.stop();
    for (auto& per_server : connections_) {
        for (auto& c : per_server) {
            c->stop();
        }
    }
}

const sharding::continuum& keyed_upstream::ring() {
    // Only ejection changes the live set, so without auto_eject_hosts the ring is built once.
    if (ring_ && !pool().auto_eject_hosts) {
        return *ring_;
    }
    const auto& health = servers_.health();
    const auto now = runtime::clock::now();
    if (!ring_ || health.generation() != ring_generation_ || now >= ring_valid_until_) {
        const std::vector<bool> live = health.live_mask(now);
        std::unique_ptr<bool[]> flags(new bool[live.size()]);
        for (std::size_t i = 0; i < live.size(); ++i) {
            flags[i] = live[i];
        }
        ring_ = sharding::continuum::build(distribution_, nodes_,
                                           std::span<const bool>(flags.get(), live.size()));
        ring_generation_ = health.generation();
        ring_valid_until_ = health.next_return(now);
    }
    return *ring_;
}

std::optional<std::uint32_t> keyed_upstream::route(std::string_view key) {
    const auto& continuum = ring();
    if (distribution_ == sharding::distribution_kind::random) {
        return continuum.pick(static_cast<std::uint32_t>(random_()));
    }
    const std::string_view hashed = sharding::hash_tag_key(key, pool().hash_tag);
    return continuum.pick(sharding::dispatch_hash(pool().hash, hashed));
}

void keyed_upstream::submit(std::uint32_t server, request_ptr r, std::uint32_t client) {
    auto& candidates = connections_[server];
    auto* chosen = candidates[client % candidates.size()].get();
    // A connection backing off has failed everything it carried, so nothing of this client's can
    // be overtaken: another live connection may take the request instead of failing it.
    if (chosen->backing_off()) {
        for (auto& c : candidates) {
            if (!c->backing_off()) {
                chosen = c.get();
                break;
            }
        }
    }
    chosen->submit(std::move(r));
}

void keyed_upstream::connection_up(std::uint32_t server) {
    servers_.succeeded(server);
}

void keyed_upstream::connection_failed(std::uint32_t server, const std::string& reason) {
    servers_.failed(server, reason);
}

void keyed_upstream::apply_ejection(std::uint32_t server, runtime::clock::time_point until) {
    servers_.apply_ejection(server, until);
}

std::size_t keyed_upstream::load() const {
    std::size_t total = 0;
    for (std::uint32_t s = 0; s < servers_.size(); ++s) {
        total += leases_.in_use(s);
    }
    for (const auto& per_server : connections_) {
        for (const auto& c : per_server) {
            total += c->load();
        }
    }
    return total;
}

}  // namespace coproxy::upstream
