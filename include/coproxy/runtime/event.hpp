// A wake-up signal between coroutines of one worker: one waiter, any number of notifiers. A notify
// with nobody waiting is remembered, so "check, then wait" never misses a wake-up. Cancellable
// (a per-operation cancellation slot, so it can be raced with `||`). Not thread-safe: one worker.
#pragma once

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/system/error_code.hpp>
#include <optional>

#include "coproxy/runtime/types.hpp"

namespace coproxy::runtime {

class event {
  public:
    using signature = void(boost::system::error_code);

    explicit event(executor ex) : executor_(ex) {}
    event(const event&) = delete;
    event& operator=(const event&) = delete;
    ~event() { cancel(); }

    // Completes at once when a notify is pending, else at the next notify() or cancel().
    template <class Token>
    auto async_wait(Token&& token) {
        return asio::async_initiate<Token, signature>(
            [this](auto handler) {
                if (signaled_) {
                    signaled_ = false;
                    complete(std::move(handler), {});
                    return;
                }
                auto slot = asio::get_associated_cancellation_slot(handler);
                if (slot.is_connected()) {
                    slot.assign([this](asio::cancellation_type) { cancel(); });
                }
                waiter_.emplace(std::move(handler));
            },
            token);
    }

    void notify() {
        if (waiter_) {
            auto handler = std::move(*waiter_);
            waiter_.reset();
            complete(std::move(handler), {});
        } else {
            signaled_ = true;
        }
    }

    // Wakes the waiter with operation_aborted; forgets a pending notify.
    void cancel() {
        signaled_ = false;
        if (waiter_) {
            auto handler = std::move(*waiter_);
            waiter_.reset();
            complete(std::move(handler), asio::error::operation_aborted);
        }
    }

    bool waiting() const { return waiter_.has_value(); }

  private:
    template <class Handler>
    void complete(Handler handler, boost::system::error_code ec) {
        auto slot = asio::get_associated_cancellation_slot(handler);
        if (slot.is_connected()) {
            slot.clear();
        }
        // Never resume the waiter inside the notifier's call stack.
        asio::post(executor_, [h = std::move(handler), ec]() mutable { std::move(h)(ec); });
    }

    executor executor_;
    std::optional<asio::any_completion_handler<signature>> waiter_;
    bool signaled_ = false;
};

}  // namespace coproxy::runtime
