// Per-worker I/O buffers of one size. A connection holds a buffer only while bytes are moving: an
// idle connection holds none, so 10,000 idle clients cost no buffer memory. Up to `max_cached` free
// buffers are kept for reuse; beyond that they go back to the allocator, so a burst's memory is
// returned once it passes. Not thread-safe: one worker owns it.
#pragma once

#include <cstddef>
#include <memory>
#include <utility>
#include <vector>

namespace coproxy::runtime {

class buffer_pool {
  public:
    buffer_pool(std::size_t block_size, std::size_t max_cached)
        : block_size_(block_size), max_cached_(max_cached) {}
    buffer_pool(const buffer_pool&) = delete;
    buffer_pool& operator=(const buffer_pool&) = delete;
    ~buffer_pool() {
        for (char* b : free_) {
            delete[] b;
        }
    }

    char* acquire() {
        ++in_use_;
        if (!free_.empty()) {
            char* b = free_.back();
            free_.pop_back();
            return b;
        }
        return new char[block_size_];
    }

    void release(char* b) {
        --in_use_;
        if (free_.size() < max_cached_) {
            free_.push_back(b);
        } else {
            delete[] b;
        }
    }

    std::size_t block_size() const { return block_size_; }
    std::size_t in_use() const { return in_use_; }
    std::size_t cached() const { return free_.size(); }

  private:
    std::size_t block_size_;
    std::size_t max_cached_;
    std::vector<char*> free_;
    std::size_t in_use_ = 0;
};

// One buffer borrowed from a pool; empty until acquire(), returned on release() or destruction.
class buffer_lease {
  public:
    buffer_lease() = default;
    explicit buffer_lease(buffer_pool& pool) : pool_(&pool) {}
    buffer_lease(buffer_lease&& o) noexcept
        : pool_(o.pool_), data_(std::exchange(o.data_, nullptr)) {}
    buffer_lease& operator=(buffer_lease&& o) noexcept {
        if (this != &o) {
            release();
            pool_ = o.pool_;
            data_ = std::exchange(o.data_, nullptr);
        }
        return *this;
    }
    ~buffer_lease() { release(); }

    char* acquire() {
        if (data_ == nullptr) {
            data_ = pool_->acquire();
        }
        return data_;
    }
    void release() {
        if (data_ != nullptr) {
            pool_->release(std::exchange(data_, nullptr));
        }
    }
    bool held() const { return data_ != nullptr; }
    char* data() const { return data_; }
    std::size_t size() const { return pool_->block_size(); }

  private:
    buffer_pool* pool_ = nullptr;
    char* data_ = nullptr;
};

}  // namespace coproxy::runtime
