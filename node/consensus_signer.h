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
// validator's own messages but never the core. An error of the token's (a lost
// session, a signature that does not verify under its own key) is tried once more after
// kRetryAfter, the token's first back-off (node/token_signer.h: an error closes the
// session, and the next signature opens a new one), so that a transient error delays
// the message by 100 ms instead of losing it. A second error, or a signature under
// another key than the set names (not retried: it would only repeat), comes back as a
// failure: the node logs and counts it, and the replica stays silent for that message.
// After two errors in a row the token's back-off is longer than the retry's wait, so a
// message asked for within it fails at once, twice. (The simulator found why the retry
// matters: with f validators silent every honest signature is needed, and a token
// failing one time in ten kept two consecutive rounds from certifying, so nothing
// committed for 90 s.) The retry happens before the next message is taken, so messages
// still leave in the order asked.
//
// At most kMaxQueued messages wait; beyond that a submission fails at once, so a
// token that stopped answering cannot grow the queue. Destroying the signer waits at
// most kStopWait for a signature in progress: a token that hangs in C_Sign is left to
// its thread, which keeps the token alive and reports nothing once it returns, so a
// hung device never keeps the node from stopping.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
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
  static constexpr std::chrono::seconds kStopWait{5};
  static constexpr std::chrono::milliseconds kRetryAfter{100};

  ConsensusSigner(std::shared_ptr<crypto::Signer> signer, Done done);
  // Drops the queue and waits for the signature in progress (at most kStopWait; Done is
  // not called after this returns).
  ~ConsensusSigner();
  ConsensusSigner(const ConsensusSigner&) = delete;
  ConsensusSigner& operator=(const ConsensusSigner&) = delete;

  // Signs `action`'s statement, checks the signature against `expected` and reports
  // through Done.
  void Submit(uint64_t generation, consensus::SignAction action, const crypto::PublicKey& expected);

 private:
  struct Job {
    uint64_t generation = 0;
    consensus::SignAction action;
    crypto::PublicKey expected;
    std::chrono::steady_clock::time_point submitted;
  };
  // What the thread shares with the signer; the thread holds it (and the token) for as
  // long as it runs, which may be longer than the signer when the token hangs.
  struct Shared {
    std::mutex mu;
    std::condition_variable wake;      // a job, or stopping
    std::condition_variable finished;  // the thread is done
    std::deque<Job> queue;
    bool stopping = false;
    bool exited = false;
  };
  static void Run(std::shared_ptr<Shared> shared, std::shared_ptr<crypto::Signer> signer, Done done);
  static Signed SignOne(crypto::Signer& signer, Job job);

  const Done done_;
  const std::shared_ptr<Shared> shared_ = std::make_shared<Shared>();
  std::thread thread_;
};

}  // namespace cairn::node
