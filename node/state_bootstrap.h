// Joining by state sync: what cairnd runs before it opens the node when the config says
// sync_mode "state" and the data directory holds no ledger yet (or an unfinished state
// sync). It trusts the genesis file alone (and, if the operator gives one, a checkpoint
// the chain must pass through), and its peers for nothing:
//
//   1. epochs  the chain of validator-set changes from genesis (epoch_chain.h), asked
//              of every peer, so that one that withholds a change cannot hold it back;
//              through the checkpoint, when one is given;
//   2. target  the newest head a peer offers that the proven set certified and proved
//              final (state_target.h); kept in the store (keys.h: W) so that a restart
//              restores the same version;
//   3. state   the target's state tree, chunk by chunk from all peers at once
//              (net/state_sync.h schedules, ledger/state_restore.h checks and stores;
//              a peer whose chunk fails its proof is shunned and counted);
//   4. blocks  every epoch's last block and the blocks before the target that leader
//              reputation reads, checked by hash against what 1 and 2 proved;
//   5. install one synced batch (ledger/state_base.h); then the node opens at the
//              target and follows by block sync.
// A crash or a stop anywhere resumes at the next start: 1 and 2 are asked again (cheap),
// 3 goes on from the subtrees stored. Progress is logged; the figures come back in the
// report.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "cairn/v1/config.pb.h"
#include "cairn/v1/genesis.pb.h"
#include "cairn/v1/p2p.pb.h"
#include "crypto/ed25519.h"
#include "crypto/status.h"
#include "ledger/kv_store.h"
#include "net/state_sync.h"
#include "node/epoch_chain.h"

namespace cairn::node {

struct StateBootstrapOptions {
  // A block the chain of validator sets must pass through (config
  // state_sync_checkpoint): a change that conflicts with it is a peer's lie, and a run
  // whose proven sets never reach it fails, saying so.
  std::optional<Checkpoint> checkpoint;
  net::StateSyncConfig chunks;
  uint32_t chunk_leaves = 4096;         // asked per chunk (ledger::kMaxChunkLeaves)
  uint64_t request_timeout_ms = 3'000;  // for the single requests of phases 1, 2 and 4
  uint64_t peer_wait_ms = 1'000;        // after the first peer links, for the others
};

struct StateBootstrapReport {
  bool ran = false;      // false: the data directory already held a ledger
  std::string phase = "epochs";  // epochs, target, state, blocks, install, done
  bool resumed = false;  // a target was stored by an earlier run
  uint64_t height = 0;   // the base
  uint64_t epoch = 0;    // of the base block
  uint64_t accounts = 0;
  uint64_t leaves_fetched = 0;  // by this run
  uint64_t chunk_bytes = 0;     // of the state answers taken
  uint64_t lies = 0;            // answers that failed their proof
  std::map<std::string, uint64_t> chunks_by_peer;  // taken, by the peer's key (hex)
  std::map<std::string, uint64_t> bytes_by_peer;   // of those chunks
  double seconds = 0;
};

// The phases above over any link to the peers: a transport in cairnd, in-process peers
// in tests.
class StateBootstrap {
 public:
  using Send = std::function<void(const crypto::PublicKey& to, const v1::PeerMessage& message)>;
  // `store` holds no ledger (it may hold an unfinished state sync) and must outlive
  // this; `send` may be called from Run's thread only.
  StateBootstrap(v1::Genesis genesis, ledger::KvStore& store, Send send, const std::atomic<bool>& stop,
                 const StateBootstrapOptions& options = {});
  ~StateBootstrap();

  // What the peers do, from any thread.
  void OnConnected(const crypto::PublicKey& peer, uint64_t committed_height);
  void OnGone(const crypto::PublicKey& peer);
  void OnMessage(const crypto::PublicKey& peer, v1::PeerMessage message);

  // Runs to the installed base, on the calling thread; UNAVAILABLE once `stop` is set,
  // an error of the store otherwise (a peer's lie is counted, not an error).
  Result<StateBootstrapReport> Run();
  // The report so far (any thread): for the metrics while it runs.
  StateBootstrapReport Progress() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

// Runs the state sync into config.data_dir, over a transport to config's peers, when it
// should (above): report.ran says whether it did.
Result<StateBootstrapReport> RunStateBootstrap(const v1::NodeConfig& config, const std::atomic<bool>& stop,
                                               const StateBootstrapOptions& options = {});

}  // namespace cairn::node
