#include "node/cli/model_reads.h"

#include <cstdio>

#include "ledger/signatories.h"
#include "node/cli/args.h"
#include "node/cli/command.h"
#include "node/cli/json_output.h"
#include "node/cli/options.h"
#include "node/cli/reading.h"

namespace cairn::cli {

namespace {

namespace po = boost::program_options;

constexpr uint64_t kMaxAgeS = 300;

// A proven state read: the answer, checked by the light client unless --no-verify.
template <typename Answer>
struct Verified {
  Answer answer;
  std::optional<Trust> trust;
  std::optional<node::VerifiedHeader> header;
};

template <typename Answer, typename Fetch, typename Check>
Result<Verified<Answer>> ReadVerified(const Reading& reading, NodeClient& client, const Fetch& fetch, const Check& check) {
  Verified<Answer> out;
  CAIRN_ASSIGN_OR_RETURN(out.trust, OpenTrust(reading, client));
  CAIRN_ASSIGN_OR_RETURN(out.answer, fetch());
  if (out.trust) {
    auto checked = check(out.trust->light_client(), out.answer, out.trust->fetcher());
    if (!checked.ok()) return Status::FailedPrecondition("the node's answer does not check: " + checked.status().message());
    out.header = std::move(*checked);
    out.trust->Save();
  }
  return out;
}

template <typename Answer>
void PrintVerification(const Verified<Answer>& read) {
  std::printf("at height %llu, state root %s\n%s\n", static_cast<unsigned long long>(read.answer.height()),
              ToHex(read.answer.state_root()).c_str(), read.header ? read.trust->Describe(*read.header).c_str() : kNotVerified);
}

}  // namespace

int RunAssetShow(const std::vector<std::string>& args) {
  Reading reading;
  std::string name;
  po::options_description options("asset show options");
  options.add_options()("name", po::value(&name)->required(), "the asset; also positional");
  AddVerifiedReading(options, &reading);
  int exit_code = 0;
  if (!ParseOptions("usage: cairn asset show NAME [--json] [--trust-genesis FILE | --no-verify]", options,
                    WithPositional(args, "--name"), &exit_code)) {
    return exit_code;
  }
  NodeClient client(reading.node);
  auto read = ReadVerified<v1::GetAssetResponse>(
      reading, client, [&] { return client.Asset(name); },
      [&](node::LightClient& light, const v1::GetAssetResponse& answer, const node::EpochChangeFetcher& fetch) {
        return light.VerifyAsset(name, answer, fetch, {NowMs(), kMaxAgeS * 1000});
      });
  if (!read.ok()) return PrintError(read.status().message()), 1;
  const v1::AssetDefinition& asset = read->answer.asset();
  if (reading.json) {
    Json issuers = Json::array();
    for (const auto& issuer : asset.issuers()) issuers.push_back(ToHex(issuer));
    Json json = {{"name", name},
                 {"registered", read->answer.has_asset()},
                 {"precision", asset.precision()},
                 {"issuers", std::move(issuers)},
                 {"supply", Integer(asset.supply())},
                 {"supply_cap", Integer(asset.supply_cap())},
                 {"frozen", asset.frozen()},
                 {"owner", ToHex(asset.owner())},
                 {"height", Integer(read->answer.height())},
                 {"state_root", ToHex(read->answer.state_root())}};
    json.update(VerificationJson(read->trust, read->header));
    return PrintJson(json), 0;
  }
  if (!read->answer.has_asset()) {
    std::printf("asset %s is not registered\n", name.c_str());
  } else {
    std::printf("asset %s: supply %llu%s, precision %u%s\n", name.c_str(), static_cast<unsigned long long>(asset.supply()),
                asset.supply_cap() ? (" of at most " + std::to_string(asset.supply_cap())).c_str() : "", asset.precision(),
                asset.frozen() ? ", FROZEN" : "");
    for (const auto& issuer : asset.issuers()) std::printf("  issuer %s\n", ToHex(issuer).c_str());
    if (!asset.owner().empty()) std::printf("  owner %s\n", ToHex(asset.owner()).c_str());
  }
  PrintVerification(*read);
  return 0;
}

int RunRecordGet(const std::vector<std::string>& args) {
  Reading reading;
  std::string account_text, key;
  po::options_description options("record get options");
  options.add_options()
      ("account", po::value(&account_text)->required(), "whose record (address)")
      ("name", po::value(&key)->required(), "the record's key");
  AddVerifiedReading(options, &reading);
  int exit_code = 0;
  if (!ParseOptions("usage: cairn record get --account ADDR --name KEY [--json] [--trust-genesis FILE | --no-verify]",
                    options, args, &exit_code)) {
    return exit_code;
  }
  auto account = ParseAddress(account_text);
  if (!account.ok()) return PrintError(account.status().message()), 2;
  NodeClient client(reading.node);
  auto read = ReadVerified<v1::GetRecordResponse>(
      reading, client, [&] { return client.Record(*account, key); },
      [&](node::LightClient& light, const v1::GetRecordResponse& answer, const node::EpochChangeFetcher& fetch) {
        return light.VerifyRecord(*account, key, answer, fetch, {NowMs(), kMaxAgeS * 1000});
      });
  if (!read.ok()) return PrintError(read.status().message()), 1;
  const v1::AccountRecord& record = read->answer.record();
  if (reading.json) {
    Json json = {{"account", ToHex(*account)},
                 {"name", key},
                 {"exists", read->answer.has_record()},
                 {"value", record.value()},
                 {"writer", ToHex(record.writer())},
                 {"written_at", Integer(record.height())},
                 {"height", Integer(read->answer.height())}};
    json.update(VerificationJson(read->trust, read->header));
    return PrintJson(json), 0;
  }
  if (!read->answer.has_record()) {
    std::printf("no record %s on %s\n", key.c_str(), ToHex(*account).c_str());
  } else {
    std::printf("%s = %s\n  written by %s at height %llu\n", key.c_str(), record.value().c_str(),
                ToHex(record.writer()).c_str(), static_cast<unsigned long long>(record.height()));
  }
  PrintVerification(*read);
  return 0;
}

int RunRecordHistory(const std::vector<std::string>& args) {
  Reading reading;
  std::string account_text, key;
  uint32_t limit = 100;
  po::options_description options("record history options");
  options.add_options()
      ("account", po::value(&account_text)->required(), "whose record (address)")
      ("name", po::value(&key)->required(), "the record's key")
      ("limit", po::value(&limit), "at most this many writes (default 100)");
  AddReading(options, &reading);
  int exit_code = 0;
  if (!ParseOptions("usage: cairn record history --account ADDR --name KEY [--limit N] [--json]", options, args,
                    &exit_code)) {
    return exit_code;
  }
  auto account = ParseAddress(account_text);
  if (!account.ok()) return PrintError(account.status().message()), 2;
  NodeClient client(reading.node);
  v1::GetRecordHistoryRequest request;
  request.set_account(*account);
  request.set_key(key);
  Json entries = Json::array();
  uint32_t shown = 0;
  do {
    request.set_limit(std::min<uint32_t>(limit - shown, 1000));
    auto page = client.RecordHistory(request);
    if (!page.ok()) return PrintError(page.status().message()), 1;
    for (const auto& entry : page->entries()) {
      ++shown;
      if (reading.json) {
        entries.push_back({{"height", Integer(entry.height())},
                           {"index", entry.index()},
                           {"tx_hash", ToHex(entry.tx_hash())},
                           {"writer", ToHex(entry.writer())},
                           {"deleted", entry.deleted()},
                           {"value", entry.value()}});
      } else {
        std::printf("height %llu tx %s by %s: %s\n", static_cast<unsigned long long>(entry.height()),
                    ToHex(entry.tx_hash()).c_str(), ToHex(entry.writer()).c_str(),
                    entry.deleted() ? "(deleted)" : entry.value().c_str());
      }
    }
    request.set_page_token(page->next_page_token());
  } while (!request.page_token().empty() && shown < limit);
  if (reading.json) PrintJson({{"account", ToHex(*account)}, {"name", key}, {"writes", std::move(entries)}});
  return 0;
}

int RunSignatoriesShow(const std::vector<std::string>& args) {
  Reading reading;
  std::string account_text;
  po::options_description options("signatories show options");
  options.add_options()("account", po::value(&account_text)->required(), "the account (address); also positional");
  AddVerifiedReading(options, &reading);
  int exit_code = 0;
  if (!ParseOptions("usage: cairn signatories show ADDR [--json] [--trust-genesis FILE | --no-verify]", options,
                    WithPositional(args, "--account"), &exit_code)) {
    return exit_code;
  }
  auto address = ParseAddress(account_text);
  if (!address.ok()) return PrintError(address.status().message()), 2;
  NodeClient client(reading.node);
  auto read = ReadVerified<v1::GetAccountResponse>(
      reading, client, [&] { return client.Account(*address); },
      [&](node::LightClient& light, const v1::GetAccountResponse& answer, const node::EpochChangeFetcher& fetch) {
        return light.VerifyAccount(answer, fetch, {NowMs(), kMaxAgeS * 1000});
      });
  if (!read.ok()) return PrintError(read.status().message()), 1;
  if (read->answer.proof().address() != ByteView(*address)) return PrintError("the node answered about another address"), 1;
  if (!read->answer.has_account()) return PrintError("no account " + ToHex(*address)), 1;
  const v1::Account& account = read->answer.account();
  const std::vector<Bytes> keys = ledger::SignatoriesOf(account);
  if (reading.json) {
    Json signatories = Json::array();
    for (const Bytes& key : keys) signatories.push_back(ToHex(key));
    Json json = {{"account", ToHex(*address)}, {"signatories", std::move(signatories)}, {"quorum", ledger::QuorumOf(account)}};
    json.update(VerificationJson(read->trust, read->header));
    return PrintJson(json), 0;
  }
  std::printf("account %s: %u of %zu signatories sign\n", ToHex(*address).c_str(), ledger::QuorumOf(account), keys.size());
  for (const Bytes& key : keys) std::printf("  %s\n", ToHex(key).c_str());
  PrintVerification(*read);
  return 0;
}

}  // namespace cairn::cli
