// Ketama point arithmetic as nutcracker 0.5.0's ketama_update() does it: the float point count,
// the "identity-N" md5 keys and their four little-endian words.
#include "sharding/ketama.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>

#include "coproxy/sharding/hash.hpp"

namespace coproxy::sharding::detail {
namespace {

std::uint32_t digest_word(const md5_digest& d, std::uint32_t word) {
    const std::size_t at = 4 * static_cast<std::size_t>(word);
    return static_cast<std::uint32_t>(d[at]) | static_cast<std::uint32_t>(d[at + 1]) << 8 |
           static_cast<std::uint32_t>(d[at + 2]) << 16 |
           static_cast<std::uint32_t>(d[at + 3]) << 24;
}

}  // namespace

std::uint32_t ketama_point_count(std::uint32_t weight, std::uint32_t total_weight,
                                 std::uint32_t live_count) {
    // nutcracker: floorf((float)(pct * 160 / 4 * (float)nlive + 0.0000000001)) * 4 with a float
    // pct. Every intermediate below is rounded to float where the C expression rounds (each cast
    // forces it), and the 1e-10 is added in double as C's usual conversions do. The result is not
    // always 40 * live * weight / total: three equal servers come out at exactly 40 hashes each,
    // but 25 equal servers at just under 40, so each loses a hash (156 points, not 160).
    const float pct = static_cast<float>(weight) / static_cast<float>(total_weight);
    const auto per_hash = static_cast<float>(static_cast<float>(pct * 160.0f) / 4.0f);
    const auto spread = static_cast<float>(per_hash * static_cast<float>(live_count));
    const auto nudged = static_cast<float>(static_cast<double>(spread) + 0.0000000001);
    return static_cast<std::uint32_t>(static_cast<float>(std::floor(nudged) * 4.0f));
}

std::uint32_t ketama_hash(std::string_view text, std::uint32_t alignment) {
    return digest_word(md5(text), alignment);
}

std::array<std::uint32_t, 4> ketama_point_values(std::string_view identity, std::uint32_t index) {
    // Observed from nutcracker 0.5.0 with names up to 1000 bytes: a key longer than
    // ketama_point_key_max is cut to its first ketama_point_key_max bytes, with no NUL (a 273-byte
    // format buffer whose formatter returns what it wrote). Older twemproxy sources show an 86-byte
    // buffer hashed past its end; 0.5.0 does not behave that way.
    std::array<char, ketama_point_key_max> text{};
    char digits[16];
    const std::to_chars_result printed = std::to_chars(std::begin(digits), std::end(digits), index);
    const auto digit_len = static_cast<std::size_t>(printed.ptr - digits);

    std::size_t len = std::min(identity.size(), text.size());
    std::memcpy(text.data(), identity.data(), len);
    if (len < text.size()) {
        text[len++] = '-';
    }
    const std::size_t digit_part = std::min(digit_len, text.size() - len);
    std::memcpy(text.data() + len, digits, digit_part);
    len += digit_part;

    const md5_digest d = md5(std::string_view(text.data(), len));
    return {digest_word(d, 0), digest_word(d, 1), digest_word(d, 2), digest_word(d, 3)};
}

std::vector<std::uint32_t> nutcracker_order(std::span<const node> servers) {
    std::vector<std::uint32_t> order(servers.size());
    for (std::uint32_t i = 0; i < order.size(); ++i) {
        order[i] = i;
    }
    std::stable_sort(order.begin(), order.end(), [&](std::uint32_t l, std::uint32_t r) {
        const std::string_view a = servers[l].identity;
        const std::string_view b = servers[r].identity;
        if (a.size() != b.size()) {
            return a.size() < b.size();
        }
        // string_view compares through char_traits<char>, i.e. as unsigned bytes like strncmp.
        return a < b;
    });
    return order;
}

}  // namespace coproxy::sharding::detail
