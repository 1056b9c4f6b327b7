// Parsing and dispatch for Redis clients; see redis_session.hpp.
#include "frontend/redis_session.hpp"

#include <random>

#include "coproxy/protocol/redis_merge.hpp"
#include "frontend/redis_fanout.hpp"
#include "frontend/redis_state.hpp"
#include "frontend/sessions.hpp"

namespace coproxy::frontend {
namespace {

namespace redis = protocol::redis;
namespace resp = protocol::resp;

bool is(std::string_view name, const redis::command_info& info) {
    return info.name == name;
}

}  // namespace

redis_session::redis_session(worker_state& worker, slot_index index)
    : keyed_session(worker, index),
      // Unique among this process's clients: the worker's own count, the worker in the low bits.
      id_(static_cast<std::int64_t>(worker.sessions_started) * 256 + worker.worker.id() + 1) {
    authenticated_ = service().config().redis_auth.empty();
    parser_.set_limits(limits(!authenticated_));
}

std::string_view redis_session::too_large_reply() const {
    return "-ERR Protocol error: request larger than max_request_bytes\r\n";
}

resp::limits redis_session::limits(bool unauthenticated) {
    resp::limits l;
    l.max_bulk_len =
        std::min<std::uint64_t>(l.max_bulk_len, service().config().effective_max_request_bytes());
    l.unauthenticated = unauthenticated;  // Redis's pre-AUTH caps
    return l;
}

keyed_session::step redis_session::process() {
    while (!too_many_pending()) {
        if (in_.empty()) {
            return step::need_more;
        }
        const auto r = parser_.parse(in_.data());
        if (r.st == resp::status::need_more) {
            return step::need_more;
        }
        if (r.st != resp::status::ok) {
            metrics().protocol_errors.add();
            reply_local("-ERR " + std::string(r.error) + "\r\n");
            return step::stop;  // as Redis does: the error, then the connection closes
        }
        if (refuse_if_too_large(r.consumed)) {
            return step::stop;
        }
        if (parser_.argc() > 0) {
            dispatch(in_.data().first(r.consumed));
        }
        in_.consume(r.consumed);
        if (quit_) {
            return step::stop;
        }
    }
    return step::paused;
}

// Redis's order: an unknown command or a wrong arity is reported before authentication is
// asked for; then only AUTH, HELLO and QUIT pass an unauthenticated client. A subscribed client
// may only (un)subscribe, PING, QUIT and RESET; in a transaction, commands are queued.
void redis_session::dispatch(std::span<const char> raw) {
    argv_.clear();
    for (std::size_t i = 0; i < parser_.argc(); ++i) {
        argv_.push_back(parser_.arg(i));
    }
    const redis::command_info* info = redis::resolve(argv_);
    const auto table = redis::all_commands();
    count_command(info != nullptr ? static_cast<std::size_t>(info - table.data()) : table.size());
    std::string error;
    if (info == nullptr) {
        redis::format_unknown_command_error(argv_[0], std::span(argv_).subspan(1), error);
    } else if (!redis::arity_ok(*info, argv_.size())) {
        redis::format_arity_error(info->name, error);
    } else if (!authenticated_ && !is("auth", *info) && !is("hello", *info) && !is("quit", *info)) {
        error = "-NOAUTH Authentication required.\r\n";
    }
    if (!error.empty()) {
        if (in_transaction()) {
            transaction_failed(error);  // as Redis: a command that cannot be queued aborts EXEC
        } else {
            reply_local(error);
        }
        return;
    }
    if (subscribed() && !is("subscribe", *info) && !is("unsubscribe", *info) &&
        !is("psubscribe", *info) && !is("punsubscribe", *info) && !is("ssubscribe", *info) &&
        !is("sunsubscribe", *info) && !is("ping", *info) && !is("quit", *info) &&
        !is("reset", *info)) {
        reply_local(
            "-ERR Can't execute '" + std::string(info->name) +
            "': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in "
            "this context\r\n");
        return;
    }
    if (in_transaction() && !is("exec", *info) && !is("discard", *info) && !is("multi", *info) &&
        !is("watch", *info) && !is("quit", *info) && !is("reset", *info)) {
        queue_in_transaction(*info, raw);
        return;
    }
    run(*info, raw);
}

void redis_session::run(const redis::command_info& info, std::span<const char> raw) {
    std::string error;
    switch (info.kind) {
        case redis::command_kind::unsupported:
            redis::format_unsupported_error(info.name, error);
            reply_local(error);
            break;
        case redis::command_kind::local:
            answer_locally(info);
            break;
        case redis::command_kind::stateful:
            stateful(info, raw);
            break;
        case redis::command_kind::multi_key:
            forward_multi(info, raw);
            break;
        case redis::command_kind::whole_pool:
            forward_to_every_server(info, raw);
            break;
        case redis::command_kind::any_server:
            forward_to_any_server(raw);
            break;
        default:
            forward_keyed(info, raw);
            break;
    }
}

// A request for the server of one key: on this client's leased connection to that server when it
// holds one (so it stays in order with its transaction or blocking command), else shared.
void redis_session::forward_keyed(const redis::command_info& info, std::span<const char> raw) {
    auto r = add_request();
    copy_payload(*r, raw);
    const auto server = upstream().route(argv_[redis::route_key(info, argv_)]);
    if (!server) {
        refuse_unroutable(*r);
    } else if (auto* lease = lease_on(*server)) {
        lease->submit(std::move(r));
    } else {
        submit(*server, std::move(r));
    }
}

std::optional<std::uint32_t> redis_session::one_server(std::span<const std::string_view> keys) {
    std::optional<std::uint32_t> server;
    for (const auto key : keys) {
        const auto s = upstream().route(key);
        if (!s) {
            reply_local(upstream().protocol().error_reply("no server is available for this key"));
            return std::nullopt;
        }
        if (server && *server != *s) {
            reply_local("-CROSSSLOT Keys in request don't hash to the same slot\r\n");
            return std::nullopt;
        }
        server = s;
    }
    return server;
}

void redis_session::copy_payload(upstream::request& r, std::span<const char> raw) {
    if (parser_.is_inline()) {
        resp::encode_request(parser_, r.payload);  // redis-cli/telnet inline form
    } else {
        r.payload.assign(raw.data(), raw.size());  // forwarded as received
    }
}

void redis_session::forward_multi(const redis::command_info& info, std::span<const char> raw) {
    const redis_keys keys(info, argv_);
    fan_out(
        add_request(), keys.count(), keys,
        [&](upstream::request& whole) { copy_payload(whole, raw); },
        [&](upstream::request& parent, key_groups groups) {
            return std::make_unique<redis_fanout>(parent, info, keys, std::move(groups),
                                                  worker().requests, upstream().protocol());
        });
}

// SCRIPT LOAD/EXISTS/FLUSH, INFO, DBSIZE, RANDOMKEY, and with the pool's consent FLUSHDB,
// FLUSHALL and KEYS: every server gets the request; the merge is the reply one Redis would give
// (INFO: coproxy's own, with what the servers said).
void redis_session::forward_to_every_server(const redis::command_info& info,
                                            std::span<const char> raw) {
    const auto& cfg = service().config();
    const bool flush = is("flushdb", info) || is("flushall", info);
    if ((flush && !cfg.allow_flush) || (is("keys", info) && !cfg.allow_keys)) {
        std::string upper(info.name);
        for (char& c : upper) {
            c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        }
        reply_local("-ERR " + upper + " would reach every server of pool '" + cfg.name + "'; set " +
                    (flush ? "allow_flush" : "allow_keys") + ": true on the pool to allow it\r\n");
        return;
    }
    auto parent = add_request();

    std::string payload;
    if (info.merge == redis::merge_kind::info) {
        const std::string_view ask[] = {"INFO"};  // the default sections: server and keyspace
        resp::encode_request(ask, payload);
    } else {
        copy_payload(*parent, raw);
        payload.swap(parent->payload);
    }
    const std::size_t n = upstream().pool().servers.size();
    std::vector<std::uint32_t> servers(n);
    for (std::uint32_t s = 0; s < n; ++s) {
        servers[s] = s;
    }
    redis_broadcast::merger merge;
    if (info.merge == redis::merge_kind::any_value) {
        merge = [](std::span<const upstream::request_ptr> parts) {
            // RANDOMKEY: a key from a server that has one, picked at random among them.
            std::vector<const upstream::request*> found;
            for (const auto& p : parts) {
                if (!p->failed && !p->reply.empty() && p->reply[0] == '$' &&
                    p->reply != "$-1\r\n") {
                    found.push_back(p.get());
                }
            }
            if (found.empty()) {
                for (const auto& p : parts) {
                    if (p->failed || (!p->reply.empty() && p->reply[0] == '-')) {
                        return p->reply;
                    }
                }
                return std::string("$-1\r\n");
            }
            static thread_local std::minstd_rand pick{std::random_device{}()};
            return found[pick() % found.size()]->reply;
        };
    } else if (info.merge == redis::merge_kind::info) {
        // The sections asked for, kept past this request's buffer.

        std::vector<std::string> sections(argv_.begin() + 1, argv_.end());
        merge = [this,
                 sections = std::move(sections)](std::span<const upstream::request_ptr> parts) {
            std::vector<std::string_view> views(sections.begin(), sections.end());
            return info_reply(views, parts);
        };
    } else {
        merge = [kind = info.merge](std::span<const upstream::request_ptr> parts) {
            std::vector<std::string_view> replies;
            for (const auto& p : parts) {
                replies.emplace_back(p->reply);
            }
            return redis::merge_replies(kind, replies);
        };
    }
    launch(
        *parent,
        std::make_unique<redis_broadcast>(*parent, payload, n, std::move(merge), worker().requests),
        servers);
}

// A keyless request every server answers alike (OBJECT HELP): to the server the empty key maps to.
void redis_session::forward_to_any_server(std::span<const char> raw) {
    auto r = add_request();
    copy_payload(*r, raw);
    forward(std::move(r), {});
}

}  // namespace coproxy::frontend

namespace coproxy::frontend {

std::unique_ptr<keyed_session> make_redis_session(worker_state& worker, slot_index index) {
    return std::make_unique<redis_session>(worker, index);
}

}  // namespace coproxy::frontend
