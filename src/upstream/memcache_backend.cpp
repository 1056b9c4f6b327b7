// memcached as a backend protocol: replies framed by the command they answer, "SERVER_ERROR"
// for coproxy's own errors, nothing to send on connect.
#include "coproxy/protocol/memcache.hpp"
#include "coproxy/upstream/backend_protocol.hpp"
#include "coproxy/upstream/request.hpp"

namespace coproxy::upstream {
namespace {

namespace mc = protocol::memcache;

class memcache_reader final : public reply_reader {
  public:
    result read(std::span<const char> input, request& head) override {
        const auto r = parser_.parse(input, static_cast<mc::command>(head.kind));
        switch (r.st) {
            case mc::status::ok:
                head.reply_kind = static_cast<std::uint8_t>(parser_.kind());
                head.reply_values = parser_.values_size();
                head.reply_hits = static_cast<std::uint32_t>(parser_.value_count());
                return {status::complete, r.consumed};
            case mc::status::need_more:
                return {status::need_more, 0};
            default:
                return {status::invalid, 0};
        }
    }

  private:
    // The backend decides what it stores; this bound only stops a broken one from making coproxy
    // buffer without end.
    mc::reply_parser parser_{mc::reply_limits{.max_line = 8192, .max_value = 256 * 1024 * 1024}};
};

class memcache_backend final : public backend_protocol {
  public:
    std::unique_ptr<reply_reader> make_reader() const override {
        return std::make_unique<memcache_reader>();
    }
    bool is_error_reply(std::string_view reply) const override {
        return reply.starts_with("ERROR") || reply.starts_with("CLIENT_ERROR") ||
               reply.starts_with("SERVER_ERROR");
    }
    std::string error_reply(std::string_view reason) const override {
        std::string out = "SERVER_ERROR ";
        out.append(reason);
        out += "\r\n";
        return out;
    }
};

}  // namespace

std::shared_ptr<const backend_protocol> make_memcache_backend(const config::pool_config&) {
    return std::make_shared<memcache_backend>();
}

}  // namespace coproxy::upstream
