// A per-worker connection slab, like nginx's worker_connections: capacity fixed at start, storage
// reserved up front, entries constructed on take and destroyed on release, O(1) both ways via an
// intrusive free list. Pages of slots never used are never touched, so a large capacity costs
// address space, not memory. Not thread-safe: one worker owns it.
#pragma once

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <optional>
#include <utility>

namespace coproxy::runtime {

template <class T>
class slab {
  public:
    using index_type = std::uint32_t;

    explicit slab(std::size_t capacity)
        : capacity_(capacity),
          storage_(static_cast<cell*>(
              ::operator new (sizeof(cell) * capacity, std::align_val_t{alignof(cell)}))) {}

    slab(const slab&) = delete;
    slab& operator=(const slab&) = delete;

    ~slab() {
        for (index_type i = 0; i < high_water_; ++i) {
            if (storage_[i].live) {
                value(i).~T();
            }
        }
        ::operator delete (storage_, std::align_val_t{alignof(cell)});
    }

    // Constructs a T in a free slot; nullopt when the slab is full.
    template <class... Args>
    std::optional<index_type> take(Args&&... args) {
        index_type i;
        if (free_head_ != npos) {
            i = free_head_;
            free_head_ = storage_[i].next_free;
        } else if (high_water_ < capacity_) {
            i = high_water_++;
            ::new (static_cast<void*>(&storage_[i])) cell{};  // first use of this slot
        } else {
            return std::nullopt;
        }
        ::new (static_cast<void*>(storage_[i].bytes)) T(std::forward<Args>(args)...);
        storage_[i].live = true;
        ++storage_[i].generation;
        ++size_;
        return i;
    }

    void release(index_type i) {
        assert(i < high_water_ && storage_[i].live);
        value(i).~T();
        storage_[i].live = false;
        storage_[i].next_free = free_head_;
        free_head_ = i;
        --size_;
    }

    T& operator[](index_type i) {
        assert(i < high_water_ && storage_[i].live);
        return value(i);
    }

    bool live(index_type i) const { return i < high_water_ && storage_[i].live; }
    // Bumped on every take: a (index, generation) pair names one connection, never its successor.
    std::uint32_t generation(index_type i) const { return storage_[i].generation; }

    std::size_t size() const { return size_; }
    std::size_t capacity() const { return capacity_; }
    bool full() const { return size_ == capacity_; }

    // Releases every live entry (teardown).
    void clear() {
        for (index_type i = 0; i < high_water_; ++i) {
            if (storage_[i].live) {
                release(i);
            }
        }
    }

    template <class F>
    void for_each(F&& f) {
        for (index_type i = 0; i < high_water_; ++i) {
            if (storage_[i].live) {
                f(i, value(i));
            }
        }
    }

  private:
    static constexpr index_type npos = ~index_type{0};

    struct cell {
        alignas(T) unsigned char bytes[sizeof(T)];
        index_type next_free = npos;
        std::uint32_t generation = 0;
        bool live = false;
    };

    T& value(index_type i) { return *std::launder(reinterpret_cast<T*>(storage_[i].bytes)); }

    std::size_t capacity_;
    cell* storage_;
    index_type high_water_ = 0;
    index_type free_head_ = npos;
    std::size_t size_ = 0;
};

}  // namespace coproxy::runtime
