#include "tests/support/forgery.h"

#include <sodium.h>

#include <array>
#include <cstring>

#include "crypto/check.h"
#include "crypto/domain.h"

namespace cairn::test {

namespace {

using Point = std::array<uint8_t, 32>;

Bytes AsBytes(const uint8_t* p) { return Bytes(reinterpret_cast<const char*>(p), 32); }

Point AsPoint(ByteView bytes) {
  CAIRN_CHECK(bytes.size() == 32);
  Point p;
  std::memcpy(p.data(), bytes.data(), p.size());
  return p;
}

Point Add(const Point& a, const Point& b) {
  Point sum;
  CAIRN_CHECK(crypto_core_ed25519_add(sum.data(), a.data(), b.data()) == 0);
  return sum;
}

constexpr Point kIdentity = {0x01};

// A point of order 8 (y = 2707385501144840649318225287225658788936804267575313519463743609750303402022).
Point Order8() {
  return AsPoint(FromHex("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05").value());
}

}  // namespace

std::vector<Bytes> SmallOrderKeys() {
  CAIRN_CHECK(sodium_init() >= 0);
  std::vector<Bytes> keys = {AsBytes(kIdentity.data())};
  Point p = kIdentity;
  for (int k = 1; k < 8; ++k) {
    p = Add(p, Order8());
    keys.push_back(AsBytes(p.data()));
  }
  CAIRN_CHECK(Add(p, Order8()) == kIdentity);  // 8 * T is the identity: these are all
  return keys;
}

std::vector<Bytes> NonCanonicalKeys() {
  std::vector<Bytes> keys;
  for (int i = 0; i <= 18; ++i) {  // y = p + i
    for (uint8_t sign : {0x00, 0x80}) {
      Point y;
      y.fill(0xff);
      y[0] = static_cast<uint8_t>(0xed + i);
      y[31] = static_cast<uint8_t>(0x7f | sign);
      keys.push_back(AsBytes(y.data()));
    }
  }
  return keys;
}

Bytes MixedOrderKey(const crypto::PublicKey& real) {
  CAIRN_CHECK(sodium_init() >= 0);
  return AsBytes(Add(AsPoint(real.bytes()), Order8()).data());
}

Bytes IdentityKey() { return AsBytes(kIdentity.data()); }

Bytes ForgedSignature() { return AsBytes(kIdentity.data()) + Bytes(32, '\0'); }

Bytes SmallOrderRSignature(ByteView seed, ByteView message) {
  CAIRN_CHECK(sodium_init() >= 0 && seed.size() == 32);
  const crypto::PrivateKey key = crypto::PrivateKey::FromSeed(seed).value();
  // a: the clamped first half of SHA-512(seed), reduced mod L.
  uint8_t expanded[64];
  crypto_hash_sha512(expanded, reinterpret_cast<const uint8_t*>(seed.data()), seed.size());
  uint8_t wide[64] = {};
  std::memcpy(wide, expanded, 32);
  wide[0] &= 248;
  wide[31] &= 127;
  wide[31] |= 64;
  Point a;
  crypto_core_ed25519_scalar_reduce(a.data(), wide);
  // k = SHA-512(R || A || M) mod L.
  crypto_hash_sha512_state state;
  crypto_hash_sha512_init(&state);
  crypto_hash_sha512_update(&state, kIdentity.data(), 32);
  crypto_hash_sha512_update(&state, reinterpret_cast<const uint8_t*>(key.public_key().bytes().data()), 32);
  crypto_hash_sha512_update(&state, reinterpret_cast<const uint8_t*>(message.data()), message.size());
  uint8_t digest[64];
  crypto_hash_sha512_final(&state, digest);
  Point k;
  crypto_core_ed25519_scalar_reduce(k.data(), digest);
  // [k * a]B = [k]A = R + [k]A with R the identity.
  Point s;
  crypto_core_ed25519_scalar_mul(s.data(), k.data(), a.data());
  return AsBytes(kIdentity.data()) + AsBytes(s.data());
}

v1::Transaction ForgedTransfer(std::string_view chain_id, ByteView to, uint64_t amount) {
  v1::TxBody body;
  body.set_chain_id(std::string(chain_id));
  body.set_nonce(1);
  body.mutable_transfer()->set_to(Bytes(to));
  body.mutable_transfer()->set_asset("CAIRN");
  body.mutable_transfer()->set_amount(amount);
  v1::Transaction tx;
  tx.set_body(body.SerializeAsString());
  tx.set_public_key(IdentityKey());
  tx.set_signature(ForgedSignature());
  return tx;
}

v1::Transaction WithSmallOrderR(v1::Transaction tx, ByteView seed, std::string_view chain_id) {
  tx.set_signature(SmallOrderRSignature(seed, crypto::DomainMessage(crypto::Purpose::kTransaction, chain_id, tx.body())));
  return tx;
}

}  // namespace cairn::test
