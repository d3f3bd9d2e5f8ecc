// SHA-256 on the CPU, through OpenSSL's EVP interface (SHA-NI where the CPU has it).
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <memory>

#include "gpoc/common/bytes.hpp"

namespace gpoc {

using Digest32 = std::array<std::uint8_t, 32>;

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  Sha256& update(ByteView data);
  Sha256& update(std::string_view s) { return update(as_bytes(s)); }
  Sha256& update_u8(std::uint8_t v) { return update(ByteView(&v, 1)); }
  // Returns the digest and resets the context for reuse.
  Digest32 finish();

 private:
  struct Ctx;
  std::unique_ptr<Ctx> ctx_;
};

Digest32 sha256(ByteView data);
// SHA-256 over the concatenation of the parts.
Digest32 sha256_concat(std::initializer_list<ByteView> parts);

}  // namespace gpoc
