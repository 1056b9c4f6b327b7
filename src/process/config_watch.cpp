// See config_watch.hpp.
#include "coproxy/process/config_watch.hpp"

#include <sys/stat.h>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>

namespace coproxy::process {

using runtime::nothrow;

file_identity identify(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        return {};
    }
    return {static_cast<std::uint64_t>(st.st_dev), static_cast<std::uint64_t>(st.st_ino),
            static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec,
            static_cast<std::int64_t>(st.st_size)};
}

runtime::task<void> watch_config(std::string path, file_identity loaded,
                                 std::function<void()> changed) {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    file_identity seen = loaded;
    for (;;) {
        const file_identity now = identify(path);
        if (now != seen && now != file_identity{}) {
            seen = now;
            changed();
        }
        timer.expires_after(std::chrono::seconds(1));
        auto [ec] = co_await timer.async_wait(nothrow);
        if (ec) {
            co_return;
        }
    }
}

}  // namespace coproxy::process
