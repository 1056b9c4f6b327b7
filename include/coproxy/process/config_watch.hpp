// --watch-config: the config file is reloaded when it changes.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "coproxy/runtime/types.hpp"

namespace coproxy::process {

// What tells one version of a file from the next: stat() through symlinks (Kubernetes updates a
// ConfigMap volume by swapping a symlink), compared by device, inode, mtime and size. All zero
// when the file cannot be read.
struct file_identity {
    std::uint64_t device = 0;
    std::uint64_t inode = 0;
    std::int64_t mtime_ns = 0;
    std::int64_t size = 0;
    bool operator==(const file_identity&) const = default;
};
file_identity identify(const std::string& path);

// Calls `changed()` whenever the file at `path` is no longer the version `loaded` (checked once a
// second). `loaded` must be the identity taken before the running config was read: a change made
// after that read and before the watch begins is a change too.
runtime::task<void> watch_config(std::string path, file_identity loaded,
                                 std::function<void()> changed);

}  // namespace coproxy::process
