// Test helpers for the memcached codec: printable outcomes (so table rows read as text) and the
// seed-corpus dump that turns table rows into fuzz seeds.
#pragma once

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "coproxy/protocol/memcache.hpp"

namespace coproxy::protocol::memcache::testing_util {

inline std::string escape(std::string_view s) {
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    for (char c : s) {
        const auto u = static_cast<unsigned char>(c);
        if (c == '\r') {
            out += "\\r";
        } else if (c == '\n') {
            out += "\\n";
        } else if (c == '\\') {
            out += "\\\\";
        } else if (u < 0x20 || u >= 0x7f) {
            out += "\\x";
            out += hex[u >> 4];
            out += hex[u & 15];
        } else {
            out += c;
        }
    }
    return out;
}

inline std::string_view status_name(status s) {
    constexpr std::string_view names[] = {"ok", "need_more", "invalid", "too_large",
                                          "binary_protocol"};
    return names[static_cast<int>(s)];
}

inline std::string_view reply_name(reply_status s) {
    constexpr std::string_view names[] = {
        "end",    "stored",  "not_stored", "exists", "not_found", "deleted",      "touched",
        "number", "version", "ok",         "VA",     "HD",        "EN",           "NF",
        "NS",     "EX",      "MN",         "ME",     "error",     "client_error", "server_error"};
    return names[static_cast<int>(s)];
}

// Fuzz input layout shared with memcache_fuzz.cpp: byte 0 picks the parser (even: requests; odd:
// replies to command byte0 / 2), byte 1 seeds the split point, the rest is the stream.
inline std::string fuzz_input(bool reply, command cmd, std::string_view stream) {
    std::string s;
    s += static_cast<char>(reply ? static_cast<int>(cmd) * 2 + 1 : 0);
    s += static_cast<char>(stream.size() / 2);
    s += stream;
    return s;
}

// COPROXY_WRITE_MEMCACHE_CORPUS=<dir> makes the table tests write their rows as fuzz seeds.
inline void write_seed(std::string_view name, const std::string& bytes) {
    const char* dir = std::getenv("COPROXY_WRITE_MEMCACHE_CORPUS");
    if (dir == nullptr) {
        return;
    }
    std::string file(name);
    for (char& c : file) {
        if (!std::isalnum(static_cast<unsigned char>(c))) {
            c = '_';
        }
    }
    std::filesystem::create_directories(dir);
    std::ofstream(std::filesystem::path(dir) / file, std::ios::binary) << bytes;
}

}  // namespace coproxy::protocol::memcache::testing_util
