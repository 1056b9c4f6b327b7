// The skeleton of every request that reaches several servers, for both keyed protocols: keys
// grouped by server (one part per server, in the order each server first appears, and the part of
// every key remembered), and a group that waits for all of its parts, then merges their replies
// into the parent's. What a part carries and how replies merge is the protocol's
// (redis_fanout.hpp, memcache_fanout.hpp). Grouping is linear in the number of keys.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "coproxy/upstream/request.hpp"

namespace coproxy::frontend {

struct key_groups {
    std::vector<std::uint32_t> servers;   // part -> its server
    std::vector<std::uint32_t> key_part;  // key, in the client's order -> its part
};

// Routes `count` keys (`key_at(i)`) with `route(key) -> optional<server>`; nullopt when some key
// has no server.
template <class KeyAt, class Route>
std::optional<key_groups> group_by_server(std::size_t count, KeyAt key_at, Route route) {
    key_groups g;
    g.key_part.reserve(count);
    std::vector<std::int32_t> part_of_server;
    for (std::size_t i = 0; i < count; ++i) {
        const std::optional<std::uint32_t> server = route(key_at(i));
        if (!server) {
            return std::nullopt;
        }
        if (*server >= part_of_server.size()) {
            part_of_server.resize(*server + 1, -1);
        }
        if (part_of_server[*server] < 0) {
            part_of_server[*server] = static_cast<std::int32_t>(g.servers.size());
            g.servers.push_back(*server);
        }
        g.key_part.push_back(static_cast<std::uint32_t>(part_of_server[*server]));
    }
    return g;
}

class fanout : public upstream::request_group {
  public:
    explicit fanout(upstream::request& parent) : parent_(parent) {}
    ~fanout() override;

    void on_reply(upstream::request& part) override;
    std::size_t parts() const { return parts_.size(); }
    const upstream::request_ptr& part(std::size_t i) const { return parts_[i]; }

    // Attaches `group` to `parent`, then hands part i to `submit(servers[i], part)`. Attached
    // first: a part may complete at once (a server backing off), and the merge needs the group.
    template <class Submit>
    static void launch(upstream::request& parent, std::unique_ptr<fanout> group,
                       std::span<const std::uint32_t> servers, Submit submit) {
        fanout& g = *group;
        parent.group = std::move(group);
        for (std::size_t i = 0; i < servers.size(); ++i) {
            submit(servers[i], g.parts_[i]);
        }
    }

  protected:
    // A new part, its reply routed to this group.
    upstream::request& add_part(upstream::request_pool& requests);
    // Every part has answered: finish the parent.
    virtual void merge() = 0;

    upstream::request& parent_;
    std::vector<upstream::request_ptr> parts_;

  private:
    std::size_t remaining_ = 0;
};

}  // namespace coproxy::frontend
