// What the gRPC services need from the node: the narrow interface rpc/ is allowed to
// use (architecture). Reads go to the ledger, which is safe to read from any thread;
// everything that changes state goes through the node.
#pragma once

#include <chrono>
#include <string>

#include "cairn/v1/api.pb.h"
#include "cairn/v1/p2p.pb.h"
#include "cairn/v1/transaction.pb.h"
#include "crypto/bytes.h"
#include "ledger/ledger.h"

namespace cairn::rpc {

struct NodeStatus {
  uint64_t round = 0;
  bool validator = false;
  Bytes node_key;
  uint32_t peers = 0;
  uint64_t mempool_size = 0;
  bool syncing = false;
  uint64_t best_peer_height = 0;
  std::string version;   // node/version.h
  std::string revision;
  v1::RetentionStatus retention;  // node/pruner.h
};

class NodeApi {
 public:
  virtual ~NodeApi() = default;
  // Mempool admission and gossip; the hash, or why not (mempool.h).
  virtual Result<Hash> Submit(const v1::Transaction& tx) = 0;
  virtual bool IsPending(const Hash& tx_hash) const = 0;
  virtual NodeStatus CurrentStatus() const = 0;
  // A snapshot of the consensus round (taken on the consensus thread after each step).
  virtual v1::GetConsensusStateResponse ConsensusState() const = 0;
  virtual const ledger::Ledger& ledger() const = 0;
  // A page of the proven validator-set changes from `from_epoch` on (GetEpochChanges;
  // node/epoch_chain.h).
  virtual v1::EpochChangesResponse EpochChanges(uint64_t from_epoch) const = 0;
  // Blocks until the committed height is above `height` or `deadline` passes; whether
  // it is above.
  virtual bool WaitForHeightAbove(uint64_t height, std::chrono::steady_clock::time_point deadline) = 0;
};

}  // namespace cairn::rpc
