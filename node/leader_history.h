// What leader election needs from the ledger when a replica is built (at start, at an
// epoch switch, after a catch-up): the genesis's choice of election, and the records of
// the last committed blocks of the current epoch. Shared by the node and the simulator.
#pragma once

#include <memory>
#include <vector>

#include "cairn/v1/genesis.pb.h"
#include "consensus/leader_election.h"
#include "ledger/ledger.h"

namespace cairn::node {

// ReputationLeaders with genesis governance.leader_reputation (defaults for zero
// values), or round-robin when it says so.
std::unique_ptr<consensus::LeaderElection> MakeLeaderElection(const v1::Genesis& genesis, size_t validators);

// The records of the last `max` committed blocks of the epoch that `start` is in, up to
// its head, oldest first (none when the head is the epoch's root).
Result<std::vector<consensus::ChainRecord>> CommittedChainRecords(const ledger::Ledger& ledger,
                                                                   const ledger::ConsensusStart& start, size_t max);

}  // namespace cairn::node
