#include <gtest/gtest.h>

#include <string>

#include "gpoc/common/hex.hpp"
#include "gpoc/common/sha256.hpp"

namespace gpoc {
namespace {

// FIPS 180-2 / NIST CAVP known answers.
TEST(Sha256, NistVectors) {
  EXPECT_EQ(to_hex(sha256(as_bytes(""))),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(to_hex(sha256(as_bytes("abc"))),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(to_hex(sha256(as_bytes("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  std::string million(1'000'000, 'a');
  EXPECT_EQ(to_hex(sha256(as_bytes(million))),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, IncrementalEqualsOneShotAndContextIsReusable) {
  std::string msg = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  Sha256 h;
  for (char c : msg) h.update(std::string_view(&c, 1));
  EXPECT_EQ(h.finish(), sha256(as_bytes(msg)));
  h.update("abc");
  EXPECT_EQ(to_hex(h.finish()), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_concat({as_bytes("ab"), as_bytes(""), as_bytes("c")}), sha256(as_bytes("abc")));
}

TEST(Hex, RoundTripAndRejectsBadInput) {
  Bytes b = {0x00, 0x7f, 0xff, 0x10};
  EXPECT_EQ(to_hex(b), "007fff10");
  EXPECT_EQ(from_hex("007FFF10"), b);
  EXPECT_FALSE(from_hex("abc").has_value());
  EXPECT_FALSE(from_hex("zz").has_value());
  EXPECT_FALSE(from_hex_array<4>("0011").has_value());
}

}  // namespace
}  // namespace gpoc
