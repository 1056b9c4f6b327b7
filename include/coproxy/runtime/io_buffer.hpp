// A read buffer that costs nothing while empty: bytes live in a block borrowed from the worker's
// buffer pool while they fit, move to a heap buffer that grows for a message larger than a block
// (a 16 MiB value), and the storage goes back once every byte has been consumed. Parsers keep
// offsets relative to the start of unconsumed data, so the bytes may move when the buffer compacts
// or grows.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <memory>
#include <span>
#include <string_view>

#include "coproxy/runtime/buffer_pool.hpp"

namespace coproxy::runtime {

class io_buffer {
  public:
    explicit io_buffer(buffer_pool& pool) : pool_(&pool) {}
    io_buffer(const io_buffer&) = delete;
    io_buffer& operator=(const io_buffer&) = delete;
    ~io_buffer() { release(); }

    // The unconsumed bytes.
    std::span<const char> data() const { return {storage_ + begin_, end_ - begin_}; }
    std::string_view view() const { return {storage_ + begin_, end_ - begin_}; }
    std::size_t size() const { return end_ - begin_; }
    bool empty() const { return begin_ == end_; }

    // Writable space after the data, at least `min` bytes (moving or growing the storage).
    std::span<char> prepare(std::size_t min = 1) {
        if (storage_ == nullptr) {
            acquire(min);
        } else if (capacity_ - end_ < min) {
            make_room(min);
        }
        return {storage_ + end_, capacity_ - end_};
    }
    void commit(std::size_t n) { end_ += n; }

    void consume(std::size_t n) {
        begin_ += n;
        if (begin_ == end_) {
            begin_ = end_ = 0;
        }
    }

    // Gives the storage back when nothing is left to parse (an idle connection holds no buffer).
    void release_if_empty() {
        if (empty()) {
            release();
        }
    }

    // Gives back a heap buffer grown for one large message once it is drained; keeps a pooled one.
    void trim_if_empty() {
        if (empty() && !pooled_) {
            release();
        }
    }

    std::size_t capacity() const { return capacity_; }

  private:
    void acquire(std::size_t min) {
        if (min <= pool_->block_size()) {
            storage_ = pool_->acquire();
            capacity_ = pool_->block_size();
            pooled_ = true;
        } else {
            heap_.reset(new char[min]);
            storage_ = heap_.get();
            capacity_ = min;
            pooled_ = false;
        }
    }

    void make_room(std::size_t min) {
        const std::size_t used = end_ - begin_;
        if (begin_ > 0 && capacity_ - used >= min && used <= capacity_ / 2) {
            std::memmove(storage_, storage_ + begin_, used);  // cheap: at most half a buffer
        } else {
            const std::size_t wanted = std::max(capacity_ * 2, used + min);
            std::unique_ptr<char[]> bigger(new char[wanted]);
            std::memcpy(bigger.get(), storage_ + begin_, used);
            release_storage();
            heap_ = std::move(bigger);
            storage_ = heap_.get();
            capacity_ = wanted;
            pooled_ = false;
        }
        begin_ = 0;
        end_ = used;
    }

    void release_storage() {
        if (storage_ != nullptr && pooled_) {
            pool_->release(storage_);
        }
        heap_.reset();
        storage_ = nullptr;
        capacity_ = 0;
    }

    void release() {
        release_storage();
        begin_ = end_ = 0;
    }

    buffer_pool* pool_;
    char* storage_ = nullptr;
    std::unique_ptr<char[]> heap_;
    std::size_t capacity_ = 0;
    std::size_t begin_ = 0;
    std::size_t end_ = 0;
    bool pooled_ = false;
};

}  // namespace coproxy::runtime
