// Applying what block sync fetched: a SyncResponse is checked against the committed
// head (hash chain, each block's certificate) and the blocks it proves final are
// committed. A block is final when a certificate names it in commit_hash: the next
// block's own certificate, or the response's finality certificate for the last one.
// Certified but unproven blocks are left for a later response: a certificate alone can
// be for a block that a timeout later abandoned.
#pragma once

#include <string>
#include <vector>

#include "cairn/v1/p2p.pb.h"
#include "ledger/ledger.h"

namespace cairn::node {

struct SyncOutcome {
  std::vector<v1::Block> committed;  // in order
  bool lied = false;                 // the response failed a check: `why`
  std::string why;
};

// The answer to a SyncRequest from `ledger`: committed blocks from `from_height` (at
// least 1) with their certificates, at most `max_blocks` unless more are needed to reach
// a block with its own proof, at most `budget_bytes` (at least one block), never past
// the last block of the first block's epoch (the receiver learns the next set from it),
// and the certificate proving the last one final.
v1::SyncResponse BuildSyncResponse(const ledger::Ledger& ledger, uint64_t from_height, uint32_t max_blocks,
                                   size_t budget_bytes);

// Requires response.from_height() <= ledger.height() + 1 (the caller buffers the rest).
// Certificates are checked against the set of the ledger's current epoch; blocks of a
// later epoch are left for the next response (the last block of an epoch changes the
// set, and its proof of finality is the response's finality certificate, which a peer
// gives by ending its response there).
// Checks the signatures in `response` (its certificates against the set of the
// ledger's current epoch, and its transactions') through `verifier`, discarding the
// answers: run on the verify threads as a response arrives, several in parallel and
// while the consensus thread applies earlier ones, so that ApplySyncResponse finds each
// answer in the caching verifier. What it cannot check yet (a later epoch's) it skips.
void WarmSyncSignatures(const ledger::Ledger& ledger, crypto::SignatureVerifier& verifier,
                        const v1::SyncResponse& response);

// The response is taken by value: its blocks move into the ledger's executed blocks
// and on into SyncOutcome::committed, never copied (a window of full blocks is
// megabytes).
SyncOutcome ApplySyncResponse(ledger::Ledger& ledger, crypto::SignatureVerifier& verifier,
                              v1::SyncResponse response);

}  // namespace cairn::node
