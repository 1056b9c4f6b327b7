// Private to the memcached request codec: numbers read the way memcached's safe_strtoul,
// safe_strtoull and safe_strtol read them (strtoul/strtol plus its own checks), quirks included,
// so that the same tokens are accepted and the same data lengths come out.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string_view>

namespace coproxy::protocol::memcache::detail {

// C isspace(): memcached's safe_strto* accept white space around a number inside a token.
inline bool is_c_space(char c) {
    return c == ' ' || (c >= '\t' && c <= '\r');
}

struct number_scan {
    bool valid = false;  // digits, then the token's end or white space; no overflow
    bool negative = false;
    std::uint64_t magnitude = 0;
};

// strtoull()'s reading of a token, as memcached's safe_strtoull/strtoul/strtol use it.
inline number_scan scan_number(std::string_view s) {
    number_scan r;
    std::size_t i = 0;
    while (i < s.size() && is_c_space(s[i])) {
        ++i;
    }
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
        r.negative = s[i] == '-';
        ++i;
    }
    bool digits = false;
    bool overflow = false;
    constexpr auto max = std::numeric_limits<std::uint64_t>::max();
    for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
        const auto d = static_cast<std::uint64_t>(s[i] - '0');
        digits = true;
        if (r.magnitude > (max - d) / 10) {
            overflow = true;
        } else {
            r.magnitude = r.magnitude * 10 + d;
        }
    }
    r.valid = digits && !overflow && (i == s.size() || is_c_space(s[i]));
    return r;
}

// safe_strtoull / safe_strtoul (64-bit unsigned long): "-0" and "-18446744073709551615" pass,
// because only results that look negative are checked for a '-'.
inline bool is_c_unsigned(std::string_view s) {
    const number_scan r = scan_number(s);
    if (!r.valid) {
        return false;
    }
    const std::uint64_t value = r.negative ? 0 - r.magnitude : r.magnitude;
    return static_cast<std::int64_t>(value) >= 0 || s.find('-') == std::string_view::npos;
}

// safe_strtol: a 64-bit long stored into an int32_t, so 4294967298 reads as 2, like memcached.
inline std::optional<std::int32_t> c_int32(std::string_view s) {
    const number_scan r = scan_number(s);
    constexpr auto long_max = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    if (!r.valid || r.magnitude > long_max + (r.negative ? 1 : 0)) {
        return std::nullopt;
    }
    const std::uint64_t value = r.negative ? 0 - r.magnitude : r.magnitude;
    return static_cast<std::int32_t>(static_cast<std::uint32_t>(value));
}

}  // namespace coproxy::protocol::memcache::detail
