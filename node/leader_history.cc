#include "node/leader_history.h"

#include <algorithm>

namespace cairn::node {

std::unique_ptr<consensus::LeaderElection> MakeLeaderElection(const v1::Genesis& genesis, size_t validators) {
  const v1::LeaderReputationParams& p = genesis.governance().leader_reputation();
  if (p.round_robin()) return std::make_unique<consensus::RoundRobinLeaders>(validators);
  return std::make_unique<consensus::ReputationLeaders>(
      validators, consensus::ReputationLeaders::Params{.window_blocks = p.window_blocks(), .failure_limit = p.failure_limit()});
}

Result<std::vector<consensus::ChainRecord>> CommittedChainRecords(const ledger::Ledger& ledger,
                                                                   const ledger::ConsensusStart& start, size_t max) {
  std::vector<consensus::ChainRecord> records;
  const uint64_t head = start.head.header.height();
  const uint64_t first = std::max(start.root.height + 1, head >= max ? head - max + 1 : 0);
  for (uint64_t h = first; h <= head && h > start.root.height; ++h) {
    CAIRN_ASSIGN_OR_RETURN(ledger::StoredBlock block, ledger.GetBlockHeader(h));
    records.push_back(consensus::ChainRecord::Of(block.header, block.block.parent_qc()));
  }
  return records;
}

}  // namespace cairn::node
