// `cairn verify-proof --proof FILE [--block-hash HEX] [--chain-id ID]`: checks, with no
// node, a proof saved by `cairn tx HASH --proof FILE` or `cairn account ADDR --proof
// FILE`: the transaction's inclusion, or the account's state, under the block header in
// the file; with --block-hash, that this header is the block the caller trusts.
#include <cstdio>

#include "cairn/v1/api.pb.h"
#include "crypto/domain.h"
#include "ledger/json_file.h"
#include "node/cli/args.h"
#include "node/cli/command.h"
#include "node/cli/options.h"
#include "node/cli/proofs.h"

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

}  // namespace

int RunVerifyProof(const std::vector<std::string>& args) {
  namespace po = boost::program_options;
  std::string file, block_hash, chain_id;
  po::options_description options("verify-proof options");
  options.add_options()
      ("proof", po::value(&file)->required(), "a file written by `cairn tx --proof` or `cairn account --proof`")
      ("block-hash", po::value(&block_hash), "the hash of the block you trust; the proof's header must be it")
      ("chain-id", po::value(&chain_id), "the chain id (account proofs with --block-hash)");
  int exit_code = 0;
  if (!ParseOptions("usage: cairn verify-proof --proof FILE [--block-hash HEX] [--chain-id ID]", options, args, &exit_code)) {
    return exit_code;
  }
  auto text = ledger::ReadSmallFile(file, ledger::kMaxJsonFileBytes);
  if (!text.ok()) return PrintError(text.status().message()), 1;

  v1::GetTransactionResponse tx;
  if (ledger::ParseJson(*text, &tx).ok() && tx.state() == v1::GetTransactionResponse::COMMITTED) {
    v1::TxBody body;
    body.ParseFromString(tx.transaction().body());
    Status checked = CheckInclusion(tx);
    if (checked.ok()) checked = CheckHeader(tx.block_header(), body.chain_id(), block_hash);
    if (!checked.ok()) return PrintError("proof FAILED: " + checked.message()), 1;
    std::printf("proof valid: transaction %s is at index %u of block %llu%s\n", ToHex(tx.receipt().tx_hash()).c_str(),
                tx.receipt().index(), static_cast<unsigned long long>(tx.receipt().height()),
                block_hash.empty() ? " (pass --block-hash to pin the block)" : (" " + block_hash).c_str());
    return 0;
  }
  v1::GetAccountResponse account;
  if (Status parsed = ledger::ParseJson(*text, &account); !parsed.ok()) {
    return PrintError(file + " is neither a transaction nor an account proof: " + parsed.message()), 1;
  }
  if (account.block_header().empty()) return PrintError("the account proof carries no block header"), 1;
  Status checked = CheckAccountProof(account);
  if (checked.ok()) checked = CheckHeader(account.block_header(), chain_id, block_hash);
  if (!checked.ok()) return PrintError("proof FAILED: " + checked.message()), 1;
  std::printf("proof valid: account %s %s at height %llu%s\n", ToHex(account.proof().address()).c_str(),
              account.has_account() ? ("has nonce " + std::to_string(account.account().nonce())).c_str() : "does not exist",
              static_cast<unsigned long long>(account.height()),
              block_hash.empty() ? " (pass --block-hash to pin the block)" : (" in block " + block_hash).c_str());
  return 0;
}

}  // namespace cairn::cli
