// Byte strings and the little-endian, length-checked codec used by every fixed-layout statement
// (docs/PROTOCOL.md, "Statements"). The reader never reads past its input: each accessor returns
// false once the input is short, and the caller turns that into an error.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace gpoc {

using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;

inline ByteView as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}
inline std::string_view as_chars(ByteView b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

// A fixed-size value (a key, a digest, a task id) from a wire `bytes` field; nullopt unless the
// field is exactly N bytes long.
template <std::size_t N>
std::optional<std::array<std::uint8_t, N>> fixed_bytes(std::string_view s) {
  if (s.size() != N) return std::nullopt;
  std::array<std::uint8_t, N> a{};
  std::copy(s.begin(), s.end(), a.begin());
  return a;
}

class ByteWriter {
 public:
  explicit ByteWriter(std::size_t reserve = 0) { out_.reserve(reserve); }
  void u8(std::uint8_t v) { out_.push_back(v); }
  void u16(std::uint16_t v) { put_le(v, 2); }
  void u32(std::uint32_t v) { put_le(v, 4); }
  void u64(std::uint64_t v) { put_le(v, 8); }
  void raw(ByteView b) { out_.insert(out_.end(), b.begin(), b.end()); }
  void raw(std::string_view s) { raw(as_bytes(s)); }
  template <std::size_t N>
  void raw(const std::array<std::uint8_t, N>& a) {
    raw(ByteView(a));
  }
  Bytes take() && { return std::move(out_); }
  const Bytes& bytes() const { return out_; }

 private:
  void put_le(std::uint64_t v, int n) {
    for (int i = 0; i < n; ++i) out_.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
  }
  Bytes out_;
};

class ByteReader {
 public:
  explicit ByteReader(ByteView in) : in_(in) {}
  bool u8(std::uint8_t& v) { return get_le(v, 1); }
  bool u16(std::uint16_t& v) { return get_le(v, 2); }
  bool u32(std::uint32_t& v) { return get_le(v, 4); }
  bool u64(std::uint64_t& v) { return get_le(v, 8); }
  bool raw(std::size_t n, ByteView& out) {
    if (remaining() < n) return false;
    out = in_.subspan(pos_, n);
    pos_ += n;
    return true;
  }
  template <std::size_t N>
  bool raw(std::array<std::uint8_t, N>& a) {
    ByteView v;
    if (!raw(N, v)) return false;
    std::copy(v.begin(), v.end(), a.begin());
    return true;
  }
  bool string(std::size_t n, std::string& s) {
    ByteView v;
    if (!raw(n, v)) return false;
    s.assign(as_chars(v));
    return true;
  }
  // True when the next bytes equal `tag`; consumes them.
  bool expect(std::string_view tag) {
    ByteView v;
    return raw(tag.size(), v) && as_chars(v) == tag;
  }
  std::size_t remaining() const { return in_.size() - pos_; }
  bool at_end() const { return pos_ == in_.size(); }

 private:
  template <typename T>
  bool get_le(T& v, int n) {
    if (remaining() < static_cast<std::size_t>(n)) return false;
    std::uint64_t x = 0;
    for (int i = 0; i < n; ++i) x |= static_cast<std::uint64_t>(in_[pos_ + i]) << (8 * i);
    pos_ += static_cast<std::size_t>(n);
    v = static_cast<T>(x);
    return true;
  }
  ByteView in_;
  std::size_t pos_ = 0;
};

}  // namespace gpoc
