// The YAML walk: top-level keys are pools (twemproxy's layout) except `coproxy:`, the process
// section. Each pool key is parsed by its row in the key table; then the pool is checked as a
// whole, then pools against each other. yaml-cpp keeps duplicate map keys, so duplicates are caught
// here.
#include "coproxy/config/loader.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "config/pool_keys.hpp"
#include "config/values.hpp"

namespace coproxy::config {
namespace {

constexpr std::string_view process_section = "coproxy";

int line_of(const YAML::Node& node) {
    return node.Mark().is_null() ? 0 : node.Mark().line + 1;
}

// yaml-cpp lets bytes that are not UTF-8 through where nutcracker's libyaml refuses them, and makes
// some itself (its "\_" and "\N" escapes give the single bytes A0 and 85). render_pool() would
// write them as U+FFFD, and a reload compares pools by that rendering, so they are refused here.
bool valid_utf8(std::string_view s) {
    for (std::size_t i = 0; i < s.size(); ++i) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x80) {
            continue;
        }
        const std::size_t n = c >= 0xc2 && c <= 0xdf   ? 2
                              : c >= 0xe0 && c <= 0xef ? 3
                              : c >= 0xf0 && c <= 0xf4 ? 4
                                                       : 0;
        // The second byte's range rules out overlong forms, surrogates and code points > U+10FFFF.
        const unsigned low = c == 0xe0 ? 0xa0 : c == 0xf0 ? 0x90 : 0x80;
        const unsigned high = c == 0xed ? 0x9f : c == 0xf4 ? 0x8f : 0xbf;
        if (n == 0 || i + n > s.size()) {
            return false;
        }
        for (std::size_t k = 1; k < n; ++k) {
            const auto b = static_cast<unsigned char>(s[i + k]);
            if (k == 1 ? b < low || b > high : b < 0x80 || b > 0xbf) {
                return false;
            }
        }
        i += n - 1;
    }
    return true;
}

class walker {
  public:
    explicit walker(std::string_view source) : source_(source) {}

    void error(int line, std::string pool, std::string key, std::string message) {
        errors_.push_back({source_, line, std::move(pool), std::move(key), std::move(message)});
    }

    void walk(const YAML::Node& root, config& out) {
        if (!root.IsDefined() || root.IsNull()) {
            error(0, {}, {}, "no pools defined");
            return;
        }
        if (!root.IsMap()) {
            error(line_of(root), {}, {}, "expected a map of pool names to pools at the top level");
            return;
        }
        std::set<std::string> seen;
        for (const auto& entry : root) {
            const std::string name = entry.first.Scalar();
            const int line = line_of(entry.first);
            if (!valid_utf8(name)) {
                error(line, {}, {}, "pool name is not valid UTF-8");
                continue;
            }
            if (!seen.insert(name).second) {
                error(line, name, {}, "duplicate pool name");
                continue;
            }
            if (name == process_section) {
                read_process_section(entry.second, out);
                continue;
            }
            if (auto pool = read_pool(name, line, entry.second)) {
                out.pools.push_back(std::move(*pool));
            }
        }
        if (out.pools.empty() && errors_.empty()) {
            error(0, {}, {}, "no pools defined");
        }
        check_across_pools(out.pools);
    }

    std::vector<config_error> take_errors() { return std::move(errors_); }

  private:
    void read_process_section(const YAML::Node& node, config& out) {
        if (!node.IsMap()) {
            error(line_of(node), std::string(process_section), {}, "expected a map of settings");
            return;
        }
        std::set<std::string> seen;
        for (const auto& kv : node) {
            const std::string key = kv.first.Scalar();
            const int line = line_of(kv.first);
            if (!seen.insert(key).second) {
                error(line, {}, key, "duplicate key in section 'coproxy'");
            } else if (!is_file_option(key)) {
                error(line, {}, key, "unknown key in section 'coproxy'");
            } else if (!kv.second.IsScalar()) {
                error(line, {}, key, "expected a single value in section 'coproxy'");
            } else if (!valid_utf8(kv.second.Scalar())) {
                error(line, {}, key, "not valid UTF-8");
            } else {
                out.settings.push_back({key, kv.second.Scalar(), line});
            }
        }
    }

    std::optional<pool_config> read_pool(const std::string& name, int line,
                                         const YAML::Node& node) {
        if (!node.IsMap()) {
            error(line, name, {}, "expected a map of pool keys");
            return std::nullopt;
        }
        const std::size_t errors_before = errors_.size();
        pool_draft draft;
        draft.cfg.name = name;
        draft.cfg.line = line;
        std::set<std::string> seen;
        for (const auto& kv : node) {
            const std::string key = kv.first.Scalar();
            const int key_line = line_of(kv.first);
            if (!seen.insert(key).second) {
                error(key_line, name, key, "duplicate key");
                continue;
            }
            const pool_key* row = find_pool_key(key);
            if (row == nullptr) {
                error(key_line, name, key, "unknown key" + suggest_key(key));
                continue;
            }
            if (kv.second.IsNull()) {
                error(key_line, name, key, "missing value");
                continue;
            }
            check_utf8(kv.second, name, key);
            for (auto& e : row->set(draft, kv.second)) {
                error(e.line != 0 ? e.line : key_line, name, key, std::move(e.message));
            }
        }
        for (auto& e : finish_pool(draft, seen)) {
            error(e.line != 0 ? e.line : line, name, e.key, std::move(e.message));
        }
        if (errors_.size() != errors_before) {
            return std::nullopt;
        }
        return std::move(draft.cfg);
    }

    // A value, or each entry of a list (servers); an error fails the pool. One level only: the
    // setters read no deeper, and an alias can make a list contain itself.
    void check_utf8(const YAML::Node& node, const std::string& pool, const std::string& key) {
        const auto check = [&](const YAML::Node& n) {
            if (n.IsScalar() && !valid_utf8(n.Scalar())) {
                error(line_of(n), pool, key, "not valid UTF-8");
            }
        };
        check(node);
        if (node.IsSequence()) {
            for (const auto& item : node) {
                check(item);
            }
        }
    }

    void check_across_pools(const std::vector<pool_config>& pools) {
        std::map<std::string, const pool_config*> listeners;
        for (const auto& pool : pools) {
            const std::string address = pool.listen.to_string();
            auto [it, inserted] = listeners.emplace(address, &pool);
            if (!inserted) {
                error(pool.line, pool.name, "listen",
                      "duplicate listen address " + address + " (also used by pool '" +
                          it->second->name + "')");
            }
        }
    }

    std::string source_;
    std::vector<config_error> errors_;
};

std::string normalize_line_ends(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
            continue;
        }
        out += text[i];
    }
    return out;
}

}  // namespace

std::string config_error::to_string() const {
    // Appended piece by piece: GCC 12 at -O3 reports a false -Werror=restrict for
    // "literal" + std::string temporaries (GCC bug 105651).
    std::string out = file;
    if (line > 0) {
        out.append(1, ':').append(std::to_string(line));
    }
    out.append(": ");
    if (!pool.empty()) {
        out.append("pool '").append(pool).append("': ");
    }
    if (!key.empty()) {
        out.append("key '").append(key).append("': ");
    }
    return out.append(message);
}

load_result parse_config(std::string_view text, std::string_view source_name) {
    load_result result;
    walker w(source_name);
    config out;
    out.path = std::string(source_name);
    try {
        const YAML::Node root = YAML::Load(normalize_line_ends(text));
        w.walk(root, out);
    } catch (const YAML::Exception& e) {
        w.error(e.mark.is_null() ? 0 : e.mark.line + 1, {}, {}, "YAML syntax error: " + e.msg);
    }
    result.errors = w.take_errors();
    if (result.errors.empty()) {
        result.value = std::move(out);
    }
    return result;
}

load_result load_config_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        load_result result;
        result.errors.push_back({path, 0, {}, {}, "cannot open configuration file"});
        return result;
    }
    std::ostringstream text;
    text << in.rdbuf();
    return parse_config(text.str(), path);
}

}  // namespace coproxy::config
