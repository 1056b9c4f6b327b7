// Process-wide options: nutcracker's flags (same letters, same meanings) plus coproxy's own. One
// table row per option drives the struct field, its default, --help, the COPROXY_<FLAG> environment
// variable and the `coproxy:` section of the config file. Precedence: flag > environment > file.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace coproxy::config {

enum class log_format : std::uint8_t { text, json };

struct process_options {
    bool help = false;
    bool version = false;
    bool test_conf = false;
    bool daemonize = false;
    bool describe_stats = false;
    bool describe_config = false;
    int verbose = 5;
    std::string output;  // empty: stderr
    std::string conf_file = "/etc/coproxy/coproxy.yml";
    int stats_port = 22222;
    std::string stats_addr = "0.0.0.0";
    std::chrono::milliseconds stats_interval{30000};
    std::string pid_file;
    std::size_t mbuf_size = 16384;
    int threads = 0;  // 0: the CPUs this process may use
    int max_clients = 10000;
    std::chrono::milliseconds shutdown_timeout{30000};
    std::chrono::milliseconds drain_delay{5000};
    config::log_format log_format = config::log_format::text;
    std::string admin_addr = "0.0.0.0:22223";
    int admin_max_connections = 64;  // admin HTTP connections at once, all workers
    bool watch_config = false;
};

// Where an option's value came from; later sources never override earlier ones.
enum class option_source : std::uint8_t { unset, command_line, environment, file };

struct option_info {
    std::string_view name;  // long flag name, e.g. "max-clients"
    char short_name;        // nutcracker's letter, or 0
    std::string_view type;  // "flag", "int", "string", "duration", "bytes", "enum"
    std::string_view default_text;
    std::string_view description;
    bool in_file;  // may be set in the config file's `coproxy:` section
};

std::span<const option_info> option_table();

// "max-clients" -> "COPROXY_MAX_CLIENTS"; "max-clients" -> "max_clients" (file key).
std::string env_name(std::string_view option);
std::string file_key(std::string_view option);

struct options_result {
    process_options options;
    std::vector<option_source> sources;  // parallel to option_table()
    std::vector<std::string> errors;
    std::vector<std::string> warnings;  // ignored environment values, to be logged

    // Whether the option `name` ("admin-addr") was given (flag, environment or file), not left
    // at its default.
    bool given(std::string_view name) const;
};

using env_lookup = std::function<std::optional<std::string>(const std::string&)>;

// Parses argv, then the COPROXY_* environment (via `env`, so tests need not touch the real one).
options_result parse_options(int argc, const char* const* argv, const env_lookup& env);

// Applies `key: value` pairs from the config file's `coproxy:` section to options not already set
// by a flag or the environment. Errors name the key and line.
struct file_setting {
    std::string key;
    std::string value;
    int line;
};
void apply_file_settings(options_result& result, std::span<const file_setting> settings,
                         std::string_view file);

// Checks a single file key without applying it (used by the loader to report unknown keys).
bool is_file_option(std::string_view key);

// The --help text, generated from the table.
std::string usage_text();

// "30s", "500ms", "2m", or a bare number counted in `unit` -> duration.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text,
                                                        std::chrono::milliseconds unit);

}  // namespace coproxy::config
