// See reload_diff.hpp.
#include "coproxy/process/reload_diff.hpp"

#include <map>
#include <set>

#include "coproxy/config/render.hpp"

namespace coproxy::process {

reload_diff diff_configs(const config::config& running, const config::config& next) {
    reload_diff d;
    std::map<std::string, const config::pool_config*> old_pools;
    std::map<std::string, std::string> old_addresses;  // address -> pool
    for (const auto& pool : running.pools) {
        old_pools[pool.name] = &pool;
        old_addresses[pool.listen.to_string()] = pool.name;
    }
    std::set<std::string> next_names;
    std::set<std::string> next_addresses;
    for (const auto& pool : next.pools) {
        next_names.insert(pool.name);
        const auto old = old_pools.find(pool.name);
        if (old == old_pools.end()) {
            d.added.push_back(pool.name);
        } else if (config::render_pool(*old->second, config::secrets::shown) ==
                   config::render_pool(pool, config::secrets::shown)) {
            d.unchanged.push_back(pool.name);
        } else if (old->second->protocol != pool.protocol) {
            d.removed.push_back(pool.name);
            d.added.push_back(pool.name);
        } else {
            d.changed.push_back(pool.name);
        }
        const std::string address = pool.listen.to_string();
        next_addresses.insert(address);
        const auto open = old_addresses.find(address);
        if (open == old_addresses.end()) {
            d.opened.push_back(address);
        } else if (open->second != pool.name) {
            d.retargeted.emplace_back(address, pool.name);
        }
    }
    for (const auto& pool : running.pools) {
        if (next_names.count(pool.name) == 0) {
            d.removed.push_back(pool.name);
        }
        const std::string address = pool.listen.to_string();
        if (next_addresses.count(address) == 0) {
            d.closed.push_back(address);
        }
    }
    return d;
}

}  // namespace coproxy::process
