// One persistent connection to a server, shared by many clients' requests: requests are written
// in batches (one writev for everything queued), replies are matched to requests strictly in order.
// The pool's timeout is counted from when a request is written, not from when it was queued; when
// it runs out the connection is closed (later replies could no longer be matched) and every request
// still waiting on it gets an error reply, so no client ever waits forever. A connection that was
// serving is reopened at once when it fails; while a failed connect backs off, new requests fail
// at once with its reason, so an error always states the server's current state.
#pragma once

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "coproxy/config/pool.hpp"
#include "coproxy/runtime/buffer_pool.hpp"
#include "coproxy/runtime/event.hpp"
#include "coproxy/runtime/flush_queue.hpp"
#include "coproxy/runtime/io_buffer.hpp"
#include "coproxy/runtime/metrics.hpp"
#include "coproxy/runtime/ordered_writer.hpp"
#include "coproxy/runtime/transport.hpp"
#include "coproxy/runtime/types.hpp"
#include "coproxy/upstream/backend_protocol.hpp"
#include "coproxy/upstream/request.hpp"

namespace coproxy::upstream {

// What a connection reports to the pool that owns it (health accounting, ejection).
class connection_owner {
  public:
    virtual void connection_up(std::uint32_t server) = 0;
    virtual void connection_failed(std::uint32_t server, const std::string& reason) = 0;

  protected:
    ~connection_owner() = default;
};

// A connection in stream mode (a subscriber's) hands every reply to its listener, in arrival
// order, instead of matching replies to requests: pub/sub messages come unasked.
class stream_listener {
  public:
    virtual void on_stream_reply(std::uint32_t server, std::string_view reply) = 0;

  protected:
    ~stream_listener() = default;
};

struct connection_settings {
    std::shared_ptr<const config::pool_config> pool;
    std::shared_ptr<const backend_protocol> protocol;
    std::uint32_t server = 0;
    std::size_t max_in_flight = 1024;   // requests written and not yet answered
    stream_listener* stream = nullptr;  // set: stream mode
};

class server_connection final : public std::enable_shared_from_this<server_connection>,
                                public runtime::flushable {
  public:
    server_connection(runtime::executor ex, connection_settings settings,
                      runtime::server_metrics& metrics, runtime::buffer_pool& buffers,
                      runtime::flush_queue& flushes, connection_owner& owner);

    // Queues a request. Starts connecting when idle; fails it at once while backing off.
    void submit(request_ptr r);
    // Connects now (preconnect) when idle.
    void connect();
    // Closes for good: pending requests fail, the owner is never called again.
    void stop();

    std::size_t load() const { return to_send_.size() + sent_.size(); }
    bool up() const { return state_ == state::ready; }
    bool backing_off() const;

    // Writes queued requests with one non-blocking gather write (the flush queue calls it once
    // per event-loop round); when the socket pushes back, the writer coroutine takes over.
    void flush() override;

  private:
    enum class state : std::uint8_t { idle, connecting, ready, backoff, stopped };
    struct request_policy;

    runtime::task<void> run();
    runtime::task<bool> handshake();
    runtime::task<void> write_loop();
    runtime::task<void> read_loop();
    runtime::task<void> watch_timeouts();
    runtime::task<void> reconnect_later();
    bool deliver_replies();
    void fail(std::string reason);
    void fail_all(const std::string& reason);

    runtime::executor executor_;
    connection_settings settings_;
    runtime::server_metrics& metrics_;
    connection_owner* owner_;
    runtime::transport link_;
    std::unique_ptr<reply_reader> reader_;
    runtime::io_buffer in_;
    runtime::flush_queue& flushes_;
    std::deque<request_ptr> to_send_;  // not yet fully written; the first may be partly
    runtime::ordered_writer writer_;
    std::deque<request_ptr> sent_;  // written, awaiting their replies, in order
    std::vector<asio::const_buffer> gather_;
    request stream_head_;         // stream mode: what the reply reader is told each reply answers
    bool write_blocked_ = false;  // the socket took less than offered: wait until writable
    runtime::event wake_writer_;
    runtime::event wake_watch_;  // the first request of an idle connection was written
    runtime::steady_timer deadline_;
    runtime::steady_timer retry_timer_;
    state state_ = state::idle;
    std::string failure_;  // why the connection failed, for requests during the back-off
    runtime::clock::time_point retry_at_{};
    runtime::clock::time_point up_since_{};
    std::chrono::milliseconds backoff_{100};
};

}  // namespace coproxy::upstream
