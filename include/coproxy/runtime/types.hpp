// The Asio types every networked module shares. Sockets are bound to io_context's own executor
// (smaller than any_io_executor, and a socket never leaves its worker's loop); client and server
// sockets use the generic stream protocol so TCP and unix sockets share one code path.
#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/basic_socket_acceptor.hpp>
#include <boost/asio/basic_stream_socket.hpp>
#include <boost/asio/basic_waitable_timer.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>

namespace coproxy {

namespace asio = boost::asio;

namespace runtime {

using executor = asio::io_context::executor_type;
using stream_protocol = asio::generic::stream_protocol;
using stream_socket = asio::basic_stream_socket<stream_protocol, executor>;
using acceptor = asio::basic_socket_acceptor<stream_protocol, executor>;
using clock = std::chrono::steady_clock;
using steady_timer = asio::basic_waitable_timer<clock, asio::wait_traits<clock>, executor>;

template <class T = void>
using task = asio::awaitable<T>;

// The completion token for coroutine steps whose errors are expected values (EOF, a reset, a
// timeout), never exceptions: `auto [ec, n] = co_await s.async_read_some(b, nothrow);`.
inline constexpr auto nothrow = asio::as_tuple(asio::use_awaitable);

// A non-blocking read or write found the socket empty or full: not an error, wait and retry.
inline bool would_block(const boost::system::error_code& ec) {
    return ec == asio::error::would_block || ec == asio::error::try_again;
}

}  // namespace runtime
}  // namespace coproxy
