// Parsers for twemproxy's address strings: `listen:` values and `servers:` entries.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "coproxy/config/pool.hpp"

namespace coproxy::config {

template <class T>
struct parsed {
    std::optional<T> value;
    std::string error;
};

// "127.0.0.1:22121", "localhost:22121", "[::1]:22121", "/run/coproxy.sock 0666"
parsed<listen_address> parse_listen(std::string_view text);

// "127.0.0.1:6379:1", "cache-1.internal:11211:2 shard1", "[::1]:6379:1", "/tmp/r.sock:1 name"
parsed<server_config> parse_server(std::string_view text);

}  // namespace coproxy::config
