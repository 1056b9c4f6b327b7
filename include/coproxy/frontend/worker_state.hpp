// What one worker owns on the client side: its connection slab (entries hold everything that lives
// as long as a connection), its I/O buffer pool, and its pools. Touched only on the worker's
// thread, except the few atomics the main thread reads while shutting down.
#pragma once

#include <algorithm>
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "coproxy/runtime/admission.hpp"
#include "coproxy/runtime/buffer_pool.hpp"
#include "coproxy/runtime/flush_queue.hpp"
#include "coproxy/runtime/log.hpp"
#include "coproxy/runtime/slab.hpp"
#include "coproxy/runtime/transport.hpp"
#include "coproxy/runtime/types.hpp"
#include "coproxy/runtime/worker.hpp"
#include "coproxy/upstream/request.hpp"
#include "coproxy/upstream/tcp_upstream.hpp"

namespace coproxy::frontend {

class pool_service;
struct pool_entry;

// A keyed (Redis, memcached) session's state, owned by the client's slab entry.
class session_state {
  public:
    virtual ~session_state() = default;
    // Stop reading at the next request boundary; close once the pending replies are written.
    virtual void drain() = 0;
    // End now: nothing more is written (shutdown timeout).
    virtual void abort() = 0;
};

// One client connection's slab entry.
struct client_slot {
    client_slot(runtime::stream_socket s, runtime::admission_ticket t, runtime::buffer_pool& pool)
        : client(std::move(s)), ticket(std::move(t)), in(pool), out(pool) {}

    runtime::transport client;  // the client's connection
    runtime::admission_ticket ticket;
    runtime::buffer_lease in;   // bytes from the client, held only while moving
    runtime::buffer_lease out;  // bytes to the client (tcp relay), held only while moving
    std::optional<upstream::tcp_connection> server;  // tcp pools: the paired server connection
    runtime::clock::time_point last_active = runtime::clock::now();
    std::shared_ptr<pool_entry> entry;       // the pool; its service is the current one
    std::shared_ptr<pool_service> service;   // the service at accept (a tcp pair keeps its server)
    std::unique_ptr<session_state> session;  // keyed pools
};

using slot_index = runtime::slab<client_slot>::index_type;

// A pool as a worker knows it. Keyed clients reach the pool's current service through it, so a
// reload can swap the service (new servers) under connected clients.
struct pool_entry {
    std::shared_ptr<pool_service> service;
    bool removed = false;
};

class worker_state {
  public:
    worker_state(runtime::worker& w, std::size_t slab_capacity, std::size_t buffer_size,
                 runtime::admission_gate& gate)
        : worker(w),
          slab(slab_capacity),
          buffers(buffer_size, 256),
          relay_buffers(std::max<std::size_t>(buffer_size, relay_buffer_size), 64),
          process_gate(gate),
          flushes(w.get_executor()) {}

    // tcp relays move bulk data: 64 KiB per read/write moves half again as much as 16 KiB per
    // core (iperf3 through one worker, bench/tcp.sh). Held only while bytes are moving.
    static constexpr std::size_t relay_buffer_size = 64 * 1024;

    runtime::worker& worker;
    runtime::slab<client_slot> slab;
    runtime::buffer_pool buffers;
    runtime::buffer_pool relay_buffers;
    upstream::request_pool requests;
    runtime::admission_gate& process_gate;
    runtime::flush_queue flushes;  // writes batched per event-loop round
    // Scratch for one gather write at a time (flushes never nest): one per worker instead of a
    // vector per client that would keep its largest batch's capacity for the client's lifetime.
    std::vector<asio::const_buffer> gather;
    std::map<std::string, std::shared_ptr<pool_entry>> pools;
    // Services replaced by a reload that still have requests in flight.
    std::vector<std::shared_ptr<pool_service>> retiring;
    runtime::log_limiter reject_log;

    // Open client sessions; read by the main thread to know when a drain is complete.
    std::atomic<std::int64_t> sessions{0};
    bool stopping = false;  // listeners closed; new accepts are refused
    // Set while shutting down: called when this worker's last session has ended.
    std::function<void()> on_drained;
    std::uint64_t ticks = 0;  // housekeeping seconds
    std::uint32_t sessions_started = 0;
};

// Ends a client's connection now: a tcp pair's sockets are closed, a keyed session aborts.
void close_pair(client_slot& slot);

}  // namespace coproxy::frontend
