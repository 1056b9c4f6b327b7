// See signals.hpp.
#include "coproxy/process/signals.hpp"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/this_coro.hpp>
#include <cstdio>

#include "coproxy/runtime/crash.hpp"
#include "coproxy/runtime/log.hpp"
#include "coproxy/runtime/spawn.hpp"

namespace coproxy::process {
namespace {

using runtime::nothrow;

constexpr int handled[] = {SIGINT, SIGTERM, SIGHUP, SIGUSR1, SIGTTIN, SIGTTOU};

sigset_t handled_set() {
    sigset_t set;
    sigemptyset(&set);
    for (int s : handled) {
        sigaddset(&set, s);
    }
    return set;
}

}  // namespace

void block_handled_signals() {
    const sigset_t set = handled_set();
    ::pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

void unblock_handled_signals() {
    const sigset_t set = handled_set();
    ::pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
}

runtime::task<void> handle_signals(asio::io_context& control, proxy& running, reloader& reload,
                                   const config::process_options& options) {
    asio::signal_set signals(control);
    for (int s : handled) {
        signals.add(s);
    }
    unblock_handled_signals();  // a signal that came early arrives now
    bool stopping = false;
    for (;;) {
        auto [ec, signal] = co_await signals.async_wait(nothrow);
        if (ec) {
            co_return;
        }
        const char* name = runtime::signal_name(signal);
        switch (signal) {
            case SIGINT:
            case SIGTERM:
                if (stopping) {
                    spdlog::warn("{}: a second stop signal, exiting now", name);
                    std::fflush(nullptr);
                    ::_exit(1);
                }
                stopping = true;
                spdlog::info("{}: shutting down gracefully", name);
                // Kubernetes sends SIGTERM and needs time to take the pod out of its endpoints;
                // an operator's Ctrl-C means "stop now, politely".
                asio::co_spawn(control,
                               running.shutdown(signal == SIGTERM ? options.drain_delay
                                                                  : std::chrono::milliseconds(0),
                                                running.current_options().shutdown_timeout),
                               [&control](std::exception_ptr e) {
                                   runtime::log_exception("shutdown", e);
                                   control.stop();
                               });
                break;
            case SIGHUP:
                spdlog::info("{}: reopening the log file, then reloading", name);
                runtime::reopen_log();  // nutcracker's meaning (logrotate), then a reload
                reload.run(name);
                break;
            case SIGUSR1:
                reload.run(name);
                break;
            case SIGTTIN:
            case SIGTTOU:
                spdlog::warn("{}: log verbosity now {}", name,
                             runtime::adjust_verbosity(signal == SIGTTIN ? 1 : -1));
                break;
        }
    }
}

}  // namespace coproxy::process
