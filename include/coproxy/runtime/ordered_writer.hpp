// Writes a queue of messages strictly in order with non-blocking gather writes: what is ready at
// the head leaves in one write (up to a batch limit), and a message the connection took only part
// of stays at the head with its offset. Client sessions write their replies with it, server
// connections their requests; what differs (when a message may go, what happens once it is out)
// is the caller's policy:
//
//   bool ready(const Item&, std::size_t i)  item i of this batch may be written now
//   std::string_view bytes(const Item&)     its bytes (may be empty: nothing to write, still
//   popped) void written(Item&)                     written in full; popped right after bool
//   abandoned(const Item&)             (optional) drop it unwritten when it is at the head
//
// One worker owns a writer; not thread-safe.
#pragma once

#include <boost/system/error_code.hpp>
#include <cstddef>
#include <string_view>
#include <vector>

#include "coproxy/runtime/transport.hpp"

namespace coproxy::runtime {

class ordered_writer {
  public:
    enum class result : std::uint8_t {
        idle,     // nothing ready is left unwritten
        blocked,  // the connection takes no more now: wait until it is writable, then write again
        failed,   // a write error (in `ec`)
    };

    ordered_writer(std::size_t max_buffers, std::size_t max_bytes)
        : max_buffers_(max_buffers), max_bytes_(max_bytes) {}

    // `gather` is scratch space for the buffer list (a worker shares one among its connections).
    // `bytes_out` is increased by what the connection took.
    template <class Queue, class Policy>
    result write(transport& out, Queue& queue, Policy& policy,
                 std::vector<asio::const_buffer>& gather, std::size_t& bytes_out,
                 boost::system::error_code& ec) {
        for (;;) {
            drop_abandoned(queue, policy);
            if (queue.empty() || !policy.ready(queue.front(), 0)) {
                return result::idle;
            }
            gather.clear();
            std::size_t offered = 0;
            std::size_t count = 0;
            for (; count < queue.size() && gather.size() < max_buffers_ && offered < max_bytes_;
                 ++count) {
                if (!policy.ready(queue[count], count)) {
                    break;
                }
                std::string_view bytes = policy.bytes(queue[count]);
                if (count == 0) {
                    bytes.remove_prefix(head_written_);
                }
                if (!bytes.empty()) {
                    gather.push_back(asio::buffer(bytes));
                    offered += bytes.size();
                }
            }
            std::size_t n = 0;
            ec = {};
            if (!gather.empty()) {
                n = out.write_some(gather, ec);
                if (ec && !would_block(ec)) {
                    return result::failed;
                }
            }
            bytes_out += n;
            consume(queue, policy, count, n);
            if (n < offered || would_block(ec)) {
                return result::blocked;
            }
        }
    }

    std::size_t head_written() const { return head_written_; }
    // The connection is gone: the head starts from its first byte on the next one.
    void reset() { head_written_ = 0; }

  private:
    template <class Queue, class Policy>
    void drop_abandoned(Queue& queue, Policy& policy) {
        if constexpr (requires { policy.abandoned(queue.front()); }) {
            while (head_written_ == 0 && !queue.empty() && policy.abandoned(queue.front())) {
                queue.pop_front();
            }
        }
    }

    // Pops the first `count` items while `n` covers them; a partly written one keeps its offset.
    template <class Queue, class Policy>
    void consume(Queue& queue, Policy& policy, std::size_t count, std::size_t n) {
        for (std::size_t i = 0; i < count; ++i) {
            const std::size_t rest = policy.bytes(queue.front()).size() - head_written_;
            if (n < rest) {
                head_written_ += n;
                return;
            }
            n -= rest;
            head_written_ = 0;
            policy.written(queue.front());
            queue.pop_front();
        }
    }

    std::size_t max_buffers_;
    std::size_t max_bytes_;
    std::size_t head_written_ = 0;
};

}  // namespace coproxy::runtime
