// The L4 relay: a client paired with one server connection, bytes pumped both ways at once.
// EOF on one side becomes shutdown(send) on the other, so half-closed protocols keep working; the
// pair ends when both directions are done, on an error (a reset is passed on as a reset), or when
// it has been idle for idle_timeout. A direction holds a buffer only while bytes are moving.
#include <arpa/inet.h>
#include <sys/socket.h>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/write.hpp>

#include "coproxy/frontend/pool_service.hpp"
#include "frontend/sessions.hpp"

namespace coproxy::frontend {
namespace {

using namespace asio::experimental::awaitable_operators;
using runtime::nothrow;

struct direction {
    runtime::stream_socket& from;
    runtime::stream_socket& to;
    runtime::buffer_lease& buffer;
    runtime::counter& bytes_in;   // read from `from`
    runtime::counter& bytes_out;  // written to `to`
    runtime::counter& eofs;       // `from` closed its side
};

// The peer reset: make the other side see a reset too, not a clean close.
void pass_on_reset(runtime::stream_socket& to) {
    boost::system::error_code ignored;
    to.set_option(asio::socket_base::linger(true, 0), ignored);
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

// Moves bytes one way until EOF (then half-closes `to`) or an error (then ends the pair).
runtime::task<void> pump(direction d, client_slot& slot) {
    bool drained = true;  // the last read came up short, so the socket is likely empty
    for (;;) {
        if (drained) {
            d.buffer.release();
            auto [ec] = co_await d.from.async_wait(runtime::stream_socket::wait_read, nothrow);
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
            d.to.shutdown(runtime::stream_socket::shutdown_send, ec);
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
        auto [wec, written] =
            co_await asio::async_write(d.to, asio::buffer(d.buffer.data(), n), nothrow);
        if (wec) {
            close_pair(slot);
            co_return;
        }
        d.bytes_out.add(written);
        slot.last_active = runtime::clock::now();
    }
}

// Returns when the pair has been idle for `idle`; cancelled (and returns) when the pair ends.
runtime::task<void> idle_watchdog(client_slot& slot, std::chrono::milliseconds idle) {
    runtime::steady_timer timer(slot.socket.get_executor());
    for (;;) {
        timer.expires_at(slot.last_active + idle);
        auto [ec] = co_await timer.async_wait(nothrow);
        if (ec) {
            co_return;
        }
        if (runtime::clock::now() - slot.last_active >= idle) {
            slot.service->metrics().client_idle_timeouts.add();
            co_return;
        }
    }
}

runtime::task<void> relay(client_slot& slot) {
    auto& pool = slot.service->metrics();
    auto& server = *slot.server;
    auto& counters = slot.service->tcp()->server_stats(server.server());
    direction upstream{slot.socket,          server.socket,          slot.in,
                       pool.client_bytes_in, counters.request_bytes, pool.client_eof};
    direction downstream{server.socket,           slot.socket,           slot.out,
                         counters.response_bytes, pool.client_bytes_out, counters.server_eof};
    const auto idle = slot.service->config().idle_timeout;
    if (idle.count() == 0) {
        co_await (pump(upstream, slot) && pump(downstream, slot));
    } else {
        co_await ((pump(upstream, slot) && pump(downstream, slot)) || idle_watchdog(slot, idle));
    }
}

}  // namespace

void close_pair(client_slot& slot) {
    if (slot.session) {
        slot.session->abort();
    }
    boost::system::error_code ignored;
    slot.socket.close(ignored);
    if (slot.server) {
        slot.server->socket.close(ignored);
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
        key = client_key(slot.socket);
    }
    auto connection = co_await slot.service->tcp()->acquire(key);
    if (!connection) {
        slot.service->metrics().client_err.add();
        co_return;  // no server would take it: the client sees the connection close
    }
    slot.server.emplace(std::move(*connection));
    boost::system::error_code ec;
    slot.server->socket.non_blocking(true, ec);
    co_await relay(slot);
    close_pair(slot);
}

}  // namespace coproxy::frontend
