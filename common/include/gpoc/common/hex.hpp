#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

#include "gpoc/common/bytes.hpp"

namespace gpoc {

std::string to_hex(ByteView bytes);
template <std::size_t N>
std::string to_hex(const std::array<std::uint8_t, N>& a) {
  return to_hex(ByteView(a));
}
// Lower- or upper-case hex; nullopt on odd length or a non-hex character.
std::optional<Bytes> from_hex(std::string_view hex);
template <std::size_t N>
std::optional<std::array<std::uint8_t, N>> from_hex_array(std::string_view hex) {
  auto b = from_hex(hex);
  if (!b || b->size() != N) return std::nullopt;
  std::array<std::uint8_t, N> a{};
  std::copy(b->begin(), b->end(), a.begin());
  return a;
}

}  // namespace gpoc
