// Hands each accepted socket to the current service of the listener's pool.
#include "coproxy/frontend/listener.hpp"

#include <boost/asio/co_spawn.hpp>

#include "coproxy/frontend/pool_service.hpp"
#include "coproxy/runtime/listener.hpp"
#include "coproxy/runtime/spawn.hpp"

namespace coproxy::frontend {

listener::listener(worker_state& worker, runtime::unique_fd fd, runtime::stream_protocol protocol,
                   std::string address, std::shared_ptr<pool_entry> target)
    : worker_(worker),
      acceptor_(worker.worker.get_executor(), protocol, fd.release()),
      address_(std::move(address)),
      target_(std::move(target)) {}

void listener::start() {
    auto self = shared_from_this();
    auto on_accept = [self](runtime::stream_socket&& socket) {
        self->target_->service->accept(std::move(socket), self->target_);
    };
    asio::co_spawn(worker_.worker.get_executor(),
                   runtime::accept_loop(acceptor_, std::move(on_accept), address_),
                   [address = address_](std::exception_ptr e) {
                       runtime::log_exception("listener " + address, e);
                   });
}

const std::string& listener::target_name() const {
    return target_->service->config().name;
}

void listener::close() {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
}

}  // namespace coproxy::frontend
