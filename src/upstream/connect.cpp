// Backend connects. Numeric addresses skip the resolver; names go through Asio's resolver (its
// own thread, so a slow DNS answer never blocks a worker's loop).
#include "coproxy/upstream/connect.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <vector>

namespace coproxy::upstream {
namespace {

using namespace asio::experimental::awaitable_operators;
using runtime::nothrow;
using runtime::stream_protocol;

runtime::task<std::pair<boost::system::error_code, std::vector<stream_protocol::endpoint>>> resolve(
    runtime::executor ex, const config::server_config& server) {
    std::vector<stream_protocol::endpoint> out;
    if (server.is_unix()) {
        out.emplace_back(asio::local::stream_protocol::endpoint(server.path));
        co_return std::pair{boost::system::error_code{}, std::move(out)};
    }
    boost::system::error_code ec;
    const auto address = asio::ip::make_address(server.host, ec);
    if (!ec) {
        out.emplace_back(asio::ip::tcp::endpoint(address, server.port));
        co_return std::pair{ec, std::move(out)};
    }
    asio::ip::tcp::resolver resolver(ex);
    auto [rec, results] =
        co_await resolver.async_resolve(server.host, std::to_string(server.port), nothrow);
    for (const auto& r : results) {
        out.emplace_back(r.endpoint());
    }
    co_return std::pair{rec, std::move(out)};
}

}  // namespace

void tune_socket(runtime::stream_socket& socket, int family, bool keepalive) {
    boost::system::error_code ignored;
    if (family == AF_INET || family == AF_INET6) {
        socket.set_option(asio::ip::tcp::no_delay(true), ignored);
    }
    if (keepalive) {
        socket.set_option(asio::socket_base::keep_alive(true), ignored);
    }
}

runtime::task<connect_result> connect_to(runtime::executor ex, const config::server_config& server,
                                         std::chrono::milliseconds timeout, bool keepalive) {
    connect_result result{{}, runtime::stream_socket(ex)};
    runtime::steady_timer deadline(ex);
    deadline.expires_after(timeout);
    auto resolving = co_await (resolve(ex, server) || deadline.async_wait(nothrow));
    if (resolving.index() == 1) {
        result.error = asio::error::timed_out;
        co_return result;
    }
    auto [rec, endpoints] = std::get<0>(std::move(resolving));
    if (rec || endpoints.empty()) {
        result.error = rec ? rec : asio::error::host_not_found;
        co_return result;
    }
    for (const auto& endpoint : endpoints) {
        runtime::stream_socket socket(ex);
        auto attempt =
            co_await (socket.async_connect(endpoint, nothrow) || deadline.async_wait(nothrow));
        if (attempt.index() == 1) {
            result.error = asio::error::timed_out;
            co_return result;
        }
        auto [ec] = std::get<0>(attempt);
        if (!ec) {
            tune_socket(socket, endpoint.protocol().family(), keepalive);
            result.error = {};
            result.socket = std::move(socket);
            co_return result;
        }
        result.error = ec;
    }
    co_return result;
}

}  // namespace coproxy::upstream
