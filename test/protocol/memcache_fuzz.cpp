// libFuzzer target for the memcached codec (requests and replies). Input: byte 0 picks the parser
// (even: client requests; odd: replies to command (byte0 / 2) % 24), byte 1 picks a split point,
// the rest is the byte stream. Invariants, checked with __builtin_trap():
//   consumed <= size; ok => consumed > 0; need_more => consumed == 0; a rejection consumes or
//   closes; the outcomes are the same whole and split in two;
//   an ok request's loud rewrite (and, for multi-gets, its sub-request) parses back to the same
//   command, keys, exptime, data and hash key, not quiet;
//   a reply's VALUE blocks are a prefix of it and the rest is its END (or error) line.
// Seeds: memcache_fuzz_corpus/, the table and golden test rows, kept equal to them by the tests
// (COPROXY_UPDATE_CORPUS=1 rewrites them).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "coproxy/protocol/memcache.hpp"

namespace {

using namespace coproxy::protocol::memcache;

// Small value limits reach the "too large" paths with small inputs.
constexpr request_limits fuzz_request_limits{
    .max_line = 2048, .max_retrieval_line = 8192, .max_value = 512};
constexpr reply_limits fuzz_reply_limits{.max_line = 512, .max_value = 512};

void check(bool ok) {
    if (!ok) {
        __builtin_trap();
    }
}

struct summary {
    command cmd;
    std::vector<std::string> keys;
    std::string exptime;
    std::string data;
    std::string hash_key;
    bool base64_key;
};

summary summarize(const request_parser& p) {
    const request& r = p.request();
    summary s{
        r.cmd,       {}, std::string(r.exptime), std::string(r.data), std::string(p.hash_key()),
        r.base64_key};
    for (std::string_view k : r.keys) {
        s.keys.emplace_back(k);
    }
    return s;
}

void check_reparses(std::string_view encoded, const summary& want) {
    request_parser p(fuzz_request_limits);
    const auto r = p.parse(encoded);
    check(r.st == status::ok && r.consumed == encoded.size());
    check(!p.request().quiet);
    const summary got = summarize(p);
    check(got.cmd == want.cmd && got.keys == want.keys && got.exptime == want.exptime);
    check(got.data == want.data && got.hash_key == want.hash_key);
    check(got.base64_key == want.base64_key);
}

void check_round_trips(const request_parser& p) {
    const request& r = p.request();
    const summary want = summarize(p);
    std::string loud;
    encode_without_quiet(r, loud);
    check_reparses(loud, want);
    if (is_retrieval(r.cmd) && !r.keys.empty()) {
        std::string sub;
        encode_retrieval(r.cmd, r.exptime, r.keys, sub);
        check_reparses(sub, want);
    }
}

// Each outcome with the bytes it consumed; the skipped tail of a rejected data block is added to
// the rejection it belongs to, so that outcomes do not depend on how the input was cut.
std::vector<std::string> run_requests(std::string_view stream, std::size_t split) {
    request_parser parser(fuzz_request_limits);
    std::string buffer;
    std::vector<std::pair<std::string, std::size_t>> outcomes;
    const auto finish = [&](bool closed) {
        std::vector<std::string> out;
        for (const auto& [what, consumed] : outcomes) {
            out.push_back(what + ":" + std::to_string(consumed));
        }
        // After a close nothing more is read, so what was left depends on the cut.
        out.push_back(closed ? "closed" : "left:" + std::to_string(buffer.size()));
        return out;
    };
    for (std::string_view piece : {stream.substr(0, split), stream.substr(split)}) {
        buffer.append(piece);
        for (;;) {
            const bool swallowing = parser.swallowing();
            const auto r = parser.parse(buffer);
            check(r.consumed <= buffer.size());
            if (r.st == status::need_more) {
                check(r.consumed == 0);
                break;
            }
            check(r.consumed > 0 || r.close);
            if (swallowing) {
                check(r.reply.empty() && !outcomes.empty());
                outcomes.back().second += r.consumed;
                buffer.erase(0, r.consumed);
                continue;
            }
            std::string what = std::to_string(static_cast<int>(r.st)) + ":" + std::string(r.reply) +
                               (r.close ? ":close" : "");
            if (r.st == status::ok) {
                check(r.reply.empty() && !r.close);
                check(parser.request().raw.size() == r.consumed);
                check_round_trips(parser);
                what += std::string(parser.request().raw);
            }
            outcomes.emplace_back(std::move(what), r.consumed);
            buffer.erase(0, r.consumed);
            if (r.close) {
                return finish(true);
            }
        }
    }
    return finish(false);
}

std::vector<std::string> run_replies(std::string_view stream, command cmd, std::size_t split) {
    reply_parser parser(fuzz_reply_limits);
    std::string buffer;
    std::vector<std::string> outcomes;
    for (std::string_view piece : {stream.substr(0, split), stream.substr(split)}) {
        buffer.append(piece);
        for (;;) {
            const auto r = parser.parse(buffer, cmd);
            check(r.consumed <= buffer.size());
            if (r.st == status::need_more) {
                check(r.consumed == 0);
                break;
            }
            if (r.st != status::ok) {
                check(r.consumed == 0);
                outcomes.push_back("fail:" + std::to_string(static_cast<int>(r.st)));
                return outcomes;
            }
            check(r.consumed > 0 && parser.values_size() < r.consumed);
            check(is_retrieval(cmd) || parser.value_count() == 0);
            const std::string_view reply(buffer.data(), r.consumed);
            const std::string_view last = reply.substr(parser.values_size());
            check(last.ends_with("\r\n"));
            check(!is_retrieval(cmd) || parser.kind() != reply_status::end || last == "END\r\n");
            outcomes.push_back(std::to_string(static_cast<int>(parser.kind())) + ":" +
                               std::string(reply));
            buffer.erase(0, r.consumed);
        }
    }
    outcomes.push_back("left:" + std::to_string(buffer.size()));
    return outcomes;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) {
        return 0;
    }
    const std::string_view stream(reinterpret_cast<const char*>(data) + 2, size - 2);
    const std::size_t split = stream.size() * data[1] / 255;
    if (data[0] % 2 == 0) {
        check(run_requests(stream, stream.size()) == run_requests(stream, split));
    } else {
        const auto cmd = static_cast<command>((data[0] / 2) % static_cast<int>(command_count));
        check(run_replies(stream, cmd, stream.size()) == run_replies(stream, cmd, split));
    }
    return 0;
}
