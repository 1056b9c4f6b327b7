// Start-up, per-worker pool wiring and shutdown of the worker set; reload is in proxy_reload.cpp.
#include "coproxy/process/proxy.hpp"

#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <random>

#include "coproxy/frontend/commands.hpp"
#include "coproxy/runtime/spawn.hpp"

namespace coproxy::process {
namespace {

using frontend::close_pair;
using frontend::slot_index;

using namespace std::chrono_literals;
using runtime::nothrow;

struct victim {
    slot_index index;
    std::uint32_t generation;
};

runtime::task<void> close_one_by_one(worker_state& state, std::vector<victim> victims,
                                     std::chrono::milliseconds window) {
    runtime::steady_timer timer(state.worker.get_executor());
    const auto step = victims.empty() ? 0ms : window / static_cast<long>(victims.size());
    for (const auto& v : victims) {
        // The generation check skips a slot whose client left and whose entry was reused.
        if (state.slab.live(v.index) && state.slab.generation(v.index) == v.generation) {
            close_pair(state.slab[v.index]);
        }
        timer.expires_after(step);
        co_await timer.async_wait(nothrow);
    }
}

}  // namespace

proxy::proxy(const config::process_options& options, unsigned workers)
    : options_(options), process_gate_(options.max_clients), listeners_(workers) {
    for (unsigned w = 0; w < workers; ++w) {
        workers_.push_back(std::make_unique<runtime::worker>(w));
        // Any worker may be handed every client, so each slab holds the process-wide limit;
        // untouched slots cost no memory.
        states_.push_back(std::make_unique<worker_state>(
            *workers_.back(), static_cast<std::size_t>(options.max_clients), options.mbuf_size,
            process_gate_));
    }
}

proxy::~proxy() {
    for (auto& w : workers_) {
        w->stop();
    }
    for (auto& w : workers_) {
        w->join();
    }
    // Teardown order matters. Sockets and timers must go while their io_context lives; the
    // io_context's destruction then destroys suspended coroutine frames, whose locals return
    // buffers and requests to the per-worker pools, so those pools must outlive it.
    for (auto& state : states_) {
        state->slab.clear();
        state->pools.clear();
        state->retiring.clear();
    }
    listeners_.clear();
    workers_.clear();
    states_.clear();
    for (const auto& [address, state] : addresses_) {
        if (!state.unix_path.empty()) {
            ::unlink(state.unix_path.c_str());
        }
    }
}

pool_shared proxy::make_pool(const config::pool_config& pool, int family) {
    pool_shared shared;
    shared.config = std::make_shared<const config::pool_config>(pool);
    shared.stats = std::make_shared<runtime::pool_stats>(pool.name, worker_count(),
                                                         frontend::command_slots(pool.protocol));
    for (const auto& server : pool.servers) {
        shared.servers.push_back(
            std::make_shared<runtime::server_stats>(server.display_name(), worker_count()));
    }
    shared.gate = std::make_shared<runtime::admission_gate>(pool.client_connections);
    shared.family = family;
    return shared;
}

std::shared_ptr<pool_entry> proxy::add_entry(unsigned w, const pool_shared& shared) {
    worker_state& state = *states_[w];
    auto entry = std::make_shared<pool_entry>();
    entry->service = std::make_shared<frontend::pool_service>(state, shared);
    state.pools[shared.config->name] = entry;
    return entry;
}

void proxy::add_listener(unsigned w, const std::string& address, runtime::unique_fd fd,
                         runtime::stream_protocol protocol, std::shared_ptr<pool_entry> entry) {
    listeners_[w][address] = std::make_shared<frontend::listener>(
        *states_[w], std::move(fd), protocol, address, std::move(entry));
}

void proxy::start_entry(unsigned w, const std::string& name, pool_entry& entry) {
    entry.service->start([this, w, name](std::uint32_t server, runtime::clock::time_point until) {
        broadcast_ejection(name, w, server, until);
    });
}

std::string proxy::start(const config::config& cfg) {
    std::vector<std::pair<const config::pool_config*, runtime::opened_listener>> opened;
    for (const auto& pool : cfg.pools) {
        auto sockets =
            runtime::open_listener(pool.listen, pool.backlog, pool.reuseport, worker_count());
        if (!sockets.error.empty()) {
            return "pool '" + pool.name + "': cannot listen on " + pool.listen.to_string() + ": " +
                   sockets.error;
        }
        opened.emplace_back(&pool, std::move(sockets));
    }
    {
        std::lock_guard<std::mutex> lock(registry_mutex_);
        config_ = cfg;
        for (auto& [pool, sockets] : opened) {
            const std::string address = pool->listen.to_string();
            const pool_shared shared = make_pool(*pool, sockets.protocol.family());
            pools_[pool->name] = shared;
            addresses_[address] = {pool->name, sockets.protocol.family(), pool->listen.path};
            for (unsigned w = 0; w < worker_count(); ++w) {
                auto entry = add_entry(w, shared);
                add_listener(w, address, std::move(sockets.per_worker[w]), sockets.protocol, entry);
            }
        }
    }
    for (unsigned w = 0; w < worker_count(); ++w) {
        workers_[w]->post([this, w] {
            for (auto& [name, entry] : states_[w]->pools) {
                start_entry(w, name, *entry);
            }
            for (auto& [address, l] : listeners_[w]) {
                l->start();
            }
            asio::co_spawn(workers_[w]->get_executor(), housekeeping(*states_[w]),
                           runtime::log_exceptions{"housekeeping"});
        });
        workers_[w]->start();
    }
    return {};
}

void proxy::broadcast_ejection(const std::string& pool, unsigned from, std::uint32_t server,
                               runtime::clock::time_point until) {
    for (unsigned w = 0; w < worker_count(); ++w) {
        if (w == from) {
            continue;
        }
        workers_[w]->post([this, w, pool, server, until] {
            auto it = states_[w]->pools.find(pool);
            if (it != states_[w]->pools.end()) {
                it->second->service->apply_ejection(server, until);
            }
        });
    }
}

// Once a second on each worker until it stops: replaced services whose last request in flight
// has been answered close their server connections; and glibc, which keeps freed heap memory for
// reuse, gives it back to the system after a burst (many clients, large values), from one worker,
// every 10 s.
runtime::task<void> proxy::housekeeping(worker_state& state) {
    runtime::steady_timer timer(state.worker.get_executor());
    while (!state.stopping) {
        auto& retiring = state.retiring;
        retiring.erase(std::remove_if(retiring.begin(), retiring.end(),
                                      [](const std::shared_ptr<frontend::pool_service>& s) {
                                          if (s->keyed() && s->keyed()->load() > 0) {
                                              return false;
                                          }
                                          if (s->keyed()) {
                                              s->keyed()->stop();
                                          }
                                          return true;
                                      }),
                       retiring.end());
        if (state.worker.id() == 0 && ++state.ticks % 10 == 0) {
            ::malloc_trim(0);
        }
        timer.expires_after(1s);
        co_await timer.async_wait(nothrow);
    }
}

std::int64_t proxy::sessions() const {
    std::int64_t total = 0;
    for (const auto& s : states_) {
        total += s->sessions.load(std::memory_order_relaxed);
    }
    return total;
}

std::vector<proxy::pool_view> proxy::pools() const {
    std::lock_guard<std::mutex> lock(registry_mutex_);
    std::vector<pool_view> out;
    for (const auto& [name, shared] : pools_) {
        out.push_back({shared, shared.config->listen.to_string()});
    }
    return out;
}

config::config proxy::current_config() const {
    std::lock_guard<std::mutex> lock(registry_mutex_);
    return config_;
}

config::process_options proxy::current_options() const {
    std::lock_guard<std::mutex> lock(registry_mutex_);
    return options_;
}

void proxy::stop_accepting(worker_state& state, std::function<void()> on_drained) {
    state.stopping = true;
    state.on_drained = std::move(on_drained);
    for (auto& [address, l] : listeners_[state.worker.id()]) {
        l->close();
    }
    for (auto& [name, entry] : state.pools) {
        entry->service->stop();
    }
    // Keyed clients close at their next request boundary, once their replies are written.
    state.slab.for_each([](slot_index, frontend::client_slot& slot) {
        if (slot.session) {
            slot.session->drain();
        }
    });
    if (state.sessions.load(std::memory_order_relaxed) == 0) {
        state.on_drained();
    }
}

// Closes the remaining connections (of one pool, or all) one by one across `window`, in random
// order, so their clients do not all reconnect in the same instant.
void proxy::close_spread(worker_state& state, std::chrono::milliseconds window,
                         const std::shared_ptr<pool_entry>& only) {
    std::vector<victim> victims;
    state.slab.for_each([&](slot_index i, frontend::client_slot& slot) {
        if (!only || slot.entry == only) {
            victims.push_back({i, state.slab.generation(i)});
        }
    });
    std::shuffle(victims.begin(), victims.end(), std::minstd_rand(std::random_device{}()));
    asio::co_spawn(state.worker.get_executor(), close_one_by_one(state, std::move(victims), window),
                   runtime::log_exceptions{"closing connections"});
}

runtime::task<void> proxy::shutdown(std::chrono::milliseconds drain_delay,
                                    std::chrono::milliseconds timeout) {
    draining_ = true;
    // One timer serves as deadline and wake-up: each worker, when its last session has ended,
    // posts a cancel of it to this loop, which then looks again. Shared, because such a message
    // may arrive after this coroutine is done.
    auto control = co_await asio::this_coro::executor;
    auto timer = std::make_shared<asio::steady_timer>(control);
    if (drain_delay.count() > 0) {
        spdlog::info("draining: readiness off, still accepting for {} ms", drain_delay.count());
        timer->expires_after(drain_delay);
        co_await timer->async_wait(nothrow);
    }
    for (auto& state : states_) {
        state->worker.post([this, s = state.get(), timer, control] {
            stop_accepting(*s,
                           [timer, control] { asio::post(control, [timer] { timer->cancel(); }); });
        });
    }
    spdlog::info("listeners closed; {} connections open, waiting up to {} ms", sessions(),
                 timeout.count());
    const auto deadline = runtime::clock::now() + timeout;
    const auto spread = std::min<std::chrono::milliseconds>(timeout / 10, 5s);
    bool spreading = false;
    while (sessions() > 0) {
        const auto now = runtime::clock::now();
        if (!spreading && now >= deadline - spread) {
            spdlog::info("shutdown timeout near: closing {} connections over {} ms", sessions(),
                         spread.count());
            for (auto& state : states_) {
                state->worker.post([this, s = state.get(), spread] { close_spread(*s, spread); });
            }
            spreading = true;
        }
        if (now >= deadline + 2s) {
            spdlog::warn("{} connections still open after the shutdown timeout; stopping",
                         sessions());
            break;
        }
        timer->expires_at(spreading ? deadline + 2s : deadline - spread);
        co_await timer->async_wait(nothrow);
    }
    for (auto& w : workers_) {
        w->stop();
    }
    for (auto& w : workers_) {
        w->join();
    }
    spdlog::info("all workers stopped");
}

}  // namespace coproxy::process
