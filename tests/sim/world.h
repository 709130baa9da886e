// The simulated network: every instance is a real Replica over a real Ledger (in an
// in-memory store that survives its crashes), driven in virtual time by one event queue
// and one seeded generator. Nothing here reads a clock or a global random source, so a
// scenario replays exactly.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <queue>
#include <string>
#include <vector>

#include "cairn/v1/consensus.pb.h"
#include "crypto/verifier.h"
#include "tests/sim/checker.h"
#include "tests/sim/scenario.h"

namespace cairn::sim {

struct RunResult {
  bool ok = true;
  std::string violation;           // the first one
  bool safety_violation = false;   // agreement, prefix or certificate (not liveness)
  std::vector<std::string> trace;  // the events before it, oldest first
  uint64_t max_height = 0;
  uint64_t messages = 0;
  uint64_t virtual_ms = 0;
  uint64_t rejected_messages = 0;  // dropped by replicas' checks (Byzantine input)
  uint64_t evidence_committed = 0;  // equivocation evidence in honest instances' commits
  // Proposals delivered to honest instances that the lock rule exists to refuse (after a
  // timeout certificate, a parent certificate below the highest one its signers
  // reported): a run with none cannot show that rule broken, whatever it checks.
  uint64_t lock_tests = 0;
  uint64_t forgeries = 0;                   // forged certificates sent (Behaviour::kForger)
  uint64_t forgeries_refused_in_sync = 0;   // forged block-sync answers refused
  bool rotated_key_signed = false;
  // Transactions of several signers (the workload's swaps and 2-of-2 transfers) that the
  // highest honest instance committed with TX_OK: the workload's batches do execute.
  uint64_t multi_signed_ok = 0;  // a validator's rotated key took its place in a set
  // For a run of fixed length: the highest committed height at measure_from_ms and at
  // the end.
  uint64_t height_at_measure_start = 0;
  uint64_t height_at_end = 0;
};

// Runs one scenario to completion: until every honest instance has committed enough
// blocks after stabilisation, a violation, or the liveness bound. The verifier may be
// shared between runs (results are cached by key, message and signature).
RunResult RunScenario(const Scenario& scenario, crypto::SignatureVerifier& verifier);

}  // namespace cairn::sim
