// A tcp pool's servers as one worker sees them: the balancer, server health, and (with preconnect)
// warm pre-connected sockets per server that new clients take without waiting for a connect.
// A warm socket the server closed is noticed (its readiness is watched) and replaced, and every
// socket is checked again when handed out, so a dead one is never given to a client.
#pragma once

#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "coproxy/config/pool.hpp"
#include "coproxy/runtime/log.hpp"
#include "coproxy/runtime/metrics.hpp"
#include "coproxy/runtime/transport.hpp"
#include "coproxy/runtime/types.hpp"
#include "coproxy/upstream/balancer.hpp"
#include "coproxy/upstream/server_health.hpp"
#include "coproxy/upstream/server_set.hpp"

namespace coproxy::upstream {

class tcp_upstream;

// A server connection handed to a client, counted against its server while it lives.
class tcp_connection {
  public:
    tcp_connection(runtime::stream_socket socket, std::uint32_t server,
                   std::shared_ptr<tcp_upstream> owner);
    tcp_connection(tcp_connection&&) noexcept = default;
    tcp_connection& operator=(tcp_connection&&) = delete;
    ~tcp_connection();

    runtime::transport stream;
    std::uint32_t server() const { return server_; }
    bool was_warm = false;

  private:
    std::uint32_t server_;
    std::shared_ptr<tcp_upstream> owner_;
};

class tcp_upstream : public std::enable_shared_from_this<tcp_upstream> {
  public:
    tcp_upstream(runtime::executor ex, std::shared_ptr<const config::pool_config> pool,
                 std::shared_ptr<runtime::pool_stats> stats, runtime::server_stats_list servers,
                 unsigned worker);

    // Starts keeping warm sockets (preconnect: true); `on_eject` tells the other workers.
    void start(eject_callback on_eject);
    void stop();

    // A connected server socket for this client: warm when one is ready, else a fresh connect,
    // failing over through the candidates, each server at most once. nullopt when all failed.
    runtime::task<std::optional<tcp_connection>> acquire(std::string_view client_key);

    // An ejection decided by another worker.
    void apply_ejection(std::uint32_t server, runtime::clock::time_point until);

    const config::pool_config& pool() const { return servers_.pool(); }
    runtime::server_metrics& server_stats(std::uint32_t server) { return servers_.metrics(server); }
    std::size_t warm_count(std::uint32_t server) const { return warm_[server].idle.size(); }

  private:
    friend class tcp_connection;

    struct warm_socket {
        explicit warm_socket(runtime::stream_socket s) : socket(std::move(s)) {}
        runtime::stream_socket socket;
        bool taken = false;
    };
    struct warm_slot {
        explicit warm_slot(runtime::executor ex) : wake(ex) {}
        std::deque<std::shared_ptr<warm_socket>> idle;
        runtime::steady_timer wake;  // cancelled to tell the refill loop a socket was taken
    };

    runtime::task<void> keep_warm(std::uint32_t server);
    runtime::task<void> watch(std::uint32_t server, std::shared_ptr<warm_socket> warm);
    std::optional<runtime::stream_socket> take_warm(std::uint32_t server);
    void record_failure(std::uint32_t server, const boost::system::error_code& error);
    void released(std::uint32_t server);

    runtime::executor executor_;
    server_set servers_;
    balancer balancer_;
    std::vector<warm_slot> warm_;
    bool stopped_ = false;
};

}  // namespace coproxy::upstream
