// --watch-config against real files: a change is noticed, including one made before the watch
// began (the race behind a reload test that timed out under load), and a Kubernetes-style
// symlink swap; an unchanged file is never reloaded.
#include "coproxy/process/config_watch.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <filesystem>
#include <fstream>

#include "coproxy/runtime/spawn.hpp"

namespace coproxy::process {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

class ConfigWatch : public testing::Test {
  protected:
    void SetUp() override {
        dir = fs::temp_directory_path() / ("coproxy-watch-" + std::to_string(::getpid()));
        fs::create_directories(dir);
        path = (dir / "coproxy.yml").string();
        write(path, "one: {}\n");
    }
    void TearDown() override { fs::remove_all(dir); }

    static void write(const std::string& p, const std::string& text) {
        std::ofstream(p, std::ios::trunc) << text;
    }

    // Runs the watch from `loaded` for up to `time`; how often it saw a change.
    int run_watch(file_identity loaded, std::chrono::milliseconds time,
                  const std::function<void()>& meanwhile = {}) {
        int changes = 0;
        asio::co_spawn(io, watch_config(path, loaded, [&] { ++changes; }),
                       runtime::log_exceptions{"test watch"});
        if (meanwhile) {
            io.run_for(100ms);
            meanwhile();
        }
        io.run_for(time);
        io.stop();
        return changes;
    }

    asio::io_context io;
    fs::path dir;
    std::string path;
};

TEST_F(ConfigWatch, AChangeBeforeTheWatchBeganIsAChange) {
    const file_identity loaded = identify(path);  // taken when the config was read
    write(path, "two: {}\n");                     // changed before the watch runs
    EXPECT_EQ(run_watch(loaded, 300ms), 1);
}

TEST_F(ConfigWatch, UnchangedFileIsNeverReloaded) {
    EXPECT_EQ(run_watch(identify(path), 2500ms), 0);
}

TEST_F(ConfigWatch, AChangeWhileWatchingIsSeenOnce) {
    EXPECT_EQ(run_watch(identify(path), 2500ms, [&] { write(path, "three: {}\n"); }), 1);
}

TEST_F(ConfigWatch, SymlinkSwapIsAChange) {
    // Kubernetes: the file is a link into a versioned directory, swapped atomically.
    const auto v1 = dir / "v1";
    const auto v2 = dir / "v2";
    fs::create_directories(v1);
    fs::create_directories(v2);
    write((v1 / "c.yml").string(), "a: {}\n");
    write((v2 / "c.yml").string(), "a: {}\n");  // same size and content, another inode
    fs::remove(path);
    fs::create_symlink(v1 / "c.yml", path);
    const file_identity loaded = identify(path);
    EXPECT_EQ(run_watch(loaded, 2500ms,
                        [&] {
                            fs::create_symlink(v2 / "c.yml", dir / "next");
                            fs::rename(dir / "next", path);
                        }),
              1);
}

}  // namespace
}  // namespace coproxy::process
