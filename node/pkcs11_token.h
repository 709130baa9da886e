// A logged-in session on a PKCS#11 token, for Ed25519 keys (CKK_EC_EDWARDS, CKM_EDDSA).
//
// The module (an HSM vendor's library, or SoftHSM2's) is loaded at run time with
// dlopen and initialised with OS locking, so that sessions of one module may live on
// several threads (the node's signer thread, a CLI command); it stays initialised while
// any token or signer holds it (TokenSigner holds it for its life). The
// header is p11-kit's, the module's functions reached through C_GetFunctionList: no
// PKCS#11 library is linked.
//
// This is the raw token: every call is one or two PKCS#11 calls and an error is a
// Status naming the CKR_ code. What to do about errors (reopen, back off, stay silent)
// is TokenSigner's business (node/token_signer.h).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "crypto/bytes.h"
#include "crypto/ed25519.h"
#include "crypto/status.h"

namespace cairn::node {

class Pkcs11Module;

// Which token and how to log in.
struct TokenAddress {
  std::string module;       // path (or loader name) of the PKCS#11 module
  std::string token_label;  // CKA_LABEL of the token (padded with spaces on the token)
  std::string pin;          // the user PIN
};

// A key pair on the token: the private key's handle and the public key it matches.
struct TokenKey {
  unsigned long handle = 0;  // CK_OBJECT_HANDLE of the private key
  crypto::PublicKey public_key;
  std::string label;
  Bytes id;
};

class Pkcs11Token {
 public:
  // Loads the module (once per process), finds the token by label, opens a read-write
  // session and logs in as the user. A wrong PIN is PermissionDenied; a missing token
  // or module is NotFound or Unavailable.
  static Result<std::unique_ptr<Pkcs11Token>> Open(const TokenAddress& address);
  // Initialises a free slot of `address.module` as a new token labelled
  // `address.token_label`, with `so_pin` for its security officer and `address.pin` for
  // its user: for devnets and tests (an HSM's tokens are set up with its vendor's tools).
  static Status InitToken(const TokenAddress& address, const std::string& so_pin);
  ~Pkcs11Token();
  Pkcs11Token(const Pkcs11Token&) = delete;
  Pkcs11Token& operator=(const Pkcs11Token&) = delete;

  // The Ed25519 key pair with this label, or with this CKA_ID when `label` is empty.
  // NotFound when none; InvalidArgument when the label names several.
  Result<TokenKey> FindKey(const std::string& label, ByteView id);
  // Generates an Ed25519 key pair inside the token (the private key sensitive and never
  // extractable), labelled `label`, with `id` as CKA_ID. AlreadyExists when a key with
  // that label is there.
  Result<TokenKey> GenerateKey(const std::string& label, ByteView id);
  // Signs `message` with the private key of `key` (CKM_EDDSA, pure Ed25519).
  Result<Bytes> Sign(const TokenKey& key, ByteView message);

  // The loaded module: whoever holds it keeps it initialised (the last holder finalises
  // and unloads it).
  const std::shared_ptr<Pkcs11Module>& module() const { return module_; }

 private:
  Pkcs11Token(std::shared_ptr<Pkcs11Module> module, unsigned long session);
  Result<crypto::PublicKey> PublicKeyOf(unsigned long public_handle);
  // Ed25519 objects of `object_class` (CKO_*) with this label, or this id when `label`
  // is empty; at most two.
  Result<std::vector<unsigned long>> Find(unsigned long object_class, const std::string& label, ByteView id);
  // The Status for a failed call; remembers a session the token no longer knows.
  Status Failed(const std::string& what, unsigned long rv);

  std::shared_ptr<Pkcs11Module> module_;
  unsigned long session_;
  bool session_gone_ = false;  // the token closed it: not closed again (the handle may be reused)
};

}  // namespace cairn::node
