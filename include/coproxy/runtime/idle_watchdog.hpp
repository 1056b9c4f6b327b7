// The idle watchdog of every client connection (keyed sessions and tcp pairs): it completes once
// the connection has been idle for `idle`, measured from `last_active`, which each transfer stamps.
// One timer, re-armed only when it fires, so a busy connection costs no timer operation per
// transfer. `state()` says what the connection is doing when the timer fires: waiting for its
// client (idleness), busy waiting for something else (a reply from a server: not idleness), or
// over (the watch ends). Works with any completion token: a handler, or `nothrow` inside `||`.
// Cancelling the wait (per operation, or the timer) or an ended connection completes it with
// operation_aborted.
#pragma once

#include <boost/asio/compose.hpp>
#include <chrono>

#include "coproxy/runtime/types.hpp"

namespace coproxy::runtime {

enum class activity : std::uint8_t { waiting, busy, ended };

template <class State, class Token>
auto async_wait_idle(steady_timer& timer, clock::time_point& last_active,
                     std::chrono::milliseconds idle, State state, Token&& token) {
    return asio::async_compose<Token, void(boost::system::error_code)>(
        [&timer, &last_active, idle, state, armed = false](
            auto& self, boost::system::error_code ec = {}) mutable {
            if (armed) {
                const activity now_doing = ec ? activity::ended : state();
                if (now_doing == activity::ended) {
                    self.complete(ec ? ec : asio::error::operation_aborted);
                    return;
                }
                const auto now = clock::now();
                if (now_doing == activity::busy) {
                    last_active = now;
                } else if (now - last_active >= idle) {
                    self.complete({});
                    return;
                }
            }
            armed = true;
            timer.expires_at(last_active + idle);
            timer.async_wait(std::move(self));
        },
        token, timer);
}

}  // namespace coproxy::runtime
