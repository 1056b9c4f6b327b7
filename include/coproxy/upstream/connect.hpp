// Connecting to a backend: resolve (host names are resolved on every connect, so DNS changes are
// followed), try each address until one accepts or the timeout runs out, then tune the socket.
#pragma once

#include <boost/system/error_code.hpp>
#include <chrono>

#include "coproxy/config/pool.hpp"
#include "coproxy/runtime/types.hpp"

namespace coproxy::upstream {

struct connect_result {
    boost::system::error_code error;  // asio::error::timed_out when the timeout ran out
    runtime::stream_socket socket;
};

runtime::task<connect_result> connect_to(runtime::executor ex, const config::server_config& server,
                                         std::chrono::milliseconds timeout, bool keepalive);

// TCP_NODELAY (TCP sockets only: requests are small and latency-bound) and SO_KEEPALIVE when asked.
// `family` is the socket's address family, known to the caller (no getsockname per connection).
void tune_socket(runtime::stream_socket& socket, int family, bool keepalive);

}  // namespace coproxy::upstream
