// The GPOC_HD bodies run directly on the host. They are what the GPU runs, so checking them here
// against OpenSSL and gpoc::result_digest covers the device algorithm on machines with no GPU.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "gpoc/common/hex.hpp"
#include "gpoc/common/merkle.hpp"
#include "host_loop.hpp"
#include "kernel_bodies.hpp"
#include "task.hpp"
#include "test_util.hpp"

namespace gpoc::kernels {
namespace {

using detail::Sha256Body;
using testing::random_bytes;

Digest32 body_sha256(ByteView data) {
  Digest32 out{};
  Sha256Body hash;
  hash.update(data.data(), data.size());
  hash.finish(out.data());
  return out;
}

TEST(Sha256Body, NistVectors) {
  EXPECT_EQ(to_hex(body_sha256(as_bytes(""))),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(to_hex(body_sha256(as_bytes("abc"))),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(
      to_hex(body_sha256(as_bytes("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))),
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(to_hex(body_sha256(as_bytes(
                "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopq"
                "klmnopqrlmnopqrsmnopqrstnopqrstu"))),
            "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

// Every length across the padding boundaries (55/56 and 119/120 bytes change the block count).
TEST(Sha256Body, MatchesOpenSslForEveryLengthUpTo300) {
  for (std::size_t len = 0; len <= 300; ++len) {
    const Bytes data = random_bytes(len, 1000 + len);
    ASSERT_EQ(body_sha256(data), sha256(data)) << "length " << len;
  }
}

// Feeding the same bytes in uneven pieces exercises the partial-block buffer.
TEST(Sha256Body, PiecewiseUpdatesEqualOneShot) {
  const Bytes data = random_bytes(1000, 7);
  for (std::size_t piece : {1u, 3u, 63u, 64u, 65u, 127u}) {
    Sha256Body hash;
    for (std::size_t off = 0; off < data.size(); off += piece) {
      hash.update(data.data() + off, std::min(piece, data.size() - off));
    }
    Digest32 out{};
    hash.finish(out.data());
    EXPECT_EQ(out, sha256(data)) << "piece " << piece;
  }
}

TEST(Sha256RecordsBody, WritesEachRecordDigestInPlace) {
  const Bytes input = random_bytes(5 * 65, 11);
  Bytes output(5 * 32, detail::kPoisonByte);
  detail::for_each_index(5, detail::make_sha256_records_body(input.data(), 65, output.data()));
  EXPECT_EQ(output, testing::sha256_records_reference(input, 65));
}

// Record sizes on both sides of the padding boundaries, and every multiple of 64 up to 512
// (those take the precomputed padding block), with enough records to reach unaligned starts
// when the size is not a multiple of 4.
TEST(Sha256RecordsBody, MatchesOpenSslForManyRecordSizes) {
  std::vector<std::size_t> sizes = {1,  2,  3,  4,   5,   31,  32,  33,   55,   56,
                                    57, 63, 65, 119, 120, 121, 127, 1000, 4096, 4097};
  for (std::size_t s = 64; s <= 512; s += 64) sizes.push_back(s);
  for (std::size_t record_bytes : sizes) {
    const std::size_t records = 7;
    const Bytes input = random_bytes(records * record_bytes, 3000 + record_bytes);
    Bytes output(records * 32, detail::kPoisonByte);
    detail::for_each_index(
        records, detail::make_sha256_records_body(input.data(), record_bytes, output.data()));
    ASSERT_EQ(output, testing::sha256_records_reference(input, record_bytes))
        << "record_bytes " << record_bytes;
  }
}

// The message routine at every offset modulo 4 (aligned word loads and the byte path), with and
// without the one-byte prefix the Merkle leaves use, for every length up to 300 and around 4096.
TEST(Sha256Message, MatchesOpenSslAtEveryAlignmentWithAndWithoutPrefix) {
  std::vector<std::size_t> lengths;
  for (std::size_t len = 0; len <= 300; ++len) lengths.push_back(len);
  for (std::size_t len : {4031, 4032, 4033, 4094, 4095, 4096}) lengths.push_back(len);
  const Bytes backing = random_bytes(4096 + 8, 17);
  for (std::size_t shift = 0; shift < 4; ++shift) {
    for (std::size_t len : lengths) {
      const std::uint8_t* data = backing.data() + shift;
      Digest32 out{};
      detail::sha256_message(0, 0, data, len, nullptr, out.data());
      ASSERT_EQ(out, sha256(ByteView(data, len))) << "shift " << shift << " length " << len;
      const std::uint8_t prefix = 0x00;
      detail::sha256_message(prefix, 1, data, len, nullptr, out.data());
      ASSERT_EQ(out, sha256_concat({ByteView(&prefix, 1), ByteView(data, len)}))
          << "prefixed, shift " << shift << " length " << len;
      if (len % 64 == 0) {
        const detail::Sha256PaddingSchedule pad = detail::sha256_padding_schedule(len);
        detail::sha256_message(0, 0, data, len, &pad, out.data());
        ASSERT_EQ(out, sha256(ByteView(data, len))) << "with padding schedule, length " << len;
      }
    }
  }
}

TEST(MerkleBodies, OddLastNodeIsCarriedUpUnchanged) {
  const Bytes nodes = random_bytes(3 * 32, 3);
  Bytes parents(2 * 32, detail::kPoisonByte);
  detail::for_each_index(2, detail::MerkleLevelBody{nodes.data(), 3, parents.data()});
  const std::uint8_t node_prefix = 0x01;
  const Digest32 first = sha256_concat({ByteView(&node_prefix, 1), ByteView(nodes).first(64)});
  EXPECT_TRUE(std::equal(first.begin(), first.end(), parents.begin()));
  EXPECT_TRUE(std::equal(nodes.begin() + 64, nodes.end(), parents.begin() + 32));
}

// RFC 6962 by hand for five leaves: split at 4, so root = node(node(node(l0,l1),node(l2,l3)), l4).
// Built only from gpoc::sha256_concat, independently of merkle.cpp.
TEST(MerkleBodies, FiveLeafTreeMatchesRfc6962ByHand) {
  const Bytes data = random_bytes(4 * 4096 + 17, 5);
  const std::uint8_t leaf_prefix = 0x00, node_prefix = 0x01;
  auto leaf = [&](std::size_t i) {
    return sha256_concat(
        {ByteView(&leaf_prefix, 1),
         ByteView(data).subspan(i * 4096, std::min<std::size_t>(4096, data.size() - i * 4096))});
  };
  auto node = [&](const Digest32& l, const Digest32& r) {
    return sha256_concat({ByteView(&node_prefix, 1), ByteView(l), ByteView(r)});
  };
  const Digest32 expected = node(node(node(leaf(0), leaf(1)), node(leaf(2), leaf(3))), leaf(4));
  EXPECT_EQ(detail::result_digest_by_bodies(data), expected);
}

TEST(MerkleBodies, MatchResultDigestAcrossLeafCounts) {
  for (std::size_t size : {std::size_t{0}, std::size_t{1}, std::size_t{4095}, std::size_t{4096},
                           std::size_t{4097}, std::size_t{3 * 4096}, std::size_t{7 * 4096 + 5},
                           std::size_t{33 * 4096 - 1}, std::size_t{(1u << 20) + 3}}) {
    const Bytes data = random_bytes(size, 100 + size);
    EXPECT_EQ(detail::result_digest_by_bodies(data), result_digest(data)) << "size " << size;
  }
}

}  // namespace
}  // namespace gpoc::kernels
