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
#include "coproxy/process/config_watch.hpp"
#include "coproxy/process/proxy.hpp"
#include "coproxy/process/reloader.hpp"
#include "coproxy/process/signals.hpp"
#include "coproxy/runtime/crash.hpp"
#include "coproxy/runtime/log.hpp"
#include "coproxy/runtime/metrics.hpp"
#include "coproxy/runtime/spawn.hpp"
#include "coproxy/runtime/system.hpp"
#include "coproxy/version.hpp"

namespace {

using namespace coproxy;
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
        servers += std::uint64_t{workers} * p.servers.size() *
                   static_cast<std::uint64_t>(p.server_connections);
    }
    return clients * (tcp ? 2 : 1) + servers + std::uint64_t{workers} * cfg.pools.size() + 64;
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
    // Taken before the read, so --watch-config sees any change made after it.
    const process::file_identity loaded_version = process::identify(path);
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

    // With -d the started process waits for this one's report: every failure from here on
    // goes through start_failed(), so the command that started coproxy fails with it.
    runtime::daemon_start daemon;
    if (options.daemonize) {
        std::string error;
        daemon = runtime::daemon_start::daemonize(error);
        if (!error.empty()) {
            return fail("cannot daemonize: " + error);
        }
    }
    const auto start_failed = [&daemon](const std::string& message) {
        spdlog::critical("{}", message);
        daemon.failed(message);
        return 1;
    };
    if (auto error = runtime::init_logging(options); !error.empty()) {
        spdlog::error("{}; logging to stderr", error);
    }
    runtime::install_crash_handlers();
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
    process::block_handled_signals();
    std::optional<runtime::pid_file> pid;
    if (!options.pid_file.empty()) {
        pid.emplace(options.pid_file);
        if (!pid->error().empty()) {
            return start_failed(pid->error());
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
    process::proxy proxy(options, workers);
    if (auto error = proxy.start(*loaded.value); !error.empty()) {
        return start_failed(error);
    }
    process::reloader reload(proxy, flags_and_environment, path);
    admin::admin_server admin(proxy, [&control, &reload](auto done) {
        asio::post(control, [&reload, done] { done(reload.run("POST /reload")); });
    });
    // The default admin address must never keep an instance from starting: a second coproxy on
    // the host (one per pool, as with nutcracker) runs without it. One given explicitly must bind.
    bool admin_in_use = false;
    bool admin_up = !options.admin_addr.empty();
    if (auto error = admin.start_http(options.admin_addr, &admin_in_use); !error.empty()) {
        if (parsed.given("admin-addr") || !admin_in_use) {
            return start_failed("admin endpoint: " + error);
        }
        spdlog::warn(
            "admin endpoint: the default address {} is taken (another coproxy on this host?); "
            "running without metrics and health endpoints. Set --admin-addr to another address, "
            "or --admin-addr= to turn it off",
            options.admin_addr);
        admin_up = false;
    }
    if (auto error =
            admin.start_stats(options.stats_addr, options.stats_port, options.stats_interval);
        !error.empty()) {
        return start_failed("stats port: " + error);
    }
    if (admin_up) {
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
    asio::co_spawn(control, process::handle_signals(control, proxy, reload, options),
                   runtime::log_exceptions{"signal handling"});
    if (options.watch_config) {
        asio::co_spawn(control,
                       process::watch_config(path, loaded_version,
                                             [&reload] { reload.run("config file changed"); }),
                       runtime::log_exceptions{"config watch"});
    }
    daemon.succeeded();
    control.run();
    spdlog::info("stopped");
    return 0;
}
