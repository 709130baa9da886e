#include "ledger/genesis.h"

#include <algorithm>
#include <limits>
#include <map>
#include <set>

#include "cairn/v1/storage.pb.h"
#include "crypto/domain.h"
#include "crypto/ed25519.h"
#include "crypto/merkle.h"
#include "ledger/deterministic.h"
#include "ledger/governance.h"
#include "ledger/json_file.h"
#include "ledger/keys.h"
#include "ledger/operations.h"
#include "ledger/state_entries.h"
#include "ledger/state_tree.h"
#include "ledger/tx_check.h"

namespace cairn::ledger {

namespace {

// Format 4: the state tree is stored as versioned nodes in a database of its own
// (keys.h n, split_store.h), and it records the offences the chain convicted
// (evidence.h). Formats 2 and 3, of development builds, kept the tree beside the rest
// (2) or the offences outside the state (3).
constexpr uint32_t kStoreFormatVersion = 4;

bool IsValidChainId(const std::string& id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

Status ValidateValidators(const v1::Genesis& genesis) {
  if (genesis.validators().empty()) return Status::InvalidArgument("genesis has no validators");
  std::set<std::string> names;
  std::set<crypto::PublicKey> keys;
  for (int i = 0; i < genesis.validators_size(); ++i) {
    const auto& v = genesis.validators(i);
    std::string where = "validators[" + std::to_string(i) + "]";
    if (v.name().empty()) return Status::InvalidArgument(where + " has no name");
    if (!names.insert(v.name()).second) {
      return Status::InvalidArgument(where + ": the name '" + v.name() + "' is used twice");
    }
    auto key = crypto::ParseNewKeyHex(v.public_key());
    if (!key.ok()) return key.status().Annotate(where + ".public_key");
    if (!keys.insert(*key).second) return Status::InvalidArgument(where + ": the key is used twice");
    if (!v.network_key().empty()) {
      auto link = crypto::ParseNewKeyHex(v.network_key());
      if (!link.ok()) return link.status().Annotate(where + ".network_key");
      if (!keys.insert(*link).second) return Status::InvalidArgument(where + ": the network key is used twice");
    }
  }
  return Status::Ok();
}

Status ValidateAccounts(const v1::Genesis& genesis) {
  std::set<crypto::PublicKey> keys;
  for (int i = 0; i < genesis.accounts_size(); ++i) {
    const auto& a = genesis.accounts(i);
    std::string where = "accounts[" + std::to_string(i) + "]";
    auto key = crypto::ParseNewKeyHex(a.public_key());
    if (!key.ok()) return key.status().Annotate(where + ".public_key");
    if (!keys.insert(*key).second) return Status::InvalidArgument(where + ": the key is used twice");
    if (a.role() < v1::ROLE_USER || a.role() > v1::ROLE_ADMIN) {
      return Status::InvalidArgument(where + ".role is not a valid role");
    }
    std::set<std::string> assets;
    for (const auto& b : a.balances()) {
      if (!IsValidAssetName(b.asset())) {
        return Status::InvalidArgument(where + ": asset name '" + b.asset() +
                                       "' is not 1 to 16 characters of A-Z, 0-9");
      }
      if (!assets.insert(b.asset()).second) {
        return Status::InvalidArgument(where + ": asset " + b.asset() + " is listed twice");
      }
    }
  }
  return Status::Ok();
}

v1::Account GenesisAccountState(const v1::GenesisAccount& a) {
  Bytes public_key = FromHex(a.public_key()).value();
  v1::Account account;
  account.set_address(crypto::AddressOf(public_key));
  account.set_public_key(public_key);
  account.set_role(a.role());
  std::vector<v1::Balance> balances(a.balances().begin(), a.balances().end());
  std::sort(balances.begin(), balances.end(),
            [](const v1::Balance& x, const v1::Balance& y) { return x.asset() < y.asset(); });
  for (const auto& b : balances) {
    if (b.amount() > 0) *account.add_balances() = b;
  }
  return account;
}

// The registry a genesis defines: each asset's definition, its supply the sum of the
// genesis balances. Issuers are given as keys of genesis accounts.
Result<std::vector<v1::AssetDefinition>> GenesisAssets(const v1::Genesis& genesis) {
  if (!genesis.asset_registry()) {
    if (!genesis.assets().empty()) return Status::InvalidArgument("assets are defined but asset_registry is false");
    return std::vector<v1::AssetDefinition>{};
  }
  std::set<Bytes> accounts;
  for (const auto& a : genesis.accounts()) accounts.insert(crypto::AddressOf(FromHex(a.public_key()).value()));
  std::map<std::string, v1::AssetDefinition> assets;
  for (int i = 0; i < genesis.assets_size(); ++i) {
    const v1::GenesisAsset& asset = genesis.assets(i);
    const std::string where = "assets[" + std::to_string(i) + "]";
    if (!IsValidAssetName(asset.name())) {
      return Status::InvalidArgument(where + ".name '" + asset.name() + "' is not 1 to 16 characters of A-Z, 0-9");
    }
    if (asset.precision() > kMaxAssetPrecision) {
      return Status::InvalidArgument(where + ".precision is above " + std::to_string(kMaxAssetPrecision));
    }
    if (asset.issuers().empty() || static_cast<size_t>(asset.issuers_size()) > kMaxAssetIssuers) {
      return Status::InvalidArgument(where + " must name 1 to " + std::to_string(kMaxAssetIssuers) + " issuers");
    }
    v1::AssetDefinition definition;
    definition.set_name(asset.name());
    definition.set_precision(asset.precision());
    definition.set_supply_cap(asset.supply_cap());
    for (const std::string& hex : asset.issuers()) {
      auto key = FromHex(hex);
      if (!key.ok() || key->size() != crypto::kPublicKeySize) {
        return Status::InvalidArgument(where + ": issuer '" + hex.substr(0, 80) + "' is not a 64-hex-character key");
      }
      const Bytes address = crypto::AddressOf(*key);
      if (!accounts.count(address)) return Status::InvalidArgument(where + ": issuer " + hex + " is no genesis account");
      if (Contains(definition.issuers(), address)) return Status::InvalidArgument(where + " names an issuer twice");
      InsertSorted(definition.mutable_issuers(), address);
    }
    if (!assets.emplace(asset.name(), std::move(definition)).second) {
      return Status::InvalidArgument(where + ": asset " + asset.name() + " is defined twice");
    }
  }
  for (const auto& a : genesis.accounts()) {
    for (const auto& b : a.balances()) {
      auto it = assets.find(b.asset());
      if (it == assets.end()) {
        return Status::InvalidArgument("a genesis balance names asset " + b.asset() + ", which assets does not define");
      }
      v1::AssetDefinition& definition = it->second;
      if (definition.supply() > std::numeric_limits<uint64_t>::max() - b.amount()) {
        return Status::InvalidArgument("the genesis supply of " + b.asset() + " overflows");
      }
      definition.set_supply(definition.supply() + b.amount());
    }
  }
  std::vector<v1::AssetDefinition> out;
  for (auto& [name, definition] : assets) {
    if (definition.supply_cap() != 0 && definition.supply() > definition.supply_cap()) {
      return Status::InvalidArgument("the genesis balances of " + name + " exceed its supply cap");
    }
    out.push_back(std::move(definition));
  }
  return out;
}

}  // namespace

Status ValidateGenesis(const v1::Genesis& genesis) {
  if (!IsValidChainId(genesis.chain_id())) {
    return Status::InvalidArgument("chain_id '" + genesis.chain_id().substr(0, 80) +
                                   "' is not 1 to 64 characters of a-z, A-Z, 0-9, '-', '_', '.'");
  }
  CAIRN_RETURN_IF_ERROR(ValidateValidators(genesis));
  // Leader election reads this many blocks at every proposal and at start.
  constexpr uint32_t kMaxReputationWindow = 10'000;
  if (genesis.governance().leader_reputation().window_blocks() > kMaxReputationWindow) {
    return Status::InvalidArgument("governance.leader_reputation.window_blocks is above " +
                                   std::to_string(kMaxReputationWindow));
  }
  CAIRN_RETURN_IF_ERROR(ValidateAccounts(genesis));
  return GenesisAssets(genesis).status();
}

Result<v1::Genesis> ReadGenesisFile(const std::string& path) {
  v1::Genesis genesis;
  CAIRN_RETURN_IF_ERROR(ReadJsonFile(path, &genesis));
  CAIRN_RETURN_IF_ERROR(ValidateGenesis(genesis).Annotate(path));
  return genesis;
}

Hash GenesisHash(const v1::Genesis& genesis) {
  return crypto::DomainHash(crypto::Purpose::kGenesis, genesis.chain_id(), DeterministicBytes(genesis));
}

GenesisState BuildGenesisState(const v1::Genesis& genesis) {
  GenesisState state;
  std::vector<StateTree::Entry> leaves;
  for (const auto& a : genesis.accounts()) {
    const v1::Account account = GenesisAccountState(a);
    leaves.emplace_back(StateKey(account.address()), account.SerializeAsString());
  }
  // The genesis was validated, so its assets are well formed.
  const std::vector<v1::AssetDefinition> assets = GenesisAssets(genesis).value();
  for (const v1::AssetDefinition& asset : assets) {
    leaves.emplace_back(AssetStateKey(asset.name()), asset.SerializeAsString());
  }
  state.tree = StateTree::Build(0, std::move(leaves));
  state.validators.set_epoch(0);
  for (const auto& v : genesis.validators()) {
    auto* info = state.validators.add_validators();
    info->set_name(v.name());
    info->set_public_key(FromHex(v.public_key()).value());
    if (!v.network_key().empty()) info->set_network_key(FromHex(v.network_key()).value());
    info->set_address(v.address());
  }
  state.governance = GenesisGovernance(genesis, state.validators);
  v1::BlockHeader header;
  header.set_height(0);
  header.set_governance_hash(ToBytes(GovernanceHash(genesis.chain_id(), state.governance)));
  header.set_parent_hash(ToBytes(GenesisHash(genesis)));
  header.set_tx_root(ToBytes(crypto::MerkleRoot({})));
  header.set_receipts_root(ToBytes(crypto::MerkleRoot({})));
  header.set_state_root(ToBytes(state.tree.root()));
  header.set_timestamp_ms(genesis.genesis_time_ms());
  state.block.set_header(header.SerializeAsString());
  state.block_hash = crypto::BlockHash(genesis.chain_id(), state.block.header());
  return state;
}

void AddGenesisRecords(const v1::Genesis& genesis, const GenesisState& state, WriteBatch* batch) {
  batch->Put(keys::kGenesisDocument, genesis.SerializeAsString());
  batch->Put(keys::ValidatorSet(0), state.validators.SerializeAsString());
  batch->Put(keys::EpochRoot(0), U64Bytes(0));
  batch->Put(keys::Block(0), state.block.SerializeAsString());
  batch->Put(keys::BlockHeight(state.block_hash), U64Bytes(0));
  batch->Put(keys::kStoreFormat, StoreFormatRecord());
}

uint32_t StoreFormatVersion() { return kStoreFormatVersion; }

Bytes StoreFormatRecord() {
  v1::StoreFormat format;
  format.set_version(kStoreFormatVersion);
  return format.SerializeAsString();
}

v1::QuorumCertificate EpochStartCertificate(uint64_t epoch, uint64_t root_height, const Hash& root_hash) {
  v1::QuorumCertificate qc;
  qc.set_epoch(epoch);
  qc.set_height(root_height);
  qc.set_block_hash(ToBytes(root_hash));
  return qc;
}

uint32_t MaxBlockTxs(const v1::Genesis& genesis) {
  uint32_t v = genesis.consensus().max_block_txs();
  return v == 0 ? kDefaultMaxBlockTxs : v;
}

uint64_t MaxBlockBytes(const v1::Genesis& genesis) {
  uint64_t v = genesis.consensus().max_block_bytes();
  return v == 0 ? kDefaultMaxBlockBytes : v;
}

}  // namespace cairn::ledger
