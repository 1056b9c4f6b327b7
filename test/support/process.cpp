// Child process handling for integration tests; see process.hpp.
#include "support/process.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <utility>

namespace coproxy::test {

child_process::child_process(std::vector<std::string> argv, std::string log_path,
                             std::vector<std::string> extra_env)
    : log_path_(std::move(log_path)) {
    std::vector<char*> args;
    for (auto& a : argv) {
        args.push_back(a.data());
    }
    args.push_back(nullptr);
    const pid_t pid = ::fork();
    if (pid < 0) {
        throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
    }
    if (pid == 0) {
        ::setpgid(0, 0);  // keep terminal signals aimed at the test runner away from the child
        const int out = ::open(log_path_.empty() ? "/dev/null" : log_path_.c_str(),
                               O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (out >= 0) {
            ::dup2(out, STDOUT_FILENO);
            ::dup2(out, STDERR_FILENO);
        }
        for (auto& e : extra_env) {
            ::putenv(e.data());
        }
        ::execvp(args[0], args.data());
        std::fprintf(stderr, "exec %s: %s\n", args[0], std::strerror(errno));
        ::_exit(127);
    }
    pid_ = pid;
}

child_process::child_process(child_process&& o) noexcept
    : pid_(std::exchange(o.pid_, -1)), status_(o.status_), log_path_(std::move(o.log_path_)) {}

child_process& child_process::operator=(child_process&& o) noexcept {
    if (this != &o) {
        if (pid_ > 0) {
            stop();
        }
        pid_ = std::exchange(o.pid_, -1);
        status_ = o.status_;
        log_path_ = std::move(o.log_path_);
    }
    return *this;
}

child_process::~child_process() {
    if (pid_ > 0) {
        stop(std::chrono::seconds(2));
    }
}

bool child_process::running() {
    if (pid_ <= 0 || status_) {
        return false;
    }
    int status = 0;
    const pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
        status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        return false;
    }
    return true;
}

void child_process::signal(int sig) const {
    if (pid_ > 0) {
        ::kill(pid_, sig);
    }
}

std::optional<int> child_process::wait(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (running()) {
        if (std::chrono::steady_clock::now() >= deadline) {
            return std::nullopt;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return status_;
}

int child_process::stop(std::chrono::milliseconds grace) {
    if (pid_ <= 0) {
        return status_.value_or(-1);
    }
    if (running()) {
        ::kill(pid_, SIGTERM);
        if (!wait(grace)) {
            ::kill(pid_, SIGKILL);
            wait(std::chrono::seconds(5));
        }
    }
    pid_ = -1;
    return status_.value_or(-1);
}

std::string child_process::log() const {
    std::ifstream in(log_path_);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

temp_dir::temp_dir() {
    char pattern[] = "/tmp/coproxy-test-XXXXXX";
    const char* made = ::mkdtemp(pattern);
    if (made == nullptr) {
        throw std::runtime_error("mkdtemp failed");
    }
    path_ = made;
}

temp_dir::~temp_dir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
}

std::string temp_dir::write(const std::string& name, const std::string& content) const {
    const std::string p = file(name);
    std::ofstream(p, std::ios::binary) << content;
    return p;
}

// Below the kernel's ephemeral range (32768+): an outgoing connection cannot take the port
// between this check and the bind of the process it is meant for.
int free_port() {
    static std::mt19937 rng(std::random_device{}());
    for (;;) {
        const int port = std::uniform_int_distribution<int>(20000, 31999)(rng);
        const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(static_cast<uint16_t>(port));
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        const bool free = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
        ::close(fd);
        if (free) {
            return port;
        }
    }
}

bool wait_for_port(int port, std::chrono::milliseconds timeout) {
    return eventually(
        [port] {
            const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
            sockaddr_in a{};
            a.sin_family = AF_INET;
            a.sin_port = htons(static_cast<uint16_t>(port));
            a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
            ::close(fd);
            return ok;
        },
        timeout);
}

std::string coproxy_binary() {
    return COPROXY_BINARY;
}

double test_budget() {
    static const double budget = [] {
        const char* text = std::getenv("COPROXY_TEST_BUDGET");
        const double v = text != nullptr ? std::atof(text) : 1.0;
        return v >= 1.0 ? v : 1.0;
    }();
    return budget;
}

std::chrono::milliseconds budget(std::chrono::milliseconds nominal) {
    return std::chrono::milliseconds(
        static_cast<std::int64_t>(static_cast<double>(nominal.count()) * test_budget()));
}

}  // namespace coproxy::test
