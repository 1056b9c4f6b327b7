// Reads a twemproxy-style YAML file into pool configs and the `coproxy:` process section.
// Validation runs per field, then across fields and pools; every error names the file, line,
// pool and key, and all errors are reported at once.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "coproxy/config/options.hpp"
#include "coproxy/config/pool.hpp"

namespace coproxy::config {

struct config_error {
    std::string file;
    int line = 0;
    std::string pool;  // empty for file-level errors
    std::string key;   // empty for pool-level errors
    std::string message;
    // "file:line: pool 'alpha': key 'hash': unknown hash 'fnv2'; one of ..."
    std::string to_string() const;
};

struct config {
    std::string path;
    std::vector<pool_config> pools;
    std::vector<file_setting> settings;  // the `coproxy:` section, applied by apply_file_settings
};

struct load_result {
    std::optional<config> value;
    std::vector<config_error> errors;
    bool ok() const { return value.has_value(); }
};

load_result load_config_file(const std::string& path);
load_result parse_config(std::string_view text, std::string_view source_name);

// The pool keys, one row each: drives validation, `--describe-config` and the README reference.
struct pool_key_info {
    std::string_view name;
    std::string_view type;
    std::string_view default_text;
    std::string_view description;
    bool from_twemproxy;  // false: a coproxy addition
};
std::span<const pool_key_info> pool_key_table();

// Text for --describe-config: every pool key and every option, with defaults.
std::string describe_config();

}  // namespace coproxy::config
