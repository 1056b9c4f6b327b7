// A Redis client's connection state, served on a server connection it leases (lease_pool.hpp):
// MULTI/EXEC/DISCARD and WATCH/UNWATCH on the server of the transaction's first key, blocking
// commands with their own timeout, RESET, and SCAN's walk over every server. Subscriptions are
// in redis_pubsub.cpp. While a client holds a lease, every command of its for that server takes
// the lease, so the server runs them in the order the client sent them; the lease goes back once
// the client's state there is over and nothing is in flight.
#include <charconv>
#include <deque>

#include "coproxy/protocol/redis_blocking.hpp"
#include "coproxy/protocol/redis_introspection.hpp"
#include "frontend/redis_fanout.hpp"
#include "frontend/redis_session.hpp"
#include "frontend/redis_state.hpp"

namespace coproxy::frontend {
namespace {

namespace redis = protocol::redis;
namespace resp = protocol::resp;

// Replies coproxy asked for but no client waits for (the MULTI it sends once the transaction's
// server is known, whose +OK the client already had).
struct ignore_replies final : upstream::reply_sink {
    void on_reply(upstream::request&) override {}
};
ignore_replies ignored;

bool is(std::string_view name, const redis::command_info& info) {
    return info.name == name;
}

constexpr std::string_view multi_request = "*1\r\n$5\r\nMULTI\r\n";
constexpr std::string_view discard_request = "*1\r\n$7\r\nDISCARD\r\n";
constexpr std::string_view exec_abort =
    "-EXECABORT Transaction discarded because of previous errors.\r\n";

// SCAN's cursor: the server's cursor in the high bits, which server in the low ten.
constexpr unsigned server_bits = 10;
constexpr std::uint64_t server_mask = (1U << server_bits) - 1;

}  // namespace

redis_session::connection_state& redis_session::state() {
    if (!state_) {
        state_ = std::make_unique<connection_state>();
        const std::size_t n = upstream().server_count();
        state_->subscribers.resize(n);
        state_->awaiting.resize(n);
        state_->lost_at.resize(n);
    }
    return *state_;
}

bool redis_session::in_transaction() const {
    return state_ && state_->tx != connection_state::tx_state::none;
}

upstream::lease* redis_session::lease_on(std::uint32_t server) {
    if (!state_ || !state_->lease || state_->lease.server() != server || state_->lease.lost()) {
        return nullptr;
    }
    return &state_->lease;
}

redis_session::~redis_session() {
    if (!state_) {
        return;
    }
    // A connection with something in flight (a client gone mid-block) is never reused; one that
    // holds a transaction or a WATCH is RESET first.
    if (state_->lease) {
        using end = upstream::lease::end;
        const bool stateful = state_->tx != connection_state::tx_state::none || state_->watching;
        state_->lease.release(!state_->lease.idle() ? end::close
                              : stateful            ? end::reset
                                                    : end::clean);
    }
    for (auto& s : state_->subscribers) {
        s.release(upstream::lease::end::close);
    }
}

bool redis_session::abandon_pending() {
    return state_ && state_->blocking > 0;
}

void redis_session::on_reply(upstream::request& r) {
    if (r.timeout_ms >= 0 && state_ && state_->blocking > 0) {
        --state_->blocking;
    }
    keyed_session::on_reply(r);
    if (state_ && state_->lease && !state_->release_posted) {
        state_->release_posted = true;
        defer([this] {
            state_->release_posted = false;
            release_lease_when_idle();
        });
    }
}

// The lease goes back when the client's state on it is over (no transaction, no WATCH) and the
// requests it carried have been answered: EXEC, DISCARD, UNWATCH, a blocking command's reply.
void redis_session::release_lease_when_idle() {
    auto& st = *state_;
    if (st.lease && st.tx == connection_state::tx_state::none && !st.watching && st.lease.idle()) {
        st.lease.release(upstream::lease::end::clean);
    }
}

void redis_session::lease_lost(std::uint32_t server, const std::string&) {
    if (!state_) {
        return;
    }
    auto& st = *state_;
    if (server < st.subscribers.size() && st.subscribers[server] && st.subscribers[server].lost()) {
        drop_subscriber(server);
    }
    if (!st.lease || st.lease.server() != server || !st.lease.lost()) {
        return;
    }
    // What the server held for this client is gone: a transaction there can only fail, and a
    // WATCH can no longer tell whether its keys changed, so the next EXEC answers nil.
    if (st.tx == connection_state::tx_state::queuing && st.multi_sent) {
        st.tx = connection_state::tx_state::failed;
    }
    if (st.watching) {
        st.watch_lost = true;
        st.watching = false;
    }
    st.multi_sent = false;
    defer([this] {
        if (state_->lease && state_->lease.lost()) {
            state_->lease.release(upstream::lease::end::close);
        }
    });
}

// A lease to `server`, or why there is none (empty: this client has one there now).
std::string redis_session::lease_for(std::uint32_t server) {
    auto& st = state();
    if (st.lease && !st.lease.lost()) {
        if (st.lease.server() == server) {
            return {};
        }
        // Redis Cluster's words for keys that cannot meet on one node.
        return "-CROSSSLOT Keys in request don't hash to the same slot\r\n";
    }
    if (st.lease) {
        st.lease.release(upstream::lease::end::close);
    }
    st.lease = upstream().lease_connection(server, *this);
    if (!st.lease) {
        return "-ERR coproxy: the " + std::to_string(service().config().pinned_connections) +
               " pinned_connections to server '" +
               service().config().servers[server].display_name() +
               "' are all in use by other clients; try again later\r\n";
    }
    return {};
}

void redis_session::stateful(const redis::command_info& info, std::span<const char> raw) {
    if (is("multi", info)) {
        multi();
    } else if (is("exec", info)) {
        exec(raw);
    } else if (is("discard", info)) {
        discard(raw);
    } else if (is("watch", info)) {
        watch(raw);
    } else if (is("unwatch", info)) {
        unwatch(raw);
    } else if (is("scan", info)) {
        scan();
    } else if (is("reset", info)) {
        reset();
    } else if (is("subscribe", info) || is("psubscribe", info) || is("ssubscribe", info)) {
        subscribe(info.name, std::span(argv_).subspan(1));
    } else if (is("unsubscribe", info) || is("punsubscribe", info) || is("sunsubscribe", info)) {
        unsubscribe(info.name, std::span(argv_).subspan(1));
    } else {
        blocking(raw);
    }
}

// MULTI is answered at once; the server hears it once the transaction's first key says which
// server it runs on (at once when a WATCH holds a connection already).
void redis_session::multi() {
    if (in_transaction()) {
        reply_local("-ERR MULTI calls can not be nested\r\n");
        return;
    }
    auto& st = state();
    st.tx = connection_state::tx_state::queuing;
    st.tx_commands = 0;
    st.tx_bytes = 0;
    reply_local("+OK\r\n");
    auto r = worker().requests.make();
    r->payload.assign(multi_request);
    r->sink = &ignored;
    st.held.push_back(std::move(r));
    if (st.lease && !st.lease.lost()) {
        send_held();
    }
}

void redis_session::send_held() {
    auto& st = *state_;
    for (auto& r : st.held) {
        st.lease.submit(std::move(r));
    }
    st.held.clear();
    st.multi_sent = true;
}

void redis_session::transaction_failed(std::string_view reply) {
    reply_local(reply);
    state_->tx = connection_state::tx_state::failed;
}

void redis_session::queue_in_transaction(const redis::command_info& info,
                                         std::span<const char> raw) {
    auto& st = *state_;
    if (st.tx == connection_state::tx_state::failed) {
        reply_local("+QUEUED\r\n");  // as Redis queues after an error; EXEC answers -EXECABORT
        return;
    }
    const auto& cfg = service().config();
    ++st.tx_commands;
    st.tx_bytes += raw.size();
    if (st.tx_commands > static_cast<std::size_t>(cfg.transaction_max_commands) ||
        st.tx_bytes > cfg.effective_max_request_bytes()) {
        transaction_failed("-ERR coproxy: this transaction queued more than " +
                           std::to_string(cfg.transaction_max_commands) +
                           " commands or max_request_bytes; it is discarded\r\n");
        return;
    }
    // Which keys the command has; commands that cannot join a transaction on one server fail it.
    std::vector<std::string_view> keys;
    bool keyless = false;
    switch (info.kind) {
        case redis::command_kind::single_key:
        case redis::command_kind::multi_key: {
            const auto range = redis::fixed_keys(info, argv_.size());
            for (std::size_t i = range.first; i <= range.last; i += range.step) {
                keys.push_back(argv_[i]);
            }
            break;
        }
        case redis::command_kind::eval: {
            std::size_t n = 0;
            std::from_chars(argv_[2].data(), argv_[2].data() + argv_[2].size(), n);
            for (std::size_t i = 3; i < argv_.size() && i < 3 + n; ++i) {
                keys.push_back(argv_[i]);
            }
            keyless = keys.empty();
            break;
        }
        case redis::command_kind::any_server:
            keyless = true;
            break;
        case redis::command_kind::local:
            keyless = is("ping", info) || is("echo", info);
            break;
        case redis::command_kind::stateful:
            if (!is("scan", info) && !is("reset", info) && !is("unwatch", info) &&
                info.name.find("subscribe") == std::string_view::npos) {
                auto call = redis::parse_blocking(argv_);
                if (!call.error.empty()) {
                    transaction_failed(call.error);
                    return;
                }
                keys = std::move(call.keys);  // in a transaction a blocking command does not block
            }
            break;
        default:
            break;
    }
    if (info.kind == redis::command_kind::unsupported) {
        std::string error;
        redis::format_unsupported_error(info.name, error);
        transaction_failed(error);
        return;
    }
    if (keys.empty() && !keyless) {
        transaction_failed("-ERR coproxy: '" + std::string(info.name) +
                           "' cannot be part of a transaction through a proxy\r\n");
        return;
    }
    auto r = add_request();
    copy_payload(*r, raw);
    if (keyless) {
        if (st.lease && !st.lease.lost()) {
            st.lease.submit(std::move(r));  // the server answers +QUEUED
            return;
        }
        r->finish_local("+QUEUED\r\n");  // held until the transaction has a server
        auto q = worker().requests.make();
        copy_payload(*q, raw);
        q->sink = &ignored;
        st.held.push_back(std::move(q));
        return;
    }
    std::optional<std::uint32_t> server;
    for (const auto key : keys) {
        const auto s = upstream().route(key);
        if (!s || (server && *s != *server)) {
            r->finish_local(
                s ? "-CROSSSLOT Keys in request don't hash to the same slot\r\n"
                  : upstream().protocol().error_reply("no server is available for this key"));
            st.tx = connection_state::tx_state::failed;
            return;
        }
        server = s;
    }
    if (const std::string error = lease_for(*server); !error.empty()) {
        r->finish_local(error);
        st.tx = connection_state::tx_state::failed;
        return;
    }
    if (!st.multi_sent) {
        send_held();
    }
    st.lease.submit(std::move(r));
}

void redis_session::end_transaction() {
    auto& st = *state_;
    st.tx = connection_state::tx_state::none;
    st.multi_sent = false;
    st.held.clear();
    st.watching = false;  // EXEC and DISCARD unwatch
    st.watch_lost = false;
}

void redis_session::exec(std::span<const char> raw) {
    if (!in_transaction()) {
        reply_local("-ERR EXEC without MULTI\r\n");
        return;
    }
    auto& st = *state_;
    const bool aborted = st.tx == connection_state::tx_state::failed;
    if (aborted || st.watch_lost) {
        // Nothing is applied: the server is told to drop what it queued.
        reply_local(aborted ? exec_abort : std::string_view("*-1\r\n"));
        if (st.multi_sent && st.lease && !st.lease.lost()) {
            auto r = worker().requests.make();
            r->payload.assign(discard_request);
            r->sink = &ignored;
            st.lease.submit(std::move(r));
        }
        end_transaction();
        return;
    }
    if (!st.lease || st.lease.lost()) {
        if (st.held.size() == 1) {  // MULTI and nothing else
            reply_local("*0\r\n");
            end_transaction();
            return;
        }
        // Only keyless commands: any server runs them.
        const auto server = upstream().route({});
        const std::string error = server ? lease_for(*server) : std::string("-ERR no server\r\n");
        if (!error.empty()) {
            reply_local(exec_abort);
            end_transaction();
            return;
        }
        send_held();
    }
    auto r = add_request();
    copy_payload(*r, raw);
    st.lease.submit(std::move(r));
    end_transaction();
}

void redis_session::discard(std::span<const char> raw) {
    if (!in_transaction()) {
        reply_local("-ERR DISCARD without MULTI\r\n");
        return;
    }
    auto& st = *state_;
    if (st.multi_sent && st.lease && !st.lease.lost()) {
        auto r = add_request();
        copy_payload(*r, raw);
        st.lease.submit(std::move(r));
    } else {
        reply_local("+OK\r\n");
    }
    end_transaction();
}

void redis_session::watch(std::span<const char> raw) {
    if (in_transaction()) {
        reply_local("-ERR WATCH inside MULTI is not allowed\r\n");
        return;
    }
    const auto server = one_server(std::span(argv_).subspan(1));
    if (!server) {
        return;
    }
    if (const std::string error = lease_for(*server); !error.empty()) {
        reply_local(error);
        return;
    }
    auto& st = *state_;
    auto r = add_request();
    copy_payload(*r, raw);
    st.lease.submit(std::move(r));
    st.watching = true;
    st.watch_lost = false;
}

void redis_session::unwatch(std::span<const char> raw) {
    if (!state_ || !state_->watching || !state_->lease || state_->lease.lost()) {
        if (state_) {
            state_->watching = false;
            state_->watch_lost = false;
        }
        reply_local("+OK\r\n");
        return;
    }
    auto r = add_request();
    copy_payload(*r, raw);
    state_->lease.submit(std::move(r));
    state_->watching = false;
}

// Blocking commands run on a lease for as long as they block: the command's own timeout holds
// (plus the pool's timeout for the reply to come back), whatever the pool's timeout is.
void redis_session::blocking(std::span<const char> raw) {
    auto call = redis::parse_blocking(argv_);
    if (!call.error.empty()) {
        reply_local(call.error);
        return;
    }
    const auto server = one_server(call.keys);
    if (!server) {
        return;
    }
    auto r = add_request();
    copy_payload(*r, raw);
    if (!call.timeout_ms) {  // XREAD without BLOCK: an ordinary read
        if (auto* lease = lease_on(*server)) {
            lease->submit(std::move(r));
        } else {
            submit(*server, std::move(r));
        }
        return;
    }
    if (const std::string error = lease_for(*server); !error.empty()) {
        r->finish_local(error);
        return;
    }
    const auto pool_timeout = service().config().timeout;
    r->timeout_ms =
        !pool_timeout || *call.timeout_ms == 0 ? 0 : *call.timeout_ms + pool_timeout->count();
    ++state_->blocking;
    state_->lease.submit(std::move(r));
}

// SCAN walks the servers one after the other: the cursor carries which one (low bits) and that
// server's own cursor (high bits), so a full iteration visits every server exactly once.
void redis_session::scan() {
    const std::string_view text = argv_[1];
    std::uint64_t cursor = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), cursor);
    const std::size_t servers = upstream().server_count();
    const std::uint64_t index = cursor & server_mask;
    if (ec != std::errc{} || end != text.data() + text.size() || index >= servers ||
        servers > server_mask + 1) {
        reply_local("-ERR invalid cursor\r\n");
        return;
    }
    std::vector<std::string_view> args(argv_.begin(), argv_.end());
    const std::string inner = std::to_string(cursor >> server_bits);
    args[1] = inner;
    std::string payload;
    resp::encode_request(args, payload);
    auto parent = add_request();
    auto merge = [index, servers](std::span<const upstream::request_ptr> parts) -> std::string {
        const auto& reply = parts.front()->reply;
        std::vector<std::string_view> elements;
        if (parts.front()->failed || !resp::split_array(reply, elements) || elements.size() != 2 ||
            elements[0].size() < 4 || elements[0][0] != '$') {
            return reply.empty() || reply[0] != '-'
                       ? std::string("-ERR unexpected reply from server to SCAN\r\n")
                       : reply;
        }
        const std::string_view body = elements[0].substr(elements[0].find("\r\n") + 2);
        std::uint64_t next = 0;
        std::from_chars(body.data(), body.data() + body.size(), next);
        std::uint64_t out = 0;
        if (next != 0) {
            out = (next << server_bits) | index;
        } else if (index + 1 < servers) {
            out = index + 1;  // the next server, from its start
        }
        std::string merged = "*2\r\n";
        redis::append_bulk(std::to_string(out), merged);
        merged += elements[1];
        return merged;
    };
    const std::uint32_t target = static_cast<std::uint32_t>(index);
    launch(
        *parent,
        std::make_unique<redis_broadcast>(*parent, payload, 1, std::move(merge), worker().requests),
        std::span(&target, 1));
}

// RESET: this client's state goes (transaction, WATCH, subscriptions, name), and, as in Redis, it
// is logged out when the pool has a password.
void redis_session::reset() {
    if (state_) {
        using end = upstream::lease::end;
        if (state_->lease) {
            const bool stateful =
                state_->tx != connection_state::tx_state::none || state_->watching;
            state_->lease.release(!state_->lease.idle() ? end::close
                                  : stateful            ? end::reset
                                                        : end::clean);
        }
        for (auto& s : state_->subscribers) {
            s.release(end::close);
        }
        state_.reset();
    }
    meta_.reset();
    authenticated_ = service().config().redis_auth.empty();
    parser_.set_limits(limits(!authenticated_));
    reply_local("+RESET\r\n");
}

}  // namespace coproxy::frontend
