// See fanout.hpp.
#include "frontend/fanout.hpp"

namespace coproxy::frontend {

fanout::~fanout() {
    for (auto& part : parts_) {
        part->sink = nullptr;  // parts may outlive the parent in server queues
    }
}

upstream::request& fanout::add_part(upstream::request_pool& requests) {
    auto part = requests.make();
    part->sink = this;
    part->tag = static_cast<std::uint32_t>(parts_.size());
    parts_.push_back(part);
    ++remaining_;
    return *parts_.back();
}

void fanout::on_reply(upstream::request&) {
    if (--remaining_ == 0) {
        merge();
    }
}

}  // namespace coproxy::frontend
