// COMMAND's answers, built from the command table: the commands coproxy serves (a command it
// refuses is not advertised, so a client never plans on it), in Redis 7's reply shapes. Also the
// HELLO reply. RESP2; pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "coproxy/protocol/redis_commands.hpp"

namespace coproxy::protocol::redis {

// Served: a top-level row coproxy answers or forwards, or a container with a served subcommand.
bool advertised(const command_info& info) noexcept;
std::size_t advertised_count() noexcept;

// COMMAND INFO's array for one row: name, arity, flags, first key, last key, step, ACL
// categories, tips, key specs, subcommands (the served ones, each in the same shape).
void encode_command_info(const command_info& info, std::string& out);
// COMMAND DOCS's pair for one row: its name, then its summary (how coproxy serves it) and group.
void encode_command_docs(const command_info& info, std::string& out);

// HELLO's map in RESP2 (a flat array): server, version, proto 2, id, mode, role, modules.
void encode_hello(std::string_view version, std::int64_t client_id, std::string& out);

// RESP2 building blocks.
void append_bulk(std::string_view s, std::string& out);
void append_array_header(std::size_t n, std::string& out);
void append_integer(long long v, std::string& out);

}  // namespace coproxy::protocol::redis
