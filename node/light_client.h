// A light client: checks a node's answers against the validator sets, not the node.
//
// It trusts one thing it is given, the genesis file or a checkpoint (the genesis block
// or the last block of an epoch, by height and hash), and proves the rest: each later
// set by the change that installed it (the epoch's last block, a certificate of the set
// before that proves it final, the governance state its header commits to: epoch_chain.h), then a header by a
// certificate of its epoch's set that names it, or names a later block of its epoch
// whose headers chain back to it, committed (a certificate of the block alone is not
// enough: a certified block may be abandoned), then the account or transaction under
// that header (read_proofs.h).
//
// What it has proven is kept in a trust store file (light_client.proto), so the next
// read of an epoch it knows costs one certificate check and no epoch changes. It holds
// no network code: epoch changes come from an EpochChangeFetcher the caller supplies
// (the CLI's is a gRPC call to the node it reads from; a lying node can withhold them,
// which makes reads fail, never pass).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "cairn/v1/api.pb.h"
#include "cairn/v1/genesis.pb.h"
#include "cairn/v1/light_client.pb.h"
#include "crypto/verifier.h"
#include "node/epoch_chain.h"

namespace cairn::node {

// A page of epoch changes from `from_epoch` on (the GetEpochChanges call).
using EpochChangeFetcher = std::function<Result<v1::EpochChangesResponse>(uint64_t from_epoch)>;

// A header proven committed, and by whom.
struct VerifiedHeader {
  v1::BlockHeader header;
  Hash hash{};
  uint32_t signers = 0;   // signatures in the certificate that proves it committed
  uint32_t set_size = 0;  // validators in its epoch's set
};

// How fresh an account answer must be: its block's epoch must be the newest this client
// has proven, and its proposer's timestamp no more than `max_age_ms` before `now_ms`
// (0: not checked). Certified timestamps are bounded above by the voters' clocks
// (consensus refuses a block from too far in the future), so an old state cannot pass
// as a new one; a slow chain can make a fresh state look old, which refuses, never
// deceives.
struct Freshness {
  uint64_t now_ms = 0;
  uint64_t max_age_ms = 0;
};

class LightClient {
 public:
  // Trusting `genesis` alone: epoch 0's set.
  static LightClient FromGenesis(const v1::Genesis& genesis);
  // Trusting the block `hash` at `height` of chain `chain_id`, which must be the genesis
  // block or the last block of an epoch: `change` is the change it makes
  // (GetEpochChanges of the epoch after the block's; of epoch 0 for genesis, the genesis
  // root), whose header must hash to `hash` and whose governance state, the one that
  // header commits to, names the set it starts. Refused, saying so, for a block that
  // ends no epoch.
  static Result<LightClient> FromCheckpoint(std::string chain_id, uint64_t height, const Hash& hash,
                                            const v1::EpochChangeProof& change);
  // A trust store written by Save; refused when damaged.
  static Result<LightClient> Load(const std::string& path);
  // Writes the trust store: a temporary file renamed over `path`.
  Status Save(const std::string& path) const;

  const std::string& chain_id() const { return store_.chain_id(); }
  // The trusted root: the genesis block (height 0) or the checkpoint.
  uint64_t root_height() const { return store_.root_height(); }
  Hash root_hash() const;
  uint64_t first_epoch() const { return epochs_.front().epoch; }
  uint64_t latest_epoch() const { return epochs_.back().epoch; }
  uint64_t latest_height() const { return store_.latest_height(); }
  // Every proven epoch, from the first the root proves, in order.
  const std::vector<TrustedEpoch>& epochs() const { return epochs_; }

  // Proves epochs up to `epoch` with changes from `fetch`, each by the set before it.
  Status ProveEpoch(uint64_t epoch, const EpochChangeFetcher& fetch);

  // `header` (serialized BlockHeader) committed, by `proof` and its epoch's proven set
  // (proving later epochs first with `fetch` when the header is of one).
  Result<VerifiedHeader> VerifyCommitted(const std::string& header, const v1::CommitProof& proof,
                                         const EpochChangeFetcher& fetch);
  // An account answer: its header committed and fresh (`freshness`), and the account
  // (or its absence) proven under that header's state root.
  Result<VerifiedHeader> VerifyAccount(const v1::GetAccountResponse& answer, const EpochChangeFetcher& fetch,
                                       const Freshness& freshness);
  // The same for an asset definition (the asset `name`) and a record (`key` of
  // `account`): the answer must be about what was asked.
  Result<VerifiedHeader> VerifyAsset(std::string_view name, const v1::GetAssetResponse& answer,
                                     const EpochChangeFetcher& fetch, const Freshness& freshness);
  Result<VerifiedHeader> VerifyRecord(ByteView account, std::string_view key, const v1::GetRecordResponse& answer,
                                      const EpochChangeFetcher& fetch, const Freshness& freshness);
  // A committed transaction answer: its block's header committed, the transaction at
  // its receipt's index under the header's transactions root.
  Result<VerifiedHeader> VerifyTransaction(const v1::GetTransactionResponse& answer, const EpochChangeFetcher& fetch);
  // A block answer: its header committed, its hash and height the answer's, and its
  // body (transactions, evidence) the one the header commits to.
  Result<VerifiedHeader> VerifyBlock(const v1::GetBlockResponse& answer, const EpochChangeFetcher& fetch);

 private:
  LightClient() = default;
  // The proven epoch `epoch`, or why it cannot be had.
  Result<const TrustedEpoch*> Epoch(uint64_t epoch, const EpochChangeFetcher& fetch);
  void Remember(const VerifiedHeader& verified);
  // A state answer's header (at `height`) committed, of the latest proven epoch, and fresh.
  Result<VerifiedHeader> VerifyStateHeader(const std::string& header, const v1::CommitProof& proof, uint64_t height,
                                           const EpochChangeFetcher& fetch, const Freshness& freshness);
  void Record(const TrustedEpoch& epoch);

  v1::TrustStore store_;
  std::vector<TrustedEpoch> epochs_;  // the store's, as the checks take them; never empty
  crypto::DirectVerifier verifier_;
};

}  // namespace cairn::node
