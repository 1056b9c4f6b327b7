// A memcached client: classic ASCII and meta requests routed by key (meta `b` keys decoded for
// hashing), multi-key gets split and merged, flush_all broadcast, `mn` answered in order. Replies
// are matched strictly in order, so `noreply` and meta `q` are never forwarded: the request goes
// without them and coproxy drops the reply the client asked not to get. Malformed requests get
// memcached's own error and the stream resynchronises where memcached's does.
#include <unistd.h>

#include <ctime>

#include "coproxy/protocol/memcache.hpp"
#include "coproxy/version.hpp"
#include "frontend/keyed_session.hpp"
#include "frontend/memcache_fanout.hpp"
#include "frontend/sessions.hpp"

namespace coproxy::frontend {
namespace {

namespace mc = protocol::memcache;

const auto process_started = runtime::clock::now();

// memcached caps values with -I (1 MiB by default); coproxy leaves that decision to the servers and
// only bounds what it buffers for one request (max_request_bytes).
mc::request_limits request_limits(std::uint64_t max_request_bytes) {
    return {.max_line = 16 * 1024,
            .max_retrieval_line = 1024 * 1024,
            .max_value = static_cast<std::size_t>(max_request_bytes)};
}

class memcache_session final : public keyed_session {
  public:
    memcache_session(worker_state& worker, slot_index index)
        : keyed_session(worker, index),
          parser_(request_limits(service().config().effective_max_request_bytes())) {}

    void on_reply(upstream::request& r) override {
        // A quiet request's reply is dropped when the client's noreply/q mode hides it: classic
        // noreply hides everything (the client reads nothing back), meta q only success codes.
        if (r.tag == quiet_tag) {
            const auto status = r.failed ? mc::reply_status::server_error
                                         : static_cast<mc::reply_status>(r.reply_kind);
            r.quiet = mc::quiet_suppresses(static_cast<mc::command>(r.kind), status);
        }
        count_hits(r);
        keyed_session::on_reply(r);
    }

  protected:
    std::string_view too_large_reply() const override {
        return "SERVER_ERROR object too large for cache\r\n";  // memcached's words
    }

    step process() override {
        while (!too_many_pending()) {
            if (in_.empty()) {
                return step::need_more;
            }
            const auto r = parser_.parse(in_.data());
            if (r.st == mc::status::need_more) {
                return step::need_more;
            }
            if (r.st == mc::status::ok) {
                if (refuse_if_too_large(r.consumed)) {
                    return step::stop;
                }
                dispatch(parser_.request());
            } else {
                metrics().protocol_errors.add();
                if (!r.reply.empty()) {
                    reply_local(r.reply);
                }
            }
            in_.consume(r.consumed);
            if (r.close || quit_) {
                return step::stop;
            }
        }
        return step::paused;
    }

  private:
    static constexpr std::uint32_t quiet_tag = 1;

    void dispatch(const mc::request& req) {
        count_command(static_cast<std::size_t>(req.cmd));
        switch (req.cmd) {
            case mc::command::quit:
                quit_ = true;  // memcached closes without a reply
                return;
            case mc::command::version:
                // Answered here, as mcrouter does: a client's health check must not depend on the
                // one server an empty key happens to hash to.
                reply_local("VERSION coproxy-" + std::string(coproxy::version) + "\r\n");
                return;
            case mc::command::mn:
                reply_local("MN\r\n");  // the pipeline marker, in order with everything before it
                return;
            case mc::command::verbosity:
                if (!req.quiet) {
                    reply_local("OK\r\n");
                }
                return;
            case mc::command::flush_all:
                broadcast(req, "OK\r\n");
                return;
            case mc::command::stats:
                if (req.tokens.size() == 1) {
                    reply_local(stats());
                } else {
                    broadcast(req, "RESET\r\n");  // stats reset: the servers' counters
                }
                return;
            default:
                break;
        }
        if (mc::is_retrieval(req.cmd) && req.keys.size() > 1) {
            get_many(req);
            return;
        }
        if (mc::is_retrieval(req.cmd) && req.keys.empty()) {
            reply_local("END\r\n");  // "gat <exptime>" with no keys: memcached answers END
            return;
        }
        auto r = add_request();
        r->kind = static_cast<std::uint8_t>(req.cmd);
        r->keys = static_cast<std::uint32_t>(req.keys.size());
        set_payload(*r, req);
        forward(std::move(r), parser_.hash_key());
    }

    // get_hits/get_misses: the keys a retrieval found, and the others.
    void count_hits(const upstream::request& r) {
        const auto cmd = static_cast<mc::command>(r.kind);
        if (r.failed || (!mc::is_retrieval(cmd) && cmd != mc::command::mg)) {
            return;
        }
        const auto status = static_cast<mc::reply_status>(r.reply_kind);
        if (mc::is_error(status)) {
            return;
        }
        if (cmd == mc::command::mg) {
            (status == mc::reply_status::en ? metrics().get_misses : metrics().get_hits).add();
            return;
        }
        metrics().get_hits.add(r.reply_hits);
        metrics().get_misses.add(r.keys > r.reply_hits ? r.keys - r.reply_hits : 0);
    }

    // memcached's general-purpose statistics, for what the proxy knows: its clients, the
    // commands it received, and the hits and misses its servers answered.
    std::string stats() {
        std::uint64_t set = 0, flush = 0, touch = 0, hits = 0, misses = 0;
        std::uint64_t accepted = 0, rejected = 0, read = 0, written = 0;
        std::int64_t current = 0;
        const auto cell = [](mc::command c) { return static_cast<std::size_t>(c); };
        for (const auto& w : service().stats().workers) {
            for (auto c :
                 {mc::command::set, mc::command::add, mc::command::replace, mc::command::append,
                  mc::command::prepend, mc::command::cas, mc::command::ms}) {
                set += w.commands[cell(c)].value();
            }
            flush += w.commands[cell(mc::command::flush_all)].value();
            touch += w.commands[cell(mc::command::touch)].value() +
                     w.commands[cell(mc::command::gat)].value() +
                     w.commands[cell(mc::command::gats)].value();
            hits += w.get_hits.value();
            misses += w.get_misses.value();
            accepted += w.client_connections_accepted.value();
            rejected += w.client_connections_rejected.value();
            read += w.client_bytes_in.value();
            written += w.client_bytes_out.value();
            current += w.client_connections.value();
        }
        const auto uptime = std::chrono::duration_cast<std::chrono::seconds>(runtime::clock::now() -
                                                                             process_started)
                                .count();
        std::string out;
        const auto stat = [&out](std::string_view name, const std::string& value) {
            out += "STAT ";
            out += name;
            out += ' ';
            out += value;
            out += "\r\n";
        };
        using std::to_string;
        stat("pid", to_string(::getpid()));
        stat("uptime", to_string(uptime));
        stat("time", to_string(std::time(nullptr)));
        stat("version", "coproxy-" + std::string(coproxy::version));
        stat("pointer_size", "64");
        stat("max_connections", to_string(worker().process_gate.limit()));
        stat("curr_connections", to_string(current));
        stat("total_connections", to_string(accepted));
        stat("rejected_connections", to_string(rejected));
        stat("cmd_get", to_string(hits + misses));  // memcached counts keys fetched
        stat("cmd_set", to_string(set));
        stat("cmd_flush", to_string(flush));
        stat("cmd_touch", to_string(touch));
        stat("get_hits", to_string(hits));
        stat("get_misses", to_string(misses));
        stat("bytes_read", to_string(read));
        stat("bytes_written", to_string(written));
        stat("threads", to_string(service().stats().workers.size()));
        out += "END\r\n";
        return out;
    }

    void set_payload(upstream::request& r, const mc::request& req) {
        if (req.quiet) {
            mc::encode_without_quiet(req, r.payload);
            r.tag = quiet_tag;
        } else {
            r.payload.assign(req.raw);
        }
    }

    void get_many(const mc::request& req) {
        auto parent = add_request();
        parent->kind = static_cast<std::uint8_t>(req.cmd);
        parent->keys = static_cast<std::uint32_t>(req.keys.size());
        fan_out(
            std::move(parent), req.keys.size(), [&](std::size_t i) { return req.keys[i]; },
            [&](upstream::request& whole) { whole.payload.assign(req.raw); },
            [&](upstream::request& p, key_groups groups) {
                return memcache_fanout::retrieval(p, req, std::move(groups), worker().requests,
                                                  upstream().protocol());
            });
    }

    // flush_all and stats reset: every server, one reply once all have answered.
    void broadcast(const mc::request& req, std::string_view success) {
        auto parent = add_request();
        parent->kind = static_cast<std::uint8_t>(req.cmd);
        if (req.quiet) {
            parent->tag = quiet_tag;
        }
        std::string payload;
        set_payload(*parent, req);
        payload.swap(parent->payload);
        std::vector<std::uint32_t> servers(upstream().pool().servers.size());
        for (std::uint32_t s = 0; s < servers.size(); ++s) {
            servers[s] = s;
        }
        launch(*parent,
               memcache_fanout::broadcast(*parent, payload, req.cmd, servers.size(), success,
                                          worker().requests, upstream().protocol()),
               servers);
    }

    mc::request_parser parser_;
    bool quit_ = false;
};

}  // namespace

std::unique_ptr<keyed_session> make_memcache_session(worker_state& worker, slot_index index) {
    return std::make_unique<memcache_session>(worker, index);
}

}  // namespace coproxy::frontend
