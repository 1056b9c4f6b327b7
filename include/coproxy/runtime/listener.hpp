// Listening sockets and the accept loop. Sockets are opened on the main thread, before workers get
// them, so a bind error is reported before anything serves (and a bad reload changes nothing):
// TCP gets one socket per worker with SO_REUSEPORT (the kernel spreads connections), a unix socket
// one socket shared by every worker's acceptor through dup().
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "coproxy/config/pool.hpp"
#include "coproxy/runtime/fd.hpp"
#include "coproxy/runtime/types.hpp"

namespace coproxy::runtime {

struct opened_listener {
    std::vector<unique_fd> per_worker;  // empty on error
    stream_protocol protocol{AF_INET, 0};
    std::string error;
    bool in_use = false;  // the error is EADDRINUSE: someone else listens there
};

// `shared_with_others`: the pool's `reuseport: true`; without it, binding an address another
// process already listens on fails instead of silently splitting its traffic.
opened_listener open_listener(const config::listen_address& address, int backlog,
                              bool shared_with_others, unsigned workers);

using accept_handler = std::function<void(stream_socket&&)>;

// Accepts until the acceptor is closed. Transient errors retry; EMFILE/ENFILE/ENOBUFS/ENOMEM pause
// this listener with a growing back-off (never a busy loop), logged at most once a second.
task<void> accept_loop(acceptor& listener, accept_handler on_accept, std::string name);

}  // namespace coproxy::runtime
