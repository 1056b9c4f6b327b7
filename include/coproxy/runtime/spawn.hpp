// The completion handler every co_spawn uses. A coroutine that ends by an exception is a bug: the
// exception is logged with what the task was, and the worker goes on serving its other connections.
// Nothing is ever spawned with `detached`, which would drop the exception without a word.
#pragma once

#include <exception>
#include <string_view>

namespace coproxy::runtime {

// Logs `e` (when set) as "<what> failed: <message>".
void log_exception(std::string_view what, std::exception_ptr e);

// A co_spawn completion token: `asio::co_spawn(ex, task(), log_exceptions{"server connection"})`.
// `what` must outlive the task (a string literal).
struct log_exceptions {
    std::string_view what;
    void operator()(std::exception_ptr e) const { log_exception(what, e); }
};

}  // namespace coproxy::runtime
