// What a reload changes, decided from the running and the new configuration alone (a pure
// function, no sockets): which pools are new, changed or gone, and which listen addresses open,
// close, or now feed another pool. proxy::reload() turns it into bound sockets and posted work.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "coproxy/config/loader.hpp"

namespace coproxy::process {

struct reload_diff {
    std::vector<std::string> added;      // new pools, and the new form of a protocol change
    std::vector<std::string> changed;    // same protocol, other settings or servers
    std::vector<std::string> unchanged;  // identical: their service, clients and counters stay
    std::vector<std::string> removed;    // dropped pools, and pools whose protocol changed
    std::vector<std::string> opened;     // listen addresses no running pool has
    std::vector<std::string> closed;     // running addresses no new pool listens on
    std::vector<std::pair<std::string, std::string>> retargeted;  // open address -> its new pool

    bool empty() const {
        return added.empty() && changed.empty() && removed.empty() && opened.empty() &&
               closed.empty() && retargeted.empty();
    }
};

// Pools are compared by name and by their rendering (every key, secrets included); addresses by
// their canonical text. Lists follow the order of `next` (removed and closed: of `running`).
reload_diff diff_configs(const config::config& running, const config::config& next);

}  // namespace coproxy::process
