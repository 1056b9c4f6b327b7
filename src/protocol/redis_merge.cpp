// See redis_merge.hpp.
#include "coproxy/protocol/redis_merge.hpp"

#include <vector>

#include "coproxy/protocol/redis_introspection.hpp"
#include "coproxy/protocol/resp_reply.hpp"

namespace coproxy::protocol::redis {
namespace {

constexpr std::string_view unexpected = "-ERR unexpected reply from server\r\n";

bool is_error(std::string_view r) {
    return r.empty() || r[0] == '-' || r[0] == '!';
}

std::string merge_all_true(std::span<const std::string_view> replies) {
    std::vector<bool> all;
    std::vector<std::string_view> elements;
    for (std::size_t i = 0; i < replies.size(); ++i) {
        if (!resp::split_array(replies[i], elements) || (i > 0 && elements.size() != all.size())) {
            return std::string(unexpected);
        }
        all.resize(elements.size(), true);
        for (std::size_t e = 0; e < elements.size(); ++e) {
            const auto v = resp::integer_value(elements[e]);
            if (!v) {
                return std::string(unexpected);
            }
            all[e] = all[e] && *v != 0;
        }
    }
    std::string out;
    append_array_header(all.size(), out);
    for (const bool b : all) {
        out += b ? ":1\r\n" : ":0\r\n";
    }
    return out;
}

std::string merge_sum(std::span<const std::string_view> replies) {
    long long sum = 0;
    for (const auto r : replies) {
        const auto v = resp::integer_value(r);
        if (!v) {
            return std::string(unexpected);
        }
        sum += *v;
    }
    std::string out;
    append_integer(sum, out);
    return out;
}

std::string merge_concat(std::span<const std::string_view> replies) {
    std::vector<std::string_view> all;
    std::vector<std::string_view> elements;
    for (const auto r : replies) {
        if (!resp::split_array(r, elements)) {
            return std::string(unexpected);
        }
        all.insert(all.end(), elements.begin(), elements.end());
    }
    std::string out;
    append_array_header(all.size(), out);
    for (const auto e : all) {
        out += e;
    }
    return out;
}

}  // namespace

std::string merge_replies(merge_kind merge, std::span<const std::string_view> replies) {
    if (replies.empty()) {
        return std::string(unexpected);
    }
    for (const auto r : replies) {
        if (is_error(r)) {
            return r.empty() ? std::string(unexpected) : std::string(r);
        }
    }
    switch (merge) {
        case merge_kind::same_reply:
            for (const auto r : replies) {
                if (r != replies.front()) {
                    return "-ERR the servers of this pool answered differently\r\n";
                }
            }
            return std::string(replies.front());
        case merge_kind::all_ok:
            for (const auto r : replies) {
                if (r != "+OK\r\n") {
                    return std::string(unexpected);
                }
            }
            return "+OK\r\n";
        case merge_kind::all_true:
            return merge_all_true(replies);
        case merge_kind::sum_integers:
            return merge_sum(replies);
        case merge_kind::concat:
            return merge_concat(replies);
        default:
            return std::string(unexpected);
    }
}

}  // namespace coproxy::protocol::redis
