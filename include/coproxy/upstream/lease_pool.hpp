// Leased server connections, beside the pipelined shared ones: a client session that needs
// connection state on a server (a transaction, WATCH, a blocking command, subscriptions) holds one
// connection to that server for itself, and gives it back clean. Per server and worker at most
// `pinned_connections` are leased or kept; past that a lease is refused at once (the client gets
// an error, its connection stays). Idle ones are kept warm and reused: a transaction never opens
// a connection of its own once the pool is warm. A connection given back in an unknown state gets
// RESET (then AUTH and SELECT again) before its next client, or is closed; a subscriber's is
// always closed. One worker owns a pool; not thread-safe.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "coproxy/upstream/server_connection.hpp"
#include "coproxy/upstream/server_set.hpp"

namespace coproxy::upstream {

// What a lease's holder hears from its connection.
class lease_holder : public stream_listener {
  public:
    // The connection failed: whatever server-side state it held (MULTI, WATCH, subscriptions) is
    // gone. Requests in flight on it have their error replies already.
    virtual void lease_lost(std::uint32_t server, const std::string& reason) = 0;
    void on_stream_reply(std::uint32_t, std::string_view) override {}

  protected:
    ~lease_holder() = default;
};

class lease_pool;

class lease {
  public:
    enum class end : std::uint8_t {
        clean,  // the connection is as new (EXEC, DISCARD, UNWATCH, a blocking command answered)
        reset,  // unknown: RESET it (and AUTH/SELECT again) before it serves anyone else
        close,  // never reuse it (a client gone mid-block, a subscriber)
    };

    lease() = default;
    lease(lease&& o) noexcept = default;
    lease& operator=(lease&& o) noexcept;
    ~lease();

    explicit operator bool() const { return slot_ != nullptr; }
    std::uint32_t server() const;
    bool lost() const;
    // Idle: nothing queued or awaiting a reply.
    bool idle() const;
    void submit(request_ptr r);
    // Gives the connection back to its pool (or closes it), as `how` says.
    void release(end how);

  private:
    friend class lease_pool;
    struct slot;
    explicit lease(std::shared_ptr<slot> s) : slot_(std::move(s)) {}
    std::shared_ptr<slot> slot_;  // shared: a lease may outlive its pool (then it is lost)
};

class lease_pool {
  public:
    lease_pool(runtime::executor ex, std::shared_ptr<const backend_protocol> protocol,
               server_set& servers, runtime::buffer_pool& buffers, runtime::flush_queue& flushes,
               request_pool& requests);
    lease_pool(const lease_pool&) = delete;
    lease_pool& operator=(const lease_pool&) = delete;
    ~lease_pool();

    // A connection to `server` for `holder` alone, warm when one is idle; an empty lease when
    // pinned_connections are already leased (counted in lease_refusals). `stream`: a
    // subscriber's, whose replies all go to holder.on_stream_reply().
    lease acquire(std::uint32_t server, lease_holder& holder, bool stream);
    void stop();

    std::size_t in_use(std::uint32_t server) const { return servers_in_use_[server]; }
    std::size_t idle(std::uint32_t server) const;

  private:
    friend class lease;
    void give_back(const std::shared_ptr<lease::slot>& s, lease::end how);
    void reset_done(lease::slot* s, bool ok);
    void destroy(lease::slot* s);

    runtime::executor executor_;
    std::shared_ptr<const backend_protocol> protocol_;
    server_set& servers_;
    runtime::buffer_pool& buffers_;
    runtime::flush_queue& flushes_;
    request_pool& requests_;
    std::vector<std::shared_ptr<lease::slot>> slots_;  // every leased, idle or resetting one
    std::vector<std::size_t> servers_in_use_;          // leased or resetting, per server
    bool stopped_ = false;
};

}  // namespace coproxy::upstream
