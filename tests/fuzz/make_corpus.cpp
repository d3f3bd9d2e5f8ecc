// Writes the seed corpus under tests/fuzz/corpus/ (checked in; rerun only when a format changes):
//   ninja gpoc_fuzz_make_corpus && bin/gpoc_fuzz_make_corpus <repo>/tests/fuzz/corpus
// A few valid inputs per target, so mutations start from deep in each format, and a few invalid
// ones that hit each rejection path.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "gpoc/common/statements.hpp"
#include "gpoc/transport/chunks.hpp"
#include "gpoc/transport/envelope.hpp"

using namespace gpoc;
namespace fs = std::filesystem;

namespace {

fs::path g_root;

void put(const std::string& target, const std::string& name, const Bytes& b) {
  fs::create_directories(g_root / target);
  std::ofstream(g_root / target / (name + ".bin"), std::ios::binary)
      .write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

Bytes cut(Bytes b, std::size_t drop) {
  b.resize(b.size() > drop ? b.size() - drop : 0);
  return b;
}
Bytes plus(Bytes b, std::uint8_t x) {
  b.push_back(x);
  return b;
}

PublicKey key(std::uint8_t fill) {
  PublicKey k;
  k.fill(fill);
  return k;
}

void envelopes() {
  using transport::encode;
  wire::Envelope hb;
  hb.set_version(1);
  hb.set_message_id(7);
  hb.mutable_heartbeat()->set_running(2);
  put("envelope", "heartbeat", encode(hb));
  wire::Envelope sub = hb;
  sub.mutable_submit()->set_spec(std::string(40, 's'));
  sub.mutable_submit()->set_signature(std::string(64, 'g'));
  sub.mutable_submit()->set_input("input bytes");
  put("envelope", "submit", encode(sub));
  wire::Envelope st = hb;
  auto* ts = st.mutable_task_status();
  ts->set_state(wire::TASK_RUNNING);
  ts->set_kernel("sha256@1");
  ts->add_replicas()->set_note("assigned");
  put("envelope", "task_status", encode(st));
  wire::Envelope chunk = hb;
  *chunk.mutable_input_chunk() = transport::make_chunk(Bytes(32, 1), as_bytes("abcdef"), 2, 3);
  put("envelope", "input_chunk", encode(chunk));
  put("envelope", "error", encode(transport::make_error(7, wire::ERROR_BUSY, "busy")));
  wire::Envelope v2 = hb;
  v2.set_version(2);
  put("envelope", "wrong_version", encode(v2));
  wire::Envelope no_body = hb;
  no_body.clear_heartbeat();
  put("envelope", "no_body", encode(no_body));
  put("envelope", "truncated", cut(encode(sub), 5));
  put("envelope", "garbage", Bytes{0xff, 0xff, 0xff, 0x01, 0x52, 0x7f});
  put("envelope", "empty", Bytes{});
}

void statements() {
  TaskSpec s;
  s.kernel_id = "sha256";
  s.input_bytes = 640;
  s.params = {{"record_bytes", "64"}, {"rounds", "3"}};
  s.trust = 5;
  s.min_replicas = 3;
  s.requester_key = key(9);
  s.requester_nonce = 42;
  const Bytes spec = *encode_task_spec(s);
  put("task_spec", "valid_params", spec);
  TaskSpec bare = s;
  bare.params.clear();
  put("task_spec", "valid_bare", *encode_task_spec(bare));
  put("task_spec", "truncated", cut(spec, 9));
  put("task_spec", "trailing", plus(spec, 0));
  Bytes unsorted = spec;  // "record_bytes" -> "zecord_bytes", now after "rounds"
  const std::size_t first_key = kTaskTag.size() + 1 + 6 + 4 + 32 + 8 + 1 + 1;
  unsorted[first_key] = 'z';
  put("task_spec", "unsorted_params", unsorted);

  ContributionStatement c{key(1), key(2), key(3), key(4), key(5), 4096, "cpu-x86_64-gcc12"};
  const Bytes cb = encode_contribution(c);
  put("contribution", "valid", cb);
  c.exec_class = std::string(kExecClassMax, 'e');
  put("contribution", "valid_longest_class", encode_contribution(c));
  put("contribution", "truncated", cut(cb, 3));
  Bytes bad_tag = cb;
  bad_tag[0] = 'G';
  put("contribution", "bad_tag", bad_tag);

  RegisterStatement r{key(1), key(6), key(3), "cuda-sm90-12.4"};
  const Bytes rb = encode_register(r);
  put("register", "valid", rb);
  Bytes long_class = rb;  // a length byte above the 128-byte limit
  long_class[kRegisterTag.size() + 96] = 129;
  put("register", "class_too_long", long_class);
  put("register", "trailing", plus(rb, 'x'));
}

// fuzz_chunks input: [mode][u16][...]; odd mode is ([u8 n][DataChunk bytes])...
void chunks() {
  Bytes split = {0, 4, 0};
  for (int i = 0; i < 23; ++i) split.push_back(static_cast<std::uint8_t>(i));
  put("chunks", "split", split);
  const Bytes data(10, 0xcd);
  auto seq = [&](std::initializer_list<std::size_t> order, const std::string& name) {
    Bytes out = {1, 64, 0};
    auto parts = transport::split_chunks(Bytes(4, 7), data, 4);
    for (std::size_t i : order) {
      const std::string s = parts[i].SerializeAsString();
      out.push_back(static_cast<std::uint8_t>(s.size()));
      out.insert(out.end(), s.begin(), s.end());
    }
    put("chunks", name, out);
  };
  seq({0, 1, 2}, "in_order");
  seq({0, 2, 1}, "gap");
  seq({0, 0, 1, 2}, "overlap");
  seq({0, 1, 2, 2}, "after_complete");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
    return 2;
  }
  g_root = argv[1];
  envelopes();
  statements();
  chunks();
  return 0;
}
