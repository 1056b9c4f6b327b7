// Server selection for a pool, built exactly as nutcracker 0.5.0 builds its "continuum" for the
// ketama, modula and random distributions, so a key lands on the same server under both proxies.
//
// Facts about nutcracker this relies on (see the .cpp for the details):
//  * nutcracker sorts a pool's servers by identity (shorter first, then bytewise) before building
//    anything; modula and random index that sorted order, not the config order. build() does the
//    same internally and pick() still answers with indices into the caller's config-order span.
//  * modula honours weights: a server of weight w owns w consecutive slots of `hash % total`.
//  * random ignores weights: one slot per live server.
//  * ketama gives a server floor(w / total * 40 * live) md5 hashes of 4 points each, computed in
//    float exactly as nutcracker does.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace coproxy::sharding {

// Same order as twemproxy's DIST_CODEC.
enum class distribution_kind : std::uint8_t { ketama, modula, random };

inline constexpr std::size_t distribution_kind_count = 3;

std::span<const std::string_view> distribution_names();
std::optional<distribution_kind> parse_distribution(std::string_view name);
std::string_view to_string(distribution_kind kind);

// One configured server, in config order. `identity` is what ketama hashes and what nutcracker
// sorts and de-duplicates servers by; build it with ketama_identity().
struct node {
    std::string identity;
    std::uint32_t weight = 1;
};

// nutcracker's server identity for "host:port:weight [name]": the name when one is given; else
// the host alone when the port is 11211 (libmemcached compatibility, for redis pools too); else
// "host:port". A unix socket ("/path:weight", port 0) yields "/path:" with the trailing colon,
// as nutcracker does. `host` is the text as written in the config, never a resolved address.
// Caveat: nutcracker uses the port's text, so "host:06379" would be "host:06379" there; the
// config layer should reject ports written with leading zeros.
std::string ketama_identity(std::string_view host, std::uint16_t port, std::string_view name);

// nutcracker refuses a pool in which two servers share an identity. Returns the index (config
// order) of a server whose identity an earlier server already has.
std::optional<std::size_t> find_duplicate_identity(std::span<const node> servers);

// nutcracker 0.5.0 hashes each ketama point key "identity-N" cut to its first this many bytes
// (observed with names up to 1000 bytes). Long identities are placed exactly as nutcracker does.
inline constexpr std::size_t ketama_point_key_max = 272;

class continuum {
  public:
    struct point {
        std::uint32_t value;   // ketama: ring position; modula: end of the server's slot run
        std::uint32_t server;  // index into the servers span given to build()
    };

    // Built over the servers whose live[i] is true (empty span = all live), as nutcracker rebuilds
    // when hosts are ejected. `live` is empty or has one entry per server. Weights must be > 0 and
    // the live weights must sum below 2^32 (nutcracker overruns its modula table past that).
    static continuum build(distribution_kind kind, std::span<const node> servers,
                           std::span<const bool> live = {});

    // ketama/modula: the server for this dispatch_hash(). random: pass a random draw as `hash`.
    // nullopt when no server is live. Never allocates.
    std::optional<std::uint32_t> pick(std::uint32_t hash) const;

    distribution_kind kind() const { return kind_; }
    std::size_t live_count() const { return live_count_; }

    // ketama: the sorted ring. modula: one entry per live server, in nutcracker's order, value =
    // running total of weights. random: one entry per live server, value 0.
    std::span<const point> points() const { return points_; }

  private:
    continuum(distribution_kind kind, std::vector<point> points, std::size_t live_count,
              std::uint64_t total_weight)
        : kind_(kind),
          points_(std::move(points)),
          live_count_(live_count),
          total_weight_(total_weight) {}

    distribution_kind kind_;
    std::vector<point> points_;
    std::size_t live_count_;
    std::uint64_t total_weight_;  // modula only
};

}  // namespace coproxy::sharding
