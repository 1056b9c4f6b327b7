// Builds and queries a pool's server continuum the way nutcracker 0.5.0's ketama_update(),
// modula_update() and random_update() do, over the live servers only.
#include "coproxy/sharding/continuum.hpp"

#include <algorithm>
#include <array>
#include <cassert>
#include <unordered_set>

#include "sharding/ketama.hpp"

namespace coproxy::sharding {
namespace {

constexpr std::array<std::string_view, distribution_kind_count> distribution_name_list{
    "ketama", "modula", "random"};

constexpr std::uint16_t libmemcached_default_port = 11211;

using point = continuum::point;

bool is_live(std::span<const bool> live, std::size_t i) {
    return live.empty() || live[i];
}

std::vector<point> ketama_ring(std::span<const node> servers, std::span<const std::uint32_t> order,
                               std::span<const bool> live, std::uint32_t live_count) {
    // nutcracker sums the weights in uint32 arithmetic; keep its wrap-around too.
    std::uint32_t total_weight = 0;
    for (std::size_t i = 0; i < servers.size(); ++i) {
        if (is_live(live, i)) {
            total_weight += servers[i].weight;
        }
    }
    std::vector<point> ring;
    ring.reserve(static_cast<std::size_t>(live_count) * 160);
    for (const std::uint32_t s : order) {
        if (!is_live(live, s)) {
            continue;
        }
        const std::uint32_t points =
            detail::ketama_point_count(servers[s].weight, total_weight, live_count);
        for (std::uint32_t h = 0; h < points / 4; ++h) {
            for (const std::uint32_t value : detail::ketama_point_values(servers[s].identity, h)) {
                ring.push_back({value, s});
            }
        }
    }
    // Two servers only share a position on an md5 collision in 32 bits. Should it happen, glibc's
    // qsort (nutcracker's sort) is a merge sort at these sizes and keeps build order; so do we.
    std::stable_sort(ring.begin(), ring.end(),
                     [](const point& a, const point& b) { return a.value < b.value; });
    return ring;
}

}  // namespace

std::span<const std::string_view> distribution_names() {
    return distribution_name_list;
}

std::optional<distribution_kind> parse_distribution(std::string_view name) {
    for (std::size_t i = 0; i < distribution_kind_count; ++i) {
        if (distribution_name_list[i] == name) {
            return static_cast<distribution_kind>(i);
        }
    }
    return std::nullopt;
}

std::string_view to_string(distribution_kind kind) {
    return distribution_name_list[static_cast<std::size_t>(kind)];
}

std::string ketama_identity(std::string_view host, std::uint16_t port, std::string_view name) {
    if (!name.empty()) {
        return std::string(name);
    }
    std::string identity(host);
    if (port == libmemcached_default_port) {
        return identity;
    }
    // nutcracker takes "host" plus one separator plus the port's text; a unix socket has no port
    // text, which leaves the bare separator: "/tmp/redis.sock:".
    identity += ':';
    if (port != 0) {
        identity += std::to_string(port);
    }
    return identity;
}

std::optional<std::size_t> find_duplicate_identity(std::span<const node> servers) {
    std::unordered_set<std::string_view> seen;
    for (std::size_t i = 0; i < servers.size(); ++i) {
        if (!seen.insert(servers[i].identity).second) {
            return i;
        }
    }
    return std::nullopt;
}

continuum continuum::build(distribution_kind kind, std::span<const node> servers,
                           std::span<const bool> live) {
    assert(live.empty() || live.size() == servers.size());
    const std::vector<std::uint32_t> order = detail::nutcracker_order(servers);

    std::uint32_t live_count = 0;
    for (std::size_t i = 0; i < servers.size(); ++i) {
        live_count += is_live(live, i) ? 1 : 0;
    }

    std::vector<point> points;
    std::uint64_t total_weight = 0;
    switch (kind) {
        case distribution_kind::ketama:
            if (live_count > 0) {
                points = ketama_ring(servers, order, live, live_count);
            }
            break;
        case distribution_kind::modula:
            // nutcracker lays each live server out as `weight` consecutive slots; one entry per
            // server holding the running total finds the same slot without storing them all.
            for (const std::uint32_t s : order) {
                if (is_live(live, s)) {
                    total_weight += servers[s].weight;
                    points.push_back({static_cast<std::uint32_t>(total_weight), s});
                }
            }
            break;
        case distribution_kind::random:
            for (const std::uint32_t s : order) {
                if (is_live(live, s)) {
                    points.push_back({0, s});
                }
            }
            break;
    }
    return continuum(kind, std::move(points), live_count, total_weight);
}

std::optional<std::uint32_t> continuum::pick(std::uint32_t hash) const {
    if (points_.empty()) {
        return std::nullopt;
    }
    switch (kind_) {
        case distribution_kind::ketama: {
            // First point at or after the hash, wrapping past the top of the ring.
            auto it = std::lower_bound(points_.begin(), points_.end(), hash,
                                       [](const point& p, std::uint32_t h) { return p.value < h; });
            if (it == points_.end()) {
                it = points_.begin();
            }
            return it->server;
        }
        case distribution_kind::modula: {
            if (total_weight_ == 0) {
                return std::nullopt;  // only zero weights, which nutcracker's config refuses
            }
            const std::uint64_t slot = hash % total_weight_;
            const auto it =
                std::upper_bound(points_.begin(), points_.end(), slot,
                                 [](std::uint64_t v, const point& p) { return v < p.value; });
            return it->server;
        }
        case distribution_kind::random:
            return points_[hash % points_.size()].server;
    }
    return std::nullopt;
}

}  // namespace coproxy::sharding
