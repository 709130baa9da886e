#include "tests/cluster/link_proxy.h"

#include <array>
#include <atomic>

#include "crypto/check.h"

namespace cairn::cluster {

namespace asio = boost::asio;
using asio::ip::tcp;

struct LinkProxies::Link {
  explicit Link(asio::io_context& io, int target_port)
      : acceptor(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0)),
        target(asio::ip::address_v4::loopback(), static_cast<uint16_t>(target_port)) {}
  tcp::acceptor acceptor;
  const tcp::endpoint target;
  std::atomic<LinkCondition> condition{LinkCondition::kOpen};
  std::atomic<uint64_t> delay_ms{0};
  std::atomic<uint64_t> dropped{0};
  std::vector<std::weak_ptr<Session>> sessions;  // on the io thread only
};

// One proxied connection: the dialer's socket and ours to the target, and a pump per
// direction. Either side closing, or a cut, closes both.
struct LinkProxies::Session : std::enable_shared_from_this<Session> {
  Session(asio::io_context& io, std::shared_ptr<Link> link)
      : link(std::move(link)), downstream(io), upstream(io), timers{asio::steady_timer(io), asio::steady_timer(io)} {}

  void Start() {
    auto self = shared_from_this();
    upstream.async_connect(link->target, [self](boost::system::error_code ec) {
      if (ec) return self->Close();
      self->Pump(0, self->downstream, self->upstream);
      self->Pump(1, self->upstream, self->downstream);
    });
  }

  void Pump(int direction, tcp::socket& from, tcp::socket& to) {
    auto self = shared_from_this();
    from.async_read_some(asio::buffer(buffers[direction]), [self, direction, &from, &to](boost::system::error_code ec,
                                                                                         size_t n) {
      if (ec && self->link->condition.load() == LinkCondition::kDropped && from.is_open()) {
        // A black hole swallows closes too: the other side keeps a half-open link, as
        // behind a cut cable, until it notices the silence (or the link heals and its
        // next bytes find this side gone).
        boost::system::error_code ignored;
        from.close(ignored);
        return;
      }
      if (ec) return self->Close();
      switch (self->link->condition.load()) {
        case LinkCondition::kCut:
          return self->Close();
        case LinkCondition::kDropped:
          self->link->dropped += n;
          return self->Pump(direction, from, to);
        case LinkCondition::kDelayed:
          self->timers[direction].expires_after(std::chrono::milliseconds(self->link->delay_ms.load()));
          self->timers[direction].async_wait([self, direction, n, &from, &to](boost::system::error_code) {
            self->Forward(direction, n, from, to);
          });
          return;
        case LinkCondition::kOpen:
          return self->Forward(direction, n, from, to);
      }
    });
  }

  void Forward(int direction, size_t n, tcp::socket& from, tcp::socket& to) {
    auto self = shared_from_this();
    asio::async_write(to, asio::buffer(buffers[direction].data(), n),
                      [self, direction, &from, &to](boost::system::error_code ec, size_t) {
                        if (ec) return self->Close();
                        self->Pump(direction, from, to);
                      });
  }

  void Close() {
    boost::system::error_code ignored;
    downstream.close(ignored);
    upstream.close(ignored);
    for (auto& timer : timers) timer.cancel();
  }

  std::shared_ptr<Link> link;
  tcp::socket downstream;  // from the dialing node
  tcp::socket upstream;    // to the target node
  std::array<asio::steady_timer, 2> timers;
  std::array<std::array<char, 16384>, 2> buffers;
};

LinkProxies::LinkProxies(const std::vector<int>& target_ports) : nodes_(static_cast<int>(target_ports.size())) {
  for (int from = 0; from < nodes_; ++from) {
    for (int to = 0; to < nodes_; ++to) {
      links_.push_back(from == to ? nullptr : std::make_shared<Link>(io_, target_ports[to]));
    }
  }
  for (const auto& link : links_) {
    if (link) Accept(link);
  }
  thread_ = std::thread([this] { io_.run(); });
}

LinkProxies::~LinkProxies() {
  asio::post(io_, [this] {
    for (const auto& link : links_) {
      if (!link) continue;
      link->acceptor.close();
      for (auto& weak : link->sessions) {
        if (auto session = weak.lock()) session->Close();
      }
    }
  });
  // Closing makes every pending operation complete; run() then returns by itself.
  thread_.join();
}

int LinkProxies::Port(int from, int to) const {
  CAIRN_CHECK(from != to && from < nodes_ && to < nodes_);
  return links_[from * nodes_ + to]->acceptor.local_endpoint().port();
}

void LinkProxies::Accept(const std::shared_ptr<Link>& link) {
  auto session = std::make_shared<Session>(io_, link);
  link->acceptor.async_accept(session->downstream, [this, link, session](boost::system::error_code ec) {
    if (ec) return;  // closed
    if (link->condition.load() == LinkCondition::kCut) {
      session->Close();
    } else {
      std::erase_if(link->sessions, [](const std::weak_ptr<Session>& s) { return s.expired(); });
      link->sessions.push_back(session);
      session->Start();
    }
    Accept(link);
  });
}

void LinkProxies::SetOne(int from, int to, LinkCondition condition, uint64_t delay_ms) {
  std::shared_ptr<Link> link = links_[from * nodes_ + to];
  link->delay_ms = delay_ms;
  link->condition = condition;
  if (condition != LinkCondition::kCut) return;
  asio::post(io_, [link] {
    for (auto& weak : link->sessions) {
      if (auto session = weak.lock()) session->Close();
    }
  });
}

void LinkProxies::Set(int a, int b, LinkCondition condition, uint64_t delay_ms) {
  SetOne(a, b, condition, delay_ms);
  SetOne(b, a, condition, delay_ms);
}

void LinkProxies::Partition(const std::vector<int>& side, LinkCondition condition) {
  std::vector<bool> inside(nodes_, false);
  for (int i : side) inside[i] = true;
  for (int a = 0; a < nodes_; ++a) {
    for (int b = a + 1; b < nodes_; ++b) {
      if (inside[a] != inside[b]) Set(a, b, condition);
    }
  }
}

void LinkProxies::HealAll() {
  for (int a = 0; a < nodes_; ++a) {
    for (int b = a + 1; b < nodes_; ++b) Set(a, b, LinkCondition::kOpen);
  }
}

uint64_t LinkProxies::bytes_dropped() const {
  uint64_t total = 0;
  for (const auto& link : links_) total += link ? link->dropped.load() : 0;
  return total;
}

}  // namespace cairn::cluster
