// The admin HTTP endpoint (--admin-addr) and twemproxy's stats port (-s/-a/-i), both served by
// the workers' own event loops: every worker accepts on its own SO_REUSEPORT socket and answers
// without blocking; nothing here is on a request's data path.
//
//   GET /metrics   Prometheus exposition          GET /config  effective config, secrets redacted
//   GET /healthz   every worker loop answers       GET /stats   twemproxy's stats JSON
//   GET /readyz    listening, every pool reachable, not draining
//   POST /reload   re-read the config file and apply it
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "coproxy/process/proxy.hpp"

namespace coproxy::admin {

// Reloads the configuration off the caller's thread and reports the errors (empty: applied)
// through `done`, which may run on any thread.
using reload_function = std::function<void(std::function<void(std::string errors)> done)>;

class admin_server {
  public:
    admin_server(process::proxy& proxy, reload_function reload);
    ~admin_server();

    // "host:port" (empty: disabled). Returns an error when the address cannot be bound;
    // `in_use` says the reason is that someone else listens there.
    std::string start_http(const std::string& address, bool* in_use = nullptr);
    // nutcracker's stats port: writes the JSON document and closes. `interval` is -i: the
    // document is aggregated at most that often, as nutcracker does.
    std::string start_stats(const std::string& addr, int port, std::chrono::milliseconds interval);
    void stop();

  private:
    struct state;
    std::shared_ptr<state> state_;
};

}  // namespace coproxy::admin
