#include "consensus/leader_election.h"

#include <algorithm>

#include "crypto/check.h"
#include "crypto/domain.h"

namespace cairn::consensus {

ChainRecord ChainRecord::Of(const v1::BlockHeader& header, const v1::QuorumCertificate& parent_qc) {
  ChainRecord record{.round = header.round(), .proposer = header.proposer(), .parent_qc_round = parent_qc.round()};
  record.parent_voters.assign(header.parent_signers().begin(), header.parent_signers().end());
  record.failed.assign(header.failed_proposers().begin(), header.failed_proposers().end());
  return record;
}

std::vector<uint32_t> SkippedLeaders(LeaderElection& leaders, uint64_t round, const ChainView& chain) {
  std::vector<uint32_t> skipped;
  if (round <= chain.tip_round + 1) return skipped;
  const uint64_t first = std::max(chain.tip_round + 1, round > kMaxChargedRounds ? round - kMaxChargedRounds : 0);
  for (uint64_t r = first; r < round; ++r) {
    const uint32_t leader = leaders.LeaderOf(r, chain);
    if (std::find(skipped.begin(), skipped.end(), leader) == skipped.end()) skipped.push_back(leader);
  }
  return skipped;
}

ReputationLeaders::ReputationLeaders(size_t validators, Params params)
    : validators_(validators),
      window_blocks_(params.window_blocks > 0 ? params.window_blocks : 20 * validators),
      failure_limit_(params.failure_limit > 0 ? params.failure_limit : 2) {
  CAIRN_CHECK(validators_ > 0);
}

std::vector<LeaderStanding> ReputationLeaders::Standings(const ChainView& chain) const {
  std::vector<LeaderStanding> standings(validators_);
  auto valid = [&](uint32_t v) { return v < validators_; };
  for (const ChainRecord* r : chain.records) {
    if (valid(r->proposer)) {
      LeaderStanding& s = standings[r->proposer];
      s.last_proposed_round = std::max(s.last_proposed_round, r->round);
      s.last_active_round = std::max(s.last_active_round, r->round);
    }
    for (uint32_t v : r->parent_voters) {
      if (valid(v)) standings[v].last_active_round = std::max(standings[v].last_active_round, r->parent_qc_round);
    }
    for (uint32_t v : r->failed) {
      if (!valid(v)) continue;
      ++standings[v].failures;
      standings[v].last_failed_round = std::max(standings[v].last_failed_round, r->round);
    }
  }
  const bool window_full = chain.records.size() >= window_blocks_;
  for (LeaderStanding& s : standings) {
    const bool seen = s.last_active_round > 0;
    s.candidate = s.last_failed_round <= s.last_active_round && s.failures < failure_limit_ && (seen || !window_full);
  }
  return standings;
}

const std::vector<uint32_t>& ReputationLeaders::OrderFor(const ChainView& chain) {
  // Keyed by more than the tip: a replica may ask about a tip it does not hold yet
  // (an empty view), and the full view of that tip must not get the empty one's order.
  const CacheKey key{chain.tip_hash, chain.tip_round, chain.records.size()};
  for (const auto& [cached, order] : cache_) {
    if (cached == key) return order;
  }
  const std::vector<LeaderStanding> standings = Standings(chain);
  struct Key {
    uint64_t last_proposed;
    Hash tie;
    uint32_t validator;
  };
  std::vector<Key> keys;
  for (uint32_t v = 0; v < validators_; ++v) {
    if (!standings[v].candidate) continue;
    keys.push_back({standings[v].last_proposed_round, crypto::LeaderOrderHash(chain.tip_hash, v), v});
  }
  std::sort(keys.begin(), keys.end(), [](const Key& a, const Key& b) {
    return std::tie(a.last_proposed, a.tie) < std::tie(b.last_proposed, b.tie);
  });
  std::vector<uint32_t> order;
  for (const Key& k : keys) order.push_back(k.validator);
  if (cache_.size() == kCachedTips) cache_.pop_front();
  cache_.emplace_back(key, std::move(order));
  return cache_.back().second;
}

uint32_t ReputationLeaders::LeaderOf(uint64_t round, const ChainView& chain) {
  CAIRN_CHECK(round > chain.tip_round);
  const std::vector<uint32_t>& order = OrderFor(chain);
  const uint64_t since_tip = round - chain.tip_round - 1;
  if (since_tip < order.size()) return order[since_tip];
  // Every candidate has had its round since the tip and none made a block: the
  // candidates may all be faulty (honest validators charged while cut off, a Byzantine
  // one that equivocates), and only a block can change them. Rotate over the whole set,
  // so an honest leader comes within n more rounds.
  return static_cast<uint32_t>(round % validators_);
}

}  // namespace cairn::consensus
