// Signs a validator's consensus messages on a thread of its own, when its key is in a
// token (crypto::Signer, node/token_signer.h).
//
// How signing is scheduled: the replica records what a vote, timeout or proposal
// commits it to, the node syncs that record (PersistSafetyAction), and only then
// carries out the SignAction that follows it by handing the message here. This thread
// signs, checks the signature against the key the validator set names for this node,
// and posts the result back to the core thread, which sends the message
// (Replica::OnSigned). Meanwhile the core thread goes on with other validators'
// messages, so a token at 2,300 signatures a second, or one that hangs, delays this
// validator's own messages but never the core. A failure (the token's error, or a
// signature that does not verify) comes back as such: the node logs and counts it, and
// the replica stays silent for that message.
//
// At most kMaxQueued messages wait; beyond that a submission fails at once, so a
// token that stopped answering cannot grow the queue.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include "consensus/interfaces.h"
#include "crypto/signer.h"

namespace cairn::node {

class ConsensusSigner {
 public:
  struct Signed {
    uint64_t generation = 0;  // as submitted: the replica that asked
    v1::ConsensusMessage message;  // signed when `status` is ok
    Status status;
    std::chrono::microseconds took{0};  // from submission to the checked signature
  };
  // Called on the signer's thread (or at once on Submit's, when the queue is full).
  using Done = std::function<void(Signed)>;

  static constexpr size_t kMaxQueued = 8;

  ConsensusSigner(crypto::Signer& signer, Done done);
  // Finishes the signature in progress, drops the queue, joins the thread.
  ~ConsensusSigner();
  ConsensusSigner(const ConsensusSigner&) = delete;
  ConsensusSigner& operator=(const ConsensusSigner&) = delete;

  // Signs `action`'s statement, checks the signature against `expected` and reports
  // through Done.
  void Submit(uint64_t generation, consensus::SignAction action, const crypto::PublicKey& expected);

 private:
  struct Job {
    uint64_t generation;
    consensus::SignAction action;
    crypto::PublicKey expected;
    std::chrono::steady_clock::time_point submitted;
  };
  void Run();
  Signed SignOne(Job job);

  crypto::Signer& signer_;
  const Done done_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::deque<Job> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace cairn::node
