// Health and the operations port: what /healthz, /readyz, /version and the process_*
// metrics answer, served by a real MetricsServer on 127.0.0.1.
#include "node/health.h"

#include <unistd.h>

#include <ctime>
#include <thread>

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "node/metrics_server.h"
#include "node/process_metrics.h"
#include "node/proc_stats.h"
#include "node/version.h"

namespace cairn::node {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;

Health::Policy Validator(uint64_t max_lag) { return {.max_lag_blocks = max_lag, .validator = true}; }

TEST(Health, ReadyWhenCaughtUpAndInTheSet) {
  Health health(Validator(10));
  health.SetCurrentSet(true, 4);
  health.SetCommittedHeight(100);
  health.SetBestPeerHeight(110);  // exactly the allowed lag
  EXPECT_TRUE(health.Live());
  EXPECT_TRUE(health.Ready().ready) << health.Ready().reason;
}

TEST(Health, NotReadyWhileBehindSyncingOrOutOfTheSet) {
  Health health(Validator(10));
  health.SetCurrentSet(true, 4);
  health.SetCommittedHeight(100);
  health.SetBestPeerHeight(111);
  EXPECT_FALSE(health.Ready().ready);
  EXPECT_EQ(health.Ready().reason, "behind: height 100, peers at 111");
  health.SetBestPeerHeight(100);
  health.SetSyncing(true);
  EXPECT_EQ(health.Ready().reason, "syncing");
  EXPECT_TRUE(health.Live()) << "syncing is readiness, not liveness";
  health.SetSyncing(false);
  health.SetCurrentSet(false, 4);
  EXPECT_EQ(health.Ready().reason, "not in the current validator set");
}

TEST(Health, AnObserverNeedsNoSeat) {
  Health health(Health::Policy{.max_lag_blocks = 10, .validator = false});
  health.SetCommittedHeight(5);
  EXPECT_TRUE(health.Ready().ready) << health.Ready().reason;
}

TEST(Health, AHaltedNodeIsNeitherLiveNorReady) {
  Health health(Validator(10));
  health.SetCurrentSet(true, 4);
  health.SetHalted(true);
  EXPECT_FALSE(health.Live());
  EXPECT_EQ(health.Ready().reason, "halted: a ledger write failed");
  health.SetHalted(false);
  EXPECT_TRUE(health.Live());
  EXPECT_TRUE(health.Ready().ready);
}

// A MetricsServer on its own io thread, and a blocking HTTP client for it.
class OpsPort : public ::testing::Test {
 protected:
  void SetUp() override {
    AddProcessMetrics(registry_);
    registry_.AddGauge("cairn_test_gauge", "A gauge.").Set(7);
    health_.SetCurrentSet(true, 4);
    ASSERT_TRUE(server_.Start("127.0.0.1:0").ok());
    thread_ = std::thread([this] { io_.run(); });
  }
  void TearDown() override {
    asio::post(io_, [this] { server_.Stop(); });
    work_.reset();
    thread_.join();
  }

  http::response<http::string_body> Get(const std::string& target, http::verb verb = http::verb::get) {
    asio::io_context client;
    boost::beast::tcp_stream stream(client);
    stream.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), server_.port()));
    http::request<http::string_body> request(verb, target, 11);
    request.set(http::field::host, "127.0.0.1");
    http::write(stream, request);
    boost::beast::flat_buffer buffer;
    http::response<http::string_body> response;
    http::read(stream, buffer, response);
    return response;
  }

  MetricsRegistry registry_;
  Health health_{Validator(10)};
  asio::io_context io_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_{io_.get_executor()};
  MetricsServer server_{io_, registry_, health_};
  std::thread thread_;
};

TEST_F(OpsPort, HealthzAndReadyzFollowTheNode) {
  EXPECT_EQ(Get("/healthz").result(), http::status::ok);
  EXPECT_EQ(Get("/readyz").result(), http::status::ok);
  health_.SetSyncing(true);
  EXPECT_EQ(Get("/healthz").result(), http::status::ok);
  auto syncing = Get("/readyz");
  EXPECT_EQ(syncing.result(), http::status::service_unavailable);
  EXPECT_EQ(syncing.body(), "syncing\n");
  health_.SetSyncing(false);
  health_.SetHalted(true);
  EXPECT_EQ(Get("/healthz").result(), http::status::service_unavailable);
  EXPECT_EQ(Get("/readyz").result(), http::status::service_unavailable);
  health_.SetHalted(false);
  EXPECT_EQ(Get("/healthz").result(), http::status::ok);
}

TEST_F(OpsPort, VersionIsJsonWithTheBuildsVersion) {
  auto response = Get("/version");
  ASSERT_EQ(response.result(), http::status::ok);
  EXPECT_EQ(response[http::field::content_type], "application/json");
  const nlohmann::json version = nlohmann::json::parse(response.body());
  EXPECT_EQ(version.at("version"), kVersion);
  EXPECT_EQ(version.at("revision"), kRevision);
}

TEST_F(OpsPort, UnknownPathsAndMethodsAreRefused) {
  EXPECT_EQ(Get("/nope").result(), http::status::not_found);
  EXPECT_EQ(Get("/healthz", http::verb::post).result(), http::status::method_not_allowed);
}

// The value of the unlabelled sample `name` in a scrape, or -1.
double Sample(const std::string& scrape, const std::string& name) {
  const size_t at = scrape.find("\n" + name + " ");
  return at == std::string::npos ? -1 : std::stod(scrape.substr(at + name.size() + 2));
}

TEST_F(OpsPort, ProcessMetricsDescribeThisProcess) {
  const std::string scrape = Get("/metrics").body();
  EXPECT_EQ(Sample(scrape, "cairn_test_gauge"), 7);
  const auto usage = ReadProcessUsage(getpid());
  ASSERT_TRUE(usage.has_value());
  EXPECT_GT(Sample(scrape, "process_resident_memory_bytes"), 1 << 20);
  EXPECT_GT(Sample(scrape, "process_virtual_memory_bytes"), Sample(scrape, "process_resident_memory_bytes"));
  EXPECT_GE(Sample(scrape, "process_cpu_seconds_total"), 0);
  EXPECT_LE(Sample(scrape, "process_cpu_seconds_total"), usage->cpu_seconds + 1);
  // This test process started within the last hour, to the second.
  const double now = static_cast<double>(std::time(nullptr));
  EXPECT_GT(Sample(scrape, "process_start_time_seconds"), now - 3600);
  EXPECT_LE(Sample(scrape, "process_start_time_seconds"), now + 1);
  // At least stdin, stdout, stderr and the listening socket.
  EXPECT_GE(Sample(scrape, "process_open_fds"), 4);
  EXPECT_GE(Sample(scrape, "process_max_fds"), Sample(scrape, "process_open_fds"));
}

}  // namespace
}  // namespace cairn::node
