// sort_u64 with std::sort, sort_kv_u64 with std::stable_sort, histogram_u32 in a loop. The sorts
// need no shared body: their outputs are unique (a sorted multiset; a stable sort), so CUB on
// the GPU gives the same bytes. The histogram shares HistogramRange::bin_of with the GPU.
#include "sorts_host.hpp"

#include <algorithm>
#include <vector>

#include "sorts_bodies.hpp"

namespace gpoc::kernels::detail {
namespace {

std::uint64_t load_le64(const std::uint8_t* p) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= std::uint64_t{p[i]} << (8 * i);
  return v;
}

std::uint32_t load_le32(const std::uint8_t* p) {
  return std::uint32_t{p[0]} | (std::uint32_t{p[1]} << 8) | (std::uint32_t{p[2]} << 16) |
         (std::uint32_t{p[3]} << 24);
}

void store_le64(std::uint8_t* p, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<std::uint8_t>(v >> (8 * i));
}

struct KeyValue {
  std::uint64_t key;
  std::uint64_t value;
};

}  // namespace

void sort_u64_on_host(ByteView input, std::uint8_t* output) {
  std::vector<std::uint64_t> values(input.size() / 8);
  for (std::size_t i = 0; i < values.size(); ++i) values[i] = load_le64(input.data() + 8 * i);
  std::sort(values.begin(), values.end());
  for (std::size_t i = 0; i < values.size(); ++i) store_le64(output + 8 * i, values[i]);
}

void sort_kv_u64_on_host(ByteView input, std::uint8_t* output) {
  std::vector<KeyValue> records(input.size() / kKvRecordBytes);
  for (std::size_t i = 0; i < records.size(); ++i) {
    const std::uint8_t* record = input.data() + kKvRecordBytes * i;
    records[i] = {load_le64(record), load_le64(record + 8)};
  }
  std::stable_sort(records.begin(), records.end(),
                   [](const KeyValue& a, const KeyValue& b) { return a.key < b.key; });
  for (std::size_t i = 0; i < records.size(); ++i) {
    std::uint8_t* record = output + kKvRecordBytes * i;
    store_le64(record, records[i].key);
    store_le64(record + 8, records[i].value);
  }
}

void histogram_u32_on_host(const Task& task, ByteView input, std::uint8_t* output) {
  const HistogramRange range =
      make_histogram_range(task.param("lower"), task.param("upper"), task.param("bins"));
  std::vector<std::uint64_t> counts(range.bins, 0);
  const std::size_t n = input.size() / 4;
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint64_t bin = range.bin_of(load_le32(input.data() + 4 * i));
    if (bin < range.bins) ++counts[bin];
  }
  for (std::size_t b = 0; b < counts.size(); ++b) store_le64(output + 8 * b, counts[b]);
}

}  // namespace gpoc::kernels::detail
