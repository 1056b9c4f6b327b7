// See redis_blocking.hpp.
#include "coproxy/protocol/redis_blocking.hpp"

#include <charconv>
#include <cmath>
#include <cstdlib>

namespace coproxy::protocol::redis {
namespace {

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
        const auto x = static_cast<unsigned char>(a[i]);
        const auto y = static_cast<unsigned char>(b[i]);
        if ((x | 0x20) != (y | 0x20)) {
            return false;
        }
    }
    return true;
}

// Redis reads list/zset timeouts as seconds with decimals ("0.5"); negative is an error.
std::optional<std::int64_t> seconds_to_ms(std::string_view text, std::string& error) {
    const std::string s(text);
    char* end = nullptr;
    const double v = std::strtod(s.c_str(), &end);
    if (s.empty() || end != s.c_str() + s.size() || !std::isfinite(v)) {
        error = "-ERR timeout is not a float or out of range\r\n";
        return std::nullopt;
    }
    if (v < 0) {
        error = "-ERR timeout is negative\r\n";
        return std::nullopt;
    }
    return static_cast<std::int64_t>(std::ceil(v * 1000));
}

std::optional<std::int64_t> integer(std::string_view text) {
    std::int64_t v = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size()) {
        return std::nullopt;
    }
    return v;
}

blocking_call numkeys_call(std::span<const std::string_view> argv) {
    blocking_call c;
    c.timeout_ms = seconds_to_ms(argv[1], c.error);
    if (!c.error.empty()) {
        return c;
    }
    const auto n = integer(argv[2]);
    if (!n || *n <= 0) {
        c.error = "-ERR numkeys should be greater than 0\r\n";
        return c;
    }
    if (static_cast<std::size_t>(*n) > argv.size() - 3) {
        c.error = "-ERR syntax error\r\n";
        return c;
    }
    c.keys.assign(argv.begin() + 3, argv.begin() + 3 + *n);
    return c;
}

blocking_call stream_call(std::span<const std::string_view> argv) {
    blocking_call c;
    std::size_t i = 1;
    for (; i < argv.size(); ++i) {
        if (iequals(argv[i], "streams")) {
            break;
        }
        if (iequals(argv[i], "block") && i + 1 < argv.size()) {
            const auto ms = integer(argv[i + 1]);
            if (!ms) {
                c.error = "-ERR timeout is not an integer or out of range\r\n";
                return c;
            }
            if (*ms < 0) {
                c.error = "-ERR timeout is negative\r\n";
                return c;
            }
            c.timeout_ms = *ms;
            ++i;
        }
    }
    const std::size_t rest = argv.size() > i + 1 ? argv.size() - i - 1 : 0;
    if (i == argv.size() || rest == 0 || rest % 2 != 0) {
        c.error =
            "-ERR Unbalanced 'xread' list of streams: for each stream key an ID or '$' must be "
            "specified.\r\n";
        if (iequals(argv[0], "xreadgroup")) {
            c.error =
                "-ERR Unbalanced 'xreadgroup' list of streams: for each stream key an ID or '>' "
                "must be specified.\r\n";
        }
        return c;
    }
    c.keys.assign(argv.begin() + static_cast<std::ptrdiff_t>(i + 1),
                  argv.begin() + static_cast<std::ptrdiff_t>(i + 1 + rest / 2));
    return c;
}

}  // namespace

blocking_call parse_blocking(std::span<const std::string_view> argv) {
    const std::string_view name = argv[0];
    if (iequals(name, "blmpop") || iequals(name, "bzmpop")) {
        return numkeys_call(argv);
    }
    if (iequals(name, "xread") || iequals(name, "xreadgroup")) {
        return stream_call(argv);
    }
    blocking_call c;
    if (iequals(name, "wait")) {
        const auto ms = integer(argv[2]);
        if (!ms) {
            c.error = "-ERR timeout is not an integer or out of range\r\n";
        } else if (*ms < 0) {
            c.error = "-ERR timeout is negative\r\n";
        } else {
            c.timeout_ms = *ms;
        }
        return c;
    }
    // BLPOP, BRPOP, BZPOPMIN, BZPOPMAX: keys then the timeout; BLMOVE, BRPOPLPUSH: two keys, then
    // (BLMOVE: the directions, then) the timeout.
    c.timeout_ms = seconds_to_ms(argv.back(), c.error);
    if (iequals(name, "blmove") || iequals(name, "brpoplpush")) {
        c.keys = {argv[1], argv[2]};
    } else {
        c.keys.assign(argv.begin() + 1, argv.end() - 1);
    }
    return c;
}

}  // namespace coproxy::protocol::redis
