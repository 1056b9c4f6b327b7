// The admission limit: how many clients may be connected at once, process-wide (--max-clients)
// and per pool (client_connections). SO_REUSEPORT may hand any worker any connection, so the count
// is one atomic per gate shared by all workers, raised with compare-and-swap: exact under any
// burst, one cache line touched per accept and per close, never a lock.
#pragma once

#include <atomic>
#include <cstdint>
#include <utility>

namespace coproxy::runtime {

class admission_gate {
  public:
    explicit admission_gate(std::int64_t limit = 0) : limit_(limit) {}

    // False when the gate is full; a limit of 0 means unlimited.
    bool try_enter() {
        const std::int64_t limit = limit_.load(std::memory_order_relaxed);
        std::int64_t now = current_.load(std::memory_order_relaxed);
        do {
            if (limit > 0 && now >= limit) {
                return false;
            }
        } while (!current_.compare_exchange_weak(now, now + 1, std::memory_order_acq_rel,
                                                 std::memory_order_relaxed));
        return true;
    }

    void leave() { current_.fetch_sub(1, std::memory_order_acq_rel); }

    // A lower limit applies to new clients only; connected ones stay.
    void set_limit(std::int64_t limit) { limit_.store(limit, std::memory_order_relaxed); }
    std::int64_t limit() const { return limit_.load(std::memory_order_relaxed); }
    std::int64_t current() const { return current_.load(std::memory_order_relaxed); }

  private:
    alignas(64) std::atomic<std::int64_t> current_{0};
    std::atomic<std::int64_t> limit_;
};

// Holds one place in each of up to two gates (process, pool) for a connection's lifetime.
class admission_ticket {
  public:
    admission_ticket() = default;
    // Enters `outer` then `inner`; on failure nothing is held and the ticket is empty.
    static admission_ticket try_admit(admission_gate& outer, admission_gate& inner) {
        if (!outer.try_enter()) {
            return {};
        }
        if (!inner.try_enter()) {
            outer.leave();
            return {};
        }
        return admission_ticket(&outer, &inner);
    }

    admission_ticket(admission_ticket&& other) noexcept
        : outer_(std::exchange(other.outer_, nullptr)),
          inner_(std::exchange(other.inner_, nullptr)) {}
    admission_ticket& operator=(admission_ticket&& other) noexcept {
        if (this != &other) {
            reset();
            outer_ = std::exchange(other.outer_, nullptr);
            inner_ = std::exchange(other.inner_, nullptr);
        }
        return *this;
    }
    ~admission_ticket() { reset(); }

    explicit operator bool() const { return outer_ != nullptr; }

    void reset() {
        if (inner_ != nullptr) {
            inner_->leave();
        }
        if (outer_ != nullptr) {
            outer_->leave();
        }
        outer_ = inner_ = nullptr;
    }

  private:
    admission_ticket(admission_gate* outer, admission_gate* inner) : outer_(outer), inner_(inner) {}
    admission_gate* outer_ = nullptr;
    admission_gate* inner_ = nullptr;
};

}  // namespace coproxy::runtime
