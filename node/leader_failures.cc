#include "node/leader_failures.h"

#include "node/metrics.h"

namespace cairn::node {

void LeaderFailures::OnCommitted(const v1::BlockHeader& header, const std::vector<std::string>& names) {
  if (header.failed_proposers().empty()) return;
  std::lock_guard lock(mu_);
  for (uint32_t v : header.failed_proposers()) {
    ++by_name_[v < names.size() ? names[v] : "#" + std::to_string(v)];
  }
}

void LeaderFailures::Render(std::string* out) const {
  std::lock_guard lock(mu_);
  for (const auto& [name, count] : by_name_) {
    *out += "cairn_leader_failures_total{validator=\"" + EscapeLabel(name) + "\"} " + std::to_string(count) + "\n";
  }
}

}  // namespace cairn::node
