// Splitting multi-key Redis commands by server and merging the replies; see redis_fanout.hpp.
#include "frontend/redis_fanout.hpp"

#include <charconv>

#include "coproxy/protocol/resp.hpp"

namespace coproxy::frontend {
namespace {

namespace redis = protocol::redis;
namespace resp = protocol::resp;

bool is_error(const upstream::request& r) {
    return r.failed || r.reply.empty() || r.reply[0] == '-' || r.reply[0] == '!';
}

}  // namespace

redis_fanout::redis_fanout(upstream::request& parent, redis::merge_kind merge,
                           const upstream::backend_protocol& protocol)
    : parent_(parent), merge_(merge), protocol_(protocol) {}

redis_fanout::~redis_fanout() {
    for (auto& part : parts_) {
        part->sink = nullptr;  // parts may outlive the parent in server queues
    }
}

void redis_fanout::on_reply(upstream::request&) {
    if (--remaining_ == 0) {
        merge();
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
    out = ":" + std::to_string(sum) + "\r\n";
}

redis_split::result redis_split::split(upstream::request& parent, const redis::command_info& info,
                                       std::span<const std::string_view> argv, const router& route,
                                       const submitter& submit, upstream::request_pool& requests,
                                       const upstream::backend_protocol& protocol) {
    const auto keys = redis::fixed_keys(info, argv.size());
    const std::size_t width = info.merge == redis::merge_kind::mset ? 2 : 1;  // key, value
    // Map each key to a part; parts are created in the order their server first appears.
    std::vector<std::int32_t> part_of_server;
    std::vector<std::uint32_t> part_server;
    std::vector<std::uint32_t> key_part;
    for (std::size_t i = keys.first; i <= keys.last; i += keys.step) {
        const auto server = route(argv[i]);
        if (!server) {
            return {outcome::unroutable};
        }
        if (*server >= part_of_server.size()) {
            part_of_server.resize(*server + 1, -1);
        }
        if (part_of_server[*server] < 0) {
            part_of_server[*server] = static_cast<std::int32_t>(part_server.size());
            part_server.push_back(*server);
        }
        key_part.push_back(static_cast<std::uint32_t>(part_of_server[*server]));
    }
    if (part_server.size() == 1) {
        return {outcome::single, part_server.front()};
    }
    // One argument list per part: the command name, then its keys (and values) in client order.
    std::vector<std::vector<std::string_view>> part_args(part_server.size(),
                                                         std::vector<std::string_view>{argv[0]});
    std::size_t k = 0;
    for (std::size_t i = keys.first; i <= keys.last; i += keys.step, ++k) {
        auto& args = part_args[key_part[k]];
        for (std::size_t w = 0; w < width; ++w) {
            args.push_back(argv[i + w]);
        }
    }
    auto group = std::make_unique<redis_fanout>(parent, info.merge, protocol);
    group->key_part_ = std::move(key_part);
    group->remaining_ = part_server.size();
    for (std::size_t p = 0; p < part_server.size(); ++p) {
        auto part = requests.make();
        resp::encode_request(part_args[p], part->payload);
        part->sink = group.get();
        part->tag = static_cast<std::uint32_t>(p);
        group->parts_.push_back(part);
    }
    auto* fanout = group.get();
    parent.group = std::move(group);
    // Submitting may complete parts at once (a server backing off), so the group is attached first.
    for (std::size_t p = 0; p < part_server.size(); ++p) {
        submit(part_server[p], fanout->parts_[p]);
    }
    return {outcome::split};
}

}  // namespace coproxy::frontend
