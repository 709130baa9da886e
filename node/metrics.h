// Prometheus metrics: counters, gauges and histograms registered once at start, updated
// lock-free from any thread, rendered in the text exposition format for /metrics.
// Families with labels that another module counts (messages by kind, disconnects by
// reason) are rendered by collectors that read those counters at scrape time.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace cairn::node {

class Counter {
 public:
  void Add(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

class Gauge {
 public:
  void Set(int64_t v) { value_.store(v, std::memory_order_relaxed); }
  int64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> value_{0};
};

// Observations in seconds, counted into cumulative buckets by upper bound.
class Histogram {
 public:
  explicit Histogram(std::vector<double> upper_bounds);
  void Observe(double seconds);
  // Appends the _bucket, _sum and _count lines of `name`.
  void Render(const std::string& name, std::string* out) const;

 private:
  const std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;  // one per bound, then +Inf
  std::atomic<uint64_t> sum_micros_{0};
  std::atomic<uint64_t> count_{0};
};

class MetricsRegistry {
 public:
  // Names start with "cairn_", or "process_" for the standard process metrics that
  // every Prometheus client exports under those names; the references stay valid for the registry's life.
  Counter& AddCounter(const std::string& name, const std::string& help);
  Gauge& AddGauge(const std::string& name, const std::string& help);
  Histogram& AddHistogram(const std::string& name, const std::string& help, std::vector<double> upper_bounds);
  // A family rendered at scrape time: `render` appends its sample lines ("name{l="v"} 3").
  void AddCollector(const std::string& name, const std::string& type, const std::string& help,
                    std::function<void(std::string* out)> render);

  // Logs a warning naming the slowest collector when rendering takes kSlowRender or more.
  std::string Render() const;
  static constexpr std::chrono::milliseconds kSlowRender{500};

 private:
  struct Family {
    std::string name, type, help;
    std::unique_ptr<Counter> counter;
    std::unique_ptr<Gauge> gauge;
    std::unique_ptr<Histogram> histogram;
    std::function<void(std::string*)> collector;
  };
  Family& Add(const std::string& name, const std::string& type, const std::string& help);

  mutable std::mutex mu_;  // guards families_ (registration happens at start only)
  std::vector<std::unique_ptr<Family>> families_;
};

// A sample value as the text format writes it.
std::string FormatDouble(double v);

// A label value with \, " and newlines escaped as the format requires.
std::string EscapeLabel(const std::string& value);

}  // namespace cairn::node
