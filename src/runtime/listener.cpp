// Listening sockets (POSIX calls on the main thread) and the per-worker accept loop.
#include "coproxy/runtime/listener.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <boost/asio/as_tuple.hpp>
#include <cerrno>
#include <cstring>

#include "coproxy/runtime/log.hpp"

namespace coproxy::runtime {
namespace {

std::string errno_text(const char* what) {
    return std::string(what) + ": " + std::strerror(errno);
}

void set_flag(int fd, int level, int name) {
    const int one = 1;
    ::setsockopt(fd, level, name, &one, sizeof one);
}

struct resolved {
    sockaddr_storage address{};
    socklen_t length = 0;
    std::string error;
};

resolved resolve_listen(const config::listen_address& a) {
    resolved out;
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    addrinfo* list = nullptr;
    const std::string port = std::to_string(a.port);
    if (int rc = ::getaddrinfo(a.host.c_str(), port.c_str(), &hints, &list); rc != 0) {
        out.error = "cannot resolve '" + a.host + "': " + ::gai_strerror(rc);
        return out;
    }
    std::memcpy(&out.address, list->ai_addr, list->ai_addrlen);
    out.length = list->ai_addrlen;
    ::freeaddrinfo(list);
    return out;
}

// Binds one TCP socket; `reuseport` joins the kernel's SO_REUSEPORT group for the address.
unique_fd bind_tcp(const resolved& r, int backlog, bool reuseport, bool do_listen,
                   std::string& error, bool& in_use) {
    unique_fd fd(::socket(r.address.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!fd) {
        error = errno_text("socket");
        return {};
    }
    set_flag(fd.get(), SOL_SOCKET, SO_REUSEADDR);
    if (reuseport) {
        set_flag(fd.get(), SOL_SOCKET, SO_REUSEPORT);
    }
    if (r.address.ss_family == AF_INET6) {
        set_flag(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY);
    }
    if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&r.address), r.length) != 0) {
        in_use = errno == EADDRINUSE;
        error = errno_text("bind");
        return {};
    }
    if (do_listen && ::listen(fd.get(), backlog) != 0) {
        error = errno_text("listen");
        return {};
    }
    return fd;
}

opened_listener open_tcp(const config::listen_address& a, int backlog, bool shared_with_others,
                         unsigned workers) {
    opened_listener out;
    resolved r = resolve_listen(a);
    if (!r.error.empty()) {
        out.error = r.error;
        return out;
    }
    out.protocol = stream_protocol(r.address.ss_family, IPPROTO_TCP);
    if (!shared_with_others) {
        // A socket without SO_REUSEPORT cannot bind where anyone listens: if this bind fails,
        // another process owns the address and joining its group would silently steal half its
        // clients.
        std::string error;
        if (!bind_tcp(r, backlog, false, false, error, out.in_use)) {
            out.error = error + " (is another process listening on " + a.to_string() + "?)";
            return out;
        }
    }
    for (unsigned i = 0; i < workers; ++i) {
        std::string error;
        unique_fd fd = bind_tcp(r, backlog, true, true, error, out.in_use);
        if (!fd) {
            out.error = error;
            out.per_worker.clear();
            return out;
        }
        out.per_worker.push_back(std::move(fd));
    }
    return out;
}

// A stale socket file from a crashed run blocks bind(); a live one means someone serves there.
bool unix_socket_in_use(const sockaddr_un& address) {
    unique_fd probe(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    return probe &&
           ::connect(probe.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
}

opened_listener open_unix(const config::listen_address& a, int backlog, unsigned workers) {
    opened_listener out;
    out.protocol = stream_protocol(AF_UNIX, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, a.path.c_str(), sizeof address.sun_path - 1);
    struct stat st {};
    if (::stat(a.path.c_str(), &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) {
            out.error = a.path + " exists and is not a socket";
            return out;
        }
        if (unix_socket_in_use(address)) {
            out.error = "another process is listening on " + a.path;
            return out;
        }
        ::unlink(a.path.c_str());
    }
    unique_fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!fd || ::bind(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(fd.get(), backlog) != 0) {
        out.error = errno_text("unix socket");
        return out;
    }
    if (a.permissions && ::chmod(a.path.c_str(), *a.permissions) != 0) {
        out.error = errno_text("chmod");
        ::unlink(a.path.c_str());
        return out;
    }
    for (unsigned i = 1; i < workers; ++i) {
        out.per_worker.emplace_back(::fcntl(fd.get(), F_DUPFD_CLOEXEC, 0));
    }
    out.per_worker.insert(out.per_worker.begin(), std::move(fd));
    return out;
}

bool out_of_resources(const boost::system::error_code& ec) {
    return ec == asio::error::no_descriptors || ec.value() == ENFILE ||
           ec == asio::error::no_buffer_space || ec == asio::error::no_memory;
}

}  // namespace

opened_listener open_listener(const config::listen_address& address, int backlog,
                              bool shared_with_others, unsigned workers) {
    return address.is_unix() ? open_unix(address, backlog, workers)
                             : open_tcp(address, backlog, shared_with_others, workers);
}

task<void> accept_loop(acceptor& listener, accept_handler on_accept, std::string name) {
    using namespace std::chrono_literals;
    steady_timer pause(listener.get_executor());
    log_limiter limiter;
    auto backoff = 10ms;
    for (;;) {
        auto [ec, socket] = co_await listener.async_accept(nothrow);
        if (!ec) {
            backoff = 10ms;
            on_accept(std::move(socket));
            continue;
        }
        if (ec == asio::error::operation_aborted || !listener.is_open()) {
            co_return;
        }
        if (ec == asio::error::interrupted || ec == asio::error::connection_aborted ||
            ec.value() == EPROTO || ec.value() == EPERM) {
            continue;  // the connection died in the backlog; the listener is fine
        }
        std::uint64_t suppressed = 0;
        if (limiter.allow(suppressed)) {
            spdlog::error("listener {}: accept failed: {}{}; pausing {} ms", name, ec.message(),
                          suppressed ? fmt::format(" ({} more)", suppressed) : std::string(),
                          backoff.count());
        }
        if (!out_of_resources(ec)) {
            backoff = 10ms;
        }
        pause.expires_after(backoff);
        co_await pause.async_wait(nothrow);
        backoff = std::min<std::chrono::milliseconds>(backoff * 2, 1000ms);
    }
}

}  // namespace coproxy::runtime
