// The per-connection coroutines, one per protocol. Each runs for the life of one client and
// keeps its state in the client's slab entry.
#pragma once

#include "coproxy/frontend/worker_state.hpp"

namespace coproxy::frontend {

runtime::task<void> run_session(worker_state& worker, slot_index index);

runtime::task<void> run_tcp_session(worker_state& worker, slot_index index);

// Ends a tcp pair now: both sockets closed, so both relay directions finish.
void close_pair(client_slot& slot);

}  // namespace coproxy::frontend
