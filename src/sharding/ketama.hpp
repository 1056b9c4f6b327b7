// The pieces of nutcracker's ketama ring and server ordering, exposed to continuum.cpp and to the
// tests that pin them individually.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "coproxy/sharding/continuum.hpp"

namespace coproxy::sharding::detail {

// Points (a multiple of 4) a live server of `weight` gets when `live_count` live servers weigh
// `total_weight` together; nutcracker's float arithmetic, rounding step by rounding step.
std::uint32_t ketama_point_count(std::uint32_t weight, std::uint32_t total_weight,
                                 std::uint32_t live_count);

// twemproxy's ketama_hash(): the `alignment`-th little-endian word of md5(text).
std::uint32_t ketama_hash(std::string_view text, std::uint32_t alignment);

// The four ring positions of md5 hash number `index` of a server: md5 of "identity-index", cut
// to ketama_point_key_max bytes as nutcracker 0.5.0 cuts it.
std::array<std::uint32_t, 4> ketama_point_values(std::string_view identity, std::uint32_t index);

// Config-order indices in the order nutcracker keeps the servers: by identity, shorter first,
// then bytewise (its string_compare). Stable for duplicates, which nutcracker would reject.
std::vector<std::uint32_t> nutcracker_order(std::span<const node> servers);

}  // namespace coproxy::sharding::detail
