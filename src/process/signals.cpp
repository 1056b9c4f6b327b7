// See signals.hpp.
#include "coproxy/process/signals.hpp"

#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/this_coro.hpp>
#include <cstdio>
#include <tuple>

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
        switch (signal) {
            case SIGINT:
            case SIGTERM:
                if (stopping) {
                    spdlog::warn("second signal: exiting now");
                    std::fflush(nullptr);
                    ::_exit(1);
                }
                stopping = true;
                spdlog::info("{}: shutting down gracefully",
                             signal == SIGTERM ? "SIGTERM" : "SIGINT");
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
                runtime::reopen_log();  // nutcracker's meaning (logrotate), then a reload
                reload.run("SIGHUP");
                break;
            case SIGUSR1:
                reload.run("SIGUSR1");
                break;
            case SIGTTIN:
            case SIGTTOU:
                spdlog::warn("log verbosity now {}",
                             runtime::adjust_verbosity(signal == SIGTTIN ? 1 : -1));
                break;
        }
    }
}

runtime::task<void> watch_config(reloader& reload) {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    auto identity = [&] {
        struct stat st {};
        if (::stat(reload.path().c_str(), &st) != 0) {
            return std::tuple<dev_t, ino_t, long, long, off_t>{};
        }
        return std::tuple{st.st_dev, st.st_ino, st.st_mtim.tv_sec, st.st_mtim.tv_nsec, st.st_size};
    };
    auto seen = identity();
    for (;;) {
        timer.expires_after(std::chrono::seconds(1));
        auto [ec] = co_await timer.async_wait(nothrow);
        if (ec) {
            co_return;
        }
        const auto now = identity();
        if (now != seen && now != decltype(now){}) {
            seen = now;
            reload.run("config file changed");
        }
    }
}

}  // namespace coproxy::process
