#include "node/metrics_server.h"

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

#include "net/transport.h"
#include "node/version.h"

namespace cairn::node {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;

namespace {

constexpr int kMaxSessions = 16;
constexpr auto kDeadline = std::chrono::seconds(5);
constexpr size_t kMaxRequestBytes = 8 * 1024;

// One request, one response, then close: scrapers reconnect each time anyway.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, const MetricsServer::Pages& pages, std::shared_ptr<int> active)
      : stream_(std::move(socket)), pages_(pages), active_(std::move(active)) {
    ++*active_;
  }
  ~Session() { --*active_; }

  void Start() {
    parser_.header_limit(kMaxRequestBytes);
    parser_.body_limit(kMaxRequestBytes);
    stream_.expires_after(kDeadline);
    auto self = shared_from_this();
    http::async_read(stream_, buffer_, parser_, [self](beast::error_code ec, size_t) {
      if (!ec) self->Respond();
    });
  }

 private:
  void Respond() {
    const auto& request = parser_.get();
    response_.version(request.version());
    response_.keep_alive(false);
    if (request.method() != http::verb::get) {
      Answer(http::status::method_not_allowed, "only GET\n");
    } else if (request.target() == "/metrics") {
      Answer(http::status::ok, pages_.registry.Render(), "text/plain; version=0.0.4");
    } else if (request.target() == "/healthz") {
      if (pages_.health.Live()) {
        Answer(http::status::ok, "ok\n");
      } else {
        Answer(http::status::service_unavailable, "halted: a ledger write failed\n");
      }
    } else if (request.target() == "/readyz") {
      const Health::Readiness readiness = pages_.health.Ready();
      if (readiness.ready) {
        Answer(http::status::ok, "ready\n");
      } else {
        Answer(http::status::service_unavailable, readiness.reason + "\n");
      }
    } else if (request.target() == "/version") {
      Answer(http::status::ok, pages_.version_json, "application/json");
    } else {
      Answer(http::status::not_found, "try /metrics, /healthz, /readyz or /version\n");
    }
    response_.prepare_payload();
    auto self = shared_from_this();
    http::async_write(stream_, response_, [self](beast::error_code, size_t) {
      beast::error_code ignored;
      self->stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    });
  }

  void Answer(http::status status, std::string body, const char* content_type = "text/plain") {
    response_.result(status);
    response_.set(http::field::content_type, content_type);
    response_.body() = std::move(body);
  }

  beast::tcp_stream stream_;
  const MetricsServer::Pages& pages_;
  std::shared_ptr<int> active_;
  beast::flat_buffer buffer_;
  http::request_parser<http::string_body> parser_;
  http::response<http::string_body> response_;
};

}  // namespace

MetricsServer::MetricsServer(asio::io_context& io, const MetricsRegistry& registry, const Health& health)
    : io_(io),
      pages_{.registry = registry,
             .health = health,
             .version_json = nlohmann::json{{"version", kVersion}, {"revision", kRevision}}.dump() + "\n"},
      acceptor_(io) {}

Status MetricsServer::Start(const std::string& listen) {
  CAIRN_ASSIGN_OR_RETURN(tcp::endpoint endpoint, net::ParseEndpoint(listen));
  boost::system::error_code ec;
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return Status::Unavailable("cannot serve metrics on " + listen + ": " + ec.message());
  port_ = acceptor_.local_endpoint().port();
  Accept();
  return Status::Ok();
}

void MetricsServer::Stop() {
  boost::system::error_code ignored;
  acceptor_.close(ignored);
}

void MetricsServer::Accept() {
  acceptor_.async_accept([this](boost::system::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted) return;
    if (!ec && *active_sessions_ < kMaxSessions) {
      std::make_shared<Session>(std::move(socket), pages_, active_sessions_)->Start();
    }
    Accept();
  });
}

}  // namespace cairn::node
