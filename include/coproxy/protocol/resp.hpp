// RESP codec (RESP2 and RESP3, as spoken by Redis 7), in two directions: resp_request.hpp frames
// client requests (multibulk or inline) and encodes them, resp_reply.hpp finds where backend
// replies end and splits them for multi-key merges. Pure functions over bytes: no sockets, no
// exceptions, no allocation per byte.
#pragma once

#include "coproxy/protocol/resp_reply.hpp"    // IWYU pragma: export
#include "coproxy/protocol/resp_request.hpp"  // IWYU pragma: export
#include "coproxy/protocol/resp_status.hpp"   // IWYU pragma: export
