// One worker's acceptor for one listen address, feeding the pool it currently serves.
#pragma once

#include <memory>
#include <string>

#include "coproxy/frontend/worker_state.hpp"
#include "coproxy/runtime/fd.hpp"
#include "coproxy/runtime/types.hpp"

namespace coproxy::frontend {

class listener : public std::enable_shared_from_this<listener> {
  public:
    listener(worker_state& worker, runtime::unique_fd fd, runtime::stream_protocol protocol,
             std::string address, std::shared_ptr<pool_entry> target);

    void start();  // on the worker's thread
    void close();  // on the worker's thread; the accept loop ends
    void retarget(std::shared_ptr<pool_entry> target) { target_ = std::move(target); }
    const std::string& address() const { return address_; }
    const std::string& target_name() const;

  private:
    worker_state& worker_;
    runtime::acceptor acceptor_;
    std::string address_;
    std::shared_ptr<pool_entry> target_;
};

}  // namespace coproxy::frontend
