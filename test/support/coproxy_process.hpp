// The coproxy binary under test, run as a real process with a config written to a temp dir.
#pragma once

#include <string>
#include <vector>

#include "support/process.hpp"

namespace coproxy::test {

class coproxy_process {
  public:
    // Starts `coproxy -c <dir>/coproxy.yml <flags>` and waits until it reports that it serves.
    // Tests get --drain-delay 0 and no admin or stats port unless their flags say otherwise.
    coproxy_process(const temp_dir& dir, const std::string& yaml,
                    std::vector<std::string> flags = {}, std::vector<std::string> env = {});

    bool started() const { return started_; }
    child_process& process() { return process_; }
    std::string log() const { return process_.log(); }
    // SIGTERM and wait; returns the exit status.
    int stop(std::chrono::milliseconds grace = std::chrono::seconds(15)) {
        return process_.stop(grace);
    }

  private:
    child_process process_;
    bool started_ = false;
};

}  // namespace coproxy::test
