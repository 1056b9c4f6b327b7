// Key placement against the reference: with the same pool config, every key written through
// nutcracker 0.5.0 must be read back through coproxy, for each distribution and hash an operator
// may have configured. Operators swap the binaries and keep their data, so a key coproxy routes to
// another server is a key lost; it reads back as a miss here.
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <fstream>
#include <functional>
#include <memory>
#include <random>
#include <sstream>
#include <unordered_set>

#include "support/coproxy_process.hpp"
#include "support/resp_client.hpp"
#include "support/servers.hpp"

namespace coproxy::test {
namespace {

using namespace std::chrono_literals;

constexpr std::size_t key_count = 10000;
constexpr std::size_t batch_size = 500;  // replies of one batch fit the socket buffers: no deadlock
constexpr int server_count = 3;

// How evenly nutcracker itself spreads the test keys, so the test cannot pass with every key on
// one server where nutcracker does spread them.
enum class spread {
    proportional,  // each server holds at least half its weight's share
    every_server,  // each server holds some
    unchecked,     // nutcracker may put them all on one server
};

// A table row: `row("ketama", "md5").weighted({1, 2, 3}).named()`.
struct placement_case {
    std::string name;
    std::string distribution;
    std::string hash;
    std::vector<int> weights = {1, 1, 1};
    bool named = false;    // `host:port:weight name`: the name is the ketama identity
    std::string hash_tag;  // empty: none
    spread expected_spread = spread::proportional;

    placement_case weighted(std::vector<int> w) const {
        auto c = *this;
        c.weights = std::move(w);
        c.name += "_weighted";
        return c;
    }
    placement_case with_names() const {
        auto c = *this;
        c.named = true;
        c.name += "_named";
        return c;
    }
    placement_case tagged() const {
        auto c = *this;
        c.hash_tag = "{}";
        c.name += "_hash_tag";
        return c;
    }
    placement_case spreading(spread s) const {
        auto c = *this;
        c.expected_spread = s;
        return c;
    }
};

placement_case row(const std::string& distribution, const std::string& hash) {
    placement_case c;
    c.name = distribution + "_" + hash;
    c.distribution = distribution;
    c.hash = hash;
    return c;
}

void PrintTo(const placement_case& c, std::ostream* os) {
    *os << c.name;
}

std::string case_name(const testing::TestParamInfo<placement_case>& info) {
    return info.param.name;
}

// One pool, byte for byte the same for nutcracker and coproxy but for the listen port.
std::string pool_yaml(const placement_case& c, bool redis, int listen,
                      const std::vector<int>& servers) {
    std::string yaml = "placement:\n  listen: 127.0.0.1:" + std::to_string(listen) +
                       "\n  hash: " + c.hash + "\n  distribution: " + c.distribution +
                       "\n  redis: " + (redis ? "true" : "false") + "\n";
    if (!c.hash_tag.empty()) {
        yaml += "  hash_tag: \"" + c.hash_tag + "\"\n";
    }
    yaml += "  servers:\n";
    for (std::size_t i = 0; i < servers.size(); ++i) {
        yaml += "    - 127.0.0.1:" + std::to_string(servers[i]) + ":" +
                std::to_string(c.weights[i]) + (c.named ? " shard-" + std::to_string(i) : "") +
                "\n";
    }
    return yaml;
}

std::string random_string(std::mt19937& rng, std::size_t n, int lo, int hi) {
    std::uniform_int_distribution<int> byte(lo, hi);
    std::string out(n, '\0');
    for (auto& c : out) {
        c = static_cast<char>(byte(rng));
    }
    return out;
}

// Keys of the shapes operators have: ids, hex, paths, UTF-8 and raw bytes >= 0x80, long keys, and
// braces in every position hash tags care about (shared tags, empty, unclosed, two tags). Redis
// keys also get spaces, CR LF, NUL and any other byte; memcache keys stay within its grammar
// (no whitespace or control bytes, at most 250 bytes).
std::vector<std::string> make_keys(bool memcache) {
    std::mt19937 rng(20240501);
    const int lowest = memcache ? 0x21 : 0x00;
    const std::size_t longest = memcache ? 250 : 4096;
    const auto bytes = [&](std::size_t n, int lo, int hi) { return random_string(rng, n, lo, hi); };
    using shape = std::function<std::string(std::size_t i, const std::string& n)>;
    const std::vector<shape> shapes = {
        [](auto, auto& n) { return "user:" + n; },
        [](auto i, auto&) { return "session:" + std::to_string(i * 2654435761u % 4294967291u); },
        [](auto, auto& n) { return "cache/v2/item-" + n + ".json"; },
        [](auto, auto& n) { return n; },
        [](auto, auto& n) { return "\xd0\xba\xd0\xbb\xd1\x8e\xd1\x87:" + n; },  // UTF-8
        [&](auto i, auto& n) { return bytes(4 + i % 20, 0x80, 0xff) + n; },
        [&](auto, auto& n) {
            return memcache ? "no_spaces_" + n : "key with spaces\t" + n + " \r\n end";
        },
        [&](auto i, auto& n) { return bytes(1 + i % 32, lowest, 0xff) + ":" + n; },
        [&](auto i, auto& n) {
            const std::size_t size = std::min<std::size_t>(200 + i % 3900, longest);
            return "long:" + n + ":" + bytes(size - 6 - n.size(), 'a', 'z');
        },
        [](auto i, auto& n) { return "{user" + std::to_string(i / 32) + "}:profile:" + n; },
        [](auto i, auto& n) { return "cart:{" + std::to_string(i % 101) + "}:" + n; },
        [](auto, auto& n) { return "{}" + n; },                          // empty tag
        [](auto i, auto& n) { return (i % 32 < 16 ? "{" : "}{") + n; },  // unclosed
        [](auto, auto& n) { return "{a}{" + n + "}"; },                  // the first tag counts
        [&](auto, auto& n) { return "{" + bytes(3, 0x80, 0xff) + "}rest:" + n; },
        [](auto, auto& n) { return "x{" + n + "}"; },
    };
    std::unordered_set<std::string> seen;
    std::vector<std::string> keys;
    for (std::size_t i = 0; keys.size() < key_count; ++i) {
        const std::string n = std::to_string(i);
        std::string key = shapes[i % shapes.size()](i, n);
        if (memcache && key.find('\x7f') != std::string::npos) {
            key = "del_" + n;
        }
        if (seen.insert(key).second) {
            keys.push_back(std::move(key));
        }
    }
    return keys;
}

// The reply to one read: the value, nullopt for a miss, or "(reply) ..." for anything else,
// which never equals a value written here.
using read_result = std::optional<std::string>;

// What the test body needs from a protocol: pipelined writes and reads, and wiping a server.
struct protocol_driver {
    bool redis;
    // Empty on success, else the first failure.
    std::string (*write)(int port, const std::vector<std::string>& keys,
                         const std::vector<std::string>& values);
    std::vector<read_result> (*read)(int port, const std::vector<std::string>& keys);
    bool (*flush)(int port);
};

// --- Redis -------------------------------------------------------------------------------------

std::string redis_write(int port, const std::vector<std::string>& keys,
                        const std::vector<std::string>& values) {
    auto client = resp_client::connect(port);
    if (!client) {
        return "cannot connect to port " + std::to_string(port);
    }
    for (std::size_t first = 0; first < keys.size(); first += batch_size) {
        const std::size_t last = std::min(keys.size(), first + batch_size);
        std::string pipeline;
        for (std::size_t i = first; i < last; ++i) {
            append_resp_command(pipeline, {"SET", keys[i], values[i]});
        }
        if (!client->send(pipeline)) {
            return "send failed";
        }
        for (std::size_t i = first; i < last; ++i) {
            const auto reply = client->read_reply();
            if (!reply || !reply->is_ok()) {
                return "SET \"" + escape_bytes(keys[i]) +
                       "\": " + (reply ? reply->describe() : "no reply");
            }
        }
    }
    return {};
}

std::vector<read_result> redis_read(int port, const std::vector<std::string>& keys) {
    std::vector<read_result> out(keys.size(), "(reply) none: connection failed");
    // Two connections, batches alternating, so both of coproxy's workers may take part.
    std::vector<resp_client> clients;
    for (int i = 0; i < 2; ++i) {
        if (auto c = resp_client::connect(port)) {
            clients.push_back(std::move(*c));
        }
    }
    if (clients.size() != 2) {
        return out;
    }
    for (std::size_t first = 0; first < keys.size(); first += batch_size) {
        const std::size_t last = std::min(keys.size(), first + batch_size);
        auto& client = clients[(first / batch_size) % 2];
        std::string pipeline;
        for (std::size_t i = first; i < last; ++i) {
            append_resp_command(pipeline, {"GET", keys[i]});
        }
        if (!client.send(pipeline)) {
            return out;
        }
        for (std::size_t i = first; i < last; ++i) {
            const auto reply = client.read_reply();
            if (!reply) {
                return out;
            }
            out[i] = reply->nil           ? read_result()
                     : reply->type == '$' ? reply->text
                                          : "(reply) " + reply->describe();
        }
    }
    return out;
}

bool redis_flush(int port) {
    auto client = resp_client::connect(port);
    const auto reply = client ? client->call({"FLUSHALL"}) : std::nullopt;
    return reply && reply->is_ok();
}

// --- Memcached ---------------------------------------------------------------------------------

// Buffered lines and blocks over a blocking socket; the memcached text protocol needs no more.
class memcache_client {
  public:
    static std::optional<memcache_client> connect(int port) {
        auto s = client_socket::connect(port);
        return s ? std::optional<memcache_client>(memcache_client(std::move(*s))) : std::nullopt;
    }

    bool send(std::string_view bytes) { return socket_.send_all(bytes); }

    std::optional<std::string> line() {
        std::size_t end;
        while ((end = buffer_.find("\r\n", pos_)) == std::string::npos) {
            if (!fill()) {
                return std::nullopt;
            }
        }
        std::string out = buffer_.substr(pos_, end - pos_);
        pos_ = end + 2;
        return out;
    }

    std::optional<std::string> block(std::size_t n) {  // n bytes and the CR LF after them
        while (buffer_.size() - pos_ < n + 2) {
            if (!fill()) {
                return std::nullopt;
            }
        }
        std::string out = buffer_.substr(pos_, n);
        pos_ += n + 2;
        return out;
    }

  private:
    explicit memcache_client(client_socket s) : socket_(std::move(s)) {}

    bool fill() {
        buffer_.erase(0, pos_);
        pos_ = 0;
        char chunk[65536];
        const ssize_t n = ::recv(socket_.fd(), chunk, sizeof chunk, 0);
        if (n <= 0) {
            return false;
        }
        buffer_.append(chunk, static_cast<std::size_t>(n));
        return true;
    }

    client_socket socket_;
    std::string buffer_;
    std::size_t pos_ = 0;
};

std::string memcache_write(int port, const std::vector<std::string>& keys,
                           const std::vector<std::string>& values) {
    auto client = memcache_client::connect(port);
    if (!client) {
        return "cannot connect to port " + std::to_string(port);
    }
    for (std::size_t first = 0; first < keys.size(); first += batch_size) {
        const std::size_t last = std::min(keys.size(), first + batch_size);
        std::string pipeline;
        for (std::size_t i = first; i < last; ++i) {
            pipeline += "set " + keys[i] + " 0 0 " + std::to_string(values[i].size()) + "\r\n" +
                        values[i] + "\r\n";
        }
        if (!client->send(pipeline)) {
            return "send failed";
        }
        for (std::size_t i = first; i < last; ++i) {
            const auto reply = client->line();
            if (reply != "STORED") {
                return "set \"" + escape_bytes(keys[i]) +
                       "\": " + (reply ? escape_bytes(*reply) : "no reply");
            }
        }
    }
    return {};
}

// One `get` per key, so each reply is exactly one key's answer.
std::vector<read_result> memcache_read(int port, const std::vector<std::string>& keys) {
    std::vector<read_result> out(keys.size(), "(reply) none: connection failed");
    auto client = memcache_client::connect(port);
    if (!client) {
        return out;
    }
    for (std::size_t first = 0; first < keys.size(); first += batch_size) {
        const std::size_t last = std::min(keys.size(), first + batch_size);
        std::string pipeline;
        for (std::size_t i = first; i < last; ++i) {
            pipeline += "get " + keys[i] + "\r\n";
        }
        if (!client->send(pipeline)) {
            return out;
        }
        for (std::size_t i = first; i < last; ++i) {
            const auto head = client->line();
            if (!head) {
                return out;
            }
            if (*head == "END") {
                out[i] = std::nullopt;
                continue;
            }
            std::size_t bytes = 0;
            const auto space = head->rfind(' ');
            const char* digits = head->data() + space + 1;
            if (head->rfind("VALUE ", 0) != 0 ||
                std::from_chars(digits, head->data() + head->size(), bytes).ec != std::errc()) {
                out[i] = "(reply) " + escape_bytes(*head);
                continue;
            }
            auto value = client->block(bytes);
            if (!value || client->line() != "END") {
                return out;
            }
            out[i] = std::move(*value);
        }
    }
    return out;
}

bool memcache_flush(int port) {
    auto client = memcache_client::connect(port);
    return client && client->send("flush_all\r\n") && client->line() == "OK";
}

const protocol_driver redis_driver{true, redis_write, redis_read, redis_flush};
const protocol_driver memcache_driver{false, memcache_write, memcache_read, memcache_flush};

// --- The check ---------------------------------------------------------------------------------

std::string file_text(const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

std::string describe(const read_result& r) {
    return r ? "\"" + escape_bytes(*r) + "\"" : "(miss)";
}

void check_placement(const placement_case& c, const protocol_driver& d,
                     const std::vector<int>& servers) {
    for (const int port : servers) {
        ASSERT_TRUE(d.flush(port)) << "cannot flush the server on port " << port;
    }
    temp_dir dir;
    const int nutcracker_port = free_port();
    nutcracker_process nutcracker(dir, pool_yaml(c, d.redis, nutcracker_port, servers));
    ASSERT_TRUE(nutcracker.started()) << file_text(dir.file("nutcracker.log"));
    const int coproxy_port = free_port();
    const std::string yaml = pool_yaml(c, d.redis, coproxy_port, servers);
    coproxy_process coproxy(dir, yaml, {"--threads", "2"});
    ASSERT_TRUE(coproxy.started()) << coproxy.log();

    const auto keys = make_keys(!d.redis);
    std::vector<std::string> values;
    for (std::size_t i = 0; i < keys.size(); ++i) {
        values.push_back("value:" + std::to_string(i) + ":" + c.name);
    }
    const std::string failed = d.write(nutcracker_port, keys, values);
    ASSERT_EQ(failed, "") << "writing through nutcracker failed\n"
                          << file_text(dir.file("nutcracker.log"));

    // Where nutcracker put each key, asked of every server directly.
    std::vector<int> holder(keys.size(), -1);
    std::vector<std::size_t> held(servers.size());
    for (std::size_t s = 0; s < servers.size(); ++s) {
        const auto found = d.read(servers[s], keys);
        for (std::size_t i = 0; i < keys.size(); ++i) {
            if (found[i] == values[i]) {
                ASSERT_EQ(holder[i], -1)
                    << "key \"" << escape_bytes(keys[i]) << "\" on two servers";
                holder[i] = static_cast<int>(s);
                ++held[s];
            }
        }
    }
    const auto lost = std::find(holder.begin(), holder.end(), -1);
    ASSERT_EQ(lost, holder.end()) << "nutcracker acknowledged key \""
                                  << escape_bytes(keys[lost - holder.begin()])
                                  << "\" but no server holds it";
    std::string shares;
    for (std::size_t s = 0; s < servers.size(); ++s) {
        shares += (s ? "/" : "") + std::to_string(held[s]);
    }
    std::printf("[ placement] %s: nutcracker put %s keys on the %d servers\n", c.name.c_str(),
                shares.c_str(), server_count);
    int total_weight = 0;
    for (const int w : c.weights) {
        total_weight += w;
    }
    for (std::size_t s = 0; s < servers.size(); ++s) {
        const std::size_t fair = key_count * c.weights[s] / total_weight;
        const std::size_t least = c.expected_spread == spread::proportional   ? fair / 2
                                  : c.expected_spread == spread::every_server ? 1
                                                                              : 0;
        EXPECT_GE(held[s], least) << "nutcracker left server " << s << " nearly empty (" << shares
                                  << ")";
    }

    const auto got = d.read(coproxy_port, keys);
    std::size_t wrong = 0;
    std::string first_wrong;
    for (std::size_t i = 0; i < keys.size(); ++i) {
        if (got[i] == values[i]) {
            continue;
        }
        if (++wrong <= 5) {
            first_wrong += "  key #" + std::to_string(i) + " \"" + escape_bytes(keys[i]) +
                           "\": nutcracker put it on server " + std::to_string(holder[i]) +
                           " (port " + std::to_string(servers[holder[i]]) + "), coproxy returned " +
                           describe(got[i]) + "\n";
        }
    }
    EXPECT_EQ(wrong, 0u) << "coproxy does not find " << wrong << " of " << keys.size()
                         << " keys where nutcracker put them; the first ones:\n"
                         << first_wrong << "coproxy's config (nutcracker's differs only in "
                         << "the listen port):\n"
                         << yaml << "coproxy's log:\n"
                         << coproxy.log().substr(0, 4000);
}

// The backends live for the whole suite; every case flushes them first.
template <class Server>
class placement_fixture : public testing::TestWithParam<placement_case> {
  protected:
    static void SetUpTestSuite() {
        dir_ = std::make_unique<temp_dir>();
        for (int i = 0; i < server_count; ++i) {
            servers_.push_back(std::make_unique<Server>(*dir_));
        }
    }
    static void TearDownTestSuite() {
        servers_.clear();
        dir_.reset();
    }
    static std::vector<int> ports() {
        std::vector<int> out;
        for (const auto& s : servers_) {
            out.push_back(s->port());
        }
        return out;
    }

  private:
    inline static std::unique_ptr<temp_dir> dir_;
    inline static std::vector<std::unique_ptr<Server>> servers_;
};

class RedisPool : public placement_fixture<redis_server> {};
class MemcachePool : public placement_fixture<memcached_server> {};

TEST_P(RedisPool, KeysAreWhereNutcrackerPutThem) {
    check_placement(GetParam(), redis_driver, ports());
}

TEST_P(MemcachePool, KeysAreWhereNutcrackerPutThem) {
    check_placement(GetParam(), memcache_driver, ports());
}

// fnv1a_64 (nutcracker's default) can pile similar keys onto few servers; nutcracker's crc32 is
// libmemcached's 15-bit one, which reaches only the first 32 Ki of the 2^32 ketama ring.
const std::vector<placement_case> redis_cases = {
    row("ketama", "fnv1a_64").spreading(spread::every_server),
    row("ketama", "md5"),
    row("ketama", "murmur"),
    row("ketama", "one_at_a_time"),
    row("ketama", "crc16"),
    row("ketama", "crc32").spreading(spread::unchecked),
    row("ketama", "crc32a"),
    row("ketama", "fnv1_64"),
    row("ketama", "fnv1_32"),
    row("ketama", "fnv1a_32"),
    row("ketama", "hsieh"),
    row("ketama", "jenkins"),
    row("modula", "fnv1a_64").spreading(spread::every_server),
    row("modula", "md5"),
    row("modula", "murmur"),
    row("modula", "crc32"),
    row("modula", "fnv1_64"),
    row("modula", "hsieh"),
    row("ketama", "md5").weighted({1, 2, 3}).with_names(),
    row("ketama", "fnv1a_64").with_names().spreading(spread::every_server),
    row("modula", "murmur").weighted({1, 2, 3}),
    row("ketama", "murmur").tagged(),
    row("modula", "md5").tagged(),
};

const std::vector<placement_case> memcache_cases = {
    row("ketama", "fnv1a_64").spreading(spread::every_server),
    row("ketama", "md5"),
    row("ketama", "murmur"),
    row("modula", "fnv1a_64").spreading(spread::every_server),
    row("modula", "md5"),
    row("modula", "murmur"),
    row("ketama", "md5").weighted({1, 2, 3}).with_names(),
    row("ketama", "crc32a").tagged(),
};

INSTANTIATE_TEST_SUITE_P(Placement, RedisPool, testing::ValuesIn(redis_cases), case_name);
INSTANTIATE_TEST_SUITE_P(Placement, MemcachePool, testing::ValuesIn(memcache_cases), case_name);

}  // namespace
}  // namespace coproxy::test
