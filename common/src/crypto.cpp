#include "gpoc/common/crypto.hpp"

#include <sodium.h>
#include <sys/stat.h>

#include <cassert>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <sstream>

#include "gpoc/common/hex.hpp"

namespace gpoc {

void crypto_init() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (sodium_init() < 0) {
      std::fputs("gpoc: libsodium failed to initialise\n", stderr);
      std::abort();
    }
  });
}

SecretKey::~SecretKey() {
  if (sk_ != nullptr) sodium_free(sk_);  // sodium_free wipes before releasing
}

SecretKey::SecretKey(SecretKey&& other) noexcept : sk_(other.sk_), pk_(other.pk_) {
  other.sk_ = nullptr;
}

SecretKey& SecretKey::operator=(SecretKey&& other) noexcept {
  if (this != &other) {
    if (sk_ != nullptr) sodium_free(sk_);
    sk_ = other.sk_;
    pk_ = other.pk_;
    other.sk_ = nullptr;
  }
  return *this;
}

void random_fill(std::uint8_t* out, std::size_t size) {
  crypto_init();
  randombytes_buf(out, size);
}

SecretKey SecretKey::generate() {
  crypto_init();
  Bytes seed(crypto_sign_SEEDBYTES);
  randombytes_buf(seed.data(), seed.size());
  SecretKey k = from_seed(seed);
  sodium_memzero(seed.data(), seed.size());
  return k;
}

SecretKey SecretKey::from_seed(ByteView seed32) {
  crypto_init();
  assert(seed32.size() == crypto_sign_SEEDBYTES);
  SecretKey k;
  k.sk_ = static_cast<std::uint8_t*>(sodium_malloc(crypto_sign_SECRETKEYBYTES));
  if (k.sk_ == nullptr) throw std::bad_alloc();
  crypto_sign_seed_keypair(k.pk_.data(), k.sk_, seed32.data());
  return k;
}

Signature SecretKey::sign(ByteView message) const {
  assert(valid());
  Signature sig{};
  crypto_sign_detached(sig.data(), nullptr, message.data(), message.size(), sk_);
  return sig;
}

Bytes SecretKey::seed() const {
  assert(valid());
  return Bytes(sk_, sk_ + crypto_sign_SEEDBYTES);
}

bool verify_signature(const PublicKey& key, ByteView message, const Signature& sig) {
  crypto_init();
  return crypto_sign_verify_detached(sig.data(), message.data(), message.size(), key.data()) == 0;
}

static constexpr std::string_view kKeyFileTag = "gpoc-ed25519-v1";

Result<SecretKey> load_key_file(const std::filesystem::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    return not_found("key file " + path.string() + " does not exist");
  if ((st.st_mode & 077) != 0) {
    return Status(
        ErrorCode::permission_denied,
        "key file " + path.string() + " is readable by others; run: chmod 600 " + path.string());
  }
  std::ifstream in(path);
  std::string tag, seed_hex, pub_hex;
  if (!(in >> tag >> seed_hex >> pub_hex) || tag != kKeyFileTag) {
    return data_loss("key file " + path.string() + " is not a gpoc Ed25519 key file");
  }
  auto seed = from_hex(seed_hex);
  auto pub = from_hex_array<32>(pub_hex);
  if (!seed || seed->size() != 32 || !pub)
    return data_loss("key file " + path.string() + " is malformed");
  SecretKey key = SecretKey::from_seed(*seed);
  sodium_memzero(seed->data(), seed->size());
  if (key.public_key() != *pub) {
    return data_loss("key file " + path.string() + ": public key does not match the seed");
  }
  return key;
}

Status write_key_file(const std::filesystem::path& path, const SecretKey& key) {
  std::error_code ec;
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), ec);
  if (ec) return unavailable("cannot create " + path.parent_path().string() + ": " + ec.message());
  std::filesystem::path tmp = path;
  tmp += ".tmp";
  mode_t old = ::umask(077);
  FILE* f = std::fopen(tmp.c_str(), "w");
  ::umask(old);
  if (f == nullptr) return unavailable("cannot write key file " + tmp.string());
  Bytes seed = key.seed();
  std::string line =
      std::string(kKeyFileTag) + " " + to_hex(seed) + " " + to_hex(key.public_key()) + "\n";
  sodium_memzero(seed.data(), seed.size());
  bool ok = std::fwrite(line.data(), 1, line.size(), f) == line.size();
  ok = (std::fflush(f) == 0) && ok;
  ok = (::fchmod(fileno(f), 0600) == 0) && ok;
  std::fclose(f);
  sodium_memzero(line.data(), line.size());
  if (!ok) return unavailable("cannot write key file " + tmp.string());
  std::filesystem::rename(tmp, path, ec);
  if (ec) return unavailable("cannot rename key file into place: " + ec.message());
  return ok_status();
}

Result<SecretKey> load_or_create_key_file(const std::filesystem::path& path, bool* created) {
  if (created != nullptr) *created = false;
  if (std::filesystem::exists(path)) return load_key_file(path);
  SecretKey key = SecretKey::generate();
  GPOC_RETURN_IF_ERROR(write_key_file(path, key));
  if (created != nullptr) *created = true;
  return key;
}

}  // namespace gpoc
