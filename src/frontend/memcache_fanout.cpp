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
        out = success_;
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
            ++parent_.reply_hits;
        }
    }
    out += "END\r\n";
}

std::unique_ptr<fanout> memcache_fanout::retrieval(upstream::request& parent,
                                                   const mc::request& request, key_groups groups,
                                                   upstream::request_pool& requests,
                                                   const upstream::backend_protocol& protocol) {
    std::unique_ptr<memcache_fanout> group(
        new memcache_fanout(parent, merge_kind::values, protocol));
    std::vector<std::vector<std::string_view>> part_keys(groups.servers.size());
    for (std::size_t k = 0; k < request.keys.size(); ++k) {
        part_keys[groups.key_part[k]].push_back(request.keys[k]);
    }
    // The parsed keys point into the client's read buffer, which moves on: keep a copy.
    for (const auto key : request.keys) {
        group->key_storage_.append(key);
    }
    std::size_t offset = 0;
    for (const auto key : request.keys) {
        group->keys_.push_back(std::string_view(group->key_storage_).substr(offset, key.size()));
        offset += key.size();
    }
    group->key_part_ = std::move(groups.key_part);
    for (const auto& keys : part_keys) {
        auto& part = group->add_part(requests);
        mc::encode_retrieval(request.cmd, request.exptime, keys, part.payload);
        part.kind = static_cast<std::uint8_t>(request.cmd);
    }
    return group;
}

std::unique_ptr<fanout> memcache_fanout::broadcast(upstream::request& parent,
                                                   std::string_view payload, mc::command cmd,
                                                   std::size_t servers, std::string_view success,
                                                   upstream::request_pool& requests,
                                                   const upstream::backend_protocol& protocol) {
    std::unique_ptr<memcache_fanout> group(
        new memcache_fanout(parent, merge_kind::all_ok, protocol));
    group->success_ = success;
    for (std::size_t i = 0; i < servers; ++i) {
        auto& part = group->add_part(requests);
        part.payload.assign(payload);
        part.kind = static_cast<std::uint8_t>(cmd);
    }
    return group;
}

}  // namespace coproxy::frontend
