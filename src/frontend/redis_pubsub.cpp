// Subscriptions through a sharding proxy. A channel lives on a server as a key does (PUBLISH and
// SPUBLISH are routed by it), so SUBSCRIBE and SSUBSCRIBE reach the channel's server; a pattern
// may match a channel on any server, so PSUBSCRIBE reaches every server. Each server this client
// subscribes on gets a connection leased for it (stream mode: its messages come unasked), and
// messages from all of them are merged into the client's connection. The client gets what a single
// Redis would send: one confirmation per channel, in the order it named them, with its own
// counts, once the server has confirmed; messages in arrival order; PING's subscribed-mode reply.
// A subscriber connection that fails is replaced and its subscriptions restored (counted, and the
// time without them counted, in pubsub_resubscribes_total and pubsub_gap_milliseconds_total).
#include <map>

#include "coproxy/protocol/resp.hpp"
#include "frontend/redis_session.hpp"
#include "frontend/redis_state.hpp"

namespace coproxy::frontend {
namespace {

namespace resp = protocol::resp;
using namespace std::chrono_literals;

constexpr auto resubscribe_retry = 500ms;

void append_bulk(std::string_view s, std::string& out) {
    out += '$';
    out += std::to_string(s.size());
    out += "\r\n";
    out += s;
    out += "\r\n";
}

std::string confirmation(std::string_view kind, const std::string* name, std::size_t count) {
    std::string out = "*3\r\n";
    append_bulk(kind, out);
    if (name != nullptr) {
        append_bulk(*name, out);
    } else {
        out += "$-1\r\n";
    }
    out += ':' + std::to_string(count) + "\r\n";
    return out;
}

std::string encode(std::string_view kind, const std::vector<std::string>& names) {
    std::vector<std::string_view> args{kind};
    args.insert(args.end(), names.begin(), names.end());
    std::string out;
    resp::encode_request(args, out);
    return out;
}

// A subscribe-family kind without its "un" prefix: which set it is about.
std::string_view base(std::string_view kind) {
    return kind.starts_with("un")    ? kind.substr(2)
           : kind.starts_with("pun") ? std::string_view("psubscribe")
           : kind.starts_with("sun") ? std::string_view("ssubscribe")
                                     : kind;
}

}  // namespace

bool redis_session::subscribed() const {
    return state_ && (!state_->channels.empty() || !state_->patterns.empty() ||
                      !state_->shard_channels.empty());
}

void redis_session::subscribed_ping() {
    std::string out = "*2\r\n$4\r\npong\r\n";
    append_bulk(argv_.size() > 1 ? argv_[1] : std::string_view(), out);
    reply_local(out);
}

bool redis_session::holds_subscriptions(std::uint32_t server) {
    auto& st = *state_;
    if (!st.patterns.empty()) {
        return true;
    }
    for (const auto* set : {&st.channels, &st.shard_channels}) {
        for (const auto& name : *set) {
            if (upstream().route(name) == server) {
                return true;
            }
        }
    }
    return false;
}

void redis_session::subscribe(std::string_view kind, std::span<const std::string_view> names) {
    auto& st = state();
    const bool pattern = kind == "psubscribe";
    const bool shard = kind == "ssubscribe";
    auto& set = pattern ? st.patterns : shard ? st.shard_channels : st.channels;
    // The servers each new name needs, before anything changes: a refused lease refuses it all.
    std::map<std::uint32_t, std::vector<std::string>> per_server;
    for (const auto name : names) {
        if (set.count(std::string(name)) != 0) {
            continue;
        }
        if (pattern) {
            for (std::uint32_t s = 0; s < upstream().server_count(); ++s) {
                per_server[s].emplace_back(name);
            }
        } else if (const auto s = upstream().route(name)) {
            per_server[*s].emplace_back(name);
        } else {
            reply_local(upstream().protocol().error_reply("no server is available for this key"));
            return;
        }
    }
    for (const auto& [server, list] : per_server) {
        auto& lease = st.subscribers[server];
        if (lease && !lease.lost()) {
            continue;
        }
        lease = upstream().lease_connection(server, *this, true);
        if (!lease) {
            reply_local("-ERR coproxy: the " +
                        std::to_string(service().config().pinned_connections) +
                        " pinned_connections to server '" +
                        service().config().servers[server].display_name() +
                        "' are all in use by other clients; try again later\r\n");
            return;
        }
    }
    auto confirm = std::make_shared<pending_confirm>();
    confirm->parent = add_request();
    std::set<std::string> fresh;
    for (const auto name : names) {
        std::string n(name);
        set.insert(n);
        const std::size_t count =
            shard ? st.shard_channels.size() : st.channels.size() + st.patterns.size();
        confirm->text += confirmation(kind, &n, count);
    }
    for (const auto& [server, list] : per_server) {
        auto r = worker().requests.make();
        r->payload = encode(kind, list);
        st.subscribers[server].submit(std::move(r));
        for (std::size_t i = 0; i < list.size(); ++i) {
            st.awaiting[server].push_back(confirm);
            ++confirm->remaining;
        }
    }
    if (confirm->remaining == 0) {
        confirm->parent->finish_local(confirm->text);  // every name was subscribed already
        confirm->parent = {};
    }
}

void redis_session::unsubscribe(std::string_view kind, std::span<const std::string_view> names) {
    auto& st = state();
    const std::string_view of = base(kind);
    const bool pattern = of == "psubscribe";
    const bool shard = of == "ssubscribe";
    auto& set = pattern ? st.patterns : shard ? st.shard_channels : st.channels;
    const auto count = [&] {
        return shard ? st.shard_channels.size() : st.channels.size() + st.patterns.size();
    };
    std::vector<std::string> list(names.begin(), names.end());
    if (list.empty()) {
        list.assign(set.begin(), set.end());  // every one of them
        if (list.empty()) {
            reply_local(confirmation(kind, nullptr, count()));
            return;
        }
    }
    auto confirm = std::make_shared<pending_confirm>();
    confirm->parent = add_request();
    std::map<std::uint32_t, std::vector<std::string>> per_server;
    for (const auto& name : list) {
        if (set.erase(name) != 0) {
            if (pattern) {
                for (std::uint32_t s = 0; s < st.subscribers.size(); ++s) {
                    per_server[s].push_back(name);
                }
            } else if (const auto s = upstream().route(name)) {
                per_server[*s].push_back(name);
            }
        }
        confirm->text += confirmation(kind, &name, count());
    }
    for (const auto& [server, names_there] : per_server) {
        auto& lease = st.subscribers[server];
        if (!lease || lease.lost()) {
            continue;  // nothing to undo there: it will not be restored
        }
        auto r = worker().requests.make();
        r->payload = encode(kind, names_there);
        lease.submit(std::move(r));
        for (std::size_t i = 0; i < names_there.size(); ++i) {
            st.awaiting[server].push_back(confirm);
            ++confirm->remaining;
        }
    }
    if (confirm->remaining == 0) {
        confirm->parent->finish_local(confirm->text);
        confirm->parent = {};
    }
}

// A reply on a subscriber connection: a message for the client, or a server's confirmation of
// what this session asked of it.
void redis_session::on_stream_reply(std::uint32_t server, std::string_view reply) {
    if (!state_ || server >= state_->awaiting.size()) {
        return;
    }
    auto& st = *state_;
    std::vector<std::string_view> elements;
    std::string_view type;
    if (resp::split_array(reply, elements) && !elements.empty() && elements[0].size() > 4 &&
        elements[0][0] == '$') {
        type = elements[0].substr(elements[0].find("\r\n") + 2);
        type.remove_suffix(2);
    }
    if (type == "message" || type == "pmessage" || type == "smessage") {
        reply_local(reply);  // in arrival order, behind what the client is already owed
        return;
    }
    if (type == "pong") {
        return;
    }
    // A confirmation (or an error in its place): the oldest one expected from this server.
    if (!st.awaiting[server].empty()) {
        const auto confirm = st.awaiting[server].front();
        st.awaiting[server].pop_front();
        if (confirm) {
            confirm->confirmed();
        } else if (st.lost_at[server] != runtime::clock::time_point{}) {
            // The first confirmation of a re-subscription: the gap is over.
            metrics().pubsub_resubscribes.add();
            metrics().pubsub_gap_ms.add(
                static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                               runtime::clock::now() - st.lost_at[server])
                                               .count()));
            st.lost_at[server] = {};
        }
    }
    if (st.awaiting[server].empty()) {
        defer([this, server] { release_idle_subscriber(server); });
    }
}

// A subscriber connection with no subscription left and no confirmation awaited goes (closed: a
// connection that was in subscribed mode is never handed to another client).
void redis_session::release_idle_subscriber(std::uint32_t server) {
    auto& st = *state_;
    auto& lease = st.subscribers[server];
    if (lease && st.awaiting[server].empty() && !holds_subscriptions(server)) {
        lease.release(upstream::lease::end::close);
    }
}

// Its connection failed: the confirmations it owed are given (the subscriptions stay this
// client's), and they are restored on a new connection as soon as the server takes one.
void redis_session::drop_subscriber(std::uint32_t server) {
    auto& st = *state_;
    auto waiting = std::move(st.awaiting[server]);
    st.awaiting[server].clear();
    for (const auto& confirm : waiting) {
        if (confirm) {
            confirm->confirmed();
        }
    }
    if (st.lost_at[server] == runtime::clock::time_point{}) {
        st.lost_at[server] = runtime::clock::now();
    }
    defer([this, server] {
        state_->subscribers[server].release(upstream::lease::end::close);
        resubscribe(server);
    });
}

void redis_session::resubscribe(std::uint32_t server) {
    if (!state_ || !holds_subscriptions(server)) {
        if (state_) {
            state_->lost_at[server] = {};
        }
        return;
    }
    auto& st = *state_;
    auto& lease = st.subscribers[server];
    if (lease && !lease.lost()) {
        return;
    }
    lease = upstream().lease_connection(server, *this, true);
    if (!lease) {
        after(resubscribe_retry, [this, server] { resubscribe(server); });
        return;
    }
    const auto send = [&](std::string_view kind, const std::vector<std::string>& names) {
        if (names.empty()) {
            return;
        }
        auto r = worker().requests.make();
        r->payload = encode(kind, names);
        lease.submit(std::move(r));
        for (std::size_t i = 0; i < names.size(); ++i) {
            st.awaiting[server].push_back(nullptr);
        }
    };
    std::vector<std::string> channels;
    std::vector<std::string> shard;
    for (const auto& c : st.channels) {
        if (upstream().route(c) == server) {
            channels.push_back(c);
        }
    }
    for (const auto& c : st.shard_channels) {
        if (upstream().route(c) == server) {
            shard.push_back(c);
        }
    }
    send("subscribe", channels);
    send("psubscribe", std::vector<std::string>(st.patterns.begin(), st.patterns.end()));
    send("ssubscribe", shard);
}

}  // namespace coproxy::frontend
