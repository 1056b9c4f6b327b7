// libFuzzer target for the process options: argv, the COPROXY_* environment and the config file's
// `coproxy:` section. The input is split on NUL bytes; a piece "env:NAME=value" is an environment
// variable, "file:key=value" a file setting, anything else an argument. Seeds:
// options_fuzz_corpus/ (nutcracker's flags and options_test.cpp's cases). Invariants, checked
// with __builtin_trap():
//   nothing escapes parse_options or apply_file_settings; errors are non-empty strings, and a
//   file setting's error names the file; warnings (Kubernetes service links) name the variable;
//   whatever the input, every option stays within its table range, and an option no source
//   set keeps its default;
//   the same input gives the same result twice.
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "coproxy/config/options.hpp"

namespace {

using namespace coproxy::config;
using namespace std::chrono_literals;

constexpr std::string_view file_name = "fuzz.yml";

void check(bool ok) {
    if (!ok) {
        __builtin_trap();
    }
}

struct fuzz_input {
    std::vector<std::string> args{"coproxy"};
    std::map<std::string, std::string> env;
    std::vector<file_setting> settings;
};

fuzz_input split(std::string_view data) {
    fuzz_input in;
    for (int line = 1;; ++line) {
        const std::size_t end = data.find('\0');
        const std::string_view piece = data.substr(0, end);
        const std::size_t eq = piece.find('=');
        if (piece.starts_with("env:") && eq != std::string_view::npos) {
            in.env[std::string(piece.substr(4, eq - 4))] = std::string(piece.substr(eq + 1));
        } else if (piece.starts_with("file:") && eq != std::string_view::npos) {
            in.settings.push_back(
                {std::string(piece.substr(5, eq - 5)), std::string(piece.substr(eq + 1)), line});
        } else {
            in.args.emplace_back(piece);
        }
        if (end == std::string_view::npos) {
            break;
        }
        data.remove_prefix(end + 1);
    }
    return in;
}

options_result run(const fuzz_input& in) {
    std::vector<const char*> argv;
    for (const auto& a : in.args) {
        argv.push_back(a.c_str());
    }
    const env_lookup env = [&](const std::string& name) -> std::optional<std::string> {
        const auto it = in.env.find(name);
        return it == in.env.end() ? std::nullopt : std::optional(it->second);
    };
    try {
        options_result r = parse_options(static_cast<int>(argv.size()), argv.data(), env);
        check(r.sources.size() == option_table().size());
        for (const auto& e : r.errors) {
            check(!e.empty());
        }
        for (const auto& w : r.warnings) {
            check(w.starts_with("ignoring environment COPROXY_"));
        }
        const std::size_t errors_before = r.errors.size();
        apply_file_settings(r, in.settings, file_name);
        for (std::size_t i = errors_before; i < r.errors.size(); ++i) {
            check(r.errors[i].starts_with(std::string(file_name) + ":"));
        }
        return r;
    } catch (...) {
        check(false);  // an exception that escaped the option parsers: a finding
    }
    return {};
}

void check_ranges(const process_options& o) {
    check(o.verbose >= 0 && o.verbose <= 11);
    check(o.stats_port >= 0 && o.stats_port <= 65535);
    check(o.stats_interval >= 1ms && o.stats_interval <= 24h);
    check(o.mbuf_size >= 512 && o.mbuf_size <= 16 * 1024 * 1024);
    check(o.threads >= 0 && o.threads <= 1024);
    check(o.max_clients >= 1 && o.max_clients <= 10'000'000);
    check(o.shutdown_timeout >= 0ms && o.shutdown_timeout <= 24h);
    check(o.drain_delay >= 0ms && o.drain_delay <= 24h);
    check(o.log_format == log_format::text || o.log_format == log_format::json);
    check(o.admin_max_connections >= 1 && o.admin_max_connections <= 100'000);
}

// Every option's value as text, by its table name.
std::map<std::string_view, std::string> values_of(const process_options& o) {
    return {
        {"help", std::to_string(o.help)},
        {"version", std::to_string(o.version)},
        {"test-conf", std::to_string(o.test_conf)},
        {"daemonize", std::to_string(o.daemonize)},
        {"describe-stats", std::to_string(o.describe_stats)},
        {"describe-config", std::to_string(o.describe_config)},
        {"verbose", std::to_string(o.verbose)},
        {"output", o.output},
        {"conf-file", o.conf_file},
        {"stats-port", std::to_string(o.stats_port)},
        {"stats-addr", o.stats_addr},
        {"stats-interval", std::to_string(o.stats_interval.count())},
        {"pid-file", o.pid_file},
        {"mbuf-size", std::to_string(o.mbuf_size)},
        {"threads", std::to_string(o.threads)},
        {"max-clients", std::to_string(o.max_clients)},
        {"shutdown-timeout", std::to_string(o.shutdown_timeout.count())},
        {"drain-delay", std::to_string(o.drain_delay.count())},
        {"log-format", std::to_string(static_cast<int>(o.log_format))},
        {"admin-addr", o.admin_addr},
        {"admin-max-connections", std::to_string(o.admin_max_connections)},
        {"watch-config", std::to_string(o.watch_config)},
    };
}

// Options no source set keep their defaults; returns every value and error as text.
std::string check_and_describe(const options_result& r) {
    static const auto defaults = values_of(process_options{});
    const auto values = values_of(r.options);
    check(values.size() == option_table().size());  // else an option this target does not know
    std::string out;
    for (const auto& e : r.errors) {
        out += e + "\n";
    }
    for (const auto& w : r.warnings) {
        out += w + "\n";
    }
    for (std::size_t i = 0; i < option_table().size(); ++i) {
        const std::string_view name = option_table()[i].name;
        const std::string& value = values.at(name);
        check(r.sources[i] != option_source::unset || value == defaults.at(name));
        out += std::string(name) + "=" + std::to_string(static_cast<int>(r.sources[i])) + ":" +
               std::to_string(value.size()) + ":" + value + "\n";
    }
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const fuzz_input in = split({reinterpret_cast<const char*>(data), size});
    const options_result r = run(in);
    check_ranges(r.options);
    check(check_and_describe(run(in)) == check_and_describe(r));
    return 0;
}
