// The pool key table (one row per key: name, type, default, description, parser) and the
// whole-pool checks that run after every key has been read.
#pragma once

#include <yaml-cpp/yaml.h>

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "coproxy/config/loader.hpp"

namespace coproxy::config {

// A pool while it is being read: keys whose meaning depends on other keys wait here.
struct pool_draft {
    pool_config cfg;
    std::optional<bool> redis;
    std::optional<protocol_kind> protocol;
    std::optional<distribution_kind> distribution;
};

struct key_problem {
    int line = 0;     // 0: the line of the key itself
    std::string key;  // set by whole-pool checks
    std::string message;
};

using key_setter = std::vector<key_problem> (*)(pool_draft&, const YAML::Node&);

struct pool_key {
    pool_key_info info;
    key_setter set;
};

const pool_key* find_pool_key(std::string_view name);

// "; did you mean 'hash_tag'?" when a known key is close to `unknown`, else empty.
std::string suggest_key(std::string_view unknown);

std::vector<key_problem> finish_pool(pool_draft& draft, const std::set<std::string>& present);

}  // namespace coproxy::config
