// The rendered effective config is itself a valid config that loads back to the same pools, and
// never shows the Redis password unless asked to.
#include "coproxy/config/render.hpp"

#include <gtest/gtest.h>

namespace coproxy::config {
namespace {

constexpr const char* source = R"(cache:
  listen: 127.0.0.1:22121
  redis: true
  hash: murmur
  hash_tag: "{}"
  timeout: 400
  redis_auth: s3cret
  redis_db: 2
  servers:
    - 127.0.0.1:6379:1 alpha
    - "[::1]:6380:3"
relay:
  protocol: tcp
  listen: /tmp/relay.sock 0660
  distribution: least_connections
  idle_timeout: 5000
  servers:
    - /run/backend.sock:1
    - db.internal:5432:2 db
)";

TEST(ConfigRender, LoadsBackToTheSamePools) {
    const auto loaded = parse_config(source, "a.yml");
    ASSERT_TRUE(loaded.ok());
    const std::string rendered = render_config(*loaded.value, process_options{}, secrets::shown);
    const auto again = parse_config(rendered, "b.yml");
    ASSERT_TRUE(again.ok()) << again.errors.front().to_string() << "\n" << rendered;
    ASSERT_EQ(again.value->pools.size(), loaded.value->pools.size());
    for (std::size_t i = 0; i < loaded.value->pools.size(); ++i) {
        EXPECT_EQ(render_pool(again.value->pools[i], secrets::shown),
                  render_pool(loaded.value->pools[i], secrets::shown));
    }
    EXPECT_EQ(again.value->settings.size(), 15u);  // every process option in the file section
}

TEST(ConfigRender, RedactsThePassword) {
    const auto loaded = parse_config(source, "a.yml");
    ASSERT_TRUE(loaded.ok());
    const std::string redacted = render_config(*loaded.value, process_options{}, secrets::redacted);
    EXPECT_EQ(redacted.find("s3cret"), std::string::npos);
    EXPECT_NE(redacted.find("redis_auth: <redacted>"), std::string::npos);
    EXPECT_NE(render_pool(loaded.value->pools[0], secrets::shown).find("s3cret"),
              std::string::npos);
}

TEST(ConfigRender, DifferentPoolsRenderDifferently) {
    auto a = parse_config(source, "a.yml");
    auto b = parse_config(std::string(source) + "", "b.yml");
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_EQ(render_pool(a.value->pools[1], secrets::shown),
              render_pool(b.value->pools[1], secrets::shown));
    b.value->pools[1].servers[1].weight = 3;
    EXPECT_NE(render_pool(a.value->pools[1], secrets::shown),
              render_pool(b.value->pools[1], secrets::shown));
}

}  // namespace
}  // namespace coproxy::config
