// Flags, environment and file settings: nutcracker's letters keep their meaning, and the
// precedence is flag > environment > file > default.
#include "coproxy/config/options.hpp"

#include <gtest/gtest.h>

#include <map>

namespace coproxy::config {
namespace {

using namespace std::chrono_literals;

struct fake_env {
    std::map<std::string, std::string> vars;
    env_lookup lookup() const {
        return [this](const std::string& name) -> std::optional<std::string> {
            auto it = vars.find(name);
            return it == vars.end() ? std::nullopt : std::optional(it->second);
        };
    }
};

options_result parse(std::vector<const char*> args, const fake_env& env = {}) {
    args.insert(args.begin(), "coproxy");
    return parse_options(static_cast<int>(args.size()), args.data(), env.lookup());
}

TEST(Options, Defaults) {
    auto r = parse({});
    ASSERT_TRUE(r.errors.empty());
    EXPECT_EQ(r.options.verbose, 5);
    EXPECT_EQ(r.options.stats_port, 22222);
    EXPECT_EQ(r.options.stats_addr, "0.0.0.0");
    EXPECT_EQ(r.options.stats_interval, 30000ms);
    EXPECT_EQ(r.options.mbuf_size, 16384u);
    EXPECT_EQ(r.options.shutdown_timeout, 30s);
    EXPECT_EQ(r.options.admin_addr, "0.0.0.0:22223");
    EXPECT_EQ(r.options.admin_max_connections, 64);
    EXPECT_EQ(r.options.threads, 0);
}

// Every nutcracker flag, in the forms its init scripts use.
TEST(Options, NutcrackerFlags) {
    auto r = parse({"-d",         "-t",         "-D",
                    "-V",         "-h",         "-v",
                    "7",          "-o",         "/var/log/x.log",
                    "-c",         "/etc/x.yml", "-s",
                    "22300",      "-a",         "127.0.0.1",
                    "-i",         "10000",      "-p",
                    "/run/x.pid", "-m",         "4096"});
    ASSERT_TRUE(r.errors.empty()) << r.errors.front();
    const auto& o = r.options;
    EXPECT_TRUE(o.daemonize && o.test_conf && o.describe_stats && o.version && o.help);
    EXPECT_EQ(o.verbose, 7);
    EXPECT_EQ(o.output, "/var/log/x.log");
    EXPECT_EQ(o.conf_file, "/etc/x.yml");
    EXPECT_EQ(o.stats_port, 22300);
    EXPECT_EQ(o.stats_addr, "127.0.0.1");
    EXPECT_EQ(o.stats_interval, 10000ms);
    EXPECT_EQ(o.pid_file, "/run/x.pid");
    EXPECT_EQ(o.mbuf_size, 4096u);
}

TEST(Options, LongFormsAndBundledShortFlags) {
    auto r = parse({"--verbose=9", "--conf-file", "a.yml", "-dt", "--threads=4", "--max-clients",
                    "99", "--shutdown-timeout", "1500ms", "--log-format=json"});
    ASSERT_TRUE(r.errors.empty()) << r.errors.front();
    EXPECT_EQ(r.options.verbose, 9);
    EXPECT_EQ(r.options.conf_file, "a.yml");
    EXPECT_TRUE(r.options.daemonize);
    EXPECT_TRUE(r.options.test_conf);
    EXPECT_EQ(r.options.threads, 4);
    EXPECT_EQ(r.options.max_clients, 99);
    EXPECT_EQ(r.options.shutdown_timeout, 1500ms);
    EXPECT_EQ(r.options.log_format, log_format::json);
}

TEST(Options, EnvironmentFillsWhatFlagsLeave) {
    fake_env env{{{"COPROXY_THREADS", "3"},
                  {"COPROXY_MAX_CLIENTS", "123"},
                  {"COPROXY_WATCH_CONFIG", "true"},
                  {"COPROXY_CONF_FILE", "/env.yml"}}};
    auto r = parse({"--threads", "5"}, env);
    ASSERT_TRUE(r.errors.empty());
    EXPECT_EQ(r.options.threads, 5);  // flag beats environment
    EXPECT_EQ(r.options.max_clients, 123);
    EXPECT_TRUE(r.options.watch_config);
    EXPECT_EQ(r.options.conf_file, "/env.yml");
}

TEST(Options, FileFillsWhatFlagsAndEnvironmentLeave) {
    fake_env env{{{"COPROXY_MAX_CLIENTS", "123"}}};
    auto r = parse({"--threads", "5"}, env);
    const file_setting settings[] = {
        {"threads", "9", 2}, {"max_clients", "7", 3}, {"drain_delay", "2", 4}, {"verbose", "6", 5}};
    apply_file_settings(r, settings, "c.yml");
    ASSERT_TRUE(r.errors.empty()) << r.errors.front();
    EXPECT_EQ(r.options.threads, 5);
    EXPECT_EQ(r.options.max_clients, 123);
    EXPECT_EQ(r.options.drain_delay, 2s);  // bare number: seconds for this option
    EXPECT_EQ(r.options.verbose, 6);
}

TEST(Options, BadValuesNameTheirSource) {
    fake_env env{{{"COPROXY_THREADS", "lots"}}};
    auto r = parse({"-v", "12", "--max-clients", "-5"}, env);
    ASSERT_EQ(r.errors.size(), 3u);
    EXPECT_EQ(r.errors[0], "option '--verbose': must be between 0 and 11");
    EXPECT_EQ(r.errors[1], "environment COPROXY_THREADS: expected an integer, got 'lots'");
    EXPECT_EQ(r.errors[2], "option '--max-clients': must be between 1 and 10000000");

    auto f = parse({});
    const file_setting bad[] = {{"shutdown_timeout", "soon", 8}};
    apply_file_settings(f, bad, "c.yml");
    ASSERT_EQ(f.errors.size(), 1u);
    EXPECT_EQ(f.errors[0],
              "c.yml:8: section 'coproxy': key 'shutdown_timeout': expected a duration like 30s, "
              "500ms or 2m, got 'soon'");
}

TEST(Options, AdminMaxConnectionsFromEverySource) {
    EXPECT_EQ(parse({"--admin-max-connections=8"}).options.admin_max_connections, 8);
    fake_env env{{{"COPROXY_ADMIN_MAX_CONNECTIONS", "100000"}}};
    EXPECT_EQ(parse({}, env).options.admin_max_connections, 100'000);
    auto f = parse({});
    const file_setting settings[] = {{"admin_max_connections", "2", 3}};
    apply_file_settings(f, settings, "c.yml");
    ASSERT_TRUE(f.errors.empty()) << f.errors.front();
    EXPECT_EQ(f.options.admin_max_connections, 2);

    auto bad = parse({"--admin-max-connections", "0"});
    ASSERT_EQ(bad.errors.size(), 1u);
    EXPECT_EQ(bad.errors[0], "option '--admin-max-connections': must be between 1 and 100000");
}

TEST(Options, EmptyValueAfterEquals) {
    auto r = parse({"--admin-addr=", "--output=", "--threads=2"});
    ASSERT_TRUE(r.errors.empty()) << r.errors.front();
    EXPECT_EQ(r.options.admin_addr, "");
    EXPECT_EQ(r.options.output, "");
    EXPECT_EQ(r.options.threads, 2);
}

// A Service named coproxy-stats makes Kubernetes set COPROXY_STATS_PORT=tcp://...: not ours.
TEST(Options, KubernetesServiceLinksAreIgnored) {
    fake_env env{{{"COPROXY_STATS_PORT", "tcp://10.0.0.7:22222"}, {"COPROXY_THREADS", "3"}}};
    auto r = parse({}, env);
    ASSERT_TRUE(r.errors.empty()) << r.errors.front();
    EXPECT_EQ(r.options.stats_port, 22222);
    EXPECT_EQ(r.options.threads, 3);
    ASSERT_EQ(r.warnings.size(), 1u);
    EXPECT_NE(r.warnings[0].find("COPROXY_STATS_PORT"), std::string::npos);
}

TEST(Options, UnknownFlagIsAnError) {
    auto r = parse({"--frobnicate"});
    ASSERT_EQ(r.errors.size(), 1u);
    EXPECT_NE(r.errors[0].find("frobnicate"), std::string::npos);
}

TEST(Options, Durations) {
    EXPECT_EQ(parse_duration("250ms", 1s), 250ms);
    EXPECT_EQ(parse_duration("3s", 1ms), 3s);
    EXPECT_EQ(parse_duration("2m", 1ms), 120s);
    EXPECT_EQ(parse_duration("1h", 1ms), 3600s);
    EXPECT_EQ(parse_duration("7", 1s), 7s);
    EXPECT_EQ(parse_duration("7", 1ms), 7ms);
    EXPECT_EQ(parse_duration("", 1ms), std::nullopt);
    EXPECT_EQ(parse_duration("5 parsecs", 1ms), std::nullopt);
    EXPECT_EQ(parse_duration("-1s", 1ms), std::nullopt);
}

TEST(Options, NamesDerivedFromTheTable) {
    EXPECT_EQ(env_name("max-clients"), "COPROXY_MAX_CLIENTS");
    EXPECT_EQ(file_key("shutdown-timeout"), "shutdown_timeout");
    EXPECT_TRUE(is_file_option("admin_addr"));
    EXPECT_FALSE(is_file_option("conf_file"));  // the file cannot name itself
}

TEST(Options, UsageListsEveryFlag) {
    const std::string usage = usage_text();
    for (const auto& o : option_table()) {
        EXPECT_NE(usage.find("--" + std::string(o.name)), std::string::npos) << o.name;
        if (o.short_name != 0) {
            EXPECT_NE(usage.find(std::string("-") + o.short_name + ","), std::string::npos)
                << o.name;
        }
    }
}

}  // namespace
}  // namespace coproxy::config
