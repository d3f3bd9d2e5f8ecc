// `gpoc submit`, `gpoc status`, `gpoc result`: the requester's commands.
#include <sys/stat.h>

#include <cstdio>
#include <fstream>
#include <iostream>

#include "common.hpp"
#include "gpoc/client/client.hpp"
#include "gpoc/common/hex.hpp"

namespace gpoc::cli {

struct RequesterOpts {
  std::string scheduler = "tcp://127.0.0.1:7600";
  std::string key;
  bool json = false;
};

static void add_common(CLI::App* cmd, RequesterOpts& o) {
  cmd->add_option("--scheduler", o.scheduler, "The scheduler's client endpoint")
      ->capture_default_str();
  cmd->add_option(
      "--key", o.key,
      "Requester Ed25519 key file (default: $GPOC_KEY or ~/.config/gpoc/requester.key)");
  cmd->add_flag("--json", o.json, "Print JSON for machines");
}

static Result<SecretKey> requester_key(const RequesterOpts& o) {
  std::filesystem::path p =
      o.key.empty() ? client::default_requester_key_path() : std::filesystem::path(o.key);
  bool created = false;
  auto k = load_or_create_key_file(p, &created);
  if (k.ok() && created) std::fprintf(stderr, "gpoc: created requester key %s\n", p.c_str());
  return k;
}

static Result<Bytes> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return not_found("cannot read " + path);
  return Bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

static int print_final(const wire::TaskStatus& st, bool json) {
  std::cout << (json ? status_json(st) + "\n" : format_status(st));
  return st.state() == wire::TASK_COMPLETED ? 0 : 2;
}

static void add_submit(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "submit", "Sign and submit a task; prints its id (with --wait, its outcome)");
  struct Opts : RequesterOpts {
    client::SubmitOptions s;
    std::string input;
    std::vector<std::string> params;
    bool wait = false;
    int timeout_s = 600;
  };
  auto o = std::make_shared<Opts>();
  add_common(cmd, *o);
  cmd->add_option("--kernel", o->s.kernel, "Kernel id (see `gpoc kernels`)")->required();
  cmd->add_option("--kernel-version", o->s.kernel_version, "Kernel version")->capture_default_str();
  cmd->add_option("--input", o->input, "Input file, in the kernel's documented layout")->required();
  cmd->add_option("--param", o->params, "Kernel parameter as key=value (repeatable)");
  cmd->add_option("--trust", o->s.trust,
                  "Credibility asked for: 1 - 1/trust (1 accepts one result)")
      ->capture_default_str();
  cmd->add_option("--category", o->s.category, "Category (its time T sets the deadlines)")
      ->capture_default_str();
  cmd->add_option("--replicas", o->s.min_replicas,
                  "Agreeing replicas required whatever the scores (quorum)")
      ->capture_default_str();
  cmd->add_option("--nonce", o->s.nonce,
                  "Fixed nonce: resubmitting the same task then returns the same id");
  cmd->add_flag("--wait", o->wait,
                "Wait for the outcome and print it (exit 0 completed, 2 failed)");
  cmd->add_option("--timeout", o->timeout_s, "Seconds to wait with --wait")->capture_default_str();
  cmd->callback([o] {
    for (const std::string& p : o->params) {
      auto eq = p.find('=');
      if (eq == std::string::npos || eq == 0)
        std::exit(fail(invalid_argument("--param takes key=value, got '" + p + "'")));
      o->s.params.emplace_back(p.substr(0, eq), p.substr(eq + 1));
    }
    auto key = requester_key(*o);
    if (!key.ok()) std::exit(fail(key.status()));
    auto input = read_file(o->input);
    if (!input.ok()) std::exit(fail(input.status()));
    auto task = client::prepare_task(o->s, *input, *key);
    if (!task.ok()) std::exit(fail(task.status()));
    client::Client c(o->scheduler, *key);
    if (Status s = c.connect(); !s.ok()) std::exit(fail(s));
    auto sub = c.submit(*task);
    if (!sub.ok()) std::exit(fail(sub.status()));
    std::string id = to_hex(task->task_id);
    if (!o->wait) {
      std::cout << (o->json ? "{\"task_id\": \"" + id + "\", \"duplicate\": " +
                                  (sub->duplicate() ? "true" : "false") + "}"
                            : id)
                << "\n";
      std::exit(0);
    }
    if (!o->json)
      std::cerr << "submitted " << id << (sub->duplicate() ? " (already known)" : "") << "\n";
    wire::TaskState last = wire::TASK_UNKNOWN;
    auto st = c.wait(task->task_id, o->timeout_s * 1000, [&](const wire::TaskStatus& s) {
      if (s.state() != last && !o->json) std::cerr << "  " << client::state_name(s.state()) << "\n";
      last = s.state();
    });
    if (!st.ok()) std::exit(fail(st.status()));
    std::exit(print_final(*st, o->json));
  });
}

// What `status` and `result` share: a task id from the command line, the requester's key and a
// connected client. Any failure ends the command with the reason.
class TaskQuery {
 public:
  TaskQuery(const RequesterOpts& o, const std::string& id_hex) {
    auto id = parse_task_id(id_hex);
    if (!id) std::exit(fail(invalid_argument("task id must be 64 hex characters")));
    id_ = *id;
    auto key = requester_key(o);
    if (!key.ok()) std::exit(fail(key.status()));
    key_ = std::move(*key);
    client_ = std::make_unique<client::Client>(o.scheduler, key_);
    if (Status s = client_->connect(); !s.ok()) std::exit(fail(s));
  }
  client::Client& client() { return *client_; }
  const TaskId& id() const { return id_; }

 private:
  TaskId id_{};
  SecretKey key_;
  std::unique_ptr<client::Client> client_;
};

static void add_status(CLI::App& app) {
  auto* cmd =
      app.add_subcommand("status", "Show a task's state, replicas, votes, digest and timings");
  struct Opts : RequesterOpts {
    std::string id;
  };
  auto o = std::make_shared<Opts>();
  add_common(cmd, *o);
  cmd->add_option("id", o->id, "Task id (hex)")->required();
  cmd->callback([o] {
    TaskQuery q(*o, o->id);
    client::Client& c = q.client();
    const TaskId* id = &q.id();
    auto st = c.status(*id);
    if (!st.ok()) std::exit(fail(st.status()));
    std::cout << (o->json ? status_json(*st) + "\n" : format_status(*st));
    std::exit(0);
  });
}

static void add_result(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "result", "Fetch a completed task's output, checked against the committed digest");
  struct Opts : RequesterOpts {
    std::string id;
    std::string out;
  };
  auto o = std::make_shared<Opts>();
  add_common(cmd, *o);
  cmd->add_option("id", o->id, "Task id (hex)")->required();
  cmd->add_option("-o,--output", o->out, "Write the output here (only after it checks)")
      ->required();
  cmd->callback([o] {
    TaskQuery q(*o, o->id);
    client::Client& c = q.client();
    const TaskId* id = &q.id();
    auto data = c.fetch_result(*id);
    if (!data.ok()) std::exit(fail(data.status()));
    std::string tmp = o->out + ".partial";
    {
      std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
      f.write(reinterpret_cast<const char*>(data->data()),
              static_cast<std::streamsize>(data->size()));
      if (!f) std::exit(fail(unavailable("cannot write " + tmp)));
    }
    std::filesystem::rename(tmp, o->out);
    if (o->json) {
      std::cout << "{\"task_id\": \"" << o->id << "\", \"bytes\": " << data->size()
                << ", \"digest_checked\": true}\n";
    } else {
      std::cerr << "wrote " << data->size() << " bytes to " << o->out << " (digest checked)\n";
    }
    std::exit(0);
  });
}

void add_requester_commands(CLI::App& app) {
  add_submit(app);
  add_status(app);
  add_result(app);
}

}  // namespace gpoc::cli
