// See reloader.hpp.
#include "coproxy/process/reloader.hpp"

#include <spdlog/spdlog.h>

#include "coproxy/runtime/log.hpp"

namespace coproxy::process {
namespace {

template <class Errors, class Text>
std::string joined(const Errors& errors, Text text) {
    std::string out;
    for (const auto& e : errors) {
        out += text(e) + "\n";
    }
    return out;
}

}  // namespace

std::string reloader::run(std::string_view why) {
    spdlog::info("{}: reloading {}", why, path_);
    std::string errors = apply();
    if (!errors.empty()) {
        spdlog::error("reload rejected, still running the previous configuration:\n{}", errors);
    }
    return errors;
}

std::string reloader::apply() {
    auto loaded = config::load_config_file(path_);
    if (!loaded.ok()) {
        proxy_.record_reload(false);
        return joined(loaded.errors, [](const auto& e) { return e.to_string(); });
    }
    auto merged = base_;
    config::apply_file_settings(merged, loaded.value->settings, path_);
    if (!merged.errors.empty()) {
        proxy_.record_reload(false);
        return joined(merged.errors, [](const auto& e) { return e; });
    }
    const auto before = proxy_.current_options();
    const auto& after = merged.options;
    if (after.threads != before.threads || after.admin_addr != before.admin_addr ||
        after.stats_port != before.stats_port || after.stats_addr != before.stats_addr ||
        after.mbuf_size != before.mbuf_size || after.output != before.output ||
        after.log_format != before.log_format) {
        spdlog::warn(
            "reload: threads, admin_addr, stats_port/addr, mbuf_size, output and log_format take "
            "effect at the next start; the rest is applied now");
    }
    std::string errors = proxy_.reload(*loaded.value, after);  // counts itself
    if (errors.empty() && after.verbose != before.verbose) {
        runtime::adjust_verbosity(after.verbose - before.verbose);
    }
    return errors.empty() ? errors : errors + "\n";
}

}  // namespace coproxy::process
