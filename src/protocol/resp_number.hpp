// Integer syntax shared by the RESP request and reply codecs. A port of Redis's string2ll(): the
// proxy forwards raw request bytes, so it must accept exactly the lengths Redis accepts (no '+',
// no leading zeros, no "-0", no spaces) or the two would frame the same bytes differently.
#pragma once

#include <cstdint>
#include <limits>
#include <string_view>

namespace coproxy::protocol::resp::detail {

constexpr bool parse_int64(std::string_view s, std::int64_t& out) {
    // Redis refuses 21+ characters (LONG_STR_SIZE) before looking at them.
    if (s.empty() || s.size() >= 21) {
        return false;
    }
    if (s.size() == 1 && s[0] == '0') {
        out = 0;
        return true;
    }
    std::size_t i = 0;
    const bool negative = s[0] == '-';
    if (negative) {
        i = 1;
        if (s.size() == 1) {
            return false;
        }
    }
    if (s[i] < '1' || s[i] > '9') {
        return false;
    }
    constexpr auto u64_max = std::numeric_limits<std::uint64_t>::max();
    std::uint64_t v = static_cast<std::uint64_t>(s[i] - '0');
    for (++i; i < s.size(); ++i) {
        const char c = s[i];
        if (c < '0' || c > '9') {
            return false;
        }
        const auto digit = static_cast<std::uint64_t>(c - '0');
        if (v > u64_max / 10 || v * 10 > u64_max - digit) {
            return false;
        }
        v = v * 10 + digit;
    }
    constexpr auto i64_max = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    if (negative) {
        if (v > i64_max + 1) {
            return false;
        }
        out = v == i64_max + 1 ? std::numeric_limits<std::int64_t>::min()
                               : -static_cast<std::int64_t>(v);
    } else {
        if (v > i64_max) {
            return false;
        }
        out = static_cast<std::int64_t>(v);
    }
    return true;
}

}  // namespace coproxy::protocol::resp::detail
