// The transport module's public API: the Envelope codec, ZeroMQ ROUTER/DEALER sockets with limits
// on every socket, and bounded chunked transfer. transport/README.md explains the choices.
#pragma once

#include "gpoc/transport/chunks.hpp"    // IWYU pragma: export
#include "gpoc/transport/envelope.hpp"  // IWYU pragma: export
#include "gpoc/transport/socket.hpp"    // IWYU pragma: export
