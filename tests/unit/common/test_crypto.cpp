#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "gpoc/common/crypto.hpp"
#include "gpoc/common/hex.hpp"

namespace gpoc {
namespace {

// RFC 8032 section 7.1, TEST 1 and TEST 2.
TEST(Ed25519, Rfc8032Vectors) {
  auto k1 = SecretKey::from_seed(
      *from_hex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"));
  EXPECT_EQ(to_hex(k1.public_key()),
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
  EXPECT_EQ(to_hex(k1.sign({})),
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39"
            "701cf9b46b"
            "d25bf5f0595bbe24655141438e7a100b");
  auto k2 = SecretKey::from_seed(
      *from_hex("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb"));
  EXPECT_EQ(to_hex(k2.public_key()),
            "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c");
  Bytes msg = {0x72};
  Signature sig = k2.sign(msg);
  EXPECT_EQ(to_hex(sig),
            "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f36"
            "13d0f11d8c"
            "387b2eaeb4302aeeb00d291612bb0c00");
  EXPECT_TRUE(verify_signature(k2.public_key(), msg, sig));
  sig[5] ^= 0x01;
  EXPECT_FALSE(verify_signature(k2.public_key(), msg, sig));
  EXPECT_FALSE(verify_signature(k1.public_key(), msg, k2.sign(msg)));
}

class KeyFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("gpoc-keytest-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_F(KeyFileTest, CreatedWithMode0600AndReloadsTheSameKey) {
  auto path = dir_ / "sub" / "worker.key";
  bool created = false;
  auto k = load_or_create_key_file(path, &created);
  ASSERT_TRUE(k.ok()) << k.status().to_string();
  EXPECT_TRUE(created);
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto again = load_or_create_key_file(path, &created);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(created);
  EXPECT_EQ(again->public_key(), k->public_key());
}

TEST_F(KeyFileTest, RefusesWorldReadableAndCorruptFiles) {
  auto path = dir_ / "k.key";
  ASSERT_TRUE(write_key_file(path, SecretKey::generate()).ok());
  std::filesystem::permissions(path, std::filesystem::perms::others_read,
                               std::filesystem::perm_options::add);
  EXPECT_EQ(load_key_file(path).status().code(), ErrorCode::permission_denied);
  std::filesystem::permissions(
      path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write,
      std::filesystem::perm_options::replace);
  { std::ofstream(path) << "gpoc-ed25519-v1 00 11\n"; }
  EXPECT_EQ(load_key_file(path).status().code(), ErrorCode::data_loss);
  EXPECT_EQ(load_key_file(dir_ / "missing").status().code(), ErrorCode::not_found);
}

}  // namespace
}  // namespace gpoc
