// memcached requests that reach several servers: a multi-key get/gets/gat/gats split per server
// and merged into one reply with the hits in the client's key order and a single END; flush_all
// sent to every server and answered OK once all of them are. Linear in the number of keys.
#pragma once

#include <span>
#include <string_view>
#include <vector>

#include "coproxy/protocol/memcache.hpp"
#include "coproxy/upstream/backend_protocol.hpp"
#include "frontend/fanout.hpp"

namespace coproxy::frontend {

class memcache_fanout final : public fanout {
  public:
    // A retrieval's keys split by `groups`: each part asks its server for its keys.
    static std::unique_ptr<fanout> retrieval(upstream::request& parent,
                                             const protocol::memcache::request& request,
                                             key_groups groups, upstream::request_pool& requests,
                                             const upstream::backend_protocol& protocol);

    // `payload` for each of `servers` servers; `success` (flush_all: "OK\r\n", stats reset:
    // "RESET\r\n") when every one of them succeeds, else the first failure.
    static std::unique_ptr<fanout> broadcast(upstream::request& parent, std::string_view payload,
                                             protocol::memcache::command cmd, std::size_t servers,
                                             std::string_view success,
                                             upstream::request_pool& requests,
                                             const upstream::backend_protocol& protocol);

  private:
    enum class merge_kind : std::uint8_t { values, all_ok };

    memcache_fanout(upstream::request& parent, merge_kind merge,
                    const upstream::backend_protocol& protocol)
        : fanout(parent), merge_(merge), protocol_(protocol) {}

    void merge() override;
    void merge_values(std::string& out);

    merge_kind merge_;
    const upstream::backend_protocol& protocol_;
    std::vector<std::uint32_t> key_part_;  // values: the part asked for each key, in key order
    std::vector<std::string_view> keys_;   // copies live in key_storage_
    std::string key_storage_;
    std::string success_;
};

}  // namespace coproxy::frontend
