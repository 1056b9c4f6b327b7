// One worker: one thread running one io_context (concurrency hint 1). Everything a worker owns
// (acceptors, connection slab, upstream pools, counters) is touched only from its thread; other
// threads reach it with post().
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <thread>

#include "coproxy/runtime/types.hpp"

namespace coproxy::runtime {

class worker {
  public:
    explicit worker(unsigned id);
    worker(const worker&) = delete;
    worker& operator=(const worker&) = delete;
    ~worker();

    unsigned id() const { return id_; }
    asio::io_context& context() { return context_; }
    executor get_executor() { return context_.get_executor(); }

    void start();
    // Lets run() return once the loop has no work left (graceful); stop() ends it at once.
    void release();
    void stop();
    void join();

    template <class F>
    void post(F&& f) {
        asio::post(context_, std::forward<F>(f));
    }

    bool running_in_this_thread() { return context_.get_executor().running_in_this_thread(); }

  private:
    void run();

    unsigned id_;
    asio::io_context context_{1};
    asio::executor_work_guard<executor> guard_;
    std::thread thread_;
};

}  // namespace coproxy::runtime
