// A Redis session's connection state (see redis_session.hpp): the lease its transaction, WATCH or
// blocking command runs on, the transaction being queued, and its subscriptions with the
// connections they run on. Allocated when a client first needs any of it.
#pragma once

#include <deque>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "frontend/redis_session.hpp"

namespace coproxy::frontend {

// A (p|s)(un)subscribe whose reply waits for its servers' confirmations; the client gets the
// confirmations in the order it named the channels, with its own counts.
struct redis_session::pending_confirm {
    upstream::request_ptr parent;  // in the session's queue; answered when all have confirmed
    std::string text;
    std::size_t remaining = 0;

    void confirmed() {
        if (remaining > 0 && --remaining == 0 && parent) {
            parent->finish_local(text);
            parent = {};
        }
    }
    // The session lets go first: the client gets its answer all the same.
    ~pending_confirm() {
        if (parent && !parent->done) {
            parent->finish_local(text);
        }
    }
};

struct redis_session::connection_state {
    enum class tx_state : std::uint8_t { none, queuing, failed };

    upstream::lease lease;  // this client's own connection to one server
    tx_state tx = tx_state::none;
    bool multi_sent = false;      // the server has the MULTI: the lease carries the transaction
    bool watching = false;        // a WATCH is on the lease
    bool watch_lost = false;      // the connection holding the WATCH failed: EXEC answers nil
    bool release_posted = false;  // a check whether the lease can go back is on its way
    std::size_t blocking = 0;     // blocking commands in flight on the lease
    std::vector<upstream::request_ptr> held;  // sent once the transaction has a server
    std::size_t tx_commands = 0;
    std::uint64_t tx_bytes = 0;

    std::set<std::string> channels;
    std::set<std::string> patterns;
    std::set<std::string> shard_channels;
    std::vector<upstream::lease> subscribers;  // per server index
    // Per server, the confirmations expected from it, in order; null: a re-subscription's.
    std::vector<std::deque<std::shared_ptr<pending_confirm>>> awaiting;
    std::vector<runtime::clock::time_point> lost_at;  // per server: when its subscriber failed
};

}  // namespace coproxy::frontend
