// The reader and writer every keyed session runs; see keyed_session.hpp.
#include "frontend/keyed_session.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/write.hpp>

namespace coproxy::frontend {
namespace {

using namespace asio::experimental::awaitable_operators;
using runtime::nothrow;

constexpr std::size_t max_batch_replies = 256;
constexpr std::size_t max_batch_bytes = 256 * 1024;

}  // namespace

keyed_session::keyed_session(client_slot& slot, worker_state& worker)
    : slot_(slot),
      in_(worker.buffers),
      requests_(worker.requests),
      flushes_(worker.flushes),
      affinity_(worker.sessions_started++),  // spreads clients over server_connections
      gather_(worker.gather),
      writer_wake_(worker.worker.get_executor()),
      room_(worker.worker.get_executor()),
      idle_timer_(worker.worker.get_executor()) {}

keyed_session::~keyed_session() {
    // Requests still on their way belong to server queues now; they must not call back here.
    for (auto& r : pending_) {
        r->sink = nullptr;
    }
}

upstream::request_ptr keyed_session::add_request() {
    auto r = requests_.make();
    r->sink = this;
    pending_.push_back(r);
    metrics().requests.add();
    return r;
}

void keyed_session::reply_local(std::string_view bytes) {
    add_request()->finish_local(bytes);
}

void keyed_session::on_reply(upstream::request& r) {
    if (r.failed) {
        metrics().forward_error.add();  // coproxy answered for a server it could not use
    }
    queued_reply_bytes_ += r.reply.size();
    if (queued_reply_bytes_ > service().config().client_output_limit && !aborted_) {
        // A client that sends and never reads: cut it off rather than buffer without end.
        metrics().client_output_overflows.add();
        spdlog::warn("pool '{}': client cut off: {} bytes of replies waiting (client_output_limit)",
                     service().config().name, queued_reply_bytes_);
        abort();
        return;
    }
    if (!pending_.empty() && pending_.front().get() == &r) {
        flushes_.add(*this);  // written with whatever else is ready this round
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
    stop_reading();
    return true;
}

void keyed_session::drain() {
    closing_ = true;
    stop_wait_.emit(asio::cancellation_type::terminal);
    writer_wake_.notify();
}

void keyed_session::abort() {
    closing_ = true;
    aborted_ = true;
    boost::system::error_code ignored;
    slot_.socket.close(ignored);
    writer_wake_.cancel();
    room_.cancel();
    idle_timer_.cancel();
}

// One coroutine per idle client, not three: writes happen in flush() (from the worker's flush
// queue) and a write that blocks waits with a plain handler, so only reading needs a frame. The
// idle watch runs beside it only when the pool has an idle_timeout. This keeps an idle client's
// memory small (bench/memory.sh).
runtime::task<void> keyed_session::run() {
    const auto idle = service().config().idle_timeout;
    if (idle.count() == 0) {
        co_await serve();
    } else {
        co_await (serve() && idle_watch(idle));
    }
    if (!aborted_) {
        co_await close_lingering();
    }
}

runtime::task<void> keyed_session::serve() {
    co_await read_requests();
    co_await finish_writing();
    writer_done_ = true;
    idle_timer_.cancel();
}

// A close with unread input sends a reset, and a reset can destroy replies still on their way to
// the client. So: FIN after the last reply, then discard what the client still sends until it
// closes too (or 2 s pass), then close.
runtime::task<void> keyed_session::close_lingering() {
    boost::system::error_code ec;
    slot_.socket.shutdown(runtime::stream_socket::shutdown_send, ec);
    runtime::steady_timer deadline(slot_.socket.get_executor());
    deadline.expires_after(std::chrono::seconds(2));
    char sink[512];
    while (!ec) {
        auto r = co_await (slot_.socket.async_wait(runtime::stream_socket::wait_read, nothrow) ||
                           deadline.async_wait(nothrow));
        if (r.index() == 1 || std::get<0>(std::get<0>(r))) {
            break;
        }
        while (slot_.socket.read_some(asio::buffer(sink), ec) > 0) {
        }
        if (runtime::would_block(ec)) {
            ec = {};
        }
    }
}

// Reads what the socket holds without blocking; false on EOF or error.
bool keyed_session::read_available() {
    auto buf = in_.prepare(4096);
    boost::system::error_code ec;
    const std::size_t n = slot_.socket.read_some(asio::buffer(buf.data(), buf.size()), ec);
    if (runtime::would_block(ec)) {
        more_ = false;
        return true;
    }
    if (ec == asio::error::eof) {
        metrics().client_eof.add();
        return false;
    }
    if (ec) {
        metrics().client_err.add();
        return false;
    }
    in_.commit(n);
    more_ = n == buf.size();  // a full read: more is probably waiting
    metrics().client_bytes_in.add(n);
    slot_.last_active = runtime::clock::now();
    return true;
}

runtime::task<void> keyed_session::read_requests() {
    bool last_pass = false;
    for (;;) {
        const step s = process();
        if (s == step::stop || aborted_) {
            break;
        }
        if (s == step::paused) {
            auto [ec] = co_await room_.async_wait(nothrow);
            if (ec) {
                break;
            }
            continue;
        }
        if (refuse_if_too_large(in_.size())) {
            break;
        }
        if (last_pass) {
            break;
        }
        if (closing_) {
            // Draining: what the client has already sent is answered; nothing more is read.
            last_pass = true;
            if (!read_available()) {
                break;
            }
            continue;
        }
        if (!more_) {
            in_.release_if_empty();  // idle connections hold no buffer
            auto [ec] = co_await slot_.socket.async_wait(
                runtime::stream_socket::wait_read,
                asio::bind_cancellation_slot(stop_wait_.slot(), nothrow));
            if (closing_) {
                continue;
            }
            if (ec) {
                break;
            }
        }
        if (!read_available()) {
            break;
        }
    }
    closing_ = true;
    reader_done_ = true;
    writer_wake_.notify();
}

// Writes the completed replies at the head of the queue, in order, with one non-blocking gather
// write; when the socket takes less, wait_writable() resumes it.
void keyed_session::flush() {
    if (write_blocked_ || aborted_) {
        return;
    }
    while (!pending_.empty() && pending_.front()->done) {
        gather_.clear();
        std::size_t bytes = 0;
        std::size_t count = 0;
        for (const auto& r : pending_) {
            if (!r->done || gather_.size() >= max_batch_replies || bytes >= max_batch_bytes) {
                break;
            }
            if (!r->quiet) {
                std::string_view reply = r->reply;
                if (count == 0) {
                    reply.remove_prefix(head_written_);
                }
                gather_.push_back(asio::buffer(reply));
                bytes += reply.size();
            }
            ++count;
        }
        std::size_t n = 0;
        if (!gather_.empty()) {
            boost::system::error_code ec;
            n = slot_.socket.write_some(gather_, ec);
            if (runtime::would_block(ec)) {
                n = 0;
            } else if (ec) {
                abort();  // the client is gone: stop the reader too
                return;
            }
        }
        metrics().client_bytes_out.add(n);
        written(n);
        if (n < bytes) {
            write_blocked_ = true;
            wait_writable();
            return;
        }
    }
    if (reader_done_ && pending_.empty()) {
        writer_wake_.notify();  // nothing left to write: let the session end
    }
}

// Pops the replies written in full; quiet ones (nothing to write) go when reached. A reader paused
// on a full queue resumes as soon as there is room, even when the write then blocks.
void keyed_session::written(std::size_t n) {
    const bool was_full = too_many_pending();
    const auto now = runtime::clock::now();
    while (!pending_.empty() && pending_.front()->done) {
        auto& r = *pending_.front();
        const std::size_t rest = r.quiet ? 0 : r.reply.size() - head_written_;
        if (n < rest) {
            head_written_ += n;
            break;
        }
        n -= rest;
        head_written_ = 0;
        metrics().responses.add();
        metrics().latency.observe(now - r.created);
        queued_reply_bytes_ -= r.reply.size();
        pending_.pop_front();
    }
    if (was_full && !too_many_pending()) {
        room_.notify();
    }
    slot_.last_active = now;
}

// The socket took less than offered: flush again once it is writable. A plain handler, allocated
// only while the client is slow to read; finish_writing() waits for it before the session ends.
void keyed_session::wait_writable() {
    if (write_waiting_) {
        return;
    }
    write_waiting_ = true;
    slot_.socket.async_wait(runtime::stream_socket::wait_write,
                            [this](boost::system::error_code ec) {
                                write_waiting_ = false;
                                write_blocked_ = false;
                                if (ec) {
                                    abort();
                                } else {
                                    flush();
                                }
                                writer_wake_.notify();
                            });
}

// After the reader stopped: waits until every reply is out (or the client is gone) and no write
// wait is outstanding.
runtime::task<void> keyed_session::finish_writing() {
    for (;;) {
        flush();
        if ((aborted_ || pending_.empty()) && !write_waiting_) {
            break;
        }
        co_await writer_wake_.async_wait(nothrow);  // cancelled by abort(): look again
    }
}

// Closes a client that has neither sent a request nor waited for a reply for `idle`.
runtime::task<void> keyed_session::idle_watch(std::chrono::milliseconds idle) {
    if (idle.count() == 0) {
        co_return;
    }
    while (!writer_done_) {
        idle_timer_.expires_at(slot_.last_active + idle);
        co_await idle_timer_.async_wait(nothrow);
        if (writer_done_) {
            break;
        }
        const auto now = runtime::clock::now();
        if (!pending_.empty()) {
            slot_.last_active = now;  // waiting for a reply is not idleness
        } else if (now - slot_.last_active >= idle) {
            metrics().client_idle_timeouts.add();
            abort();
            break;
        }
    }
}

}  // namespace coproxy::frontend
