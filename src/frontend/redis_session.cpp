// A Redis client: RESP (and inline) requests parsed, checked against the command table, answered
// locally (PING, ECHO, QUIT, SELECT 0, AUTH), refused with the connection kept open (commands a
// sharding proxy cannot serve, unknown commands, wrong arity: Redis's own texts), or forwarded
// byte for byte to the server that holds the key; multi-key commands are split and merged.
#include <algorithm>

#include "coproxy/protocol/redis_commands.hpp"
#include "coproxy/protocol/resp.hpp"
#include "frontend/keyed_session.hpp"
#include "frontend/redis_fanout.hpp"
#include "frontend/sessions.hpp"

namespace coproxy::frontend {
namespace {

namespace redis = protocol::redis;
namespace resp = protocol::resp;

// Compares without an early exit, so response time says nothing about how much matched.
bool constant_time_equal(std::string_view a, std::string_view b) {
    unsigned char diff = a.size() == b.size() ? 0 : 1;
    const std::size_t n = std::max(a.size(), b.size());
    for (std::size_t i = 0; i < n; ++i) {
        const unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
        const unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
        diff |= static_cast<unsigned char>(x ^ y);
    }
    return diff == 0;
}

bool equals_ignoring_case(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

std::string bulk(std::string_view s) {
    return "$" + std::to_string(s.size()) + "\r\n" + std::string(s) + "\r\n";
}

class redis_session final : public keyed_session {
  public:
    redis_session(worker_state& worker, slot_index index) : keyed_session(worker, index) {
        password_ = service().config().redis_auth;
        authenticated_ = password_.empty();
        parser_.set_limits(limits(!authenticated_));
    }

  protected:
    step process() override {
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

    std::string_view too_large_reply() const override {
        return "-ERR Protocol error: request larger than max_request_bytes\r\n";
    }

  private:
    resp::limits limits(bool unauthenticated) {
        resp::limits l;
        l.max_bulk_len = std::min<std::uint64_t>(l.max_bulk_len,
                                                 service().config().effective_max_request_bytes());
        l.unauthenticated = unauthenticated;  // Redis's pre-AUTH caps
        return l;
    }

    void dispatch(std::span<const char> raw) {
        argv_.clear();
        for (std::size_t i = 0; i < parser_.argc(); ++i) {
            argv_.push_back(parser_.arg(i));
        }
        if (!authenticated_ && !equals_ignoring_case(argv_[0], "auth")) {
            reply_local("-NOAUTH Authentication required.\r\n");
            return;
        }
        const redis::command_info* info = redis::resolve(argv_);
        const auto table = redis::all_commands();
        count_command(info != nullptr ? static_cast<std::size_t>(info - table.data())
                                      : table.size());
        std::string error;
        if (info == nullptr) {
            redis::format_unknown_command_error(argv_[0], std::span(argv_).subspan(1), error);
        } else if (!redis::arity_ok(*info, argv_.size())) {
            redis::format_arity_error(info->name, error);
        } else if (info->kind == redis::command_kind::unsupported) {
            redis::format_unsupported_error(info->name, error);
        }
        if (!error.empty()) {
            reply_local(error);
            return;
        }
        switch (info->kind) {
            case redis::command_kind::local:
                answer_locally(*info);
                break;
            case redis::command_kind::multi_key:
                forward_multi(*info, raw);
                break;
            default: {
                auto r = add_request();
                copy_payload(*r, raw);
                forward(std::move(r), argv_[redis::route_key(*info, argv_)]);
                break;
            }
        }
    }

    void copy_payload(upstream::request& r, std::span<const char> raw) {
        if (parser_.is_inline()) {
            resp::encode_request(parser_, r.payload);  // redis-cli/telnet inline form
        } else {
            r.payload.assign(raw.data(), raw.size());  // forwarded as received
        }
    }

    void forward_multi(const redis::command_info& info, std::span<const char> raw) {
        const redis_keys keys(info, argv_);
        fan_out(
            add_request(), keys.count(), keys,
            [&](upstream::request& whole) { copy_payload(whole, raw); },
            [&](upstream::request& parent, key_groups groups) {
                return std::make_unique<redis_fanout>(parent, info, keys, std::move(groups),
                                                      worker().requests, upstream().protocol());
            });
    }

    void answer_locally(const redis::command_info& info) {
        const std::string_view name = info.name;
        if (name == "ping") {
            if (argv_.size() > 2) {
                std::string error;
                redis::format_arity_error("ping", error);
                reply_local(error);
            } else {
                reply_local(argv_.size() == 2 ? bulk(argv_[1]) : "+PONG\r\n");
            }
        } else if (name == "echo") {
            reply_local(bulk(argv_[1]));
        } else if (name == "quit") {
            reply_local("+OK\r\n");
            quit_ = true;
        } else if (name == "select") {
            reply_local(argv_[1] == "0" ? "+OK\r\n"
                                        : "-ERR only database 0 is available through a proxy\r\n");
        } else if (name == "auth") {
            authenticate();
        }
    }

    void authenticate() {
        if (argv_.size() > 3) {
            reply_local("-ERR syntax error\r\n");
            return;
        }
        if (password_.empty()) {
            reply_local(
                "-ERR AUTH <password> called without any password configured for the default "
                "user. Are you sure your configuration is correct?\r\n");
            return;
        }
        const bool user_ok = argv_.size() == 2 || argv_[1] == "default";
        const bool password_ok = constant_time_equal(argv_.back(), password_);
        if (user_ok && password_ok) {
            authenticated_ = true;
            parser_.set_limits(limits(false));
            reply_local("+OK\r\n");
        } else {
            reply_local("-WRONGPASS invalid username-password pair or user is disabled.\r\n");
        }
    }

    resp::request_parser parser_;
    std::vector<std::string_view> argv_;
    std::string password_;
    bool authenticated_ = true;
    bool quit_ = false;
};

}  // namespace

std::unique_ptr<keyed_session> make_redis_session(worker_state& worker, slot_index index) {
    return std::make_unique<redis_session>(worker, index);
}

}  // namespace coproxy::frontend
