// Replays one input into a RESP parser in every way a socket could deliver it: whole, split at
// each byte boundary (two reads), and one byte per read. Every read gets a fresh buffer and the
// previous one is overwritten, so a parser that kept a pointer instead of an offset reads garbage
// (or trips ASan) instead of passing by luck.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "coproxy/protocol/resp_request.hpp"

namespace coproxy::protocol::resp {

inline std::ostream& operator<<(std::ostream& os, status st) {
    switch (st) {
        case status::ok:
            return os << "ok";
        case status::need_more:
            return os << "need_more";
        case status::invalid:
            return os << "invalid";
        case status::too_large:
            return os << "too_large";
    }
    return os << "status?";
}

}  // namespace coproxy::protocol::resp

namespace coproxy::protocol::resp::test {

// Rows whose expected `consumed` is the whole input say so with this instead of counting bytes.
constexpr std::size_t whole = static_cast<std::size_t>(-1);

inline std::span<const char> bytes(const std::string& s) {
    return {s.data(), s.size()};
}
inline std::span<const char> bytes(std::string_view s) {
    return {s.data(), s.size()};
}

inline void poison(std::string& s) {
    std::fill(s.begin(), s.end(), '\xA5');
}

inline std::vector<std::string> args_of(const request_parser& p) {
    std::vector<std::string> out;
    for (std::size_t i = 0; i < p.argc(); ++i) {
        out.emplace_back(p.arg(i));
    }
    return out;
}

// `check(parser, result)` returns "" when the final answer is the expected one, else a
// description. Each replay stops at its first mismatch so one bad row prints one message.
template <typename Parser, typename Check>
void replay_whole(const Parser& fresh, std::string_view input, Check check) {
    Parser p = fresh;
    std::string buf(input);
    const auto r = p.parse(bytes(buf));
    EXPECT_EQ(check(p, r), "");
}

template <typename Parser, typename Check>
void replay_split_everywhere(const Parser& fresh, std::string_view input, Check check) {
    for (std::size_t k = 0; k <= input.size(); ++k) {
        Parser p = fresh;
        std::string first(input.substr(0, k));
        auto r = p.parse(bytes(first));
        if (r.st == status::need_more && k < input.size()) {
            poison(first);
            std::string second(input);  // `first` is alive, so this is a different address
            r = p.parse(bytes(second));
            ASSERT_EQ(check(p, r), "") << "prefix of " << k << " bytes, then all";
        } else {
            ASSERT_EQ(check(p, r), "") << "prefix of " << k << " bytes answered early";
        }
    }
}

template <typename Parser, typename Check>
void replay_byte_by_byte(const Parser& fresh, std::string_view input, Check check) {
    Parser p = fresh;
    std::string previous;
    for (std::size_t k = 0; k <= input.size(); ++k) {
        std::string current(input.substr(0, k));
        const auto r = p.parse(bytes(current));
        poison(previous);
        if (r.st != status::need_more || k == input.size()) {
            ASSERT_EQ(check(p, r), "") << "after " << k << " of " << input.size() << " bytes";
            return;
        }
        previous = std::move(current);
    }
}

}  // namespace coproxy::protocol::resp::test
