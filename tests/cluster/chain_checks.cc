#include "tests/cluster/chain_checks.h"

#include <algorithm>

#include "crypto/bytes.h"

namespace cairn::cluster {

uint64_t MaxHeight(Cluster& cluster) {
  uint64_t best = 0;
  for (int i = 0; i < cluster.size(); ++i) best = std::max(best, cluster.Height(i));
  return best;
}

ChainComparison CompareChains(Cluster& cluster, uint64_t height) {
  ChainComparison out;
  for (uint64_t h = 1; h <= height; ++h) {
    std::string reference;
    bool agree = true;
    std::string detail;
    for (int i = 0; i < cluster.size(); ++i) {
      auto block = cluster.GetBlock(i, h);
      const std::string hash = block ? block->hash() : "";
      if (i == 0) reference = hash;
      if (hash.empty() || hash != reference) {
        agree = false;
        detail = "height " + std::to_string(h) + ": node 0 holds " + (reference.empty() ? "nothing" : ToHex(reference)) +
                 ", node " + std::to_string(i) + " holds " + (hash.empty() ? "nothing" : ToHex(hash));
      }
    }
    ++out.heights;
    if (!agree) {
      if (out.forks++ == 0) out.first = detail;
    }
  }
  return out;
}

size_t CountMissing(Cluster& cluster, int i, const std::vector<std::string>& tx_hashes) {
  size_t missing = 0;
  for (const std::string& hash : tx_hashes) {
    auto tx = cluster.GetTransaction(i, hash);
    if (!tx || tx->state() != v1::GetTransactionResponse::COMMITTED) ++missing;
  }
  return missing;
}

bool AuditPasses(Cluster& cluster, int i) {
  return RunProgram({CAIRN_CLI_PATH, "audit", "--genesis", cluster.GenesisFile(), "--data", cluster.DataDir(i)},
                    cluster.dir() + "/audit-node" + std::to_string(i) + ".log") == 0;
}

}  // namespace cairn::cluster
