// Real peer processes for integration tests; see servers.hpp.
#include "support/servers.hpp"

#include <signal.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace coproxy::test {

redis_server::redis_server(const temp_dir& dir, std::vector<std::string> extra)
    : redis_server(dir, free_port(), std::move(extra)) {}

redis_server::redis_server(const temp_dir& dir, int port, std::vector<std::string> extra)
    : port_(port) {
    std::vector<std::string> argv = {
        "redis-server", "--port", std::to_string(port_), "--bind", "127.0.0.1",        "--save", "",
        "--appendonly", "no",     "--daemonize",         "no",     "--protected-mode", "no"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    process_ = child_process(argv, dir.file("redis-" + std::to_string(port_) + ".log"));
    if (!wait_for_port(port_)) {
        throw std::runtime_error("redis-server did not start on port " + std::to_string(port_));
    }
}

void redis_server::kill() {
    process_.signal(SIGKILL);
    process_.wait(std::chrono::seconds(5));
}

std::string redis_server::cli(const std::vector<std::string>& args) const {
    std::vector<std::string> argv = {"redis-cli", "-p", std::to_string(port_)};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(argv);
}

memcached_server::memcached_server(const temp_dir& dir, std::vector<std::string> extra)
    : port_(free_port()) {
    std::vector<std::string> argv = {
        "memcached", "-p", std::to_string(port_), "-U", "0", "-l", "127.0.0.1", "-u", "root"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    process_ = child_process(argv, dir.file("memcached-" + std::to_string(port_) + ".log"));
    if (!wait_for_port(port_)) {
        throw std::runtime_error("memcached did not start on port " + std::to_string(port_));
    }
}

void memcached_server::kill() {
    process_.signal(SIGKILL);
    process_.wait(std::chrono::seconds(5));
}

nutcracker_process::nutcracker_process(const temp_dir& dir, const std::string& yaml) {
    const std::string conf = dir.write("nutcracker.yml", yaml);
    process_ = child_process({"nutcracker", "-c", conf, "-s", std::to_string(free_port()), "-o",
                              dir.file("nutcracker.log")},
                             dir.file("nutcracker.out"));
    // nutcracker has no readiness signal; its listeners come up right after start.
    const auto listen = yaml.find("listen: 127.0.0.1:");
    const int port =
        listen == std::string::npos
            ? 0
            : std::stoi(yaml.substr(listen + std::string("listen: 127.0.0.1:").size()));
    started_ = port > 0 && wait_for_port(port);
}

std::string run_command(const std::vector<std::string>& argv, std::chrono::seconds timeout) {
    temp_dir dir;
    child_process p(argv, dir.file("out"));
    p.wait(timeout);
    std::string out = p.log();
    while (!out.empty() && out.back() == '\n') {
        out.pop_back();
    }
    return out;
}

}  // namespace coproxy::test
