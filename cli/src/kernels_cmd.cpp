// `gpoc kernels`: what a pool can run, with layouts and parameters.
#include <iostream>

#include <nlohmann/json.hpp>

#include "common.hpp"
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
                     {"params", params}});
      }
      std::cout << j.dump(2) << "\n";
      std::exit(0);
    }
    std::cout << "backend on this machine: " << why << "\n\n";
    for (const auto& k : kernels::kernel_catalog()) {
      std::cout << k.id << "@" << k.version << "  [" << kernels::determinism_name(k.determinism)
                << "]  " << k.summary << "\n  input:  " << k.input_layout
                << "\n  output: " << k.output_layout << "\n";
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

}  // namespace gpoc::cli
