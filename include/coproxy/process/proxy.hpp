// The whole proxy: workers, their pools and listeners, and the process-wide pieces they share
// (admission gates, stats). Driven from the main thread: start, reload, shut down. Everything
// worker-owned is changed only by posting to its worker; the pool registry that other threads read
// (admin endpoint, stats port) is guarded by a mutex that the data path never takes.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "coproxy/config/loader.hpp"
#include "coproxy/config/options.hpp"
#include "coproxy/frontend/listener.hpp"
#include "coproxy/frontend/pool_service.hpp"
#include "coproxy/frontend/worker_state.hpp"
#include "coproxy/runtime/listener.hpp"
#include "coproxy/runtime/worker.hpp"

namespace coproxy::process {

using frontend::pool_entry;
using frontend::pool_shared;
using frontend::worker_state;

class proxy {
  public:
    proxy(const config::process_options& options, unsigned workers);
    proxy(const proxy&) = delete;
    proxy& operator=(const proxy&) = delete;
    ~proxy();

    // Opens every listener, then starts the workers. Returns an error (nothing started) when a
    // listener cannot be opened.
    std::string start(const config::config& cfg);

    // Applies a new configuration in place: unchanged pools are not touched; a changed pool sends
    // new requests to its new servers while requests in flight finish; a removed pool's listener
    // closes and its clients are drained; new pools start. Returns errors (nothing changed) when
    // a new listener cannot be opened. Safe to call from any thread; reloads are serialised.
    std::string reload(const config::config& cfg, const config::process_options& options);
    // Counts a reload (a rejected one never reaches reload(): its file did not load).
    void record_reload(bool ok);

    // Graceful shutdown, run on the control loop: readiness fails at once; after `drain_delay`
    // every listener closes and keyed clients close at their next request boundary; the rest get
    // `timeout` to finish, then are closed, spread over the last tenth of it; the workers stop.
    runtime::task<void> shutdown(std::chrono::milliseconds drain_delay,
                                 std::chrono::milliseconds timeout);

    unsigned worker_count() const { return static_cast<unsigned>(workers_.size()); }
    std::int64_t sessions() const;
    bool draining() const { return draining_.load(); }
    runtime::admission_gate& process_gate() { return process_gate_; }
    runtime::worker& worker(unsigned w) { return *workers_[w]; }

    // What readers on other threads see: the pools now, the config text, reload counts.
    struct pool_view {
        pool_shared shared;
        std::string address;
    };
    std::vector<pool_view> pools() const;
    config::config current_config() const;
    config::process_options current_options() const;
    std::uint64_t generation() const { return generation_.load(); }
    std::uint64_t reloads_ok() const { return reloads_ok_.load(); }
    std::uint64_t reloads_failed() const { return reloads_failed_.load(); }
    runtime::clock::time_point started_at() const { return started_at_; }

  private:
    struct address_state {
        std::string pool;  // the pool it serves
        int family = AF_INET;
        std::string unix_path;
    };
    struct plan;

    pool_shared make_pool(const config::pool_config& pool, int family);
    pool_shared change_pool(const pool_shared& old, const config::pool_config& pool);
    std::shared_ptr<pool_entry> add_entry(unsigned w, const pool_shared& shared);
    void add_listener(unsigned w, const std::string& address, runtime::unique_fd fd,
                      runtime::stream_protocol protocol, std::shared_ptr<pool_entry> entry);
    void start_entry(unsigned w, const std::string& name, pool_entry& entry);
    void apply(unsigned w, const std::shared_ptr<const plan>& p);
    void remove_pool(worker_state& state, const std::string& name,
                     std::chrono::milliseconds timeout);
    runtime::task<void> housekeeping(worker_state& state);
    runtime::task<void> close_removed_later(worker_state& state, std::shared_ptr<pool_entry> entry,
                                            std::chrono::milliseconds timeout);
    void broadcast_ejection(const std::string& pool, unsigned from, std::uint32_t server,
                            runtime::clock::time_point until);
    void stop_accepting(worker_state& state, std::function<void()> on_drained);
    void close_spread(worker_state& state, std::chrono::milliseconds window,
                      const std::shared_ptr<pool_entry>& only = nullptr);

    config::process_options options_;
    runtime::admission_gate process_gate_;
    std::vector<std::unique_ptr<runtime::worker>> workers_;
    std::vector<std::unique_ptr<worker_state>> states_;
    std::vector<std::map<std::string, std::shared_ptr<frontend::listener>>>
        listeners_;  // per worker

    mutable std::mutex registry_mutex_;  // guards the three below for readers
    std::map<std::string, pool_shared> pools_;
    std::map<std::string, address_state> addresses_;
    config::config config_;

    std::mutex reload_mutex_;
    std::atomic<std::uint64_t> generation_{1};
    std::atomic<std::uint64_t> reloads_ok_{0};
    std::atomic<std::uint64_t> reloads_failed_{0};
    std::atomic<bool> draining_{false};
    runtime::clock::time_point started_at_ = runtime::clock::now();
};

}  // namespace coproxy::process
