// memcached requests that reach several servers: a multi-key get/gets/gat/gats split per server
// and merged into one reply with the hits in the client's key order and a single END; flush_all
// sent to every server and answered OK once all of them are. Linear in the number of keys.
#pragma once

#include <functional>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "coproxy/protocol/memcache.hpp"
#include "coproxy/upstream/backend_protocol.hpp"
#include "coproxy/upstream/request.hpp"

namespace coproxy::frontend {

class memcache_fanout final : public upstream::request_group {
  public:
    enum class merge_kind : std::uint8_t { values, all_ok };

    memcache_fanout(upstream::request& parent, merge_kind merge,
                    const upstream::backend_protocol& protocol);
    ~memcache_fanout() override;

    void on_reply(upstream::request& part) override;
    std::size_t parts() const { return parts_.size(); }

    using router = std::function<std::optional<std::uint32_t>(std::string_view key)>;
    using submitter = std::function<void(std::uint32_t server, upstream::request_ptr part)>;

    enum class outcome : std::uint8_t { single, split, unroutable };
    struct result {
        outcome what;
        std::uint32_t server = 0;
    };

    // Routes each key of a retrieval request; one server: `single`, else parts are attached to
    // `parent` and submitted.
    static result split_retrieval(upstream::request& parent,
                                  const protocol::memcache::request& request, const router& route,
                                  const submitter& submit, upstream::request_pool& requests,
                                  const upstream::backend_protocol& protocol);

    // Sends `payload` to every server in `servers`; OK when all answer OK.
    static void broadcast(upstream::request& parent, std::string_view payload,
                          protocol::memcache::command cmd, std::span<const std::uint32_t> servers,
                          const submitter& submit, upstream::request_pool& requests,
                          const upstream::backend_protocol& protocol);

  private:
    void merge();
    void merge_values(std::string& out);

    upstream::request& parent_;
    merge_kind merge_;
    const upstream::backend_protocol& protocol_;
    std::vector<upstream::request_ptr> parts_;
    std::vector<std::uint32_t> key_part_;  // values: the part asked for each key, in key order
    std::vector<std::string_view> keys_;   // copies live in key_storage_
    std::string key_storage_;
    std::size_t remaining_ = 0;
};

}  // namespace coproxy::frontend
