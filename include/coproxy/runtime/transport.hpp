// A connection's byte stream, beneath client sessions and server connections. Today it is a plain
// non-blocking socket; TLS arrives here, as OpenSSL on the same socket, without touching the code
// above. Nothing here blocks: read_some() and write_some() take what the kernel has or takes now,
// and the readiness waits complete when the next call can make progress.
#pragma once

#include <span>

#include "coproxy/runtime/types.hpp"

namespace coproxy::runtime {

class transport {
  public:
    explicit transport(stream_socket socket) : socket_(std::move(socket)) {}
    transport(transport&&) noexcept = default;
    transport& operator=(transport&&) noexcept = default;

    stream_socket& socket() { return socket_; }
    executor get_executor() { return socket_.get_executor(); }
    bool is_open() const { return socket_.is_open(); }

    // Bytes available now. `ec` is would_block when there are none yet, eof when the peer closed.
    std::size_t read_some(asio::mutable_buffer buffer, boost::system::error_code& ec) {
        return socket_.read_some(buffer, ec);
    }

    // Writes from `buffers` in order what the connection takes now and returns how much it took.
    // `ec` is would_block when the caller must wait_writable() before offering more; it may have
    // taken part of the bytes even then.
    std::size_t write_some(std::span<const asio::const_buffer> buffers,
                           boost::system::error_code& ec) {
        return socket_.write_some(buffers, ec);
    }

    // Complete when a read (a write) may make progress; cancelled by cancel() and close().
    template <class Token>
    auto async_wait_readable(Token&& token) {
        return socket_.async_wait(stream_socket::wait_read, std::forward<Token>(token));
    }
    template <class Token>
    auto async_wait_writable(Token&& token) {
        return socket_.async_wait(stream_socket::wait_write, std::forward<Token>(token));
    }

    // Ends the sending direction (a FIN); reading goes on.
    void shutdown_send(boost::system::error_code& ec) {
        socket_.shutdown(stream_socket::shutdown_send, ec);
    }
    // Completes every wait with operation_aborted; the connection stays open.
    void cancel() {
        boost::system::error_code ignored;
        socket_.cancel(ignored);
    }
    void close() {
        boost::system::error_code ignored;
        socket_.close(ignored);
    }

  private:
    stream_socket socket_;
};

}  // namespace coproxy::runtime
