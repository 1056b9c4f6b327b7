// Merging split memcached retrievals: hits in the client's key order under one END, misses
// left out, a failed part failing the whole get; flush_all OK only when every server says OK.
#include "frontend/memcache_fanout.hpp"

#include <gtest/gtest.h>

namespace coproxy::frontend {
namespace {

namespace mc = protocol::memcache;

class MemcacheFanout : public testing::Test {
  protected:
    upstream::request_ptr launch(std::unique_ptr<fanout> group, upstream::request_ptr parent,
                                 std::size_t servers) {
        std::vector<std::uint32_t> ids(servers);
        for (std::uint32_t i = 0; i < servers; ++i) {
            ids[i] = i;
        }
        parts.clear();
        fanout::launch(*parent, std::move(group), ids,
                       [&](std::uint32_t, const upstream::request_ptr& p) { parts.push_back(p); });
        return parent;
    }
    // A part's reply as the reply reader leaves it: reply_values covers the VALUE blocks.
    static void answer(upstream::request& part, const std::string& values) {
        part.reply_values = values.size();
        part.finish(values + "END\r\n", false);
    }

    upstream::request_pool requests;
    std::shared_ptr<const upstream::backend_protocol> protocol =
        upstream::make_memcache_backend(config::pool_config{});
    std::vector<upstream::request_ptr> parts;
};

TEST_F(MemcacheFanout, HitsInKeyOrderUnderOneEnd) {
    mc::request_parser parser;
    const std::string line = "get a b c d\r\n";
    ASSERT_EQ(parser.parse(std::span(line.data(), line.size())).st, mc::status::ok);
    key_groups g{{0, 1}, {0, 1, 0, 1}};
    auto parent = requests.make();
    launch(memcache_fanout::retrieval(*parent, parser.request(), g, requests, *protocol), parent,
           2);
    EXPECT_EQ(parts[0]->payload, "get a c\r\n");
    EXPECT_EQ(parts[1]->payload, "get b d\r\n");
    answer(*parts[1], "VALUE d 0 2\r\nvd\r\n");  // b missed
    answer(*parts[0], "VALUE a 0 2\r\nva\r\nVALUE c 5 2\r\nvc\r\n");
    EXPECT_EQ(parent->reply,
              "VALUE a 0 2\r\nva\r\nVALUE c 5 2\r\nvc\r\nVALUE d 0 2\r\nvd\r\nEND\r\n");
}

TEST_F(MemcacheFanout, AFailedPartFailsTheGet) {
    mc::request_parser parser;
    const std::string line = "get a b\r\n";
    ASSERT_EQ(parser.parse(std::span(line.data(), line.size())).st, mc::status::ok);
    auto parent = requests.make();
    launch(memcache_fanout::retrieval(*parent, parser.request(), key_groups{{0, 1}, {0, 1}},
                                      requests, *protocol),
           parent, 2);
    answer(*parts[0], "VALUE a 0 1\r\nx\r\n");
    parts[1]->finish("SERVER_ERROR Connection refused\r\n", true);
    EXPECT_EQ(parent->reply, "SERVER_ERROR Connection refused\r\n");
    EXPECT_TRUE(parent->failed);
}

TEST_F(MemcacheFanout, FlushAllIsOkOnlyWhenEveryServerIs) {
    auto parent = requests.make();
    launch(memcache_fanout::broadcast(*parent, "flush_all\r\n", mc::command::flush_all, 3, "OK\r\n",
                                      requests, *protocol),
           parent, 3);
    for (auto& p : parts) {
        EXPECT_EQ(p->payload, "flush_all\r\n");
    }
    parts[0]->finish("OK\r\n", false);
    parts[1]->finish("OK\r\n", false);
    EXPECT_FALSE(parent->done);
    parts[2]->finish("ERROR\r\n", false);
    EXPECT_EQ(parent->reply, "ERROR\r\n");
}

}  // namespace
}  // namespace coproxy::frontend
