// Reloading from the config file: read and validate it, merge its `coproxy:` section under the
// flags and environment given at start, and apply it. Runs on the main thread's control loop,
// whichever way it was asked for (SIGHUP, SIGUSR1, POST /reload, --watch-config).
#pragma once

#include <string>

#include "coproxy/config/options.hpp"
#include "coproxy/process/proxy.hpp"

namespace coproxy::process {

class reloader {
  public:
    // `base`: the options from flags and environment only, before any file settings.
    reloader(proxy& running, config::options_result base, std::string path)
        : proxy_(running), base_(std::move(base)), path_(std::move(path)) {}

    // Errors, empty when applied. A rejected reload leaves the running configuration untouched.
    std::string run(std::string_view why);
    const std::string& path() const { return path_; }

  private:
    std::string apply();

    proxy& proxy_;
    config::options_result base_;
    std::string path_;
};

}  // namespace coproxy::process
