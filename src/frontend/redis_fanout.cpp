// Splitting multi-key Redis commands by server and merging the replies; see redis_fanout.hpp.
#include "frontend/redis_fanout.hpp"

#include <charconv>

#include "coproxy/protocol/redis_introspection.hpp"
#include "coproxy/protocol/resp.hpp"

namespace coproxy::frontend {
namespace {

namespace redis = protocol::redis;
namespace resp = protocol::resp;

bool is_error(const upstream::request& r) {
    return r.failed || r.reply.empty() || r.reply[0] == '-' || r.reply[0] == '!';
}

}  // namespace

redis_fanout::redis_fanout(upstream::request& parent, const redis::command_info& info,
                           const redis_keys& keys, key_groups groups,
                           upstream::request_pool& requests,
                           const upstream::backend_protocol& protocol)
    : fanout(parent),
      merge_(info.merge),
      protocol_(protocol),
      key_part_(std::move(groups.key_part)) {
    const std::size_t width = info.merge == redis::merge_kind::mset ? 2 : 1;  // key, value
    std::vector<std::vector<std::string_view>> part_args(
        groups.servers.size(), std::vector<std::string_view>{keys.argv[0]});
    for (std::size_t k = 0; k < key_part_.size(); ++k) {
        auto& args = part_args[key_part_[k]];
        const std::size_t i = keys.range.first + k * keys.range.step;
        for (std::size_t w = 0; w < width; ++w) {
            args.push_back(keys.argv[i + w]);
        }
    }
    for (const auto& args : part_args) {
        resp::encode_request(args, add_part(requests).payload);
    }
}

const upstream::request* redis_fanout::first_error() const {
    for (const auto& part : parts_) {
        if (is_error(*part)) {
            return part.get();
        }
    }
    return nullptr;
}

void redis_fanout::merge() {
    std::string out;
    if (const auto* error = first_error()) {
        out =
            error->reply.empty() ? protocol_.error_reply("empty reply from server") : error->reply;
    } else if (merge_ == redis::merge_kind::mget) {
        merge_mget(out);
    } else if (merge_ == redis::merge_kind::mset) {
        merge_mset(out);
    } else {
        merge_sum(out);
    }
    parent_.finish(out, false);
}

void redis_fanout::merge_mget(std::string& out) {
    // Each part answered its keys in order, so one cursor per part walks the keys in client order.
    std::vector<std::vector<std::string_view>> values(parts_.size());
    for (std::size_t p = 0; p < parts_.size(); ++p) {
        if (!resp::split_array(parts_[p]->reply, values[p])) {
            out = protocol_.error_reply("unexpected reply from server to MGET");
            return;
        }
    }
    std::vector<std::size_t> cursor(parts_.size(), 0);
    std::size_t total = 0;
    for (std::size_t p = 0; p < parts_.size(); ++p) {
        total += parts_[p]->reply.size();
    }
    out.reserve(total + 16);
    out += '*';
    out += std::to_string(key_part_.size());
    out += "\r\n";
    for (const std::uint32_t p : key_part_) {
        if (cursor[p] >= values[p].size()) {
            out = protocol_.error_reply("unexpected reply from server to MGET");
            return;
        }
        out += values[p][cursor[p]++];
    }
}

void redis_fanout::merge_mset(std::string& out) {
    for (const auto& part : parts_) {
        if (part->reply != "+OK\r\n") {
            out = part->reply;
            return;
        }
    }
    out = "+OK\r\n";
}

void redis_fanout::merge_sum(std::string& out) {
    long long sum = 0;
    for (const auto& part : parts_) {
        const auto value = resp::integer_value(part->reply);
        if (!value) {
            out = protocol_.error_reply("unexpected reply from server");
            return;
        }
        sum += *value;
    }
    out.clear();
    redis::append_integer(sum, out);
}

redis_broadcast::redis_broadcast(upstream::request& parent, std::string_view payload,
                                 std::size_t servers, merger merge,
                                 upstream::request_pool& requests)
    : fanout(parent), merge_(std::move(merge)) {
    for (std::size_t i = 0; i < servers; ++i) {
        add_part(requests).payload.assign(payload);
    }
}

void redis_broadcast::merge() {
    parent_.finish(merge_(parts_), false);
}

}  // namespace coproxy::frontend
