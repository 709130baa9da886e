// Rounds charged to each validator by committed blocks (BlockHeader.failed_proposers),
// for the metric cairn_leader_failures_total{validator}. Counted on the core thread as
// blocks commit, rendered at scrape time from the metrics thread.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "cairn/v1/block.pb.h"

namespace cairn::node {

class LeaderFailures {
 public:
  // `names` are the validators of the block's epoch, by index.
  void OnCommitted(const v1::BlockHeader& header, const std::vector<std::string>& names);
  // The family's sample lines, one per validator ever charged.
  void Render(std::string* out) const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, uint64_t> by_name_;  // bounded by the validators there have been
};

}  // namespace cairn::node
