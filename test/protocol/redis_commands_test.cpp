// Checks the Redis command table against redis-server 7.0.15. Command names, arity verdicts,
// COMMAND GETKEYS answers and error replies below were captured from that server (RESP requests
// over a socket) and are kept here as data.
#include "coproxy/protocol/redis_commands.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace coproxy::protocol::redis {
namespace {

using namespace std::literals;

// Space-separated words; enough for every request below that has no binary bytes.
std::vector<std::string_view> words(std::string_view line) {
    std::vector<std::string_view> out;
    while (!line.empty()) {
        const std::size_t end = line.find(' ');
        out.push_back(line.substr(0, end));
        line = end == std::string_view::npos ? std::string_view{} : line.substr(end + 1);
    }
    return out;
}

std::string repeat(char c, std::size_t n) {
    return std::string(n, c);
}

std::string upper(std::string_view text) {
    std::string out{text};
    for (char& c : out) {
        c = c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
    }
    return out;
}

// clang-format off
// COMMAND LIST of redis-server 7.0.15, top-level names.
constexpr std::string_view redis70_commands[] = {
    "acl", "append", "asking", "auth", "bgrewriteaof", "bgsave", "bitcount", "bitfield",
    "bitfield_ro", "bitop", "bitpos", "blmove", "blmpop", "blpop", "brpop", "brpoplpush", "bzmpop",
    "bzpopmax", "bzpopmin", "client", "cluster", "command", "config", "copy", "dbsize", "debug",
    "decr", "decrby", "del", "discard", "dump", "echo", "eval", "eval_ro", "evalsha", "evalsha_ro",
    "exec", "exists", "expire", "expireat", "expiretime", "failover", "fcall", "fcall_ro",
    "flushall", "flushdb", "function", "geoadd", "geodist", "geohash", "geopos", "georadius",
    "georadius_ro", "georadiusbymember", "georadiusbymember_ro", "geosearch", "geosearchstore",
    "get", "getbit", "getdel", "getex", "getrange", "getset", "hdel", "hello", "hexists", "hget",
    "hgetall", "hincrby", "hincrbyfloat", "hkeys", "hlen", "hmget", "hmset", "hrandfield", "hscan",
    "hset", "hsetnx", "hstrlen", "hvals", "incr", "incrby", "incrbyfloat", "info", "keys",
    "lastsave", "latency", "lcs", "lindex", "linsert", "llen", "lmove", "lmpop", "lolwut", "lpop",
    "lpos", "lpush", "lpushx", "lrange", "lrem", "lset", "ltrim", "memory", "mget", "migrate",
    "module", "monitor", "move", "mset", "msetnx", "multi", "object", "persist", "pexpire",
    "pexpireat", "pexpiretime", "pfadd", "pfcount", "pfdebug", "pfmerge", "pfselftest", "ping",
    "psetex", "psubscribe", "psync", "pttl", "publish", "pubsub", "punsubscribe", "quit",
    "randomkey", "readonly", "readwrite", "rename", "renamenx", "replconf", "replicaof", "reset",
    "restore", "restore-asking", "role", "rpop", "rpoplpush", "rpush", "rpushx", "sadd", "save",
    "scan", "scard", "script", "sdiff", "sdiffstore", "select", "set", "setbit", "setex", "setnx",
    "setrange", "shutdown", "sinter", "sintercard", "sinterstore", "sismember", "slaveof",
    "slowlog", "smembers", "smismember", "smove", "sort", "sort_ro", "spop", "spublish",
    "srandmember", "srem", "sscan", "ssubscribe", "strlen", "subscribe", "substr", "sunion",
    "sunionstore", "sunsubscribe", "swapdb", "sync", "time", "touch", "ttl", "type", "unlink",
    "unsubscribe", "unwatch", "wait", "watch", "xack", "xadd", "xautoclaim", "xclaim", "xdel",
    "xgroup", "xinfo", "xlen", "xpending", "xrange", "xread", "xreadgroup", "xrevrange", "xsetid",
    "xtrim", "zadd", "zcard", "zcount", "zdiff", "zdiffstore", "zincrby", "zinter", "zintercard",
    "zinterstore", "zlexcount", "zmpop", "zmscore", "zpopmax", "zpopmin", "zrandmember", "zrange",
    "zrangebylex", "zrangebyscore", "zrangestore", "zrank", "zrem", "zremrangebylex",
    "zremrangebyrank", "zremrangebyscore", "zrevrange", "zrevrangebylex", "zrevrangebyscore",
    "zrevrank", "zscan", "zscore", "zunion", "zunionstore",
};

// COMMAND LIST entries for the containers this table resolves by subcommand.
constexpr std::string_view redis70_resolved_subcommands[] = {
    "memory|doctor", "memory|help", "memory|malloc-stats", "memory|purge", "memory|stats",
    "memory|usage", "object|encoding", "object|freq", "object|help", "object|idletime",
    "object|refcount", "script|debug", "script|exists", "script|flush", "script|help",
    "script|kill", "script|load", "xgroup|create", "xgroup|createconsumer", "xgroup|delconsumer",
    "xgroup|destroy", "xgroup|help", "xgroup|setid", "xinfo|consumers", "xinfo|groups",
    "xinfo|help", "xinfo|stream",
};

// Every Redis command twemproxy 0.5 parses (its MSG_REQ_REDIS_* types), except COMMAND and
// LOLWUT, which this proxy refuses on purpose.
constexpr std::string_view twemproxy_commands[] = {
    "append", "auth", "bitcount", "bitfield", "bitpos", "copy", "decr", "decrby", "del", "dump",
    "eval", "evalsha", "exists", "expire", "expireat", "geoadd", "geodist", "geohash", "geopos",
    "georadius", "georadiusbymember", "geosearch", "geosearchstore", "get", "getbit", "getdel",
    "getex", "getrange", "getset", "hdel", "hexists", "hget", "hgetall", "hincrby", "hincrbyfloat",
    "hkeys", "hlen", "hmget", "hmset", "hrandfield", "hscan", "hset", "hsetnx", "hstrlen", "hvals",
    "incr", "incrby", "incrbyfloat", "lindex", "linsert", "llen", "lmove", "lpop", "lpos", "lpush",
    "lpushx", "lrange", "lrem", "lset", "ltrim", "mget", "move", "mset", "persist", "pexpire",
    "pexpireat", "pfadd", "pfcount", "pfmerge", "ping", "psetex", "pttl", "quit", "restore", "rpop",
    "rpoplpush", "rpush", "rpushx", "sadd", "scard", "sdiff", "sdiffstore", "select", "set",
    "setbit", "setex", "setnx", "setrange", "sinter", "sinterstore", "sismember", "smembers",
    "smismember", "smove", "sort", "spop", "srandmember", "srem", "sscan", "strlen", "sunion",
    "sunionstore", "touch", "ttl", "type", "unlink", "zadd", "zcard", "zcount", "zdiff",
    "zdiffstore", "zincrby", "zinter", "zinterstore", "zlexcount", "zmscore", "zpopmax", "zpopmin",
    "zrandmember", "zrange", "zrangebylex", "zrangebyscore", "zrangestore", "zrank", "zrem",
    "zremrangebylex", "zremrangebyrank", "zremrangebyscore", "zrevrange", "zrevrangebylex",
    "zrevrangebyscore", "zrevrank", "zscan", "zscore", "zunion", "zunionstore",
};
// clang-format on

TEST(RedisCommandLookup, IgnoresAsciiCase) {
    const command_info* get = lookup("get");
    ASSERT_NE(get, nullptr);
    EXPECT_EQ(get->name, "get");
    EXPECT_EQ(lookup("GET"), get);
    EXPECT_EQ(lookup("gEt"), get);
    EXPECT_EQ(lookup("ZREVRANGEBYSCORE"), lookup("zrevrangebyscore"));
    EXPECT_EQ(lookup("GeoRadiusByMember_RO")->name, "georadiusbymember_ro");
}

TEST(RedisCommandLookup, RejectsWhatRedisWouldNotFind) {
    const std::string long_name = repeat('g', 300);
    for (const std::string_view name :
         {""sv, "ge"sv, "gett"sv, "get "sv, "get\0"sv, "g\xc5t"sv, "helo"sv, "HELLOO"sv,
          "object|encoding"sv, "memory|usage"sv, std::string_view{long_name}}) {
        EXPECT_EQ(lookup(name), nullptr) << name;
    }
}

TEST(RedisCommandLookup, FindsEveryRowByItsName) {
    for (const command_info& row : all_commands()) {
        const std::size_t bar = row.name.find('|');
        if (bar == std::string_view::npos) {
            EXPECT_EQ(lookup(row.name), &row) << row.name;
            EXPECT_EQ(lookup(upper(row.name)), &row) << row.name;
            continue;
        }
        const std::string container{row.name.substr(0, bar)};
        const std::string sub = upper(row.name.substr(bar + 1));
        const std::vector<std::string_view> argv{container, sub, "key", "x"};
        EXPECT_EQ(resolve(argv), &row) << row.name;
        EXPECT_TRUE(lookup(container)->has(flag::subcommands)) << row.name;
    }
}

TEST(RedisCommandLookup, ResolvesSubcommandsOnlyForTheirContainers) {
    EXPECT_EQ(resolve(words("OBJECT ENCODING k"))->name, "object|encoding");
    EXPECT_EQ(resolve(words("memory usage k"))->name, "memory|usage");
    EXPECT_EQ(resolve(words("XINFO stream k"))->name, "xinfo|stream");
    EXPECT_EQ(resolve(words("xgroup CREATE k g $"))->name, "xgroup|create");
    // Alone, a container is its own row, so the arity check reports it as Redis does.
    EXPECT_EQ(resolve(words("object"))->name, "object");
    EXPECT_EQ(resolve(words("object nope k")), nullptr);
    EXPECT_EQ(resolve(words("object encoding|x k")), nullptr);
    // Refused containers are not resolved: any subcommand is refused with them.
    EXPECT_EQ(resolve(words("config get maxmemory"))->name, "config");
    EXPECT_EQ(resolve(words("client setname x"))->name, "client");
    // A subcommand word after an ordinary command is just an argument.
    EXPECT_EQ(resolve(words("get encoding"))->name, "get");
    EXPECT_EQ(resolve({}), nullptr);
}

TEST(RedisCommandTable, CoversEveryRedis70Command) {
    for (const std::string_view name : redis70_commands) {
        EXPECT_NE(lookup(name), nullptr) << name;
    }
    for (const std::string_view name : redis70_resolved_subcommands) {
        const std::size_t bar = name.find('|');
        const std::vector<std::string_view> argv{name.substr(0, bar), name.substr(bar + 1)};
        const command_info* info = resolve(argv);
        ASSERT_NE(info, nullptr) << name;
        EXPECT_EQ(info->name, name);
    }
    EXPECT_EQ(all_commands().size(),
              std::size(redis70_commands) + std::size(redis70_resolved_subcommands));
}

TEST(RedisCommandTable, ServesEveryTwemproxyCommand) {
    for (const std::string_view name : twemproxy_commands) {
        const command_info* info = lookup(name);
        ASSERT_NE(info, nullptr) << name;
        EXPECT_NE(info->kind, command_kind::unsupported) << name;
    }
}

TEST(RedisCommandTable, FlagsEveryRouteThatTouchesSeveralKeys) {
    for (const command_info& row : all_commands()) {
        if (row.kind != command_kind::single_key && row.kind != command_kind::eval) {
            continue;
        }
        const bool several = row.last_key != row.first_key || row.has(flag::movable_keys);
        EXPECT_EQ(row.has(flag::same_server), several) << row.name;
    }
}

struct kind_row {
    std::string_view request;
    command_kind kind;
    merge_kind merge;
};

constexpr kind_row kinds[] = {
    {"get k", command_kind::single_key, merge_kind::none},
    {"set k v GET", command_kind::single_key, merge_kind::none},
    {"rename a b", command_kind::single_key, merge_kind::none},
    {"zunionstore d 2 a b", command_kind::single_key, merge_kind::none},
    {"object encoding k", command_kind::single_key, merge_kind::none},
    {"xadd s * f v", command_kind::single_key, merge_kind::none},
    {"mget a b", command_kind::multi_key, merge_kind::mget},
    {"mset a 1 b 2", command_kind::multi_key, merge_kind::mset},
    {"del a b", command_kind::multi_key, merge_kind::sum_integers},
    {"unlink a b", command_kind::multi_key, merge_kind::sum_integers},
    {"exists a b", command_kind::multi_key, merge_kind::sum_integers},
    {"touch a b", command_kind::multi_key, merge_kind::sum_integers},
    {"eval s 1 k", command_kind::eval, merge_kind::none},
    {"evalsha_ro sha 1 k", command_kind::eval, merge_kind::none},
    {"fcall f 1 k", command_kind::eval, merge_kind::none},
    {"ping", command_kind::local, merge_kind::none},
    {"echo hi", command_kind::local, merge_kind::none},
    {"quit", command_kind::local, merge_kind::none},
    {"select 0", command_kind::local, merge_kind::none},
    {"auth pw", command_kind::local, merge_kind::none},
    {"keys *", command_kind::whole_pool, merge_kind::concat},
    {"dbsize", command_kind::whole_pool, merge_kind::sum_integers},
    {"randomkey", command_kind::whole_pool, merge_kind::any_value},
    {"flushall", command_kind::whole_pool, merge_kind::all_ok},
    {"scan 0", command_kind::stateful, merge_kind::none},
    {"multi", command_kind::stateful, merge_kind::none},
    {"watch a b", command_kind::stateful, merge_kind::none},
    {"subscribe ch", command_kind::stateful, merge_kind::none},
    {"publish ch m", command_kind::single_key, merge_kind::none},
    {"blpop l 0", command_kind::stateful, merge_kind::none},
    {"xread STREAMS s 0", command_kind::stateful, merge_kind::none},
    {"reset", command_kind::stateful, merge_kind::none},
    {"wait 1 0", command_kind::unsupported, merge_kind::none},
    {"pubsub channels", command_kind::unsupported, merge_kind::none},
    {"script load s", command_kind::whole_pool, merge_kind::same_reply},
    {"script exists a b", command_kind::whole_pool, merge_kind::all_true},
    {"script flush", command_kind::whole_pool, merge_kind::all_ok},
    {"script kill", command_kind::unsupported, merge_kind::none},
    {"object help", command_kind::any_server, merge_kind::none},
    {"memory stats", command_kind::unsupported, merge_kind::none},
    {"info", command_kind::whole_pool, merge_kind::info},
    {"info keyspace", command_kind::whole_pool, merge_kind::info},
    {"command", command_kind::local, merge_kind::none},
    {"hello 3", command_kind::local, merge_kind::none},
    {"client setname x", command_kind::local, merge_kind::none},
};

TEST(RedisCommandKind, SortsCommandsByHowTheProxyServesThem) {
    for (const kind_row& row : kinds) {
        const command_info* info = resolve(words(row.request));
        ASSERT_NE(info, nullptr) << row.request;
        EXPECT_EQ(info->kind, row.kind) << row.request;
        EXPECT_EQ(info->merge, row.merge) << row.request;
    }
}

TEST(RedisCommandKind, CarriesRedisWriteAndReadonlyFlags) {
    EXPECT_TRUE(lookup("set")->has(flag::write));
    EXPECT_TRUE(lookup("get")->has(flag::readonly));
    EXPECT_TRUE(lookup("eval_ro")->has(flag::readonly));
    EXPECT_FALSE(lookup("eval")->has(flag::write | flag::readonly));
    EXPECT_TRUE(resolve(words("xgroup destroy s g"))->has(flag::write));
}

struct arity_row {
    std::string_view request;
    std::string_view redis_reply;  // Redis's arity error, or empty when it accepted the count
};

// Each request sent to redis-server 7.0.15; the reply when it was the arity error.
constexpr arity_row arities[] = {
    {"get", "-ERR wrong number of arguments for 'get' command\r\n"},
    {"get k", ""},
    {"get k x", "-ERR wrong number of arguments for 'get' command\r\n"},
    {"set k", "-ERR wrong number of arguments for 'set' command\r\n"},
    {"set k v", ""},
    {"set k v EX 10", ""},
    {"mget", "-ERR wrong number of arguments for 'mget' command\r\n"},
    {"mget a", ""},
    {"mget a b c", ""},
    {"mset a", "-ERR wrong number of arguments for 'mset' command\r\n"},
    {"mset a 1", ""},
    {"mset a 1 b", "-ERR wrong number of arguments for 'mset' command\r\n"},
    {"mset a 1 b 2", ""},
    {"msetnx a 1 b", "-ERR wrong number of arguments for 'msetnx' command\r\n"},
    {"msetnx a 1 b 2", ""},
    {"del", "-ERR wrong number of arguments for 'del' command\r\n"},
    {"del a b", ""},
    {"exists a b c", ""},
    {"eval s", "-ERR wrong number of arguments for 'eval' command\r\n"},
    {"eval s 0", ""},
    {"evalsha s", "-ERR wrong number of arguments for 'evalsha' command\r\n"},
    {"fcall f", "-ERR wrong number of arguments for 'fcall' command\r\n"},
    {"ping", ""},
    {"ping hi", ""},
    {"echo", "-ERR wrong number of arguments for 'echo' command\r\n"},
    {"echo a", ""},
    {"echo a b", "-ERR wrong number of arguments for 'echo' command\r\n"},
    {"select", "-ERR wrong number of arguments for 'select' command\r\n"},
    {"select 0", ""},
    {"select 0 1", "-ERR wrong number of arguments for 'select' command\r\n"},
    {"quit x", ""},
    {"auth", "-ERR wrong number of arguments for 'auth' command\r\n"},
    {"object", "-ERR wrong number of arguments for 'object' command\r\n"},
    {"object encoding", "-ERR wrong number of arguments for 'object|encoding' command\r\n"},
    {"object encoding k", ""},
    {"object encoding k x", "-ERR wrong number of arguments for 'object|encoding' command\r\n"},
    {"object help", ""},
    {"memory usage", "-ERR wrong number of arguments for 'memory|usage' command\r\n"},
    {"memory usage k", ""},
    {"memory usage k SAMPLES 5", ""},
    {"xinfo stream", "-ERR wrong number of arguments for 'xinfo|stream' command\r\n"},
    {"xinfo stream k", ""},
    {"xgroup create k g", "-ERR wrong number of arguments for 'xgroup|create' command\r\n"},
    {"xgroup create k g $", ""},
    {"linsert k before p", "-ERR wrong number of arguments for 'linsert' command\r\n"},
    {"linsert k before p v", ""},
    {"zadd k 1", "-ERR wrong number of arguments for 'zadd' command\r\n"},
    {"zadd k 1 m", ""},
    {"zunionstore d 1", "-ERR wrong number of arguments for 'zunionstore' command\r\n"},
    {"zunionstore d 1 a", ""},
    {"bitop and d", "-ERR wrong number of arguments for 'bitop' command\r\n"},
    {"bitop and d a", ""},
    {"lmpop 1 a", "-ERR wrong number of arguments for 'lmpop' command\r\n"},
    {"lmpop 1 a LEFT", ""},
    {"geosearchstore d s FROMLONLAT 0 0 BYRADIUS 1", ""},
    {"geosearchstore d s FROMLONLAT 0 0 BYRADIUS 1 km", ""},
    {"keys", "-ERR wrong number of arguments for 'keys' command\r\n"},
    {"keys *", ""},
    {"config", "-ERR wrong number of arguments for 'config' command\r\n"},
    {"blpop a", "-ERR wrong number of arguments for 'blpop' command\r\n"},
    {"watch", "-ERR wrong number of arguments for 'watch' command\r\n"},
    {"multi x", "-ERR wrong number of arguments for 'multi' command\r\n"},
    {"lcs a", "-ERR wrong number of arguments for 'lcs' command\r\n"},
    {"lcs a b", ""},
    {"rename a", "-ERR wrong number of arguments for 'rename' command\r\n"},
    {"rename a b", ""},
    {"rename a b c", "-ERR wrong number of arguments for 'rename' command\r\n"},
};

TEST(RedisCommandArity, AgreesWithRedis) {
    for (const arity_row& row : arities) {
        const std::vector<std::string_view> argv = words(row.request);
        const command_info* info = resolve(argv);
        ASSERT_NE(info, nullptr) << row.request;
        EXPECT_EQ(arity_ok(*info, argv.size()), row.redis_reply.empty()) << row.request;
        if (!row.redis_reply.empty()) {
            std::string reply;
            format_arity_error(info->name, reply);
            EXPECT_EQ(reply, row.redis_reply) << row.request;
        }
    }
}

struct keys_row {
    std::string_view request;
    std::string_view keys;  // COMMAND GETKEYS <request>, space-separated
};

// COMMAND GETKEYS answers of redis-server 7.0.15 ("" for "The command has no key arguments").
constexpr keys_row getkeys[] = {
    {"get k", "k"},
    {"set k v EX 10 GET", "k"},
    {"getex k PERSIST", "k"},
    {"getdel k", "k"},
    {"mget a b c", "a b c"},
    {"mset a 1 b 2 c 3", "a b c"},
    {"msetnx a 1 b 2", "a b"},
    {"del a b c", "a b c"},
    {"unlink a", "a"},
    {"exists a b", "a b"},
    {"touch a b", "a b"},
    {"rename a b", "a b"},
    {"renamenx a b", "a b"},
    {"copy a b REPLACE", "a b"},
    {"smove a b m", "a b"},
    {"lmove a b LEFT RIGHT", "a b"},
    {"rpoplpush a b", "a b"},
    {"sdiff a b", "a b"},
    {"sinterstore d a b", "d a b"},
    {"sunionstore d a b c", "d a b c"},
    {"sintercard 2 a b LIMIT 1", "a b"},
    {"zunionstore d 2 a b WEIGHTS 1 2", "d a b"},
    {"zinterstore d 2 a b", "d a b"},
    {"zdiffstore d 2 a b", "d a b"},
    {"zinter 2 a b", "a b"},
    {"zunion 3 a b c", "a b c"},
    {"zdiff 2 a b", "a b"},
    {"zintercard 2 a b LIMIT 1", "a b"},
    {"zrangestore d s 0 -1", "d s"},
    {"lmpop 2 a b LEFT", "a b"},
    {"zmpop 2 a b MIN", "a b"},
    {"eval s 2 a b x", "a b"},
    {"eval s 0", ""},
    {"eval s 0 x y", ""},
    {"evalsha 0123 1 k a", "k"},
    {"eval_ro s 1 k", "k"},
    {"fcall f 1 k a", "k"},
    {"fcall_ro f 2 k1 k2", "k1 k2"},
    {"bitop AND d a b", "d a b"},
    {"bitcount k 0 1", "k"},
    {"bitfield_ro k GET u8 0", "k"},
    {"pfcount a b", "a b"},
    {"pfmerge d a b", "d a b"},
    {"pfadd h a b", "h"},
    {"lcs a b", "a b"},
    {"geosearchstore d s FROMLONLAT 0 0 BYRADIUS 1 km", "d s"},
    {"geosearch s FROMLONLAT 0 0 BYRADIUS 1 km", "s"},
    {"georadius k 0 0 1 km STORE d", "k d"},
    {"georadiusbymember k m 1 km", "k"},
    {"sort k BY w_* GET o_* STORE d", "k d"},
    {"sort_ro k BY w_*", "k"},
    {"object encoding k", "k"},
    {"memory usage k", "k"},
    {"xinfo stream k", "k"},
    {"xinfo groups k", "k"},
    {"xgroup create k g $", "k"},
    {"xgroup createconsumer k g c", "k"},
    {"hset h f v", "h"},
    {"hmget h a b", "h"},
    {"xadd s * f v", "s"},
    {"xrange s - +", "s"},
    {"xautoclaim s g c 0 0", "s"},
    {"zadd z 1 m", "z"},
    {"lpos l a", "l"},
    {"smismember s a b", "s"},
    {"zmscore z a b", "z"},
    {"hrandfield h 2", "h"},
    {"zrandmember z 2", "z"},
    {"expiretime k", "k"},
    {"pexpiretime k", "k"},
    {"restore k 0 payload", "k"},
    {"dump k", "k"},
    {"move k 1", "k"},
    {"substr k 0 1", "k"},
    {"setrange k 0 v", "k"},
    {"lpush l a b", "l"},
    {"blpop a b 0", "a b"},
    {"watch a b", "a b"},
    {"xread COUNT 1 STREAMS a b 0 0", "a b"},
    // Redis reports no key (a shard channel is not a key); coproxy routes by the channel, so that
    // a message reaches the server where its subscribers are.
    {"spublish ch msg", "ch"},
    {"migrate h 1 k 0 5", "k"},
};

TEST(RedisCommandKeys, AgreeWithCommandGetkeys) {
    for (const keys_row& row : getkeys) {
        const std::vector<std::string_view> argv = words(row.request);
        const std::vector<std::string_view> expected = words(row.keys);
        const command_info* info = resolve(argv);
        ASSERT_NE(info, nullptr) << row.request;
        ASSERT_TRUE(arity_ok(*info, argv.size())) << row.request;
        if (info->kind == command_kind::eval) {
            const std::size_t at = route_key(*info, argv);
            EXPECT_EQ(argv[at], expected.empty() ? argv[1] : expected.front()) << row.request;
            continue;
        }
        if (info->has(flag::movable_keys)) {
            // Only the first key sits at a fixed place; it is the one the proxy routes by.
            if (info->first_key > 0) {
                EXPECT_EQ(argv[info->first_key], expected.front()) << row.request;
            }
        } else {
            std::vector<std::string_view> found;
            const key_range keys = fixed_keys(*info, argv.size());
            for (std::size_t i = keys.first; keys.first != 0 && i <= keys.last; i += keys.step) {
                found.push_back(argv[i]);
            }
            EXPECT_EQ(found, expected) << row.request;
        }
        if (info->kind == command_kind::single_key || info->kind == command_kind::multi_key) {
            EXPECT_EQ(argv[route_key(*info, argv)], expected.front()) << row.request;
        }
    }
}

TEST(RedisCommandKeys, FixedKeysResolveAgainstArgc) {
    struct row {
        std::string_view name;
        std::size_t argc, first, last, step;
    };
    const row rows[] = {
        {"get", 2, 1, 1, 1},  {"mget", 4, 1, 3, 1},  {"mset", 5, 1, 3, 2},  {"mset", 3, 1, 1, 2},
        {"del", 2, 1, 1, 1},  {"blpop", 4, 1, 2, 1}, {"bitop", 5, 2, 4, 1}, {"rename", 3, 1, 2, 1},
        {"ping", 1, 0, 0, 1}, {"eval", 5, 0, 0, 1},
    };
    for (const row& r : rows) {
        const key_range keys = fixed_keys(*lookup(r.name), r.argc);
        EXPECT_EQ(keys.first, r.first) << r.name;
        EXPECT_EQ(keys.last, r.last) << r.name;
        EXPECT_EQ(keys.step, r.step) << r.name;
    }
}

TEST(RedisCommandRoute, ScriptsGoToTheirFirstKeyOrByTheirBody) {
    struct row {
        std::string_view request;
        std::size_t index;
    };
    const row rows[] = {
        {"eval s 2 a b x", 3}, {"EVALSHA sha 1 k", 3}, {"fcall_ro f 1 k a", 3}, {"eval s 0", 1},
        {"eval s 0 x y", 1},   {"fcall f 0", 1},       {"eval s abc k", 1},     {"eval s -1 k", 1},
        {"eval s 01 k", 1},    {"eval s 1", 1},
    };
    for (const row& r : rows) {
        const std::vector<std::string_view> argv = words(r.request);
        EXPECT_EQ(route_key(*resolve(argv), argv), r.index) << r.request;
    }
    EXPECT_EQ(route_key(*lookup("ping"), words("ping")), 0U);
    EXPECT_EQ(route_key(*lookup("keys"), words("keys *")), 0U);
    EXPECT_EQ(route_key(*lookup("bitop"), words("bitop and d a")), 2U);
}

struct error_row {
    std::vector<std::string> argv;
    std::string redis_reply;
};

// Requests no table row answers, and redis-server 7.0.15's reply to each.
std::vector<error_row> unknown_requests() {
    const std::string a100 = repeat('a', 100);
    const std::string b25 = repeat('b', 25);
    return {
        {{"foo"}, "-ERR unknown command 'foo', with args beginning with: \r\n"},
        {{"FooBar", "a", "b"},
         "-ERR unknown command 'FooBar', with args beginning with: 'a' 'b' \r\n"},
        {{"foo", ""}, "-ERR unknown command 'foo', with args beginning with: '' \r\n"},
        {{repeat('x', 200), "a"},
         "-ERR unknown command '" + repeat('x', 128) + "', with args beginning with: 'a' \r\n"},
        {{"foo", repeat('a', 200)},
         "-ERR unknown command 'foo', with args beginning with: '" + repeat('a', 128) + "' \r\n"},
        {{"foo", a100, repeat('b', 100)},
         "-ERR unknown command 'foo', with args beginning with: '" + a100 + "' '" + b25 + "' \r\n"},
        {{"foo", repeat('a', 120), repeat('b', 10), "c"},
         "-ERR unknown command 'foo', with args beginning with: '" + repeat('a', 120) +
             "' 'bbbbb' \r\n"},
        {{"foo", repeat('a', 123), "b"},
         "-ERR unknown command 'foo', with args beginning with: '" + repeat('a', 123) +
             "' 'b' \r\n"},
        {{"foo", repeat('a', 124), "b"},
         "-ERR unknown command 'foo', with args beginning with: '" + repeat('a', 124) +
             "' 'b' \r\n"},
        {{"foo", repeat('a', 125), "b"},
         "-ERR unknown command 'foo', with args beginning with: '" + repeat('a', 125) + "' \r\n"},
        {{"foo", repeat('a', 126), "b"},
         "-ERR unknown command 'foo', with args beginning with: '" + repeat('a', 126) + "' \r\n"},
        {{"f\r\noo", "a\rb", "c\nd"},
         "-ERR unknown command 'f  oo', with args beginning with: 'a b' 'c d' \r\n"},
        {{"f\0oo"s, "a\0b"s, "c"},
         "-ERR unknown command 'f', with args beginning with: 'a' 'c' \r\n"},
        {{"unknown\xff\xfe"},
         "-ERR unknown command 'unknown\xff\xfe', with args beginning with: \r\n"},
        {{"object", "foo", "bar"}, "-ERR unknown subcommand 'foo'. Try OBJECT HELP.\r\n"},
        {{"Object", "fOo"}, "-ERR unknown subcommand 'fOo'. Try OBJECT HELP.\r\n"},
        {{"object", "f\r\noo"}, "-ERR unknown subcommand 'f  oo'. Try OBJECT HELP.\r\n"},
        {{"memory", repeat('x', 200)},
         "-ERR unknown subcommand '" + repeat('x', 128) + "'. Try MEMORY HELP.\r\n"},
        {{"XINFO", "nope"}, "-ERR unknown subcommand 'nope'. Try XINFO HELP.\r\n"},
        {{"script", "nope"}, "-ERR unknown subcommand 'nope'. Try SCRIPT HELP.\r\n"},
    };
}

TEST(RedisCommandErrors, UnknownCommandsGetRedisText) {
    for (const error_row& row : unknown_requests()) {
        const std::vector<std::string_view> argv(row.argv.begin(), row.argv.end());
        EXPECT_EQ(resolve(argv), nullptr) << row.argv[0];
        std::string reply;
        format_unknown_command_error(argv[0], std::span(argv).subspan(1), reply);
        EXPECT_EQ(reply, row.redis_reply) << row.argv[0];
    }
}

TEST(RedisCommandErrors, UnsupportedNamesTheRow) {
    std::string reply;
    format_unsupported_error(lookup("KEYS")->name, reply);
    EXPECT_EQ(reply, "-ERR unsupported command 'keys'\r\n");
    reply.clear();
    format_unsupported_error(resolve(words("MEMORY DOCTOR"))->name, reply);
    EXPECT_EQ(reply, "-ERR unsupported command 'memory|doctor'\r\n");
    reply.clear();
    format_unsupported_error("Sub\r\nscribe", reply);
    EXPECT_EQ(reply, "-ERR unsupported command 'sub  scribe'\r\n");
}

TEST(RedisCommandErrors, AppendToWhatIsAlreadyThere) {
    std::string out = "+PONG\r\n";
    format_arity_error("GET", out);
    EXPECT_EQ(out, "+PONG\r\n-ERR wrong number of arguments for 'get' command\r\n");
}

}  // namespace
}  // namespace coproxy::protocol::redis
