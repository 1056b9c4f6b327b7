// Admission and session start-up for one pool on one worker.
#include "coproxy/frontend/pool_service.hpp"

#include <sys/socket.h>

#include "coproxy/upstream/connect.hpp"
#include "frontend/sessions.hpp"

namespace coproxy::frontend {

namespace {

// The line a refused client reads before the close, in its protocol's own words.
std::string_view refusal_line(config::protocol_kind protocol) {
    switch (protocol) {
        case config::protocol_kind::redis:
            return "-ERR max number of clients reached\r\n";
        case config::protocol_kind::memcache:
            return "ERROR Too many open connections\r\n";  // memcached's own text
        case config::protocol_kind::tcp:
            break;
    }
    return {};
}

}  // namespace

pool_service::pool_service(worker_state& worker, pool_shared shared)
    : worker_(worker), shared_(std::move(shared)) {
    const auto& cfg = *shared_.config;
    if (cfg.protocol == config::protocol_kind::tcp) {
        tcp_ = std::make_shared<upstream::tcp_upstream>(worker_.worker.get_executor(),
                                                        shared_.config, shared_.stats,
                                                        shared_.servers, worker_.worker.id());
        return;
    }
    auto protocol = cfg.protocol == config::protocol_kind::redis
                        ? upstream::make_redis_backend(cfg)
                        : upstream::make_memcache_backend(cfg);
    keyed_ = std::make_unique<upstream::keyed_upstream>(
        worker_.worker.get_executor(), shared_.config, shared_.stats, shared_.servers,
        worker_.worker.id(), std::move(protocol), worker_.buffers, worker_.flushes,
        worker_.requests);
}

void pool_service::start(upstream::eject_callback on_eject) {
    if (tcp_) {
        tcp_->start(std::move(on_eject));
    } else {
        keyed_->start(std::move(on_eject));
    }
}

void pool_service::stop() {
    if (tcp_) {
        tcp_->stop();
    }
    // Keyed upstreams stay up: draining clients still need their in-flight replies. They close
    // when the service is destroyed, after its last client.
}

void pool_service::apply_ejection(std::uint32_t server, runtime::clock::time_point until) {
    if (tcp_) {
        tcp_->apply_ejection(server, until);
    } else {
        keyed_->apply_ejection(server, until);
    }
}

void pool_service::reject(runtime::stream_socket& socket) {
    metrics().client_connections_rejected.add();
    const std::string_view line = refusal_line(config().protocol);
    if (!line.empty()) {
        // Best effort and never blocking: a refused client must not cost a coroutine.
        [[maybe_unused]] auto n =
            ::send(socket.native_handle(), line.data(), line.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
        boost::system::error_code ignored;
        socket.shutdown(runtime::stream_socket::shutdown_send, ignored);
    }
    std::uint64_t suppressed = 0;
    if (worker_.reject_log.allow(suppressed)) {
        spdlog::warn("pool '{}': client refused: {} (process {}/{}, pool {}/{}){}", config().name,
                     worker_.stopping ? "shutting down" : "admission limit reached",
                     worker_.process_gate.current(), worker_.process_gate.limit(),
                     shared_.gate->current(), shared_.gate->limit(),
                     suppressed ? fmt::format("; {} more refused", suppressed) : std::string());
    }
}

void pool_service::accept(runtime::stream_socket&& socket,
                          const std::shared_ptr<pool_entry>& entry) {
    if (worker_.stopping) {
        reject(socket);
        return;
    }
    auto ticket = runtime::admission_ticket::try_admit(worker_.process_gate, *shared_.gate);
    if (!ticket) {
        reject(socket);
        return;
    }
    upstream::tune_socket(socket, shared_.family, config().tcpkeepalive);
    boost::system::error_code ec;
    socket.non_blocking(true, ec);
    auto& buffers = tcp_ ? worker_.relay_buffers : worker_.buffers;
    auto index = worker_.slab.take(std::move(socket), std::move(ticket), buffers);
    if (!index) {
        return;  // cannot happen: the slab holds --max-clients entries and admission came first
    }
    worker_.slab[*index].entry = entry;
    worker_.slab[*index].service = shared_from_this();
    metrics().client_connections_accepted.add();
    metrics().client_connections.add();
    worker_.sessions.fetch_add(1, std::memory_order_relaxed);
    start_session(worker_, *index);
}

}  // namespace coproxy::frontend
