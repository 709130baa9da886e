// The health probes' cost as an orchestrator sees it (issue 17: "each answers in under a
// millisecond"): a fresh connection to a real MetricsServer on 127.0.0.1, one GET, the
// whole answer read. The server's registry holds the process metrics, as in cairnd.
#include <benchmark/benchmark.h>

#include <thread>

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "node/metrics_server.h"
#include "node/process_metrics.h"

namespace cairn::node {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;

void BM_Probe(benchmark::State& state, const char* target) {
  MetricsRegistry registry;
  AddProcessMetrics(registry);
  Health health({.max_lag_blocks = 100, .validator = true});
  health.SetCurrentSet(true, 4);
  asio::io_context io;
  auto work = asio::make_work_guard(io);
  MetricsServer server(io, registry, health);
  if (!server.Start("127.0.0.1:0").ok()) return state.SkipWithError("cannot listen");
  std::thread thread([&] { io.run(); });
  const asio::ip::tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), server.port());
  asio::io_context client;
  for (auto _ : state) {
    boost::beast::tcp_stream stream(client);
    stream.connect(endpoint);
    http::request<http::empty_body> request(http::verb::get, target, 11);
    request.set(http::field::host, "127.0.0.1");
    http::write(stream, request);
    boost::beast::flat_buffer buffer;
    http::response<http::string_body> response;
    http::read(stream, buffer, response);
    if (response.result() != http::status::ok) state.SkipWithError("the probe did not answer 200");
  }
  asio::post(io, [&] { server.Stop(); });
  work.reset();
  thread.join();
}
BENCHMARK_CAPTURE(BM_Probe, healthz, "/healthz")->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Probe, readyz, "/readyz")->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Probe, version, "/version")->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace cairn::node
