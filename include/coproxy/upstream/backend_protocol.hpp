// The seam between pipelined server connections and a wire protocol: how to find where one reply
// ends, what to send right after connecting, and how coproxy words its own errors. One
// implementation per keyed protocol (Redis, memcached); test fakes live in test/support.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "coproxy/config/pool.hpp"

namespace coproxy::upstream {

class request;

// Frames replies on one connection; may keep state across need_more.
class reply_reader {
  public:
    virtual ~reply_reader() = default;
    enum class status : std::uint8_t { complete, need_more, invalid };
    struct result {
        status st;
        std::size_t consumed;  // when complete: the reply's length
    };
    // The reply to `head` (the oldest request in flight) at the start of `input`. May note what it
    // learnt about the reply in `head` (reply_kind, reply_values).
    virtual result read(std::span<const char> input, request& head) = 0;
};

class backend_protocol {
  public:
    virtual ~backend_protocol() = default;
    virtual std::unique_ptr<reply_reader> make_reader() const = 0;
    // Requests sent right after connecting (Redis AUTH, SELECT); an error reply to any of them
    // fails the connection. `kind` is what their replies are framed as.
    virtual std::vector<std::string> handshake() const { return {}; }
    virtual bool is_error_reply(std::string_view reply) const = 0;
    // A reply coproxy makes itself, e.g. "-ERR Connection refused\r\n".
    virtual std::string error_reply(std::string_view reason) const = 0;
};

std::shared_ptr<const backend_protocol> make_redis_backend(const config::pool_config& pool);
std::shared_ptr<const backend_protocol> make_memcache_backend(const config::pool_config& pool);

}  // namespace coproxy::upstream
