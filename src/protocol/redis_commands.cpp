// The Redis 7.0 command table behind redis_commands.hpp, its hash index (built at compile time,
// so a lookup never allocates or locks), and Redis's error texts.
#include "coproxy/protocol/redis_commands.hpp"

#include <array>
#include <cstdint>

namespace coproxy::protocol::redis {
namespace {

constexpr auto single = command_kind::single_key;
constexpr auto multi = command_kind::multi_key;
constexpr auto eval = command_kind::eval;
constexpr auto local = command_kind::local;
constexpr auto pool = command_kind::whole_pool;
constexpr auto any = command_kind::any_server;
constexpr auto state = command_kind::stateful;
constexpr auto unsup = command_kind::unsupported;

constexpr auto none = merge_kind::none;
constexpr auto mget = merge_kind::mget;
constexpr auto mset = merge_kind::mset;
constexpr auto sum = merge_kind::sum_integers;
constexpr auto same_reply = merge_kind::same_reply;
constexpr auto all_true = merge_kind::all_true;
constexpr auto all_ok = merge_kind::all_ok;
constexpr auto info_merge = merge_kind::info;
constexpr auto concat = merge_kind::concat;
constexpr auto any_value = merge_kind::any_value;

constexpr std::uint8_t wr = flag::write;
constexpr std::uint8_t ro = flag::readonly;
constexpr std::uint8_t same = flag::same_server;
constexpr std::uint8_t mov = flag::movable_keys;
constexpr std::uint8_t sub = flag::subcommands;

// One row per command, grouped as Redis's COMMAND DOCS groups them. Arity, keys and the write and
// readonly flags are COMMAND INFO's from redis-server 7.0.15 unless a comment says otherwise.
// Every Redis 7.0 command is here, so "unknown" means what it means to Redis.
// clang-format off
constexpr command_info table[] = {
    // {name, arity, first key, last key, key step, kind, merge, flags}
    // string
    {"append",                 3,  1,  1, 1, single, none, wr},
    {"decr",                   2,  1,  1, 1, single, none, wr},
    {"decrby",                 3,  1,  1, 1, single, none, wr},
    {"get",                    2,  1,  1, 1, single, none, ro},
    {"getdel",                 2,  1,  1, 1, single, none, wr},
    {"getex",                 -2,  1,  1, 1, single, none, wr},
    {"getrange",               4,  1,  1, 1, single, none, ro},
    {"getset",                 3,  1,  1, 1, single, none, wr},
    {"incr",                   2,  1,  1, 1, single, none, wr},
    {"incrby",                 3,  1,  1, 1, single, none, wr},
    {"incrbyfloat",            3,  1,  1, 1, single, none, wr},
    {"lcs",                   -3,  1,  2, 1, single, none, ro | same},
    {"mget",                  -2,  1, -1, 1, multi,  mget, ro},
    {"mset",                  -3,  1, -1, 2, multi,  mset, wr},
    // MSETNX is all-or-nothing, so it is never split.
    {"msetnx",                -3,  1, -1, 2, single, none, wr | same},
    {"psetex",                 4,  1,  1, 1, single, none, wr},
    {"set",                   -3,  1,  1, 1, single, none, wr},
    {"setex",                  4,  1,  1, 1, single, none, wr},
    {"setnx",                  3,  1,  1, 1, single, none, wr},
    {"setrange",               4,  1,  1, 1, single, none, wr},
    {"strlen",                 2,  1,  1, 1, single, none, ro},
    {"substr",                 4,  1,  1, 1, single, none, ro},
    // bitmap
    {"bitcount",              -2,  1,  1, 1, single, none, ro},
    {"bitfield",              -2,  1,  1, 1, single, none, wr},
    {"bitfield_ro",           -2,  1,  1, 1, single, none, ro},
    {"bitop",                 -4,  2, -1, 1, single, none, wr | same},
    {"bitpos",                -3,  1,  1, 1, single, none, ro},
    {"getbit",                 3,  1,  1, 1, single, none, ro},
    {"setbit",                 4,  1,  1, 1, single, none, wr},
    // generic. KEYS (with allow_keys) and RANDOMKEY visit every server, SCAN walks them one after
    // the other (its cursor says which); MIGRATE moves keys where the proxy's hashing will not
    // look for them.
    {"copy",                  -3,  1,  2, 1, single, none, wr | same},
    {"del",                   -2,  1, -1, 1, multi,  sum,  wr},
    {"dump",                   2,  1,  1, 1, single, none, ro},
    {"exists",                -2,  1, -1, 1, multi,  sum,  ro},
    {"expire",                -3,  1,  1, 1, single, none, wr},
    {"expireat",              -3,  1,  1, 1, single, none, wr},
    {"expiretime",             2,  1,  1, 1, single, none, ro},
    {"keys",                   2,  0,  0, 0, pool,   concat, ro},
    {"migrate",               -6,  3,  3, 1, unsup,  none, wr | mov},
    {"move",                   3,  1,  1, 1, single, none, wr},
    {"object",                -2,  0,  0, 0, unsup,  none, sub},
    {"object|encoding",        3,  2,  2, 1, single, none, ro},
    {"object|freq",            3,  2,  2, 1, single, none, ro},
    {"object|help",            2,  0,  0, 0, any,    none, 0},
    {"object|idletime",        3,  2,  2, 1, single, none, ro},
    {"object|refcount",        3,  2,  2, 1, single, none, ro},
    {"persist",                2,  1,  1, 1, single, none, wr},
    {"pexpire",               -3,  1,  1, 1, single, none, wr},
    {"pexpireat",             -3,  1,  1, 1, single, none, wr},
    {"pexpiretime",            2,  1,  1, 1, single, none, ro},
    {"pttl",                   2,  1,  1, 1, single, none, ro},
    {"randomkey",              1,  0,  0, 0, pool,   any_value, ro},
    {"rename",                 3,  1,  2, 1, single, none, wr | same},
    {"renamenx",               3,  1,  2, 1, single, none, wr | same},
    {"restore",               -4,  1,  1, 1, single, none, wr},
    {"scan",                  -2,  0,  0, 0, state,  none, ro},
    {"sort",                  -2,  1,  1, 1, single, none, wr | same | mov},
    {"sort_ro",               -2,  1,  1, 1, single, none, ro | same | mov},
    {"touch",                 -2,  1, -1, 1, multi,  sum,  ro},
    {"ttl",                    2,  1,  1, 1, single, none, ro},
    {"type",                   2,  1,  1, 1, single, none, ro},
    {"unlink",                -2,  1, -1, 1, multi,  sum,  wr},
    // WAIT counts the replicas that have one connection's writes; through a proxy a client's
    // writes travel on shared connections, so no server connection can answer it truthfully.
    {"wait",                   3,  0,  0, 0, unsup,  none, 0},
    // hash
    {"hdel",                  -3,  1,  1, 1, single, none, wr},
    {"hexists",                3,  1,  1, 1, single, none, ro},
    {"hget",                   3,  1,  1, 1, single, none, ro},
    {"hgetall",                2,  1,  1, 1, single, none, ro},
    {"hincrby",                4,  1,  1, 1, single, none, wr},
    {"hincrbyfloat",           4,  1,  1, 1, single, none, wr},
    {"hkeys",                  2,  1,  1, 1, single, none, ro},
    {"hlen",                   2,  1,  1, 1, single, none, ro},
    {"hmget",                 -3,  1,  1, 1, single, none, ro},
    {"hmset",                 -4,  1,  1, 1, single, none, wr},
    {"hrandfield",            -2,  1,  1, 1, single, none, ro},
    {"hscan",                 -3,  1,  1, 1, single, none, ro},
    {"hset",                  -4,  1,  1, 1, single, none, wr},
    {"hsetnx",                 4,  1,  1, 1, single, none, wr},
    {"hstrlen",                3,  1,  1, 1, single, none, ro},
    {"hvals",                  2,  1,  1, 1, single, none, ro},
    // list. Blocking pops run on a connection leased for their time (redis_blocking.hpp).
    {"blmove",                 6,  1,  2, 1, state,  none, wr},
    {"blmpop",                -5,  0,  0, 0, state,  none, wr | mov},
    {"blpop",                 -3,  1, -2, 1, state,  none, wr},
    {"brpop",                 -3,  1, -2, 1, state,  none, wr},
    {"brpoplpush",             4,  1,  2, 1, state,  none, wr},
    {"lindex",                 3,  1,  1, 1, single, none, ro},
    {"linsert",                5,  1,  1, 1, single, none, wr},
    {"llen",                   2,  1,  1, 1, single, none, ro},
    {"lmove",                  5,  1,  2, 1, single, none, wr | same},
    // The *MPOP, *INTER, *UNION, *DIFF and *INTERCARD commands without a destination take numkeys
    // at argv[1]; first_key 2 is their first key (Redis reports 0 0 0 and finds them at run time).
    {"lmpop",                 -4,  2,  2, 1, single, none, wr | same | mov},
    {"lpop",                  -2,  1,  1, 1, single, none, wr},
    {"lpos",                  -3,  1,  1, 1, single, none, ro},
    {"lpush",                 -3,  1,  1, 1, single, none, wr},
    {"lpushx",                -3,  1,  1, 1, single, none, wr},
    {"lrange",                 4,  1,  1, 1, single, none, ro},
    {"lrem",                   4,  1,  1, 1, single, none, wr},
    {"lset",                   4,  1,  1, 1, single, none, wr},
    {"ltrim",                  4,  1,  1, 1, single, none, wr},
    {"rpop",                  -2,  1,  1, 1, single, none, wr},
    {"rpoplpush",              3,  1,  2, 1, single, none, wr | same},
    {"rpush",                 -3,  1,  1, 1, single, none, wr},
    {"rpushx",                -3,  1,  1, 1, single, none, wr},
    // set
    {"sadd",                  -3,  1,  1, 1, single, none, wr},
    {"scard",                  2,  1,  1, 1, single, none, ro},
    {"sdiff",                 -2,  1, -1, 1, single, none, ro | same},
    {"sdiffstore",            -3,  1, -1, 1, single, none, wr | same},
    {"sinter",                -2,  1, -1, 1, single, none, ro | same},
    {"sintercard",            -3,  2,  2, 1, single, none, ro | same | mov},
    {"sinterstore",           -3,  1, -1, 1, single, none, wr | same},
    {"sismember",              3,  1,  1, 1, single, none, ro},
    {"smembers",               2,  1,  1, 1, single, none, ro},
    {"smismember",            -3,  1,  1, 1, single, none, ro},
    {"smove",                  4,  1,  2, 1, single, none, wr | same},
    {"spop",                  -2,  1,  1, 1, single, none, wr},
    {"srandmember",           -2,  1,  1, 1, single, none, ro},
    {"srem",                  -3,  1,  1, 1, single, none, wr},
    {"sscan",                 -3,  1,  1, 1, single, none, ro},
    {"sunion",                -2,  1, -1, 1, single, none, ro | same},
    {"sunionstore",           -3,  1, -1, 1, single, none, wr | same},
    // sorted-set
    {"bzmpop",                -5,  0,  0, 0, state,  none, wr | mov},
    {"bzpopmax",              -3,  1, -2, 1, state,  none, wr},
    {"bzpopmin",              -3,  1, -2, 1, state,  none, wr},
    {"zadd",                  -4,  1,  1, 1, single, none, wr},
    {"zcard",                  2,  1,  1, 1, single, none, ro},
    {"zcount",                 4,  1,  1, 1, single, none, ro},
    {"zdiff",                 -3,  2,  2, 1, single, none, ro | same | mov},
    {"zdiffstore",            -4,  1,  1, 1, single, none, wr | same | mov},
    {"zincrby",                4,  1,  1, 1, single, none, wr},
    {"zinter",                -3,  2,  2, 1, single, none, ro | same | mov},
    {"zintercard",            -3,  2,  2, 1, single, none, ro | same | mov},
    {"zinterstore",           -4,  1,  1, 1, single, none, wr | same | mov},
    {"zlexcount",              4,  1,  1, 1, single, none, ro},
    {"zmpop",                 -4,  2,  2, 1, single, none, wr | same | mov},
    {"zmscore",               -3,  1,  1, 1, single, none, ro},
    {"zpopmax",               -2,  1,  1, 1, single, none, wr},
    {"zpopmin",               -2,  1,  1, 1, single, none, wr},
    {"zrandmember",           -2,  1,  1, 1, single, none, ro},
    {"zrange",                -4,  1,  1, 1, single, none, ro},
    {"zrangebylex",           -4,  1,  1, 1, single, none, ro},
    {"zrangebyscore",         -4,  1,  1, 1, single, none, ro},
    {"zrangestore",           -5,  1,  2, 1, single, none, wr | same},
    {"zrank",                  3,  1,  1, 1, single, none, ro},
    {"zrem",                  -3,  1,  1, 1, single, none, wr},
    {"zremrangebylex",         4,  1,  1, 1, single, none, wr},
    {"zremrangebyrank",        4,  1,  1, 1, single, none, wr},
    {"zremrangebyscore",       4,  1,  1, 1, single, none, wr},
    {"zrevrange",             -4,  1,  1, 1, single, none, ro},
    {"zrevrangebylex",        -4,  1,  1, 1, single, none, ro},
    {"zrevrangebyscore",      -4,  1,  1, 1, single, none, ro},
    {"zrevrank",               3,  1,  1, 1, single, none, ro},
    {"zscan",                 -3,  1,  1, 1, single, none, ro},
    {"zscore",                 3,  1,  1, 1, single, none, ro},
    {"zunion",                -3,  2,  2, 1, single, none, ro | same | mov},
    {"zunionstore",           -4,  1,  1, 1, single, none, wr | same | mov},
    // hyperloglog. PFCOUNT of several keys is a union, not a sum, so it cannot be split.
    {"pfadd",                 -2,  1,  1, 1, single, none, wr},
    {"pfcount",               -2,  1, -1, 1, single, none, ro | same},
    {"pfdebug",                3,  2,  2, 1, unsup,  none, wr},
    {"pfmerge",               -2,  1, -1, 1, single, none, wr | same},
    {"pfselftest",             1,  0,  0, 0, unsup,  none, 0},
    // geo. GEORADIUS and GEORADIUSBYMEMBER may STORE into a second key.
    {"geoadd",                -5,  1,  1, 1, single, none, wr},
    {"geodist",               -4,  1,  1, 1, single, none, ro},
    {"geohash",               -2,  1,  1, 1, single, none, ro},
    {"geopos",                -2,  1,  1, 1, single, none, ro},
    {"georadius",             -6,  1,  1, 1, single, none, wr | same | mov},
    {"georadius_ro",          -6,  1,  1, 1, single, none, ro},
    {"georadiusbymember",     -5,  1,  1, 1, single, none, wr | same | mov},
    {"georadiusbymember_ro",  -5,  1,  1, 1, single, none, ro},
    {"geosearch",             -7,  1,  1, 1, single, none, ro},
    {"geosearchstore",        -8,  1,  2, 1, single, none, wr | same},
    // stream. XREAD and XREADGROUP take keys after STREAMS; with BLOCK they lease a connection.
    {"xack",                  -4,  1,  1, 1, single, none, wr},
    {"xadd",                  -5,  1,  1, 1, single, none, wr},
    {"xautoclaim",            -6,  1,  1, 1, single, none, wr},
    {"xclaim",                -6,  1,  1, 1, single, none, wr},
    {"xdel",                  -3,  1,  1, 1, single, none, wr},
    {"xgroup",                -2,  0,  0, 0, unsup,  none, sub},
    {"xgroup|create",         -5,  2,  2, 1, single, none, wr},
    {"xgroup|createconsumer",  5,  2,  2, 1, single, none, wr},
    {"xgroup|delconsumer",     5,  2,  2, 1, single, none, wr},
    {"xgroup|destroy",         4,  2,  2, 1, single, none, wr},
    {"xgroup|help",            2,  0,  0, 0, any,    none, 0},
    {"xgroup|setid",          -5,  2,  2, 1, single, none, wr},
    {"xinfo",                 -2,  0,  0, 0, unsup,  none, sub},
    {"xinfo|consumers",        4,  2,  2, 1, single, none, ro},
    {"xinfo|groups",           3,  2,  2, 1, single, none, ro},
    {"xinfo|help",             2,  0,  0, 0, any,    none, 0},
    {"xinfo|stream",          -3,  2,  2, 1, single, none, ro},
    {"xlen",                   2,  1,  1, 1, single, none, ro},
    {"xpending",              -3,  1,  1, 1, single, none, ro},
    {"xrange",                -4,  1,  1, 1, single, none, ro},
    {"xread",                 -4,  0,  0, 0, state,  none, ro | mov},
    {"xreadgroup",            -7,  0,  0, 0, state,  none, wr | mov},
    {"xrevrange",             -4,  1,  1, 1, single, none, ro},
    {"xsetid",                -3,  1,  1, 1, single, none, wr},
    {"xtrim",                 -4,  1,  1, 1, single, none, wr},
    // scripting. SCRIPT LOAD, EXISTS and FLUSH go to every server (a script is then wherever its
    // keys are); FUNCTION manages libraries per server and is refused. EVALSHA works once a script
    // is loaded everywhere, or once EVAL cached it on that server (the clients' NOSCRIPT fallback).
    // numkeys at argv[2], keys from argv[3]: COMMAND INFO shows 0 0 0 and so does this table;
    // route_key() reads numkeys.
    {"eval",                  -3,  0,  0, 0, eval,   none, same | mov},
    {"eval_ro",               -3,  0,  0, 0, eval,   none, ro | same | mov},
    {"evalsha",               -3,  0,  0, 0, eval,   none, same | mov},
    {"evalsha_ro",            -3,  0,  0, 0, eval,   none, ro | same | mov},
    {"fcall",                 -3,  0,  0, 0, eval,   none, same | mov},
    {"fcall_ro",              -3,  0,  0, 0, eval,   none, ro | same | mov},
    {"function",              -2,  0,  0, 0, unsup,  none, 0},
    {"script",                -2,  0,  0, 0, unsup,  none, sub},
    {"script|debug",           3,  0,  0, 0, unsup,  none, 0},
    {"script|exists",         -3,  0,  0, 0, pool,   all_true, 0},
    {"script|flush",          -2,  0,  0, 0, pool,   all_ok, 0},
    {"script|help",            2,  0,  0, 0, any,    none, 0},
    {"script|kill",            2,  0,  0, 0, unsup,  none, 0},
    {"script|load",            3,  0,  0, 0, pool,   same_reply, 0},
    // connection. Local: AUTH checks the proxy's own password, SELECT accepts only 0, PING takes
    // at most one message, HELLO speaks RESP2, CLIENT keeps this client's own name and info (its
    // subcommands that act on other connections are refused). RESET acts on one server connection
    // that the client does not own.
    {"auth",                  -2,  0,  0, 0, local,  none, 0},
    {"client",                -2,  0,  0, 0, local,  none, 0},
    {"hello",                 -1,  0,  0, 0, local,  none, 0},
    {"echo",                   2,  0,  0, 0, local,  none, 0},
    {"ping",                  -1,  0,  0, 0, local,  none, 0},
    {"quit",                  -1,  0,  0, 0, local,  none, 0},
    {"reset",                  1,  0,  0, 0, state,  none, 0},
    {"select",                 2,  0,  0, 0, local,  none, 0},
    // transactions: on a connection leased to the server of the first key, every key on it.
    {"discard",                1,  0,  0, 0, state,  none, 0},
    {"exec",                   1,  0,  0, 0, state,  none, 0},
    {"multi",                  1,  0,  0, 0, state,  none, 0},
    {"unwatch",                1,  0,  0, 0, state,  none, 0},
    {"watch",                 -2,  1, -1, 1, state,  none, 0},
    // pubsub: a channel lives on a server as a key does (PUBLISH is routed by it); patterns reach
    // every server. Subscriptions run on connections leased per server. Redis flags the channels
    // of the sharded variants not_key; here they are the routing argument.
    {"psubscribe",            -2,  0,  0, 0, state,  none, 0},
    {"publish",                3,  1,  1, 1, single, none, 0},
    {"pubsub",                -2,  0,  0, 0, unsup,  none, 0},
    {"punsubscribe",          -1,  0,  0, 0, state,  none, 0},
    {"spublish",               3,  1,  1, 1, single, none, 0},
    {"ssubscribe",            -2,  0,  0, 0, state,  none, 0},
    {"subscribe",             -2,  0,  0, 0, state,  none, 0},
    {"sunsubscribe",          -1,  0,  0, 0, state,  none, 0},
    {"unsubscribe",           -1,  0,  0, 0, state,  none, 0},
    // server: administration of one server, or answers (TIME, LASTSAVE) that describe a single
    // server while the client believes it talks to one. DBSIZE is summed over the servers;
    // FLUSHDB and FLUSHALL reach every server with allow_flush. INFO is the proxy's (with the servers' lowest
    // version and summed keyspace); COMMAND lists what the proxy serves, from this table.
    {"acl",                   -2,  0,  0, 0, unsup,  none, 0},
    {"bgrewriteaof",           1,  0,  0, 0, unsup,  none, 0},
    {"bgsave",                -1,  0,  0, 0, unsup,  none, 0},
    {"command",               -1,  0,  0, 0, local,  none, 0},
    {"config",                -2,  0,  0, 0, unsup,  none, 0},
    {"dbsize",                 1,  0,  0, 0, pool,   sum,  ro},
    {"debug",                 -2,  0,  0, 0, unsup,  none, 0},
    {"failover",              -1,  0,  0, 0, unsup,  none, 0},
    {"flushall",              -1,  0,  0, 0, pool,   all_ok, wr},
    {"flushdb",               -1,  0,  0, 0, pool,   all_ok, wr},
    {"info",                  -1,  0,  0, 0, pool,   info_merge, 0},
    {"lastsave",               1,  0,  0, 0, unsup,  none, 0},
    {"latency",               -2,  0,  0, 0, unsup,  none, 0},
    {"lolwut",                -1,  0,  0, 0, unsup,  none, ro},
    {"memory",                -2,  0,  0, 0, unsup,  none, sub},
    {"memory|doctor",          2,  0,  0, 0, unsup,  none, 0},
    {"memory|help",            2,  0,  0, 0, any,    none, 0},
    {"memory|malloc-stats",    2,  0,  0, 0, unsup,  none, 0},
    {"memory|purge",           2,  0,  0, 0, unsup,  none, 0},
    {"memory|stats",           2,  0,  0, 0, unsup,  none, 0},
    {"memory|usage",          -3,  2,  2, 1, single, none, ro},
    {"module",                -2,  0,  0, 0, unsup,  none, 0},
    {"monitor",                1,  0,  0, 0, unsup,  none, 0},
    {"psync",                 -3,  0,  0, 0, unsup,  none, 0},
    {"replconf",              -1,  0,  0, 0, unsup,  none, 0},
    {"replicaof",              3,  0,  0, 0, unsup,  none, 0},
    {"restore-asking",        -4,  1,  1, 1, unsup,  none, wr},
    {"role",                   1,  0,  0, 0, unsup,  none, 0},
    {"save",                   1,  0,  0, 0, unsup,  none, 0},
    {"shutdown",              -1,  0,  0, 0, unsup,  none, 0},
    {"slaveof",                3,  0,  0, 0, unsup,  none, 0},
    {"slowlog",               -2,  0,  0, 0, unsup,  none, 0},
    {"swapdb",                 3,  0,  0, 0, unsup,  none, wr},
    {"sync",                   1,  0,  0, 0, unsup,  none, 0},
    {"time",                   1,  0,  0, 0, unsup,  none, 0},
    // cluster
    {"asking",                 1,  0,  0, 0, unsup,  none, 0},
    {"cluster",               -2,  0,  0, 0, unsup,  none, 0},
    {"readonly",               1,  0,  0, 0, unsup,  none, 0},
    {"readwrite",              1,  0,  0, 0, unsup,  none, 0},
};
// clang-format on

constexpr std::size_t row_count = std::size(table);

// The table's sections (COMMAND DOCS groups), each named by its first row.
struct group_start {
    std::string_view first_row;
    std::string_view group;
};
constexpr group_start groups[] = {
    {"append", "string"},        {"bitcount", "bitmap"},
    {"copy", "generic"},         {"hdel", "hash"},
    {"blmove", "list"},          {"sadd", "set"},
    {"bzmpop", "sorted-set"},    {"pfadd", "hyperloglog"},
    {"geoadd", "geo"},           {"xack", "stream"},
    {"eval", "scripting"},       {"auth", "connection"},
    {"discard", "transactions"}, {"psubscribe", "pubsub"},
    {"acl", "server"},           {"asking", "cluster"},
};

constexpr char fold(char c) noexcept {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

// FNV-1a over ASCII-lowercased bytes, fed piecewise so "object" "|" "encoding" hashes like the
// row name without being copied into one string.
struct name_hash {
    std::uint32_t value = 2166136261U;

    constexpr void add(std::string_view bytes) noexcept {
        for (const char c : bytes) {
            value = (value ^ static_cast<unsigned char>(fold(c))) * 16777619U;
        }
    }
};

// Open addressing at load factor <= 1/2 (2 KiB of slots), so a probe rarely passes two slots.
constexpr std::size_t index_size = 1024;
constexpr std::size_t index_mask = index_size - 1;
constexpr std::uint16_t empty_slot = 0xFFFF;
static_assert(row_count * 2 <= index_size);

constexpr std::size_t longest_name() {
    std::size_t longest = 0;
    for (const command_info& row : table) {
        longest = row.name.size() > longest ? row.name.size() : longest;
    }
    return longest;
}
constexpr std::size_t max_name_size = longest_name();

// Each check throws while the table is compiled, which fails the build at the offending row.
constexpr bool check_row(const command_info& row) {
    for (const char c : row.name) {
        if (c != fold(c)) {
            throw "command names must be lowercase";
        }
    }
    if ((row.kind == multi || row.kind == pool) != (row.merge != none)) {
        throw "multi_key and whole_pool rows, and only they, have a merge kind";
    }
    const int min_argc = row.arity < 0 ? -row.arity : row.arity;
    if ((row.kind == single || row.kind == multi) &&
        (row.first_key <= 0 || row.first_key >= min_argc || row.key_step <= 0)) {
        throw "a routed row needs a key that every valid request has";
    }
    return true;
}

constexpr std::array<std::uint16_t, index_size> build_index() {
    std::array<std::uint16_t, index_size> slots{};
    slots.fill(empty_slot);
    for (std::size_t row = 0; row < row_count; ++row) {
        check_row(table[row]);
        name_hash hash;
        hash.add(table[row].name);
        std::size_t slot = hash.value & index_mask;
        while (slots[slot] != empty_slot) {
            if (table[slots[slot]].name == table[row].name) {
                throw "duplicate command name";
            }
            slot = (slot + 1) & index_mask;
        }
        slots[slot] = static_cast<std::uint16_t>(row);
    }
    return slots;
}
constexpr std::array<std::uint16_t, index_size> name_index = build_index();

// Whether `row` spells `part` from `at` on, ignoring ASCII case in `part`.
bool spells(std::string_view row, std::size_t at, std::string_view part) noexcept {
    for (std::size_t i = 0; i < part.size(); ++i) {
        if (row[at + i] != fold(part[i])) {
            return false;
        }
    }
    return true;
}

// The row named `head`, or "head|tail" when tail is given.
const command_info* find(std::string_view head, const std::string_view* tail) noexcept {
    const std::size_t size = head.size() + (tail != nullptr ? 1 + tail->size() : 0);
    if (head.empty() || size > max_name_size) {
        return nullptr;
    }
    name_hash hash;
    hash.add(head);
    if (tail != nullptr) {
        hash.add("|");
        hash.add(*tail);
    }
    for (std::size_t slot = hash.value & index_mask; name_index[slot] != empty_slot;
         slot = (slot + 1) & index_mask) {
        const command_info& row = table[name_index[slot]];
        if (row.name.size() != size || !spells(row.name, 0, head)) {
            continue;
        }
        if (tail == nullptr ||
            (row.name[head.size()] == '|' && spells(row.name, head.size() + 1, *tail))) {
            return &row;
        }
    }
    return nullptr;
}

// Redis formats user bytes with "%.128s": they end at a NUL byte or after `limit` bytes. Its
// error replies then turn CR and LF into spaces so the reply stays one line.
void append_shown(std::string& out, std::string_view bytes, std::size_t limit) {
    for (std::size_t i = 0; i < bytes.size() && i < limit && bytes[i] != '\0'; ++i) {
        const char c = bytes[i];
        out += c == '\r' || c == '\n' ? ' ' : c;
    }
}

void append_name(std::string& out, std::string_view name) {
    const std::size_t start = out.size();
    append_shown(out, name, 128);
    for (std::size_t i = start; i < out.size(); ++i) {
        out[i] = fold(out[i]);
    }
}

bool is_positive_integer(std::string_view text) noexcept {
    if (text.empty() || text[0] < '1' || text[0] > '9') {
        return false;
    }
    for (const char c : text) {
        if (c < '0' || c > '9') {
            return false;
        }
    }
    return true;
}

}  // namespace

const command_info* lookup(std::string_view name) noexcept {
    const command_info* info = find(name, nullptr);
    // A "container|sub" row is reachable only through resolve(), as in Redis.
    if (info != nullptr && info->name.find('|') != std::string_view::npos) {
        return nullptr;
    }
    return info;
}

const command_info* resolve(std::span<const std::string_view> argv) noexcept {
    if (argv.empty()) {
        return nullptr;
    }
    const command_info* info = lookup(argv[0]);
    if (info == nullptr || !info->has(flag::subcommands) || argv.size() < 2) {
        return info;
    }
    return find(argv[0], &argv[1]);
}

bool arity_ok(const command_info& info, std::size_t argc) noexcept {
    const bool counted = info.arity >= 0 ? argc == static_cast<std::size_t>(info.arity)
                                         : argc >= static_cast<std::size_t>(-info.arity);
    if (!counted) {
        return false;
    }
    if (info.key_step > 1 && info.last_key < 0) {
        const auto first = static_cast<std::size_t>(info.first_key);
        return argc > first && (argc - first) % static_cast<std::size_t>(info.key_step) == 0;
    }
    return true;
}

key_range fixed_keys(const command_info& info, std::size_t argc) noexcept {
    const auto first = static_cast<std::size_t>(info.first_key);
    if (info.first_key <= 0 || argc <= first) {
        return {};
    }
    const std::size_t step = info.key_step > 0 ? static_cast<std::size_t>(info.key_step) : 1;
    std::size_t last = info.last_key >= 0 ? static_cast<std::size_t>(info.last_key)
                                          : argc - static_cast<std::size_t>(-info.last_key);
    if (last < first || last >= argc) {
        last = first;
    }
    // MSET's -1 is its last value; its last key is one step earlier.
    last -= (last - first) % step;
    return {first, last, step};
}

std::size_t route_key(const command_info& info, std::span<const std::string_view> argv) noexcept {
    switch (info.kind) {
        case command_kind::single_key:
        case command_kind::multi_key:
            return static_cast<std::size_t>(info.first_key);
        case command_kind::eval:
            return argv.size() > 3 && is_positive_integer(argv[2]) ? 3 : 1;
        case command_kind::local:
        case command_kind::whole_pool:
        case command_kind::any_server:
        case command_kind::stateful:
        case command_kind::unsupported:
            break;
    }
    return 0;
}

void format_unknown_command_error(std::string_view name, std::span<const std::string_view> args,
                                  std::string& out) {
    const command_info* container = lookup(name);
    if (container != nullptr && container->has(flag::subcommands) && !args.empty()) {
        out += "-ERR unknown subcommand '";
        append_shown(out, args[0], 128);
        out += "'. Try ";
        for (const char c : container->name) {
            out += c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
        }
        out += " HELP.\r\n";
        return;
    }
    out += "-ERR unknown command '";
    append_shown(out, name, 128);
    out += "', with args beginning with: ";
    // Redis quotes args while fewer than 128 bytes are quoted, each cut to the room left.
    std::size_t quoted = 0;
    for (const std::string_view arg : args) {
        if (quoted >= 128) {
            break;
        }
        const std::size_t start = out.size();
        out += '\'';
        append_shown(out, arg, 128 - quoted);
        out += "' ";
        quoted += out.size() - start;
    }
    out += "\r\n";
}

void format_arity_error(std::string_view name, std::string& out) {
    out += "-ERR wrong number of arguments for '";
    append_name(out, name);
    out += "' command\r\n";
}

void format_unsupported_error(std::string_view name, std::string& out) {
    out += "-ERR unsupported command '";
    append_name(out, name);
    out += "'\r\n";
}

std::span<const command_info> all_commands() noexcept {
    return table;
}

std::string_view command_group(const command_info& info) noexcept {
    std::string_view group = groups[0].group;
    std::size_t next = 1;
    for (const command_info& row : table) {
        if (next < std::size(groups) && row.name == groups[next].first_row) {
            group = groups[next++].group;
        }
        if (&row == &info) {
            return group;
        }
    }
    return "generic";
}

}  // namespace coproxy::protocol::redis
