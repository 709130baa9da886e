#include "node/cli/submit.h"

#include <cstdio>
#include <fstream>

#include "crypto/domain.h"
#include "ledger/json_file.h"
#include "ledger/tx_check.h"
#include "node/cli/args.h"
#include "node/cli/command.h"
#include "node/cli/json_output.h"
#include "node/cli/options.h"
#include "node/cli/reading.h"

namespace cairn::cli {

namespace {

namespace po = boost::program_options;

constexpr uint64_t kWaitMs = 30'000;

}  // namespace

void AddTxFlags(po::options_description& options, TxFlags* flags) {
  options.add_options()
      ("key", po::value(&flags->key_file)->required(), "the signing key file")
      ("sender", po::value(&flags->sender), "the sending account (address), when it is not the key's own")
      ("memo", po::value(&flags->memo), "a business reference recorded with the transaction (at most 128 bytes)")
      ("expires-in", po::value(&flags->expires_in_s), "seconds from now after which it may no longer enter a block")
      ("out", po::value(&flags->out), "write the signed transaction to this file instead of submitting it")
      ("wait", po::bool_switch(&flags->wait), "wait until it commits and print the receipt")
      ("json", po::bool_switch(&flags->json), "print JSON");
  AddNodeOption(options, &flags->node);
}

Result<v1::Transaction> ReadTxFile(const std::string& path) {
  v1::Transaction tx;
  CAIRN_RETURN_IF_ERROR(ledger::ReadJsonFile(path, &tx));
  return tx;
}

Status WriteTxFile(const std::string& path, const v1::Transaction& tx) {
  std::ofstream out(path, std::ios::trunc);
  out << ledger::ToJson(tx);
  out.close();
  if (!out) return Status::IoError("cannot write " + path);
  return Status::Ok();
}

int SignAndSubmit(const std::string& usage, po::options_description& options, TxFlags& flags,
                  const std::vector<std::string>& args, const FillOperation& fill) {
  int exit_code = 0;
  if (!ParseOptions(usage, options, args, &exit_code)) return exit_code;
  auto key = crypto::PrivateKey::ReadFile(flags.key_file);
  if (!key.ok()) return PrintError(key.status().message()), 1;
  v1::TxBody body;
  if (Status filled = fill(&body); !filled.ok()) return PrintError(filled.message()), 2;
  Bytes sender = crypto::AddressOf(key->public_key().bytes());
  if (!flags.sender.empty()) {
    auto named = ParseAddress(flags.sender);
    if (!named.ok()) return PrintError(named.status().Annotate("--sender").message()), 2;
    sender = *named;
    body.set_sender(sender);
  } else {
    // Another account acts in it, so it will carry several signatures: name the sender.
    for (const v1::Operation& op : body.operations()) {
      if (!op.account().empty()) body.set_sender(sender);
    }
  }
  body.set_memo(flags.memo);
  if (flags.expires_in_s > 0) body.set_expires_at_ms(NowMs() + flags.expires_in_s * 1000);

  NodeClient client(flags.node);
  auto status = client.Status();
  if (!status.ok()) return PrintError(status.status().message()), 1;
  auto account = client.Account(sender);
  if (!account.ok()) return PrintError(account.status().message()), 1;
  if (!account->has_account()) {
    return PrintError("the sender " + ToHex(sender) + " has no account on chain " + status->chain_id() +
                      " (an admin creates it with create-account)"),
           1;
  }
  body.set_chain_id(status->chain_id());
  // The next nonce after the committed one; transactions still pending from this
  // sender would need a later nonce (submit them one at a time with --wait).
  body.set_nonce(account->account().nonce() + 1);
  const crypto::PrivateKey* keys[] = {&*key};
  v1::Transaction tx = body.sender().empty() ? ledger::SignTransaction(*key, body) : ledger::SignTransaction(keys, body);
  if (Status checked = ledger::CheckTransaction(tx, status->chain_id()).status(); !checked.ok()) {
    return PrintError(checked.message()), 2;
  }
  if (!flags.out.empty()) {
    if (Status written = WriteTxFile(flags.out, tx); !written.ok()) return PrintError(written.message()), 1;
    const std::string hash = ToHex(ledger::TransactionHash(status->chain_id(), tx));
    if (flags.json) {
      PrintJson({{"file", flags.out}, {"tx_hash", hash}, {"nonce", Integer(body.nonce())}});
    } else {
      std::printf("wrote %s (nonce %llu, signed by 1 key): other signers add theirs with cairn sign --tx %s, then "
                  "cairn submit --tx %s\n",
                  flags.out.c_str(), static_cast<unsigned long long>(body.nonce()), flags.out.c_str(), flags.out.c_str());
    }
    return 0;
  }
  return SubmitAndReport(client, tx, flags.wait, flags.json);
}

int SubmitAndReport(NodeClient& client, const v1::Transaction& tx, bool wait, bool json) {
  v1::TxBody body;
  body.ParseFromString(tx.body());
  auto hash = client.Submit(tx);
  if (!hash.ok()) return PrintError("rejected: " + hash.status().ToString()), 1;
  if (!wait) {
    if (json) {
      PrintJson({{"tx_hash", ToHex(*hash)}, {"nonce", Integer(body.nonce())}});
    } else {
      std::printf("submitted %s (nonce %llu)\n", ToHex(*hash).c_str(), static_cast<unsigned long long>(body.nonce()));
    }
    return 0;
  }
  auto result = client.WaitForCommit(*hash, kWaitMs);
  if (!result.ok()) return PrintError(result.status().message()), 1;
  if (result->state() != v1::GetTransactionResponse::COMMITTED) {
    return PrintError("transaction " + ToHex(*hash) + " did not commit within 30 s (it is " +
                      v1::GetTransactionResponse::State_Name(result->state()) + ")"),
           1;
  }
  const v1::Receipt& receipt = result->receipt();
  const bool ok = receipt.result() == v1::TX_OK;
  if (json) {
    Json out = {{"tx_hash", ToHex(*hash)},
                {"nonce", Integer(body.nonce())},
                {"height", Integer(receipt.height())},
                {"index", receipt.index()},
                {"result", v1::TxResult_Name(receipt.result())},
                {"message", receipt.message()}};
    if (receipt.failed_operation() != 0) out["failed_operation"] = receipt.failed_operation();
    PrintJson(out);
  } else {
    std::printf("committed %s at height %llu (index %u): %s%s%s\n", ToHex(*hash).c_str(),
                static_cast<unsigned long long>(receipt.height()), receipt.index(), v1::TxResult_Name(receipt.result()).c_str(),
                receipt.message().empty() ? "" : ": ", receipt.message().c_str());
  }
  return ok ? 0 : 1;
}

}  // namespace cairn::cli
