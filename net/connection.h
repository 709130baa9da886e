// One authenticated, encrypted link to a peer: TLS 1.3 over TCP, frames in and out.
// Lives on the transport's io_context (one thread), so nothing here locks. Everything
// the peer sends is hostile until checked: frame size before allocation, parse, and a
// rate limit; any failure closes the link with the reason.
#pragma once

#include <deque>
#include <functional>
#include <memory>

#include "net/asio.h"

#include "cairn/v1/p2p.pb.h"
#include "crypto/ed25519.h"

namespace cairn::net {

struct LinkLimits {
  uint32_t max_frame_bytes = 12u << 20;
  // The send queue: beyond either bound a message is dropped (and counted), since a
  // peer that does not read must not make us hold unbounded memory. Consensus tolerates
  // lost messages; block sync re-asks.
  size_t max_queued_messages = 4096;
  size_t max_queued_bytes = 64u << 20;
  // Inbound flood limit (token bucket): sustained messages per second and the burst.
  double max_messages_per_second = 20'000;
  double message_burst = 40'000;
  // A handshake (TLS, then the peer's hello) must finish within this.
  uint64_t handshake_timeout_ms = 5'000;
  // An established link that receives nothing for this long is closed (kIdle): its peer
  // is gone without a close (power lost, a cable cut, a black hole) or stuck. The
  // transport keeps healthy links from going quiet (Transport::CheckLiveness).
  uint64_t idle_timeout_ms = 10'000;
};

// Why a link closed, for logs and the disconnect counters.
enum class CloseReason { kLocal, kPeerClosed, kIoError, kMalformed, kOversize, kFlood, kRefused, kWrongChain,
                         kDuplicate, kHandshakeTimeout, kIdle };
const char* CloseReasonName(CloseReason reason);

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  using Stream = boost::asio::ssl::stream<boost::asio::ip::tcp::socket>;
  struct Handlers {
    std::function<void(Connection&, v1::PeerMessage)> on_message;
    std::function<void(Connection&, CloseReason, const std::string& detail)> on_closed;
  };

  Connection(Stream stream, bool outbound, const LinkLimits& limits);

  // TLS handshake (client side when outbound), then reads the peer key from its
  // certificate. `done` gets the key, or the error; the caller decides whether the key
  // may stay.
  void Handshake(std::function<void(Result<crypto::PublicKey>)> done);
  // Starts reading frames and delivering them. The handshake deadline still runs: the
  // peer must also say hello in time (Established).
  void Start(Handlers handlers);
  // The peer said hello: the link is up, the handshake deadline is off.
  void Established() { handshake_timer_.cancel(); }
  // Queues a frame; false (and counted) when the queue is full or the link closed.
  bool Send(std::shared_ptr<const Bytes> frame);
  void Close(CloseReason reason, const std::string& detail);

  bool outbound() const { return outbound_; }
  bool open() const { return open_; }
  const crypto::PublicKey& peer_key() const { return peer_key_; }
  const std::string& remote() const { return remote_; }
  uint64_t dropped_sends() const { return dropped_sends_; }
  // The random id the peer's process chose at start (its hello): a new link that
  // brings another one comes from a restarted peer.
  const Bytes& peer_boot_id() const { return peer_boot_id_; }
  void set_peer_boot_id(Bytes id) { peer_boot_id_ = std::move(id); }
  // Since the last message arrived, and since the last one was queued to send.
  std::chrono::steady_clock::duration quiet_in(std::chrono::steady_clock::time_point now) const {
    return now - last_received_;
  }
  std::chrono::steady_clock::duration quiet_out(std::chrono::steady_clock::time_point now) const {
    return now - last_sent_;
  }

 private:
  void ReadHeader();
  void ReadBody(uint32_t length);
  void WriteNext();
  bool TakeToken();

  Stream stream_;
  bool outbound_;
  LinkLimits limits_;
  Handlers handlers_;
  bool open_ = true;
  crypto::PublicKey peer_key_;
  Bytes peer_boot_id_;
  std::string remote_;
  std::chrono::steady_clock::time_point last_received_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_sent_ = std::chrono::steady_clock::now();
  boost::asio::steady_timer handshake_timer_;
  uint8_t header_[4] = {};
  Bytes body_;
  std::deque<std::shared_ptr<const Bytes>> queue_;
  size_t queued_bytes_ = 0;
  bool writing_ = false;
  // The write in progress (WriteNext): its bytes (one frame, or several joined) and
  // how many queued frames it carries.
  std::shared_ptr<const Bytes> in_write_;
  size_t frames_in_write_ = 0;
  uint64_t dropped_sends_ = 0;
  double tokens_;
  std::chrono::steady_clock::time_point tokens_at_;
};

}  // namespace cairn::net
