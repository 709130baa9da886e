#include "rpc/http_gateway.h"

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <vector>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/support/byte_buffer.h>

#include "net/transport.h"
#include "rpc/caller.h"
#include "rpc/explorer_assets.h"
#include "rpc/json_transcoder.h"
#include "rpc/services.h"

namespace cairn::rpc {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

constexpr size_t kMaxHeaderBytes = 16 * 1024;
// A request body in this type is the request message's protobuf bytes, and the answer
// is the response's (unary methods only); JSON otherwise.
constexpr std::string_view kProtobufType = "application/x-protobuf";
// How long a connection may take to send a request (or to start the next one on a
// kept-alive connection), to complete a TLS handshake, and to take one write.
constexpr auto kReadTimeout = std::chrono::seconds(30);
constexpr auto kWriteTimeout = std::chrono::seconds(30);
// Above the longest wait a method allows (WaitForCommit: 60 s).
constexpr auto kCallDeadline = std::chrono::seconds(70);
constexpr auto kStopWait = std::chrono::seconds(5);

std::string ToString(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  std::string out;
  if (!buffer.Dump(&slices).ok()) return out;
  for (const grpc::Slice& slice : slices) out.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  return out;
}

grpc::ByteBuffer ToBuffer(const std::string& bytes) {
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

// The HTTP client as grpc::ServerContext::peer() names a gRPC client.
std::string PeerName(const tcp::endpoint& endpoint) {
  const auto address = endpoint.address();
  const std::string port = std::to_string(endpoint.port());
  return address.is_v4() ? "ipv4:" + address.to_string() + ":" + port : "ipv6:[" + address.to_string() + "]:" + port;
}

// The calls in flight, so that Stop can cancel them and wait until gRPC has finished
// with each (their completions run on gRPC's threads and post to ours).
class CallRegistry {
 public:
  bool Begin(grpc::ClientContext* context) {
    std::lock_guard lock(mu_);
    if (stopping_) return false;
    live_.insert(context);
    return true;
  }
  void End(grpc::ClientContext* context) {
    std::lock_guard lock(mu_);
    live_.erase(context);
    done_.notify_all();
  }
  void CancelAllAndWait() {
    std::unique_lock lock(mu_);
    stopping_ = true;
    // Recursive: a cancelled call may complete inline, on this thread.
    for (grpc::ClientContext* context : std::set<grpc::ClientContext*>(live_)) {
      if (live_.count(context)) context->TryCancel();
    }
    done_.wait_for(lock, kStopWait, [&] { return live_.empty(); });
  }

 private:
  std::recursive_mutex mu_;
  std::condition_variable_any done_;
  std::set<grpc::ClientContext*> live_;
  bool stopping_ = false;
};

// Connections open, in all and per address.
class ConnectionCounter {
 public:
  ConnectionCounter(int max_total, int max_per_client) : max_total_(max_total), max_per_client_(max_per_client) {}
  using Slot = std::shared_ptr<void>;
  Slot Take(const std::string& client) {
    std::lock_guard lock(mu_);
    if (total_ >= max_total_ || per_client_[client] >= max_per_client_) {
      if (per_client_[client] == 0) per_client_.erase(client);
      return nullptr;
    }
    ++total_;
    ++per_client_[client];
    return Slot(this, [this, client](void*) {
      std::lock_guard lock(mu_);
      --total_;
      if (--per_client_[client] == 0) per_client_.erase(client);
    });
  }

 private:
  const int max_total_, max_per_client_;
  std::mutex mu_;
  int total_ = 0;
  std::map<std::string, int> per_client_;
};

struct Shared {
  HttpLimits limits;
  std::unique_ptr<grpc::GenericStub> stub;
  CallRegistry calls;
};

// One streaming call (server-streaming, or SubmitStream with all its requests known):
// writes the requests, then reads one message at a time, each only when the session
// asks for it, which is after the last one reached the socket.
class StreamCall final : public grpc::ClientBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  struct Handler {
    std::function<void(std::string bytes)> on_message;  // then ReadNext, or Cancel and ReadNext
    std::function<void(grpc::Status)> on_done;          // last
  };

  // Starts the call; it owns itself until it is done.
  static std::shared_ptr<StreamCall> Begin(Shared& shared, const std::string& path, const std::string& peer,
                                           std::vector<std::string> requests, Handler handler) {
    auto call = std::shared_ptr<StreamCall>(new StreamCall(shared, path, std::move(handler)));
    SpeakFor(call->context_, peer);
    call->context_.set_deadline(std::chrono::system_clock::time_point::max());
    for (const std::string& r : requests) call->requests_.push_back(ToBuffer(r));
    if (!shared.calls.Begin(&call->context_)) {
      call->handler_.on_done({grpc::StatusCode::UNAVAILABLE, "the node is stopping"});
      return nullptr;
    }
    call->self_ = call;
    shared.stub->PrepareBidiStreamingCall(&call->context_, call->path_, grpc::StubOptions(), call.get());
    call->AddHold();  // released when the reads end, so OnDone waits for ReadNext
    if (call->requests_.empty()) {
      call->StartWritesDone();
    } else {
      call->StartWrite(&call->requests_[0]);
    }
    call->StartRead(&call->incoming_);
    call->StartCall();
    return call;
  }

  void ReadNext() { StartRead(&incoming_); }
  void Cancel() { context_.TryCancel(); }

  void OnWriteDone(bool ok) override {
    if (!ok) return;
    if (++next_request_ < requests_.size()) return StartWrite(&requests_[next_request_]);
    StartWritesDone();
  }
  void OnReadDone(bool ok) override {
    if (!ok) return RemoveHold();
    handler_.on_message(ToString(incoming_));
  }
  void OnDone(const grpc::Status& status) override {
    // The handler holds the session, which holds this call: let go of it here, so that
    // no cycle outlives the call even when the posted completion never runs (at stop).
    Handler handler = std::move(handler_);
    handler.on_done(status);
    shared_.calls.End(&context_);
    self_.reset();  // may delete this
  }

 private:
  StreamCall(Shared& shared, std::string path, Handler handler)
      : shared_(shared), path_(std::move(path)), handler_(std::move(handler)) {}

  Shared& shared_;
  const std::string path_;  // the channel keeps a pointer to it for the call's life
  Handler handler_;
  grpc::ClientContext context_;
  std::vector<grpc::ByteBuffer> requests_;
  size_t next_request_ = 0;
  grpc::ByteBuffer incoming_;
  std::shared_ptr<StreamCall> self_;
};

struct UnaryCall {
  std::string path;
  grpc::ClientContext context;
  grpc::ByteBuffer request, response;
};

// One connection: requests one after the other (HTTP/1.1 keep-alive), each answered
// by one call. Everything here runs on the connection's strand.
template <class Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
 public:
  Session(Shared& shared, Stream stream, std::string peer, ConnectionCounter::Slot slot)
      : shared_(shared), stream_(std::move(stream)), peer_(std::move(peer)), slot_(std::move(slot)) {}

  void Start() {
    if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
      ReadRequest();
    } else {
      beast::get_lowest_layer(stream_).expires_after(kReadTimeout);
      stream_.async_handshake(asio::ssl::stream_base::server, [self = this->shared_from_this()](beast::error_code ec) {
        if (!ec) self->ReadRequest();
      });
    }
  }

 private:
  using Response = http::response<http::string_body>;

  void ReadRequest() {
    parser_.emplace();
    parser_->header_limit(kMaxHeaderBytes);
    parser_->body_limit(shared_.limits.max_body_bytes);
    beast::get_lowest_layer(stream_).expires_after(kReadTimeout);
    http::async_read(stream_, buffer_, *parser_, [self = this->shared_from_this()](beast::error_code ec, size_t) {
      self->OnRequest(ec);
    });
  }

  void OnRequest(beast::error_code ec) {
    if (ec == http::error::body_limit) {
      keep_alive_ = false;
      return Reply(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                                "the body is over " + std::to_string(shared_.limits.max_body_bytes) + " bytes"),
                   413);
    }
    if (ec) return Close();  // closed, timed out or not HTTP: nothing to answer
    const auto& request = parser_->get();
    keep_alive_ = request.keep_alive();
    const std::string target(request.target());
    if (request.method() == http::verb::get) {
      if (const StaticAsset* asset = FindAsset(target)) return SendAsset(*asset);
    }
    const google::protobuf::MethodDescriptor* method = FindPublicMethod(target);
    if (method == nullptr) {
      return Reply({grpc::StatusCode::NOT_FOUND,
                    "no method at " + target + "; POST /cairn.v1.<Service>/<Method> (api.proto) with a JSON body"});
    }
    if (request.method() != http::verb::post) {
      return Reply({grpc::StatusCode::UNIMPLEMENTED, "methods take POST with a JSON body"}, 405);
    }
    const bool streaming = method->client_streaming() || method->server_streaming();
    const auto type = request[http::field::content_type];
    if (std::string_view(type.data(), type.size()).substr(0, type.find(';')) == kProtobufType) {
      if (streaming) {
        return Reply({grpc::StatusCode::INVALID_ARGUMENT, std::string(kProtobufType) + " is for unary methods: streams take JSON lines"}, 415);
      }
      if (Status valid = CheckRequestBytes(*method, request.body()); !valid.ok()) return Reply(ToGrpc(valid));
      return StartUnary(*method, target, request.body(), Body::kProtobuf);
    }
    std::vector<std::string> requests;
    if (method->client_streaming()) {
      const std::vector<std::string> lines = SplitLines(request.body());
      for (size_t i = 0; i < lines.size(); ++i) {
        auto bytes = RequestFromJson(*method, lines[i]);
        if (!bytes.ok()) return Reply({grpc::StatusCode::INVALID_ARGUMENT, "line " + std::to_string(i + 1) + ": " + bytes.status().message()});
        requests.push_back(std::move(*bytes));
      }
    } else {
      auto bytes = RequestFromJson(*method, request.body());
      if (!bytes.ok()) return Reply(ToGrpc(bytes.status()));
      requests.push_back(std::move(*bytes));
    }
    if (streaming) return StartStream(*method, target, std::move(requests));
    StartUnary(*method, target, std::move(requests[0]), Body::kJson);
  }

  // SubmitStream's body: one JSON SubmitRequest a line.
  static std::vector<std::string> SplitLines(const std::string& body) {
    std::vector<std::string> lines;
    size_t start = 0;
    while (start < body.size()) {
      size_t end = body.find('\n', start);
      if (end == std::string::npos) end = body.size();
      std::string line = body.substr(start, end - start);
      if (line.find_first_not_of(" \t\r") != std::string::npos) lines.push_back(std::move(line));
      start = end + 1;
    }
    return lines;
  }

  // How a unary call's answer is written: as JSON, or as the service's protobuf bytes
  // (what a client that checks hashes over them needs: the explorer's light client).
  enum class Body { kJson, kProtobuf };

  void StartUnary(const google::protobuf::MethodDescriptor& method, const std::string& path, std::string body,
                  Body answer) {
    auto call = std::make_shared<UnaryCall>();
    call->path = path;
    call->request = ToBuffer(body);
    SpeakFor(call->context, peer_);
    call->context.set_deadline(std::chrono::system_clock::now() + kCallDeadline);
    if (!shared_.calls.Begin(&call->context)) return Reply({grpc::StatusCode::UNAVAILABLE, "the node is stopping"});
    auto self = this->shared_from_this();
    shared_.stub->UnaryCall(&call->context, call->path, grpc::StubOptions(), &call->request, &call->response,
                            [self, call, &method, answer](grpc::Status status) {
                              asio::post(self->stream_.get_executor(), [self, call, &method, answer, status] {
                                if (!status.ok()) return self->Reply(status);
                                if (answer == Body::kProtobuf) return self->Send(200, ToString(call->response), kProtobufType);
                                auto json = ResponseToJson(method, ToString(call->response));
                                if (!json.ok()) return self->Reply(ToGrpc(json.status()));
                                self->Send(200, std::move(*json) + "\n");
                              });
                              self->shared_.calls.End(&call->context);
                            });
  }

  // `requests`: protobuf bytes, all written before the stream half-closes.
  void StartStream(const google::protobuf::MethodDescriptor& method, const std::string& path,
                   std::vector<std::string> requests) {
    keep_alive_ = false;  // the stream's end is the connection's end
    auto self = this->shared_from_this();
    StreamCall::Handler handler;
    handler.on_message = [self, &method](std::string bytes) {
      asio::post(self->stream_.get_executor(), [self, &method, bytes = std::move(bytes)] {
        auto json = ResponseToJson(method, bytes);
        self->WriteLine(json.ok() ? "{\"result\":" + *json + "}\n" : "{\"error\":" + ErrorJson(ToGrpc(json.status())) + "}\n");
      });
    };
    handler.on_done = [self](grpc::Status status) {
      asio::post(self->stream_.get_executor(), [self, status] { self->EndStream(status); });
    };
    stream_call_ = StreamCall::Begin(shared_, path, peer_, std::move(requests), std::move(handler));
  }

  // The header goes with the first message, so that a call refused at once (a client
  // over its stream limit) is an ordinary error answer with its HTTP status.
  void WriteLine(std::string line) {
    auto self = this->shared_from_this();
    auto chunk = std::make_shared<std::string>(std::move(line));
    auto after = [self, chunk](beast::error_code ec, size_t) {
      if (ec) {
        self->client_gone_ = true;
        self->stream_call_->Cancel();
      }
      self->stream_call_->ReadNext();  // after a cancel it ends the reads, and the call
    };
    beast::get_lowest_layer(stream_).expires_after(kWriteTimeout);
    if (client_gone_) return after({}, 0);
    if (!header_sent_) {
      header_sent_ = true;
      stream_header_.emplace(http::status::ok, 11);
      stream_header_->set(http::field::content_type, "application/x-ndjson");
      stream_header_->keep_alive(false);
      stream_header_->chunked(true);
      header_serializer_.emplace(*stream_header_);
      http::async_write_header(stream_, *header_serializer_, [self, chunk, after](beast::error_code ec, size_t) {
        if (ec) return after(ec, 0);
        asio::async_write(self->stream_, http::make_chunk(asio::buffer(*chunk)), after);
      });
      return;
    }
    asio::async_write(stream_, http::make_chunk(asio::buffer(*chunk)), after);
  }

  void EndStream(const grpc::Status& status) {
    stream_call_.reset();
    if (client_gone_) return Close();
    if (!header_sent_) return Reply(status);
    auto self = this->shared_from_this();
    auto tail = std::make_shared<std::string>(status.ok() ? "" : "{\"error\":" + ErrorJson(status) + "}\n");
    beast::get_lowest_layer(stream_).expires_after(kWriteTimeout);
    auto last = [self](beast::error_code, size_t) {
      asio::async_write(self->stream_, http::make_chunk_last(), [self](beast::error_code, size_t) { self->Close(); });
    };
    if (tail->empty()) return last({}, 0);
    asio::async_write(stream_, http::make_chunk(asio::buffer(*tail)), [tail, last](beast::error_code ec, size_t n) { last(ec, n); });
  }

  // The explorer's files: "/" is its page; a query string is the page's business.
  static const StaticAsset* FindAsset(const std::string& target) {
    std::string path = target.substr(0, target.find('?'));
    if (path == "/") path = "/index.html";
    for (const StaticAsset& asset : ExplorerAssets()) {
      if (asset.path == path) return &asset;
    }
    return nullptr;
  }

  void SendAsset(const StaticAsset& asset) {
    auto response = std::make_shared<Response>();
    response->version(11);
    response->result(http::status::ok);
    response->set(http::field::content_type, std::string(asset.content_type));
    response->set(http::field::cache_control, "no-cache");
    // The page runs only its own script and talks only to this node.
    response->set("Content-Security-Policy",
                  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; "
                  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
    response->set("X-Content-Type-Options", "nosniff");
    response->body() = std::string(asset.body);
    Write(std::move(response));
  }

  void Reply(const grpc::Status& status, unsigned http_status = 0) {
    Send(http_status ? http_status : HttpStatusOf(status.error_code()), ErrorJson(status) + "\n");
  }

  void Send(unsigned http_status, std::string body, std::string_view content_type = "application/json") {
    auto response = std::make_shared<Response>();
    response->version(11);
    response->result(http_status);
    response->set(http::field::content_type, std::string(content_type));
    response->body() = std::move(body);
    Write(std::move(response));
  }

  // Sends a response, then reads the next request on a kept-alive connection.
  void Write(std::shared_ptr<Response> response) {
    response->keep_alive(keep_alive_);
    response->prepare_payload();
    beast::get_lowest_layer(stream_).expires_after(kWriteTimeout);
    http::async_write(stream_, *response, [self = this->shared_from_this(), response](beast::error_code ec, size_t) {
      if (ec || !self->keep_alive_) return self->Close();
      self->ReadRequest();
    });
  }

  void Close() {
    beast::error_code ignored;
    auto& socket = beast::get_lowest_layer(stream_).socket();
    socket.shutdown(tcp::socket::shutdown_both, ignored);
    socket.close(ignored);
  }

  Shared& shared_;
  Stream stream_;
  const std::string peer_;
  ConnectionCounter::Slot slot_;  // freed with the session
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  bool keep_alive_ = false;
  std::shared_ptr<StreamCall> stream_call_;
  bool header_sent_ = false;
  bool client_gone_ = false;
  std::optional<http::response<http::empty_body>> stream_header_;
  std::optional<http::response_serializer<http::empty_body>> header_serializer_;
};

}  // namespace

class HttpGateway::Impl {
 public:
  explicit Impl(HttpLimits limits) : connections_(limits.max_connections, limits.max_connections_per_client) {
    shared_.limits = limits;
  }

  Status Start(const std::string& address, std::shared_ptr<grpc::Channel> channel, const v1::TlsConfig* tls) {
    CAIRN_ASSIGN_OR_RETURN(tcp::endpoint endpoint, net::ParseEndpoint(address));
    if (tls != nullptr) {
      tls_.emplace(asio::ssl::context::tls_server);
      boost::system::error_code ec;
      tls_->set_options(asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1 | asio::ssl::context::no_sslv2 |
                        asio::ssl::context::no_sslv3);
      tls_->use_certificate_chain_file(tls->cert_file(), ec);
      if (!ec) tls_->use_private_key_file(tls->key_file(), asio::ssl::context::pem, ec);
      if (ec) return Status::InvalidArgument("HTTP TLS certificate or key (" + tls->cert_file() + "): " + ec.message());
    }
    boost::system::error_code ec;
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) return Status::Unavailable("cannot serve HTTP on " + address + ": " + ec.message());
    port_ = acceptor_.local_endpoint().port();
    shared_.stub = std::make_unique<grpc::GenericStub>(std::move(channel));
    Accept();
    for (int i = 0; i < shared_.limits.threads; ++i) {
      threads_.emplace_back([this] {
        pthread_setname_np(pthread_self(), "cairn-http");
        io_.run();
      });
    }
    return Status::Ok();
  }

  void Stop() {
    if (threads_.empty()) return;
    asio::post(io_, [this] {
      boost::system::error_code ignored;
      acceptor_.close(ignored);
    });
    shared_.calls.CancelAllAndWait();
    work_.reset();
    io_.stop();
    for (std::thread& t : threads_) t.join();
    threads_.clear();
  }

  uint16_t port() const { return port_; }

 private:
  void Accept() {
    acceptor_.async_accept(asio::make_strand(io_), [this](boost::system::error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
      if (!ec) Admit(std::move(socket));
      Accept();
    });
  }

  void Admit(tcp::socket socket) {
    boost::system::error_code ec;
    const tcp::endpoint remote = socket.remote_endpoint(ec);
    if (ec) return;
    // Over the bounds the connection is closed at once: holding it to answer would be
    // the very load the bound keeps out.
    ConnectionCounter::Slot slot = connections_.Take(remote.address().to_string());
    if (!slot) return;
    if (tls_) {
      using TlsStream = beast::ssl_stream<beast::tcp_stream>;
      std::make_shared<Session<TlsStream>>(shared_, TlsStream(beast::tcp_stream(std::move(socket)), *tls_),
                                           PeerName(remote), std::move(slot))
          ->Start();
    } else {
      std::make_shared<Session<beast::tcp_stream>>(shared_, beast::tcp_stream(std::move(socket)), PeerName(remote),
                                                   std::move(slot))
          ->Start();
    }
  }

  // Destroyed in reverse: the sessions (held by handlers in io_) go before the counter
  // and the shared state they point into.
  Shared shared_;
  ConnectionCounter connections_;
  std::optional<asio::ssl::context> tls_;
  asio::io_context io_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_{io_.get_executor()};
  tcp::acceptor acceptor_{io_};
  uint16_t port_ = 0;
  std::vector<std::thread> threads_;
};

HttpGateway::HttpGateway(HttpLimits limits) : impl_(std::make_unique<Impl>(limits)) {}
HttpGateway::~HttpGateway() { Stop(); }
Status HttpGateway::Start(const std::string& address, std::shared_ptr<grpc::Channel> channel, const v1::TlsConfig* tls) {
  return impl_->Start(address, std::move(channel), tls);
}
void HttpGateway::Stop() { impl_->Stop(); }
uint16_t HttpGateway::port() const { return impl_->port(); }

}  // namespace cairn::rpc
