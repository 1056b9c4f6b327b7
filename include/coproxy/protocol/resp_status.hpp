// The outcome of one RESP parse step, shared by the request and reply parsers.
#pragma once

#include <cstdint>

namespace coproxy::protocol::resp {

// ok: one complete message; need_more: call again with the same bytes plus more; invalid: the
// stream is broken and the connection must close; too_large: well formed so far but over a limit.
enum class status : std::uint8_t { ok, need_more, invalid, too_large };

}  // namespace coproxy::protocol::resp
