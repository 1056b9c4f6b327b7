// Per-command request counters: which command each counter cell stands for, per protocol. Redis
// cells follow the command table's rows, memcached cells its command enum; one last cell counts
// commands coproxy did not know.
#pragma once

#include <cstddef>
#include <string_view>

#include "coproxy/config/pool.hpp"

namespace coproxy::frontend {

std::size_t command_slots(config::protocol_kind protocol);
// The name of cell `index` ("get", "mget", ...; "unknown" for the last cell).
std::string_view command_name(config::protocol_kind protocol, std::size_t index);

}  // namespace coproxy::frontend
