// Memcached reply codec for the server side of the proxy: finds where one backend reply ends given
// the command it answers, classifies it, and for the get family gives the byte range of its VALUE
// blocks so the sub-replies of a split multi-get can be concatenated under one END.
#pragma once

#include <cstddef>
#include <span>

#include "coproxy/protocol/memcache_command.hpp"

namespace coproxy::protocol::memcache {

struct reply_limits {
    std::size_t max_line = 8192;  // any reply line (VALUE, VERSION, meta flags...), \r\n excluded
    std::size_t max_value = 1024 * 1024;  // one VALUE/VA data block (memcached -I)
};

// Parses one reply from the front of `input` for a request of kind `for_request`; resumable
// across need_more in linear total work (a 1 MiB value or a 100-key multi-get arriving in pieces).
//
// Contract: `input` starts at the first byte of the reply. After need_more the caller calls again
// with the same bytes plus more (possibly moved) and the same `for_request`. Results:
//   ok         consumed = the reply's size; kind() says which reply it is;
//   need_more  consumed == 0;
//   invalid    not a reply to `for_request` (the stream is out of step): close the backend;
//   too_large  a line or value over the limits: close the backend.
// A get-family reply may end with an error line instead of END; values_size() then covers the
// VALUE blocks before it.
class reply_parser {
  public:
    struct result {
        status st = status::need_more;
        std::size_t consumed = 0;
    };

    explicit reply_parser(reply_limits limits = {});

    result parse(std::span<const char> input, command for_request);

    // Valid after ok until the next parse().
    reply_status kind() const { return kind_; }
    // Get family: the VALUE blocks are the first values_size() bytes of the reply.
    std::size_t value_count() const { return value_count_; }
    std::size_t values_size() const { return values_size_; }

    void reset();

    // Bytes searched for line ends or tokenized; data blocks are skipped by length, never read.
    std::size_t scanned_bytes() const { return scanned_total_; }

  private:
    result fail(status st);

    reply_limits limits_;
    reply_status kind_ = reply_status::end;
    std::size_t value_count_ = 0;
    std::size_t values_size_ = 0;
    // Resumable state, all offsets from the start of the reply.
    std::size_t line_start_ = 0;  // first byte of the line being looked for
    std::size_t scanned_ = 0;     // bytes up to here hold no '\n' of that line
    std::size_t data_end_ = 0;    // when non-zero: end of the data block (with \r\n) being awaited
    std::size_t scanned_total_ = 0;
};

}  // namespace coproxy::protocol::memcache
