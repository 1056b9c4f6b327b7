// Command counter cells; see commands.hpp.
#include "coproxy/frontend/commands.hpp"

#include "coproxy/protocol/memcache.hpp"
#include "coproxy/protocol/redis_commands.hpp"

namespace coproxy::frontend {
namespace {

constexpr std::size_t memcache_commands = protocol::memcache::command_count;

}  // namespace

std::size_t command_slots(config::protocol_kind protocol) {
    switch (protocol) {
        case config::protocol_kind::redis:
            return protocol::redis::all_commands().size() + 1;
        case config::protocol_kind::memcache:
            return memcache_commands + 1;
        case config::protocol_kind::tcp:
            break;
    }
    return 0;
}

std::string_view command_name(config::protocol_kind protocol, std::size_t index) {
    if (index + 1 >= command_slots(protocol)) {
        return "unknown";
    }
    if (protocol == config::protocol_kind::redis) {
        return protocol::redis::all_commands()[index].name;
    }
    return protocol::memcache::name(static_cast<protocol::memcache::command>(index));
}

}  // namespace coproxy::frontend
