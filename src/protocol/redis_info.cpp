// See redis_info.hpp.
#include "coproxy/protocol/redis_info.hpp"

#include <algorithm>
#include <charconv>

namespace coproxy::protocol::redis {
namespace {

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) {
        c = c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
    }
    return out;
}

std::uint64_t number_after(std::string_view line, std::string_view key) {
    const auto at = line.find(key);
    if (at == std::string_view::npos) {
        return 0;
    }
    std::uint64_t v = 0;
    const char* begin = line.data() + at + key.size();
    std::from_chars(begin, line.data() + line.size(), v);
    return v;
}

}  // namespace

server_info parse_info(std::string_view text) {
    server_info out;
    while (!text.empty()) {
        const auto end = text.find('\n');
        std::string_view line = text.substr(0, end);
        text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
        if (!line.empty() && line.back() == '\r') {
            line.remove_suffix(1);
        }
        if (line.starts_with("redis_version:")) {
            out.redis_version = std::string(line.substr(14));
        } else if (line.starts_with("db") && line.find(":keys=") != std::string_view::npos) {
            int db = 0;
            const auto colon = line.find(':');
            if (std::from_chars(line.data() + 2, line.data() + colon, db).ec != std::errc{}) {
                continue;
            }
            const std::string_view fields = line.substr(colon + 1);
            out.keyspace[db] = {number_after(fields, "keys="), number_after(fields, "expires="),
                                number_after(fields, "avg_ttl=")};
        }
    }
    return out;
}

int compare_versions(std::string_view a, std::string_view b) {
    while (!a.empty() || !b.empty()) {
        std::uint64_t x = 0;
        std::uint64_t y = 0;
        const auto ra = std::from_chars(a.data(), a.data() + a.size(), x);
        const auto rb = std::from_chars(b.data(), b.data() + b.size(), y);
        if (x != y) {
            return x < y ? -1 : 1;
        }
        a.remove_prefix(static_cast<std::size_t>(ra.ptr - a.data()));
        b.remove_prefix(static_cast<std::size_t>(rb.ptr - b.data()));
        a.remove_prefix(a.empty() ? 0 : 1);  // the '.'
        b.remove_prefix(b.empty() ? 0 : 1);
    }
    return 0;
}

std::string lowest_version(std::span<const server_info> servers) {
    std::string lowest;
    for (const auto& s : servers) {
        if (!s.redis_version.empty() &&
            (lowest.empty() || compare_versions(s.redis_version, lowest) < 0)) {
            lowest = s.redis_version;
        }
    }
    return lowest;
}

std::map<int, keyspace_entry> sum_keyspace(std::span<const server_info> servers) {
    std::map<int, keyspace_entry> sum;
    std::map<int, long double> ttl_weight;
    for (const auto& s : servers) {
        for (const auto& [db, e] : s.keyspace) {
            auto& t = sum[db];
            t.keys += e.keys;
            t.expires += e.expires;
            ttl_weight[db] +=
                static_cast<long double>(e.avg_ttl) * static_cast<long double>(e.expires);
        }
    }
    for (auto& [db, e] : sum) {
        e.avg_ttl =
            e.expires == 0
                ? 0
                : static_cast<std::uint64_t>(ttl_weight[db] / static_cast<long double>(e.expires));
    }
    return sum;
}

std::string format_keyspace(const std::map<int, keyspace_entry>& keyspace) {
    std::string out;
    for (const auto& [db, e] : keyspace) {
        out += "db" + std::to_string(db) + ":keys=" + std::to_string(e.keys) +
               ",expires=" + std::to_string(e.expires) + ",avg_ttl=" + std::to_string(e.avg_ttl) +
               "\r\n";
    }
    return out;
}

info_sections::info_sections(std::span<const std::string_view> args) {
    if (args.empty()) {
        defaults_ = true;
    }
    for (const auto a : args) {
        const std::string name = lower(a);
        if (name == "all" || name == "everything") {
            all_ = true;
        } else if (name == "default") {
            defaults_ = true;
        } else {
            names_.push_back(name);
        }
    }
}

bool info_sections::wants(std::string_view section) const {
    return all_ || defaults_ ||
           std::find(names_.begin(), names_.end(), lower(section)) != names_.end();
}

}  // namespace coproxy::protocol::redis
