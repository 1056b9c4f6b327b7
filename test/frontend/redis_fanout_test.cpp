// Merging split Redis commands: MGET values in the client's key order, MSET's +OK, summed
// integers, and the first error or malformed part winning over everything else.
#include "frontend/redis_fanout.hpp"

#include <gtest/gtest.h>

namespace coproxy::frontend {
namespace {

namespace redis = protocol::redis;

struct split_result {
    upstream::request_ptr parent;
    std::vector<upstream::request_ptr> parts;
};

class RedisFanout : public testing::Test {
  protected:
    // Splits `argv` by `servers` (one per key), then answers part i with replies[i].
    std::string run(std::vector<std::string_view> argv, std::vector<std::uint32_t> key_servers,
                    const std::vector<std::string>& replies,
                    std::vector<std::string>* payloads = nullptr) {
        const auto* info = redis::resolve(argv);
        EXPECT_NE(info, nullptr);
        const redis_keys keys(*info, argv);
        auto groups = group_by_server(
            keys.count(), keys,
            [&, i = std::size_t{0}](std::string_view) mutable -> std::optional<std::uint32_t> {
                return key_servers[i++];
            });
        EXPECT_TRUE(groups);
        auto parent = requests.make();
        const auto servers = groups->servers;
        auto group = std::make_unique<redis_fanout>(*parent, *info, keys, std::move(*groups),
                                                    requests, *protocol);
        std::vector<upstream::request_ptr> parts;
        fanout::launch(*parent, std::move(group), servers,
                       [&](std::uint32_t, const upstream::request_ptr& p) { parts.push_back(p); });
        EXPECT_EQ(parts.size(), replies.size());
        for (std::size_t i = 0; i < parts.size(); ++i) {
            if (payloads != nullptr) {
                payloads->push_back(parts[i]->payload);
            }
            parts[i]->finish(replies[i], false);
        }
        EXPECT_TRUE(parent->done);
        return parent->reply;
    }

    upstream::request_pool requests;
    std::shared_ptr<const upstream::backend_protocol> protocol =
        upstream::make_redis_backend(config::pool_config{});
};

TEST_F(RedisFanout, MgetValuesComeBackInKeyOrder) {
    std::vector<std::string> payloads;
    const auto reply =
        run({"MGET", "a", "b", "c", "d"}, {0, 1, 0, 1},
            {"*2\r\n$2\r\nva\r\n$-1\r\n", "*2\r\n$2\r\nvb\r\n$2\r\nvd\r\n"}, &payloads);
    EXPECT_EQ(reply, "*4\r\n$2\r\nva\r\n$2\r\nvb\r\n$-1\r\n$2\r\nvd\r\n");
    EXPECT_EQ(payloads[0], "*3\r\n$4\r\nMGET\r\n$1\r\na\r\n$1\r\nc\r\n");
    EXPECT_EQ(payloads[1], "*3\r\n$4\r\nMGET\r\n$1\r\nb\r\n$1\r\nd\r\n");
}

TEST_F(RedisFanout, MsetPartsCarryTheirValuesAndMergeToOk) {
    std::vector<std::string> payloads;
    EXPECT_EQ(run({"MSET", "a", "1", "b", "2"}, {0, 1}, {"+OK\r\n", "+OK\r\n"}, &payloads),
              "+OK\r\n");
    EXPECT_EQ(payloads[1], "*3\r\n$4\r\nMSET\r\n$1\r\nb\r\n$1\r\n2\r\n");
}

TEST_F(RedisFanout, DelSumsTheParts) {
    EXPECT_EQ(run({"DEL", "a", "b", "c"}, {0, 1, 2}, {":1\r\n", ":0\r\n", ":1\r\n"}), ":2\r\n");
}

TEST_F(RedisFanout, AnErrorFromAnyPartIsTheReply) {
    EXPECT_EQ(run({"EXISTS", "a", "b"}, {0, 1}, {":1\r\n", "-ERR down\r\n"}), "-ERR down\r\n");
    EXPECT_EQ(run({"MSET", "a", "1", "b", "2"}, {0, 1}, {"-OOM full\r\n", "+OK\r\n"}),
              "-OOM full\r\n");
}

TEST_F(RedisFanout, AMalformedPartIsAnErrorNotAWrongAnswer) {
    EXPECT_EQ(run({"MGET", "a", "b"}, {0, 1}, {"*1\r\n$1\r\nx\r\n", ":3\r\n"}),
              "-ERR unexpected reply from server to MGET\r\n");
    EXPECT_EQ(run({"MGET", "a", "b", "c"}, {0, 1, 1}, {"*1\r\n$1\r\nx\r\n", "*1\r\n$1\r\ny\r\n"}),
              "-ERR unexpected reply from server to MGET\r\n");  // a part answered too few
    EXPECT_EQ(run({"DEL", "a", "b"}, {0, 1}, {":1\r\n", "+OK\r\n"}),
              "-ERR unexpected reply from server\r\n");
}

}  // namespace
}  // namespace coproxy::frontend
