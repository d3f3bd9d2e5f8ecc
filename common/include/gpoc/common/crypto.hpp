// Ed25519 keys and signatures through libsodium. Secret keys live in sodium_malloc memory
// (guarded, locked, wiped on release) and are move-only.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <string>

#include "gpoc/common/bytes.hpp"
#include "gpoc/common/status.hpp"

namespace gpoc {

using PublicKey = std::array<std::uint8_t, 32>;
using Signature = std::array<std::uint8_t, 64>;

// Initialises libsodium once; safe to call from any thread, any number of times.
void crypto_init();

class SecretKey {
 public:
  SecretKey() = default;
  ~SecretKey();
  SecretKey(SecretKey&& other) noexcept;
  SecretKey& operator=(SecretKey&& other) noexcept;
  SecretKey(const SecretKey&) = delete;
  SecretKey& operator=(const SecretKey&) = delete;

  static SecretKey generate();
  // From a 32-byte seed (RFC 8032 private key).
  static SecretKey from_seed(ByteView seed32);

  bool valid() const { return sk_ != nullptr; }
  const PublicKey& public_key() const { return pk_; }
  Signature sign(ByteView message) const;
  // The 32-byte seed, for writing the key file.
  Bytes seed() const;

 private:
  std::uint8_t* sk_ = nullptr;  // 64 bytes: libsodium's seed || public key layout
  PublicKey pk_{};
};

// Fills out with unpredictable bytes from the operating system's generator (libsodium's
// randombytes), e.g. a certificate check's seed.
void random_fill(std::uint8_t* out, std::size_t size);

[[nodiscard]] bool verify_signature(const PublicKey& key, ByteView message, const Signature& sig);

// Key files: one line "gpoc-ed25519-v1 <seed hex> <public hex>\n", mode 0600. A missing file is
// created with a fresh key when `create` is true; a file readable by group or others is refused.
Result<SecretKey> load_key_file(const std::filesystem::path& path);
Result<SecretKey> load_or_create_key_file(const std::filesystem::path& path,
                                          bool* created = nullptr);
Status write_key_file(const std::filesystem::path& path, const SecretKey& key);

}  // namespace gpoc
