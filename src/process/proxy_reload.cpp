// Hot reload: a plan made on the calling thread (the pure diff of reload_diff.hpp, then new
// sockets bound before anything changes, so a bind error leaves the running config alone), then
// applied by every worker on its own thread.
#include <unistd.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>

#include "coproxy/process/proxy.hpp"
#include "coproxy/process/reload_diff.hpp"
#include "coproxy/runtime/spawn.hpp"

namespace coproxy::process {

using namespace std::chrono_literals;
using runtime::nothrow;

struct proxy::plan {
    struct pool_change {
        std::string name;
        pool_shared shared;
    };
    struct new_listener {
        std::string address;
        std::string pool;
        runtime::stream_protocol protocol{AF_INET, 0};
        std::vector<int> fds;  // one per worker; each worker takes its own
    };
    std::vector<std::string> removed;  // dropped pools, and pools whose protocol changed
    std::vector<pool_change> added;    // new pools, and the new form of a protocol change
    std::vector<pool_change> changed;  // same protocol, new settings or servers
    std::vector<new_listener> opened;
    std::vector<std::string> closed;
    std::vector<std::pair<std::string, std::string>> retarget;  // address -> pool
    std::chrono::milliseconds shutdown_timeout{0};
};

pool_shared proxy::change_pool(const pool_shared& old, const config::pool_config& pool) {
    pool_shared shared = old;  // counters and the admission gate continue
    shared.config = std::make_shared<const config::pool_config>(pool);
    shared.servers.clear();
    for (const auto& server : pool.servers) {
        const std::string name = server.display_name();
        auto same = std::find_if(old.servers.begin(), old.servers.end(),
                                 [&](const auto& s) { return s->name == name; });
        shared.servers.push_back(
            same != old.servers.end()
                ? *same
                : std::make_shared<runtime::server_stats>(name, worker_count()));
    }
    shared.gate->set_limit(pool.client_connections);
    return shared;
}

std::string proxy::reload(const config::config& next, const config::process_options& options) {
    std::lock_guard<std::mutex> serial(reload_mutex_);
    auto p = std::make_shared<plan>();
    std::map<std::string, pool_shared> next_pools;
    std::map<std::string, address_state> next_addresses;
    reload_diff diff;
    {
        std::lock_guard<std::mutex> lock(registry_mutex_);
        diff = diff_configs(config_, next);
        for (const auto& pool : next.pools) {
            const std::string address = pool.listen.to_string();
            const auto open = addresses_.find(address);
            const int family = open != addresses_.end() ? open->second.family : AF_INET;
            next_addresses[address] = {pool.name, family, pool.listen.path};
            const auto old = pools_.find(pool.name);
            if (old == pools_.end() || old->second.config->protocol != pool.protocol) {
                next_pools[pool.name] = make_pool(pool, family);
            } else if (std::count(diff.changed.begin(), diff.changed.end(), pool.name) != 0) {
                next_pools[pool.name] = change_pool(old->second, pool);
            } else {
                next_pools[pool.name] = old->second;
            }
        }
    }
    // Bind what is new before changing anything: a failure leaves the running config as it is.
    for (const auto& address : diff.opened) {
        const auto& pool = *std::find_if(next.pools.begin(), next.pools.end(), [&](const auto& c) {
            return c.listen.to_string() == address;
        });
        auto opened =
            runtime::open_listener(pool.listen, pool.backlog, pool.reuseport, worker_count());
        if (!opened.error.empty()) {
            for (auto& l : p->opened) {
                for (int fd : l.fds) {
                    ::close(fd);
                }
            }
            record_reload(false);
            return "pool '" + pool.name + "': cannot listen on " + address + ": " + opened.error;
        }
        plan::new_listener l{address, pool.name, opened.protocol, {}};
        for (auto& fd : opened.per_worker) {
            l.fds.push_back(fd.release());
        }
        next_addresses[address].family = opened.protocol.family();
        next_pools[pool.name].family = opened.protocol.family();
        p->opened.push_back(std::move(l));
    }
    for (const auto& name : diff.added) {
        p->added.push_back({name, next_pools[name]});
    }
    for (const auto& name : diff.changed) {
        p->changed.push_back({name, next_pools[name]});
    }
    p->removed = diff.removed;
    p->closed = diff.closed;
    p->retarget = diff.retargeted;
    p->shutdown_timeout = options.shutdown_timeout;
    for (unsigned w = 0; w < worker_count(); ++w) {
        workers_[w]->post([this, w, p] { apply(w, p); });
    }
    {
        std::lock_guard<std::mutex> lock(registry_mutex_);
        for (const auto& address : p->closed) {
            if (!addresses_[address].unix_path.empty()) {
                ::unlink(addresses_[address].unix_path.c_str());
            }
        }
        pools_ = std::move(next_pools);
        addresses_ = std::move(next_addresses);
        config_ = next;
        options_.max_clients = options.max_clients;
        options_.shutdown_timeout = options.shutdown_timeout;
        options_.drain_delay = options.drain_delay;
        options_.verbose = options.verbose;
    }
    process_gate_.set_limit(options.max_clients);
    record_reload(true);
    spdlog::info("configuration reloaded (generation {}): {} pools added, {} changed, {} removed",
                 generation(), p->added.size(), p->changed.size(), p->removed.size());
    return {};
}

void proxy::record_reload(bool ok) {
    if (ok) {
        ++reloads_ok_;
        ++generation_;
    } else {
        ++reloads_failed_;
    }
}

void proxy::remove_pool(worker_state& state, const std::string& name,
                        std::chrono::milliseconds timeout) {
    auto it = state.pools.find(name);
    if (it == state.pools.end()) {
        return;
    }
    auto entry = it->second;
    entry->removed = true;
    entry->service->stop();
    state.retiring.push_back(entry->service);
    state.pools.erase(it);
    // Keyed clients close at their next request boundary; tcp pairs get the shutdown timeout.
    state.slab.for_each([&](frontend::slot_index, frontend::client_slot& slot) {
        if (slot.entry == entry && slot.session) {
            slot.session->drain();
        }
    });
    if (entry->service->tcp()) {
        asio::co_spawn(state.worker.get_executor(), close_removed_later(state, entry, timeout),
                       runtime::log_exceptions{"closing a removed pool's connections"});
    }
}

// A removed tcp pool's pairs get the shutdown timeout to finish; the rest are closed over 1 s.
runtime::task<void> proxy::close_removed_later(worker_state& state,
                                               std::shared_ptr<pool_entry> entry,
                                               std::chrono::milliseconds timeout) {
    runtime::steady_timer timer(state.worker.get_executor());
    timer.expires_after(timeout);
    auto [ec] = co_await timer.async_wait(nothrow);
    if (!ec && !state.stopping) {
        close_spread(state, 1s, entry);
    }
}

void proxy::apply(unsigned w, const std::shared_ptr<const plan>& p) {
    worker_state& state = *states_[w];
    if (state.stopping) {
        return;
    }
    for (const auto& name : p->removed) {
        remove_pool(state, name, p->shutdown_timeout);
    }
    for (const auto& change : p->added) {
        auto entry = add_entry(w, change.shared);
        start_entry(w, change.name, *entry);
    }
    for (const auto& change : p->changed) {
        auto& entry = state.pools.at(change.name);
        auto old = std::exchange(entry->service,
                                 std::make_shared<frontend::pool_service>(state, change.shared));
        start_entry(w, change.name, *entry);
        old->stop();
        state.retiring.push_back(std::move(old));
    }
    auto& mine = listeners_[w];
    for (const auto& address : p->closed) {
        if (auto it = mine.find(address); it != mine.end()) {
            it->second->close();
            mine.erase(it);
        }
    }
    for (const auto& l : p->opened) {
        add_listener(w, l.address, runtime::unique_fd(l.fds[w]), l.protocol,
                     state.pools.at(l.pool));
        mine.at(l.address)->start();
    }
    for (const auto& [address, pool] : p->retarget) {
        mine.at(address)->retarget(state.pools.at(pool));
    }
    // A pool whose protocol changed got a new entry; its listener must follow it.
    for (const auto& change : p->added) {
        for (auto& [address, l] : mine) {
            if (l->target_name() == change.name) {
                l->retarget(state.pools.at(change.name));
            }
        }
    }
}

}  // namespace coproxy::process
