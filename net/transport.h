// The node's links to its peers: listens, dials its targets (reconnecting with
// exponential back-off and jitter), authenticates every link by its TLS key, keeps at
// most one link per peer, exchanges Hello (same chain or goodbye), and delivers frames.
//
// Runs on one io_context thread. Send, Broadcast and Snapshot may be called from any
// thread: they post to it. Events are called on the io thread; a receiver that does
// real work posts it elsewhere.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "net/asio.h"

#include "cairn/v1/p2p.pb.h"
#include "crypto/ed25519.h"
#include "net/connection.h"

namespace cairn::net {

struct DialTarget {
  std::string address;  // host:port
  crypto::PublicKey key;
};

struct TransportConfig {
  std::string listen;  // host:port; empty: do not listen
  std::vector<DialTarget> dial;
  // Keys that may connect (validators of genesis and allowed observers); others are
  // refused after the handshake, and the refusal logged.
  std::function<bool(const crypto::PublicKey&)> allowed;
  Bytes genesis_hash;
  std::string agent = "cairnd";
  LinkLimits limits;
  uint64_t reconnect_min_ms = 100;
  uint64_t reconnect_max_ms = 10'000;
  size_t max_pending_inbound = 64;  // links still in their handshake
};

struct TransportEvents {
  // A peer finished the handshake and said hello.
  std::function<void(const crypto::PublicKey&, const v1::Hello&)> on_connected;
  std::function<void(const crypto::PublicKey&)> on_disconnected;
  std::function<void(const crypto::PublicKey&, v1::PeerMessage)> on_message;
  // One line per noteworthy event (refusals, disconnects): the node's logger.
  std::function<void(const std::string&)> log;
  // The committed height to announce in our Hello.
  std::function<uint64_t()> committed_height;
  std::function<uint64_t()> epoch;  // of the next block (Hello.epoch)
  std::function<uint64_t()> blocks_from;  // Hello.blocks_from
};

struct TransportCounters {
  size_t peers_connected = 0;
  std::map<std::string, uint64_t> disconnects;  // by CloseReason name
  std::map<std::string, uint64_t> messages_in;  // by MessageKind
  std::map<std::string, uint64_t> messages_out;
  uint64_t send_queue_drops = 0;
};

class Transport {
 public:
  Transport(boost::asio::io_context& io, const crypto::PrivateKey& key, TransportConfig config, TransportEvents events);
  ~Transport();

  // Binds the listen address (a clear error if it is busy) and starts dialing.
  Status Start();
  // Closes every link and stops dialing. Call it on the io thread (or with the
  // io_context stopped).
  void Stop();

  // Replaces what it dials (from any thread): a new target is dialed at once; a target
  // that left, or moved to another address, is no longer redialed (its link, if up,
  // stays until it closes).
  void SetDialTargets(std::vector<DialTarget> targets);

  void Send(const crypto::PublicKey& to, const v1::PeerMessage& message);
  // To each of `to` that is connected; the message is serialized once for all.
  void SendToEach(const std::vector<crypto::PublicKey>& to, const v1::PeerMessage& message);
  // To every connected peer but `except`.
  void Broadcast(const v1::PeerMessage& message, std::optional<crypto::PublicKey> except = std::nullopt);

  // The port it listens on (useful when the config asked for port 0).
  uint16_t listen_port() const { return listen_port_; }
  std::vector<crypto::PublicKey> ConnectedPeers() const;
  TransportCounters Counters() const;

 private:
  struct Dialer;
  struct Pending {
    std::shared_ptr<Connection> link;
    std::shared_ptr<Dialer> dialer;  // null for an inbound link
  };
  void Accept();
  void Dial(std::shared_ptr<Dialer> dialer);
  void RetryLater(std::shared_ptr<Dialer> dialer);
  void Authenticate(std::shared_ptr<Connection> link, std::shared_ptr<Dialer> dialer);
  void OnMessage(Connection& link, v1::PeerMessage message);
  void OnClosed(Connection& link, CloseReason reason, const std::string& detail);
  bool Preferred(const Connection& a, const Connection& b) const;
  // Every quarter of the idle timeout: closes links that have been silent for the
  // whole timeout, and sends our ChainStatus on links quiet for a quarter of it, so
  // that a healthy link is never silent even when the chain stands still.
  void CheckLiveness();
  void SendOn(Connection& link, std::shared_ptr<const Bytes> frame, const char* kind);
  void Publish();
  void Count(CloseReason reason);
  void CountIn(const char* kind);
  void Log(const std::string& line);

  boost::asio::io_context& io_;
  boost::asio::ssl::context tls_;
  TransportConfig config_;
  TransportEvents events_;
  Status tls_status_;
  crypto::PublicKey own_key_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer liveness_timer_;
  Bytes boot_id_;  // random per process; sent in our hello
  std::vector<std::shared_ptr<Dialer>> dialers_;
  std::map<crypto::PublicKey, std::shared_ptr<Connection>> links_;  // said hello
  std::map<Connection*, Pending> pending_;                          // not yet
  size_t pending_inbound_ = 0;
  std::mt19937_64 jitter_;
  bool stopped_ = false;
  uint16_t listen_port_ = 0;

  mutable std::mutex counters_mutex_;  // guards the two below, read from other threads
  TransportCounters counters_;
  std::vector<crypto::PublicKey> connected_;
};

// "host:port" to an endpoint (numeric hosts and "localhost").
Result<boost::asio::ip::tcp::endpoint> ParseEndpoint(const std::string& address);

}  // namespace cairn::net
