// The Redis command table: for every Redis 7.0 command, where its keys are and how a sharding
// proxy serves it (route by one key, split per server and merge, answer locally, or refuse), plus
// Redis's own error texts for unknown commands and wrong argument counts, byte for byte.
//
// Arity and key positions are Redis 7.0's (COMMAND INFO) except where a comment in the table says
// otherwise. Names are matched ASCII case-insensitively, like Redis. Containers whose subcommands
// are served differently (OBJECT, MEMORY, XINFO, XGROUP, SCRIPT) resolve argv[1] to a
// "container|sub" row, the name Redis itself uses in COMMAND and in its arity error. CLIENT and
// COMMAND are answered by the proxy, subcommand by subcommand; other containers (CONFIG, ACL...)
// are refused whole.
//
// HELLO is served for RESP2 and refused with -NOPROTO for RESP3, the reply on which ioredis,
// Lettuce and go-redis fall back to RESP2.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace coproxy::protocol::redis {

enum class command_kind : std::uint8_t {
    single_key,   // sent to the server of the key at first_key
    multi_key,    // split per server by key, replies merged as `merge` says
    eval,         // scripts and functions: numkeys at argv[2]; see route_key()
    local,        // answered by the proxy itself (PING, ECHO, QUIT, SELECT, AUTH, HELLO, CLIENT)
    whole_pool,   // sent to every server of the pool, replies merged as `merge` says
    any_server,   // keyless and the same on every server (OBJECT HELP): sent to one of them
    stateful,     // needs this client's own server connection: transactions, WATCH, blocking
                  // commands, subscriptions, RESET; and SCAN, whose cursor walks every server
    unsupported,  // refused with format_unsupported_error(); the connection stays open
};

enum class merge_kind : std::uint8_t {
    none,
    mget,          // one array, values in the order the client sent the keys
    mset,          // +OK once every part answered +OK
    sum_integers,  // DEL, UNLINK, EXISTS, TOUCH: the sum of the parts' integers
    same_reply,    // SCRIPT LOAD: every server must answer the same (one sha)
    all_true,      // SCRIPT EXISTS: per position, 1 only where every server says 1
    all_ok,        // SCRIPT FLUSH: +OK once every server answered +OK
    info,          // INFO: the proxy's own sections, the servers' version and keyspace
    concat,        // KEYS: every server's array, one after the other
    any_value,     // RANDOMKEY: one server's non-nil reply, picked at random
};

// Bits of command_info::flags.
namespace flag {
inline constexpr std::uint8_t write = 1U << 0;     // Redis's "write" flag
inline constexpr std::uint8_t readonly = 1U << 1;  // Redis's "readonly" flag
// Reads or writes more than one key, all on the server of the routing key: correct only when
// every key hashes there, which users get with hash tags (RENAME {u1}a {u1}b).
inline constexpr std::uint8_t same_server = 1U << 2;
// Keys beyond the first_key..last_key range exist (numkeys, STORE, BY/GET patterns), so that
// range alone cannot tell whether all of them share one server.
inline constexpr std::uint8_t movable_keys = 1U << 3;
// A container (OBJECT, MEMORY, XINFO, XGROUP): resolve() picks the row named by argv[1].
inline constexpr std::uint8_t subcommands = 1U << 4;
}  // namespace flag

struct command_info {
    std::string_view name;   // lowercase; "container|sub" for a subcommand
    std::int16_t arity;      // N: exactly N args including the name; -N: at least N
    std::int16_t first_key;  // argv index of the first key; 0 when the row has no fixed key
    std::int16_t last_key;   // inclusive; negative counts from the end (-1 = the last arg)
    std::int16_t key_step;   // 2 for MSET's key value pairs
    command_kind kind;
    merge_kind merge;
    std::uint8_t flags;

    bool has(std::uint8_t f) const noexcept { return (flags & f) != 0; }
};

// The row for a top-level command name, or nullptr. Never returns a "container|sub" row, as a
// client cannot send one as argv[0]. No allocation; one hash and usually one compare.
const command_info* lookup(std::string_view name) noexcept;

// The row for a whole request: lookup(argv[0]), and for a container with flag::subcommands and a
// second argument, its "container|argv[1]" row. nullptr when either name is unknown; the reply is
// then format_unknown_command_error(argv[0], argv.subspan(1)).
const command_info* resolve(std::span<const std::string_view> argv) noexcept;

// Redis's arity rule, plus its whole-pairs rule for MSET and MSETNX (odd argc), which Redis
// reports with the same arity error. Local handlers still check their own extra limits, as
// Redis's command code does: PING takes at most one message, AUTH at most two arguments.
bool arity_ok(const command_info& info, std::size_t argc) noexcept;

// Inclusive argv range of the keys at fixed positions, resolved against argc, e.g. MSET with argc
// 5 gives {1, 3, 2}. first == 0 when the row has none. Requires arity_ok(info, argc).
struct key_range {
    std::size_t first = 0;
    std::size_t last = 0;
    std::size_t step = 1;
};
key_range fixed_keys(const command_info& info, std::size_t argc) noexcept;

// The argv index whose bytes pick the server; 0 for local and unsupported rows. Requires
// arity_ok(info, argv.size()).
//
// For eval rows: argv[3], the first key, when numkeys (argv[2]) is a positive integer and a key
// follows. A keyless script (numkeys 0) is routed by argv[1] (script body, SHA1 or function name)
// instead of refused as twemproxy does: it is valid Redis, and a deterministic server keeps a
// script that reads undeclared keys consistent with itself. A malformed numkeys is routed the same
// way, so the server answers with its own error text.
std::size_t route_key(const command_info& info, std::span<const std::string_view> argv) noexcept;

// Each appends one complete RESP error line ("-ERR ...\r\n") to `out`, as Redis 7.0 words it.

// Redis's reply when argv[0] is unknown ("ERR unknown command 'foo', with args beginning with:
// 'a' 'b' "), or, for a container with flag::subcommands, when args[0] is not one of its
// subcommands ("ERR unknown subcommand 'foo'. Try OBJECT HELP."). Same truncation as Redis: the
// name and each arg stop at a NUL byte or after 128 bytes, args stop once 128 bytes are quoted;
// CR and LF become spaces.
void format_unknown_command_error(std::string_view name, std::span<const std::string_view> args,
                                  std::string& out);

// "-ERR wrong number of arguments for '<name>' command\r\n". Pass info.name: Redis shows the
// lowercase full name ("object|encoding"); other names are lowercased the same way.
void format_arity_error(std::string_view name, std::string& out);

// "-ERR unsupported command '<name>'\r\n", with the name shown as format_arity_error() does.
void format_unsupported_error(std::string_view name, std::string& out);

// Every row, in table order, for tests, --help and per-command metrics.
std::span<const command_info> all_commands() noexcept;

// The COMMAND DOCS group of a row ("string", "generic", "connection", ...).
std::string_view command_group(const command_info& info) noexcept;

}  // namespace coproxy::protocol::redis
