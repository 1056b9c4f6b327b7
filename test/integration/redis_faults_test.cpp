// Redis pools when backends misbehave: killed in the middle of a pipeline, too slow (timeout
// counted from send), down from the start, silent, speaking garbage, ejected and back. Every
// request gets a reply, in order, and other clients keep being served.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>

#include <future>
#include <thread>

#include "coproxy/protocol/resp.hpp"
#include "support/coproxy_process.hpp"
#include "support/servers.hpp"
#include "support/socket.hpp"

namespace coproxy::test {
namespace {

using namespace std::chrono_literals;
namespace resp = protocol::resp;

std::string command(std::initializer_list<std::string_view> args) {
    std::string out;
    resp::encode_request(std::vector<std::string_view>(args), out);
    return out;
}

// Reads `n` complete replies (fewer if the connection closes or goes quiet).
std::vector<std::string> read_replies(client_socket& c, std::size_t n) {
    std::vector<std::string> out;
    std::string buffer;
    resp::reply_parser parser;
    char chunk[65536];
    while (out.size() < n) {
        const auto r = parser.parse(buffer);
        if (r.st == resp::status::ok) {
            out.push_back(buffer.substr(0, r.consumed));
            buffer.erase(0, r.consumed);
            continue;
        }
        if (r.st != resp::status::need_more) {
            break;
        }
        const ssize_t got = ::recv(c.fd(), chunk, sizeof chunk, 0);
        if (got <= 0) {
            break;
        }
        buffer.append(chunk, static_cast<std::size_t>(got));
    }
    return out;
}

std::string pool_yaml(int port, const std::vector<int>& servers, const std::string& extra = "") {
    std::string yaml = "cache:\n  listen: 127.0.0.1:" + std::to_string(port) + "\n  redis: true\n" +
                       extra + "  servers:\n";
    for (int s : servers) {
        yaml += "    - 127.0.0.1:" + std::to_string(s) + ":1\n";
    }
    return yaml;
}

bool is_error(const std::string& reply) {
    return !reply.empty() && reply[0] == '-';
}

TEST(RedisFaults, BackendKilledMidPipelineEveryRequestAnsweredInOrder) {
    temp_dir dir;
    std::vector<std::unique_ptr<redis_server>> shards;
    for (int i = 0; i < 3; ++i) {
        shards.push_back(std::make_unique<redis_server>(dir));
    }
    const int port = free_port();
    coproxy_process proxy(dir,
                          pool_yaml(port, {shards[0]->port(), shards[1]->port(), shards[2]->port()},
                                    "  timeout: 3000\n"),
                          {"--threads", "2"});
    ASSERT_TRUE(proxy.started()) << proxy.log();
    constexpr int keys = 20000;
    {
        auto c = client_socket::connect(port);
        ASSERT_TRUE(c);
        std::string batch;
        for (int i = 0; i < keys; ++i) {
            batch += command({"SET", "k" + std::to_string(i), "v" + std::to_string(i)});
        }
        ASSERT_TRUE(c->send_all(batch));
        ASSERT_EQ(read_replies(*c, keys).size(), static_cast<std::size_t>(keys));
    }
    auto c = client_socket::connect(port);
    ASSERT_TRUE(c);
    std::string gets;
    for (int i = 0; i < keys; ++i) {
        gets += command({"GET", "k" + std::to_string(i)});
    }
    auto reader = std::async(std::launch::async, [&] { return read_replies(*c, keys); });
    ASSERT_TRUE(c->send_all(gets.substr(0, gets.size() / 2)));
    const int dead_port = shards[1]->port();
    shards[1]->kill();
    ASSERT_TRUE(c->send_all(gets.substr(gets.size() / 2)));
    const auto replies = reader.get();
    ASSERT_EQ(replies.size(), static_cast<std::size_t>(keys)) << "a request went unanswered";
    int errors = 0;
    for (int i = 0; i < keys; ++i) {
        const std::string value = "v" + std::to_string(i);
        if (is_error(replies[i])) {
            ++errors;
            continue;
        }
        ASSERT_EQ(replies[i], "$" + std::to_string(value.size()) + "\r\n" + value + "\r\n")
            << "reply " << i << " is out of order";
    }
    EXPECT_GT(errors, 0);
    EXPECT_LT(errors, keys);  // the two live shards kept answering
    // The same connection keeps working, and the shard is used again once it is back.
    shards[1] = std::make_unique<redis_server>(dir, dead_port);
    EXPECT_TRUE(eventually(
        [&] {
            std::string sets;
            for (int i = 0; i < 30; ++i) {
                sets += command({"SET", "back" + std::to_string(i), "x"});
            }
            c->send_all(sets);
            const auto r = read_replies(*c, 30);
            return r.size() == 30 &&
                   std::all_of(r.begin(), r.end(), [](auto& s) { return s == "+OK\r\n"; });
        },
        10s));
}

// A slow script on a shard: the client's request times out counted from when it was sent, the
// request queued behind it on the same server connection fails too, and the connection reopens.
TEST(RedisFaults, SlowEvalTimesOutAndTheConnectionReopens) {
    temp_dir dir;
    redis_server shard(dir);
    const int port = free_port();
    coproxy_process proxy(dir, pool_yaml(port, {shard.port()}, "  timeout: 300\n"),
                          {"--threads", "1"});
    ASSERT_TRUE(proxy.started()) << proxy.log();
    auto c = client_socket::connect(port);
    ASSERT_TRUE(c);
    const auto start = std::chrono::steady_clock::now();
    ASSERT_TRUE(c->send_all(
        command({"EVAL", "local i = 0 while i < 150000000 do i = i + 1 end return i", "1", "k"}) +
        command({"GET", "k"})));
    const auto replies = read_replies(*c, 2);
    const auto waited = std::chrono::steady_clock::now() - start;
    ASSERT_EQ(replies.size(), 2u);
    EXPECT_EQ(replies[0], "-ERR Connection timed out\r\n");
    EXPECT_TRUE(is_error(replies[1]));
    EXPECT_GE(waited, 250ms);
    EXPECT_LT(waited, 1500ms);
    // Once the script is over, a fresh server connection serves again.
    EXPECT_TRUE(eventually(
        [&] {
            c->send_all(command({"SET", "after", "1"}));
            const auto r = read_replies(*c, 1);
            return r.size() == 1 && r[0] == "+OK\r\n";
        },
        15s));
    EXPECT_NE(proxy.log().find("Connection timed out"), std::string::npos);
}

TEST(RedisFaults, DownBackendAnswersPromptlyWithTheReason) {
    temp_dir dir;
    const int port = free_port();
    coproxy_process proxy(dir, pool_yaml(port, {free_port()}));
    ASSERT_TRUE(proxy.started()) << proxy.log();
    auto c = client_socket::connect(port);
    ASSERT_TRUE(c);
    for (int i = 0; i < 3; ++i) {
        const auto start = std::chrono::steady_clock::now();
        ASSERT_TRUE(c->send_all(command({"GET", "k"})));
        const auto r = read_replies(*c, 1);
        ASSERT_EQ(r.size(), 1u);
        EXPECT_EQ(r[0], "-ERR Connection refused\r\n");
        EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
    }
    ASSERT_TRUE(c->send_all(command({"PING"})));
    EXPECT_EQ(read_replies(*c, 1).at(0), "+PONG\r\n");
}

// A server that accepts and reads but never answers.
TEST(RedisFaults, SilentBackendTimesOut) {
    test_server silent([](int fd, int) {
        char buf[4096];
        while (::recv(fd, buf, sizeof buf, 0) > 0) {
        }
    });
    temp_dir dir;
    const int port = free_port();
    coproxy_process proxy(dir, pool_yaml(port, {silent.port()}, "  timeout: 200\n"));
    ASSERT_TRUE(proxy.started()) << proxy.log();
    auto c = client_socket::connect(port);
    ASSERT_TRUE(c);
    ASSERT_TRUE(c->send_all(command({"GET", "a"}) + command({"GET", "b"})));
    const auto r = read_replies(*c, 2);
    ASSERT_EQ(r.size(), 2u);
    EXPECT_EQ(r[0], "-ERR Connection timed out\r\n");
    EXPECT_EQ(r[1], "-ERR Connection timed out\r\n");
}

TEST(RedisFaults, GarbageFromBackendIsAnErrorNotACrash) {
    test_server garbage([](int fd, int) {
        char buf[4096];
        while (::recv(fd, buf, sizeof buf, 0) > 0) {
            ::send(fd, "?garbage\r\n", 10, MSG_NOSIGNAL);
        }
    });
    temp_dir dir;
    const int port = free_port();
    coproxy_process proxy(dir, pool_yaml(port, {garbage.port()}));
    ASSERT_TRUE(proxy.started()) << proxy.log();
    auto c = client_socket::connect(port);
    ASSERT_TRUE(c);
    ASSERT_TRUE(c->send_all(command({"GET", "a"})));
    EXPECT_EQ(read_replies(*c, 1).at(0), "-ERR protocol error from server\r\n");
    ASSERT_TRUE(c->send_all(command({"PING"})));
    EXPECT_EQ(read_replies(*c, 1).at(0), "+PONG\r\n");
    EXPECT_TRUE(proxy.process().running());
}

// auto_eject_hosts: after server_failure_limit failures a shard leaves the ring and its keys go to
// the others; after server_retry_timeout it is tried again and its keys come home.
TEST(RedisFaults, EjectedShardKeysMoveAndReturn) {
    temp_dir dir;
    std::vector<std::unique_ptr<redis_server>> shards;
    for (int i = 0; i < 3; ++i) {
        shards.push_back(std::make_unique<redis_server>(dir));
    }
    const int port = free_port();
    coproxy_process proxy(
        dir,
        pool_yaml(port, {shards[0]->port(), shards[1]->port(), shards[2]->port()},
                  "  auto_eject_hosts: true\n  server_failure_limit: 1\n  server_retry_timeout: "
                  "1500\n  distribution: modula\n"),
        {"--threads", "1"});
    ASSERT_TRUE(proxy.started()) << proxy.log();
    auto c = client_socket::connect(port);
    ASSERT_TRUE(c);
    // Find a key that lives on shard 1.
    std::string key;
    for (int i = 0; key.empty() && i < 1000; ++i) {
        const std::string k = "probe" + std::to_string(i);
        c->send_all(command({"SET", k, "x"}));
        read_replies(*c, 1);
        if (shards[1]->cli({"exists", k}) == "1") {
            key = k;
        }
    }
    ASSERT_FALSE(key.empty());
    const int dead_port = shards[1]->port();
    shards[1]->kill();
    // The dead connection is noticed (EOF) and ejects the shard, at the latest on the first
    // request that fails; from then on the key is served by a live shard.
    EXPECT_TRUE(eventually([&] {
        c->send_all(command({"SET", key, "moved"}));
        return read_replies(*c, 1).at(0) == "+OK\r\n";
    }));
    EXPECT_TRUE(shards[0]->cli({"get", key}) == "moved" || shards[2]->cli({"get", key}) == "moved");
    EXPECT_NE(proxy.log().find("ejected for 1500 ms"), std::string::npos) << proxy.log();
    shards[1] = std::make_unique<redis_server>(dir, dead_port);
    EXPECT_TRUE(eventually(
        [&] {
            c->send_all(command({"SET", key, "home"}));
            read_replies(*c, 1);
            return shards[1]->cli({"get", key}) == "home";
        },
        10s));
}

TEST(RedisFaults, ClientVanishingMidPipelineHurtsNobodyElse) {
    temp_dir dir;
    redis_server shard(dir);
    const int port = free_port();
    coproxy_process proxy(dir, pool_yaml(port, {shard.port()}), {"--threads", "1"});
    ASSERT_TRUE(proxy.started()) << proxy.log();
    auto steady = client_socket::connect(port);
    ASSERT_TRUE(steady);
    std::string flood;
    for (int i = 0; i < 20000; ++i) {
        flood += command({"SET", "f" + std::to_string(i), std::string(100, 'x')});
    }
    for (int round = 0; round < 5; ++round) {
        auto leaver = client_socket::connect(port);
        ASSERT_TRUE(leaver);
        leaver->send_all(flood.substr(0, flood.size() / 3));
        leaver->close();  // gone with thousands of replies on their way
        ASSERT_TRUE(steady->send_all(command({"GET", "f1"})));
        const auto r = read_replies(*steady, 1);
        ASSERT_EQ(r.size(), 1u);
    }
    EXPECT_TRUE(proxy.process().running());
}

}  // namespace
}  // namespace coproxy::test
