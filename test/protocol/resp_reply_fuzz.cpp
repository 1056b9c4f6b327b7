// libFuzzer target for the RESP reply parser and the merge helpers. Seeds:
// resp_reply_fuzz_corpus/ (the test table rows and golden captures). Checks: consumed <= size
// and > 0 when ok; the answer does not depend on how the bytes were split; the reported type
// is the byte at value_offset; integer_value() and split_array() agree with the parser on
// every complete reply; tighter limits only add too_large; the work stays linear.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "coproxy/protocol/resp_reply.hpp"

namespace {

using namespace coproxy::protocol::resp;

void check(bool condition) {
    if (!condition) {
        std::abort();
    }
}

struct outcome {
    status st;
    std::size_t consumed;
    std::string error;
    reply_type type;
    bool is_null;
    std::size_t value_offset;

    bool operator==(const outcome&) const = default;
};

outcome parse_copy(reply_parser& p, std::string_view in) {
    const std::string copy(in);
    const auto r = p.parse({copy.data(), copy.size()});
    outcome o{r.st, r.consumed, std::string(r.error), reply_type::null, false, 0};
    if (r.st == status::ok) {
        o.type = p.type();
        o.is_null = p.is_null();
        o.value_offset = p.value_offset();
    }
    return o;
}

outcome parse_split(const reply_limits& l, std::string_view in, std::size_t k) {
    reply_parser p(l);
    const outcome first = parse_copy(p, in.substr(0, k));
    if (first.st != status::need_more || k == in.size()) {
        return first;
    }
    return parse_copy(p, in);
}

bool is_aggregate(reply_type t) {
    return t == reply_type::array || t == reply_type::set || t == reply_type::map ||
           t == reply_type::push;
}

// Everything the proxy may do with a complete reply, cross-checked against the parser.
void check_complete(const outcome& o, std::string_view in, std::size_t size) {
    check(o.consumed <= size);
    check((o.st == status::ok) == (o.consumed > 0));
    const bool failed = o.st == status::invalid || o.st == status::too_large;
    check(failed == !o.error.empty());
    if (o.st != status::ok) {
        return;
    }
    check(o.value_offset < o.consumed);
    check(in[o.value_offset] == static_cast<char>(o.type));
    const std::string_view value = in.substr(o.value_offset, o.consumed - o.value_offset);
    check(integer_value(value).has_value() == (o.type == reply_type::integer));
    if (o.is_null) {
        check(o.type == reply_type::null || o.type == reply_type::bulk_string ||
              o.type == reply_type::array);
    }
    std::vector<std::string_view> elements;
    const bool split = split_array(value, elements);
    check(split == (is_aggregate(o.type) && !o.is_null));
    if (split) {
        // The elements tile the value after its header, in order.
        const char* next = value.data() + value.find('\n') + 1;
        for (const auto e : elements) {
            check(e.data() == next);
            next += e.size();
            reply_parser ep;
            const auto r = ep.parse({e.data(), e.size()});
            check(r.st == status::ok && r.consumed == e.size());
        }
        check(next == value.data() + value.size());
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view in(reinterpret_cast<const char*>(data), size);

    reply_parser p;
    const outcome whole = parse_copy(p, in);
    check_complete(whole, in, size);
    check(p.scanned_bytes() <= 2 * size + 2);

    const std::size_t hash = size == 0 ? 0 : static_cast<unsigned char>(in[size - 1]) * 31u + size;
    for (const std::size_t k : {size / 2, size == 0 ? 0 : hash % (size + 1), size - size / 7}) {
        check(parse_split({}, in, k) == whole);
    }
    if (size <= 512) {
        reply_parser q;
        outcome o{};
        for (std::size_t k = 0; k <= size; ++k) {
            o = parse_copy(q, in.substr(0, k));
            if (o.st != status::need_more) {
                break;
            }
        }
        check(o == whole);
    }

    const reply_limits tiny{.max_bulk_len = 16, .max_line_len = 16, .max_depth = 3};
    reply_parser t(tiny);
    const outcome small = parse_copy(t, in);
    check(small.st == status::too_large || small == whole);

    std::string_view rest = in;
    outcome o = whole;
    for (int i = 0; o.st == status::ok && i < 1000; ++i) {
        rest.remove_prefix(o.consumed);
        o = parse_copy(p, rest);
        check_complete(o, rest, rest.size());
    }
    return 0;
}
