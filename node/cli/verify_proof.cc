// `cairn verify-proof --proof FILE`: checks, with no node, an answer saved by `cairn tx
// HASH --proof FILE` or `cairn account ADDR --proof FILE`: its block header committed
// by its epoch's validator set, proven from the trust store (or a genesis file) as a
// read would (node/light_client.h), then the transaction's inclusion, or the account's
// state, under that header. Offline, the epochs it can prove are those the trust store
// holds. With --block-hash, the header must also be the block the caller names.
#include <cstdio>
#include <filesystem>
#include <optional>

#include "cairn/v1/api.pb.h"
#include "crypto/domain.h"
#include "ledger/genesis.h"
#include "ledger/json_file.h"
#include "node/cli/args.h"
#include "node/cli/command.h"
#include "node/cli/options.h"
#include "node/cli/trust.h"
#include "node/read_proofs.h"

namespace cairn::cli {

namespace {

// The header in the proof must hash to the trusted block hash, when one is given.
Status CheckHeader(const std::string& header, const std::string& chain_id, const std::string& block_hash) {
  if (block_hash.empty()) return Status::Ok();
  CAIRN_ASSIGN_OR_RETURN(Bytes trusted, ParseHash(block_hash));
  if (chain_id.empty()) return Status::InvalidArgument("--block-hash needs --chain-id for an account proof");
  if (AsView(crypto::BlockHash(chain_id, header)) != ByteView(trusted)) {
    return Status::InvalidArgument("the proof's block header is not block " + block_hash);
  }
  return Status::Ok();
}

// The light client to check against: --trust-store, else --trust-genesis (or
// $CAIRN_TRUST_GENESIS), else the default store of `chain_id` when there is one.
// nullopt when there is nothing to trust.
Result<std::optional<node::LightClient>> OfflineTrust(const TrustFlags& flags, const std::string& chain_id) {
  if (!flags.store.empty()) {
    CAIRN_ASSIGN_OR_RETURN(node::LightClient stored, node::LightClient::Load(flags.store));
    return std::optional(std::move(stored));
  }
  std::string genesis = flags.genesis;
  if (genesis.empty() && std::getenv("CAIRN_TRUST_GENESIS") != nullptr) genesis = std::getenv("CAIRN_TRUST_GENESIS");
  if (!genesis.empty()) {
    CAIRN_ASSIGN_OR_RETURN(v1::Genesis parsed, ledger::ReadGenesisFile(genesis));
    return std::optional(node::LightClient::FromGenesis(parsed));
  }
  if (chain_id.empty()) return std::optional<node::LightClient>();
  CAIRN_ASSIGN_OR_RETURN(std::string path, DefaultTrustStorePath(chain_id));
  if (std::filesystem::exists(path)) {
    CAIRN_ASSIGN_OR_RETURN(node::LightClient stored, node::LightClient::Load(path));
    return std::optional(std::move(stored));
  }
  return std::optional<node::LightClient>();
}

// Offline there is no node to ask for an epoch change the store does not hold.
Result<v1::EpochChangesResponse> NoNode(uint64_t from_epoch) {
  return Status::FailedPrecondition("offline, and the trust store does not hold epoch " + std::to_string(from_epoch) +
                                    ": a verified read from a node of that epoch (cairn block latest) proves it");
}

}  // namespace

int RunVerifyProof(const std::vector<std::string>& args) {
  namespace po = boost::program_options;
  std::string file, block_hash, chain_id;
  TrustFlags trust;
  po::options_description options("verify-proof options");
  options.add_options()
      ("proof", po::value(&file)->required(), "a file written by `cairn tx --proof` or `cairn account --proof`")
      ("block-hash", po::value(&block_hash), "the hash of a block you trust; the proof's header must be it")
      ("chain-id", po::value(&chain_id), "the chain id (account proofs: to find its trust store, or with --block-hash)")
      ("trust-genesis", po::value(&trust.genesis), "check the header against the validator sets from this genesis file")
      ("trust-store", po::value(&trust.store), "check the header against this trust store (default: the chain's)")
      ("no-verify", po::bool_switch(&trust.no_verify), "check the proof against its own header only, not the validators");
  int exit_code = 0;
  if (!ParseOptions("usage: cairn verify-proof --proof FILE [--trust-genesis FILE | --trust-store FILE | --block-hash HEX "
                    "--chain-id ID | --no-verify]",
                    options, args, &exit_code)) {
    return exit_code;
  }
  auto text = ledger::ReadSmallFile(file, ledger::kMaxJsonFileBytes);
  if (!text.ok()) return PrintError(text.status().message()), 1;

  v1::GetTransactionResponse tx;
  v1::GetAccountResponse account;
  const bool is_tx = ledger::ParseJson(*text, &tx).ok() && tx.state() == v1::GetTransactionResponse::COMMITTED;
  if (is_tx) {
    v1::TxBody body;
    body.ParseFromString(tx.transaction().body());
    if (chain_id.empty()) chain_id = body.chain_id();
  } else if (Status parsed = ledger::ParseJson(*text, &account); !parsed.ok()) {
    return PrintError(file + " is neither a transaction nor an account proof: " + parsed.message()), 1;
  } else if (account.block_header().empty()) {
    return PrintError("the account proof carries no block header"), 1;
  }
  std::optional<node::LightClient> light;
  if (!trust.no_verify) {
    auto opened = OfflineTrust(trust, chain_id);
    if (!opened.ok()) return PrintError(opened.status().message()), 1;
    light = std::move(*opened);
    if (!light && block_hash.empty()) {
      return PrintError("nothing to check the proof's header against: give --trust-genesis FILE or --trust-store FILE "
                        "(or --block-hash HEX of a block you trust, or --no-verify)"),
             1;
    }
  }
  // What the header was checked against, for the last line.
  std::string against = " (NOT VERIFIED against the validators: --no-verify)";
  Status checked = is_tx ? node::CheckInclusion(tx) : node::CheckAccountProof(account);
  const std::string& header = is_tx ? tx.block_header() : account.block_header();
  if (checked.ok()) checked = CheckHeader(header, chain_id, block_hash);
  if (!block_hash.empty()) against = " in block " + block_hash;
  if (checked.ok() && light) {
    auto verified = is_tx ? light->VerifyTransaction(tx, NoNode)
                          : light->VerifyCommitted(account.block_header(), account.commit_proof(), NoNode);
    if (verified.ok() && !is_tx && verified->header.height() != account.height()) {
      verified = Status::InvalidArgument("the answer's height is not its header's");
    }
    if (verified.ok()) {
      against = "; block " + std::to_string(verified->header.height()) + " of epoch " +
                std::to_string(verified->header.epoch()) + " committed, " + std::to_string(verified->signers) + " of " +
                std::to_string(verified->set_size) + " validators signed";
    }
    checked = verified.status();
  }
  if (!checked.ok()) return PrintError("proof FAILED: " + checked.message()), 1;
  if (is_tx) {
    std::printf("proof valid: transaction %s is at index %u of block %llu%s\n", ToHex(tx.receipt().tx_hash()).c_str(),
                tx.receipt().index(), static_cast<unsigned long long>(tx.receipt().height()), against.c_str());
  } else {
    std::printf("proof valid: account %s %s at height %llu%s\n", ToHex(account.proof().address()).c_str(),
                account.has_account() ? ("has nonce " + std::to_string(account.account().nonce())).c_str() : "does not exist",
                static_cast<unsigned long long>(account.height()), against.c_str());
  }
  return 0;
}

}  // namespace cairn::cli
