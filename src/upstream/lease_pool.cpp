// See lease_pool.hpp.
#include "coproxy/upstream/lease_pool.hpp"

#include <algorithm>

namespace coproxy::upstream {

// One leased connection and what the pool knows of it. The connection reports to its slot
// (health, failures) and the slot passes what matters to the holder of the moment.
struct lease::slot final : connection_owner, stream_listener, reply_sink {
    enum class state : std::uint8_t { idle, leased, resetting };

    slot(lease_pool& p, std::uint32_t s) : pool(&p), server(s) {}

    void connection_up(std::uint32_t s) override {
        pool->servers_.succeeded(s);
        if (waiting_since != runtime::clock::time_point{}) {
            pool->servers_.metrics(s).lease_wait.observe(runtime::clock::now() - waiting_since);
            waiting_since = {};
        }
    }
    void connection_failed(std::uint32_t s, const std::string& reason) override {
        pool->servers_.failed(s, reason);
        lost = true;
        if (st == state::leased && holder != nullptr) {
            holder->lease_lost(s, reason);
        } else if (st == state::resetting) {
            resets_left = 0;  // reset_done() follows through the failed replies
        }
    }
    void on_stream_reply(std::uint32_t s, std::string_view reply) override {
        if (holder != nullptr) {
            holder->on_stream_reply(s, reply);
        }
    }
    // The replies to RESET and the handshake that follows it.
    void on_reply(request& r) override {
        if (r.failed || pool->protocol_->is_error_reply(r.reply)) {
            reset_ok = false;
        }
        if (--resets_left <= 0 && st == state::resetting) {
            pool->reset_done(this, reset_ok && !lost);
        }
    }

    lease_pool* pool;  // null once the pool is gone: the lease is lost
    std::uint32_t server;
    std::shared_ptr<server_connection> connection;
    lease_holder* holder = nullptr;
    state st = state::idle;
    bool stream = false;
    bool lost = false;
    bool reset_ok = true;
    int resets_left = 0;
    std::vector<request_ptr> reset_requests;
    runtime::clock::time_point waiting_since{};
};

lease& lease::operator=(lease&& o) noexcept {
    if (this != &o) {
        release(end::reset);
        slot_ = std::move(o.slot_);
    }
    return *this;
}

lease::~lease() {
    release(end::reset);
}

std::uint32_t lease::server() const {
    return slot_->server;
}

bool lease::lost() const {
    return slot_ == nullptr || slot_->lost || slot_->pool == nullptr;
}

bool lease::idle() const {
    return slot_ == nullptr || slot_->connection->load() == 0;
}

void lease::submit(request_ptr r) {
    if (lost()) {
        // The connection (or the pool) is gone, and with it the state this client relied on.
        r->finish("-ERR the server connection holding this client's state was lost\r\n", true);
        return;
    }
    slot_->connection->submit(std::move(r));
}

void lease::release(end how) {
    if (slot_ == nullptr) {
        return;
    }
    auto s = std::move(slot_);
    slot_ = nullptr;
    if (s->pool != nullptr) {
        s->pool->give_back(s, how);
    }
}

lease_pool::lease_pool(runtime::executor ex, std::shared_ptr<const backend_protocol> protocol,
                       server_set& servers, runtime::buffer_pool& buffers,
                       runtime::flush_queue& flushes, request_pool& requests)
    : executor_(ex),
      protocol_(std::move(protocol)),
      servers_(servers),
      buffers_(buffers),
      flushes_(flushes),
      requests_(requests),
      servers_in_use_(servers.size(), 0) {}

lease_pool::~lease_pool() {
    stop();
}

std::size_t lease_pool::idle(std::uint32_t server) const {
    return static_cast<std::size_t>(std::count_if(slots_.begin(), slots_.end(), [&](const auto& s) {
        return s->server == server && s->st == lease::slot::state::idle;
    }));
}

lease lease_pool::acquire(std::uint32_t server, lease_holder& holder, bool stream) {
    auto& metrics = servers_.metrics(server);
    if (stopped_) {
        return {};
    }
    lease::slot* chosen = nullptr;
    if (!stream) {
        for (auto& s : slots_) {
            if (s->server == server && s->st == lease::slot::state::idle && !s->lost) {
                chosen = s.get();
                break;
            }
        }
    }
    const std::size_t limit = static_cast<std::size_t>(servers_.pool().pinned_connections);
    if (chosen == nullptr) {
        // A new one; an idle one of this server makes room if the limit is reached.
        if (servers_in_use_[server] >= limit) {
            metrics.lease_refusals.add();
            return {};
        }
        const auto held = servers_in_use_[server] + idle(server);
        if (held >= limit) {
            for (auto& s : slots_) {
                if (s->server == server && s->st == lease::slot::state::idle) {
                    destroy(s.get());
                    break;
                }
            }
        }
        auto s = std::make_shared<lease::slot>(*this, server);
        connection_settings settings{servers_.pool_ptr(), protocol_, server,
                                     static_cast<std::size_t>(servers_.pool().server_max_inflight),
                                     stream ? s.get() : nullptr};
        s->connection = std::make_shared<server_connection>(executor_, settings, metrics, buffers_,
                                                            flushes_, *s);
        s->stream = stream;
        s->waiting_since = runtime::clock::now();
        metrics.lease_connects.add();
        chosen = s.get();
        slots_.push_back(std::move(s));
        chosen->connection->connect();
    }
    chosen->st = lease::slot::state::leased;
    chosen->holder = &holder;
    ++servers_in_use_[server];
    metrics.leases.add();
    for (const auto& s : slots_) {
        if (s.get() == chosen) {
            return lease(s);
        }
    }
    return {};
}

void lease_pool::give_back(const std::shared_ptr<lease::slot>& shared, lease::end how) {
    lease::slot* s = shared.get();
    s->holder = nullptr;
    auto& metrics = servers_.metrics(s->server);
    metrics.leases.sub();
    if (stopped_ || s->lost || s->stream || how == lease::end::close || !s->connection->up() ||
        (how == lease::end::clean && s->connection->load() != 0)) {
        --servers_in_use_[s->server];
        destroy(s);
        return;
    }
    if (how == lease::end::clean) {
        --servers_in_use_[s->server];
        s->st = lease::slot::state::idle;
        return;
    }
    // RESET drops MULTI, WATCH, subscriptions and the client name, and logs the connection out:
    // the handshake (AUTH, SELECT) follows it. Still counted as in use until it is done.
    s->st = lease::slot::state::resetting;
    s->reset_ok = true;
    std::vector<std::string> steps{"*1\r\n$5\r\nRESET\r\n"};
    for (auto& step : protocol_->handshake()) {
        steps.push_back(std::move(step));
    }
    s->resets_left = static_cast<int>(steps.size());
    s->reset_requests.clear();
    for (auto& step : steps) {
        request_ptr r = requests_.make();
        r->payload = std::move(step);
        r->sink = s;
        s->reset_requests.push_back(r);
        s->connection->submit(r);
    }
}

void lease_pool::reset_done(lease::slot* s, bool ok) {
    // Deferred: this runs inside the connection's reply delivery.
    asio::post(executor_, [this, s, ok] {
        const auto it =
            std::find_if(slots_.begin(), slots_.end(), [s](const auto& p) { return p.get() == s; });
        if (it == slots_.end() || s->st != lease::slot::state::resetting) {
            return;
        }
        s->reset_requests.clear();
        --servers_in_use_[s->server];
        if (ok && !stopped_) {
            s->st = lease::slot::state::idle;
        } else {
            destroy(s);
        }
    });
}

void lease_pool::destroy(lease::slot* s) {
    const auto it =
        std::find_if(slots_.begin(), slots_.end(), [s](const auto& p) { return p.get() == s; });
    if (it == slots_.end()) {
        return;
    }
    for (auto& r : s->reset_requests) {
        r->sink = nullptr;
    }
    s->connection->stop();
    // A lease handle may still point at it: it is lost from now on. The connection's coroutines,
    // which may still be unwinding, no longer call it (stop() cleared their owner).
    s->pool = nullptr;
    s->holder = nullptr;
    s->reset_requests.clear();
    slots_.erase(it);
}

void lease_pool::stop() {
    stopped_ = true;
    while (!slots_.empty()) {
        const auto keep = slots_.back();  // the holder may give it back while told
        if (keep->st == lease::slot::state::leased && keep->holder != nullptr) {
            keep->holder->lease_lost(keep->server, "server connection closed");
        }
        destroy(keep.get());
    }
}

}  // namespace coproxy::upstream
