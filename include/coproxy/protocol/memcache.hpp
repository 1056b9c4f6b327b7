// Memcached codec (ASCII text protocol and the meta protocol of memcached 1.6), in three parts:
// memcache_command.hpp (vocabulary, quiet rules, `b` keys), memcache_request.hpp (client side),
// memcache_reply.hpp (server side). Pure functions over bytes: no sockets, no exceptions.
#pragma once

#include "coproxy/protocol/memcache_command.hpp"  // IWYU pragma: export
#include "coproxy/protocol/memcache_reply.hpp"    // IWYU pragma: export
#include "coproxy/protocol/memcache_request.hpp"  // IWYU pragma: export
