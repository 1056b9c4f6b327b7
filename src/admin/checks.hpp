// The admin endpoint's asynchronous checks, each awaited on the worker that serves the request.
#pragma once

#include <chrono>
#include <string>

#include "coproxy/admin/admin_server.hpp"
#include "coproxy/process/proxy.hpp"

namespace coproxy::admin {

// Liveness: every worker's loop runs a posted ping within `deadline`. Empty when all answered.
runtime::task<std::string> check_workers(process::proxy& proxy, unsigned here,
                                         std::chrono::milliseconds deadline);

// Readiness: not draining, and every pool has a server known reachable; a server whose last
// news is older than a few seconds is probed with a connect first. Empty when ready.
runtime::task<std::string> check_ready(process::proxy& proxy, unsigned here);

// Runs `reload` and waits for its outcome on this worker. Empty when applied.
runtime::task<std::string> run_reload(const reload_function& reload, unsigned here,
                                      process::proxy& proxy);

}  // namespace coproxy::admin
