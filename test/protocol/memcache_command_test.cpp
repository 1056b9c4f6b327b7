// Tests for the memcached vocabulary: command names and classes, the quiet-mode suppression table
// (checked end to end against memcached 1.6.18 in memcache_golden_test.cpp) and the `b` key
// decoder, which must agree with memcached's base64_decode on valid and odd keys alike.
#include "coproxy/protocol/memcache_command.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "coproxy/protocol/memcache_request.hpp"

namespace coproxy::protocol::memcache {
namespace {

constexpr std::size_t reply_status_count = static_cast<std::size_t>(reply_status::server_error) + 1;

TEST(MemcacheCommand, NamesAreTheWireNames) {
    EXPECT_EQ(name(command::get), "get");
    EXPECT_EQ(name(command::del), "delete");
    EXPECT_EQ(name(command::flush_all), "flush_all");
    EXPECT_EQ(name(command::me), "me");
    // Every name parses back to its command.
    for (std::size_t i = 0; i < command_count; ++i) {
        const auto c = static_cast<command>(i);
        std::string line = std::string(name(c));
        if (is_storage(c)) {
            line += c == command::ms ? " k 1" : c == command::cas ? " k 0 0 1 1" : " k 0 0 1";
            line += "\r\nx";
        } else if (c == command::gat || c == command::gats) {
            line += " 0 k";
        } else if (c == command::incr || c == command::decr || c == command::touch) {
            line += " k 1";
        } else if (c == command::verbosity) {
            line += " 1";
        } else if (c != command::version && c != command::quit && c != command::flush_all &&
                   c != command::mn && c != command::stats) {
            line += " k";
        }
        line += "\r\n";
        request_parser parser;
        const auto r = parser.parse(line);
        ASSERT_EQ(r.st, status::ok) << line;
        EXPECT_EQ(parser.request().cmd, c) << line;
    }
}

TEST(MemcacheCommand, Classes) {
    EXPECT_TRUE(is_retrieval(command::gats));
    EXPECT_FALSE(is_retrieval(command::set));
    EXPECT_FALSE(is_retrieval(command::mg));
    EXPECT_TRUE(is_storage(command::cas));
    EXPECT_TRUE(is_storage(command::ms));
    EXPECT_FALSE(is_storage(command::incr));
    EXPECT_FALSE(is_storage(command::ma));
    EXPECT_TRUE(is_meta(command::mn));
    EXPECT_FALSE(is_meta(command::verbosity));
    EXPECT_TRUE(is_error(reply_status::error));
    EXPECT_TRUE(is_error(reply_status::server_error));
    EXPECT_FALSE(is_error(reply_status::ex));
}

// Which replies memcached leaves out for a quiet request (protocol.txt, and what 1.6.18 does).
TEST(MemcacheCommand, QuietSuppressionTable) {
    using enum reply_status;
    struct row {
        command cmd;
        std::vector<reply_status> suppressed;
    };
    const std::vector<reply_status> everything = {
        end,    stored,  not_stored, exists, not_found, deleted,      touched,
        number, version, ok,         va,     hd,        en,           nf,
        ns,     ex,      mn,         me,     error,     client_error, server_error};
    const std::vector<row> rows = {
        // noreply: memcached's out_string drops whatever the reply is, errors included.
        {command::set, everything},
        {command::add, everything},
        {command::replace, everything},
        {command::append, everything},
        {command::prepend, everything},
        {command::cas, everything},
        {command::del, everything},
        {command::incr, everything},
        {command::decr, everything},
        {command::touch, everything},
        {command::flush_all, everything},
        {command::verbosity, everything},
        // Never quiet.
        {command::get, {}},
        {command::gets, {}},
        {command::gat, {}},
        {command::gats, {}},
        {command::version, {}},
        {command::quit, {}},
        {command::mn, {}},
        {command::me, {}},
        {command::stats, {}},
        // q: the nominal code only; errors and the other codes still come.
        {command::mg, {en}},
        {command::ms, {hd}},
        {command::md, {hd}},
        {command::ma, {hd, va}},
    };
    ASSERT_EQ(rows.size(), command_count);
    for (const row& r : rows) {
        for (std::size_t i = 0; i < reply_status_count; ++i) {
            const auto s = static_cast<reply_status>(i);
            const bool expected =
                std::find(r.suppressed.begin(), r.suppressed.end(), s) != r.suppressed.end();
            EXPECT_EQ(quiet_suppresses(r.cmd, s), expected)
                << name(r.cmd) << " status " << static_cast<int>(s);
        }
    }
}

std::optional<std::string> decode(std::string_view key, std::size_t room = max_key_size) {
    std::array<char, max_key_size> out{};
    const auto size = decode_base64_key(key, std::span(out.data(), room));
    if (!size) {
        return std::nullopt;
    }
    return std::string(out.data(), *size);
}

TEST(MemcacheCommand, DecodesBase64KeysLikeMemcached) {
    using namespace std::string_literals;
    struct row {
        std::string_view key;
        std::optional<std::string> decoded;
    };
    const std::vector<row> rows = {
        {"Zm9v", "foo"},         {"Zm8=", "fo"},
        {"Zg==", "f"},           {"AAH/", "\0\1\xff"s},
        {"Zm9vYmFy", "foobar"},  {"Zg==Zm9v", "f"},  // decoding stops after the first padded quad
        {"Z.m9v", "foo"},                            // bytes outside the alphabet are skipped
        {"Zm9v-_", "foo"},                           // so are url-safe ones
        {"Zm9v=", std::nullopt},                     // 5 counted characters
        {"Zm9", std::nullopt},   {"A===", std::nullopt},  // three '=' in a quad
        {"====", std::nullopt},  {"", std::nullopt},
        {"....", std::nullopt},  // nothing counted
    };
    for (const row& r : rows) {
        EXPECT_EQ(decode(r.key), r.decoded) << r.key;
    }
    EXPECT_EQ(decode("Zm9vYmFy", 5), std::nullopt);  // the buffer is too small
    EXPECT_EQ(decode("Zm9vYmFy", 6), "foobar");
}

std::string encode_base64(std::string_view bytes) {
    static constexpr char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    for (std::size_t i = 0; i < bytes.size(); i += 3) {
        const std::size_t n = std::min<std::size_t>(3, bytes.size() - i);
        std::uint32_t v = 0;
        for (std::size_t j = 0; j < 3; ++j) {
            v = (v << 8) | (j < n ? static_cast<unsigned char>(bytes[i + j]) : 0);
        }
        for (std::size_t j = 0; j < 4; ++j) {
            out += j <= n ? alphabet[(v >> (18 - 6 * j)) & 63] : '=';
        }
    }
    return out;
}

TEST(MemcacheCommand, Base64RoundTripsUpToTheLongestKey) {
    std::mt19937 rng(7);
    for (std::size_t size = 1; size <= 186; ++size) {  // 186 bytes encode to 248 <= 250
        std::string bytes(size, '\0');
        for (char& c : bytes) {
            c = static_cast<char>(rng());
        }
        const std::string key = encode_base64(bytes);
        ASSERT_LE(key.size(), max_key_size);
        EXPECT_EQ(decode(key), bytes) << key;
    }
}

}  // namespace
}  // namespace coproxy::protocol::memcache
