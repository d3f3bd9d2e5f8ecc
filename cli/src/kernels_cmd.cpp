// `gpoc kernels`: what a pool can run, with layouts and parameters. `gpoc check`: a kernel's
// certificate run locally on an input and an output, e.g. by a requester on a fetched result.
#include <algorithm>
#include <cmath>
#include <fstream>
#include <iostream>
#include <iterator>

#include <nlohmann/json.hpp>

#include "common.hpp"
#include "gpoc/common/crypto.hpp"
#include "gpoc/kernels/certificate.hpp"
#include "gpoc/kernels/kernels.hpp"

namespace gpoc::cli {

void add_kernels_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "kernels", "List the built-in kernels, their layouts, parameters and determinism class");
  auto json = std::make_shared<bool>(false);
  cmd->add_flag("--json", *json, "Print JSON for machines");
  cmd->callback([json] {
    std::string why;
    auto backend = kernels::make_backend(false, &why);
    if (*json) {
      nlohmann::json j = nlohmann::json::array();
      for (const auto& k : kernels::kernel_catalog()) {
        nlohmann::json params = nlohmann::json::array();
        for (const auto& p : k.params) {
          params.push_back({{"name", p.name},
                            {"doc", p.doc},
                            {"required", p.required},
                            {"default", p.default_value},
                            {"min", p.min_value},
                            {"max", p.max_value}});
        }
        j.push_back({{"id", k.id},
                     {"version", k.version},
                     {"determinism", kernels::determinism_name(k.determinism)},
                     {"summary", k.summary},
                     {"input", k.input_layout},
                     {"output", k.output_layout},
                     {"params", params},
                     {"certificate", k.certificate}});
      }
      std::cout << j.dump(2) << "\n";
      std::exit(0);
    }
    std::cout << "backend on this machine: " << why << "\n\n";
    for (const auto& k : kernels::kernel_catalog()) {
      std::cout << k.id << "@" << k.version << "  [" << kernels::determinism_name(k.determinism)
                << "]  " << k.summary << "\n  input:  " << k.input_layout
                << "\n  output: " << k.output_layout << "\n";
      if (!k.certificate.empty())
        std::cout << "  certificate (gpoc check): " << k.certificate << "\n";
      for (const auto& p : k.params) {
        std::cout << "  --param " << p.name << "=N  " << p.doc << " (" << p.min_value << ".."
                  << p.max_value << (p.required ? ", required" : ", default " + p.default_value)
                  << ")\n";
      }
      std::cout << "\n";
    }
    std::exit(0);
  });
}

namespace {

Result<Bytes> read_whole_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return not_found("cannot read " + path);
  Bytes data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return unavailable("error while reading " + path);
  return data;
}

}  // namespace

void add_check_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "check",
      "Check a kernel's output against its input with the kernel's certificate (Freivalds' test "
      "for matrix products, order and multiset fingerprint for sorts), on this machine, in less "
      "time than running the kernel. Exit 0 passed, 2 failed, 1 error");
  struct Opts {
    std::string kernel;
    std::uint32_t version = 1;
    std::vector<std::string> params;
    std::string input, output;
    std::uint32_t rounds = 20;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("--kernel", o->kernel, "Kernel id (see `gpoc kernels`)")->required();
  cmd->add_option("--kernel-version", o->version, "Kernel version")->capture_default_str();
  cmd->add_option("--param", o->params, "Kernel parameter as key=value (repeatable)");
  cmd->add_option("--input", o->input, "The task's input file")->required();
  cmd->add_option("--output", o->output, "The output to check (e.g. from `gpoc result`)")
      ->required();
  cmd->add_option("--rounds", o->rounds,
                  "Independent rounds; each multiplies the chance that a wrong output passes by "
                  "the certificate's per-round bound")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  cmd->add_flag("--json", o->json, "Print JSON for machines");
  cmd->callback([o] {
    kernels::Params params;
    for (const std::string& p : o->params) {
      const auto eq = p.find('=');
      if (eq == std::string::npos || eq == 0)
        std::exit(fail(invalid_argument("--param takes key=value, got '" + p + "'")));
      params.emplace_back(p.substr(0, eq), p.substr(eq + 1));
    }
    std::sort(params.begin(), params.end());
    auto input = read_whole_file(o->input);
    if (!input.ok()) std::exit(fail(input.status()));
    auto output = read_whole_file(o->output);
    if (!output.ok()) std::exit(fail(output.status()));
    kernels::CertificateSeed seed{};
    random_fill(seed.data(), seed.size());  // chosen now, after the output exists
    auto verdict =
        kernels::check_certificate(o->kernel, o->version, params, *input, *output, o->rounds, seed);
    if (!verdict.ok()) std::exit(fail(verdict.status()));
    const kernels::CertificateVerdict& v = *verdict;
    if (o->json) {
      nlohmann::json j = {{"kernel", o->kernel}, {"version", o->version},
                          {"passed", v.passed},  {"method", v.method},
                          {"rounds", v.rounds},  {"log2_false_accept", v.log2_false_accept},
                          {"reason", v.reason}};
      std::cout << j.dump() << "\n";
    } else if (v.passed) {
      std::cout << "passed: " << v.method << ", " << v.rounds
                << " rounds; a wrong output passes with probability at most 2^"
                << std::floor(v.log2_false_accept * 10) / 10 << "\n";
    } else {
      std::cout << "FAILED: " << v.method << ": " << v.reason << "\n";
    }
    std::exit(v.passed ? 0 : 2);
  });
}

}  // namespace gpoc::cli
