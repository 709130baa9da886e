// Signing and submitting a transaction, what every command that writes shares.
//
// A command builds its operation(s), then SignAndSubmit reads the key, asks the node
// for the chain id and the sender's nonce, signs, submits, and with --wait waits for
// the commit and reports the receipt (a failed receipt is a non-zero exit).
//
// Several signers (a multi-signature account, a batch two accounts sign): the first
// holder writes the signed transaction to a file (--out) instead of submitting it; each
// other holder adds a signature (cairn sign --key K --tx FILE); anyone submits the file
// (cairn submit --tx FILE). --sender names the account when the key's own address is
// not it (the several-signer form is then used, even with one signature).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <boost/program_options.hpp>

#include "cairn/v1/transaction.pb.h"
#include "node/cli/client.h"

namespace cairn::cli {

struct TxFlags {
  std::string key_file;
  std::string sender;       // --sender: the account, when not the key's address
  std::string memo;         // --memo
  uint64_t expires_in_s = 0;  // --expires-in: from now, by this machine's clock
  std::string out;          // --out: write the signed transaction here, do not submit
  NodeFlags node;
  bool wait = false;
  bool json = false;
};

void AddTxFlags(boost::program_options::options_description& options, TxFlags* flags);

// Fills the operation(s) of `body`; an error for a bad argument.
using FillOperation = std::function<Status(v1::TxBody* body)>;

// Parses `args`, builds the body with `fill`, signs and submits it (or writes it with
// --out). Returns the exit code.
int SignAndSubmit(const std::string& usage, boost::program_options::options_description& options, TxFlags& flags,
                  const std::vector<std::string>& args, const FillOperation& fill);

// Submits `tx` and, with `wait`, waits for its receipt and prints it (JSON with `json`).
int SubmitAndReport(NodeClient& client, const v1::Transaction& tx, bool wait, bool json);

// A transaction file: the Transaction in protobuf's JSON mapping.
Result<v1::Transaction> ReadTxFile(const std::string& path);
Status WriteTxFile(const std::string& path, const v1::Transaction& tx);

}  // namespace cairn::cli
