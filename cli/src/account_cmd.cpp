// `gpoc account mint|balance|history`: the pool's token accounts.
#include <ctime>
#include <iostream>

#include <nlohmann/json.hpp>

#include "common.hpp"
#include "gpoc/client/client.hpp"
#include "gpoc/common/hex.hpp"

namespace gpoc::cli {
namespace {

struct AccountOpts {
  std::string scheduler = "tcp://127.0.0.1:7600";
  std::string account;   // hex public key
  std::string key_file;  // or the key file whose public key it is
  bool kitty = false;
  bool json = false;
};

void add_account_options(CLI::App* cmd, AccountOpts& o) {
  cmd->add_option("--scheduler", o.scheduler, "The scheduler's client endpoint")
      ->capture_default_str();
  cmd->add_option("account", o.account, "Account: a 64-hex-character public key");
  cmd->add_option("--key", o.key_file,
                  "...or the key file it belongs to (a requester's, a worker's, the pool's "
                  "scheduler.key); default: the requester key ($GPOC_KEY or "
                  "~/.config/gpoc/requester.key)");
  cmd->add_flag("--kitty", o.kitty, "...or the pool's reward kitty");
  cmd->add_flag("--json", o.json, "Print JSON for machines");
}

Result<PublicKey> account_of(const AccountOpts& o) {
  int given = (o.account.empty() ? 0 : 1) + (o.key_file.empty() ? 0 : 1) + (o.kitty ? 1 : 0);
  if (given > 1) return invalid_argument("give one of ACCOUNT, --key and --kitty");
  if (o.kitty) return kitty_account();
  if (!o.account.empty()) {
    auto k = from_hex_array<32>(o.account);
    if (!k) return invalid_argument("ACCOUNT must be 64 hex characters");
    return *k;
  }
  return key_file_public(o.key_file.empty() ? client::default_requester_key_path()
                                            : std::filesystem::path(o.key_file));
}

std::string when(std::int64_t ms) {
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  char b[32];
  std::strftime(b, sizeof b, "%Y-%m-%d %H:%M:%S", std::gmtime(&t));
  return b;
}

int print_account(const wire::AccountStatus& st, bool json, bool history) {
  const std::string acct = to_hex(as_bytes(st.account()));
  if (json) {
    nlohmann::json j{{"account", acct},
                     {"free", st.free()},
                     {"locked", st.locked()},
                     {"at_stake", st.at_stake()}};
    if (history) {
      j["history"] = nlohmann::json::array();
      for (const auto& h : st.history()) {
        j["history"].push_back({{"ledger_seq", h.ledger_seq()},
                                {"kind", h.kind()},
                                {"task_id", to_hex(as_bytes(h.task_id()))},
                                {"free_delta", h.free_delta()},
                                {"locked_delta", h.locked_delta()},
                                {"time_ms", h.time_ms()}});
      }
    }
    std::cout << j.dump() << "\n";
    return 0;
  }
  std::cout << "account " << acct << (acct == to_hex(kitty_account()) ? " (the pool's kitty)" : "")
            << "\n  free    " << st.free() << " units";
  if (st.at_stake() > 0) std::cout << " (" << st.at_stake() << " at stake in running tasks)";
  std::cout << "\n  locked  " << st.locked() << " units\n";
  if (history) {
    if (st.history_size() == 0) std::cout << "  no ledger entries\n";
    for (const auto& h : st.history()) {
      std::cout << "  #" << h.ledger_seq() << "  " << when(h.time_ms()) << "  " << h.kind();
      if (!h.task_id().empty()) std::cout << " " << short_hex(as_bytes(h.task_id()));
      std::cout << "  free " << (h.free_delta() >= 0 ? "+" : "") << h.free_delta() << "  locked "
                << (h.locked_delta() >= 0 ? "+" : "") << h.locked_delta() << "\n";
    }
  }
  return 0;
}

}  // namespace

void add_account_command(CLI::App& app) {
  auto* acct = app.add_subcommand("account", "The pool's token accounts: mint, balance, history");
  acct->require_subcommand(1);

  {
    auto* cmd = acct->add_subcommand(
        "mint",
        "OPERATOR: create units in an account, signed with the pool's key (DATA_DIR/"
        "scheduler.key) and recorded in the ledger as an account.mint entry");
    struct Opts {
      AccountOpts a;
      std::string data_dir;
      Amount amount = 0;
      std::string memo;
    };
    auto o = std::make_shared<Opts>();
    add_account_options(cmd, o->a);
    cmd->add_option("--data-dir", o->data_dir,
                    "The scheduler's data directory, whose scheduler.key signs the mint")
        ->required();
    cmd->add_option("--amount", o->amount, "Units to create")
        ->required()
        ->check(CLI::Range(Amount{1}, kSupplyMax));
    cmd->add_option("--memo", o->memo, "Why (kept in the ledger; up to 256 bytes)");
    cmd->callback([o] {
      auto to = account_of(o->a);
      if (!to.ok()) std::exit(fail(to.status()));
      if (o->memo.size() > 256) std::exit(fail(invalid_argument("--memo is over 256 bytes")));
      auto pool = load_key_file(std::filesystem::path(o->data_dir) / "scheduler.key");
      if (!pool.ok()) std::exit(fail(pool.status()));
      client::Client c(o->a.scheduler, *pool);
      if (Status s = c.connect(); !s.ok()) std::exit(fail(s));
      auto st = c.mint(*pool, *to, o->amount, o->memo);
      if (!st.ok()) std::exit(fail(st.status()));
      if (!o->a.json) std::cout << "minted " << o->amount << " units\n";
      std::exit(print_account(*st, o->a.json, false));
    });
  }
  for (bool history : {false, true}) {
    auto* cmd = acct->add_subcommand(
        history ? "history" : "balance",
        history ? "An account's ledger entries, newest first, with what each moved"
                : "An account's free and locked units, as the ledger holds them");
    struct Opts {
      AccountOpts a;
      std::uint32_t limit = 20;
    };
    auto o = std::make_shared<Opts>();
    add_account_options(cmd, o->a);
    if (history) {
      cmd->add_option("--limit", o->limit, "At most this many entries")
          ->capture_default_str()
          ->check(CLI::Range(1, 1000));
    }
    cmd->callback([o, history] {
      auto who = account_of(o->a);
      if (!who.ok()) std::exit(fail(who.status()));
      SecretKey anon = SecretKey::generate();  // queries need no identity
      client::Client c(o->a.scheduler, anon);
      if (Status s = c.connect(); !s.ok()) std::exit(fail(s));
      auto st = c.account(*who, history ? o->limit : 0);
      if (!st.ok()) std::exit(fail(st.status()));
      std::exit(print_account(*st, o->a.json, history));
    });
  }
}

}  // namespace gpoc::cli
