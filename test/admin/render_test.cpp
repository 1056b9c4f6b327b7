// The admin renderings from a live proxy: well-formed Prometheus text whose every family README
// documents, and nutcracker's stats document with its field names.
#include "coproxy/admin/render.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>

namespace coproxy::admin {
namespace {

config::config one_pool_per_protocol() {
    config::config cfg;
    for (auto [name, protocol] : {std::pair{"cache", config::protocol_kind::redis},
                                  std::pair{"sessions", config::protocol_kind::memcache},
                                  std::pair{"relay", config::protocol_kind::tcp}}) {
        config::pool_config p;
        p.name = name;
        p.protocol = protocol;
        p.listen.host = "127.0.0.1";
        p.listen.port = 0;  // any free port
        config::server_config s;
        s.host = "127.0.0.1";
        s.port = 1;
        s.name = std::string(name) + "-server";
        p.servers.push_back(s);
        cfg.pools.push_back(p);
    }
    return cfg;
}

class AdminRender : public testing::Test {
  protected:
    void SetUp() override { ASSERT_EQ(proxy_.start(one_pool_per_protocol()), ""); }
    config::process_options options_;
    process::proxy proxy_{options_, 1};
};

TEST_F(AdminRender, PrometheusTextIsWellFormed) {
    const std::string text = render_prometheus(proxy_);
    const std::regex sample(
        R"(^coproxy_[a-z_]+(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? -?[0-9.e+]+$)");
    std::set<std::string> typed;
    std::istringstream lines(text);
    std::string line;
    while (std::getline(lines, line)) {
        if (line.rfind("# TYPE ", 0) == 0) {
            EXPECT_TRUE(typed.insert(line.substr(7, line.find(' ', 7) - 7)).second) << line;
        } else if (line.rfind("# HELP ", 0) != 0) {
            EXPECT_TRUE(std::regex_match(line, sample)) << line;
        }
    }
    EXPECT_NE(text.find("coproxy_server_connections{pool=\"cache\",server=\"cache-server\"} 0"),
              std::string::npos);
    EXPECT_NE(text.find("coproxy_request_duration_seconds_bucket{pool=\"sessions\",le=\"+Inf\"} 0"),
              std::string::npos);
    EXPECT_NE(text.find("coproxy_workers 1"), std::string::npos);
}

TEST_F(AdminRender, ReadmeDocumentsEveryMetricFamily) {
    std::ifstream in(std::string(COPROXY_SOURCE_DIR) + "/README.md");
    std::stringstream readme;
    readme << in.rdbuf();
    std::istringstream lines(render_prometheus(proxy_));
    std::string line;
    while (std::getline(lines, line)) {
        if (line.rfind("# TYPE ", 0) == 0) {
            const std::string name = line.substr(7, line.find(' ', 7) - 7);
            EXPECT_NE(readme.str().find("`" + name + "`"), std::string::npos)
                << "README.md does not document metric " << name;
        }
    }
    for (const char* endpoint :
         {"/metrics", "/healthz", "/readyz", "/config", "/stats", "/reload"}) {
        EXPECT_NE(readme.str().find(endpoint), std::string::npos) << endpoint;
    }
    for (const char* signal : {"SIGTERM", "SIGINT", "SIGHUP", "SIGUSR1", "SIGTTIN", "SIGTTOU"}) {
        EXPECT_NE(readme.str().find(signal), std::string::npos) << signal;
    }
}

TEST_F(AdminRender, NutcrackerStatsDocument) {
    const std::string json = render_nutcracker_stats(proxy_);
    for (const char* field :
         {"\"service\":", "\"source\":", "\"version\":", "\"uptime\":", "\"timestamp\":",
          "\"total_connections\":", "\"curr_connections\":", "\"cache\": {",
          "\"client_eof\":", "\"forward_error\":", "\"cache-server\": {",
          "\"server_ejected_at\":", "\"in_queue\":", "\"out_queue_bytes\":"}) {
        EXPECT_NE(json.find(field), std::string::npos) << field << "\n" << json;
    }
    EXPECT_EQ(std::count(json.begin(), json.end(), '{'), std::count(json.begin(), json.end(), '}'));
}

TEST(AdminDescribe, EveryStatHasAWord) {
    const std::string text = describe_stats();
    for (const char* name : {"client_eof", "server_ejected_at", "in_queue", "out_queue_bytes",
                             "client_connections_rejected_total"}) {
        EXPECT_NE(text.find(name), std::string::npos) << name;
    }
}

}  // namespace
}  // namespace coproxy::admin
