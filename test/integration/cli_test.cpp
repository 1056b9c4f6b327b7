// The command line as operators and init scripts use it: nutcracker's flags, -t, bad configs that
// name pool, key and line, daemonizing with a pid file, the log file and its reopening.
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <sstream>

#include "support/coproxy_process.hpp"
#include "support/socket.hpp"

namespace coproxy::test {
namespace {

using namespace std::chrono_literals;

struct run_result {
    int status;
    std::string output;
};

run_result run(const temp_dir& dir, std::vector<std::string> args) {
    args.insert(args.begin(), coproxy_binary());
    child_process p(args, dir.file("out.txt"));
    auto status = p.wait(10s);
    std::ifstream in(dir.file("out.txt"));
    std::stringstream s;
    s << in.rdbuf();
    std::remove(dir.file("out.txt").c_str());
    return {status.value_or(-1), s.str()};
}

const char* good_yaml =
    "alpha:\n  listen: 127.0.0.1:22999\n  redis: true\n  servers:\n    - 127.0.0.1:6379:1\n";

TEST(Cli, TestConfSaysOk) {
    temp_dir dir;
    const std::string path = dir.write("good.yml", good_yaml);
    const auto r = run(dir, {"-t", "-c", path});
    EXPECT_EQ(r.status, 0);
    EXPECT_EQ(r.output, "coproxy: configuration file '" + path + "' syntax is ok\n");
}

TEST(Cli, BadConfigNamesPoolKeyAndLine) {
    temp_dir dir;
    const std::string path =
        dir.write("bad.yml",
                  "alpha:\n  listen: 127.0.0.1:22999\n  hash: fnv2\n  servers:\n    - "
                  "127.0.0.1:6379:1\n");
    const auto r = run(dir, {"-t", "-c", path});
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.output.find(path + ":3: pool 'alpha': key 'hash': unknown hash 'fnv2'"),
              std::string::npos)
        << r.output;
    EXPECT_NE(r.output.find("syntax is invalid"), std::string::npos);
    // Without -t the process refuses to start, with the same message.
    const auto started = run(dir, {"-c", path});
    EXPECT_EQ(started.status, 1);
    EXPECT_NE(started.output.find("unknown hash 'fnv2'"), std::string::npos);
}

TEST(Cli, VersionHelpDescribe) {
    temp_dir dir;
    EXPECT_NE(run(dir, {"-V"}).output.find("This is coproxy-"), std::string::npos);
    const auto help = run(dir, {"-h"});
    EXPECT_EQ(help.status, 0);
    for (const char* flag :
         {"-t, --test-conf", "-d, --daemonize", "-D, --describe-stats", "-v, --verbose",
          "-o, --output", "-c, --conf-file", "-s, --stats-port", "-a, --stats-addr",
          "-i, --stats-interval", "-p, --pid-file", "-m, --mbuf-size", "--threads", "--max-clients",
          "--shutdown-timeout", "--log-format"}) {
        EXPECT_NE(help.output.find(flag), std::string::npos) << flag;
    }
    EXPECT_NE(run(dir, {"-D"}).output.find("client_eof"), std::string::npos);
    EXPECT_NE(run(dir, {"--describe-config"}).output.find("server_failure_limit"),
              std::string::npos);
}

TEST(Cli, BadFlagValueIsRejected) {
    temp_dir dir;
    const auto r = run(dir, {"--threads", "many"});
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.output.find("option '--threads': expected an integer, got 'many'"),
              std::string::npos);
}

TEST(Cli, EnvironmentVariablesConfigure) {
    temp_dir dir;
    const std::string path = dir.write("good.yml", good_yaml);
    child_process p({coproxy_binary(), "-t"}, dir.file("env.txt"), {"COPROXY_CONF_FILE=" + path});
    EXPECT_EQ(p.wait(10s), 0);
    EXPECT_NE(p.log().find("syntax is ok"), std::string::npos) << p.log();
}

TEST(Cli, ListenAddressInUseIsReported) {
    temp_dir dir;
    test_server occupant(test_server::echo);
    const std::string yaml =
        "alpha:\n  protocol: tcp\n  listen: 127.0.0.1:" + std::to_string(occupant.port()) +
        "\n  servers:\n    - 127.0.0.1:1:1\n";
    const auto r = run(dir, {"-c", dir.write("c.yml", yaml), "--admin-addr", "", "-s", "0"});
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.output.find("pool 'alpha': cannot listen on 127.0.0.1:" +
                            std::to_string(occupant.port())),
              std::string::npos)
        << r.output;
}

TEST(Cli, DaemonizeWritesPidFileAndLogsToFile) {
    temp_dir dir;
    test_server backend(test_server::echo);
    const int port = free_port();
    const std::string yaml =
        "relay:\n  protocol: tcp\n  listen: 127.0.0.1:" + std::to_string(port) +
        "\n  servers:\n    - 127.0.0.1:" + std::to_string(backend.port()) + ":1\n";
    const std::string conf = dir.write("c.yml", yaml);
    const std::string pid_path = dir.file("coproxy.pid");
    const std::string log_path = dir.file("coproxy.log");
    const auto r = run(dir, {"-d", "-c", conf, "-p", pid_path, "-o", log_path, "--admin-addr", "",
                             "-s", "0", "--drain-delay", "0"});
    EXPECT_EQ(r.status, 0);  // the foreground parent exits at once
    pid_t pid = 0;
    ASSERT_TRUE(eventually([&] {
        std::ifstream in(pid_path);
        return static_cast<bool>(in >> pid) && pid > 0;
    }));
    ASSERT_TRUE(wait_for_port(port));
    auto c = client_socket::connect(port);
    ASSERT_TRUE(c);
    ASSERT_TRUE(c->send_all("d"));
    EXPECT_EQ(c->recv_exact(1), "d");
    c->close();
    // SIGHUP reopens the log file: a rotated file is replaced by a new one.
    std::rename(log_path.c_str(), (log_path + ".1").c_str());
    ::kill(pid, SIGHUP);
    EXPECT_TRUE(eventually([&] { return std::ifstream(log_path).good(); }));
    ::kill(pid, SIGTERM);
    EXPECT_TRUE(eventually([&] { return ::kill(pid, 0) != 0; }));
    EXPECT_FALSE(std::ifstream(pid_path).good()) << "pid file left behind";
    std::ifstream in(log_path + ".1");
    std::stringstream s;
    s << in.rdbuf();
    EXPECT_NE(s.str().find("started"), std::string::npos);
}

}  // namespace
}  // namespace coproxy::test
