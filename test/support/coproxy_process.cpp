// Starts the coproxy binary for integration tests; see coproxy_process.hpp.
#include "support/coproxy_process.hpp"

#include <algorithm>

namespace coproxy::test {

coproxy_process::coproxy_process(const temp_dir& dir, const std::string& yaml,
                                 std::vector<std::string> flags, std::vector<std::string> env) {
    const std::string config = dir.write("coproxy.yml", yaml);
    std::vector<std::string> argv = {coproxy_binary(), "-c", config, "-v", "6"};
    const auto has = [&](const std::string& flag) {
        return std::any_of(flags.begin(), flags.end(),
                           [&](const std::string& f) { return f.rfind(flag, 0) == 0; });
    };
    if (!has("--drain-delay")) {
        argv.insert(argv.end(), {"--drain-delay", "0"});
    }
    if (!has("--admin-addr")) {
        argv.insert(argv.end(), {"--admin-addr", ""});
    }
    if (!has("--stats-port") && !has("-s")) {
        argv.insert(argv.end(), {"--stats-port", "0"});
    }
    argv.insert(argv.end(), flags.begin(), flags.end());
    process_ = child_process(argv, dir.file("coproxy.log"), std::move(env));
    started_ = eventually([this] {
                   return log().find(" started: ") != std::string::npos || !process_.running();
               }) &&
               process_.running();
}

}  // namespace coproxy::test
