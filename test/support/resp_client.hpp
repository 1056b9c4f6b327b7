// A blocking RESP2 client for integration tests: commands go out as multibulk, replies come back
// as a small tree. Deliberately independent of coproxy's own codec, so a codec bug cannot hide
// behind a test that parses with the code under test.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "support/socket.hpp"

namespace coproxy::test {

struct resp_reply {
    char type = 0;     // '+', '-', ':', '$' or '*'
    bool nil = false;  // $-1 or *-1
    std::string text;  // status, error, integer digits or bulk payload
    std::vector<resp_reply> elements;

    bool is_ok() const { return type == '+' && text == "OK"; }
    // One line for failure messages: +OK, -ERR ..., :3, "bulk" (escaped), (nil), [n elements].
    std::string describe() const;
};

// Appends `args` as one RESP multibulk command to `out`; pipelines are built by appending.
void append_resp_command(std::string& out, const std::vector<std::string_view>& args);

class resp_client {
  public:
    // Connects to 127.0.0.1:port; nullopt when nobody listens.
    static std::optional<resp_client> connect(int port);

    bool send(std::string_view bytes) { return socket_.send_all(bytes); }
    // The next complete reply; nullopt on EOF, timeout or a malformed reply.
    std::optional<resp_reply> read_reply();
    // Sends one command and reads its reply.
    std::optional<resp_reply> call(const std::vector<std::string_view>& args);

  private:
    explicit resp_client(client_socket s) : socket_(std::move(s)) {}
    std::optional<std::string> read_line();
    std::optional<std::string> read_bytes(std::size_t n);
    bool fill();

    client_socket socket_;
    std::string buffer_;
    std::size_t pos_ = 0;
};

// `text` with bytes outside printable ASCII as \xNN, for failure messages.
std::string escape_bytes(std::string_view text);

}  // namespace coproxy::test
