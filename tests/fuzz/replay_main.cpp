// A libFuzzer-compatible driver for plain builds (no clang needed): replays a seed corpus, then
// runs a fixed-seed mutation loop, bounded in iterations and time, so each fuzz target is also a
// quick deterministic ctest. On a crash the input is written to ./fuzz-crash-input.bin.
//   replay [--iterations N] [--seed S] [--max-ms M] [--max-len L] CORPUS_DIR_OR_FILE...
#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

using Input = std::vector<std::uint8_t>;
namespace fs = std::filesystem;

const Input* g_current = nullptr;  // the input being run, for the crash handler

void on_crash(int sig) {
  // Only async-signal-safe calls here.
  const int fd = ::open("fuzz-crash-input.bin", O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd >= 0 && g_current != nullptr) {
    ssize_t ignored = ::write(fd, g_current->data(), g_current->size());
    (void)ignored;
    ::close(fd);
  }
  const char msg[] = "fuzz replay: crashing input written to fuzz-crash-input.bin\n";
  ssize_t ignored = ::write(2, msg, sizeof(msg) - 1);
  (void)ignored;
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

void run(const Input& in) {
  g_current = &in;
  LLVMFuzzerTestOneInput(in.data(), in.size());
  g_current = nullptr;
}

std::vector<Input> load(const std::vector<fs::path>& roots) {
  std::vector<fs::path> files;
  for (const auto& root : roots) {
    if (fs::is_regular_file(root)) files.push_back(root);
    if (!fs::is_directory(root)) continue;
    for (const auto& e : fs::recursive_directory_iterator(root)) {
      if (e.is_regular_file()) files.push_back(e.path());
    }
  }
  std::sort(files.begin(), files.end());  // a fixed order, so a failing run replays exactly
  std::vector<Input> out;
  for (const auto& f : files) {
    std::ifstream s(f, std::ios::binary);
    out.emplace_back(std::istreambuf_iterator<char>(s), std::istreambuf_iterator<char>());
  }
  return out;
}

// One random edit of the kinds libFuzzer makes most often.
void mutate(Input& in, const std::vector<Input>& seeds, std::mt19937_64& rng, std::size_t max_len) {
  static constexpr std::uint8_t kInteresting[] = {0x00, 0x01, 0x02, 0x7f, 0x80, 0xff,
                                                  0x08, 0x0a, 0x10, 0x12, 0x1a, 0x22};
  auto pick = [&](std::size_t n) { return n == 0 ? 0 : static_cast<std::size_t>(rng() % n); };
  const std::size_t pos = pick(in.size() + 1);
  switch (rng() % 8) {
    case 0:
      if (!in.empty()) in[pick(in.size())] ^= static_cast<std::uint8_t>(1u << (rng() % 8));
      break;
    case 1:
      if (!in.empty()) in[pick(in.size())] = kInteresting[pick(sizeof(kInteresting))];
      break;
    case 2:
      if (!in.empty()) in[pick(in.size())] = static_cast<std::uint8_t>(rng());
      break;
    case 3: {
      const std::size_t n = 1 + pick(8);
      for (std::size_t i = 0; i < n; ++i)
        in.insert(in.begin() + pos, static_cast<std::uint8_t>(rng()));
      break;
    }
    case 4: {
      const std::size_t n = std::min(in.size() - pos, 1 + pick(16));
      in.erase(in.begin() + pos, in.begin() + pos + n);
      break;
    }
    case 5: {  // copy a slice of the input somewhere else in it
      if (in.empty()) break;
      const std::size_t from = pick(in.size()), n = std::min(in.size() - from, 1 + pick(32));
      Input slice(in.begin() + from, in.begin() + from + n);
      in.insert(in.begin() + pos, slice.begin(), slice.end());
      break;
    }
    case 6: {  // splice: our head, another seed's tail
      const Input& other = seeds[pick(seeds.size())];
      const std::size_t from = pick(other.size() + 1);
      in.resize(pos);
      in.insert(in.end(), other.begin() + from, other.end());
      break;
    }
    default: in.resize(pos); break;  // truncate
  }
  if (in.size() > max_len) in.resize(max_len);
}

}  // namespace

int main(int argc, char** argv) {
  std::uint64_t iterations = 3000, seed = 1, max_ms = 1500;
  std::size_t max_len = 4096;
  std::vector<fs::path> roots;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&] { return i + 1 < argc ? std::strtoull(argv[++i], nullptr, 10) : 0ull; };
    if (a == "--iterations")
      iterations = next();
    else if (a == "--seed")
      seed = next();
    else if (a == "--max-ms")
      max_ms = next();
    else if (a == "--max-len")
      max_len = static_cast<std::size_t>(next());
    else
      roots.emplace_back(a);
  }
  std::signal(SIGABRT, on_crash);
  std::signal(SIGSEGV, on_crash);
  const std::vector<Input> seeds = load(roots);
  if (seeds.empty()) {
    std::fprintf(stderr, "fuzz replay: no seed inputs found (give corpus directories)\n");
    return 2;
  }
  for (const Input& s : seeds) run(s);

  std::mt19937_64 rng(seed);
  const auto start = std::chrono::steady_clock::now();
  const auto budget = std::chrono::milliseconds(max_ms);
  std::uint64_t done = 0;
  for (; done < iterations && std::chrono::steady_clock::now() - start < budget; ++done) {
    Input in = seeds[rng() % seeds.size()];
    for (std::uint64_t k = 1 + rng() % 4; k > 0; --k) mutate(in, seeds, rng, max_len);
    run(in);
  }
  std::printf("fuzz replay: %zu seeds, %llu of %llu mutations (seed %llu) in %lld ms\n",
              seeds.size(), static_cast<unsigned long long>(done),
              static_cast<unsigned long long>(iterations), static_cast<unsigned long long>(seed),
              static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                         std::chrono::steady_clock::now() - start)
                                         .count()));
  return 0;
}
