// The L4 relay: a client paired with one server connection, bytes pumped both ways at once.
// EOF on one side becomes shutdown(send) on the other, so half-closed protocols keep working; the
// pair ends when both directions are done, on an error (a reset is passed on as a reset), or when
// it has been idle for idle_timeout. A direction holds a buffer only while bytes are moving.
#include <arpa/inet.h>
#include <sys/socket.h>

#include <boost/asio/experimental/awaitable_operators.hpp>

#include "coproxy/frontend/pool_service.hpp"
#include "coproxy/runtime/idle_watchdog.hpp"
#include "frontend/sessions.hpp"

namespace coproxy::frontend {
namespace {

using namespace asio::experimental::awaitable_operators;
using runtime::nothrow;

struct direction {
    runtime::transport& from;
    runtime::transport& to;
    runtime::buffer_lease& buffer;
    runtime::counter& bytes_in;   // read from `from`
    runtime::counter& bytes_out;  // written to `to`
    runtime::counter& eofs;       // `from` closed its side
};

// The peer reset: make the other side see a reset too, not a clean close.
void pass_on_reset(runtime::transport& to) {
    boost::system::error_code ignored;
    to.socket().set_option(asio::socket_base::linger(true, 0), ignored);
}

std::string client_key(runtime::stream_socket& socket) {
    boost::system::error_code ec;
    const auto endpoint = socket.remote_endpoint(ec);
    if (ec) {
        return {};
    }
    const auto* address = endpoint.data();
    char text[INET6_ADDRSTRLEN] = {};
    if (address->sa_family == AF_INET) {
        ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(address)->sin_addr, text,
                    sizeof text);
    } else if (address->sa_family == AF_INET6) {
        ::inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(address)->sin6_addr, text,
                    sizeof text);
    }
    return text;
}

// Writes all of `data`, waiting for writability whenever the connection takes no more.
runtime::task<boost::system::error_code> write_all(runtime::transport& to,
                                                   asio::const_buffer data) {
    while (data.size() > 0) {
        boost::system::error_code ec;
        const std::size_t n = to.write_some(std::span(&data, 1), ec);
        data += n;
        if (runtime::would_block(ec)) {
            auto [wec] = co_await to.async_wait_writable(nothrow);
            if (wec) {
                co_return wec;
            }
        } else if (ec) {
            co_return ec;
        }
    }
    co_return boost::system::error_code{};
}

// Moves bytes one way until EOF (then half-closes `to`) or an error (then ends the pair).
runtime::task<void> pump(direction d, client_slot& slot) {
    bool drained = true;  // the last read came up short, so the socket is likely empty
    for (;;) {
        if (drained) {
            d.buffer.release();
            auto [ec] = co_await d.from.async_wait_readable(nothrow);
            if (ec) {
                co_return;  // the pair was closed (error elsewhere, idle timeout, shutdown)
            }
        }
        boost::system::error_code ec;
        const std::size_t n =
            d.from.read_some(asio::buffer(d.buffer.acquire(), d.buffer.size()), ec);
        if (runtime::would_block(ec)) {
            drained = true;
            continue;
        }
        if (ec == asio::error::eof) {
            d.eofs.add();
            d.to.shutdown_send(ec);
            d.buffer.release();
            co_return;
        }
        if (ec) {
            if (ec == asio::error::connection_reset) {
                pass_on_reset(d.to);
            }
            close_pair(slot);
            co_return;
        }
        drained = n < d.buffer.size();
        d.bytes_in.add(n);
        slot.last_active = runtime::clock::now();
        if (co_await write_all(d.to, asio::buffer(d.buffer.data(), n))) {
            close_pair(slot);
            co_return;
        }
        d.bytes_out.add(n);
        slot.last_active = runtime::clock::now();
    }
}

runtime::task<void> relay(client_slot& slot) {
    auto& pool = slot.service->metrics();
    auto& server = *slot.server;
    auto& counters = slot.service->tcp()->server_stats(server.server());
    direction upstream{slot.client,          server.stream,          slot.in,
                       pool.client_bytes_in, counters.request_bytes, pool.client_eof};
    direction downstream{server.stream,           slot.client,           slot.out,
                         counters.response_bytes, pool.client_bytes_out, counters.server_eof};
    const auto idle = slot.service->config().idle_timeout;
    if (idle.count() == 0) {
        co_await (pump(upstream, slot) && pump(downstream, slot));
        co_return;
    }
    runtime::steady_timer timer(slot.client.get_executor());
    auto ended = co_await (
        (pump(upstream, slot) && pump(downstream, slot)) ||
        runtime::async_wait_idle(
            timer, slot.last_active, idle, [] { return runtime::activity::waiting; }, nothrow));
    if (ended.index() == 1 && !std::get<0>(std::get<1>(ended))) {
        pool.client_idle_timeouts.add();
    }
}

}  // namespace

void close_pair(client_slot& slot) {
    if (slot.session) {
        slot.session->abort();
    }
    slot.client.close();
    if (slot.server) {
        slot.server->stream.close();
    }
}

runtime::task<void> run_tcp_session(worker_state& worker, slot_index index) {
    client_slot& slot = worker.slab[index];
    const auto distribution = slot.service->config().distribution;
    // Only keyed balancing needs the client's address. A named local, not a temporary in the
    // co_await expression: GCC 12 destroys such temporaries wrongly across the suspension.
    std::string key;
    if (distribution == config::distribution_kind::ketama ||
        distribution == config::distribution_kind::modula) {
        key = client_key(slot.client.socket());
    }
    auto connection = co_await slot.service->tcp()->acquire(key);
    if (!connection) {
        slot.service->metrics().client_err.add();
        co_return;  // no server would take it: the client sees the connection close
    }
    slot.server.emplace(std::move(*connection));
    boost::system::error_code ec;
    slot.server->stream.socket().non_blocking(true, ec);
    co_await relay(slot);
    close_pair(slot);
}

}  // namespace coproxy::frontend
