// Client sessions, one kind per protocol, each living in the client's slab entry: keyed sessions
// (Redis, memcached) are handlers that release their slot when done; a tcp pair is a coroutine.
#pragma once

#include "coproxy/frontend/worker_state.hpp"

namespace coproxy::frontend {

class keyed_session;

std::unique_ptr<keyed_session> make_redis_session(worker_state& worker, slot_index index);
std::unique_ptr<keyed_session> make_memcache_session(worker_state& worker, slot_index index);

// Serves the client in slot `index` with its pool's protocol; the slot is released at the end.
void start_session(worker_state& worker, slot_index index);

runtime::task<void> run_tcp_session(worker_state& worker, slot_index index);

// Releases a finished client's slot and its place in the gauges.
void release_client(worker_state& worker, slot_index index);

}  // namespace coproxy::frontend
