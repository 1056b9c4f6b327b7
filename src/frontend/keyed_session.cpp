// The reading, writing and closing every keyed session does; see keyed_session.hpp.
#include "frontend/keyed_session.hpp"

#include <spdlog/spdlog.h>

#include "coproxy/runtime/idle_watchdog.hpp"
#include "frontend/sessions.hpp"

namespace coproxy::frontend {
namespace {

using namespace std::chrono_literals;

constexpr std::size_t max_batch_replies = 256;
constexpr std::size_t max_batch_bytes = 256 * 1024;
constexpr std::size_t read_size = 4096;
// After the last reply, how long a client may take to close its side before coproxy closes.
constexpr auto linger_time = 2s;

}  // namespace

// Replies go out when done, in order; quiet ones (noreply) are popped without a byte written.
struct keyed_session::reply_policy {
    keyed_session& s;
    runtime::clock::time_point now = runtime::clock::now();

    bool ready(const upstream::request_ptr& r, std::size_t) const { return r->done; }
    std::string_view bytes(const upstream::request_ptr& r) const {
        return r->quiet ? std::string_view() : std::string_view(r->reply);
    }
    void written(upstream::request_ptr& r) {
        s.metrics().responses.add();
        s.metrics().latency.observe(now - r->created);
        s.queued_reply_bytes_ -= r->reply.size();
    }
};

keyed_session::keyed_session(worker_state& worker, slot_index index)
    : slot_(worker.slab[index]),
      in_(worker.buffers),
      worker_(worker),
      index_(index),
      affinity_(worker.sessions_started++),  // spreads clients over server_connections
      writer_(max_batch_replies, max_batch_bytes) {}

keyed_session::~keyed_session() {
    // Requests still on their way belong to server queues now; they must not call back here.
    for (auto& r : pending_) {
        r->sink = nullptr;
    }
}

template <class F>
auto keyed_session::counted(F f) {
    ++handlers_;
    return [this, f = std::move(f)](auto&&... args) mutable {
        --handlers_;
        if (phase_ != phase::closed) {
            f(args...);
        }
        if (phase_ == phase::closed) {
            release_when_idle();
        }
    };
}

void keyed_session::start() {
    if (service().config().idle_timeout.count() > 0) {
        watch_idle();
    }
    // Most clients have sent their first request by the time the accept completes: read before
    // waiting for readability.
    const input got = read_available();
    if (got == input::closed) {
        reading_stopped();
        return;
    }
    serve_input(got == input::full);
}

upstream::request_ptr keyed_session::add_request() {
    auto r = worker_.requests.make();
    r->sink = this;
    pending_.push_back(r);
    metrics().requests.add();
    return r;
}

void keyed_session::reply_local(std::string_view bytes) {
    add_request()->finish_local(bytes);
}

void keyed_session::defer(std::function<void()> f) {
    asio::post(worker_.worker.get_executor(), counted([f = std::move(f)] { f(); }));
}

void keyed_session::after(std::chrono::milliseconds delay, std::function<void()> f) {
    auto timer = std::make_shared<runtime::steady_timer>(worker_.worker.get_executor(), delay);
    timer->async_wait(counted([timer, f = std::move(f)](const boost::system::error_code& ec) {
        if (!ec) {
            f();
        }
    }));
}

void keyed_session::refuse_unroutable(upstream::request& r) {
    r.finish(upstream().protocol().error_reply("no server is available for this key"), true);
}

void keyed_session::forward(upstream::request_ptr r, std::string_view key) {
    const auto server = upstream().route(key);
    if (!server) {
        refuse_unroutable(*r);
        return;
    }
    submit(*server, std::move(r));
}

void keyed_session::launch(upstream::request& parent, std::unique_ptr<fanout> group,
                           std::span<const std::uint32_t> servers) {
    fanout::launch(
        parent, std::move(group), servers,
        [this](std::uint32_t server, const upstream::request_ptr& part) { submit(server, part); });
}

void keyed_session::on_reply(upstream::request& r) {
    if (r.failed) {
        metrics().forward_error.add();  // coproxy answered for a server it could not use
    }
    if (phase_ == phase::closed) {
        return;
    }
    queued_reply_bytes_ += r.reply.size();
    if (queued_reply_bytes_ > service().config().client_output_limit) {
        // Perhaps over the limit only because this round's flush has not run yet (a server read
        // brought many replies at once): write now (flush() does nothing while it waits for the
        // client to drain its socket), and cut off only what the client does not take.
        flush();
        if (phase_ == phase::closed) {
            return;
        }
    }
    if (queued_reply_bytes_ > service().config().client_output_limit) {
        // A client that sends and never reads: cut it off rather than buffer without end.
        metrics().client_output_overflows.add();
        spdlog::warn("pool '{}': client cut off: {} bytes of replies waiting (client_output_limit)",
                     service().config().name, queued_reply_bytes_);
        abort();
        return;
    }
    if (!pending_.empty() && pending_.front().get() == &r) {
        worker_.flushes.add(*this);  // written with whatever else is ready this round
    }
}

// Checked on the bytes of a partial request as they arrive and on every complete one, so that a
// request is refused however the network split it.
bool keyed_session::refuse_if_too_large(std::size_t bytes) {
    if (bytes <= service().config().effective_max_request_bytes()) {
        return false;
    }
    metrics().protocol_errors.add();
    reply_local(too_large_reply());
    return true;
}

// What the client has already sent is answered (one last read takes what the kernel holds); then
// the connection closes once its replies are written.
void keyed_session::drain() {
    if (phase_ != phase::reading && phase_ != phase::paused) {
        return;
    }
    const bool paused = phase_ == phase::paused;
    phase_ = phase::draining;
    const input got = read_available();
    if (got == input::closed && !paused) {
        reading_stopped();
    } else if (!paused) {
        serve_input(false);  // a paused session serves its input when replies make room
    }
}

void keyed_session::abort() {
    close();
}

void keyed_session::wait_readable() {
    if (read_waiting_) {
        return;
    }
    read_waiting_ = true;
    slot_.client.async_wait_readable(
        counted([this](const boost::system::error_code& ec) { on_readable(ec); }));
}

void keyed_session::on_readable(const boost::system::error_code& ec) {
    read_waiting_ = false;
    if (phase_ == phase::lingering) {
        discard_input();
        return;
    }
    if (phase_ != phase::reading) {
        return;  // paused, draining or finishing: not reading now
    }
    const input got = ec ? input::closed : read_available();
    if (got == input::closed) {
        reading_stopped();
        return;
    }
    serve_input(got == input::full);
}

// Parses and dispatches what the buffer holds, reading more while the client has sent more,
// until the input is exhausted (then waits for readability), the session pauses, or it stops.
void keyed_session::serve_input(bool more) {
    for (;;) {
        const step s = process();
        if (phase_ == phase::closed) {
            return;  // a dispatch cut the client off
        }
        if (s == step::stop) {
            reading_stopped();
            return;
        }
        if (s == step::paused) {
            if (phase_ == phase::reading) {
                phase_ = phase::paused;
            }
            return;
        }
        if (refuse_if_too_large(in_.size()) || phase_ == phase::draining) {
            reading_stopped();
            return;
        }
        if (!more) {
            in_.release_if_empty();  // idle connections hold no buffer
            wait_readable();
            return;
        }
        const input got = read_available();
        if (got == input::closed) {
            reading_stopped();
            return;
        }
        more = got == input::full;
    }
}

// Reads what the socket holds without waiting.
keyed_session::input keyed_session::read_available() {
    auto buf = in_.prepare(read_size);
    boost::system::error_code ec;
    const std::size_t n = slot_.client.read_some(asio::buffer(buf.data(), buf.size()), ec);
    if (runtime::would_block(ec)) {
        return input::none;
    }
    if (ec == asio::error::eof) {
        metrics().client_eof.add();
        return input::closed;
    }
    if (ec) {
        metrics().client_err.add();
        return input::closed;
    }
    in_.commit(n);
    metrics().client_bytes_in.add(n);
    slot_.last_active = runtime::clock::now();
    return n == buf.size() ? input::full : input::some;  // a full read: more is probably waiting
}

// Replies made room below max_pending: a paused session goes on with its buffered input, after
// the write that made the room has returned.
void keyed_session::resume_reading() {
    if (phase_ == phase::paused) {
        phase_ = phase::reading;
    } else if (phase_ != phase::draining) {
        return;
    }
    asio::post(worker_.worker.get_executor(), counted([this] {
                   if (phase_ == phase::reading || phase_ == phase::draining) {
                       serve_input(false);
                   }
               }));
}

void keyed_session::reading_stopped() {
    if (phase_ == phase::closed) {
        return;
    }
    phase_ = phase::finishing;
    if (!pending_.empty() && abandon_pending()) {
        abort();  // as Redis frees a blocked client that closed
        return;
    }
    flush();
}

// Writes the completed replies at the head of the queue, in order, with one non-blocking gather
// write; when the socket takes less, a writable wait resumes it.
void keyed_session::flush() {
    if (write_waiting_ || phase_ == phase::closed || phase_ == phase::lingering) {
        return;
    }
    const bool was_full = too_many_pending();
    reply_policy policy{*this};
    std::size_t bytes = 0;
    boost::system::error_code ec;
    const auto result = writer_.write(slot_.client, pending_, policy, worker_.gather, bytes, ec);
    metrics().client_bytes_out.add(bytes);
    slot_.last_active = policy.now;
    if (result == runtime::ordered_writer::result::failed) {
        abort();  // the client is gone: stop reading too
        return;
    }
    if (was_full && !too_many_pending()) {
        resume_reading();
    }
    if (result == runtime::ordered_writer::result::blocked) {
        wait_writable();
        return;
    }
    finish_if_done();
}

// The socket took less than offered: flush again once it is writable. Only outstanding while the
// client is slow to read.
void keyed_session::wait_writable() {
    write_waiting_ = true;
    slot_.client.async_wait_writable(counted([this](const boost::system::error_code& ec) {
        write_waiting_ = false;
        if (ec) {
            abort();
        } else {
            flush();
        }
    }));
}

void keyed_session::finish_if_done() {
    if (phase_ == phase::finishing && pending_.empty() && !write_waiting_) {
        linger();
    }
}

// A close with unread input sends a reset, and a reset can destroy replies still on their way to
// the client. So: FIN after the last reply, then discard what the client still sends until it
// closes too (or linger_time passes), then close.
void keyed_session::linger() {
    phase_ = phase::lingering;
    boost::system::error_code ec;
    slot_.client.shutdown_send(ec);
    if (ec) {
        close();
        return;
    }
    if (!timer_) {
        timer_ = std::make_unique<runtime::steady_timer>(worker_.worker.get_executor());
    }
    timer_->expires_after(linger_time);  // ends the idle watch, if any
    timer_->async_wait(counted([this](const boost::system::error_code& waited) {
        if (!waited) {
            close();
        }
    }));
    wait_readable();
}

void keyed_session::discard_input() {
    char sink[512];
    boost::system::error_code ec;
    while (slot_.client.read_some(asio::buffer(sink), ec) > 0 && !ec) {
    }
    if (runtime::would_block(ec)) {
        wait_readable();
    } else {
        close();  // the client closed too (or reset)
    }
}

void keyed_session::close() {
    if (phase_ == phase::closed) {
        return;
    }
    phase_ = phase::closed;
    slot_.client.close();
    if (timer_) {
        timer_->cancel();
    }
    release_when_idle();
}

// The slot (and with it this session) is released once the socket is closed and every handler
// that refers to the session has run. The release counts as a handler, so it is posted once.
void keyed_session::release_when_idle() {
    if (phase_ != phase::closed || handlers_ != 0) {
        return;
    }
    ++handlers_;
    asio::post(worker_.worker.get_executor(),
               [&worker = worker_, index = index_] { release_client(worker, index); });
}

// Closes a client that has neither sent a request nor waited for a reply for idle_timeout.
void keyed_session::watch_idle() {
    timer_ = std::make_unique<runtime::steady_timer>(worker_.worker.get_executor());
    runtime::async_wait_idle(
        *timer_, slot_.last_active, service().config().idle_timeout,
        [this] {
            if (phase_ == phase::lingering || phase_ == phase::closed) {
                return runtime::activity::ended;
            }
            return pending_.empty() ? runtime::activity::waiting : runtime::activity::busy;
        },
        counted([this](const boost::system::error_code& ec) {
            if (!ec) {
                metrics().client_idle_timeouts.add();
                abort();
            }
        }));
}

}  // namespace coproxy::frontend
