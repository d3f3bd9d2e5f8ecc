#include "gpoc/common/sha256.hpp"

#include <openssl/evp.h>

#include <cassert>
#include <stdexcept>

namespace gpoc {

struct Sha256::Ctx {
  EVP_MD_CTX* md = nullptr;
  bool started = false;
};

static const EVP_MD* sha256_md() {
  // Fetched once: EVP_sha256() per call would repeat the provider lookup.
  static const EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  assert(md != nullptr);
  return md;
}

Sha256::Sha256() : ctx_(std::make_unique<Ctx>()) {
  ctx_->md = EVP_MD_CTX_new();
  if (ctx_->md == nullptr) throw std::bad_alloc();
}

Sha256::~Sha256() {
  if (ctx_) EVP_MD_CTX_free(ctx_->md);
}

Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;

Sha256& Sha256::update(ByteView data) {
  if (!ctx_->started) {
    int rc = EVP_DigestInit_ex2(ctx_->md, sha256_md(), nullptr);
    assert(rc == 1);
    (void)rc;
    ctx_->started = true;
  }
  if (!data.empty()) {
    int rc = EVP_DigestUpdate(ctx_->md, data.data(), data.size());
    assert(rc == 1);
    (void)rc;
  }
  return *this;
}

Digest32 Sha256::finish() {
  if (!ctx_->started) update(ByteView{});
  Digest32 out{};
  unsigned int len = 0;
  int rc = EVP_DigestFinal_ex(ctx_->md, out.data(), &len);
  assert(rc == 1 && len == 32);
  (void)rc;
  ctx_->started = false;
  return out;
}

Digest32 sha256(ByteView data) {
  Digest32 out{};
  unsigned int len = 0;
  int rc = EVP_Digest(data.data(), data.size(), out.data(), &len, sha256_md(), nullptr);
  assert(rc == 1 && len == 32);
  (void)rc;
  return out;
}

Digest32 sha256_concat(std::initializer_list<ByteView> parts) {
  thread_local Sha256 h;
  for (ByteView p : parts) h.update(p);
  return h.finish();
}

}  // namespace gpoc
