// `cairn`: the wallet and operator command line. Dispatches to one Command.
#include <cstdio>
#include <cstring>
#include <iterator>

#include "node/cli/command.h"
#include "node/version.h"

namespace cairn::cli {
namespace {

constexpr Command kCommands[] = {
    {"keygen", "create an Ed25519 key file (mode 0600); print its public key and address",
     RunKeygen},
    {"init", "set up one organisation's node: its key and config, and the line for the genesis", RunInit},
    {"genesis", "assemble a network's genesis from the organisations' public keys", RunGenesis},
    {"testnet", "write the genesis, keys and configs of a local network (127.0.0.1)", RunTestnet},
    {"status", "the node's chain, height, head, round and peers", RunStatus},
    {"account", "an account's role, nonce and balances, with its proof checked", RunAccount},
    {"transfer", "send an amount of an asset to an account", RunTransfer},
    {"mint", "create units of an asset in an account (issuers)", RunMint},
    {"create-account", "create an account for a public key (admins)", RunCreateAccount},
    {"set-role", "change an account's role (admins)", RunSetRole},
    {"asset", "register, show, freeze or thaw an asset definition", RunAsset},
    {"burn", "destroy units of an asset from your own balance (its issuers)", RunBurn},
    {"signatories", "an account's signing keys and quorum: add, remove, quorum, show", RunSignatories},
    {"record", "key-value records on an account: set, delete, get (proven), history", RunRecord},
    {"grant", "give an account a permission: mint, write-records, create-accounts", RunGrant},
    {"revoke", "take a permission back", RunRevoke},
    {"batch", "several operations in one transaction: all apply or none", RunBatch},
    {"sign", "add a key's signature to a transaction file, or combine signature files", RunSign},
    {"submit", "submit a signed transaction file", RunSubmit},
    {"tx", "a transaction: pending, or committed with its receipt and proof checked", RunTx},
    {"block", "a committed block by height, or the latest", RunBlock},
    {"watch", "follow new blocks as they commit", RunWatch},
    {"validators", "the validator set of an epoch or height, and the open proposals to change it", RunValidators},
    {"epochs", "the validator-set changes, each proven from the trust root, with their checkpoints", RunEpochs},
    {"propose-validator", "propose adding, removing or updating a validator (admins)", RunProposeValidator},
    {"vote", "approve or reject a validator-set proposal (admins)", RunVote},
    {"rotate-key", "replace a validator's consensus key, signed by the old and the new key", RunRotateKey},
    {"evidence", "validators caught signing two conflicting messages, as the chain recorded them", RunEvidence},
    {"audit", "verify a node's chain (or an archive) from genesis without trusting the node", RunAudit},
    {"export", "write a stopped node's blocks with their certificates to an archive file", RunExport},
    {"import", "rebuild a stopped node's history from an archive, checking every block", RunImport},
    {"verify-proof", "check a saved transaction or account proof offline", RunVerifyProof},
    {"load", "benchmark a local network with signed transfers (scripts/bench.sh)", RunLoad},
};

void PrintUsage(std::FILE* out) {
  std::fprintf(out,
               "usage: cairn <command> [options] | cairn --version\n\n"
               "Cairn: a permissioned BFT ledger. Commands:\n");
  for (const Command& c : kCommands) std::fprintf(out, "  %-18s %s\n", c.name, c.summary);
  std::fprintf(out, "\nRun 'cairn <command> --help' for a command's options.\n");
}

}  // namespace

void PrintError(const std::string& message) { std::fprintf(stderr, "cairn: %s\n", message.c_str()); }

}  // namespace cairn::cli

int main(int argc, char** argv) {
  using namespace cairn::cli;
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0 ||
      std::strcmp(argv[1], "help") == 0) {
    PrintUsage(argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  if (std::strcmp(argv[1], "--version") == 0) {
    std::printf("cairn %s (%s)\n", cairn::kVersion, cairn::kRevision);
    return 0;
  }
  for (const Command& c : kCommands) {
    if (std::strcmp(argv[1], c.name) == 0) {
      return c.run(std::vector<std::string>(argv + 2, argv + argc));
    }
  }
  PrintError(std::string("unknown command '") + argv[1] + "'; run 'cairn --help' for the list");
  return 2;
}
