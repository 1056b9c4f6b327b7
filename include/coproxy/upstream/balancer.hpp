// Which server a tcp pool's new client goes to: smooth weighted round robin (nginx's), least
// connections relative to weight, or twemproxy's ketama/modula/random keyed by the client address.
// The first choice is followed by every other live server once, in config order, for failover.
#pragma once

#include <cstdint>
#include <random>
#include <string_view>
#include <vector>

#include "coproxy/config/pool.hpp"
#include "coproxy/sharding/continuum.hpp"
#include "coproxy/upstream/server_health.hpp"

namespace coproxy::upstream {

class balancer {
  public:
    explicit balancer(const config::pool_config& pool);

    // Servers to try for this client, best first, each once; ejected servers are left out.
    void candidates(std::string_view client_key, const server_health& health,
                    server_health::time_point now, std::vector<std::uint32_t>& out);

    void opened(std::uint32_t server) { ++active_[server]; }
    void closed(std::uint32_t server) { --active_[server]; }
    std::uint32_t active(std::uint32_t server) const { return active_[server]; }

  private:
    std::optional<std::uint32_t> first_choice(std::string_view client_key,
                                              const std::vector<bool>& live);
    std::optional<std::uint32_t> next_round_robin(const std::vector<bool>& live);
    std::optional<std::uint32_t> least_loaded(const std::vector<bool>& live) const;
    const sharding::continuum& ring(const std::vector<bool>& live);

    config::distribution_kind kind_;
    sharding::hash_kind hash_;
    std::vector<sharding::node> nodes_;
    std::vector<std::int64_t> current_;  // smooth weighted round robin state
    std::vector<std::uint32_t> active_;
    std::optional<sharding::continuum> ring_;
    std::vector<bool> ring_live_;
    std::minstd_rand random_{std::random_device{}()};
};

}  // namespace coproxy::upstream
