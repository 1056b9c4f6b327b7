// The option table and its three readers: argv (Boost.Program_options), COPROXY_* environment
// variables and the config file's `coproxy:` section. Every value goes through the same typed
// parser, so a bad value gets the same message whichever way it arrived.
#include "coproxy/config/options.hpp"

#include <algorithm>
#include <boost/program_options.hpp>
#include <cctype>
#include <charconv>
#include <limits>
#include <variant>

#include "config/values.hpp"

namespace coproxy::config {
namespace {

namespace po = boost::program_options;
using millis = std::chrono::milliseconds;
using P = process_options;

using field = std::variant<bool P::*, int P::*, std::string P::*, millis P::*, std::size_t P::*,
                           log_format P::*>;

struct option_row {
    option_info info;
    field target;
    long long min = 0;
    long long max = std::numeric_limits<int>::max();
    millis unit{1};  // what a bare number means for durations
};

constexpr millis ms{1};
constexpr millis sec{1000};

// clang-format off
const option_row rows[] = {
    {{"help", 'h', "flag", "", "this help", false}, &P::help},
    {{"version", 'V', "flag", "", "show version and exit", false}, &P::version},
    {{"test-conf", 't', "flag", "", "test configuration for syntax errors and exit", false},
     &P::test_conf},
    {{"daemonize", 'd', "flag", "false", "run as a daemon", true}, &P::daemonize},
    {{"describe-stats", 'D', "flag", "", "print stats description and exit", false},
     &P::describe_stats},
    {{"describe-config", 0, "flag", "", "print every config key and flag, then exit", false},
     &P::describe_config},
    {{"verbose", 'v', "int", "5", "set logging level (0-11, nutcracker's scale)", true},
     &P::verbose, 0, 11},
    {{"output", 'o', "string", "stderr", "set logging file", true}, &P::output},
    {{"conf-file", 'c', "string", "/etc/coproxy/coproxy.yml", "set configuration file", false},
     &P::conf_file},
    {{"stats-port", 's', "int", "22222", "set stats monitoring port (0 disables)", true},
     &P::stats_port, 0, 65535},
    {{"stats-addr", 'a', "string", "0.0.0.0", "set stats monitoring ip", true}, &P::stats_addr},
    {{"stats-interval", 'i', "duration", "30000ms",
      "set stats aggregation interval (bare number: msec)", true},
     &P::stats_interval, 1, 86'400'000, ms},
    {{"pid-file", 'p', "string", "none", "set pid file", true}, &P::pid_file},
    {{"mbuf-size", 'm', "bytes", "16384", "set size of I/O buffers in bytes (512 - 16777216)", true},
     &P::mbuf_size, 512, 16 * 1024 * 1024},
    {{"threads", 0, "int", "CPUs available", "worker threads, one event loop each (0: auto)", true},
     &P::threads, 0, 1024},
    {{"max-clients", 0, "int", "10000", "process-wide limit on client connections", true},
     &P::max_clients, 1, 10'000'000},
    {{"shutdown-timeout", 0, "duration", "30s",
      "time open connections get to finish on shutdown (bare number: seconds)", true},
     &P::shutdown_timeout, 0, 86'400'000, sec},
    {{"drain-delay", 0, "duration", "5s",
      "on SIGTERM, keep accepting this long while readiness fails (bare number: seconds)", true},
     &P::drain_delay, 0, 86'400'000, sec},
    {{"log-format", 0, "enum", "text", "log line format: text or json", true}, &P::log_format},
    {{"admin-addr", 0, "string", "0.0.0.0:22223",
      "admin HTTP endpoint address (metrics, health); empty disables it", true},
     &P::admin_addr},
    {{"admin-max-connections", 0, "int", "64",
      "admin HTTP connections served at once; more are refused (503) and counted", true},
     &P::admin_max_connections, 1, 100'000},
    {{"watch-config", 0, "flag", "false", "reload when the config file changes", true},
     &P::watch_config},
};
// clang-format on

const option_info* infos() {
    static const auto table = [] {
        std::vector<option_info> v;
        for (const auto& r : rows) {
            v.push_back(r.info);
        }
        return v;
    }();
    return table.data();
}

// Parses `text` into the row's field. Returns an error message, empty on success.
std::string assign(const option_row& row, process_options& out, std::string_view text) {
    const auto range_error = [&] {
        return "must be between " + std::to_string(row.min) + " and " + std::to_string(row.max);
    };
    return std::visit(
        [&](auto member) -> std::string {
            using T = std::remove_reference_t<decltype(out.*member)>;
            if constexpr (std::is_same_v<T, bool>) {
                auto v = parse_bool(text);
                if (!v) {
                    return "expected true or false, got '" + std::string(text) + "'";
                }
                out.*member = *v;
            } else if constexpr (std::is_same_v<T, std::string>) {
                out.*member = std::string(trim(text));
            } else if constexpr (std::is_same_v<T, log_format>) {
                const std::string v = lowercase(trim(text));
                if (v != "text" && v != "json") {
                    return "expected text or json, got '" + std::string(text) + "'";
                }
                out.*member = v == "json" ? log_format::json : log_format::text;
            } else if constexpr (std::is_same_v<T, millis>) {
                auto v = parse_duration(text, row.unit);
                if (!v) {
                    return "expected a duration like 30s, 500ms or 2m, got '" + std::string(text) +
                           "'";
                }
                if (v->count() < row.min || v->count() > row.max) {
                    return range_error() + " ms";
                }
                out.*member = *v;
            } else {
                auto v = parse_integer(text);
                if (!v) {
                    return "expected an integer, got '" + std::string(text) + "'";
                }
                if (*v < row.min || *v > row.max) {
                    return range_error();
                }
                out.*member = static_cast<T>(*v);
            }
            return {};
        },
        row.target);
}

std::string flag_spec(const option_row& row) {
    std::string spec(row.info.name);
    if (row.info.short_name != 0) {
        spec += ',';
        spec += row.info.short_name;
    }
    return spec;
}

}  // namespace

bool options_result::given(std::string_view name) const {
    for (std::size_t i = 0; i < std::size(rows) && i < sources.size(); ++i) {
        if (rows[i].info.name == name) {
            return sources[i] != option_source::unset;
        }
    }
    return false;
}

std::span<const option_info> option_table() {
    return {infos(), std::size(rows)};
}

std::string env_name(std::string_view option) {
    std::string out = "COPROXY_";
    for (char c : option) {
        out += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    return out;
}

std::string file_key(std::string_view option) {
    std::string out(option);
    std::replace(out.begin(), out.end(), '-', '_');
    return out;
}

bool is_file_option(std::string_view key) {
    return std::any_of(std::begin(rows), std::end(rows), [&](const option_row& r) {
        return r.info.in_file && file_key(r.info.name) == key;
    });
}

std::optional<millis> parse_duration(std::string_view text, millis unit) {
    text = trim(text);
    std::size_t digits = 0;
    while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') {
        ++digits;
    }
    auto number = parse_integer(text.substr(0, digits));
    if (!number || *number > 86'400'000'000LL) {
        return std::nullopt;
    }
    const std::string_view suffix = text.substr(digits);
    long long factor = unit.count();
    if (suffix == "ms") {
        factor = 1;
    } else if (suffix == "s") {
        factor = 1000;
    } else if (suffix == "m") {
        factor = 60'000;
    } else if (suffix == "h") {
        factor = 3'600'000;
    } else if (!suffix.empty()) {
        return std::nullopt;
    }
    return millis{*number * factor};
}

options_result parse_options(int argc, const char* const* argv, const env_lookup& env) {
    options_result result;
    result.sources.assign(std::size(rows), option_source::unset);

    po::options_description desc;
    for (const auto& row : rows) {
        if (row.info.type == "flag") {
            desc.add_options()(flag_spec(row).c_str(), po::bool_switch());
        } else {
            desc.add_options()(flag_spec(row).c_str(), po::value<std::string>());
        }
    }
    // "--admin-addr=" means an empty value, which program_options refuses to see after '=': pass it
    // as "--admin-addr" "" instead.
    std::vector<std::string> args(argv, argv + argc);
    for (std::size_t i = 1; i < args.size(); ++i) {
        if (args[i].size() > 3 && args[i].rfind("--", 0) == 0 && args[i].back() == '=' &&
            args[i].find('=') == args[i].size() - 1) {
            args[i].pop_back();
            args.insert(args.begin() + static_cast<std::ptrdiff_t>(i) + 1, std::string());
            ++i;
        }
    }
    std::vector<const char*> pointers;
    pointers.reserve(args.size());
    for (const auto& a : args) {
        pointers.push_back(a.c_str());
    }
    po::variables_map vm;
    try {
        po::store(po::command_line_parser(static_cast<int>(pointers.size()), pointers.data())
                      .options(desc)
                      .run(),
                  vm);
    } catch (const po::error& e) {
        result.errors.push_back(e.what());
        return result;
    }

    for (std::size_t i = 0; i < std::size(rows); ++i) {
        const option_row& row = rows[i];
        const std::string name(row.info.name);
        std::string error;
        if (vm.count(name) != 0 && !vm[name].defaulted()) {
            error = row.info.type == "flag"
                        ? assign(row, result.options, "true")
                        : assign(row, result.options, vm[name].as<std::string>());
            result.sources[i] = option_source::command_line;
            if (!error.empty()) {
                result.errors.push_back("option '--" + name + "': " + error);
            }
        } else if (auto value = env(env_name(row.info.name))) {
            // Kubernetes injects <SERVICE>_PORT=tcp://10.0.0.1:22222 for every Service in the
            // namespace; a Service named coproxy-stats yields COPROXY_STATS_PORT.
            if (value->rfind("tcp://", 0) == 0 || value->rfind("udp://", 0) == 0 ||
                value->rfind("sctp://", 0) == 0) {
                result.warnings.push_back(
                    "ignoring environment " + env_name(row.info.name) + "='" + *value +
                    "': a Kubernetes service link, not a setting (set enableServiceLinks: false)");
                continue;
            }
            error = assign(row, result.options, *value);
            result.sources[i] = option_source::environment;
            if (!error.empty()) {
                result.errors.push_back("environment " + env_name(row.info.name) + ": " + error);
            }
        }
    }
    return result;
}

void apply_file_settings(options_result& result, std::span<const file_setting> settings,
                         std::string_view file) {
    for (const auto& setting : settings) {
        const auto* it = std::find_if(std::begin(rows), std::end(rows), [&](const option_row& r) {
            return r.info.in_file && file_key(r.info.name) == setting.key;
        });
        const std::string where = std::string(file) + ":" + std::to_string(setting.line) +
                                  ": section 'coproxy': key '" + setting.key + "': ";
        if (it == std::end(rows)) {
            result.errors.push_back(where + "unknown key");
            continue;
        }
        const auto index = static_cast<std::size_t>(it - std::begin(rows));
        if (result.sources[index] != option_source::unset) {
            continue;  // a flag or the environment wins over the file
        }
        if (auto error = assign(*it, result.options, setting.value); !error.empty()) {
            result.errors.push_back(where + error);
            continue;
        }
        result.sources[index] = option_source::file;
    }
}

std::string usage_text() {
    std::string out =
        "Usage: coproxy [options]\n\n"
        "Options (each long option can also be set as the environment variable COPROXY_<NAME>,\n"
        "e.g. COPROXY_MAX_CLIENTS, or in the config file's `coproxy:` section, e.g. max_clients;\n"
        "a flag beats the environment, which beats the file):\n";
    // Built by append() only: GCC 12 at -O3 reports a false -Werror=restrict in the inlined
    // operator+ chains this loop used to have (GCC bug 105651).
    for (const auto& row : rows) {
        const std::size_t line_start = out.size();
        out.append("  ");
        if (row.info.short_name != 0) {
            out.append(1, '-').append(1, row.info.short_name).append(", ");
        } else {
            out.append("    ");
        }
        out.append("--").append(row.info.name);
        if (row.info.type != "flag") {
            out.append(row.info.type == "string" ? "=S" : "=N");
        }
        // The descriptions start in column 30, or one space after a longer flag.
        const std::size_t width = out.size() - line_start;
        out.append(std::max<std::size_t>(width + 1, 30) - width, ' ');
        out.append(": ").append(row.info.description);
        if (!row.info.default_text.empty()) {
            out.append(" (default: ").append(row.info.default_text).append(")");
        }
        out.append(1, '\n');
    }
    return out;
}

}  // namespace coproxy::config
