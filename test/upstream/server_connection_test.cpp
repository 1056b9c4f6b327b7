// A pipelined server connection against a fake line-protocol backend (test/support): replies
// matched in order, the pool timeout counted from the write, every waiting request answered when
// the connection fails, the current cause in error replies, the handshake, max_in_flight, and
// requests whose client left dropped unwritten.
#include "coproxy/upstream/server_connection.hpp"

#include <gtest/gtest.h>

#include "support/fake_backend.hpp"
#include "support/process.hpp"

namespace coproxy::upstream {
namespace {

using namespace std::chrono_literals;

// Records the replies it hears, in the order they arrive.
struct recorder : reply_sink {
    std::vector<std::string> replies;
    std::vector<bool> failed;
    void on_reply(request& r) override {
        replies.push_back(r.reply);
        failed.push_back(r.failed);
    }
};

struct owner_log : connection_owner {
    int up = 0;
    std::vector<std::string> failures;
    void connection_up(std::uint32_t) override { ++up; }
    void connection_failed(std::uint32_t, const std::string& reason) override {
        failures.push_back(reason);
    }
};

class ServerConnection : public testing::Test {
  protected:
    std::shared_ptr<server_connection> connect_to(int port, std::optional<config::millis> timeout,
                                                  std::size_t max_in_flight = 1024,
                                                  std::vector<std::string> handshake = {}) {
        auto pool = std::make_shared<config::pool_config>();
        pool->name = "p";
        pool->timeout = timeout;
        config::server_config s;
        s.host = "127.0.0.1";
        s.port = static_cast<std::uint16_t>(port);
        pool->servers.push_back(s);
        connection_settings settings{pool, std::make_shared<test::line_protocol>(handshake), 0,
                                     max_in_flight};
        auto c = std::make_shared<server_connection>(io.get_executor(), settings, metrics, buffers,
                                                     flushes, owner);
        connections.push_back(c);
        return c;
    }

    void TearDown() override {
        for (auto& c : connections) {
            c->stop();
        }
        io.run_for(10ms);
    }

    request_ptr send(server_connection& c, const std::string& line) {
        auto r = requests.make();
        r->payload = line + "\n";
        r->sink = &sink;
        c.submit(r);
        return r;
    }

    // Runs the loop until `done` holds (or `limit` passes).
    bool run_until(const std::function<bool()>& done, std::chrono::milliseconds limit = 10s) {
        const auto deadline = std::chrono::steady_clock::now() + limit;
        while (!done() && std::chrono::steady_clock::now() < deadline) {
            io.run_for(5ms);
            io.restart();
        }
        return done();
    }

    // Destroyed in reverse: the loop (and the coroutine frames it holds, with their requests and
    // buffers) goes before the pools those return to.
    runtime::buffer_pool buffers{16384, 8};
    runtime::server_metrics metrics;
    owner_log owner;
    request_pool requests;
    recorder sink;
    asio::io_context io{1};
    runtime::flush_queue flushes{io.get_executor()};
    std::vector<std::shared_ptr<server_connection>> connections;
};

TEST_F(ServerConnection, RepliesComeBackInRequestOrder) {
    test::fake_backend backend;
    auto c = connect_to(backend.port(), 1000ms);
    std::vector<request_ptr> sent;
    for (int i = 0; i < 100; ++i) {
        sent.push_back(send(*c, "r" + std::to_string(i)));
    }
    ASSERT_TRUE(run_until([&] { return sink.replies.size() == 100; }));
    for (int i = 0; i < 100; ++i) {
        EXPECT_EQ(sink.replies[i], "+r" + std::to_string(i) + "\n");
        EXPECT_FALSE(sink.failed[i]);
    }
    EXPECT_EQ(backend.connections(), 1);  // pipelined on one connection
    EXPECT_EQ(owner.up, 1);
    EXPECT_EQ(metrics.requests.value(), 100u);
    EXPECT_EQ(metrics.responses.value(), 100u);
    EXPECT_EQ(metrics.in_flight.value(), 0);
    c->stop();
}

TEST_F(ServerConnection, TimeoutFailsEveryWaitingRequestAndReconnects) {
    test::fake_backend backend;
    auto c = connect_to(backend.port(), 200ms);
    send(*c, "hold");
    send(*c, "behind");  // queued behind a request that is never answered
    ASSERT_TRUE(run_until([&] { return sink.replies.size() == 2; }));
    EXPECT_EQ(sink.replies[0], "ERR Connection timed out\n");
    EXPECT_TRUE(sink.failed[0]);
    EXPECT_TRUE(sink.failed[1]);  // its reply can no longer be matched
    EXPECT_EQ(metrics.server_timedout.value(), 1u);
    // After the back-off, the next request gets a fresh connection.
    ASSERT_TRUE(run_until([&] { return !c->backing_off(); }));
    send(*c, "again");
    ASSERT_TRUE(run_until([&] { return sink.replies.size() == 3; }));
    EXPECT_EQ(sink.replies[2], "+again\n");
    EXPECT_EQ(backend.connections(), 2);
    c->stop();
}

TEST_F(ServerConnection, ServerThatClosesFailsInFlightRequestsWithTheCause) {
    test::fake_backend backend;
    auto c = connect_to(backend.port(), std::nullopt);
    send(*c, "one");
    send(*c, "bye");
    ASSERT_TRUE(run_until([&] { return sink.replies.size() == 2; }));
    EXPECT_EQ(sink.replies[0], "+one\n");
    EXPECT_EQ(sink.replies[1], "ERR Connection closed by server\n");
    EXPECT_EQ(owner.failures, std::vector<std::string>{"Connection closed by server"});
    c->stop();
}

TEST_F(ServerConnection, RefusedConnectFailsAtOnceWhileBackingOff) {
    const int port = test::free_port();  // nobody listens
    auto c = connect_to(port, 500ms);
    send(*c, "a");
    ASSERT_TRUE(run_until([&] { return sink.replies.size() == 1; }));
    EXPECT_EQ(sink.replies[0], "ERR Connection refused\n");
    EXPECT_TRUE(c->backing_off());
    send(*c, "b");  // during the back-off: answered at once, with the same cause
    EXPECT_EQ(sink.replies.size(), 2u);
    EXPECT_EQ(sink.replies[1], "ERR Connection refused\n");
    EXPECT_EQ(metrics.server_connect_failures.value(), 1u);
    c->stop();
}

TEST_F(ServerConnection, ErrorsStateTheCurrentCauseAfterAServerGoesAway) {
    auto backend = std::make_unique<test::fake_backend>();
    auto c = connect_to(backend->port(), 1000ms);
    send(*c, "up");
    ASSERT_TRUE(run_until([&] { return sink.replies.size() == 1; }));
    // Serving for a while, then the server goes away: listener and connection.
    run_until([] { return false; }, 1100ms);
    backend.reset();
    ASSERT_TRUE(run_until([&] { return owner.failures.size() == 1; }));
    EXPECT_EQ(owner.failures[0], "Connection closed by server");
    // The next request is told why the server cannot be used now, not how the last one ended.
    send(*c, "next");
    ASSERT_TRUE(run_until([&] { return sink.replies.size() == 2; }));
    EXPECT_EQ(sink.replies[1], "ERR Connection refused\n");
    c->stop();
}

TEST_F(ServerConnection, HandshakeRunsBeforeRequestsAndItsErrorFailsTheConnection) {
    {
        test::fake_backend backend;
        auto c = connect_to(backend.port(), 1000ms, 1024, {"hello\n"});
        send(*c, "after");
        ASSERT_TRUE(run_until([&] { return sink.replies.size() == 1; }));
        EXPECT_EQ(sink.replies[0], "+after\n");
        EXPECT_EQ(backend.lines(), (std::vector<std::string>{"hello", "after"}));
        c->stop();
    }
    sink.replies.clear();
    test::fake_backend refusing("ERR go away\n");
    auto c = connect_to(refusing.port(), 1000ms, 1024, {"hello\n"});
    send(*c, "after");
    ASSERT_TRUE(run_until([&] { return sink.replies.size() == 1; }));
    EXPECT_EQ(sink.replies[0], "ERR backend refused the connection handshake: ERR go away\n");
    c->stop();
}

TEST_F(ServerConnection, AtMostMaxInFlightRequestsAreUnanswered) {
    test::fake_backend backend;
    auto c = connect_to(backend.port(), std::nullopt, 2);
    send(*c, "hold");
    send(*c, "hold");
    send(*c, "third");
    ASSERT_TRUE(run_until([&] { return metrics.in_flight.value() == 2; }));
    io.run_for(100ms);
    EXPECT_EQ(metrics.in_flight.value(), 2);
    EXPECT_EQ(metrics.queued.value(), 1);  // waits for room that never comes
    EXPECT_EQ(backend.lines().size(), 2u);
    c->stop();
    EXPECT_EQ(sink.replies.size(), 3u);  // stop() answers everything still waiting
}

TEST_F(ServerConnection, RequestWhoseClientLeftIsNotWritten) {
    test::fake_backend backend;
    auto c = connect_to(backend.port(), 1000ms);
    auto gone = send(*c, "gone");
    gone->sink = nullptr;  // the client disconnected before the connection was up
    send(*c, "kept");
    send(*c, "last");
    ASSERT_TRUE(run_until([&] { return sink.replies.size() == 2; }));
    EXPECT_EQ(backend.lines(), (std::vector<std::string>{"kept", "last"}));
    c->stop();
}

}  // namespace
}  // namespace coproxy::upstream
