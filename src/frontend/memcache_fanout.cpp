// Multi-server memcached requests; see memcache_fanout.hpp.
#include "frontend/memcache_fanout.hpp"

#include <charconv>

namespace coproxy::frontend {
namespace {

namespace mc = protocol::memcache;

// One "VALUE <key> <flags> <bytes> [<cas>]\r\n<data>\r\n" block at the start of `s` (the
// reply parser has already validated the framing): its key and total length.
struct value_block {
    std::string_view key;
    std::size_t size;
};

std::optional<value_block> next_block(std::string_view s) {
    const auto line_end = s.find("\r\n");
    if (!s.starts_with("VALUE ") || line_end == std::string_view::npos) {
        return std::nullopt;
    }
    const std::string_view line = s.substr(6, line_end - 6);
    const auto key_end = line.find(' ');
    const auto flags_end = line.find(' ', key_end + 1);
    if (key_end == std::string_view::npos || flags_end == std::string_view::npos) {
        return std::nullopt;
    }
    const auto bytes_end = std::min(line.find(' ', flags_end + 1), line.size());
    std::size_t bytes = 0;
    const auto digits = line.substr(flags_end + 1, bytes_end - flags_end - 1);
    if (std::from_chars(digits.data(), digits.data() + digits.size(), bytes).ec != std::errc{}) {
        return std::nullopt;
    }
    const std::size_t size = line_end + 2 + bytes + 2;
    if (size > s.size()) {
        return std::nullopt;
    }
    return value_block{line.substr(0, key_end), size};
}

bool failed(const upstream::request& r, const upstream::backend_protocol& protocol) {
    return r.failed || protocol.is_error_reply(r.reply);
}

}  // namespace

memcache_fanout::memcache_fanout(upstream::request& parent, merge_kind merge,
                                 const upstream::backend_protocol& protocol)
    : parent_(parent), merge_(merge), protocol_(protocol) {}

memcache_fanout::~memcache_fanout() {
    for (auto& part : parts_) {
        part->sink = nullptr;
    }
}

void memcache_fanout::on_reply(upstream::request&) {
    if (--remaining_ == 0) {
        merge();
    }
}

void memcache_fanout::merge() {
    std::string out;
    for (const auto& part : parts_) {
        if (failed(*part, protocol_)) {
            parent_.reply_kind = part->failed
                                     ? static_cast<std::uint8_t>(mc::reply_status::server_error)
                                     : part->reply_kind;
            parent_.finish(part->reply, part->failed);  // a get cannot half-fail
            return;
        }
    }
    if (merge_ == merge_kind::all_ok) {
        out = "OK\r\n";
        parent_.reply_kind = static_cast<std::uint8_t>(mc::reply_status::ok);
    } else {
        merge_values(out);
        parent_.reply_kind = static_cast<std::uint8_t>(mc::reply_status::end);
    }
    parent_.finish(out, false);
}

// Each part returns its hits in the order it was asked, so one cursor per part, advanced when
// its next block is for the key at hand, yields the hits in the client's key order.
void memcache_fanout::merge_values(std::string& out) {
    std::vector<std::string_view> rest(parts_.size());
    std::size_t total = 0;
    for (std::size_t p = 0; p < parts_.size(); ++p) {
        rest[p] = std::string_view(parts_[p]->reply).substr(0, parts_[p]->reply_values);
        total += rest[p].size();
    }
    out.reserve(total + 5);
    for (std::size_t k = 0; k < keys_.size(); ++k) {
        auto& r = rest[key_part_[k]];
        const auto block = next_block(r);
        if (block && block->key == keys_[k]) {
            out.append(r.substr(0, block->size));
            r.remove_prefix(block->size);
        }
    }
    out += "END\r\n";
}

memcache_fanout::result memcache_fanout::split_retrieval(
    upstream::request& parent, const mc::request& request, const router& route,
    const submitter& submit, upstream::request_pool& requests,
    const upstream::backend_protocol& protocol) {
    std::vector<std::int32_t> part_of_server;
    std::vector<std::uint32_t> part_server;
    std::vector<std::uint32_t> key_part;
    for (const auto key : request.keys) {
        const auto server = route(key);
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
    std::vector<std::vector<std::string_view>> part_keys(part_server.size());
    for (std::size_t k = 0; k < request.keys.size(); ++k) {
        part_keys[key_part[k]].push_back(request.keys[k]);
    }
    auto group = std::make_unique<memcache_fanout>(parent, merge_kind::values, protocol);
    // The parsed keys point into the client's read buffer, which moves on: keep a copy.
    for (const auto key : request.keys) {
        group->key_storage_.append(key);
    }
    std::size_t offset = 0;
    for (const auto key : request.keys) {
        group->keys_.push_back(std::string_view(group->key_storage_).substr(offset, key.size()));
        offset += key.size();
    }
    group->key_part_ = std::move(key_part);
    group->remaining_ = part_server.size();
    for (std::size_t p = 0; p < part_server.size(); ++p) {
        auto part = requests.make();
        mc::encode_retrieval(request.cmd, request.exptime, part_keys[p], part->payload);
        part->kind = static_cast<std::uint8_t>(request.cmd);
        part->sink = group.get();
        group->parts_.push_back(part);
    }
    auto* fanout = group.get();
    parent.group = std::move(group);
    for (std::size_t p = 0; p < part_server.size(); ++p) {
        submit(part_server[p], fanout->parts_[p]);
    }
    return {outcome::split};
}

void memcache_fanout::broadcast(upstream::request& parent, std::string_view payload,
                                mc::command cmd, std::span<const std::uint32_t> servers,
                                const submitter& submit, upstream::request_pool& requests,
                                const upstream::backend_protocol& protocol) {
    auto group = std::make_unique<memcache_fanout>(parent, merge_kind::all_ok, protocol);
    group->remaining_ = servers.size();
    for (std::size_t i = 0; i < servers.size(); ++i) {
        auto part = requests.make();
        part->payload.assign(payload);
        part->kind = static_cast<std::uint8_t>(cmd);
        part->sink = group.get();
        group->parts_.push_back(part);
    }
    auto* fanout = group.get();
    parent.group = std::move(group);
    for (std::size_t i = 0; i < servers.size(); ++i) {
        submit(servers[i], fanout->parts_[i]);
    }
}

}  // namespace coproxy::frontend
