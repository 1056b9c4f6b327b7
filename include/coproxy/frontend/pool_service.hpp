// One pool on one worker: admission, the client slab entry, the session coroutine, and the
// pool's upstream side. The listener that feeds it lives apart (listener.hpp), keyed by address,
// so a reload can point an open listener at a new service.
#pragma once

#include <sys/socket.h>

#include <memory>

#include "coproxy/config/pool.hpp"
#include "coproxy/frontend/worker_state.hpp"
#include "coproxy/runtime/admission.hpp"
#include "coproxy/runtime/metrics.hpp"
#include "coproxy/upstream/keyed_upstream.hpp"
#include "coproxy/upstream/tcp_upstream.hpp"

namespace coproxy::frontend {

// A pool's process-wide parts, shared by every worker's service for it.
struct pool_shared {
    std::shared_ptr<const config::pool_config> config;
    std::shared_ptr<runtime::pool_stats> stats;
    runtime::server_stats_list servers;             // in config order
    std::shared_ptr<runtime::admission_gate> gate;  // client_connections
    int family = AF_INET;                           // of the listener's clients
};

class pool_service : public std::enable_shared_from_this<pool_service> {
  public:
    pool_service(worker_state& worker, pool_shared shared);

    // Starts background work (warm sockets); `on_eject` tells the other workers of an ejection.
    void start(upstream::eject_callback on_eject);
    void stop();

    // A freshly accepted client of `entry` (whose current service this is): admitted into the
    // slab and served, or refused.
    void accept(runtime::stream_socket&& socket, const std::shared_ptr<pool_entry>& entry);

    void apply_ejection(std::uint32_t server, runtime::clock::time_point until);

    const config::pool_config& config() const { return *shared_.config; }
    runtime::pool_metrics& metrics() { return shared_.stats->workers[worker_.worker.id()]; }
    // Every worker's cells of this pool (other workers' are read, never written).
    const runtime::pool_stats& stats() const { return *shared_.stats; }
    worker_state& worker() { return worker_; }
    const std::shared_ptr<upstream::tcp_upstream>& tcp() const { return tcp_; }
    const std::unique_ptr<upstream::keyed_upstream>& keyed() const { return keyed_; }

  private:
    void reject(runtime::stream_socket& socket);

    worker_state& worker_;
    pool_shared shared_;
    std::shared_ptr<upstream::tcp_upstream> tcp_;
    std::unique_ptr<upstream::keyed_upstream> keyed_;
};

}  // namespace coproxy::frontend
