// Redis as a backend protocol: RESP reply framing, AUTH and SELECT on connect, "-ERR" errors.
#include "coproxy/protocol/resp.hpp"
#include "coproxy/upstream/backend_protocol.hpp"
#include "coproxy/upstream/request.hpp"

namespace coproxy::upstream {
namespace {

namespace resp = protocol::resp;

class redis_reader final : public reply_reader {
  public:
    result read(std::span<const char> input, request&) override {
        const auto r = parser_.parse(input);
        switch (r.st) {
            case resp::status::ok:
                return {status::complete, r.consumed};
            case resp::status::need_more:
                return {status::need_more, 0};
            default:
                return {status::invalid, 0};
        }
    }

  private:
    resp::reply_parser parser_;
};

class redis_backend final : public backend_protocol {
  public:
    explicit redis_backend(const config::pool_config& pool) {
        if (!pool.redis_auth.empty()) {
            std::string out;
            const std::string_view args[] = {"AUTH", pool.redis_auth};
            resp::encode_request(args, out);
            handshake_.push_back(std::move(out));
        }
        if (pool.redis_db != 0) {
            std::string out;
            const std::string db = std::to_string(pool.redis_db);
            const std::string_view args[] = {"SELECT", db};
            resp::encode_request(args, out);
            handshake_.push_back(std::move(out));
        }
    }

    std::unique_ptr<reply_reader> make_reader() const override {
        return std::make_unique<redis_reader>();
    }
    std::vector<std::string> handshake() const override { return handshake_; }
    bool is_error_reply(std::string_view reply) const override {
        return !reply.empty() && (reply[0] == '-' || reply[0] == '!');
    }
    std::string error_reply(std::string_view reason) const override {
        std::string out = "-ERR ";
        out.append(reason);
        out += "\r\n";
        return out;
    }

  private:
    std::vector<std::string> handshake_;
};

}  // namespace

std::shared_ptr<const backend_protocol> make_redis_backend(const config::pool_config& pool) {
    return std::make_shared<redis_backend>(pool);
}

}  // namespace coproxy::upstream
