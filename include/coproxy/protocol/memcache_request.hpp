// Memcached request codec for the client side of the proxy: frames one request (command line plus
// data block) from the front of a buffer, validates it exactly as memcached 1.6 does, and gives the
// routing facts (command, keys, quiet, byte ranges). The encoders rewrite requests for forwarding.
#pragma once

#include <array>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "coproxy/protocol/memcache_command.hpp"

namespace coproxy::protocol::memcache {

struct request_limits {
    // memcached processes a line of any length that its 16 KiB read buffer holds with its newline
    // (an unknown 5000-byte command gets ERROR and the connection carries on), and closes one that
    // passes 2048 bytes before its newline has arrived, unless it is a multi-get: so what happens
    // depends on how TCP split the line. Being split-invariant, we take any line up to max_line
    // (its \r\n aside) and close on a longer one; sessions use memcached's 16 KiB.
    std::size_t max_line = 2048;
    std::size_t max_retrieval_line = 1024 * 1024;  // get/gets/gat/gats; unbounded in memcached
    std::size_t max_value = 1024 * 1024;           // data block of set/add/.../ms (memcached -I)
};

// One parsed request. Every view points into the buffer given to the parse() that returned ok.
struct request {
    command cmd = command::get;
    std::string_view raw;                      // the whole request: command line and data block
    std::string_view line;                     // the command line, terminator included
    std::span<const std::string_view> tokens;  // the line split on ' '; tokens[0] is the command
    std::span<const std::string_view> keys;    // get family: 0..n, mn/version/...: 0, else 1
    std::string_view exptime;                  // gat/gats
    std::string_view data;                     // storage and ms: the data block without its \r\n
    bool quiet = false;                        // `noreply` (last token) or a meta `q` flag
    bool base64_key = false;                   // meta `b`: keys[0] is base64 (see hash_key())

    std::string_view key() const { return keys.empty() ? std::string_view{} : keys.front(); }
};

// Parses one request from the front of `input`; resumable across need_more without rescanning.
//
// Contract: `input` starts at the first unconsumed byte of the client stream. After need_more the
// caller calls again with the same bytes plus more (possibly moved). Whatever the status, the
// caller drops `consumed` bytes, writes `reply` to the client in its place in the reply order
// (empty: memcached would stay silent), and closes after it when `close` is set:
//   ok              consumed > 0, request() describes the request;
//   need_more       consumed == 0;
//   invalid         a rejected request, consumed > 0: "ERROR" for an unknown command, memcached's
//                   CLIENT_ERROR text for a malformed one. A storage line that is bad after its
//                   length parsed also has its data block skipped (memcached "swallows" it),
//                   over later calls if it has not all arrived: those calls return the same
//                   status with an empty reply;
//   too_large       a value over max_value (memcached's SERVER_ERROR, data skipped likewise), or
//                   a line over the limits: then `close`, as memcached closes;
//   binary_protocol the stream starts with 0x80 (binary protocol): `close`.
class request_parser {
  public:
    struct result {
        status st = status::need_more;
        std::size_t consumed = 0;
        std::string_view reply;  // with its \r\n; static storage
        bool close = false;
    };

    explicit request_parser(request_limits limits = {});

    result parse(std::span<const char> input);

    // Valid after ok until the next parse(); views into that call's input.
    const memcache::request& request() const { return request_; }
    // The bytes to hash for routing a meta request: the decoded key when `b` was given.
    std::string_view hash_key() const;

    // True while the data block of a rejected storage request is being skipped.
    bool swallowing() const { return swallow_ > 0; }
    void reset();

    // Bytes looked at so far (newline search and tokenizing). Tests use it to prove the parser is
    // linear: data blocks are skipped by length and no byte is searched twice.
    std::size_t scanned_bytes() const { return scanned_total_; }

  private:
    result done(status st, std::size_t consumed, std::string_view reply, bool close = false);
    result finish_line(std::span<const char> in, std::size_t line_end);
    bool line_too_long(std::span<const char> in, std::size_t length);
    void tokenize(std::string_view line);

    request_limits limits_;
    memcache::request request_;
    std::vector<std::string_view> tokens_;
    std::array<char, max_key_size> decoded_key_{};
    std::size_t decoded_size_ = 0;
    // Resumable state: offsets only, since the buffer may move between calls.
    std::size_t scanned_ = 0;       // bytes of the current line searched for '\n'
    std::size_t pending_line_ = 0;  // line length (with '\n') of a storage request awaiting data
    std::size_t pending_total_ = 0;
    std::size_t swallow_ = 0;  // bytes of a rejected data block still to skip
    status swallow_status_ = status::invalid;
    signed char retrieval_line_ = -1;  // cached "long line is a multi-get" test; -1 unknown
    bool at_stream_start_ = true;
    std::size_t scanned_total_ = 0;
};

// Appends `r` with its `noreply` token or meta `q` flag removed and the data block unchanged, so
// that the server answers it. Tokens are re-joined with single spaces and "\r\n".
void encode_without_quiet(const request& r, std::string& out);

// Appends a retrieval sub-request for some of a multi-get's keys: "get k1 k5 k9\r\n", or
// "gat <exptime> k1 k5\r\n" for gat/gats. `cmd` must be a retrieval command.
void encode_retrieval(command cmd, std::string_view exptime, std::span<const std::string_view> keys,
                      std::string& out);

}  // namespace coproxy::protocol::memcache
