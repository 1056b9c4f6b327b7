// Test helpers for the memcached codec: printable outcomes (so table rows read as text) and the
// seed-corpus dump that turns table rows into fuzz seeds.
#pragma once

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
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

// The file name of a seed: the row's name with everything but letters and digits as '_'.
inline std::string seed_file(std::string_view name) {
    std::string file(name);
    for (char& c : file) {
        if (!std::isalnum(static_cast<unsigned char>(c))) {
            c = '_';
        }
    }
    return file;
}

// Keeps memcache_fuzz_corpus/ equal to a table: every row is one seed file "<prefix><name>"
// holding its fuzz input, and no file with that prefix lacks a row. COPROXY_UPDATE_CORPUS=1
// rewrites the table's seeds instead of checking them.
inline void check_seeds(std::string_view prefix, const std::map<std::string, std::string>& rows) {
    namespace fs = std::filesystem;
    const fs::path dir = fs::path(COPROXY_TEST_DIR) / "memcache_fuzz_corpus";
    std::map<std::string, std::string> seeds;
    for (const auto& [name, bytes] : rows) {
        const bool fresh = seeds.emplace(seed_file(std::string(prefix) + name), bytes).second;
        EXPECT_TRUE(fresh) << "two rows make the seed " << prefix << name;
    }
    const auto read = [](const fs::path& p) {
        std::ifstream in(p, std::ios::binary);
        return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    };
    if (std::getenv("COPROXY_UPDATE_CORPUS") != nullptr) {
        fs::create_directories(dir);
        for (const auto& entry : fs::directory_iterator(dir)) {
            if (entry.path().filename().string().starts_with(prefix)) {
                fs::remove(entry.path());
            }
        }
        for (const auto& [file, bytes] : seeds) {
            std::ofstream(dir / file, std::ios::binary) << bytes;
        }
    }
    for (const auto& [file, bytes] : seeds) {
        EXPECT_EQ(read(dir / file), bytes)
            << "stale or missing seed " << file << " (COPROXY_UPDATE_CORPUS=1 rewrites them)";
    }
    for (const auto& entry : fs::directory_iterator(dir)) {
        const std::string file = entry.path().filename().string();
        if (file.starts_with(prefix)) {
            EXPECT_TRUE(seeds.contains(file)) << "seed without a table row: " << file;
        }
    }
}

}  // namespace coproxy::protocol::memcache::testing_util
