#include <gtest/gtest.h>

#include <random>

#include "gpoc/common/hex.hpp"
#include "gpoc/common/merkle.hpp"

namespace gpoc {
namespace {

// RFC 6962 reference vectors (certificate-transparency / transparency-dev test data).
const char* kLeaves[] = {"",
                         "00",
                         "10",
                         "2021",
                         "3031",
                         "40414243",
                         "5051525354555657",
                         "606162636465666768696a6b6c6d6e6f"};
const char* kRoots[] = {"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
                        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
                        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
                        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
                        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
                        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
                        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
                        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"};

std::vector<Digest32> vector_leaf_hashes(std::size_t n) {
  std::vector<Digest32> out;
  for (std::size_t i = 0; i < n; ++i) out.push_back(merkle_leaf_hash(*from_hex(kLeaves[i])));
  return out;
}

TEST(Merkle, Rfc6962RootsForEveryTreeSize) {
  EXPECT_EQ(to_hex(merkle_root_of_leaves({})),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  for (std::size_t n = 1; n <= 8; ++n) {
    EXPECT_EQ(to_hex(merkle_root_of_leaves(vector_leaf_hashes(n))), kRoots[n - 1]) << "size " << n;
  }
}

TEST(Merkle, Rfc6962AuditPaths) {
  auto leaves = vector_leaf_hashes(8);
  auto p0 = merkle_inclusion_proof(leaves, 0);
  ASSERT_EQ(p0.size(), 3u);
  EXPECT_EQ(to_hex(p0[0]), "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7");
  EXPECT_EQ(to_hex(p0[1]), "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e");
  EXPECT_EQ(to_hex(p0[2]), "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4");
  auto p5 = merkle_inclusion_proof(leaves, 5);
  ASSERT_EQ(p5.size(), 3u);
  EXPECT_EQ(to_hex(p5[0]), "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b");
  EXPECT_EQ(to_hex(p5[1]), "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0");
  EXPECT_EQ(to_hex(p5[2]), "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7");
}

TEST(Merkle, EveryInclusionProofVerifiesAndTamperingFails) {
  for (std::size_t n = 1; n <= 33; ++n) {
    std::vector<Digest32> leaves;
    for (std::size_t i = 0; i < n; ++i) leaves.push_back(sha256(as_bytes(std::to_string(i))));
    Digest32 root = merkle_root_of_leaves(leaves);
    for (std::size_t i = 0; i < n; ++i) {
      auto proof = merkle_inclusion_proof(leaves, i);
      EXPECT_TRUE(merkle_verify_inclusion(leaves[i], i, n, proof, root)) << n << " " << i;
      Digest32 bad = leaves[i];
      bad[0] ^= 1;
      EXPECT_FALSE(merkle_verify_inclusion(bad, i, n, proof, root));
      if (n > 1) {
        EXPECT_FALSE(merkle_verify_inclusion(leaves[i], (i + 1) % n, n, proof, root));
      }
    }
  }
}

TEST(ResultDigest, SplitsIntoFixedLeavesAndMatchesDefinition) {
  std::mt19937_64 rng(7);
  for (std::size_t size : {std::size_t{0}, std::size_t{1}, std::size_t{4095}, std::size_t{4096},
                           std::size_t{4097}, std::size_t{3 * 4096 + 5}, std::size_t{9 * 4096}}) {
    Bytes data(size);
    for (auto& b : data) b = static_cast<std::uint8_t>(rng());
    std::vector<Digest32> leaves;
    for (std::size_t off = 0; off < size; off += 4096) {
      leaves.push_back(
          merkle_leaf_hash(ByteView(data).subspan(off, std::min<std::size_t>(4096, size - off))));
    }
    EXPECT_EQ(result_digest(data), merkle_root_of_leaves(leaves)) << size;
  }
  // One leaf: the digest is the leaf hash itself, SHA-256(0x00 || data).
  Bytes one = {0x61, 0x62, 0x63};
  EXPECT_EQ(result_digest(one), sha256_concat({ByteView(Bytes{0x00}), ByteView(one)}));
}

}  // namespace
}  // namespace gpoc
