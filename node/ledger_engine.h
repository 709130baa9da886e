// The consensus core's BlockEngine over the ledger: speculative execution through
// ledger::Speculator, proposals filled from a transaction source (the mempool), and
// committed blocks served from the ledger. The composition of consensus and ledger is
// node/'s job, so it lives here; the simulator uses the same class.
#pragma once

#include <functional>
#include <set>
#include <vector>

#include "consensus/interfaces.h"
#include "ledger/ledger.h"
#include "ledger/speculator.h"
#include "node/evidence_pool.h"

namespace cairn::node {

// Where proposals get their transactions.
class TransactionSource {
 public:
  virtual ~TransactionSource() = default;
  // Up to `max` transactions to try in the next block, in the order to try them,
  // leaving out those in `exclude` (already in the uncommitted blocks below it).
  virtual std::vector<v1::Transaction> Candidates(size_t max, const std::set<Hash>& exclude) = 0;
  // A candidate the proposal left out, and why (the source may drop it for good).
  virtual void LeftOut(const v1::Transaction& tx, const Status& reason) = 0;
  // Whether Candidates would return anything.
  virtual bool HasCandidates(const std::set<Hash>& exclude) { return !Candidates(1, exclude).empty(); }
};

class LedgerEngine : public consensus::BlockEngine {
 public:
  // Proposals carry evidence from `evidence` when given.
  LedgerEngine(ledger::Ledger& ledger, ledger::Speculator& speculator, TransactionSource& source,
               size_t max_block_txs, const EvidencePool* evidence = nullptr);

  Status Execute(const v1::Block& block) override;
  Result<v1::Block> Propose(const ProposalRequest& request) override;
  std::optional<v1::Block> FindCommitted(const Hash& block_hash) override;
  bool HasWork(const Hash& parent_hash) override;
  bool EndsEpoch(const Hash& block_hash) override;

  // Carries out a CommitAction: each block, in order, with its certificate.
  Status Commit(const consensus::CommitAction& action);
  // Proposals carry at most min(max_block_txs, limit()) transactions from now on (the
  // node bounds them by the commit rate: AdmissionBudget::MaxBlockTxs).
  void LimitProposals(std::function<size_t()> limit) { proposal_limit_ = std::move(limit); }

 private:
  ledger::Ledger& ledger_;
  ledger::Speculator& speculator_;
  TransactionSource& source_;
  const size_t max_block_txs_;
  const EvidencePool* const evidence_;
  std::function<size_t()> proposal_limit_;
};

}  // namespace cairn::node
