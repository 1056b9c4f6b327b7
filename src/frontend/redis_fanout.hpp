// Multi-key Redis commands across shards: MGET, MSET, DEL, UNLINK, TOUCH, EXISTS split into one
// request per server, replies merged back (MGET in the client's key order, MSET as +OK, the others
// summed). Splitting and merging are linear in the number of keys.
#pragma once

#include <functional>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "coproxy/protocol/redis_commands.hpp"
#include "coproxy/upstream/backend_protocol.hpp"
#include "coproxy/upstream/request.hpp"

namespace coproxy::frontend {

class redis_fanout final : public upstream::request_group {
  public:
    redis_fanout(upstream::request& parent, protocol::redis::merge_kind merge,
                 const upstream::backend_protocol& protocol);
    ~redis_fanout() override;

    void on_reply(upstream::request& part) override;
    std::size_t parts() const { return parts_.size(); }

  private:
    friend struct redis_split;
    void merge();
    void merge_mget(std::string& out);
    void merge_mset(std::string& out);
    void merge_sum(std::string& out);
    const upstream::request* first_error() const;

    upstream::request& parent_;
    protocol::redis::merge_kind merge_;
    const upstream::backend_protocol& protocol_;
    std::vector<upstream::request_ptr> parts_;
    std::vector<std::uint32_t> key_part_;  // MGET: the part that holds each key, in key order
    std::size_t remaining_ = 0;
};

// The outcome of splitting a request by server.
struct redis_split {
    // Servers for the keys of `argv` (a multi-key command). nullopt for a key means no server is
    // available. When every key maps to one server the request goes there whole (`single`).
    // Otherwise the parts are attached to `parent` as a redis_fanout; `submit` sends each part.
    using router = std::function<std::optional<std::uint32_t>(std::string_view key)>;
    using submitter = std::function<void(std::uint32_t server, upstream::request_ptr part)>;

    enum class outcome : std::uint8_t { single, split, unroutable };
    struct result {
        outcome what;
        std::uint32_t server = 0;  // single
    };

    static result split(upstream::request& parent, const protocol::redis::command_info& info,
                        std::span<const std::string_view> argv, const router& route,
                        const submitter& submit, upstream::request_pool& requests,
                        const upstream::backend_protocol& protocol);
};

}  // namespace coproxy::frontend
