// What Redis and memcached client sessions share: reading (wait for readability without holding a
// buffer, parse and dispatch, stop taking requests while too many are pending) and writing (replies
// strictly in request order, batched into one write per event-loop round), then a lingering close.
//
// A session is a set of plain handlers, not a coroutine: an idle client costs its slab slot, this
// object and one pending readiness wait. Which handlers may run is the session's phase; every
// handler that refers to the session is counted, and the slot is released only when the connection
// is closed and no handler is left.
#pragma once

#include <boost/container/deque.hpp>
#include <functional>
#include <memory>
#include <vector>

#include "coproxy/frontend/pool_service.hpp"
#include "coproxy/frontend/worker_state.hpp"
#include "coproxy/runtime/flush_queue.hpp"
#include "coproxy/runtime/io_buffer.hpp"
#include "coproxy/runtime/ordered_writer.hpp"
#include "coproxy/upstream/keyed_upstream.hpp"
#include "coproxy/upstream/request.hpp"
#include "frontend/fanout.hpp"

namespace coproxy::frontend {

class keyed_session : public session_state, public upstream::reply_sink, public runtime::flushable {
  public:
    keyed_session(worker_state& worker, slot_index index);
    ~keyed_session() override;

    // Starts serving. When the session is over it releases its slot (which destroys it).
    void start();
    void drain() override;
    void abort() override;
    void on_reply(upstream::request& r) override;
    void flush() override;

  protected:
    enum class step : std::uint8_t { need_more, paused, stop };

    // Parses what the buffer holds and dispatches each request; returns need_more when the buffer
    // is exhausted, paused when too many requests are pending, stop after QUIT or a fatal error
    // (whose reply, if any, it has queued).
    virtual step process() = 0;
    // The protocol's answer to a request beyond max_request_bytes (the connection then closes).
    virtual std::string_view too_large_reply() const = 0;
    // Reading has stopped (EOF, QUIT, an error): true when the replies still pending will never
    // come in useful time (a blocking command without end), so the connection closes now.
    virtual bool abandon_pending() { return false; }

    // A new request at the tail of the pending queue, its reply routed back here.
    upstream::request_ptr add_request();
    // A reply made by coproxy itself, in order with the others.
    void reply_local(std::string_view bytes);
    // A request of `bytes` (complete or not yet) past max_request_bytes gets the protocol's error;
    // true if it did (then process() returns stop).
    bool refuse_if_too_large(std::size_t bytes);
    bool too_many_pending() const { return pending_.size() >= max_pending; }
    void count_command(std::size_t cell) { metrics().commands[cell].add(); }

    // The pool's current service: after a reload, new requests go to the new server set.
    pool_service& service() { return *slot_.entry->service; }
    upstream::keyed_upstream& upstream() { return *service().keyed(); }
    worker_state& worker() { return worker_; }
    // Sends a request to a server, on this client's own connection to it.
    void submit(std::uint32_t server, upstream::request_ptr r) {
        upstream().submit(server, std::move(r), affinity_);
    }
    // Sends `r` (its payload set) to the server holding `key`, or answers that none is available.
    void forward(upstream::request_ptr r, std::string_view key);
    // The reply when no server can take a key (every server ejected).
    void refuse_unroutable(upstream::request& r);
    // Runs `f` on this worker after the current handler (after `delay`), unless the session is
    // closed by then.
    void defer(std::function<void()> f);
    void after(std::chrono::milliseconds delay, std::function<void()> f);
    // A request whose `count` keys (`key_at(i)`) may live on several servers: sent whole when they
    // share one (`whole(parent)` sets its payload), else split into one part per server by
    // `split(parent, groups) -> unique_ptr<fanout>`; refused when a key has no server.
    template <class KeyAt, class Whole, class Split>
    void fan_out(upstream::request_ptr&& parent, std::size_t count, KeyAt key_at, Whole whole,
                 Split split) {
        auto groups = group_by_server(
            count, key_at, [this](std::string_view key) { return upstream().route(key); });
        if (!groups) {
            refuse_unroutable(*parent);
        } else if (groups->servers.size() == 1) {
            whole(*parent);
            submit(groups->servers.front(), std::move(parent));
        } else {
            const std::vector<std::uint32_t> servers = groups->servers;
            metrics().fragments.add(servers.size());
            launch(*parent, split(*parent, std::move(*groups)), servers);
        }
    }
    // Sends part i of `group` to servers[i].
    void launch(upstream::request& parent, std::unique_ptr<fanout> group,
                std::span<const std::uint32_t> servers);
    runtime::pool_metrics& metrics() { return service().metrics(); }

    client_slot& slot_;
    runtime::io_buffer in_;

    // A pipelining client may have this many requests outstanding; beyond it coproxy stops
    // reading from it until replies drain (TCP back-pressure instead of unbounded memory).
    static constexpr std::size_t max_pending = 1024;

  private:
    enum class phase : std::uint8_t {
        reading,    // waiting for requests, or parsing what came
        paused,     // too many replies pending: reading resumes as they are written
        draining,   // asked to stop: what was already sent is answered, nothing more is read
        finishing,  // reading has stopped (EOF, QUIT, an error, drain): pending replies go out
        lingering,  // FIN sent: what the client still sends is discarded until it closes
        closed,     // the socket is closed; the slot goes once no handler is outstanding
    };
    struct reply_policy;

    // A handler that counts as outstanding until it has run; it does nothing once closed.
    template <class F>
    auto counted(F f);
    enum class input : std::uint8_t { none, some, full, closed };
    void wait_readable();
    void on_readable(const boost::system::error_code& ec);
    void serve_input(bool more);
    input read_available();
    void resume_reading();
    void reading_stopped();
    void wait_writable();
    void finish_if_done();
    void linger();
    void discard_input();
    void close();
    void release_when_idle();
    void watch_idle();

    worker_state& worker_;
    slot_index index_;
    std::uint32_t affinity_;
    // boost's deque allocates nothing until the first request (std::deque: 576 bytes at once).
    boost::container::deque<upstream::request_ptr> pending_;
    runtime::ordered_writer writer_;
    std::uint64_t queued_reply_bytes_ = 0;  // done, not yet written: bounded by client_output_limit
    std::unique_ptr<runtime::steady_timer> timer_;  // idle watch, then the linger deadline
    phase phase_ = phase::reading;
    std::uint8_t handlers_ = 0;   // outstanding handlers that refer to this session
    bool read_waiting_ = false;   // a readable wait is outstanding
    bool write_waiting_ = false;  // the socket took less than offered; a writable wait is out
};

}  // namespace coproxy::frontend
