// A Redis client: RESP (and inline) requests parsed, checked against the command table in Redis's
// order (unknown command, arity, then authentication), then answered locally (PING, ECHO, QUIT,
// SELECT 0, AUTH, HELLO, CLIENT, COMMAND), refused with the connection kept open (commands a
// sharding proxy cannot serve: Redis's own texts), sent to every server and merged (SCRIPT LOAD,
// INFO, DBSIZE, ...), run on a server connection this client leases (transactions, WATCH,
// blocking commands, subscriptions), or forwarded byte for byte to the server that holds the
// key; multi-key commands are split and merged.
//
// redis_session.cpp dispatches, redis_local.cpp answers locally, redis_stateful.cpp holds
// transactions, WATCH, blocking commands and SCAN, redis_pubsub.cpp subscriptions.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "coproxy/protocol/redis_commands.hpp"
#include "coproxy/protocol/resp.hpp"
#include "frontend/keyed_session.hpp"

namespace coproxy::frontend {

class redis_session final : public keyed_session, public upstream::lease_holder {
  public:
    redis_session(worker_state& worker, slot_index index);
    ~redis_session() override;

    void on_reply(upstream::request& r) override;
    void lease_lost(std::uint32_t server, const std::string& reason) override;
    void on_stream_reply(std::uint32_t server, std::string_view reply) override;

  protected:
    step process() override;
    std::string_view too_large_reply() const override;
    bool abandon_pending() override;

  private:
    // What CLIENT SETNAME / SETINFO / NO-EVICT / NO-TOUCH set; allocated when one is used.
    struct client_meta {
        std::string name;
        std::string lib_name;
        std::string lib_ver;
        bool no_evict = false;
        bool no_touch = false;
    };
    struct connection_state;  // redis_stateful.cpp: leases, the transaction, subscriptions
    struct pending_confirm;   // redis_pubsub.cpp

    // redis_session.cpp
    protocol::resp::limits limits(bool unauthenticated);
    void dispatch(std::span<const char> raw);
    void run(const protocol::redis::command_info& info, std::span<const char> raw);
    void copy_payload(upstream::request& r, std::span<const char> raw);
    void forward_keyed(const protocol::redis::command_info& info, std::span<const char> raw);
    void forward_multi(const protocol::redis::command_info& info, std::span<const char> raw);
    void forward_to_every_server(const protocol::redis::command_info& info,
                                 std::span<const char> raw);
    void forward_to_any_server(std::span<const char> raw);
    // The servers of a command's keys; nullopt (and the error replied) when they are not all on
    // one server or a key has no server.
    std::optional<std::uint32_t> one_server(std::span<const std::string_view> keys);

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

    // redis_stateful.cpp
    connection_state& state();
    bool in_transaction() const;
    bool subscribed() const;
    void stateful(const protocol::redis::command_info& info, std::span<const char> raw);
    void queue_in_transaction(const protocol::redis::command_info& info, std::span<const char> raw);
    void transaction_failed(std::string_view reply);
    std::string lease_for(std::uint32_t server);
    void send_held();
    void multi();
    void exec(std::span<const char> raw);
    void discard(std::span<const char> raw);
    void end_transaction();
    void watch(std::span<const char> raw);
    void unwatch(std::span<const char> raw);
    void blocking(std::span<const char> raw);
    void scan();
    void reset();
    void release_lease_when_idle();
    upstream::lease* lease_on(std::uint32_t server);

    // redis_pubsub.cpp
    void subscribe(std::string_view kind, std::span<const std::string_view> names);
    void unsubscribe(std::string_view kind, std::span<const std::string_view> names);
    void subscribed_ping();
    void resubscribe(std::uint32_t server);
    void drop_subscriber(std::uint32_t server);
    bool holds_subscriptions(std::uint32_t server);
    void release_idle_subscriber(std::uint32_t server);

    protocol::resp::request_parser parser_;
    std::vector<std::string_view> argv_;
    std::unique_ptr<client_meta> meta_;
    std::unique_ptr<connection_state> state_;
    std::int64_t id_;
    runtime::clock::time_point connected_at_ = runtime::clock::now();
    bool authenticated_ = true;
    bool quit_ = false;
};

}  // namespace coproxy::frontend
