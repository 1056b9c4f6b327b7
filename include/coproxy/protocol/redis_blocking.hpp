// Where a blocking Redis command keeps its keys and its timeout: BLPOP/BRPOP/BZPOPMIN/BZPOPMAX
// (keys, then seconds), BLMOVE and BRPOPLPUSH (two keys, then seconds), BLMPOP and BZMPOP
// (seconds, numkeys, keys), XREAD and XREADGROUP (BLOCK milliseconds, keys after STREAMS), WAIT
// (milliseconds, no key). Pure: the frontend leases a connection and gives the request this long.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace coproxy::protocol::redis {

struct blocking_call {
    std::vector<std::string_view> keys;
    // How long the command may block, in ms: 0 for ever; nullopt when it does not block at all
    // (XREAD without BLOCK), and then it is an ordinary keyed request.
    std::optional<std::int64_t> timeout_ms;
    std::string error;  // Redis's own error for a malformed timeout or key count; empty when fine
};

// `argv` must have passed the command table's arity check.
blocking_call parse_blocking(std::span<const std::string_view> argv);

}  // namespace coproxy::protocol::redis
