#include "node/consensus_signer.h"

#include <pthread.h>

namespace cairn::node {

ConsensusSigner::ConsensusSigner(crypto::Signer& signer, Done done)
    : signer_(signer), done_(std::move(done)), thread_([this] { Run(); }) {
  pthread_setname_np(thread_.native_handle(), "cairn-signer");
}

ConsensusSigner::~ConsensusSigner() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    queue_.clear();
  }
  wake_.notify_all();
  thread_.join();
}

void ConsensusSigner::Submit(uint64_t generation, consensus::SignAction action, const crypto::PublicKey& expected) {
  Job job{generation, std::move(action), expected, std::chrono::steady_clock::now()};
  {
    std::lock_guard lock(mu_);
    if (queue_.size() < kMaxQueued) {
      queue_.push_back(std::move(job));
      wake_.notify_one();
      return;
    }
  }
  done_({generation, std::move(job.action.message),
         Status::ResourceExhausted(std::to_string(kMaxQueued) + " messages already wait for the token"), {}});
}

void ConsensusSigner::Run() {
  for (;;) {
    Job job;
    {
      std::unique_lock lock(mu_);
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    done_(SignOne(std::move(job)));
  }
}

ConsensusSigner::Signed ConsensusSigner::SignOne(Job job) {
  Signed out{.generation = job.generation, .message = std::move(job.action.message)};
  auto signature = signer_.Sign(job.action.statement);
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
