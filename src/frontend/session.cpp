// Starts the session for a pool's protocol, and ends it.
#include <boost/asio/co_spawn.hpp>

#include "coproxy/frontend/pool_service.hpp"
#include "coproxy/runtime/spawn.hpp"
#include "frontend/keyed_session.hpp"
#include "frontend/sessions.hpp"

namespace coproxy::frontend {

void start_session(worker_state& worker, slot_index index) {
    client_slot& slot = worker.slab[index];
    switch (slot.service->config().protocol) {
        case config::protocol_kind::tcp:
            asio::co_spawn(worker.worker.get_executor(), run_tcp_session(worker, index),
                           [&worker, index](std::exception_ptr e) {
                               runtime::log_exception("session", e);
                               release_client(worker, index);
                           });
            return;
        case config::protocol_kind::redis:
        case config::protocol_kind::memcache: {
            auto session = slot.service->config().protocol == config::protocol_kind::redis
                               ? make_redis_session(worker, index)
                               : make_memcache_session(worker, index);
            keyed_session& running = *session;
            slot.session = std::move(session);
            running.start();
            return;
        }
    }
}

void release_client(worker_state& worker, slot_index index) {
    worker.slab[index].service->metrics().client_connections.sub();
    worker.slab.release(index);
    if (worker.sessions.fetch_sub(1, std::memory_order_relaxed) == 1 && worker.on_drained) {
        worker.on_drained();
    }
}

}  // namespace coproxy::frontend
