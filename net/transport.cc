#include "net/transport.h"

#include <algorithm>

#include "crypto/tls_identity.h"
#include "net/frame.h"

namespace cairn::net {

namespace asio = boost::asio;
using asio::ip::tcp;

struct Transport::Dialer {
  explicit Dialer(asio::io_context& io, DialTarget t) : target(std::move(t)), timer(io) {}
  DialTarget target;
  asio::steady_timer timer;
  uint64_t backoff_ms = 0;
  bool busy = false;     // dialing, handshaking or waiting to retry
  bool retired = false;  // no longer a target: never dials again
};

Result<tcp::endpoint> ParseEndpoint(const std::string& address) {
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0) return Status::InvalidArgument("address '" + address + "' is not host:port");
  std::string host = address.substr(0, colon);
  if (host == "localhost") host = "127.0.0.1";
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  boost::system::error_code ec;
  auto ip = asio::ip::make_address(host, ec);
  if (ec) return Status::InvalidArgument("address '" + address + "': '" + host + "' is not an IP address");
  const std::string port_text = address.substr(colon + 1);
  char* end = nullptr;
  const unsigned long port = std::strtoul(port_text.c_str(), &end, 10);
  if (port_text.empty() || *end != '\0' || port > 65535) {
    return Status::InvalidArgument("address '" + address + "': bad port");
  }
  return tcp::endpoint(ip, static_cast<uint16_t>(port));
}

Transport::Transport(asio::io_context& io, const crypto::PrivateKey& key, TransportConfig config,
                     TransportEvents events)
    : io_(io),
      tls_(asio::ssl::context::tls),
      config_(std::move(config)),
      events_(std::move(events)),
      acceptor_(io),
      liveness_timer_(io),
      jitter_(std::random_device{}()) {
  tls_status_ = crypto::UseAsTlsIdentity(key, tls_.native_handle());
  own_key_ = key.public_key();
  for (int i = 0; i < 2; ++i) AppendU64(&boot_id_, jitter_());
}

Transport::~Transport() = default;

void Transport::Log(const std::string& line) {
  if (events_.log) events_.log(line);
}

Status Transport::Start() {
  CAIRN_RETURN_IF_ERROR(tls_status_.Annotate("TLS identity"));
  if (!config_.listen.empty()) {
    CAIRN_ASSIGN_OR_RETURN(tcp::endpoint endpoint, ParseEndpoint(config_.listen));
    boost::system::error_code ec;
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) return Status::Unavailable("cannot listen for peers on " + config_.listen + ": " + ec.message());
    listen_port_ = acceptor_.local_endpoint().port();
    Accept();
  }
  for (const DialTarget& target : config_.dial) {
    if (target.key == own_key_) continue;
    auto dialer = std::make_shared<Dialer>(io_, target);
    dialers_.push_back(dialer);
    Dial(dialer);
  }
  CheckLiveness();
  return Status::Ok();
}

void Transport::CheckLiveness() {
  if (stopped_) return;
  const auto now = std::chrono::steady_clock::now();
  const auto idle = std::chrono::milliseconds(config_.limits.idle_timeout_ms);
  std::vector<std::shared_ptr<Connection>> silent;
  std::shared_ptr<const Bytes> keepalive;
  for (auto& [key, link] : links_) {
    if (link->quiet_in(now) >= idle) {
      silent.push_back(link);
    } else if (link->quiet_out(now) >= idle / 4) {
      if (!keepalive) {
        v1::PeerMessage status;
        status.mutable_status()->set_committed_height(events_.committed_height ? events_.committed_height() : 0);
        status.mutable_status()->set_epoch(events_.epoch ? events_.epoch() : 0);
        status.mutable_status()->set_blocks_from(events_.blocks_from ? events_.blocks_from() : 0);
        keepalive = std::make_shared<const Bytes>(EncodeFrame(status));
      }
      SendOn(*link, keepalive, "status");
    }
  }
  for (auto& link : silent) {
    link->Close(CloseReason::kIdle, "nothing received for " + std::to_string(config_.limits.idle_timeout_ms) + " ms");
  }
  liveness_timer_.expires_after(idle / 4);
  liveness_timer_.async_wait([this](boost::system::error_code ec) {
    if (!ec) CheckLiveness();
  });
}

void Transport::Stop() {
  stopped_ = true;
  liveness_timer_.cancel();
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  for (auto& dialer : dialers_) dialer->timer.cancel();
  std::vector<std::shared_ptr<Connection>> all;
  for (auto& [key, link] : links_) all.push_back(link);
  for (auto& [ptr, p] : pending_) all.push_back(p.link);
  for (auto& link : all) link->Close(CloseReason::kLocal, "node stopping");
}

void Transport::Accept() {
  acceptor_.async_accept([this](boost::system::error_code ec, tcp::socket socket) {
    if (stopped_ || ec == asio::error::operation_aborted) return;
    if (!ec) {
      if (pending_inbound_ >= config_.max_pending_inbound) {
        Count(CloseReason::kFlood);
        boost::system::error_code ignored;
        socket.close(ignored);
      } else {
        auto link = std::make_shared<Connection>(Connection::Stream(std::move(socket), tls_), false, config_.limits);
        Authenticate(link, nullptr);
      }
    }
    Accept();
  });
}

void Transport::SetDialTargets(std::vector<DialTarget> targets) {
  asio::post(io_, [this, targets = std::move(targets)] {
    if (stopped_) return;
    auto same = [](const DialTarget& a, const DialTarget& b) { return a.key == b.key && a.address == b.address; };
    std::vector<std::shared_ptr<Dialer>> kept;
    for (auto& dialer : dialers_) {
      if (std::any_of(targets.begin(), targets.end(), [&](const DialTarget& t) { return same(t, dialer->target); })) {
        kept.push_back(dialer);
      } else {
        dialer->retired = true;
        dialer->timer.cancel();
      }
    }
    for (const DialTarget& target : targets) {
      if (target.key == own_key_ ||
          std::any_of(kept.begin(), kept.end(), [&](const auto& d) { return same(d->target, target); })) {
        continue;
      }
      kept.push_back(std::make_shared<Dialer>(io_, target));
      Dial(kept.back());
    }
    dialers_ = std::move(kept);
  });
}

void Transport::Dial(std::shared_ptr<Dialer> dialer) {
  if (stopped_ || dialer->retired || links_.count(dialer->target.key)) {
    dialer->busy = false;
    return;
  }
  dialer->busy = true;
  auto endpoint = ParseEndpoint(dialer->target.address);
  if (!endpoint.ok()) {
    Log("peer " + dialer->target.address + ": " + endpoint.status().message());
    dialer->busy = false;
    return;
  }
  auto socket = std::make_shared<tcp::socket>(io_);
  socket->async_connect(*endpoint, [this, dialer, socket](boost::system::error_code ec) {
    if (stopped_) return;
    if (ec) return RetryLater(dialer);
    auto link = std::make_shared<Connection>(Connection::Stream(std::move(*socket), tls_), true, config_.limits);
    Authenticate(link, dialer);
  });
}

void Transport::RetryLater(std::shared_ptr<Dialer> dialer) {
  if (stopped_) return;
  if (dialer->retired) {
    dialer->busy = false;
    return;
  }
  dialer->busy = true;
  // Exponential back-off with jitter, so that restarted nodes do not all knock at once.
  dialer->backoff_ms = std::clamp(dialer->backoff_ms * 2, config_.reconnect_min_ms, config_.reconnect_max_ms);
  const double factor = 0.75 + 0.5 * std::uniform_real_distribution<double>(0, 1)(jitter_);
  dialer->timer.expires_after(std::chrono::milliseconds(static_cast<uint64_t>(dialer->backoff_ms * factor)));
  dialer->timer.async_wait([this, dialer](boost::system::error_code ec) {
    if (!ec) Dial(dialer);
  });
}

void Transport::Authenticate(std::shared_ptr<Connection> link, std::shared_ptr<Dialer> dialer) {
  pending_[link.get()] = {link, dialer};
  if (!dialer) ++pending_inbound_;
  link->Handshake([this, link, dialer](Result<crypto::PublicKey> key) {
    if (stopped_) return;
    auto forget = [&] {
      if (pending_.erase(link.get()) && !dialer) --pending_inbound_;
      if (dialer) RetryLater(dialer);
    };
    if (!key.ok()) {
      Count(CloseReason::kRefused);
      Log("refused " + link->remote() + ": " + key.status().message());
      return forget();
    }
    std::string why;
    if (!config_.allowed(*key)) why = "key " + key->hex() + " is not a validator or an allowed observer";
    if (dialer && *key != dialer->target.key) why = "dialed " + dialer->target.key.hex() + " but it presented " + key->hex();
    if (*key == own_key_) why = "it is this node";
    if (!why.empty()) {
      Log("refused peer " + link->remote() + ": " + why);
      link->Close(CloseReason::kRefused, why);
      Count(CloseReason::kRefused);
      return forget();
    }
    link->Start({.on_message = [this](Connection& c, v1::PeerMessage m) { OnMessage(c, std::move(m)); },
                 .on_closed = [this](Connection& c, CloseReason r, const std::string& d) { OnClosed(c, r, d); }});
    v1::PeerMessage hello;
    hello.mutable_hello()->set_genesis_hash(config_.genesis_hash);
    hello.mutable_hello()->set_committed_height(events_.committed_height ? events_.committed_height() : 0);
    hello.mutable_hello()->set_epoch(events_.epoch ? events_.epoch() : 0);
    hello.mutable_hello()->set_blocks_from(events_.blocks_from ? events_.blocks_from() : 0);
    hello.mutable_hello()->set_agent(config_.agent);
    hello.mutable_hello()->set_boot_id(boot_id_);
    SendOn(*link, std::make_shared<const Bytes>(EncodeFrame(hello)), "hello");
  });
}

// Of two links to one peer, both sides keep the one dialed by the lower key, so they
// agree without talking about it.
bool Transport::Preferred(const Connection& a, const Connection& b) const {
  const crypto::PublicKey& dialer_a = a.outbound() ? own_key_ : a.peer_key();
  const crypto::PublicKey& dialer_b = b.outbound() ? own_key_ : b.peer_key();
  if (dialer_a == dialer_b) return true;  // the same side redialed: the newer one lives
  return dialer_a < dialer_b;
}

void Transport::OnMessage(Connection& link, v1::PeerMessage message) {
  const crypto::PublicKey key = link.peer_key();
  auto pending = pending_.find(&link);
  if (pending != pending_.end()) {
    if (!message.has_hello()) return link.Close(CloseReason::kMalformed, "first message is not hello");
    if (message.hello().genesis_hash() != config_.genesis_hash) {
      Log("peer " + key.hex().substr(0, 16) + " at " + link.remote() + " is on another chain (genesis " +
          ToHex(message.hello().genesis_hash()).substr(0, 16) + ")");
      return link.Close(CloseReason::kWrongChain, "another chain");
    }
    Pending p = pending->second;
    pending_.erase(pending);
    link.Established();
    if (!p.dialer) --pending_inbound_;
    link.set_peer_boot_id(message.hello().boot_id());
    auto existing = links_.find(key);
    if (existing != links_.end() && existing->second->open()) {
      // Two live links to one peer: both sides dialed at once, and both keep the same
      // one (Preferred). But a peer that restarted, whose old link we have not yet
      // seen close (no FIN came: power loss, a cut), is on a new boot id: its new link
      // wins, or it would be refused until the old one timed out.
      const bool restarted = existing->second->peer_boot_id() != message.hello().boot_id();
      if (!restarted && !Preferred(link, *existing->second)) {
        return link.Close(CloseReason::kDuplicate, "already linked");
      }
      auto old = existing->second;
      existing->second = p.link;  // first, so that closing the old one is not a disconnect
      old->Close(CloseReason::kDuplicate, restarted ? "the peer restarted" : "replaced by a newer link");
      if (restarted) {
        Log("peer " + key.hex().substr(0, 16) + " restarted: its new link (" + link.remote() + ") replaces the old one");
        // What was asked of the old process will not be answered; what it announced
        // may no longer hold.
        if (events_.on_disconnected) events_.on_disconnected(key);
        if (events_.on_connected) events_.on_connected(key, message.hello());
      }
    } else {
      links_[key] = p.link;
      Publish();
      Log("peer " + key.hex().substr(0, 16) + " connected (" + (link.outbound() ? "dialed " : "from ") + link.remote() +
          ", height " + std::to_string(message.hello().committed_height()) + ")");
      if (events_.on_connected) events_.on_connected(key, message.hello());
    }
    if (p.dialer) {
      p.dialer->busy = false;
      p.dialer->backoff_ms = 0;
    }
    CountIn("hello");
    return;
  }
  if (message.has_hello()) return link.Close(CloseReason::kMalformed, "second hello");
  CountIn(MessageKind(message));
  if (events_.on_message) events_.on_message(key, std::move(message));
}

void Transport::OnClosed(Connection& link, CloseReason reason, const std::string& detail) {
  Count(reason);
  const crypto::PublicKey key = link.peer_key();
  auto pending = pending_.find(&link);
  if (pending != pending_.end()) {
    auto dialer = pending->second.dialer;
    if (!dialer) --pending_inbound_;
    pending_.erase(pending);
    if (dialer && !stopped_) RetryLater(dialer);
    return;
  }
  auto it = links_.find(key);
  if (it == links_.end() || it->second.get() != &link) return;  // a duplicate went away
  links_.erase(it);
  Publish();
  if (reason != CloseReason::kLocal) {
    Log("peer " + key.hex().substr(0, 16) + " disconnected: " + CloseReasonName(reason) + " (" + detail + ")");
  }
  if (events_.on_disconnected) events_.on_disconnected(key);
  if (stopped_) return;
  for (auto& dialer : dialers_) {
    if (dialer->target.key == key && !dialer->busy) RetryLater(dialer);
  }
}

void Transport::SendOn(Connection& link, std::shared_ptr<const Bytes> frame, const char* kind) {
  const bool queued = link.Send(std::move(frame));
  std::lock_guard lock(counters_mutex_);
  if (queued) {
    ++counters_.messages_out[kind];
  } else {
    ++counters_.send_queue_drops;
  }
}

void Transport::Send(const crypto::PublicKey& to, const v1::PeerMessage& message) {
  auto frame = std::make_shared<const Bytes>(EncodeFrame(message));
  const char* kind = MessageKind(message);
  asio::post(io_, [this, to, frame, kind] {
    auto it = links_.find(to);
    if (it != links_.end()) SendOn(*it->second, frame, kind);
  });
}

void Transport::SendToEach(const std::vector<crypto::PublicKey>& to, const v1::PeerMessage& message) {
  auto frame = std::make_shared<const Bytes>(EncodeFrame(message));
  const char* kind = MessageKind(message);
  asio::post(io_, [this, to, frame, kind] {
    for (const crypto::PublicKey& key : to) {
      auto it = links_.find(key);
      if (it != links_.end()) SendOn(*it->second, frame, kind);
    }
  });
}

void Transport::Broadcast(const v1::PeerMessage& message, std::optional<crypto::PublicKey> except) {
  auto frame = std::make_shared<const Bytes>(EncodeFrame(message));
  const char* kind = MessageKind(message);
  asio::post(io_, [this, except, frame, kind] {
    for (auto& [key, link] : links_) {
      if (!except || key != *except) SendOn(*link, frame, kind);
    }
  });
}

void Transport::Publish() {
  std::lock_guard lock(counters_mutex_);
  connected_.clear();
  for (auto& [key, link] : links_) connected_.push_back(key);
}

void Transport::Count(CloseReason reason) {
  std::lock_guard lock(counters_mutex_);
  ++counters_.disconnects[CloseReasonName(reason)];
}

void Transport::CountIn(const char* kind) {
  std::lock_guard lock(counters_mutex_);
  ++counters_.messages_in[kind];
}

std::vector<crypto::PublicKey> Transport::ConnectedPeers() const {
  std::lock_guard lock(counters_mutex_);
  return connected_;
}

TransportCounters Transport::Counters() const {
  std::lock_guard lock(counters_mutex_);
  TransportCounters copy = counters_;
  copy.peers_connected = connected_.size();
  return copy;
}

}  // namespace cairn::net
