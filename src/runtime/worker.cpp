// Worker threads. A handler that throws is a bug: it is logged and the loop keeps serving the
// other connections rather than taking the process down.
#include "coproxy/runtime/worker.hpp"

#include <pthread.h>
#include <spdlog/spdlog.h>

#include <string>

#include "coproxy/runtime/crash.hpp"

namespace coproxy::runtime {

worker::worker(unsigned id) : id_(id), guard_(context_.get_executor()) {}

worker::~worker() {
    stop();
    join();
}

void worker::start() {
    thread_ = std::thread([this] { run(); });
    const std::string name = "coproxy-w" + std::to_string(id_);
    pthread_setname_np(thread_.native_handle(), name.c_str());
}

void worker::run() {
    install_crash_stack();  // a stack overflow on this thread is still reported
    for (;;) {
        try {
            context_.run();
            return;
        } catch (const std::exception& e) {
            spdlog::critical("worker {}: unexpected exception escaped a handler: {}", id_,
                             e.what());
        }
    }
}

void worker::release() {
    guard_.reset();
}

void worker::stop() {
    guard_.reset();
    context_.stop();
}

void worker::join() {
    if (thread_.joinable()) {
        thread_.join();
    }
}

}  // namespace coproxy::runtime
