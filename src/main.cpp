// coproxy's entry point: flags, config, logging, process set-up, then the control loop that
// turns signals into shutdown, log reopening and level changes while the workers serve.
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "coproxy/admin/admin_server.hpp"
#include "coproxy/admin/render.hpp"
#include "coproxy/config/loader.hpp"
#include "coproxy/config/options.hpp"
#include "coproxy/frontend/proxy.hpp"
#include "coproxy/runtime/log.hpp"
#include "coproxy/runtime/metrics.hpp"
#include "coproxy/runtime/spawn.hpp"
#include "coproxy/runtime/system.hpp"
#include "coproxy/version.hpp"
#include "reload.hpp"

namespace {

using namespace coproxy;
using runtime::nothrow;
const std::string banner = "coproxy-" + std::string(coproxy::version);

std::optional<std::string> from_environment(const std::string& name) {
    const char* value = std::getenv(name.c_str());
    return value != nullptr ? std::optional<std::string>(value) : std::nullopt;
}

void describe_stats() {
    std::printf("This is %s\n\n%s", banner.c_str(), admin::describe_stats().c_str());
}

// Descriptors the configuration can need at once: every client, a server socket per tcp client,
// pooled and warm server connections, listeners, and some slack for logs and the admin side.
std::uint64_t required_fds(const config::config& cfg, const config::process_options& o,
                           unsigned workers) {
    std::uint64_t clients = static_cast<std::uint64_t>(o.max_clients);
    std::uint64_t servers = 0;
    bool tcp = false;
    for (const auto& p : cfg.pools) {
        tcp = tcp || p.protocol == config::protocol_kind::tcp;
        servers += std::uint64_t{workers} * p.servers.size() * p.server_connections;
    }
    return clients * (tcp ? 2 : 1) + servers + std::uint64_t{workers} * cfg.pools.size() + 64;
}

runtime::task<void> handle_signals(asio::io_context& control, frontend::proxy& proxy,
                                   reloader& reload, const config::process_options& options,
                                   asio::signal_set& signals) {
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
                               proxy.shutdown(signal == SIGTERM ? options.drain_delay
                                                                : std::chrono::milliseconds(0),
                                              proxy.current_options().shutdown_timeout),
                               [&control](std::exception_ptr) { control.stop(); });
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

// --watch-config: reload when the file changes. Kubernetes updates a ConfigMap volume by
// swapping a symlink, so the file is stat()ed through links and compared by inode and mtime.
runtime::task<void> watch_config(asio::io_context& control, reloader& reload) {
    asio::steady_timer timer(control);
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

int fail(const std::string& message) {
    std::fprintf(stderr, "coproxy: %s\n", message.c_str());
    return 1;
}

}  // namespace

int main(int argc, char** argv) {
    auto parsed = config::parse_options(argc, argv, from_environment);
    if (!parsed.errors.empty()) {
        for (const auto& e : parsed.errors) {
            std::fprintf(stderr, "coproxy: %s\n", e.c_str());
        }
        std::fprintf(stderr, "try 'coproxy --help'\n");
        return 1;
    }
    if (parsed.options.help) {
        std::printf("This is %s\n\n%s", banner.c_str(), config::usage_text().c_str());
        return 0;
    }
    if (parsed.options.version) {
        std::printf("This is %s\n", banner.c_str());
        return 0;
    }
    if (parsed.options.describe_stats) {
        describe_stats();
        return 0;
    }
    if (parsed.options.describe_config) {
        std::printf("%s", config::describe_config().c_str());
        return 0;
    }

    const std::string path = parsed.options.conf_file;
    auto loaded = config::load_config_file(path);
    if (!loaded.ok()) {
        for (const auto& e : loaded.errors) {
            std::fprintf(stderr, "coproxy: %s\n", e.to_string().c_str());
        }
        return fail("configuration file '" + path + "' syntax is invalid");
    }
    const config::options_result flags_and_environment = parsed;
    config::apply_file_settings(parsed, loaded.value->settings, path);
    if (!parsed.errors.empty()) {
        for (const auto& e : parsed.errors) {
            std::fprintf(stderr, "coproxy: %s\n", e.c_str());
        }
        return fail("configuration file '" + path + "' syntax is invalid");
    }
    const config::process_options& options = parsed.options;
    if (options.test_conf) {
        std::printf("coproxy: configuration file '%s' syntax is ok\n", path.c_str());
        return 0;
    }

    if (options.daemonize) {
        if (auto error = runtime::daemonize(); !error.empty()) {
            return fail("cannot daemonize: " + error);
        }
    }
    if (auto error = runtime::init_logging(options); !error.empty()) {
        spdlog::error("{}; logging to stderr", error);
    }
    for (const auto& warning : parsed.warnings) {
        spdlog::warn("{}", warning);
    }
    if (::geteuid() == 0) {
        // Nothing here needs privileges: a compromise should not hand out root.
        spdlog::warn(
            "running as root; coproxy needs no privileges, run it as an unprivileged user");
    }
    // The control loop handles these signals; until it listens they wait, blocked (as PID 1 in a
    // container, an unhandled SIGTERM would otherwise be ignored). Workers inherit the mask and
    // never see them.
    sigset_t handled;
    sigemptyset(&handled);
    for (int s : {SIGINT, SIGTERM, SIGHUP, SIGUSR1, SIGTTIN, SIGTTOU}) {
        sigaddset(&handled, s);
    }
    ::pthread_sigmask(SIG_BLOCK, &handled, nullptr);
    std::optional<runtime::pid_file> pid;
    if (!options.pid_file.empty()) {
        pid.emplace(options.pid_file);
        if (!pid->error().empty()) {
            spdlog::error("{}", pid->error());
            return 1;
        }
    }
    ::signal(SIGPIPE, SIG_IGN);

    const unsigned workers =
        options.threads > 0 ? static_cast<unsigned>(options.threads) : runtime::available_cpus();
    const auto fds = runtime::raise_fd_limit(required_fds(*loaded.value, options, workers));
    if (!fds.ok()) {
        spdlog::warn(
            "this configuration may need {} file descriptors but the limit is {}; clients beyond "
            "it will be refused at accept. Raise it (ulimit -n, LimitNOFILE=) or lower "
            "--max-clients",
            fds.wanted, fds.limit);
    }

    asio::io_context control(1);
    frontend::proxy proxy(options, workers);
    if (auto error = proxy.start(*loaded.value); !error.empty()) {
        spdlog::critical("{}", error);
        return 1;
    }
    reloader reload(proxy, flags_and_environment, path);
    admin::admin_server admin(proxy, [&control, &reload](auto done) {
        asio::post(control, [&reload, done] { done(reload.run("POST /reload")); });
    });
    if (auto error = admin.start_http(options.admin_addr); !error.empty()) {
        spdlog::critical("admin endpoint: {}", error);
        return 1;
    }
    if (auto error =
            admin.start_stats(options.stats_addr, options.stats_port, options.stats_interval);
        !error.empty()) {
        spdlog::critical("stats port: {}", error);
        return 1;
    }
    if (!options.admin_addr.empty()) {
        spdlog::info("admin endpoint on http://{}/ (metrics, healthz, readyz, config, stats)",
                     options.admin_addr);
    }
    spdlog::info("{} started: {} workers, {} pools, max {} clients, fd limit {}", banner, workers,
                 loaded.value->pools.size(), options.max_clients, fds.limit);
    for (const auto& pool : loaded.value->pools) {
        spdlog::info("pool '{}': {} on {} -> {} servers", pool.name,
                     config::to_string(pool.protocol), pool.listen.to_string(),
                     pool.servers.size());
    }
    asio::signal_set signals(control, SIGINT, SIGTERM, SIGHUP);
    for (int s : {SIGUSR1, SIGTTIN, SIGTTOU}) {
        signals.add(s);
    }
    ::pthread_sigmask(SIG_UNBLOCK, &handled, nullptr);  // a signal that came early arrives now
    asio::co_spawn(control, handle_signals(control, proxy, reload, options, signals),
                   runtime::log_exceptions{"signal handling"});
    if (options.watch_config) {
        asio::co_spawn(control, watch_config(control, reload),
                       runtime::log_exceptions{"config watch"});
    }
    control.run();
    spdlog::info("stopped");
    return 0;
}
