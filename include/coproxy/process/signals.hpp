// Signals, handled on the control loop (the main thread): shutdown, log reopening, reloads and
// verbosity changes.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include "coproxy/config/options.hpp"
#include "coproxy/process/proxy.hpp"
#include "coproxy/process/reloader.hpp"

namespace coproxy::process {

// The signals handle_signals() serves; block them before any thread starts, so that workers
// never see them and a signal that comes early waits until the loop listens.
void block_handled_signals();
void unblock_handled_signals();

// SIGTERM/SIGINT: graceful shutdown (a second one: exit now); SIGHUP: reopen the log, then
// reload; SIGUSR1: reload; SIGTTIN/SIGTTOU: verbosity up/down.
runtime::task<void> handle_signals(asio::io_context& control, proxy& running, reloader& reload,
                                   const config::process_options& options);

}  // namespace coproxy::process
