// Splits one inline command line (redis-cli/telnet style `SET a "b c"`) into arguments with the
// quoting rules of Redis's sdssplitargs(), so that the proxy sees the same args Redis would.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "coproxy/protocol/resp_request.hpp"

namespace coproxy::protocol::resp::detail {

// `line` excludes the line ending. Appends the decoded bytes of every arg to `out` and one range
// into `out` per arg to `args`. Returns false on unbalanced quotes ("unbalanced quotes in
// request").
//
// One deliberate difference: a NUL byte is an ordinary character here. Redis scans the line as a C
// string and would stall on it; since the proxy re-encodes inline args, keeping NUL is harmless.
bool split_inline(std::string_view line, std::string& out, std::vector<byte_range>& args);

}  // namespace coproxy::protocol::resp::detail
