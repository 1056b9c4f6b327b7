// The effective configuration as YAML in twemproxy's layout, every key spelled out with its
// value (defaults included). Used for GET /config (secrets redacted) and, unredacted, to tell
// whether a reload changed a pool.
#pragma once

#include <string>

#include "coproxy/config/loader.hpp"
#include "coproxy/config/options.hpp"
#include "coproxy/config/pool.hpp"

namespace coproxy::config {

enum class secrets : std::uint8_t { shown, redacted };

// One pool, as `name:` followed by its keys.
std::string render_pool(const pool_config& pool, secrets s);
// The `coproxy:` process section followed by every pool.
std::string render_config(const config& cfg, const process_options& options, secrets s);

}  // namespace coproxy::config
