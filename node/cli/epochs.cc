// `cairn epochs`: the chain's validator-set changes, each proven by the set before it
// from the trust root (node/light_client.h), with the checkpoint (HEIGHT:HASH of the
// epoch's root, the last block of the epoch before) a client may start from instead
// of genesis. Also what a light client's cold start fetches.
#include <cstdio>

#include "crypto/domain.h"
#include "node/cli/command.h"
#include "node/cli/json_output.h"
#include "node/cli/options.h"
#include "node/cli/trust.h"

namespace cairn::cli {

namespace {

void PrintEpoch(uint64_t epoch, uint64_t root_height, const std::string& root_hash, const v1::ValidatorSet& set,
                bool verified, bool json) {
  if (json) {
    Json names = Json::array();
    for (const v1::ValidatorInfo& v : set.validators()) names.push_back(v.name());
    PrintJson({{"epoch", Integer(epoch)},
               {"root_height", Integer(root_height)},
               {"root_hash", root_hash},
               {"checkpoint", std::to_string(root_height) + ":" + root_hash},
               {"validators", std::move(names)},
               {"verified", verified}});
    return;
  }
  std::string names;
  for (const v1::ValidatorInfo& v : set.validators()) names += (names.empty() ? "" : ", ") + v.name();
  std::printf("epoch %llu from block %llu: %d validators (%s); checkpoint %llu:%s%s\n",
              static_cast<unsigned long long>(epoch), static_cast<unsigned long long>(root_height + 1),
              set.validators_size(), names.c_str(), static_cast<unsigned long long>(root_height), root_hash.c_str(),
              verified ? "" : " (NOT VERIFIED)");
}

}  // namespace

int RunEpochs(const std::vector<std::string>& args) {
  namespace po = boost::program_options;
  NodeFlags node;
  TrustFlags trust_flags;
  bool json = false;
  po::options_description options("epochs options");
  options.add_options()("json", po::bool_switch(&json), "print JSON, one object per epoch");
  AddNodeOption(options, &node);
  AddTrustOptions(options, &trust_flags);
  int exit_code = 0;
  if (!ParseOptions("usage: cairn epochs [--node HOST:PORT] [--json] [--trust-genesis FILE | --no-verify]", options, args,
                    &exit_code)) {
    return exit_code;
  }
  NodeClient client(node);
  auto first = client.EpochChanges(1);
  if (!first.ok()) return PrintError(first.status().message()), 1;
  if (trust_flags.no_verify) {
    auto status = client.Status();
    if (!status.ok()) return PrintError(status.status().message()), 1;
    Result<v1::EpochChangesResponse> page = std::move(first);
    for (uint64_t from = 1;;) {
      for (const v1::EpochChangeProof& change : page->changes()) {
        v1::BlockHeader header;
        header.ParseFromString(change.header());
        PrintEpoch(change.governance().epoch(), header.height(), ToHex(crypto::BlockHash(status->chain_id(), change.header())),
                   change.governance().validators(), false, json);
      }
      from += static_cast<uint64_t>(page->changes_size());
      if (page->changes().empty() || from > page->current_epoch()) break;
      page = client.EpochChanges(from);
      if (!page.ok()) return PrintError(page.status().message()), 1;
    }
    if (!json) std::printf("%s\n", kNotVerified);
    return 0;
  }
  auto trust = Trust::Open(trust_flags, client);
  if (!trust.ok()) return PrintError(trust.status().message()), 1;
  node::LightClient& light = trust->light_client();
  if (Status proven = light.ProveEpoch(first->current_epoch(), trust->fetcher()); !proven.ok()) {
    return PrintError("the node's epoch changes do not check: " + proven.message()), 1;
  }
  for (const node::TrustedEpoch& epoch : light.epochs()) {
    PrintEpoch(epoch.epoch, epoch.root_height, ToHex(epoch.root_hash), epoch.validators, true, json);
  }
  trust->Save();
  return 0;
}

}  // namespace cairn::cli
