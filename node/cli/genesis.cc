// `cairn genesis`: assembles a network's genesis from what each organisation sends
// (`cairn init` prints its --validator line; `cairn keygen` makes admin keys), public keys
// only, so no private key ever leaves its owner. The same arguments (with the same
// --genesis-time) give the same file byte for byte, so every organisation can rebuild it
// and compare the genesis hash printed here before it starts its node.
#include <cstdio>
#include <ctime>
#include <map>
#include <optional>

#include "crypto/domain.h"
#include "ledger/genesis.h"
#include "ledger/json_file.h"
#include "node/cli/args.h"
#include "node/cli/command.h"
#include "node/cli/files.h"
#include "node/cli/json_output.h"
#include "node/cli/options.h"

namespace cairn::cli {

namespace {

// NAME=PUBKEY@HOST:PORT
Result<v1::GenesisValidator> ParseValidator(const std::string& text) {
  const size_t equals = text.find('=');
  const size_t at = text.rfind('@');
  if (equals == std::string::npos || at == std::string::npos || at < equals) {
    return Status::InvalidArgument("--validator '" + text + "' is not NAME=PUBLIC_KEY@HOST:PORT");
  }
  v1::GenesisValidator v;
  v.set_name(text.substr(0, equals));
  v.set_public_key(text.substr(equals + 1, at - equals - 1));
  v.set_address(text.substr(at + 1));
  return v;
}

// PUBKEY=ASSET:AMOUNT
Status AddFunds(const std::string& text, std::map<std::string, v1::GenesisAccount>& accounts) {
  const size_t equals = text.find('=');
  const size_t colon = text.rfind(':');
  if (equals == std::string::npos || colon == std::string::npos || colon < equals) {
    return Status::InvalidArgument("--fund '" + text + "' is not PUBLIC_KEY=ASSET:AMOUNT");
  }
  const std::string amount_text = text.substr(colon + 1);
  char* end = nullptr;
  const unsigned long long amount = std::strtoull(amount_text.c_str(), &end, 10);
  if (amount_text.empty() || *end != '\0' || amount_text[0] == '-') {
    return Status::InvalidArgument("--fund '" + text + "': the amount is not a whole number");
  }
  v1::GenesisAccount& account = accounts[text.substr(0, equals)];
  v1::Balance* balance = account.add_balances();
  balance->set_asset(text.substr(equals + 1, colon - equals - 1));
  balance->set_amount(amount);
  return Status::Ok();
}

// RFC 3339 UTC ("2026-12-02T15:00:00Z", optionally with .mmm) or "now".
Result<uint64_t> ParseTime(const std::string& text) {
  if (text == "now") {
    return static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count());
  }
  std::tm tm{};
  const char* rest = strptime(text.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  unsigned ms = 0;
  if (rest != nullptr && *rest == '.') {
    int digits = 0;
    for (++rest; *rest >= '0' && *rest <= '9'; ++rest, ++digits) {
      if (digits < 3) ms = ms * 10 + static_cast<unsigned>(*rest - '0');
    }
    for (; digits < 3; ++digits) ms *= 10;
  }
  if (rest == nullptr || std::string(rest) != "Z") {
    return Status::InvalidArgument("--genesis-time '" + text + "' is not RFC 3339 UTC (2026-12-02T15:00:00Z) or now");
  }
  return static_cast<uint64_t>(timegm(&tm)) * 1000 + ms;
}

}  // namespace

int RunGenesis(const std::vector<std::string>& args) {
  namespace po = boost::program_options;
  std::string chain_id, out, genesis_time = "now";
  std::vector<std::string> validators, admins, issuers, funds;
  uint32_t admin_threshold = 0;
  uint64_t epoch_length = 0;
  bool json = false;
  po::options_description options("genesis options");
  options.add_options()
      ("chain-id", po::value(&chain_id)->required(), "the chain's name: 1 to 64 of a-z, A-Z, 0-9, '-', '_', '.'")
      ("validator", po::value(&validators)->required(), "NAME=PUBLIC_KEY@HOST:PORT, once per validator, in order")
      ("admin", po::value(&admins), "PUBLIC_KEY of an admin account (validator-set governance, accounts)")
      ("issuer", po::value(&issuers), "PUBLIC_KEY of an issuer account (mints assets)")
      ("fund", po::value(&funds), "PUBLIC_KEY=ASSET:AMOUNT, a starting balance (the account is a user unless named above)")
      ("admin-threshold", po::value(&admin_threshold), "admin approvals a validator-set change needs (default 1)")
      ("epoch-length", po::value(&epoch_length), "set changes apply at heights that are multiples of this (default 100)")
      ("genesis-time", po::value(&genesis_time), "RFC 3339 UTC, or now (default); give it to make the file reproducible")
      ("out", po::value(&out)->required(), "the genesis file to write (never overwritten)")
      ("json", po::bool_switch(&json), "print JSON");
  int exit_code = 0;
  if (!ParseOptions("usage: cairn genesis --chain-id ID --validator NAME=PUBKEY@HOST:PORT ... [--admin PUBKEY ...]\n"
                    "                     [--issuer PUBKEY ...] [--fund PUBKEY=ASSET:AMOUNT ...] [--admin-threshold N]\n"
                    "                     [--epoch-length N] [--genesis-time RFC3339] --out FILE [--json]",
                    options, args, &exit_code)) {
    return exit_code;
  }
  auto time_ms = ParseTime(genesis_time);
  if (!time_ms.ok()) return PrintError(time_ms.status().message()), 2;

  v1::Genesis genesis;
  genesis.set_chain_id(chain_id);
  genesis.set_genesis_time_ms(*time_ms);
  if (admin_threshold > 0) genesis.mutable_governance()->set_admin_threshold(admin_threshold);
  if (epoch_length > 0) genesis.mutable_governance()->set_epoch_length(epoch_length);
  // Closed proposals committed to, so that a node that prunes proves those it keeps.
  genesis.mutable_governance()->set_commit_closed_proposals(true);
  for (const std::string& text : validators) {
    auto v = ParseValidator(text);
    if (!v.ok()) return PrintError(v.status().message()), 2;
    *genesis.add_validators() = std::move(*v);
  }
  // Accounts in the order first named, each once, with its role and balances.
  std::map<std::string, v1::GenesisAccount> accounts;
  std::vector<std::string> order;
  // `role`: nullopt for an account named only to be funded.
  auto name = [&](const std::string& key, std::optional<v1::Role> role) -> Status {
    const bool known = accounts.count(key) > 0;
    if (!known) order.push_back(key);
    v1::GenesisAccount& account = accounts[key];
    account.set_public_key(key);
    if (!role) return Status::Ok();
    if (known && account.role() != v1::ROLE_UNSPECIFIED && account.role() != *role) {
      return Status::InvalidArgument(key + " is named with two roles");
    }
    account.set_role(*role);
    return Status::Ok();
  };
  for (const std::string& key : admins) {
    if (Status s = name(key, v1::ROLE_ADMIN); !s.ok()) return PrintError(s.message()), 2;
  }
  for (const std::string& key : issuers) {
    if (Status s = name(key, v1::ROLE_ISSUER); !s.ok()) return PrintError(s.message()), 2;
  }
  for (const std::string& text : funds) {
    const std::string key = text.substr(0, text.find('='));
    if (Status s = name(key, std::nullopt); !s.ok()) return PrintError(s.message()), 2;
    if (Status s = AddFunds(text, accounts); !s.ok()) return PrintError(s.message()), 2;
  }
  for (const std::string& key : order) {
    v1::GenesisAccount& account = accounts[key];
    if (account.role() == v1::ROLE_UNSPECIFIED) account.set_role(v1::ROLE_USER);
    *genesis.add_accounts() = account;
  }
  // Every rule cairnd applies to a genesis (keys on the curve's prime-order subgroup,
  // unique names and addresses, roles, amounts), before anything is written.
  if (Status s = ledger::ValidateGenesis(genesis); !s.ok()) return PrintError(s.message()), 2;
  if (Status s = WriteNewFile(out, ledger::ToJson(genesis)); !s.ok()) return PrintError(s.message()), 1;

  const std::string hash = ToHex(ledger::GenesisHash(genesis));
  if (json) {
    PrintJson({{"file", out},
               {"chain_id", chain_id},
               {"genesis_time", Rfc3339(*time_ms)},
               {"validators", genesis.validators_size()},
               {"accounts", genesis.accounts_size()},
               {"genesis_hash", hash}});
    return 0;
  }
  std::printf("genesis of chain %s in %s: %d validators, %d accounts, time %s\ngenesis hash %s\n", chain_id.c_str(),
              out.c_str(), genesis.validators_size(), genesis.accounts_size(), Rfc3339(*time_ms).c_str(), hash.c_str());
  std::printf("every organisation checks this hash (or rebuilds the file with the same arguments) before it starts\n");
  return 0;
}

}  // namespace cairn::cli
