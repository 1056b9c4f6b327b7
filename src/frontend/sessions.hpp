// The per-connection coroutines, one per protocol. Each runs for the life of one client and
// keeps its state in the client's slab entry.
#pragma once

#include "coproxy/frontend/worker_state.hpp"

namespace coproxy::frontend {

class keyed_session;

std::unique_ptr<keyed_session> make_redis_session(client_slot& slot, worker_state& worker);
std::unique_ptr<keyed_session> make_memcache_session(client_slot& slot, worker_state& worker);

runtime::task<void> run_session(worker_state& worker, slot_index index);

runtime::task<void> run_tcp_session(worker_state& worker, slot_index index);

// Ends a session now: a tcp pair's sockets are closed, a keyed session aborts.
void close_pair(client_slot& slot);

}  // namespace coproxy::frontend
