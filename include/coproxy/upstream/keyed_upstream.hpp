// A Redis or memcached pool's servers as one worker sees them: key routing exactly as twemproxy
// does it (hash_tag, hash, ketama/modula/random over the live servers), `server_connections`
// pipelined connections per server, and server health with twemproxy's ejection rules.
#pragma once

#include <memory>
#include <optional>
#include <random>
#include <string_view>
#include <vector>

#include "coproxy/config/pool.hpp"
#include "coproxy/runtime/buffer_pool.hpp"
#include "coproxy/runtime/log.hpp"
#include "coproxy/runtime/metrics.hpp"
#include "coproxy/sharding/continuum.hpp"
#include "coproxy/upstream/backend_protocol.hpp"
#include "coproxy/upstream/lease_pool.hpp"
#include "coproxy/upstream/server_connection.hpp"
#include "coproxy/upstream/server_set.hpp"

namespace coproxy::upstream {

class keyed_upstream final : public connection_owner {
  public:
    keyed_upstream(runtime::executor ex, std::shared_ptr<const config::pool_config> pool,
                   std::shared_ptr<runtime::pool_stats> stats, runtime::server_stats_list servers,
                   unsigned worker, std::shared_ptr<const backend_protocol> protocol,
                   runtime::buffer_pool& buffers, runtime::flush_queue& flushes,
                   request_pool& requests);
    keyed_upstream(const keyed_upstream&) = delete;
    keyed_upstream& operator=(const keyed_upstream&) = delete;
    ~keyed_upstream();

    // Connects every connection now when the pool says preconnect.
    void start(eject_callback on_eject);
    // Closes every connection; requests still waiting get an error reply.
    void stop();

    // The server holding `key`, or nullopt when every server is ejected.
    std::optional<std::uint32_t> route(std::string_view key);
    // Sends `r` on one of the server's connections. A client's requests to one server always take
    // the same connection (chosen by `client`), so the server runs them in the order they were
    // sent: a pipelined SET then GET of one key must not race on two connections.
    void submit(std::uint32_t server, request_ptr r, std::uint32_t client);
    void apply_ejection(std::uint32_t server, runtime::clock::time_point until);

    // A connection to `server` held by `holder` alone (lease_pool.hpp); empty when refused.
    lease lease_connection(std::uint32_t server, lease_holder& holder, bool stream = false) {
        return leases_.acquire(server, holder, stream);
    }
    // Every server index, in config order (whole-pool commands).
    std::size_t server_count() const { return servers_.size(); }
    runtime::pool_metrics& pool_metrics() { return servers_.pool_metrics(); }

    const backend_protocol& protocol() const { return *protocol_; }
    const config::pool_config& pool() const { return servers_.pool(); }
    // Requests queued or in flight on every connection, and connections leased by clients.
    std::size_t load() const;

    void connection_up(std::uint32_t server) override;
    void connection_failed(std::uint32_t server, const std::string& reason) override;

  private:
    const sharding::continuum& ring();

    server_set servers_;
    std::shared_ptr<const backend_protocol> protocol_;
    lease_pool leases_;
    std::vector<std::vector<std::shared_ptr<server_connection>>> connections_;
    std::vector<sharding::node> nodes_;
    sharding::distribution_kind distribution_;
    std::optional<sharding::continuum> ring_;
    std::uint64_t ring_generation_ = 0;
    runtime::clock::time_point ring_valid_until_{};
    std::minstd_rand random_{std::random_device{}()};
};

}  // namespace coproxy::upstream
