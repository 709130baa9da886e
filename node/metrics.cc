#include "node/metrics.h"

#include <chrono>
#include <cmath>
#include <cstdio>

#include "crypto/check.h"
#include "node/log.h"

namespace cairn::node {

std::string FormatDouble(double v) {
  // 15 significant digits: exact for every integer a sample holds (bytes, a start time
  // in seconds), and still short for the bucket bounds.
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.15g", v);
  return buffer;
}

Histogram::Histogram(std::vector<double> upper_bounds)
    : bounds_(std::move(upper_bounds)), counts_(new std::atomic<uint64_t>[bounds_.size() + 1]) {
  for (size_t i = 0; i <= bounds_.size(); ++i) counts_[i] = 0;
}

void Histogram::Observe(double seconds) {
  size_t i = 0;
  while (i < bounds_.size() && seconds > bounds_[i]) ++i;
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  sum_micros_.fetch_add(static_cast<uint64_t>(std::max(0.0, seconds) * 1e6), std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
}

void Histogram::Render(const std::string& name, std::string* out) const {
  uint64_t cumulative = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    cumulative += counts_[i].load(std::memory_order_relaxed);
    const std::string le = i < bounds_.size() ? FormatDouble(bounds_[i]) : "+Inf";
    *out += name + "_bucket{le=\"" + le + "\"} " + std::to_string(cumulative) + "\n";
  }
  *out += name + "_sum " + FormatDouble(sum_micros_.load() / 1e6) + "\n";
  *out += name + "_count " + std::to_string(count_.load()) + "\n";
}

MetricsRegistry::Family& MetricsRegistry::Add(const std::string& name, const std::string& type, const std::string& help) {
  CAIRN_CHECK(name.rfind("cairn_", 0) == 0 || name.rfind("process_", 0) == 0);
  std::lock_guard lock(mu_);
  families_.push_back(std::make_unique<Family>());
  Family& f = *families_.back();
  f.name = name;
  f.type = type;
  f.help = help;
  return f;
}

Counter& MetricsRegistry::AddCounter(const std::string& name, const std::string& help) {
  Family& f = Add(name, "counter", help);
  f.counter = std::make_unique<Counter>();
  return *f.counter;
}

Gauge& MetricsRegistry::AddGauge(const std::string& name, const std::string& help) {
  Family& f = Add(name, "gauge", help);
  f.gauge = std::make_unique<Gauge>();
  return *f.gauge;
}

Histogram& MetricsRegistry::AddHistogram(const std::string& name, const std::string& help, std::vector<double> bounds) {
  Family& f = Add(name, "histogram", help);
  f.histogram = std::make_unique<Histogram>(std::move(bounds));
  return *f.histogram;
}

void MetricsRegistry::AddCollector(const std::string& name, const std::string& type, const std::string& help,
                                   std::function<void(std::string*)> render) {
  Add(name, type, help).collector = std::move(render);
}

std::string MetricsRegistry::Render() const {
  using Clock = std::chrono::steady_clock;
  std::lock_guard lock(mu_);
  const Clock::time_point start = Clock::now();
  Clock::duration slowest{0}, collectors{0};
  const std::string* slowest_name = nullptr;
  std::string out;
  for (const auto& f : families_) {
    out += "# HELP " + f->name + " " + f->help + "\n# TYPE " + f->name + " " + f->type + "\n";
    if (f->counter) out += f->name + " " + std::to_string(f->counter->value()) + "\n";
    if (f->gauge) out += f->name + " " + std::to_string(f->gauge->value()) + "\n";
    if (f->histogram) f->histogram->Render(f->name, &out);
    if (f->collector) {
      const Clock::time_point before = Clock::now();
      f->collector(&out);
      const Clock::duration took = Clock::now() - before;
      collectors += took;
      if (took > slowest) {
        slowest = took;
        slowest_name = &f->name;
      }
    }
  }
  // A collector reads the node's state under that state's lock: a scrape that waits is
  // a lock held long somewhere, and this names where to look.
  auto ms = [](Clock::duration d) { return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(d).count()); };
  const Clock::duration took = Clock::now() - start;
  if (took >= kSlowRender && slowest_name != nullptr) {
    LogWarn("metrics", "rendering /metrics took " + ms(took) + " ms, " + ms(collectors) +
                           " of them in collectors; the slowest collector, " + *slowest_name + ", took " + ms(slowest) +
                           " ms");
  }
  return out;
}

std::string EscapeLabel(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

}  // namespace cairn::node
