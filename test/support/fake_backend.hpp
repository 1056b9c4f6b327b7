// A fake keyed backend for unit tests of the upstream side: a line protocol (one request, one
// reply per "\n"-terminated line) as a backend_protocol, and a threaded server that speaks it.
// The server answers "+<line>\n" to a line, "ERR <rest>\n" to "err <rest>", nothing more on
// that connection after "hold" (a server that hangs), and closes the connection on "bye". A
// `handshake` line, when set, is what the protocol sends on connect; the server answers it with
// `handshake_reply`.
#pragma once

#include <atomic>
#include <mutex>
#include <string>
#include <vector>

#include "coproxy/upstream/backend_protocol.hpp"
#include "support/socket.hpp"

namespace coproxy::test {

class line_protocol final : public upstream::backend_protocol {
  public:
    explicit line_protocol(std::vector<std::string> handshake = {})
        : handshake_(std::move(handshake)) {}
    std::unique_ptr<upstream::reply_reader> make_reader() const override;
    std::vector<std::string> handshake() const override { return handshake_; }
    bool is_error_reply(std::string_view reply) const override { return reply.starts_with("ERR"); }
    std::string error_reply(std::string_view reason) const override {
        return "ERR " + std::string(reason) + "\n";
    }

  private:
    std::vector<std::string> handshake_;
};

class fake_backend {
  public:
    explicit fake_backend(std::string handshake_reply = "+ok\n");
    int port() const { return server_.port(); }
    int connections() const { return server_.accepted(); }
    // Every line received, in order, across connections.
    std::vector<std::string> lines();
    void stop() { server_.stop(); }

  private:
    void serve(int fd);

    std::string handshake_reply_;
    std::mutex mutex_;
    std::vector<std::string> lines_;
    test_server server_;
};

}  // namespace coproxy::test
