// Per-worker liveness of a pool's servers with twemproxy's meaning: consecutive failures are
// counted; with auto_eject_hosts, reaching server_failure_limit takes the server out of the
// distribution for server_retry_timeout, after which it is tried again. A success resets the count.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "coproxy/runtime/types.hpp"

namespace coproxy::upstream {

class server_health {
  public:
    using time_point = runtime::clock::time_point;

    server_health(std::size_t servers, bool auto_eject, int failure_limit,
                  std::chrono::milliseconds retry_timeout)
        : state_(servers),
          auto_eject_(auto_eject),
          failure_limit_(failure_limit),
          retry_timeout_(retry_timeout) {}

    std::size_t size() const { return state_.size(); }

    bool live(std::size_t i, time_point now) const { return state_[i].ejected_until <= now; }

    void on_success(std::size_t i) { state_[i].failures = 0; }

    // Counts a failure; returns the time the server is ejected until when this one ejects it.
    std::optional<time_point> on_failure(std::size_t i, time_point now) {
        auto& s = state_[i];
        ++s.failures;
        if (!auto_eject_ || s.failures < failure_limit_) {
            return std::nullopt;
        }
        s.failures = 0;
        eject(i, now + retry_timeout_);
        return s.ejected_until;
    }

    // Applies an ejection decided here or by another worker.
    void eject(std::size_t i, time_point until) {
        if (until > state_[i].ejected_until) {
            state_[i].ejected_until = until;
            ++generation_;
        }
    }

    // Changes whenever the set of live servers may have changed, so cached distributions
    // know to rebuild. Expiry of an ejection is noticed by comparing next_change() with now.
    std::uint64_t generation() const { return generation_; }

    // The earliest future time a server comes back, or time_point::max().
    time_point next_return(time_point now) const {
        time_point next = time_point::max();
        for (const auto& s : state_) {
            if (s.ejected_until > now && s.ejected_until < next) {
                next = s.ejected_until;
            }
        }
        return next;
    }

    std::vector<bool> live_mask(time_point now) const {
        std::vector<bool> mask(state_.size());
        for (std::size_t i = 0; i < state_.size(); ++i) {
            mask[i] = live(i, now);
        }
        return mask;
    }

    int failures(std::size_t i) const { return state_[i].failures; }

  private:
    struct state {
        int failures = 0;
        time_point ejected_until{};
    };
    std::vector<state> state_;
    bool auto_eject_;
    int failure_limit_;
    std::chrono::milliseconds retry_timeout_;
    std::uint64_t generation_ = 0;
};

}  // namespace coproxy::upstream
