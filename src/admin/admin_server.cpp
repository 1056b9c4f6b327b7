// Admin HTTP (Boost.Beast) and the twemproxy stats port, on every worker; see admin_server.hpp.
#include "coproxy/admin/admin_server.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <mutex>

#include "admin/checks.hpp"
#include "coproxy/admin/render.hpp"
#include "coproxy/config/render.hpp"
#include "coproxy/runtime/listener.hpp"
#include "coproxy/runtime/spawn.hpp"

namespace coproxy::admin {
namespace {

namespace http = boost::beast::http;
using namespace asio::experimental::awaitable_operators;
using namespace std::chrono_literals;
using runtime::nothrow;

using response = http::response<http::string_body>;

constexpr std::size_t header_limit = 8 * 1024;
constexpr std::size_t body_limit = 64 * 1024;
constexpr auto request_deadline = 5s;

response make(http::status status, std::string body, std::string_view type = "text/plain") {
    response res{status, 11};
    res.set(http::field::server, "coproxy");
    res.set(http::field::content_type, type);
    res.body() = std::move(body);
    return res;
}

// "host:port" or "[v6]:port".
std::optional<config::listen_address> parse_address(const std::string& text) {
    const auto colon = text.rfind(':');
    if (colon == std::string::npos) {
        return std::nullopt;
    }
    config::listen_address a;
    a.host = text.substr(0, colon);
    if (a.host.size() >= 2 && a.host.front() == '[' && a.host.back() == ']') {
        a.host = a.host.substr(1, a.host.size() - 2);
    }
    try {
        const int port = std::stoi(text.substr(colon + 1));
        if (port < 1 || port > 65535 || a.host.empty()) {
            return std::nullopt;
        }
        a.port = static_cast<std::uint16_t>(port);
    } catch (...) {
        return std::nullopt;
    }
    return a;
}

}  // namespace

admin_counters& counters() {
    static admin_counters c;
    return c;
}

struct admin_server::state : std::enable_shared_from_this<state> {
    state(process::proxy& p, reload_function r) : proxy(p), reload(std::move(r)) {}

    process::proxy& proxy;
    reload_function reload;
    std::vector<std::shared_ptr<runtime::acceptor>> acceptors;  // each used on its worker only
    std::mutex stats_mutex;
    std::string stats_document;
    runtime::clock::time_point stats_at{};
    std::chrono::milliseconds stats_interval{0};

    runtime::task<response> route(const http::request<http::string_body>& req, unsigned worker);
    runtime::task<void> serve_http(runtime::stream_socket socket, unsigned worker);
    runtime::task<void> serve_stats(runtime::stream_socket socket);
    std::string stats();
    std::string listen_on(const std::string& address, unsigned workers, bool http,
                          bool* in_use = nullptr);
};

runtime::task<response> admin_server::state::route(const http::request<http::string_body>& req,
                                                   unsigned worker) {
    const std::string_view target(req.target().data(), req.target().size());
    const std::string_view path = target.substr(0, target.find('?'));
    const bool get = req.method() == http::verb::get || req.method() == http::verb::head;
    if (path == "/reload") {
        if (req.method() != http::verb::post) {
            co_return make(http::status::method_not_allowed, "use POST /reload\n");
        }
        const std::string errors = co_await run_reload(reload, worker, proxy);
        co_return errors.empty()
            ? make(http::status::ok,
                   "reloaded: generation " + std::to_string(proxy.generation()) + "\n")
            : make(http::status::bad_request,
                   "reload rejected; still running the old config:\n" + errors);
    }
    if (!get) {
        co_return make(http::status::method_not_allowed, "method not allowed\n");
    }
    if (path == "/metrics") {
        co_return make(http::status::ok, render_prometheus(proxy),
                       "text/plain; version=0.0.4; charset=utf-8");
    }
    if (path == "/healthz") {
        const auto problem = co_await check_workers(proxy, worker, 1s);
        co_return problem.empty() ? make(http::status::ok, "ok\n")
                                  : make(http::status::service_unavailable, problem + "\n");
    }
    if (path == "/readyz") {
        const auto problem = co_await check_ready(proxy, worker);
        co_return problem.empty() ? make(http::status::ok, "ready\n")
                                  : make(http::status::service_unavailable, problem + "\n");
    }
    if (path == "/config") {
        co_return make(http::status::ok,
                       config::render_config(proxy.current_config(), proxy.current_options(),
                                             config::secrets::redacted),
                       "application/yaml");
    }
    if (path == "/stats") {
        co_return make(http::status::ok, stats(), "application/json");
    }
    co_return make(http::status::not_found,
                   "not found; try /metrics /healthz /readyz /config /stats, POST /reload\n");
}

// One admin client. Bounded as the data path is: --admin-max-connections at once (the rest get a
// 503 and are counted), 8 KiB of headers and 64 KiB of body per request (413/431), and each
// request must arrive in full within request_deadline of its first byte, so a slow sender
// (slowloris) holds nothing for long; an idle keep-alive connection closes after 30 s.
runtime::task<void> admin_server::state::serve_http(runtime::stream_socket socket,
                                                    unsigned worker) {
    auto self = shared_from_this();
    auto& count = counters();
    if (count.connections.fetch_add(1) >= proxy.current_options().admin_max_connections) {
        count.connections.fetch_sub(1);
        count.refused_full.fetch_add(1);
        static constexpr std::string_view busy =
            "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: "
            "37\r\nConnection: close\r\n\r\nadmin endpoint: too many connections\n";
        // Then a FIN, and what the client still sends is read away for up to a second: closing
        // with unread input would reset the connection and could destroy the 503 on its way.
        co_await asio::async_write(socket, asio::buffer(busy), nothrow);
        boost::system::error_code ignored;
        socket.shutdown(runtime::stream_socket::shutdown_send, ignored);
        runtime::steady_timer linger(socket.get_executor());
        linger.expires_after(1s);
        char sink[512];
        for (;;) {
            auto got = co_await (socket.async_read_some(asio::buffer(sink), nothrow) ||
                                 linger.async_wait(nothrow));
            if (got.index() == 1 || std::get<0>(std::get<0>(got))) {
                break;
            }
        }
        co_return;
    }
    boost::beast::flat_buffer buffer(header_limit + body_limit);
    runtime::steady_timer deadline(socket.get_executor());
    for (;;) {
        http::request_parser<http::string_body> parser;
        parser.header_limit(header_limit);
        parser.body_limit(body_limit);
        // Idle until a request starts, then it has request_deadline to arrive.
        deadline.expires_after(buffer.size() > 0 ? request_deadline : 30s);
        if (buffer.size() == 0) {
            auto waited = co_await (socket.async_wait(runtime::stream_socket::wait_read, nothrow) ||
                                    deadline.async_wait(nothrow));
            if (waited.index() == 1 || std::get<0>(std::get<0>(waited))) {
                break;  // idle for 30 s, or gone
            }
            deadline.expires_after(request_deadline);
        }
        auto read = co_await (http::async_read(socket, buffer, parser, nothrow) ||
                              deadline.async_wait(nothrow));
        if (read.index() == 1) {
            count.refused_slow.fetch_add(1);
            break;
        }
        if (auto [ec, n] = std::get<0>(read); ec) {
            if (ec == http::error::header_limit || ec == http::error::body_limit ||
                ec == http::error::buffer_overflow) {
                count.refused_too_large.fetch_add(1);
                auto res = make(ec == http::error::body_limit
                                    ? http::status::payload_too_large
                                    : http::status::request_header_fields_too_large,
                                "request too large\n");
                res.keep_alive(false);
                res.prepare_payload();
                co_await http::async_write(socket, res, nothrow);
            }
            break;
        }
        auto& req = parser.get();
        response res = co_await route(req, worker);
        res.keep_alive(req.keep_alive());
        res.prepare_payload();
        if (req.method() == http::verb::head) {
            res.body().clear();
        }
        auto [ec, n] = co_await http::async_write(socket, res, nothrow);
        if (ec || !res.keep_alive()) {
            break;
        }
    }
    count.connections.fetch_sub(1);
    boost::system::error_code ignored;
    socket.shutdown(runtime::stream_socket::shutdown_send, ignored);
}

std::string admin_server::state::stats() {
    std::lock_guard<std::mutex> lock(stats_mutex);
    const auto now = runtime::clock::now();
    if (stats_document.empty() || now - stats_at >= stats_interval) {
        stats_document = render_nutcracker_stats(proxy);
        stats_at = now;
    }
    return stats_document;
}

runtime::task<void> admin_server::state::serve_stats(runtime::stream_socket socket) {
    auto self = shared_from_this();
    const std::string document = stats();
    co_await asio::async_write(socket, asio::buffer(document), nothrow);
    boost::system::error_code ignored;
    socket.shutdown(runtime::stream_socket::shutdown_send, ignored);
}

std::string admin_server::state::listen_on(const std::string& address, unsigned workers, bool http,
                                           bool* in_use) {
    auto parsed = parse_address(address);
    if (!parsed) {
        return "invalid address '" + address + "' (expected host:port)";
    }
    auto opened = runtime::open_listener(*parsed, 128, false, workers);
    if (!opened.error.empty()) {
        if (in_use != nullptr) {
            *in_use = opened.in_use;
        }
        return "cannot listen on " + address + ": " + opened.error;
    }
    for (unsigned w = 0; w < workers; ++w) {
        auto& worker = proxy.worker(w);
        auto acceptor = std::make_shared<runtime::acceptor>(worker.get_executor(), opened.protocol,
                                                            opened.per_worker[w].release());
        acceptors.push_back(acceptor);
        worker.post([self = shared_from_this(), acceptor, w, http, address, &worker] {
            auto on_accept = [self, w, http, &worker](runtime::stream_socket&& s) {
                if (http) {
                    asio::co_spawn(worker.get_executor(), self->serve_http(std::move(s), w),
                                   runtime::log_exceptions{"admin connection"});
                } else {
                    asio::co_spawn(worker.get_executor(), self->serve_stats(std::move(s)),
                                   runtime::log_exceptions{"admin connection"});
                }
            };
            asio::co_spawn(worker.get_executor(),
                           runtime::accept_loop(*acceptor, std::move(on_accept), address),
                           runtime::log_exceptions{"admin connection"});
        });
    }
    return {};
}

admin_server::admin_server(process::proxy& proxy, reload_function reload)
    : state_(std::make_shared<state>(proxy, std::move(reload))) {}

admin_server::~admin_server() {
    stop();
}

std::string admin_server::start_http(const std::string& address, bool* in_use) {
    if (address.empty()) {
        return {};
    }
    return state_->listen_on(address, state_->proxy.worker_count(), true, in_use);
}

std::string admin_server::start_stats(const std::string& addr, int port,
                                      std::chrono::milliseconds interval) {
    if (port == 0) {
        return {};
    }
    state_->stats_interval = interval;
    const bool v6 = addr.find(':') != std::string::npos;
    return state_->listen_on((v6 ? "[" + addr + "]" : addr) + ":" + std::to_string(port),
                             state_->proxy.worker_count(), false);
}

void admin_server::stop() {
    for (unsigned w = 0; w < state_->acceptors.size(); ++w) {
        auto acceptor = state_->acceptors[w];
        asio::post(acceptor->get_executor(), [acceptor] {
            boost::system::error_code ignored;
            acceptor->close(ignored);
        });
    }
    state_->acceptors.clear();
}

}  // namespace coproxy::admin
