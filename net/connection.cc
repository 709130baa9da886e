#include "net/connection.h"

#include "crypto/tls_identity.h"
#include "net/frame.h"

namespace cairn::net {

namespace asio = boost::asio;

// A write joins queued frames up to this size (a bigger frame goes alone).
constexpr size_t kMaxJoinedWriteBytes = 1u << 20;

const char* CloseReasonName(CloseReason reason) {
  switch (reason) {
    case CloseReason::kLocal: return "local";
    case CloseReason::kPeerClosed: return "peer_closed";
    case CloseReason::kIoError: return "io_error";
    case CloseReason::kMalformed: return "malformed";
    case CloseReason::kOversize: return "oversize";
    case CloseReason::kFlood: return "flood";
    case CloseReason::kRefused: return "refused";
    case CloseReason::kWrongChain: return "wrong_chain";
    case CloseReason::kDuplicate: return "duplicate";
    case CloseReason::kHandshakeTimeout: return "handshake_timeout";
    case CloseReason::kIdle: return "idle";
  }
  return "unknown";
}

Connection::Connection(Stream stream, bool outbound, const LinkLimits& limits)
    : stream_(std::move(stream)),
      outbound_(outbound),
      limits_(limits),
      handshake_timer_(stream_.get_executor()),
      tokens_(limits.message_burst),
      tokens_at_(std::chrono::steady_clock::now()) {
  boost::system::error_code ec;
  auto endpoint = stream_.lowest_layer().remote_endpoint(ec);
  remote_ = ec ? "unknown" : endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
  stream_.lowest_layer().set_option(asio::ip::tcp::no_delay(true), ec);
}

void Connection::Handshake(std::function<void(Result<crypto::PublicKey>)> done) {
  auto self = shared_from_this();
  handshake_timer_.expires_after(std::chrono::milliseconds(limits_.handshake_timeout_ms));
  handshake_timer_.async_wait([self](boost::system::error_code ec) {
    if (!ec && self->open_) self->Close(CloseReason::kHandshakeTimeout, "handshake did not finish in time");
  });
  const auto type = outbound_ ? asio::ssl::stream_base::client : asio::ssl::stream_base::server;
  stream_.async_handshake(type, [self, done = std::move(done)](boost::system::error_code ec) {
    if (!self->open_) return done(Status::Unavailable("closed during the handshake"));
    if (ec) {
      self->Close(CloseReason::kRefused, "TLS handshake failed: " + ec.message());
      return done(Status::Unauthenticated("TLS handshake failed: " + ec.message()));
    }
    auto key = crypto::TlsPeerKey(self->stream_.native_handle());
    if (!key.ok()) {
      self->Close(CloseReason::kRefused, key.status().message());
      return done(key.status());
    }
    self->peer_key_ = *key;
    done(*key);
  });
}

void Connection::Start(Handlers handlers) {
  handlers_ = std::move(handlers);
  ReadHeader();
  WriteNext();
}

void Connection::ReadHeader() {
  auto self = shared_from_this();
  asio::async_read(stream_, asio::buffer(header_), [self](boost::system::error_code ec, size_t) {
    if (!self->open_) return;
    if (ec) {
      const bool eof = ec == asio::error::eof || ec == asio::ssl::error::stream_truncated;
      return self->Close(eof ? CloseReason::kPeerClosed : CloseReason::kIoError, ec.message());
    }
    auto length = ReadFrameLength(self->header_, self->limits_.max_frame_bytes);
    if (!length.ok()) {
      const bool oversize = length.status().code() == StatusCode::kResourceExhausted;
      return self->Close(oversize ? CloseReason::kOversize : CloseReason::kMalformed, length.status().message());
    }
    self->ReadBody(*length);
  });
}

void Connection::ReadBody(uint32_t length) {
  body_.resize(length);
  auto self = shared_from_this();
  asio::async_read(stream_, asio::buffer(body_), [self](boost::system::error_code ec, size_t) {
    if (!self->open_) return;
    if (ec) return self->Close(CloseReason::kIoError, ec.message());
    if (!self->TakeToken()) return self->Close(CloseReason::kFlood, "over the message rate limit");
    auto message = DecodeFrameBody(self->body_);
    if (!message.ok()) return self->Close(CloseReason::kMalformed, message.status().message());
    self->last_received_ = std::chrono::steady_clock::now();
    self->handlers_.on_message(*self, std::move(*message));
    if (self->open_) self->ReadHeader();
  });
}

bool Connection::TakeToken() {
  const auto now = std::chrono::steady_clock::now();
  const double elapsed_s = std::chrono::duration<double>(now - tokens_at_).count();
  tokens_at_ = now;
  tokens_ = std::min(limits_.message_burst, tokens_ + elapsed_s * limits_.max_messages_per_second);
  if (tokens_ < 1) return false;
  tokens_ -= 1;
  return true;
}

bool Connection::Send(std::shared_ptr<const Bytes> frame) {
  if (!open_ || queue_.size() >= limits_.max_queued_messages ||
      queued_bytes_ + frame->size() > limits_.max_queued_bytes) {
    ++dropped_sends_;
    return false;
  }
  queued_bytes_ += frame->size();
  queue_.push_back(std::move(frame));
  last_sent_ = std::chrono::steady_clock::now();
  // Until Start, frames wait: nothing may reach a peer before it is accepted.
  if (handlers_.on_message) WriteNext();
  return true;
}

// Frames queued while a write was in progress go out together in the next one: one
// TLS record and one system call for many small messages under load, and no delay
// when the link is idle.
void Connection::WriteNext() {
  if (writing_ || queue_.empty() || !open_) return;
  writing_ = true;
  // The bytes being written stay owned here until the write ends, even if Close
  // empties the queue meanwhile.
  in_write_ = queue_.front();
  frames_in_write_ = 1;
  if (queue_.size() > 1) {
    auto joined = std::make_shared<Bytes>();
    frames_in_write_ = 0;
    for (const auto& frame : queue_) {
      if (frames_in_write_ > 0 && joined->size() + frame->size() > kMaxJoinedWriteBytes) break;
      *joined += *frame;
      ++frames_in_write_;
    }
    in_write_ = std::move(joined);
  }
  const boost::asio::const_buffer buffer = asio::buffer(*in_write_);
  auto self = shared_from_this();
  asio::async_write(stream_, buffer, [self](boost::system::error_code ec, size_t) {
    self->writing_ = false;
    self->in_write_.reset();
    if (!self->open_) return;
    if (ec) return self->Close(CloseReason::kIoError, ec.message());
    for (size_t i = 0; i < self->frames_in_write_; ++i) {
      self->queued_bytes_ -= self->queue_.front()->size();
      self->queue_.pop_front();
    }
    self->WriteNext();
  });
}

void Connection::Close(CloseReason reason, const std::string& detail) {
  if (!open_) return;
  open_ = false;
  handshake_timer_.cancel();
  boost::system::error_code ignored;
  // No TLS close_notify round trip: the link is being dropped, not negotiated down.
  stream_.lowest_layer().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  stream_.lowest_layer().close(ignored);
  queue_.clear();
  queued_bytes_ = 0;
  if (handlers_.on_closed) handlers_.on_closed(*this, reason, detail);
}

}  // namespace cairn::net
