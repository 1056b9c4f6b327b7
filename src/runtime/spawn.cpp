// See spawn.hpp.
#include "coproxy/runtime/spawn.hpp"

#include <spdlog/spdlog.h>

namespace coproxy::runtime {

void log_exception(std::string_view what, std::exception_ptr e) {
    if (!e) {
        return;
    }
    try {
        std::rethrow_exception(e);
    } catch (const std::exception& ex) {
        spdlog::error("{} failed: {}", what, ex.what());
    } catch (...) {
        spdlog::error("{} failed: unknown exception", what);
    }
}

}  // namespace coproxy::runtime
