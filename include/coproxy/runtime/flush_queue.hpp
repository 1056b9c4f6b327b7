// Deferred writes, batched per event-loop round. A connection that gained something to write
// (requests for a server, replies for a client) queues itself once; a single posted pass then
// writes each queued connection with one non-blocking gather write. Everything that became ready
// in the same round leaves in one syscall per socket, and no coroutine is resumed for a write that
// the socket takes at once: a writer coroutine only runs when a socket would block.
// One worker owns a queue; not thread-safe.
#pragma once

#include <algorithm>
#include <boost/asio/post.hpp>
#include <vector>

#include "coproxy/runtime/types.hpp"

namespace coproxy::runtime {

class flush_queue;

class flushable {
  public:
    // Writes what it can without blocking.
    virtual void flush() = 0;

  protected:
    flushable() = default;
    flushable(const flushable&) = delete;
    flushable& operator=(const flushable&) = delete;
    ~flushable();

  private:
    friend class flush_queue;
    flush_queue* queue_ = nullptr;  // set while queued
};

class flush_queue {
  public:
    explicit flush_queue(executor ex) : executor_(ex) {}

    void add(flushable& f) {
        if (f.queue_ != nullptr) {
            return;
        }
        f.queue_ = this;
        items_.push_back(&f);
        if (!scheduled_) {
            scheduled_ = true;
            asio::post(executor_, [this] { run(); });
        }
    }

    // Flushing one connection may queue another (replies completed by a write error); loop.
    void run() {
        scheduled_ = false;
        while (!items_.empty()) {
            batch_.swap(items_);
            for (flushable* f : batch_) {
                if (f != nullptr && f->queue_ == this) {
                    f->queue_ = nullptr;
                    f->flush();
                }
            }
            batch_.clear();
        }
    }

  private:
    friend class flushable;
    void forget(flushable* f) {
        std::replace(items_.begin(), items_.end(), f, static_cast<flushable*>(nullptr));
        std::replace(batch_.begin(), batch_.end(), f, static_cast<flushable*>(nullptr));
    }

    executor executor_;
    std::vector<flushable*> items_;
    std::vector<flushable*> batch_;
    bool scheduled_ = false;
};

inline flushable::~flushable() {
    if (queue_ != nullptr) {
        queue_->forget(this);
    }
}

}  // namespace coproxy::runtime
