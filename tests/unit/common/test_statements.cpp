#include <gtest/gtest.h>

#include "gpoc/common/hex.hpp"
#include "gpoc/common/statements.hpp"

namespace gpoc {
namespace {

TaskSpec sample_spec() {
  TaskSpec s;
  s.kernel_id = "sha256";
  s.kernel_version = 1;
  s.input_digest = sha256(as_bytes("input"));
  s.input_bytes = 640;
  s.params = {{"record_bytes", "64"}};
  s.trust = 5;
  s.category = 0;
  s.min_replicas = 3;
  s.requester_key = SecretKey::from_seed(Bytes(32, 7)).public_key();
  s.requester_nonce = 42;
  return s;
}

TEST(TaskSpec, RoundTripsCanonically) {
  auto bytes = encode_task_spec(sample_spec());
  ASSERT_TRUE(bytes.ok());
  auto decoded = decode_task_spec(*bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.status().to_string();
  EXPECT_EQ(*decoded, sample_spec());
  EXPECT_EQ(*encode_task_spec(*decoded), *bytes);
  // The layout starts with the domain tag and the kernel id length.
  EXPECT_EQ(std::string(bytes->begin(), bytes->begin() + 12), "gpoc.task.v1");
  EXPECT_EQ((*bytes)[12], 6);
}

TEST(TaskSpec, EveryTruncationAndTrailingByteIsRejected) {
  Bytes good = *encode_task_spec(sample_spec());
  for (std::size_t n = 0; n < good.size(); ++n) {
    EXPECT_FALSE(decode_task_spec(ByteView(good).first(n)).ok()) << n;
  }
  Bytes longer = good;
  longer.push_back(0);
  EXPECT_FALSE(decode_task_spec(longer).ok());
}

TEST(TaskSpec, RejectsNonCanonicalOrOutOfLimitFields) {
  TaskSpec s = sample_spec();
  s.params = {{"b", "1"}, {"a", "2"}};
  EXPECT_FALSE(encode_task_spec(s).ok());  // unsorted
  EXPECT_TRUE(normalize_task_spec(s).ok());
  EXPECT_EQ(s.params[0].first, "a");
  s.params = {{"a", "1"}, {"a", "2"}};
  EXPECT_FALSE(normalize_task_spec(s).ok());
  s = sample_spec();
  s.trust = 0;
  EXPECT_FALSE(encode_task_spec(s).ok());
  s = sample_spec();
  s.kernel_id = "Sha-256";
  EXPECT_FALSE(encode_task_spec(s).ok());
  s = sample_spec();
  s.min_replicas = 0;
  EXPECT_FALSE(encode_task_spec(s).ok());
}

TEST(Contribution, RoundTripAndHashesAreBoundToTaskAndWorker) {
  ContributionStatement c;
  c.pool_id = SecretKey::from_seed(Bytes(32, 1)).public_key();
  c.task_id = sha256(as_bytes("t"));
  c.worker_key = SecretKey::from_seed(Bytes(32, 2)).public_key();
  Digest32 digest = sha256(as_bytes("out"));
  c.result_hash = result_hash(c.task_id, digest);
  c.result_seal = result_seal(c.worker_key, c.task_id, digest);
  c.output_bytes = 123;
  c.exec_class = "cpu-x86_64";
  Bytes b = encode_contribution(c);
  auto d = decode_contribution(b);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(*d, c);
  for (std::size_t n = 0; n < b.size(); ++n)
    EXPECT_FALSE(decode_contribution(ByteView(b).first(n)).ok());
  // The vote is the same for every worker with the same digest; the seal is not.
  PublicKey other = SecretKey::from_seed(Bytes(32, 3)).public_key();
  EXPECT_NE(result_seal(other, c.task_id, digest), c.result_seal);
  EXPECT_EQ(result_hash(c.task_id, digest),
            sha256_concat({as_bytes("gpoc.hash"), ByteView(c.task_id), ByteView(digest)}));
  EXPECT_NE(result_hash(sha256(as_bytes("u")), digest), c.result_hash);
}

TEST(Register, RoundTrip) {
  RegisterStatement r;
  r.pool_id[0] = 1;
  r.challenge[31] = 9;
  r.worker_key[3] = 4;
  r.exec_class = "cuda-sm90";
  auto d = decode_register(encode_register(r));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(*d, r);
  Bytes bad = encode_register(r);
  bad[0] = 'x';
  EXPECT_FALSE(decode_register(bad).ok());
}

}  // namespace
}  // namespace gpoc
