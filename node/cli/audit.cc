// `cairn audit --genesis FILE (--data DIR | --node HOST:PORT)`: verifies a chain from
// genesis without trusting the node that kept it (ledger/audit.h): prints a summary, or
// the first height and check that failed, and exits non-zero then. With --data the
// node's own records (receipts, indexes, accounts, head) are compared too, and a node
// that joined by state sync is audited from its base (node/base_audit.h); with --node,
// the blocks it serves are audited, from genesis only.
#include <cstdio>
#include <filesystem>

#include "crypto/verifier.h"
#include "ledger/audit.h"
#include "ledger/genesis.h"
#include "node/archive.h"
#include "node/base_audit.h"
#include "node/certificate_check.h"
#include "node/cli/client.h"
#include "node/cli/command.h"
#include "node/cli/options.h"

namespace cairn::cli {

namespace {

// Blocks as a node serves them over gRPC.
class NodeAuditSource : public ledger::AuditSource {
 public:
  explicit NodeAuditSource(NodeClient& client) : client_(client) {}
  Result<std::optional<std::pair<v1::Block, v1::QuorumCertificate>>> Get(uint64_t height) override {
    using Out = std::optional<std::pair<v1::Block, v1::QuorumCertificate>>;
    auto block = client_.Block(height);
    if (block.status().code() == StatusCode::kNotFound) {
      // A node that joined by state sync says so for blocks below its base: the chain
      // does not end there.
      if (block.status().message().find("below this node's base") != std::string::npos) {
        return Status::FailedPrecondition("the node " + block.status().message() +
                                          ": a replay from genesis cannot run on it (audit its data directory with --data, "
                                          "or a node that holds the whole chain)");
      }
      return Out();
    }
    if (!block.ok()) return block.status();
    last_ = *block;
    return Out(std::pair{block->block(), block->certificate()});
  }
  Result<std::optional<v1::QuorumCertificate>> Finality(uint64_t height) override {
    using Out = std::optional<v1::QuorumCertificate>;
    if (last_.height() != height) {
      CAIRN_ASSIGN_OR_RETURN(last_, client_.Block(height));
    }
    return last_.has_finality() ? Out(last_.finality()) : Out();
  }

 private:
  NodeClient& client_;
  v1::GetBlockResponse last_;
};

int Report(const v1::Genesis& genesis, const Result<ledger::AuditReport>& report) {
  if (!report.ok()) {
    std::printf("audit FAILED: %s\n", report.status().message().c_str());
    return 1;
  }
  const double tps = report->seconds > 0 ? report->transactions / report->seconds : 0;
  std::printf("audit passed: chain %s, %llu blocks, %llu transactions in %.2f s (%.0f tx/s); %s\n",
              genesis.chain_id().c_str(), static_cast<unsigned long long>(report->blocks),
              static_cast<unsigned long long>(report->transactions), report->seconds, tps,
              report->head_proven_final ? "the head is proven final" : "no finality certificate for the head");
  if (report->base_height > 0 && report->retained_from == 0) {
    std::printf("from its base: block %llu, where it joined by state sync (its %llu accounts checked against the block's "
                "state root); the blocks below it are not on this node\n",
                static_cast<unsigned long long>(report->base_height), static_cast<unsigned long long>(report->base_accounts));
  }
  if (report->base_height > 0 && report->retained_from > 0) {
    std::printf("from its base: block %llu, where it joined by state sync (the epoch changes from genesis and the blocks "
                "it holds below the base checked); the other blocks below it are not on this node\n",
                static_cast<unsigned long long>(report->base_height));
  }
  if (report->retained_from > 0) {
    std::printf("the node prunes: headers and certificates checked from %s; bodies, receipts and indexes from block "
                "%llu on; the state at the head (%llu accounts) checked against the head's state root. NOT checked: the "
                "bodies below block %llu (pruned) and that each state follows from executing the blocks (no replay); "
                "audit an archive node for those\n",
                report->base_height > 0 ? "its base" : "genesis", static_cast<unsigned long long>(report->retained_from),
                static_cast<unsigned long long>(report->state_accounts), static_cast<unsigned long long>(report->retained_from));
  }
  if (report->unproven_closed_proposals > 0) {
    std::printf("NOT checked: %llu closed governance proposals (this chain's genesis predates the governance state's "
                "commitment to them, governance.commit_closed_proposals; audit an archive node for those)\n",
                static_cast<unsigned long long>(report->unproven_closed_proposals));
  }
  std::printf("validator sets: %llu epochs; equivocation evidence: %llu pieces, each checked against its epoch's set\n",
              static_cast<unsigned long long>(report->epochs), static_cast<unsigned long long>(report->evidence));
  return 0;
}

int ReportArchive(const v1::Genesis& genesis, const Result<node::ArchiveReport>& report) {
  if (!report.ok()) {
    std::printf("archive audit FAILED: %s\n", report.status().message().c_str());
    return 1;
  }
  std::printf("archive audit passed: chain %s, blocks %llu-%llu, %llu transactions, %llu epochs, in %.2f s; %s\n",
              genesis.chain_id().c_str(), static_cast<unsigned long long>(report->from),
              static_cast<unsigned long long>(report->to), static_cast<unsigned long long>(report->transactions),
              static_cast<unsigned long long>(report->epochs), report->seconds,
              report->last_proven_final ? "the last block is proven final" : "no finality certificate for the last block");
  if (report->replayed) {
    std::printf("replayed from genesis: every certificate, transaction, receipt and state root checked\n");
  } else {
    std::printf("headers, certificates and bodies checked from genesis's set on; NOT checked: execution (the archive "
                "starts at block %llu and holds no state to replay from)\n",
                static_cast<unsigned long long>(report->from));
  }
  return 0;
}

}  // namespace

int RunAudit(const std::vector<std::string>& args) {
  namespace po = boost::program_options;
  std::string genesis_file, data, archive;
  NodeFlags node;
  po::options_description options("audit options");
  options.add_options()
      ("genesis", po::value(&genesis_file)->required(), "the chain's genesis file: the only thing trusted")
      ("data", po::value(&data), "a node's data directory (stop the node first, or audit a copy)")
      ("archive", po::value(&archive), "an archive written by cairn export");
  AddNodeOption(options, &node);
  int exit_code = 0;
  if (!ParseOptions("usage: cairn audit --genesis FILE (--data DIR | --node HOST:PORT | --archive FILE)", options, args,
                    &exit_code)) {
    return exit_code;
  }
  const int sources = int{!data.empty()} + int{!node.node.empty()} + int{!archive.empty()};
  if (sources != 1) {
    return PrintError("give exactly one of --data DIR, --node HOST:PORT and --archive FILE"), 2;
  }
  auto genesis = ledger::ReadGenesisFile(genesis_file);
  if (!genesis.ok()) return PrintError(genesis.status().ToString()), 1;
  if (!archive.empty()) return ReportArchive(*genesis, node::VerifyArchive(*genesis, archive));
  if (!node.node.empty()) {
    crypto::DirectVerifier verifier;
    auto check = node::MakeCertificateCheck(genesis->chain_id(), ledger::BuildGenesisState(*genesis).block_hash, verifier);
    NodeClient client(node);
    NodeAuditSource source(client);
    return Report(*genesis, ledger::AuditChain(*genesis, source, check));
  }
  if (!std::filesystem::exists(std::filesystem::path(data) / "CURRENT")) {
    return PrintError(data + " is not a node's data directory (no LevelDB database there)"), 1;
  }
  auto store = ledger::OpenLevelDbStore(data);
  if (!store.ok()) {
    return PrintError("cannot open " + data + " (is a node running on it? stop it or audit a copy): " +
                      store.status().message()),
           1;
  }
  return Report(*genesis, node::AuditDataDirectory(*genesis, **store));
}

}  // namespace cairn::cli
