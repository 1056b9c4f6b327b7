// /healthz, /readyz and POST /reload; see checks.hpp. Answers from other threads come back by
// post() to the asking worker, into state shared by reference count, so a late answer after a
// deadline touches nothing that is gone.
#include "admin/checks.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>

#include "coproxy/runtime/event.hpp"
#include "coproxy/runtime/spawn.hpp"
#include "coproxy/upstream/connect.hpp"

namespace coproxy::admin {
namespace {

using namespace asio::experimental::awaitable_operators;
using namespace std::chrono_literals;
using runtime::nothrow;

// A count of answers still expected, and the wake-up when it reaches zero.
struct countdown {
    countdown(runtime::executor ex, std::size_t n) : done(ex), remaining(n) {}
    runtime::event done;
    std::size_t remaining;
    std::vector<std::string> notes;
    void arrive() {
        if (remaining > 0 && --remaining == 0) {
            done.notify();
        }
    }
};

// Waits for the countdown or the deadline; true when everything arrived.
runtime::task<bool> wait(const std::shared_ptr<countdown>& c, std::chrono::milliseconds deadline) {
    if (c->remaining == 0) {
        co_return true;
    }
    asio::steady_timer timer(co_await asio::this_coro::executor);
    timer.expires_after(deadline);
    co_await (c->done.async_wait(nothrow) || timer.async_wait(nothrow));
    co_return c->remaining == 0;
}

std::int64_t steady_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               runtime::clock::now().time_since_epoch())
        .count();
}

constexpr std::int64_t fresh_ms = 5000;

// Reachable by what the pool has seen lately, without probing.
bool known_reachable(const runtime::server_stats& s) {
    const auto up = s.reachable_at.load(std::memory_order_relaxed);
    const auto down = s.unreachable_at.load(std::memory_order_relaxed);
    return up > down && steady_ms() - up <= fresh_ms;
}

runtime::task<void> probe(runtime::executor ex, config::server_config server,
                          std::chrono::milliseconds timeout,
                          std::shared_ptr<runtime::server_stats> stats,
                          std::shared_ptr<countdown> c) {
    auto r = co_await upstream::connect_to(ex, server, timeout, false);
    if (r.error) {
        stats->unreachable_at.store(steady_ms(), std::memory_order_relaxed);
        c->notes.push_back(server.display_name() + ": " + r.error.message());
    } else {
        stats->reachable_at.store(steady_ms(), std::memory_order_relaxed);
    }
    c->arrive();
}

}  // namespace

runtime::task<std::string> check_workers(process::proxy& proxy, unsigned here,
                                         std::chrono::milliseconds deadline) {
    auto home = proxy.worker(here).get_executor();
    auto c = std::make_shared<countdown>(home, proxy.worker_count());
    std::vector<std::shared_ptr<std::atomic<bool>>> answered;
    for (unsigned w = 0; w < proxy.worker_count(); ++w) {
        auto flag = std::make_shared<std::atomic<bool>>(false);
        answered.push_back(flag);
        proxy.worker(w).post([home, c, flag] {
            flag->store(true);
            asio::post(home, [c] { c->arrive(); });
        });
    }
    if (co_await wait(c, deadline)) {
        co_return std::string();
    }
    std::string stuck;
    for (unsigned w = 0; w < answered.size(); ++w) {
        if (!answered[w]->load()) {
            stuck += (stuck.empty() ? "" : ", ") + std::to_string(w);
        }
    }
    co_return "worker(s) " + stuck + " did not answer within " + std::to_string(deadline.count()) +
        " ms";
}

runtime::task<std::string> check_ready(process::proxy& proxy, unsigned here) {
    if (proxy.draining()) {
        co_return std::string("draining: shutting down");
    }
    const auto pools = proxy.pools();
    if (pools.empty()) {
        co_return std::string("no pools");
    }
    for (const auto& view : pools) {
        const auto& cfg = *view.shared.config;
        bool ok = false;
        for (const auto& s : view.shared.servers) {
            ok = ok || known_reachable(*s);
        }
        if (ok) {
            continue;
        }
        // Nothing fresh says a server is up: ask them all now, in parallel.
        auto c = std::make_shared<countdown>(proxy.worker(here).get_executor(), cfg.servers.size());
        const auto timeout =
            std::min<std::chrono::milliseconds>(cfg.effective_connect_timeout(), 1s);
        for (std::size_t i = 0; i < cfg.servers.size(); ++i) {
            asio::co_spawn(proxy.worker(here).get_executor(),
                           probe(proxy.worker(here).get_executor(), cfg.servers[i], timeout,
                                 view.shared.servers[i], c),
                           runtime::log_exceptions{"admin check"});
        }
        co_await wait(c, timeout + 200ms);
        for (const auto& s : view.shared.servers) {
            ok = ok || known_reachable(*s);
        }
        if (!ok) {
            std::string why;
            for (const auto& n : c->notes) {
                why += (why.empty() ? "" : "; ") + n;
            }
            co_return "pool '" + cfg.name + "': no server reachable (" + why + ")";
        }
    }
    co_return std::string();
}

runtime::task<std::string> run_reload(const reload_function& reload, unsigned here,
                                      process::proxy& proxy) {
    auto home = proxy.worker(here).get_executor();
    auto c = std::make_shared<countdown>(home, 1);
    reload([home, c](std::string errors) {
        asio::post(home, [c, errors = std::move(errors)]() mutable {
            c->notes.push_back(std::move(errors));
            c->arrive();
        });
    });
    if (!co_await wait(c, 30s)) {
        co_return std::string("reload did not finish within 30 s");
    }
    co_return c->notes.front();
}

}  // namespace coproxy::admin
