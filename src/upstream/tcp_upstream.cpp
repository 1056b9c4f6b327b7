// tcp pool upstream: connects with failover, counts failures, keeps warm sockets; see the header.
#include "coproxy/upstream/tcp_upstream.hpp"

#include <sys/socket.h>

#include <boost/asio/co_spawn.hpp>

#include "coproxy/runtime/spawn.hpp"
#include "coproxy/upstream/connect.hpp"

namespace coproxy::upstream {
namespace {

using namespace std::chrono_literals;
using runtime::nothrow;

// A peek that never blocks: 0 bytes means the server closed; data means it spoke first (fine).
bool peer_closed(runtime::stream_socket& socket) {
    char byte;
    const ssize_t n = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

}  // namespace

tcp_connection::tcp_connection(runtime::stream_socket s, std::uint32_t server,
                               std::shared_ptr<tcp_upstream> owner)
    : stream(std::move(s)), server_(server), owner_(std::move(owner)) {}

tcp_connection::~tcp_connection() {
    if (owner_) {
        owner_->released(server_);
    }
}

tcp_upstream::tcp_upstream(runtime::executor ex, std::shared_ptr<const config::pool_config> pool,
                           std::shared_ptr<runtime::pool_stats> stats,
                           runtime::server_stats_list servers, unsigned worker)
    : executor_(ex),
      servers_(std::move(pool), std::move(stats), std::move(servers), worker),
      balancer_(servers_.pool()) {
    warm_.reserve(servers_.size());
    for (std::size_t i = 0; i < servers_.size(); ++i) {
        warm_.emplace_back(ex);
    }
}

void tcp_upstream::start(eject_callback on_eject) {
    servers_.on_eject(std::move(on_eject));
    if (!pool().preconnect) {
        return;
    }
    for (std::uint32_t s = 0; s < warm_.size(); ++s) {
        asio::co_spawn(executor_, keep_warm(s), runtime::log_exceptions{"tcp upstream task"});
    }
}

void tcp_upstream::stop() {
    stopped_ = true;
    for (auto& slot : warm_) {
        slot.wake.cancel();
        for (auto& w : slot.idle) {
            w->taken = true;
            boost::system::error_code ignored;
            w->socket.close(ignored);
        }
        slot.idle.clear();
    }
}

runtime::task<std::optional<tcp_connection>> tcp_upstream::acquire(std::string_view client_key) {
    auto self = shared_from_this();
    std::vector<std::uint32_t> candidates;
    balancer_.candidates(client_key, servers_.health(), runtime::clock::now(), candidates);
    for (const std::uint32_t s : candidates) {
        if (auto warm = take_warm(s)) {
            balancer_.opened(s);
            server_stats(s).server_connections.add();
            tcp_connection c(std::move(*warm), s, self);
            c.was_warm = true;
            co_return c;
        }
        auto r = co_await connect_to(executor_, pool().servers[s],
                                     pool().effective_connect_timeout(), pool().tcpkeepalive);
        if (r.error) {
            record_failure(s, r.error);
            continue;
        }
        servers_.succeeded(s);
        server_stats(s).server_connects.add();
        server_stats(s).server_connections.add();
        balancer_.opened(s);
        co_return tcp_connection(std::move(r.socket), s, self);
    }
    servers_.pool_metrics().forward_error.add();
    co_return std::nullopt;
}

void tcp_upstream::released(std::uint32_t server) {
    balancer_.closed(server);
    server_stats(server).server_connections.sub();
}

std::optional<runtime::stream_socket> tcp_upstream::take_warm(std::uint32_t server) {
    auto& slot = warm_[server];
    while (!slot.idle.empty()) {
        auto warm = std::move(slot.idle.front());
        slot.idle.pop_front();
        warm->taken = true;
        slot.wake.cancel();
        if (peer_closed(warm->socket)) {
            server_stats(server).server_eof.add();
            boost::system::error_code ignored;
            warm->socket.close(ignored);
            continue;
        }
        warm->socket.cancel();  // ends the watcher; the socket itself moves on to the client
        return std::move(warm->socket);
    }
    return std::nullopt;
}

runtime::task<void> tcp_upstream::keep_warm(std::uint32_t server) {
    auto self = shared_from_this();
    auto& slot = warm_[server];
    const auto target = static_cast<std::size_t>(pool().server_connections);
    auto& health = servers_.health();
    auto backoff = 100ms;
    while (!stopped_) {
        const auto now = runtime::clock::now();
        if (slot.idle.size() >= target || !health.live(server, now)) {
            slot.wake.expires_at(health.live(server, now) ? runtime::clock::time_point::max()
                                                          : health.next_return(now));
            co_await slot.wake.async_wait(nothrow);
            continue;
        }
        auto r = co_await connect_to(executor_, pool().servers[server],
                                     pool().effective_connect_timeout(), pool().tcpkeepalive);
        if (stopped_) {
            break;
        }
        if (r.error) {
            record_failure(server, r.error);
            slot.wake.expires_after(backoff);
            co_await slot.wake.async_wait(nothrow);
            backoff = std::min<std::chrono::milliseconds>(backoff * 2, 5s);
            continue;
        }
        backoff = 100ms;
        servers_.succeeded(server);
        server_stats(server).server_connects.add();
        auto warm = std::make_shared<warm_socket>(std::move(r.socket));
        slot.idle.push_back(warm);
        asio::co_spawn(executor_, watch(server, std::move(warm)),
                       runtime::log_exceptions{"tcp upstream task"});
    }
}

runtime::task<void> tcp_upstream::watch(std::uint32_t server, std::shared_ptr<warm_socket> warm) {
    auto self = shared_from_this();
    co_await warm->socket.async_wait(runtime::stream_socket::wait_read, nothrow);
    if (warm->taken || stopped_ || !peer_closed(warm->socket)) {
        co_return;  // handed out, shutting down, or the server spoke first: still usable
    }
    auto& idle = warm_[server].idle;
    idle.erase(std::remove(idle.begin(), idle.end(), warm), idle.end());
    server_stats(server).server_eof.add();
    boost::system::error_code ignored;
    warm->socket.close(ignored);
    warm_[server].wake.cancel();
}

void tcp_upstream::record_failure(std::uint32_t server, const boost::system::error_code& error) {
    auto& stats = server_stats(server);
    stats.server_connect_failures.add();
    if (error == asio::error::timed_out) {
        stats.server_timedout.add();
    }
    servers_.failed(server, "connect failed: " + error.message());
}

void tcp_upstream::apply_ejection(std::uint32_t server, runtime::clock::time_point until) {
    servers_.apply_ejection(server, until);
}

}  // namespace coproxy::upstream
