// Server choice for tcp pools; see balancer.hpp.
#include "coproxy/upstream/balancer.hpp"

#include <memory>

namespace coproxy::upstream {

balancer::balancer(const config::pool_config& pool)
    : kind_(pool.distribution),
      hash_(pool.hash),
      current_(pool.servers.size(), 0),
      active_(pool.servers.size(), 0) {
    for (const auto& s : pool.servers) {
        nodes_.push_back({s.ketama_identity(), s.weight});
    }
}

void balancer::candidates(std::string_view client_key, const server_health& health,
                          server_health::time_point now, std::vector<std::uint32_t>& out) {
    out.clear();
    const std::vector<bool> live = health.live_mask(now);
    const auto first = first_choice(client_key, live);
    if (!first) {
        return;
    }
    const auto n = static_cast<std::uint32_t>(nodes_.size());
    for (std::uint32_t step = 0; step < n; ++step) {
        const std::uint32_t i = (*first + step) % n;
        if (live[i]) {
            out.push_back(i);
        }
    }
}

std::optional<std::uint32_t> balancer::first_choice(std::string_view client_key,
                                                    const std::vector<bool>& live) {
    switch (kind_) {
        case config::distribution_kind::round_robin:
            return next_round_robin(live);
        case config::distribution_kind::least_connections:
            return least_loaded(live);
        case config::distribution_kind::random:
            return ring(live).pick(static_cast<std::uint32_t>(random_()));
        default:
            return ring(live).pick(sharding::dispatch_hash(hash_, client_key));
    }
}

std::optional<std::uint32_t> balancer::next_round_robin(const std::vector<bool>& live) {
    std::int64_t total = 0;
    std::optional<std::uint32_t> best;
    for (std::uint32_t i = 0; i < nodes_.size(); ++i) {
        if (!live[i]) {
            continue;
        }
        current_[i] += nodes_[i].weight;
        total += nodes_[i].weight;
        if (!best || current_[i] > current_[*best]) {
            best = i;
        }
    }
    if (best) {
        current_[*best] -= total;
    }
    return best;
}

std::optional<std::uint32_t> balancer::least_loaded(const std::vector<bool>& live) const {
    std::optional<std::uint32_t> best;
    for (std::uint32_t i = 0; i < nodes_.size(); ++i) {
        if (!live[i]) {
            continue;
        }
        // active/weight compared without division: a/w < b/v  <=>  a*v < b*w
        if (!best || std::uint64_t{active_[i]} * nodes_[*best].weight <
                         std::uint64_t{active_[*best]} * nodes_[i].weight) {
            best = i;
        }
    }
    return best;
}

const sharding::continuum& balancer::ring(const std::vector<bool>& live) {
    if (!ring_ || ring_live_ != live) {
        // std::vector<bool> is packed; the continuum takes a span of real bools.
        std::unique_ptr<bool[]> flags(new bool[live.size()]);
        for (std::size_t i = 0; i < live.size(); ++i) {
            flags[i] = live[i];
        }
        ring_ = sharding::continuum::build(config::key_distribution(kind_), nodes_,
                                           std::span<const bool>(flags.get(), live.size()));
        ring_live_ = live;
    }
    return *ring_;
}

}  // namespace coproxy::upstream
