// Config loader: a table of good configs (twemproxy's own example among them) and the folder
// test/config/bad/, where each file names the exact message it must fail with.
#include "coproxy/config/loader.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>

namespace coproxy::config {
namespace {

namespace fs = std::filesystem;

std::string all_errors(const load_result& r) {
    std::string out;
    for (const auto& e : r.errors) {
        out += e.to_string() + "\n";
    }
    return out;
}

struct good_case {
    const char* name;
    const char* yaml;
    std::function<void(const config&)> check;
};

const good_case good_cases[] = {
    {"twemproxy_example",
     // nutcracker's conf/nutcracker.yml, verbatim in substance.
     R"(alpha:
  listen: 127.0.0.1:22121
  hash: fnv1a_64
  distribution: ketama
  auto_eject_hosts: true
  redis: true
  server_retry_timeout: 2000
  server_failure_limit: 1
  servers:
   - 127.0.0.1:6379:1

beta:
  listen: 127.0.0.1:22122
  hash: fnv1a_64
  hash_tag: "{}"
  distribution: ketama
  auto_eject_hosts: false
  timeout: 400
  redis: true
  servers:
   - 127.0.0.1:6380:1 server1
   - 127.0.0.1:6381:1 server2

gamma:
  listen: 127.0.0.1:22123
  hash: fnv1a_64
  distribution: ketama
  timeout: 400
  backlog: 1024
  preconnect: true
  auto_eject_hosts: true
  server_retry_timeout: 2000
  server_failure_limit: 3
  servers:
   - 127.0.0.1:11212:1
   - 127.0.0.1:11213:1

omega:
  listen: /tmp/gamma 0666
  hash: hsieh
  distribution: ketama
  auto_eject_hosts: false
  servers:
   - 127.0.0.1:11214:100000
   - 127.0.0.1:11215:1
)",
     [](const config& c) {
         ASSERT_EQ(c.pools.size(), 4u);
         const auto& alpha = c.pools[0];
         EXPECT_EQ(alpha.name, "alpha");
         EXPECT_EQ(alpha.protocol, protocol_kind::redis);
         EXPECT_TRUE(alpha.auto_eject_hosts);
         EXPECT_EQ(alpha.server_retry_timeout, millis(2000));
         EXPECT_EQ(alpha.server_failure_limit, 1);
         EXPECT_FALSE(alpha.timeout.has_value());
         const auto& beta = c.pools[1];
         EXPECT_EQ(beta.hash_tag, "{}");
         EXPECT_EQ(beta.timeout, millis(400));
         ASSERT_EQ(beta.servers.size(), 2u);
         EXPECT_EQ(beta.servers[1].name, "server2");
         EXPECT_EQ(beta.servers[1].port, 6381);
         EXPECT_EQ(beta.servers[1].line, 22);
         const auto& gamma = c.pools[2];
         EXPECT_EQ(gamma.protocol, protocol_kind::memcache);
         EXPECT_EQ(gamma.backlog, 1024);
         EXPECT_TRUE(gamma.preconnect);
         const auto& omega = c.pools[3];
         EXPECT_TRUE(omega.listen.is_unix());
         EXPECT_EQ(omega.listen.path, "/tmp/gamma");
         EXPECT_EQ(omega.listen.permissions, mode_t{0666});
         EXPECT_EQ(omega.hash, sharding::hash_kind::hsieh);
         EXPECT_EQ(omega.servers[0].weight, 100000u);
     }},
    {"tcp_pool_defaults",
     "relay:\n  listen: 0.0.0.0:7000\n  protocol: tcp\n  servers:\n    - db1.internal:5432:2\n",
     [](const config& c) {
         const auto& p = c.pools.at(0);
         EXPECT_EQ(p.protocol, protocol_kind::tcp);
         EXPECT_EQ(p.distribution, distribution_kind::round_robin);
         EXPECT_EQ(p.servers[0].host, "db1.internal");
         EXPECT_EQ(p.servers[0].weight, 2u);
         EXPECT_EQ(p.idle_timeout, millis(0));
         EXPECT_EQ(p.server_connections, 1);
         EXPECT_EQ(p.backlog, 512);
         EXPECT_EQ(p.client_connections, 0);
     }},
    {"crlf_line_ends",
     "alpha:\r\n  listen: 127.0.0.1:22121\r\n  redis: true\r\n  servers:\r\n   - "
     "127.0.0.1:6379:1 one\r\n",
     [](const config& c) {
         ASSERT_EQ(c.pools.size(), 1u);
         EXPECT_EQ(c.pools[0].servers[0].name, "one");
         EXPECT_EQ(c.pools[0].protocol, protocol_kind::redis);
     }},
    {"ipv6_and_unix_servers",
     "alpha:\n  listen: '[::1]:22121'\n  servers:\n    - '[::1]:11211:1'\n    - "
     "/run/mc.sock:3 local\n",
     [](const config& c) {
         const auto& p = c.pools.at(0);
         EXPECT_EQ(p.listen.host, "::1");
         EXPECT_EQ(p.listen.to_string(), "[::1]:22121");
         EXPECT_EQ(p.servers[0].host, "::1");
         EXPECT_EQ(p.servers[1].path, "/run/mc.sock");
         EXPECT_EQ(p.servers[1].weight, 3u);
     }},
    {"process_section",
     "coproxy:\n  threads: 3\n  max_clients: 500\nalpha:\n  listen: 127.0.0.1:22121\n  "
     "servers:\n    - 127.0.0.1:6379:1\n",
     [](const config& c) {
         ASSERT_EQ(c.settings.size(), 2u);
         EXPECT_EQ(c.settings[0].key, "threads");
         EXPECT_EQ(c.settings[0].value, "3");
         EXPECT_EQ(c.settings[1].line, 3);
     }},
    {"coproxy_keys_and_protocol_word",
     "a:\n  listen: 127.0.0.1:1\n  protocol: memcached\n  idle_timeout: 60000\n  "
     "connect_timeout: 250\n  client_connections: 100\n  tcpkeepalive: yes\n  reuseport: true\n  "
     "servers:\n    - 127.0.0.1:11211:1\n",
     [](const config& c) {
         const auto& p = c.pools.at(0);
         EXPECT_EQ(p.protocol, protocol_kind::memcache);
         EXPECT_EQ(p.idle_timeout, millis(60000));
         EXPECT_EQ(p.effective_connect_timeout(), millis(250));
         EXPECT_EQ(p.client_connections, 100);
         EXPECT_TRUE(p.tcpkeepalive);
         EXPECT_TRUE(p.reuseport);
     }},
    {"booleans_read_as_flags_read_them",
     // One parser for every boolean: the words flags and COPROXY_* variables take work here too.
     "a:\n  listen: 127.0.0.1:1\n  preconnect: 1\n  tcpkeepalive: ON\n  reuseport: off\n  "
     "auto_eject_hosts: 0\n  servers:\n    - 127.0.0.1:11211:1\n",
     [](const config& c) {
         const auto& p = c.pools.at(0);
         EXPECT_TRUE(p.preconnect);
         EXPECT_TRUE(p.tcpkeepalive);
         EXPECT_FALSE(p.reuseport);
         EXPECT_FALSE(p.auto_eject_hosts);
     }},
    {"timeout_minus_one_is_none",
     "a:\n  listen: 127.0.0.1:1\n  timeout: -1\n  servers:\n    - 127.0.0.1:11211:1\n",
     [](const config& c) { EXPECT_FALSE(c.pools.at(0).timeout.has_value()); }},
};

class ConfigGood : public testing::TestWithParam<good_case> {};

TEST_P(ConfigGood, Loads) {
    const auto& param = GetParam();
    const load_result r = parse_config(param.yaml, "test.yml");
    ASSERT_TRUE(r.ok()) << all_errors(r);
    param.check(*r.value);
}

INSTANTIATE_TEST_SUITE_P(Table, ConfigGood, testing::ValuesIn(good_cases),
                         [](const auto& row) { return std::string(row.param.name); });

std::vector<fs::path> bad_configs() {
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(fs::path(COPROXY_TEST_DIR) / "bad")) {
        files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    return files;
}

class ConfigBad : public testing::TestWithParam<fs::path> {};

// Each bad config's first line is "# expect: <text>"; some error's message must start with it.
TEST_P(ConfigBad, FailsWithItsMessage) {
    std::ifstream in(GetParam());
    std::string first;
    std::getline(in, first);
    const std::string marker = "# expect: ";
    ASSERT_EQ(first.rfind(marker, 0), 0u) << GetParam() << " lacks an '# expect:' line";
    const std::string expected = first.substr(marker.size());

    const load_result r = load_config_file(GetParam().string());
    ASSERT_FALSE(r.ok());
    bool found = false;
    for (const auto& e : r.errors) {
        std::string text = e.to_string();
        text = text.substr(GetParam().parent_path().string().size() + 1);  // drop the directory
        found = found || text.rfind(expected, 0) == 0;
    }
    EXPECT_TRUE(found) << "expected a message starting with:\n  " << expected << "\ngot:\n"
                       << all_errors(r);
}

INSTANTIATE_TEST_SUITE_P(Folder, ConfigBad, testing::ValuesIn(bad_configs()),
                         [](const auto& row) { return row.param.stem().string(); });

TEST(ConfigErrors, AllErrorsReportedAtOnce) {
    const load_result r = parse_config(
        "a:\n  listen: nope\n  hash: x\n  servers:\n    - bad\nb:\n  listen: 127.0.0.1:1\n", "f");
    EXPECT_GE(r.errors.size(), 4u) << all_errors(r);
}

TEST(ConfigErrors, MissingFileIsNamed) {
    const load_result r = load_config_file("/nonexistent/coproxy.yml");
    ASSERT_EQ(r.errors.size(), 1u);
    EXPECT_EQ(r.errors[0].to_string(), "/nonexistent/coproxy.yml: cannot open configuration file");
}

// The shipped example config must load, and must document every key the loader knows.
TEST(ConfigExample, LoadsAndDocumentsEveryKey) {
    const std::string path = std::string(COPROXY_SOURCE_DIR) + "/config/coproxy.yml";
    const load_result r = load_config_file(path);
    ASSERT_TRUE(r.ok()) << all_errors(r);
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    for (const auto& key : pool_key_table()) {
        EXPECT_NE(text.str().find(std::string(key.name) + ":"), std::string::npos)
            << "config/coproxy.yml does not mention pool key '" << key.name << "'";
    }
    for (const auto& option : option_table()) {
        if (option.in_file) {
            EXPECT_NE(text.str().find(file_key(option.name) + ":"), std::string::npos)
                << "config/coproxy.yml does not mention option '" << file_key(option.name) << "'";
        }
    }
}

}  // namespace
}  // namespace coproxy::config

namespace coproxy::config {
namespace {

// README.md's reference tables must not fall behind the key and option tables.
TEST(ConfigReadme, DocumentsEveryKeyAndFlag) {
    std::ifstream in(std::string(COPROXY_SOURCE_DIR) + "/README.md");
    std::stringstream text;
    text << in.rdbuf();
    for (const auto& key : pool_key_table()) {
        EXPECT_NE(text.str().find("`" + std::string(key.name) + "`"), std::string::npos)
            << "README.md does not document pool key '" << key.name << "'";
    }
    for (const auto& option : option_table()) {
        EXPECT_NE(text.str().find("--" + std::string(option.name)), std::string::npos)
            << "README.md does not document flag --" << option.name;
    }
}

}  // namespace
}  // namespace coproxy::config
