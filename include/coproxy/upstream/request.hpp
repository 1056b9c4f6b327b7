// One request on its way to a server and its reply on the way back, shared (by reference count)
// between the client session that waits for it in order and the server connection that carries it.
// When the client leaves first, the session detaches itself (sink = null) and the server connection
// finishes the request alone. Objects come from a per-worker pool whose free list and string
// capacities are reused, so the steady state allocates nothing per request.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "coproxy/runtime/types.hpp"

namespace coproxy::upstream {

class request;

// Who hears that a request is done.
class reply_sink {
  public:
    virtual void on_reply(request& r) = 0;

  protected:
    ~reply_sink() = default;
};

// A request made of parts sent to several servers (a split MGET), merged when all are done.
class request_group : public reply_sink {
  public:
    virtual ~request_group() = default;
};

class request_pool;

class request {
  public:
    // Set by the submitter.
    std::string payload;         // the exact bytes to send
    std::uint8_t kind = 0;       // protocol-specific: what reply to expect (memcached command)
    reply_sink* sink = nullptr;  // null once nobody waits for the reply
    std::uint32_t tag = 0;       // the sink's own use (part index)
    bool quiet = false;          // memcached noreply/q: the client is not sent the reply
    // How long the reply may take once the request is written: -1 the pool's `timeout`, 0 no
    // limit, else milliseconds (a blocking command's own timeout plus the pool's).
    std::int64_t timeout_ms = -1;
    std::unique_ptr<request_group> group;  // the parts of a split request

    // Set when done.
    std::string reply;
    bool done = false;
    bool failed = false;           // the reply is coproxy's own error (server unreachable, timeout)
    std::uint8_t reply_kind = 0;   // protocol-specific, noted by the reply reader
    std::size_t reply_values = 0;  // memcached get family: bytes of VALUE blocks in the reply
    std::uint32_t reply_hits = 0;  // memcached get family: VALUE blocks in the reply
    std::uint32_t keys = 0;        // memcached retrievals: keys asked for (hits and misses)
    std::uint32_t server = 0;
    runtime::clock::time_point created{};
    runtime::clock::time_point sent{};

    // Stores the reply and tells the sink.
    void finish(std::string_view bytes, bool proxy_error) {
        reply.assign(bytes.data(), bytes.size());
        failed = proxy_error;
        done = true;
        if (sink != nullptr) {
            sink->on_reply(*this);
        }
    }
    // A reply made locally, never sent to a server.
    void finish_local(std::string_view bytes) { finish(bytes, false); }

  private:
    friend class request_ptr;
    friend class request_pool;
    std::uint32_t refs_ = 0;
    request_pool* pool_ = nullptr;
};

// An intrusive, single-threaded reference to a pooled request.
class request_ptr {
  public:
    request_ptr() = default;
    explicit request_ptr(request* r) : r_(r) {
        if (r_ != nullptr) {
            ++r_->refs_;
        }
    }
    request_ptr(const request_ptr& o) : request_ptr(o.r_) {}
    request_ptr(request_ptr&& o) noexcept : r_(std::exchange(o.r_, nullptr)) {}
    request_ptr& operator=(request_ptr o) noexcept {
        std::swap(r_, o.r_);
        return *this;
    }
    ~request_ptr() { reset(); }

    void reset();
    request* get() const { return r_; }
    request* operator->() const { return r_; }
    request& operator*() const { return *r_; }
    explicit operator bool() const { return r_ != nullptr; }

  private:
    request* r_ = nullptr;
};

class request_pool {
  public:
    // Strings above this capacity are freed when their request is recycled, and at most
    // max_cached requests are kept: after a burst a worker holds at most ~4 MiB here.
    static constexpr std::size_t keep_capacity = 2 * 1024;

    explicit request_pool(std::size_t max_cached = 1024) : max_cached_(max_cached) {}
    request_pool(const request_pool&) = delete;
    request_pool& operator=(const request_pool&) = delete;
    ~request_pool() {
        for (request* r : free_) {
            delete r;
        }
    }

    request_ptr make() {
        request* r;
        if (!free_.empty()) {
            r = free_.back();
            free_.pop_back();
        } else {
            r = new request;
        }
        r->pool_ = this;
        r->created = runtime::clock::now();
        ++live_;
        return request_ptr(r);
    }

    std::size_t live() const { return live_; }

  private:
    friend class request_ptr;

    void recycle(request* r) {
        --live_;
        r->payload.clear();
        r->reply.clear();
        if (r->payload.capacity() > keep_capacity) {
            std::string().swap(r->payload);
        }
        if (r->reply.capacity() > keep_capacity) {
            std::string().swap(r->reply);
        }
        r->kind = 0;
        r->sink = nullptr;
        r->tag = 0;
        r->quiet = false;
        r->timeout_ms = -1;
        r->group.reset();
        r->done = false;
        r->failed = false;
        r->reply_kind = 0;
        r->reply_values = 0;
        r->reply_hits = 0;
        r->keys = 0;
        r->server = 0;
        if (free_.size() < max_cached_) {
            free_.push_back(r);
        } else {
            delete r;
        }
    }

    std::size_t max_cached_;
    std::vector<request*> free_;
    std::size_t live_ = 0;
};

inline void request_ptr::reset() {
    if (r_ != nullptr && --r_->refs_ == 0) {
        r_->pool_->recycle(r_);
    }
    r_ = nullptr;
}

}  // namespace coproxy::upstream
