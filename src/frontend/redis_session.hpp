// A Redis client: RESP (and inline) requests parsed, checked against the command table in Redis's
// order (unknown command, arity, then authentication), then answered locally (PING, ECHO, QUIT,
// SELECT 0, AUTH, HELLO, CLIENT, COMMAND), refused with the connection kept open (commands a
// sharding proxy cannot serve: Redis's own texts), sent to every server and merged (SCRIPT LOAD,
// INFO, ...), or forwarded byte for byte to the server that holds the key; multi-key commands are
// split and merged. redis_session.cpp dispatches, redis_local.cpp answers locally.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "coproxy/protocol/redis_commands.hpp"
#include "coproxy/protocol/resp.hpp"
#include "frontend/keyed_session.hpp"

namespace coproxy::frontend {

class redis_session final : public keyed_session {
  public:
    redis_session(worker_state& worker, slot_index index);

  protected:
    step process() override;
    std::string_view too_large_reply() const override;

  private:
    // What CLIENT SETNAME / SETINFO / NO-EVICT / NO-TOUCH set; allocated when one is used.
    struct client_meta {
        std::string name;
        std::string lib_name;
        std::string lib_ver;
        bool no_evict = false;
        bool no_touch = false;
    };

    // redis_session.cpp
    protocol::resp::limits limits(bool unauthenticated);
    void dispatch(std::span<const char> raw);
    bool refused_by_transaction(const protocol::redis::command_info& info);
    void copy_payload(upstream::request& r, std::span<const char> raw);
    void forward_multi(const protocol::redis::command_info& info, std::span<const char> raw);
    void forward_to_every_server(const protocol::redis::command_info& info,
                                 std::span<const char> raw);
    void forward_to_any_server(std::span<const char> raw);

    // redis_local.cpp
    void answer_locally(const protocol::redis::command_info& info);
    void authenticate(std::span<const std::string_view> args);
    bool check_password(std::string_view user, std::string_view password);
    void hello();
    void client();
    void command();
    std::string info_reply(std::span<const std::string_view> sections,
                           std::span<const upstream::request_ptr> servers);
    std::string client_line();
    client_meta& meta();

    protocol::resp::request_parser parser_;
    std::vector<std::string_view> argv_;
    std::unique_ptr<client_meta> meta_;
    std::int64_t id_;
    runtime::clock::time_point connected_at_ = runtime::clock::now();
    bool authenticated_ = true;
    bool quit_ = false;
    // A MULTI coproxy could not serve: every command is refused until EXEC (answered
    // -EXECABORT) or DISCARD, so nothing a client queued is ever applied outside it.
    bool transaction_refused_ = false;
};

}  // namespace coproxy::frontend
