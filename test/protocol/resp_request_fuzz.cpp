// libFuzzer target for the RESP request parser. Seeds: resp_request_fuzz_corpus/ (the test table
// rows, see resp_corpus_test.cpp). Checks the invariants the proxy's read loop relies on:
// consumed <= size and > 0 when ok; the answer does not depend on how the bytes were split;
// ok args survive encode -> parse, and multibulk input is already canonical; tighter limits can
// only turn an answer into too_large; the work stays linear in the input.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "coproxy/protocol/resp_reply.hpp"
#include "coproxy/protocol/resp_request.hpp"

namespace {

using namespace coproxy::protocol::resp;

// NDEBUG builds keep this, unlike assert().
void check(bool condition) {
    if (!condition) {
        std::abort();
    }
}

struct outcome {
    status st;
    std::size_t consumed;
    std::string error;
    std::vector<std::string> args;
    bool is_inline;

    bool operator==(const outcome&) const = default;
};

outcome capture(const request_parser& p, const request_parser::result& r) {
    outcome o{r.st, r.consumed, std::string(r.error), {}, false};
    if (r.st == status::ok) {
        o.is_inline = p.is_inline();
        for (std::size_t i = 0; i < p.argc(); ++i) {
            o.args.emplace_back(p.arg(i));
        }
    }
    return o;
}

outcome parse_copy(request_parser& p, std::string_view in) {
    const std::string copy(in);  // a fresh buffer each call, like a reallocating read buffer
    return capture(p, p.parse({copy.data(), copy.size()}));
}

void check_basics(const outcome& o, std::size_t size) {
    check(o.consumed <= size);
    check((o.st == status::ok) == (o.consumed > 0));
    const bool failed = o.st == status::invalid || o.st == status::too_large;
    check(failed == !o.error.empty());
    check(!failed || o.error.starts_with("Protocol error: "));
}

outcome parse_split(const limits& l, std::string_view in, std::size_t k) {
    request_parser p(l);
    const outcome first = parse_copy(p, in.substr(0, k));
    if (first.st != status::need_more || k == in.size()) {
        return first;
    }
    return parse_copy(p, in);
}

void check_round_trip(const outcome& o, std::string_view in) {
    if (o.st != status::ok || o.args.empty()) {
        return;
    }
    const std::vector<std::string_view> views(o.args.begin(), o.args.end());
    std::string encoded;
    encode_request(views, encoded);
    request_parser p;
    const outcome again = parse_copy(p, encoded);
    check(again.st == status::ok && again.consumed == encoded.size());
    check(again.args == o.args && !again.is_inline);
    if (!o.is_inline) {
        check(encoded == in.substr(0, o.consumed));
        // A multibulk request is also a valid array reply of the same size.
        reply_parser rp;
        const auto r = rp.parse({encoded.data(), encoded.size()});
        check(r.st == status::ok && r.consumed == encoded.size() && rp.type() == reply_type::array);
    } else {
        const std::string_view line = in.substr(0, o.consumed);
        check(line.back() == '\n' && line.find('\n') == line.size() - 1);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view in(reinterpret_cast<const char*>(data), size);

    request_parser p;
    const outcome whole = parse_copy(p, in);
    check_basics(whole, size);
    check(p.scanned_bytes() <= 2 * size + 2);
    check_round_trip(whole, in);

    // Split points chosen from the input itself, so the fuzzer can steer them.
    const std::size_t hash = size == 0 ? 0 : static_cast<unsigned char>(in[size - 1]) * 31u + size;
    for (const std::size_t k : {size / 2, size == 0 ? 0 : hash % (size + 1), size - size / 7}) {
        check(parse_split({}, in, k) == whole);
    }
    if (size <= 512) {
        request_parser q;
        outcome o{};
        for (std::size_t k = 0; k <= size; ++k) {
            o = parse_copy(q, in.substr(0, k));
            if (o.st != status::need_more) {
                break;
            }
        }
        check(o == whole);
    }

    // Tighter limits add failure points and change nothing else.
    const limits tiny{
        .max_bulk_len = 16, .max_multibulk_len = 4, .max_inline_len = 16, .unauthenticated = true};
    request_parser t(tiny);
    const outcome small = parse_copy(t, in);
    check_basics(small, size);
    check(small.st == status::too_large || small == whole);

    // The rest of a pipeline parses on with the same parser, each request taking bytes.
    std::string_view rest = in;
    outcome o = whole;
    for (int i = 0; o.st == status::ok && i < 1000; ++i) {
        rest.remove_prefix(o.consumed);
        o = parse_copy(p, rest);
        check_basics(o, rest.size());
        check_round_trip(o, rest);
    }
    return 0;
}
