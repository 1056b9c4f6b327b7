// A memcached client: classic ASCII and meta requests routed by key (meta `b` keys decoded for
// hashing), multi-key gets split and merged, flush_all broadcast, `mn` answered in order. Replies
// are matched strictly in order, so `noreply` and meta `q` are never forwarded: the request goes
// without them and coproxy drops the reply the client asked not to get. Malformed requests get
// memcached's own error and the stream resynchronises where memcached's does.
#include "coproxy/protocol/memcache.hpp"
#include "coproxy/version.hpp"
#include "frontend/keyed_session.hpp"
#include "frontend/memcache_fanout.hpp"
#include "frontend/sessions.hpp"

namespace coproxy::frontend {
namespace {

namespace mc = protocol::memcache;

// memcached caps values with -I (1 MiB by default); coproxy leaves that decision to the servers and
// only bounds what it buffers for one request (max_request_bytes).
mc::request_limits request_limits(std::uint64_t max_request_bytes) {
    return {.max_line = 2048,
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
                flush_all(req);
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
        set_payload(*r, req);
        forward(std::move(r), parser_.hash_key());
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
        fan_out(
            std::move(parent), req.keys.size(), [&](std::size_t i) { return req.keys[i]; },
            [&](upstream::request& whole) { whole.payload.assign(req.raw); },
            [&](upstream::request& p, key_groups groups) {
                return memcache_fanout::retrieval(p, req, std::move(groups), worker().requests,
                                                  upstream().protocol());
            });
    }

    void flush_all(const mc::request& req) {
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
               memcache_fanout::broadcast(*parent, payload, req.cmd, servers.size(),
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
