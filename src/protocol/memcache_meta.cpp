// memcached 1.6's verdict on a meta command line (mg, ms, md, ma, mn, me): its flag pre-parse
// with its odd error precedence, the per-command limits and which errors swallow ms's data.
#include <array>
#include <cstdint>
#include <limits>

#include "memcache_line.hpp"
#include "memcache_number.hpp"

namespace coproxy::protocol::memcache::detail {

namespace {

using token_list = std::span<const std::string_view>;
using key_buffer = std::span<char, max_key_size>;

constexpr std::string_view mg_flags_too_long = "CLIENT_ERROR options flags are too long\r\n";
constexpr std::string_view flags_too_long = "CLIENT_ERROR options flags too long\r\n";
constexpr std::string_view duplicate_flag = "CLIENT_ERROR duplicate flag\r\n";
constexpr std::string_view invalid_flag = "CLIENT_ERROR invalid flag\r\n";
constexpr std::string_view invalid_or_duplicate = "CLIENT_ERROR invalid or duplicate flag\r\n";
constexpr std::string_view decode_error = "CLIENT_ERROR error decoding key\r\n";
constexpr std::string_view bad_token = "CLIENT_ERROR bad token in command line format\r\n";
constexpr std::string_view bad_m_length = "CLIENT_ERROR incorrect length for M token\r\n";
constexpr std::string_view bad_initial = "CLIENT_ERROR invalid numeric initial value\r\n";
constexpr std::string_view bad_delta_value = "CLIENT_ERROR invalid numeric delta value\r\n";
constexpr std::string_view opaque_too_long = "CLIENT_ERROR opaque token too long\r\n";
constexpr std::string_view bad_ms_mode = "CLIENT_ERROR invalid mode for ms M token\r\n";
constexpr std::string_view bad_ma_mode = "CLIENT_ERROR invalid mode for ma M token\r\n";

struct meta_flags {
    std::string_view error;  // empty when the flags are fine
    char mode = 0;           // the M flag's argument
    bool quiet = false;
    bool base64 = false;
    std::size_t decoded_size = 0;
};

// _meta_flag_preparse: an unknown or repeated flag stops at once; other errors are remembered
// (the last one wins) while the scan goes on.
meta_flags preparse(token_list t, std::size_t start, key_buffer decoded) {
    meta_flags f;
    std::array<bool, 127> seen{};
    std::string_view error = bad_format;
    bool has_error = false;
    const auto fail = [&](std::string_view e) {
        error = e;
        has_error = true;
    };
    for (std::size_t i = start; i < t.size(); ++i) {
        const std::string_view flag = t[i];
        const std::string_view arg = flag.substr(1);
        const auto o = static_cast<unsigned char>(flag[0]);
        if (o >= seen.size() || seen[o]) {
            f.error = duplicate_flag;
            return f;
        }
        seen[o] = true;
        switch (o) {
            case 'b':
                f.base64 = true;
                if (const auto size = decode_base64_key(t[1], decoded)) {
                    f.decoded_size = *size;
                } else {
                    fail(decode_error);
                }
                break;
            case 'N':
            case 'T':
            case 'R':
                if (!c_int32(arg)) {
                    fail(bad_token);
                }
                break;
            case 'q':
                f.quiet = true;
                break;
            case 'F':
                if (!is_c_unsigned(arg)) {
                    has_error = true;  // memcached keeps the previous error text here
                }
                break;
            case 'C':
                if (!is_c_unsigned(arg)) {
                    fail(bad_token);
                }
                break;
            case 'M':
                if (flag.size() != 2) {
                    fail(bad_m_length);
                } else {
                    f.mode = flag[1];
                }
                break;
            case 'J':
                if (!is_c_unsigned(arg)) {
                    fail(bad_initial);
                }
                break;
            case 'D':
                if (!is_c_unsigned(arg)) {
                    fail(bad_delta_value);
                }
                break;
            case 'l':
            case 'O':
            case 'P':
            case 'L':
            case 'k':
            case 's':
            case 't':
            case 'c':
            case 'f':
            case 'v':
            case 'h':
            case 'u':
            case 'I':
                break;
            default:
                f.error = invalid_flag;
                return f;
        }
    }
    if (has_error) {
        f.error = error;
    }
    return f;
}

bool has_long_opaque(token_list t, std::size_t start) {
    for (std::size_t i = start; i < t.size(); ++i) {
        if (t[i][0] == 'O' && t[i].size() > 32) {
            return true;
        }
    }
    return false;
}

line_check accept_meta(command cmd, const meta_flags& f) {
    line_check c = accept(cmd, 1, 1, f.quiet);
    c.base64_key = f.base64;
    c.decoded_size = f.decoded_size;
    return c;
}

// mg, md and ma share their checks; only some texts differ.
line_check check_meta_simple(token_list t, command cmd, key_buffer decoded) {
    if (ntokens(t) < 3) {
        return reject(error_reply);
    }
    if (key_too_long(t)) {
        return reject(bad_format);
    }
    if (ntokens(t) > 20) {
        return reject(cmd == command::mg ? mg_flags_too_long : flags_too_long);
    }
    const meta_flags f = preparse(t, 2, decoded);
    if (!f.error.empty()) {
        return reject(cmd == command::mg ? f.error : invalid_or_duplicate);
    }
    if (cmd == command::ma && f.mode != 0 && f.mode != 'I' && f.mode != '+' && f.mode != 'D' &&
        f.mode != '-') {
        return reject(bad_ma_mode);
    }
    if (has_long_opaque(t, 2)) {
        return reject(opaque_too_long);
    }
    return accept_meta(cmd, f);
}

line_check check_ms(token_list t, std::size_t max_value, key_buffer decoded) {
    if (ntokens(t) < 3) {
        return reject(error_reply);
    }
    if (key_too_long(t) || ntokens(t) == 3) {
        return reject(bad_format);
    }
    if (ntokens(t) > 20) {
        return reject(flags_too_long);
    }
    const auto vlen = c_int32(t[2]);
    if (!vlen || *vlen < 0 || *vlen > std::numeric_limits<std::int32_t>::max() - 2) {
        return reject(bad_format);
    }
    // From here memcached knows the data length and swallows the data block after an error.
    const meta_flags f = preparse(t, 3, decoded);
    if (!f.error.empty()) {
        return reject_swallow(f.error, *vlen);
    }
    constexpr std::string_view modes = "EAPRS";
    if (f.mode != 0 && modes.find(f.mode) == std::string_view::npos) {
        return reject_swallow(bad_ms_mode, *vlen);
    }
    if (has_long_opaque(t, 3)) {
        return reject_swallow(opaque_too_long, *vlen);
    }
    if (static_cast<std::size_t>(*vlen) > max_value) {
        line_check c = reject_swallow(too_large_reply, *vlen);
        c.too_large = true;
        return c;
    }
    line_check c = accept_meta(command::ms, f);
    c.data_size = *vlen;
    return c;
}

line_check check_me(token_list t, key_buffer decoded) {
    if (ntokens(t) < 3 || key_too_long(t)) {
        return reject(bad_format);
    }
    meta_flags f;
    if (ntokens(t) >= 4 && t[2] == "b") {
        const auto size = decode_base64_key(t[1], decoded);
        if (!size) {
            return reject(bad_format);
        }
        f.base64 = true;
        f.decoded_size = *size;
    }
    return accept_meta(command::me, f);
}

}  // namespace

line_check check_meta_line(token_list t, std::size_t max_value, key_buffer decoded) {
    switch (t[0][1]) {
        case 'g':
            return check_meta_simple(t, command::mg, decoded);
        case 'd':
            return check_meta_simple(t, command::md, decoded);
        case 'a':
            return check_meta_simple(t, command::ma, decoded);
        case 's':
            return check_ms(t, max_value, decoded);
        case 'n':
            return accept(command::mn, 0, 0, false);  // arguments are ignored
        case 'e':
            return check_me(t, decoded);
        default:
            return reject(error_reply);
    }
}

}  // namespace coproxy::protocol::memcache::detail
