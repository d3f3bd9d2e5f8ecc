#include <gtest/gtest.h>

#include <random>

#include "gpoc/transport/chunks.hpp"

namespace gpoc::transport {
namespace {

const Bytes kTask(32, 0x5a);

Bytes random_bytes(std::size_t n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  Bytes b(n);
  for (auto& x : b) x = static_cast<std::uint8_t>(rng());
  return b;
}

std::string str(const Bytes& b) { return {b.begin(), b.end()}; }

TEST(Chunks, SplitAndAssembleAtEveryBoundary) {
  for (std::size_t chunk : {1u, 3u, 7u, 64u}) {
    for (std::size_t n :
         {std::size_t{0}, std::size_t{1}, chunk - 1, chunk, chunk + 1, 5 * chunk + 3}) {
      SCOPED_TRACE("chunk " + std::to_string(chunk) + " size " + std::to_string(n));
      const Bytes data = random_bytes(n, static_cast<std::uint32_t>(n * 31 + chunk));
      auto chunks = split_chunks(kTask, data, chunk);
      const std::size_t expect_count = n == 0 ? 1 : (n + chunk - 1) / chunk;
      ASSERT_EQ(chunks.size(), expect_count);
      ChunkAssembler a(n);
      std::uint64_t offset = 0;
      for (std::size_t i = 0; i < chunks.size(); ++i) {
        const auto& c = chunks[i];
        EXPECT_EQ(c.task_id(), str(kTask));
        EXPECT_EQ(c.offset(), offset);
        EXPECT_EQ(c.total_bytes(), n);
        EXPECT_LE(c.data().size(), chunk);
        EXPECT_EQ(c.last(), i + 1 == chunks.size());
        offset += c.data().size();
        auto r = a.add(c);
        ASSERT_TRUE(r.ok()) << r.status().to_string();
        EXPECT_EQ(*r, c.last());
      }
      EXPECT_EQ(offset, n);
      ASSERT_TRUE(a.complete());
      EXPECT_EQ(a.received_bytes(), n);
      EXPECT_EQ(a.total_bytes(), n);
      EXPECT_EQ(a.take(), data);
    }
  }
}

TEST(Chunks, ZeroChunkSizeMeansDefaultAndOffsetsPastTheEndGiveAnEmptyLastChunk) {
  const Bytes data = random_bytes(kDefaultChunkBytes + 5, 1);
  auto chunks = split_chunks(kTask, data, 0);
  ASSERT_EQ(chunks.size(), 2u);
  EXPECT_EQ(chunks[0].data().size(), kDefaultChunkBytes);
  EXPECT_EQ(chunks[1].data().size(), 5u);
  wire::DataChunk tail = make_chunk(kTask, data, data.size() + 100, 10);
  EXPECT_EQ(tail.offset(), data.size());
  EXPECT_TRUE(tail.data().empty());
  EXPECT_TRUE(tail.last());
  wire::DataChunk mid = make_chunk(kTask, data, 10, 4);
  EXPECT_EQ(mid.data(), std::string(data.begin() + 10, data.begin() + 14));
  EXPECT_FALSE(mid.last());
}

// Each rejected chunk leaves the assembler as it was: the right chunk is still accepted after.
class AssemblerRejects : public ::testing::Test {
 protected:
  void SetUp() override {
    chunks_ = split_chunks(kTask, data_, 4);  // 4 chunks: 0, 4, 8, 12 (last has 2 bytes)
    ASSERT_EQ(chunks_.size(), 4u);
    ASSERT_TRUE(a_.add(chunks_[0]).ok());
  }
  void expect_rejected(const wire::DataChunk& c, ErrorCode code, const std::string& words) {
    auto r = a_.add(c);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), code);
    EXPECT_NE(r.status().message().find(words), std::string::npos) << r.status().message();
    EXPECT_EQ(a_.received_bytes(), 4u);
    EXPECT_FALSE(a_.complete());
  }
  void expect_recovers() {
    for (std::size_t i = 1; i < chunks_.size(); ++i) ASSERT_TRUE(a_.add(chunks_[i]).ok());
    ASSERT_TRUE(a_.complete());
    EXPECT_EQ(a_.take(), data_);
  }
  Bytes data_ = random_bytes(14, 2);
  std::vector<wire::DataChunk> chunks_;
  ChunkAssembler a_{100};
};

TEST_F(AssemblerRejects, Gaps) {
  expect_rejected(chunks_[2], ErrorCode::invalid_argument, "gap");
  expect_recovers();
}

TEST_F(AssemblerRejects, OverlapsAndRepeats) {
  expect_rejected(chunks_[0], ErrorCode::invalid_argument, "overlaps");
  wire::DataChunk straddle = make_chunk(kTask, data_, 2, 4);
  expect_rejected(straddle, ErrorCode::invalid_argument, "overlaps");
  expect_recovers();
}

TEST_F(AssemblerRejects, ChangedTotalOrTask) {
  wire::DataChunk c = chunks_[1];
  c.set_total_bytes(15);
  expect_rejected(c, ErrorCode::invalid_argument, "total size changed from 14 to 15");
  c = chunks_[1];
  c.set_task_id("other");
  expect_rejected(c, ErrorCode::invalid_argument, "another task");
  expect_recovers();
}

TEST_F(AssemblerRejects, BadLastFlagsAndEmptyChunks) {
  wire::DataChunk early_last = chunks_[1];
  early_last.set_last(true);
  expect_rejected(early_last, ErrorCode::invalid_argument, "ends before the total");
  wire::DataChunk empty = chunks_[1];
  empty.clear_data();
  expect_rejected(empty, ErrorCode::invalid_argument, "empty chunk");
  wire::DataChunk too_long = chunks_[1];
  too_long.set_data(std::string(11, 'x'));
  expect_rejected(too_long, ErrorCode::invalid_argument, "runs past the total");
  wire::DataChunk unmarked = make_chunk(kTask, data_, 4, 100);  // reaches the end...
  unmarked.set_last(false);                                     // ...but says it does not
  expect_rejected(unmarked, ErrorCode::invalid_argument, "not marked last");
  expect_recovers();
}

TEST(Assembler, RejectsTotalsAboveTheLimitAndChunksAfterCompletion) {
  const Bytes data = random_bytes(10, 3);
  ChunkAssembler small(9);
  auto r = small.add(split_chunks(kTask, data, 4)[0]);
  EXPECT_EQ(r.status().code(), ErrorCode::resource_exhausted);
  EXPECT_EQ(small.total_bytes(), 0u);  // nothing was accepted

  ChunkAssembler a(10);
  auto chunks = split_chunks(kTask, data, 4);
  for (const auto& c : chunks) ASSERT_TRUE(a.add(c).ok());
  ASSERT_TRUE(a.complete());
  auto again = a.add(chunks.back());
  EXPECT_EQ(again.status().code(), ErrorCode::failed_precondition);
  EXPECT_EQ(a.take(), data);
  EXPECT_EQ(a.received_bytes(), 10u);
}

TEST(Assembler, EmptyObjectIsOneEmptyLastChunk) {
  ChunkAssembler a(0);
  auto chunks = split_chunks(kTask, {}, 4);
  ASSERT_EQ(chunks.size(), 1u);
  EXPECT_TRUE(chunks[0].last());
  EXPECT_TRUE(chunks[0].data().empty());
  auto r = a.add(chunks[0]);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_TRUE(*r);
  EXPECT_TRUE(a.take().empty());
}

}  // namespace
}  // namespace gpoc::transport
