// INFO text: what coproxy reads from its servers' INFO (version, keyspace) and the helpers that
// write its own: sections as Redis lays them out ("# Server\r\nkey:value\r\n..."), the keyspace
// summed over servers, and the lowest version among them. Pure functions over text.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace coproxy::protocol::redis {

struct keyspace_entry {
    std::uint64_t keys = 0;
    std::uint64_t expires = 0;
    std::uint64_t avg_ttl = 0;  // ms, over the keys with an expiry
};

struct server_info {
    std::string redis_version;               // empty when the reply had none
    std::map<int, keyspace_entry> keyspace;  // db number -> its line
};

// The fields coproxy uses from the text of an INFO reply (the bulk string's body).
server_info parse_info(std::string_view text);

// -1, 0, 1 as a is older than, as old as, newer than b ("6.2.14" < "7.0.15" < "7.0.100").
int compare_versions(std::string_view a, std::string_view b);

// The lowest version among `servers` (empty when none reported one), and their keyspaces summed
// per db (avg_ttl weighted by each server's keys with an expiry).
std::string lowest_version(std::span<const server_info> servers);
std::map<int, keyspace_entry> sum_keyspace(std::span<const server_info> servers);

// "db0:keys=3,expires=1,avg_ttl=500\r\n" per db, in db order.
std::string format_keyspace(const std::map<int, keyspace_entry>& keyspace);

// Which sections an INFO request asks for: none -> default; "all", "everything", "default" or
// section names (case-insensitive). `wants(name)` answers for one section.
class info_sections {
  public:
    explicit info_sections(std::span<const std::string_view> args);
    bool wants(std::string_view section) const;

  private:
    bool all_ = false;
    bool defaults_ = false;
    std::vector<std::string> names_;
};

}  // namespace coproxy::protocol::redis
