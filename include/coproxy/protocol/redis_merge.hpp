// Merging the replies of a command sent to every server of a pool into the one reply a single
// Redis would give: SCRIPT LOAD's one sha, SCRIPT EXISTS's per-script AND, SCRIPT FLUSH's +OK,
// summed integers (DBSIZE) and KEYS's arrays end to end. Pure functions over complete replies.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "coproxy/protocol/redis_commands.hpp"

namespace coproxy::protocol::redis {

// The merged reply for `merge` (same_reply, all_true, all_ok, sum_integers or concat; any_value
// needs a random pick and is the caller's). An error reply from
// any server is the answer (the first one, in server order); a reply of the wrong shape becomes
// "-ERR unexpected reply from server".
std::string merge_replies(merge_kind merge, std::span<const std::string_view> replies);

}  // namespace coproxy::protocol::redis
