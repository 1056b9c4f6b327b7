// Keeps the fuzz seed corpora equal to the test tables: every row (and every golden capture) is
// one file named after it in resp_request_fuzz_corpus/ or resp_reply_fuzz_corpus/. To regenerate
// after editing a table, run this test with COPROXY_UPDATE_CORPUS=1.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>

#include "protocol/resp_golden.hpp"
#include "protocol/resp_reply_cases.hpp"
#include "protocol/resp_request_cases.hpp"

namespace coproxy::protocol::resp::test {
namespace {

namespace fs = std::filesystem;
using seed_map = std::map<std::string, std::string>;

void add(seed_map& seeds, std::string_view name, std::string_view bytes) {
    const bool fresh = seeds.emplace(std::string(name), std::string(bytes)).second;
    EXPECT_TRUE(fresh) << "two seeds named " << name;
}

seed_map request_seeds() {
    seed_map seeds;
    for (const auto& c : request_cases) {
        add(seeds, c.name, c.input);
    }
    for (const auto& c : golden::cli_captures) {
        add(seeds, "golden_" + std::string(c.name), c.sent);
    }
    for (const auto& c : golden::error_captures) {
        add(seeds, "golden_error_" + std::string(c.name), c.request);
    }
    for (const auto& c : golden::unauthenticated_captures) {
        add(seeds, "golden_" + std::string(c.name), c.request);
    }
    for (const auto& c : golden::inline_captures) {
        add(seeds, "golden_inline_" + std::string(c.name), c.line);
    }
    for (const auto& c : golden::lax_captures) {
        add(seeds, "golden_" + std::string(c.name), c.request);
    }
    add(seeds, "golden_ignored_then_ping", golden::ignored_then_ping);
    return seeds;
}

seed_map reply_seeds() {
    seed_map seeds;
    for (const auto& c : reply_cases) {
        add(seeds, c.name, c.input);
    }
    for (const auto& c : golden::reply_captures) {
        add(seeds, "golden_" + std::string(c.name), c.reply);
    }
    return seeds;
}

std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void check_corpus(const std::string& dir_name, const seed_map& seeds) {
    const fs::path dir = fs::path(COPROXY_TEST_DIR) / dir_name;
    if (std::getenv("COPROXY_UPDATE_CORPUS") != nullptr) {
        fs::remove_all(dir);
        fs::create_directories(dir);
        for (const auto& [name, bytes] : seeds) {
            std::ofstream(dir / name, std::ios::binary) << bytes;
        }
    }
    ASSERT_TRUE(fs::is_directory(dir)) << dir << ": run with COPROXY_UPDATE_CORPUS=1";
    for (const auto& [name, bytes] : seeds) {
        EXPECT_EQ(read_file(dir / name), bytes) << "stale or missing seed " << name;
    }
    for (const auto& entry : fs::directory_iterator(dir)) {
        EXPECT_TRUE(seeds.contains(entry.path().filename().string()))
            << "seed without a table row: " << entry.path().filename();
    }
}

TEST(RespCorpus, RequestSeedsAreTheTableRows) {
    check_corpus("resp_request_fuzz_corpus", request_seeds());
}

TEST(RespCorpus, ReplySeedsAreTheTableRows) {
    check_corpus("resp_reply_fuzz_corpus", reply_seeds());
}

}  // namespace
}  // namespace coproxy::protocol::resp::test
