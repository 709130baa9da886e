#include "node/consensus_signer.h"

#include <pthread.h>

#include <thread>

#include "node/log.h"
#include "node/token_signer.h"

namespace cairn::node {

// The retry must find the token ready to open a new session.
static_assert(ConsensusSigner::kRetryAfter >= TokenSigner::kFirstBackoff);

ConsensusSigner::ConsensusSigner(std::shared_ptr<crypto::Signer> signer, Done done)
    : done_(done), thread_([shared = shared_, signer = std::move(signer), done = std::move(done)] {
        Run(shared, signer, done);
      }) {
  pthread_setname_np(thread_.native_handle(), "cairn-signer");
}

ConsensusSigner::~ConsensusSigner() {
  std::unique_lock lock(shared_->mu);
  shared_->stopping = true;
  shared_->queue.clear();
  shared_->wake.notify_all();
  if (shared_->finished.wait_for(lock, kStopWait, [&] { return shared_->exited; })) {
    lock.unlock();
    thread_.join();
    return;
  }
  LogWarn("consensus", "the token has not answered for " + std::to_string(kStopWait.count()) +
                           " s; stopping without waiting for it");
  thread_.detach();
}

void ConsensusSigner::Submit(uint64_t generation, consensus::SignAction action, const crypto::PublicKey& expected) {
  Job job{generation, std::move(action), expected, std::chrono::steady_clock::now()};
  {
    std::lock_guard lock(shared_->mu);
    if (shared_->queue.size() < kMaxQueued) {
      shared_->queue.push_back(std::move(job));
      shared_->wake.notify_one();
      return;
    }
  }
  done_({generation, std::move(job.action.message),
         Status::ResourceExhausted(std::to_string(kMaxQueued) + " messages already wait for the token"), {}});
}

void ConsensusSigner::Run(std::shared_ptr<Shared> shared, std::shared_ptr<crypto::Signer> signer, Done done) {
  std::unique_lock lock(shared->mu);
  for (;;) {
    shared->wake.wait(lock, [&] { return shared->stopping || !shared->queue.empty(); });
    if (shared->stopping) break;
    Job job = std::move(shared->queue.front());
    shared->queue.pop_front();
    lock.unlock();
    Signed result = SignOne(*signer, std::move(job));
    lock.lock();
    // Under the lock, so that once the destructor has set `stopping` no result goes out.
    if (shared->stopping) break;
    done(std::move(result));
  }
  shared->exited = true;
  shared->finished.notify_all();
}

ConsensusSigner::Signed ConsensusSigner::SignOne(crypto::Signer& signer, Job job) {
  Signed out{.generation = job.generation, .message = std::move(job.action.message)};
  auto signature = signer.Sign(job.action.statement);
  if (!signature.ok()) {
    std::this_thread::sleep_for(kRetryAfter);
    signature = signer.Sign(job.action.statement);
  }
  if (!signature.ok()) {
    out.status = signature.status();
  } else if (!job.expected.Verify(job.action.statement, *signature)) {
    // A token that answers with bytes that do not verify (a fault, or a key other than
    // the one the set names) must not put this validator's name on a bad message.
    out.status = Status::Internal("the token's signature does not verify under " + job.expected.hex() +
                                  ", the key the validator set names for this node");
  } else {
    consensus::SetSignature(&out.message, std::move(*signature));
  }
  out.took = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - job.submitted);
  return out;
}

}  // namespace cairn::node
