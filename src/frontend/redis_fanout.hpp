// Multi-key Redis commands across shards: MGET, MSET, DEL, UNLINK, TOUCH, EXISTS split into one
// request per server, replies merged back (MGET in the client's key order, MSET as +OK, the others
// summed). Splitting and merging are linear in the number of keys.
#pragma once

#include <functional>
#include <span>
#include <string_view>
#include <vector>

#include "coproxy/protocol/redis_commands.hpp"
#include "coproxy/upstream/backend_protocol.hpp"
#include "frontend/fanout.hpp"

namespace coproxy::frontend {

// The keys of a multi-key command, in the client's order.
struct redis_keys {
    redis_keys(const protocol::redis::command_info& info, std::span<const std::string_view> args)
        : argv(args), range(protocol::redis::fixed_keys(info, args.size())) {}
    std::size_t count() const { return (range.last - range.first) / range.step + 1; }
    std::string_view operator()(std::size_t i) const { return argv[range.first + i * range.step]; }

    std::span<const std::string_view> argv;
    protocol::redis::key_range range;
};

class redis_fanout final : public fanout {
  public:
    // One part per group: the command name, then its keys (and values, for MSET) in client order.
    redis_fanout(upstream::request& parent, const protocol::redis::command_info& info,
                 const redis_keys& keys, key_groups groups, upstream::request_pool& requests,
                 const upstream::backend_protocol& protocol);

  private:
    void merge() override;
    void merge_mget(std::string& out);
    void merge_mset(std::string& out);
    void merge_sum(std::string& out);
    const upstream::request* first_error() const;

    protocol::redis::merge_kind merge_;
    const upstream::backend_protocol& protocol_;
    std::vector<std::uint32_t> key_part_;  // MGET: the part that holds each key, in key order
};

// A request sent to every server of the pool (SCRIPT LOAD, INFO, ...), its replies merged by
// `merge` once all have answered.
class redis_broadcast final : public fanout {
  public:
    using merger = std::function<std::string(std::span<const upstream::request_ptr> parts)>;

    redis_broadcast(upstream::request& parent, std::string_view payload, std::size_t servers,
                    merger merge, upstream::request_pool& requests);

  private:
    void merge() override;

    merger merge_;
};

}  // namespace coproxy::frontend
