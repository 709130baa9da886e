#include "node/cli/trust.h"

#include <cstdlib>
#include <filesystem>

#include "crypto/sha256.h"
#include "ledger/genesis.h"
#include "node/cli/command.h"

namespace cairn::cli {

namespace {

namespace po = boost::program_options;

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : "";
}

// The genesis file to trust when none is named: $CAIRN_TRUST_GENESIS, or the devnet's
// when reading from the devnet's node.
std::string ImpliedGenesis(const NodeClient& client) {
  if (std::string env = Env("CAIRN_TRUST_GENESIS"); !env.empty()) return env;
  if (client.address() != kDevnetNode) return "";
  const std::string dir = Env("CAIRN_DEVNET_DIR").empty() ? "devnet" : Env("CAIRN_DEVNET_DIR");
  const std::string path = dir + "/genesis.json";
  return std::filesystem::exists(path) ? path : "";
}

// A light client trusting the checkpoint: the block it names is read from the node
// and must be the genesis block or the last of its epoch; the change it makes (the
// genesis root: epoch 0's) gives the set.
Result<node::LightClient> FromCheckpoint(const node::Checkpoint& checkpoint, NodeClient& client) {
  uint64_t epoch = 0;
  if (checkpoint.height > 0) {
    CAIRN_ASSIGN_OR_RETURN(v1::GetBlockResponse block, client.Block(checkpoint.height));
    v1::BlockHeader header;
    if (!header.ParseFromString(block.block().header())) return Status::InvalidArgument("the checkpoint's block header does not parse");
    epoch = header.epoch() + 1;
  }
  CAIRN_ASSIGN_OR_RETURN(v1::EpochChangesResponse changes, client.EpochChanges(epoch));
  v1::EpochChangeProof change;
  if (!changes.changes().empty()) change = changes.changes(0);
  CAIRN_ASSIGN_OR_RETURN(v1::GetStatusResponse status, client.Status());
  return node::LightClient::FromCheckpoint(status.chain_id(), checkpoint.height, checkpoint.hash, change);
}

}  // namespace

Result<std::string> DefaultTrustStorePath(const std::string& chain_id) {
  std::string dir = Env("CAIRN_TRUST_DIR");
  if (dir.empty() && !Env("HOME").empty()) dir = Env("HOME") + "/.cairn/trust";
  if (dir.empty()) return Status::FailedPrecondition("no place for the trust store: set CAIRN_TRUST_DIR or give --trust-store");
  // The chain id may come from the node: as a file name only when it is a plain one.
  const bool plain = !chain_id.empty() && chain_id[0] != '.' && chain_id.size() <= 64 &&
                     chain_id.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") ==
                         std::string::npos;
  return dir + "/" + (plain ? chain_id : "chain-" + ToHex(crypto::Sha256Of(chain_id)).substr(0, 16)) + ".trust";
}

void AddTrustOptions(po::options_description& options, TrustFlags* flags) {
  options.add_options()
      ("trust-genesis", po::value(&flags->genesis), "verify against this genesis file (default: the trust store, "
                                                    "$CAIRN_TRUST_GENESIS, or the devnet's)")
      ("trust-checkpoint", po::value(&flags->checkpoint), "verify from HEIGHT:HASH, the genesis block or the last "
                                                          "block of an epoch (cairn epochs lists them)")
      ("trust-store", po::value(&flags->store), "the trust store file (default: $CAIRN_TRUST_DIR or ~/.cairn/trust, "
                                                "<chain id>.trust)")
      ("no-verify", po::bool_switch(&flags->no_verify), "print the node's answer without checking it against the validators");
}

Result<Trust> Trust::Open(const TrustFlags& flags, NodeClient& client) {
  std::optional<v1::Genesis> genesis;
  const std::string genesis_path = !flags.genesis.empty() ? flags.genesis : ImpliedGenesis(client);
  std::optional<node::Checkpoint> checkpoint;
  if (!flags.checkpoint.empty()) {
    if (!flags.genesis.empty()) return Status::InvalidArgument("give --trust-genesis or --trust-checkpoint, not both");
    auto parsed = node::ParseCheckpoint(flags.checkpoint);
    if (!parsed.ok()) return Status::InvalidArgument("--trust-checkpoint " + parsed.status().message());
    checkpoint = *parsed;
  } else if (!genesis_path.empty()) {
    CAIRN_ASSIGN_OR_RETURN(genesis, ledger::ReadGenesisFile(genesis_path));
  }
  std::string chain_id;
  if (genesis) {
    chain_id = genesis->chain_id();
  } else {
    CAIRN_ASSIGN_OR_RETURN(v1::GetStatusResponse status, client.Status());
    chain_id = status.chain_id();
  }
  std::string path = flags.store;
  if (path.empty()) {
    CAIRN_ASSIGN_OR_RETURN(path, DefaultTrustStorePath(chain_id));
  }
  // The root to trust, when one is given or implied: a store of another root is
  // started again from it (the chain was made anew, or the user moved the root), except
  // a store of a checkpoint when the genesis is only implied: that was a choice.
  std::optional<std::pair<uint64_t, Hash>> asked;
  if (checkpoint) asked = std::pair{checkpoint->height, checkpoint->hash};
  if (genesis) asked = std::pair{uint64_t{0}, node::GenesisEpoch(*genesis).root_hash};
  if (std::filesystem::exists(path)) {
    CAIRN_ASSIGN_OR_RETURN(node::LightClient stored, node::LightClient::Load(path));
    if (stored.chain_id() != chain_id) {
      return Status::InvalidArgument("trust store " + path + " is of chain " + stored.chain_id() + ", not " + chain_id);
    }
    // A store of the genesis root must also hold the genesis file's set (a store is a
    // file anyone with access may have written).
    const bool same_root = asked && stored.root_height() == asked->first && stored.root_hash() == asked->second &&
                           (!genesis || stored.epochs().front().validators.SerializeAsString() ==
                                            node::GenesisEpoch(*genesis).validators.SerializeAsString());
    const bool chosen_checkpoint = stored.root_height() > 0 && !checkpoint && flags.genesis.empty();
    if (!asked || same_root || chosen_checkpoint) return Trust(std::move(stored), path, client);
    PrintError("note: trust store " + path + " trusted another root; starting it again from the one given");
  }
  if (checkpoint) {
    CAIRN_ASSIGN_OR_RETURN(node::LightClient light, FromCheckpoint(*checkpoint, client));
    return Trust(std::move(light), path, client);
  }
  if (genesis) return Trust(node::LightClient::FromGenesis(*genesis), path, client);
  return Status::FailedPrecondition("nothing to verify the node's answer against for chain " + chain_id +
                                    ": give --trust-genesis FILE (or --trust-checkpoint HEIGHT:HASH), or --no-verify "
                                    "to print it unchecked");
}

void Trust::Save() const {
  if (Status saved = light_client_.Save(path_); !saved.ok()) PrintError("warning: " + saved.message());
}

node::EpochChangeFetcher Trust::fetcher() {
  NodeClient* client = client_;
  return [client](uint64_t from_epoch) { return client->EpochChanges(from_epoch); };
}

std::string Trust::Describe(const node::VerifiedHeader& verified) const {
  const node::LightClient& light = light_client_;
  const std::string root = light.root_height() == 0 ? "genesis " + ToHex(light.root_hash()).substr(0, 16)
                                                     : "checkpoint " + std::to_string(light.root_height()) + ":" +
                                                           ToHex(light.root_hash()).substr(0, 16);
  if (verified.signers == 0) {
    return "verified: block " + std::to_string(verified.header.height()) + " is the trusted " + root + " of chain " +
           light.chain_id();
  }
  return "verified: block " + std::to_string(verified.header.height()) + " of epoch " +
         std::to_string(verified.header.epoch()) + " committed, " + std::to_string(verified.signers) + " of " +
         std::to_string(verified.set_size) + " validators signed (chain " + light.chain_id() + ", trusting " + root + "...)";
}

Json Trust::DescribeJson(const node::VerifiedHeader& verified) const {
  return {{"verified", true},
          {"verified_height", Integer(verified.header.height())},
          {"verified_epoch", Integer(verified.header.epoch())},
          {"signers", verified.signers},
          {"validators", verified.set_size},
          {"chain_id", light_client_.chain_id()},
          {"trust_root_height", Integer(light_client_.root_height())},
          {"trust_root_hash", ToHex(light_client_.root_hash())}};
}

}  // namespace cairn::cli
