// Chooses the session coroutine for a pool's protocol.
#include "coproxy/frontend/pool_service.hpp"
#include "frontend/keyed_session.hpp"
#include "frontend/sessions.hpp"

namespace coproxy::frontend {

runtime::task<void> run_session(worker_state& worker, slot_index index) {
    switch (worker.slab[index].service->config().protocol) {
        case config::protocol_kind::tcp:
            co_await run_tcp_session(worker, index);
            break;
        case config::protocol_kind::redis:
        case config::protocol_kind::memcache: {
            client_slot& slot = worker.slab[index];
            auto session = slot.service->config().protocol == config::protocol_kind::redis
                               ? make_redis_session(slot, worker)
                               : make_memcache_session(slot, worker);
            keyed_session& running = *session;
            slot.session = std::move(session);
            co_await running.run();
            break;
        }
    }
}

}  // namespace coproxy::frontend
