// A pipelined server connection; see the header. Three loops share it once connected: the writer
// (batches the queue into one gather write), the reader (frames replies and completes requests in
// order) and the timeout watch. The first to fail records why and closes the socket; `||` then
// cancels the other two.
#include "coproxy/upstream/server_connection.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/write.hpp>

#include "coproxy/runtime/spawn.hpp"
#include "coproxy/upstream/connect.hpp"

namespace coproxy::upstream {
namespace {

using namespace asio::experimental::awaitable_operators;
using namespace std::chrono_literals;
using runtime::nothrow;

constexpr std::size_t max_batch_requests = 64;  // Asio gathers at most 64 buffers per write
constexpr std::size_t max_batch_bytes = 256 * 1024;
constexpr std::size_t read_size = 16 * 1024;
constexpr auto max_backoff = 2s;
constexpr auto min_serving_time = 1s;  // see fail()

}  // namespace

server_connection::server_connection(runtime::executor ex, connection_settings settings,
                                     runtime::server_metrics& metrics,
                                     runtime::buffer_pool& buffers, runtime::flush_queue& flushes,
                                     connection_owner& owner)
    : executor_(ex),
      settings_(std::move(settings)),
      metrics_(metrics),
      owner_(&owner),
      link_(runtime::stream_socket(ex)),
      reader_(settings_.protocol->make_reader()),
      in_(buffers),
      flushes_(flushes),
      writer_(max_batch_requests, max_batch_bytes),
      wake_writer_(ex),
      wake_watch_(ex),
      deadline_(ex),
      retry_timer_(ex) {}

bool server_connection::backing_off() const {
    return state_ == state::backoff && runtime::clock::now() < retry_at_;
}

void server_connection::submit(request_ptr r) {
    r->server = settings_.server;
    if (state_ == state::stopped) {
        r->finish(settings_.protocol->error_reply("server connection closed"), true);
        return;
    }
    if (state_ == state::backoff) {
        if (runtime::clock::now() < retry_at_) {
            r->finish(settings_.protocol->error_reply(failure_), true);
            return;
        }
        state_ = state::idle;
    }
    metrics_.queued.add();
    metrics_.queued_bytes.add(static_cast<std::int64_t>(r->payload.size()));
    to_send_.push_back(std::move(r));
    if (state_ == state::idle) {
        connect();
    } else if (state_ == state::ready) {
        flushes_.add(*this);
    }
}

void server_connection::connect() {
    if (state_ == state::backoff && runtime::clock::now() >= retry_at_) {
        state_ = state::idle;
    }
    if (state_ != state::idle) {
        return;
    }
    state_ = state::connecting;
    asio::co_spawn(executor_, run(), runtime::log_exceptions{"server connection task"});
}

void server_connection::stop() {
    const bool was_up = state_ == state::ready;
    state_ = state::stopped;
    owner_ = nullptr;
    link_.close();
    if (was_up) {
        metrics_.server_connections.sub();
    }
    fail_all("server connection closed");
    wake_writer_.cancel();
    wake_watch_.cancel();
    deadline_.cancel();
    retry_timer_.cancel();
}

runtime::task<void> server_connection::run() {
    auto self = shared_from_this();
    const auto& server = settings_.pool->servers[settings_.server];
    auto connected =
        co_await connect_to(executor_, server, settings_.pool->effective_connect_timeout(),
                            settings_.pool->tcpkeepalive);
    if (state_ == state::stopped) {
        co_return;
    }
    if (connected.error) {
        metrics_.server_connect_failures.add();
        if (connected.error == asio::error::timed_out) {
            metrics_.server_timedout.add();
        }
        fail(connected.error.message());
        co_return;
    }
    link_ = runtime::transport(std::move(connected.socket));
    reader_ = settings_.protocol->make_reader();
    metrics_.server_connects.add();
    if (!co_await handshake()) {
        co_return;
    }
    state_ = state::ready;
    up_since_ = runtime::clock::now();
    metrics_.server_connections.add();
    boost::system::error_code ignored;
    link_.socket().non_blocking(true, ignored);  // flush() writes without waiting
    backoff_ = 100ms;
    if (owner_ != nullptr) {
        owner_->connection_up(settings_.server);
    }
    flushes_.add(*this);  // what queued up while connecting
    co_await (write_loop() || read_loop() || watch_timeouts());
}

// AUTH/SELECT before any client request, within the connect timeout.
runtime::task<bool> server_connection::handshake() {
    const auto steps = settings_.protocol->handshake();
    if (steps.empty()) {
        co_return true;
    }
    std::string all;
    for (const auto& s : steps) {
        all += s;
    }
    deadline_.expires_after(settings_.pool->effective_connect_timeout());
    auto wrote = co_await (asio::async_write(link_.socket(), asio::buffer(all), nothrow) ||
                           deadline_.async_wait(nothrow));
    if (wrote.index() == 1) {
        fail("Connection timed out");
        co_return false;
    }
    if (auto [ec, n] = std::get<0>(wrote); ec) {
        fail(ec.message());
        co_return false;
    }
    request probe;
    for (std::size_t answered = 0; answered < steps.size();) {
        auto r = reader_->read(in_.data(), probe);
        if (r.st == reply_reader::status::complete) {
            const std::string_view reply(in_.data().data(), r.consumed);
            if (settings_.protocol->is_error_reply(reply)) {
                // The error's words, without RESP's '-' and the line end.
                std::string_view text = reply.substr(0, reply.find_first_of("\r\n"));
                if (text.starts_with('-')) {
                    text.remove_prefix(1);
                }
                fail("backend refused the connection handshake: " + std::string(text));
                co_return false;
            }
            in_.consume(r.consumed);
            ++answered;
            continue;
        }
        if (r.st == reply_reader::status::invalid) {
            fail("protocol error from server during the handshake");
            co_return false;
        }
        auto buf = in_.prepare(read_size);
        auto got = co_await (link_.socket().async_read_some(asio::buffer(buf), nothrow) ||
                             deadline_.async_wait(nothrow));
        if (got.index() == 1) {
            fail("Connection timed out");
            co_return false;
        }
        auto [ec, n] = std::get<0>(got);
        if (ec) {
            fail(ec == asio::error::eof ? "Connection closed by server" : ec.message());
            co_return false;
        }
        in_.commit(n);
    }
    co_return true;
}

// Requests go out in order while fewer than max_in_flight await replies; once written in full
// they move to sent_, and their timeout starts. One whose client left before any of it was
// written is dropped.
struct server_connection::request_policy {
    server_connection& c;
    runtime::clock::time_point now = runtime::clock::now();
    bool was_idle = c.sent_.empty();

    bool ready(const request_ptr&, std::size_t i) const {
        return c.settings_.stream != nullptr || c.sent_.size() + i < c.settings_.max_in_flight;
    }
    std::string_view bytes(const request_ptr& r) const { return r->payload; }
    bool abandoned(const request_ptr& r) const {
        if (r->sink != nullptr || c.settings_.stream != nullptr) {
            return false;
        }
        c.metrics_.queued.sub();
        c.metrics_.queued_bytes.sub(static_cast<std::int64_t>(r->payload.size()));
        return true;
    }
    void written(request_ptr& r) {
        r->sent = now;
        const auto size = static_cast<std::int64_t>(r->payload.size());
        c.metrics_.requests.add();
        c.metrics_.request_bytes.add(r->payload.size());
        c.metrics_.queued.sub();
        c.metrics_.queued_bytes.sub(size);
        if (c.settings_.stream != nullptr) {
            return;  // its replies come as a stream, not as this request's answer
        }
        c.metrics_.in_flight.add();
        c.metrics_.in_flight_bytes.add(size);
        c.sent_.push_back(std::move(r));
    }
};

void server_connection::flush() {
    if (state_ != state::ready || write_blocked_) {
        return;
    }
    request_policy policy{*this};
    std::size_t bytes = 0;
    boost::system::error_code ec;
    const auto result = writer_.write(link_, to_send_, policy, gather_, bytes, ec);
    if (policy.was_idle && !sent_.empty()) {
        wake_watch_.notify();
    }
    if (result == runtime::ordered_writer::result::failed) {
        metrics_.server_err.add();
        fail(ec.message());
    } else if (result == runtime::ordered_writer::result::blocked) {
        write_blocked_ = true;  // the socket is full: the writer waits until it drains
        wake_writer_.notify();
    }
}

// Only needed when the socket pushes back: waits for room, then flushes again.
runtime::task<void> server_connection::write_loop() {
    for (;;) {
        auto [ec] = co_await wake_writer_.async_wait(nothrow);
        if (ec || state_ != state::ready) {
            co_return;
        }
        while (write_blocked_) {
            auto [wec] = co_await link_.async_wait_writable(nothrow);
            if (state_ != state::ready) {
                co_return;
            }
            if (wec) {
                metrics_.server_err.add();
                fail(wec.message());
                co_return;
            }
            write_blocked_ = false;
            flush();
        }
    }
}

runtime::task<void> server_connection::read_loop() {
    for (;;) {
        auto buf = in_.prepare(read_size);
        auto [ec, n] = co_await link_.socket().async_read_some(asio::buffer(buf), nothrow);
        if (ec) {
            if (state_ == state::ready) {
                if (ec == asio::error::eof) {
                    metrics_.server_eof.add();
                    fail("Connection closed by server");
                } else {
                    metrics_.server_err.add();
                    fail(ec.message());
                }
            }
            co_return;
        }
        in_.commit(n);
        metrics_.response_bytes.add(n);
        if (!deliver_replies()) {
            co_return;
        }
        in_.trim_if_empty();
    }
}

bool server_connection::deliver_replies() {
    const bool was_full = sent_.size() >= settings_.max_in_flight;
    const auto now = runtime::clock::now();
    while (!in_.empty() && settings_.stream != nullptr) {
        const auto r = reader_->read(in_.data(), stream_head_);
        if (r.st == reply_reader::status::need_more) {
            return true;
        }
        if (r.st == reply_reader::status::invalid) {
            metrics_.server_err.add();
            fail("protocol error from server");
            return false;
        }
        metrics_.responses.add();
        settings_.stream->on_stream_reply(settings_.server,
                                          std::string_view(in_.data().data(), r.consumed));
        if (state_ != state::ready) {
            return false;  // the listener let go of this connection
        }
        in_.consume(r.consumed);
    }
    while (!in_.empty()) {
        if (sent_.empty()) {
            metrics_.server_err.add();
            fail("unexpected data from server");
            return false;
        }
        const auto r = reader_->read(in_.data(), *sent_.front());
        if (r.st == reply_reader::status::need_more) {
            break;
        }
        if (r.st == reply_reader::status::invalid) {
            metrics_.server_err.add();
            fail("protocol error from server");
            return false;
        }
        request_ptr done = std::move(sent_.front());
        sent_.pop_front();
        if (done->timeout_ms >= 0 && !sent_.empty()) {
            deadline_.cancel();  // the watch was timing this one: the next one's limit applies
        }
        metrics_.responses.add();
        metrics_.in_flight.sub();
        metrics_.in_flight_bytes.sub(static_cast<std::int64_t>(done->payload.size()));
        metrics_.latency.observe(now - done->sent);
        done->finish(std::string_view(in_.data().data(), r.consumed), false);
        in_.consume(r.consumed);
    }
    if (was_full && sent_.size() < settings_.max_in_flight && !to_send_.empty()) {
        flushes_.add(*this);
    }
    return true;
}

// Fails the connection when its oldest request has waited `timeout` since it was written.
// The limit is the oldest request's own (a blocking command's) or else the pool's timeout.
runtime::task<void> server_connection::watch_timeouts() {
    const auto pool_timeout = settings_.pool->timeout;
    for (;;) {
        std::optional<std::chrono::milliseconds> limit;
        if (!sent_.empty()) {
            const auto own = sent_.front()->timeout_ms;
            limit = own < 0    ? pool_timeout
                    : own == 0 ? std::nullopt
                               : std::optional(std::chrono::milliseconds(own));
        }
        if (!limit) {
            co_await wake_watch_.async_wait(nothrow);
            if (state_ != state::ready) {
                co_return;
            }
            continue;
        }
        const auto due = sent_.front()->sent + *limit;
        if (runtime::clock::now() >= due) {
            metrics_.server_timedout.add();
            fail("Connection timed out");
            co_return;
        }
        deadline_.expires_at(due);
        co_await deadline_.async_wait(nothrow);
        if (state_ != state::ready) {
            co_return;
        }
    }
}

void server_connection::fail(std::string reason) {
    if (state_ == state::stopped || state_ == state::backoff || state_ == state::idle) {
        return;
    }
    // A connection that had been serving for a while is retried at once: what the requests after
    // it are told must be the server's state now (say "Connection refused"), not this failure.
    // A connect that fails, or a connection that fails as soon as it is up, backs off.
    const auto now = runtime::clock::now();
    const bool was_serving = state_ == state::ready && now - up_since_ >= min_serving_time;
    if (state_ == state::ready) {
        metrics_.server_connections.sub();
    }
    state_ = state::backoff;
    failure_ = std::move(reason);
    retry_at_ = was_serving ? now : now + backoff_;
    if (!was_serving) {
        backoff_ = std::min<std::chrono::milliseconds>(backoff_ * 2, max_backoff);
    }
    link_.close();
    writer_.reset();
    write_blocked_ = false;
    in_.consume(in_.size());
    in_.release_if_empty();
    fail_all(failure_);
    wake_writer_.cancel();
    wake_watch_.cancel();
    deadline_.cancel();
    if (owner_ != nullptr) {
        owner_->connection_failed(settings_.server, failure_);
    }
    if (settings_.pool->preconnect) {
        asio::co_spawn(executor_, reconnect_later(),
                       runtime::log_exceptions{"server connection task"});
    }
}

// preconnect pools keep their connections up without waiting for a request to ask.
runtime::task<void> server_connection::reconnect_later() {
    auto self = shared_from_this();
    retry_timer_.expires_at(retry_at_);
    co_await retry_timer_.async_wait(nothrow);
    if (state_ == state::backoff) {
        connect();
    }
}

void server_connection::fail_all(const std::string& reason) {
    const std::string reply = settings_.protocol->error_reply(reason);
    auto sent = std::move(sent_);
    auto queued = std::move(to_send_);
    sent_.clear();
    to_send_.clear();
    metrics_.in_flight.sub(static_cast<std::int64_t>(sent.size()));
    for (auto& r : sent) {
        metrics_.in_flight_bytes.sub(static_cast<std::int64_t>(r->payload.size()));
        r->finish(reply, true);
    }
    for (auto& r : queued) {
        metrics_.queued.sub();
        metrics_.queued_bytes.sub(static_cast<std::int64_t>(r->payload.size()));
        r->finish(reply, true);
    }
}

}  // namespace coproxy::upstream
