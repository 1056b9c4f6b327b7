// What Redis and memcached client sessions share: a reader that waits for readability without
// holding a buffer, parses and dispatches (the protocol part), and stops taking requests while too
// many are pending; and a writer that sends completed replies strictly in request order, batched
// into one write. Both run for the life of the connection; the session ends when the reader has
// stopped and every pending reply has been written.
#pragma once

#include <boost/asio/cancellation_signal.hpp>
#include <boost/container/deque.hpp>
#include <vector>

#include "coproxy/frontend/pool_service.hpp"
#include "coproxy/frontend/worker_state.hpp"
#include "coproxy/runtime/event.hpp"
#include "coproxy/runtime/flush_queue.hpp"
#include "coproxy/runtime/io_buffer.hpp"
#include "coproxy/upstream/keyed_upstream.hpp"
#include "coproxy/upstream/request.hpp"

namespace coproxy::frontend {

class keyed_session : public session_state, public upstream::reply_sink, public runtime::flushable {
  public:
    keyed_session(client_slot& slot, worker_state& worker);
    ~keyed_session() override;

    runtime::task<void> run();
    void drain() override;
    void abort() override;
    void on_reply(upstream::request& r) override;
    void flush() override;

  protected:
    enum class step : std::uint8_t { need_more, paused, stop };

    // Parses what the buffer holds and dispatches each request; returns need_more when the buffer
    // is exhausted, paused when too many requests are pending, stop after QUIT or a fatal error.
    virtual step process() = 0;
    // The protocol's answer to a request beyond max_request_bytes (the connection then closes).
    virtual std::string_view too_large_reply() const = 0;

    // A new request at the tail of the pending queue, its reply routed back here.
    upstream::request_ptr add_request();
    // A reply made by coproxy itself, in order with the others.
    void reply_local(std::string_view bytes);
    // No request will be read after this one; the connection closes once replies are out.
    void stop_reading() { closing_ = true; }
    // A request of `bytes` (complete or not yet) past max_request_bytes gets the protocol's error
    // and ends the reading; true if it did.
    bool refuse_if_too_large(std::size_t bytes);
    bool too_many_pending() const { return pending_.size() >= max_pending; }
    void count_command(std::size_t cell) { metrics().commands[cell].add(); }

    // The pool's current service: after a reload, new requests go to the new server set.
    pool_service& service() { return *slot_.entry->service; }
    upstream::keyed_upstream& upstream() { return *service().keyed(); }
    // Sends a request to a server, on this client's own connection to it.
    void submit(std::uint32_t server, upstream::request_ptr r) {
        upstream().submit(server, std::move(r), affinity_);
    }
    runtime::pool_metrics& metrics() { return service().metrics(); }

    client_slot& slot_;
    runtime::io_buffer in_;

    // A pipelining client may have this many requests outstanding; beyond it coproxy stops
    // reading from it until replies drain (TCP back-pressure instead of unbounded memory).
    static constexpr std::size_t max_pending = 1024;

  private:
    runtime::task<void> serve();
    runtime::task<void> read_requests();
    runtime::task<void> finish_writing();
    void wait_writable();
    runtime::task<void> idle_watch(std::chrono::milliseconds idle);
    runtime::task<void> close_lingering();
    bool read_available();
    void written(std::size_t bytes);

    upstream::request_pool& requests_;
    runtime::flush_queue& flushes_;
    std::uint32_t affinity_;
    // boost's deque allocates nothing until the first request (std::deque: 576 bytes at once).
    boost::container::deque<upstream::request_ptr> pending_;
    std::vector<asio::const_buffer>& gather_;  // the worker's scratch
    std::size_t head_written_ = 0;             // bytes of the first pending reply already written
    bool write_blocked_ = false;  // the socket took less than offered: wait until writable
    bool write_waiting_ = false;  // wait_writable()'s handler is outstanding
    std::uint64_t queued_reply_bytes_ = 0;  // done, not yet written: bounded by client_output_limit
    runtime::event writer_wake_;
    runtime::event room_;
    runtime::steady_timer idle_timer_;
    asio::cancellation_signal stop_wait_;  // ends the reader's wait for bytes (drain)
    bool closing_ = false;
    bool aborted_ = false;
    bool more_ = false;  // the last read filled its buffer: read again before waiting
    bool reader_done_ = false;
    bool writer_done_ = false;
};

}  // namespace coproxy::frontend
