// Block sync scheduling: which committed blocks to ask which peers for, so that a node
// that is behind (restart, long partition, new disk) catches up fast and never wedges.
// Pure: heights, responses and the time come in, requests go out; the node verifies
// and applies what arrives (net decides nothing about consensus).
//
//  - Requests cover consecutive windows above the committed height, spread over several
//    peers in parallel (each peer must claim the heights it is asked for).
//  - A request not answered in time is sent again to another peer, and the slow peer
//    loses score; a peer whose answer was wrong (bad certificate, broken hash chain) is
//    shunned for a while. The best-scored peers are asked first.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "crypto/ed25519.h"

namespace cairn::net {

struct SyncConfig {
  uint32_t blocks_per_request = 64;
  size_t max_requests_in_flight = 8;
  size_t max_in_flight_per_peer = 2;
  uint64_t request_timeout_ms = 3'000;
  // An answer that has arrived is checked and applied in height order, behind the
  // windows below it: it is asked for again only if it is still not applied this long
  // after it arrived (its checks were lost, say, when sync stopped meanwhile).
  uint64_t apply_timeout_ms = 30'000;
  uint64_t shun_ms = 60'000;  // how long a peer that lied is left out
  // Behind by more than this many blocks, consensus alone (fetching parents one by one)
  // is too slow: sync takes over until caught up.
  uint64_t lag_to_sync = 4;
};

struct SyncRequest {
  crypto::PublicKey peer;
  uint64_t from_height = 0;
  uint32_t max_blocks = 0;
};

class BlockSync {
 public:
  explicit BlockSync(SyncConfig config = {}) : config_(config) {}

  // The peer's committed height and the lowest height it serves blocks from (its base
  // or the start of what it retains; 0: genesis on): it is asked only for windows
  // wholly inside that range.
  void OnPeerHeight(const crypto::PublicKey& peer, uint64_t height, uint64_t blocks_from = 0);
  void OnPeerGone(const crypto::PublicKey& peer);
  // Our committed height, after consensus or sync moved it.
  void OnCommitted(uint64_t height);

  // The answer to the request for `from_height` from `peer` has arrived and waits for
  // its checks: the peer did its part, so it is not slow while the answer waits (a full
  // window's signatures take seconds to check behind the windows before it, and asking
  // again then only doubles the work) and it may be asked for more.
  void OnArrived(const crypto::PublicKey& peer, uint64_t from_height, uint64_t now_ms);

  // An answer to the request for `from_height` from `peer`: `applied` blocks of it were
  // good and are committed now (or were already); `lied` when it failed verification.
  void OnResponse(const crypto::PublicKey& peer, uint64_t from_height, uint64_t applied, bool lied, uint64_t now_ms);

  // Requests to send now: new windows, and timed-out ones again to other peers.
  std::vector<SyncRequest> Poll(uint64_t now_ms);

  // Consensus cannot go on without blocks a peer already committed, however few (a
  // peer is in a later epoch, whose validator set only those blocks tell): sync drives
  // until this node's height next grows and no peer is ahead.
  void CatchUpNow() { catch_up_ = true; }

  // Whether sync should drive: some peer is far enough ahead (see lag_to_sync), or any
  // peer is ahead after CatchUpNow.
  bool Behind() const;
  uint64_t committed_height() const { return committed_; }
  uint64_t best_peer_height() const;
  int score(const crypto::PublicKey& peer) const;

 private:
  struct Peer {
    uint64_t height = 0;
    uint64_t blocks_from = 0;
    int score = 0;
    size_t in_flight = 0;
    uint64_t shunned_until_ms = 0;
  };
  struct InFlight {
    crypto::PublicKey peer;
    uint64_t sent_ms = 0;
    uint32_t count = 0;  // heights from the key on
    bool arrived = false;  // the answer is here, waiting for its checks (OnArrived)
  };
  // The best peer that serves heights `first` to `last` and has room, other than
  // `not_this`.
  std::optional<crypto::PublicKey> Choose(uint64_t first, uint64_t last, uint64_t now_ms,
                                          const crypto::PublicKey* not_this) const;

  SyncConfig config_;
  uint64_t committed_ = 0;
  bool catch_up_ = false;
  std::map<crypto::PublicKey, Peer> peers_;
  std::map<uint64_t, InFlight> in_flight_;  // by the window's first height
};

}  // namespace cairn::net
