#include "node/pkcs11_token.h"

#include <dlfcn.h>
#include <p11-kit/pkcs11.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <mutex>
#include <optional>
#include <vector>

namespace cairn::node {

namespace {

std::string ReturnName(CK_RV rv) {
  switch (rv) {
    case CKR_GENERAL_ERROR: return "CKR_GENERAL_ERROR";
    case CKR_FUNCTION_FAILED: return "CKR_FUNCTION_FAILED";
    case CKR_ARGUMENTS_BAD: return "CKR_ARGUMENTS_BAD";
    case CKR_DEVICE_ERROR: return "CKR_DEVICE_ERROR";
    case CKR_DEVICE_MEMORY: return "CKR_DEVICE_MEMORY";
    case CKR_DEVICE_REMOVED: return "CKR_DEVICE_REMOVED";
    case CKR_KEY_HANDLE_INVALID: return "CKR_KEY_HANDLE_INVALID";
    case CKR_MECHANISM_INVALID: return "CKR_MECHANISM_INVALID";
    case CKR_OBJECT_HANDLE_INVALID: return "CKR_OBJECT_HANDLE_INVALID";
    case CKR_OPERATION_ACTIVE: return "CKR_OPERATION_ACTIVE";
    case CKR_PIN_INCORRECT: return "CKR_PIN_INCORRECT";
    case CKR_PIN_LOCKED: return "CKR_PIN_LOCKED";
    case CKR_SESSION_CLOSED: return "CKR_SESSION_CLOSED";
    case CKR_SESSION_HANDLE_INVALID: return "CKR_SESSION_HANDLE_INVALID";
    case CKR_TOKEN_NOT_PRESENT: return "CKR_TOKEN_NOT_PRESENT";
    case CKR_TOKEN_NOT_RECOGNIZED: return "CKR_TOKEN_NOT_RECOGNIZED";
    case CKR_USER_NOT_LOGGED_IN: return "CKR_USER_NOT_LOGGED_IN";
    case CKR_CRYPTOKI_NOT_INITIALIZED: return "CKR_CRYPTOKI_NOT_INITIALIZED";
    case CKR_ATTRIBUTE_VALUE_INVALID: return "CKR_ATTRIBUTE_VALUE_INVALID";
    case CKR_CURVE_NOT_SUPPORTED: return "CKR_CURVE_NOT_SUPPORTED";
    default: {
      char hex[32];
      std::snprintf(hex, sizeof(hex), "CKR 0x%08lx", static_cast<unsigned long>(rv));
      return hex;
    }
  }
}

Status CallFailed(const std::string& what, CK_RV rv) {
  const std::string message = what + ": " + ReturnName(rv);
  switch (rv) {
    case CKR_PIN_INCORRECT:
    case CKR_PIN_LOCKED:
      return Status::PermissionDenied(message);
    case CKR_ARGUMENTS_BAD:
    case CKR_ATTRIBUTE_VALUE_INVALID:
    case CKR_MECHANISM_INVALID:
    case CKR_CURVE_NOT_SUPPORTED:
      return Status::InvalidArgument(message);
    default:
      // The device, the session or the module: worth opening again later.
      return Status::Unavailable(message);
  }
}

// The token's DER of CKA_EC_PARAMS for Ed25519: the curve name as a PrintableString,
// which PKCS#11 3.0 allows beside the OID and SoftHSM2 2.6 and opensc both accept.
constexpr CK_BYTE kEd25519Params[] = {0x13, 0x0c, 'e', 'd', 'w', 'a', 'r', 'd', 's', '2', '5', '5', '1', '9'};
// The same curve by its OID (id-Ed25519, 1.3.101.112), which some modules want instead.
constexpr CK_BYTE kEd25519Oid[] = {0x06, 0x03, 0x2b, 0x65, 0x70};

// The registry of loaded modules; also held while a module is finalised, so that a Load
// of the same path never meets one half torn down.
std::mutex& ModulesMutex() {
  static std::mutex mu;
  return mu;
}

std::string Trimmed(const unsigned char* padded, size_t size) {
  std::string s(reinterpret_cast<const char*>(padded), size);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\0')) s.pop_back();
  return s;
}

}  // namespace

// One loaded and initialised module. Shared by every open token of the process; the
// last one to close it finalises and unloads it, so that a later Open starts afresh
// (SoftHSM2 reads its configuration at C_Initialize).
class Pkcs11Module {
 public:
  static Result<std::shared_ptr<Pkcs11Module>> Load(const std::string& path) {
    static std::map<std::string, std::weak_ptr<Pkcs11Module>> loaded;
    std::lock_guard lock(ModulesMutex());
    if (auto existing = loaded[path].lock()) return existing;
    void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) return Status::NotFound("cannot load PKCS#11 module " + path + ": " + ::dlerror());
    auto get_list = reinterpret_cast<CK_C_GetFunctionList>(::dlsym(handle, "C_GetFunctionList"));
    CK_FUNCTION_LIST_PTR functions = nullptr;
    if (get_list == nullptr || get_list(&functions) != CKR_OK || functions == nullptr) {
      ::dlclose(handle);
      return Status::InvalidArgument(path + " is not a PKCS#11 module (no usable C_GetFunctionList)");
    }
    CK_C_INITIALIZE_ARGS args{};
    args.flags = CKF_OS_LOCKING_OK;
    const CK_RV rv = functions->C_Initialize(&args);
    if (rv != CKR_OK && rv != CKR_CRYPTOKI_ALREADY_INITIALIZED) {
      ::dlclose(handle);
      return CallFailed("initialising PKCS#11 module " + path, rv);
    }
    auto module = std::shared_ptr<Pkcs11Module>(new Pkcs11Module(handle, functions, rv == CKR_OK));
    loaded[path] = module;
    return module;
  }

  ~Pkcs11Module() {
    std::lock_guard lock(ModulesMutex());
    if (finalize_) f->C_Finalize(nullptr);
    ::dlclose(handle_);
  }

  CK_FUNCTION_LIST_PTR const f;

 private:
  Pkcs11Module(void* handle, CK_FUNCTION_LIST_PTR functions, bool finalize)
      : f(functions), handle_(handle), finalize_(finalize) {}
  void* const handle_;
  const bool finalize_;  // this process initialised it (not another library)
};

namespace {

// The slots with a token present, and the one whose token is labelled `label` (or the
// first one with an uninitialised token, for an empty label).
struct Slots {
  size_t present = 0;
  std::optional<CK_SLOT_ID> found;
};
Result<Slots> FindSlot(CK_FUNCTION_LIST_PTR f, const std::string& label) {
  CK_ULONG count = 0;
  if (CK_RV rv = f->C_GetSlotList(CK_TRUE, nullptr, &count); rv != CKR_OK) return CallFailed("listing slots", rv);
  std::vector<CK_SLOT_ID> slots(count);
  if (CK_RV rv = f->C_GetSlotList(CK_TRUE, slots.data(), &count); rv != CKR_OK) return CallFailed("listing slots", rv);
  slots.resize(count);
  Slots out{.present = slots.size()};
  for (CK_SLOT_ID s : slots) {
    CK_TOKEN_INFO info;
    if (f->C_GetTokenInfo(s, &info) != CKR_OK) continue;
    const bool initialised = (info.flags & CKF_TOKEN_INITIALIZED) != 0;
    if (label.empty() ? !initialised : initialised && Trimmed(info.label, sizeof(info.label)) == label) {
      out.found = s;
      break;
    }
  }
  return out;
}

}  // namespace

Status Pkcs11Token::InitToken(const TokenAddress& address, const std::string& so_pin) {
  if (address.token_label.empty() || address.token_label.size() > 32) {
    return Status::InvalidArgument("a token's label is 1 to 32 bytes");
  }
  CAIRN_ASSIGN_OR_RETURN(std::shared_ptr<Pkcs11Module> module, Pkcs11Module::Load(address.module));
  CK_FUNCTION_LIST_PTR f = module->f;
  CAIRN_ASSIGN_OR_RETURN(Slots existing, FindSlot(f, address.token_label));
  if (existing.found) return Status::AlreadyExists("a token labelled '" + address.token_label + "' exists already");
  CAIRN_ASSIGN_OR_RETURN(Slots free, FindSlot(f, ""));
  if (!free.found) return Status::NotFound("no free token slot in " + address.module);
  CK_UTF8CHAR label[32];
  std::fill(std::begin(label), std::end(label), ' ');
  std::copy(address.token_label.begin(), address.token_label.end(), label);
  std::string so = so_pin;
  std::string user = address.pin;
  if (CK_RV rv = f->C_InitToken(*free.found, reinterpret_cast<CK_UTF8CHAR_PTR>(so.data()), so.size(), label);
      rv != CKR_OK) {
    return CallFailed("initialising token '" + address.token_label + "'", rv);
  }
  // The module may move the new token to another slot id (SoftHSM2 does).
  CAIRN_ASSIGN_OR_RETURN(Slots made, FindSlot(f, address.token_label));
  if (!made.found) return Status::Internal("token '" + address.token_label + "' is not found after initialising it");
  CK_SESSION_HANDLE session = 0;
  if (CK_RV rv = f->C_OpenSession(*made.found, CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr, nullptr, &session);
      rv != CKR_OK) {
    return CallFailed("opening a session on the new token", rv);
  }
  Status status;
  if (CK_RV rv = f->C_Login(session, CKU_SO, reinterpret_cast<CK_UTF8CHAR_PTR>(so.data()), so.size()); rv != CKR_OK) {
    status = CallFailed("logging in to the new token as its security officer", rv);
  } else {
    rv = f->C_InitPIN(session, reinterpret_cast<CK_UTF8CHAR_PTR>(user.data()), user.size());
    if (rv != CKR_OK) status = CallFailed("setting the user PIN of the new token", rv);
    f->C_Logout(session);
  }
  f->C_CloseSession(session);
  return status;
}

Result<std::unique_ptr<Pkcs11Token>> Pkcs11Token::Open(const TokenAddress& address) {
  if (address.token_label.empty()) return Status::InvalidArgument("a token is named by its label");
  CAIRN_ASSIGN_OR_RETURN(std::shared_ptr<Pkcs11Module> module, Pkcs11Module::Load(address.module));
  CK_FUNCTION_LIST_PTR f = module->f;
  CAIRN_ASSIGN_OR_RETURN(Slots slots, FindSlot(f, address.token_label));
  if (!slots.found) {
    return Status::NotFound("no token labelled '" + address.token_label + "' in " + address.module + " (" +
                            std::to_string(slots.present) + " slots with a token)");
  }
  const CK_SLOT_ID slot = *slots.found;
  CK_SESSION_HANDLE session = 0;
  if (CK_RV rv = f->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr, nullptr, &session);
      rv != CKR_OK) {
    return CallFailed("opening a session on token '" + address.token_label + "'", rv);
  }
  std::unique_ptr<Pkcs11Token> token(new Pkcs11Token(std::move(module), session));
  std::string pin = address.pin;
  const CK_RV rv = f->C_Login(session, CKU_USER, reinterpret_cast<CK_UTF8CHAR_PTR>(pin.data()), pin.size());
  // Logged in already: another session of this process is (a login is per application).
  if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN) {
    return CallFailed("logging in to token '" + address.token_label + "'", rv);
  }
  return token;
}

Pkcs11Token::Pkcs11Token(std::shared_ptr<Pkcs11Module> module, unsigned long session)
    : module_(std::move(module)), session_(session) {}

Pkcs11Token::~Pkcs11Token() {
  if (!session_gone_) module_->f->C_CloseSession(session_);
}

Status Pkcs11Token::Failed(const std::string& what, unsigned long rv) {
  if (rv == CKR_SESSION_HANDLE_INVALID || rv == CKR_SESSION_CLOSED || rv == CKR_DEVICE_REMOVED ||
      rv == CKR_TOKEN_NOT_PRESENT) {
    session_gone_ = true;
  }
  return CallFailed(what, rv);
}

Result<std::vector<unsigned long>> Pkcs11Token::Find(unsigned long object_class, const std::string& label,
                                                     ByteView id) {
  CK_FUNCTION_LIST_PTR f = module_->f;
  CK_OBJECT_CLASS wanted = object_class;
  CK_KEY_TYPE type = CKK_EC_EDWARDS;
  std::string label_copy = label;
  Bytes id_copy(id);
  std::vector<CK_ATTRIBUTE> query = {{CKA_CLASS, &wanted, sizeof(wanted)}, {CKA_KEY_TYPE, &type, sizeof(type)}};
  if (!label.empty()) {
    query.push_back({CKA_LABEL, label_copy.data(), label_copy.size()});
  } else {
    query.push_back({CKA_ID, id_copy.data(), id_copy.size()});
  }
  if (CK_RV rv = f->C_FindObjectsInit(session_, query.data(), query.size()); rv != CKR_OK) {
    return Failed("searching the token", rv);
  }
  std::vector<CK_OBJECT_HANDLE> found(2);
  CK_ULONG n = 0;
  const CK_RV rv = f->C_FindObjects(session_, found.data(), found.size(), &n);
  f->C_FindObjectsFinal(session_);
  if (rv != CKR_OK) return Failed("searching the token", rv);
  return std::vector<unsigned long>(found.begin(), found.begin() + static_cast<long>(n));
}

Result<TokenKey> Pkcs11Token::FindKey(const std::string& label, ByteView id) {
  const std::string named = label.empty() ? "with id " + ToHex(id) : "labelled '" + label + "'";
  CAIRN_ASSIGN_OR_RETURN(auto privates, Find(CKO_PRIVATE_KEY, label, id));
  CAIRN_ASSIGN_OR_RETURN(auto publics, Find(CKO_PUBLIC_KEY, label, id));
  if (privates.empty()) return Status::NotFound("no Ed25519 private key " + named + " on the token");
  if (publics.empty()) return Status::NotFound("no Ed25519 public key " + named + " on the token");
  if (privates.size() > 1 || publics.size() > 1) {
    return Status::InvalidArgument("more than one Ed25519 key pair " + named + " on the token: name it by id");
  }
  TokenKey key{.handle = privates[0]};
  CAIRN_ASSIGN_OR_RETURN(key.public_key, PublicKeyOf(publics[0]));
  key.label = label;
  key.id.assign(id.begin(), id.end());
  return key;
}

Result<crypto::PublicKey> Pkcs11Token::PublicKeyOf(unsigned long public_handle) {
  CK_FUNCTION_LIST_PTR f = module_->f;
  CK_ATTRIBUTE point{CKA_EC_POINT, nullptr, 0};
  if (CK_RV rv = f->C_GetAttributeValue(session_, public_handle, &point, 1); rv != CKR_OK) {
    return Failed("reading the public key", rv);
  }
  if (point.ulValueLen > 64) return Status::InvalidArgument("the token's public key is not an Ed25519 key");
  Bytes value(point.ulValueLen, 0);
  point.pValue = value.data();
  if (CK_RV rv = f->C_GetAttributeValue(session_, public_handle, &point, 1); rv != CKR_OK) {
    return Failed("reading the public key", rv);
  }
  // A DER OCTET STRING (04 20, then the key), as PKCS#11 3.0 says; some modules give the
  // 32 bytes bare.
  ByteView raw(value);
  if (raw.size() == 34 && raw[0] == 0x04 && raw[1] == 0x20) raw = raw.substr(2);
  if (raw.size() != 32) return Status::InvalidArgument("the token's public key is not an Ed25519 key");
  return crypto::PublicKey::FromBytes(raw);
}

Result<TokenKey> Pkcs11Token::GenerateKey(const std::string& label, ByteView id) {
  if (label.empty()) return Status::InvalidArgument("a key made in a token needs a label");
  for (CK_OBJECT_CLASS object_class : {CKO_PRIVATE_KEY, CKO_PUBLIC_KEY}) {
    CAIRN_ASSIGN_OR_RETURN(auto existing, Find(object_class, label, {}));
    if (!existing.empty()) return Status::AlreadyExists("the token already has a key labelled '" + label + "'");
  }
  CK_FUNCTION_LIST_PTR f = module_->f;
  CK_MECHANISM mechanism{CKM_EC_EDWARDS_KEY_PAIR_GEN, nullptr, 0};
  CK_BBOOL yes = CK_TRUE;
  CK_BBOOL no = CK_FALSE;
  std::string label_copy = label;
  Bytes id_copy(id.begin(), id.end());
  CK_BYTE params[sizeof(kEd25519Params)];
  std::copy(std::begin(kEd25519Params), std::end(kEd25519Params), params);
  CK_ATTRIBUTE public_template[] = {
      {CKA_TOKEN, &yes, sizeof(yes)},
      {CKA_VERIFY, &yes, sizeof(yes)},
      {CKA_EC_PARAMS, params, sizeof(params)},
      {CKA_LABEL, label_copy.data(), label_copy.size()},
      {CKA_ID, id_copy.data(), id_copy.size()},
  };
  CK_ATTRIBUTE private_template[] = {
      {CKA_TOKEN, &yes, sizeof(yes)},
      {CKA_PRIVATE, &yes, sizeof(yes)},
      {CKA_SENSITIVE, &yes, sizeof(yes)},
      {CKA_EXTRACTABLE, &no, sizeof(no)},
      {CKA_SIGN, &yes, sizeof(yes)},
      {CKA_LABEL, label_copy.data(), label_copy.size()},
      {CKA_ID, id_copy.data(), id_copy.size()},
  };
  CK_OBJECT_HANDLE public_handle = 0;
  CK_OBJECT_HANDLE private_handle = 0;
  CK_RV rv = f->C_GenerateKeyPair(session_, &mechanism, public_template, std::size(public_template), private_template,
                                  std::size(private_template), &public_handle, &private_handle);
  if (rv == CKR_ATTRIBUTE_VALUE_INVALID || rv == CKR_CURVE_NOT_SUPPORTED || rv == CKR_DOMAIN_PARAMS_INVALID) {
    CK_BYTE oid[sizeof(kEd25519Oid)];
    std::copy(std::begin(kEd25519Oid), std::end(kEd25519Oid), oid);
    public_template[2] = {CKA_EC_PARAMS, oid, sizeof(oid)};
    rv = f->C_GenerateKeyPair(session_, &mechanism, public_template, std::size(public_template), private_template,
                              std::size(private_template), &public_handle, &private_handle);
  }
  if (rv != CKR_OK) return Failed("generating an Ed25519 key pair in the token", rv);
  TokenKey key{.handle = private_handle, .label = label, .id = std::move(id_copy)};
  CAIRN_ASSIGN_OR_RETURN(key.public_key, PublicKeyOf(public_handle));
  return key;
}

Result<Bytes> Pkcs11Token::Sign(const TokenKey& key, ByteView message) {
  CK_FUNCTION_LIST_PTR f = module_->f;
  CK_MECHANISM mechanism{CKM_EDDSA, nullptr, 0};
  if (CK_RV rv = f->C_SignInit(session_, &mechanism, key.handle); rv != CKR_OK) return Failed("signing", rv);
  Bytes signature(64, 0);
  CK_ULONG length = signature.size();
  Bytes data(message);
  if (CK_RV rv = f->C_Sign(session_, reinterpret_cast<CK_BYTE_PTR>(data.data()), data.size(),
                           reinterpret_cast<CK_BYTE_PTR>(signature.data()), &length);
      rv != CKR_OK) {
    return Failed("signing", rv);
  }
  if (length != 64) return Status::Internal("the token returned a " + std::to_string(length) + "-byte signature");
  return signature;
}

}  // namespace cairn::node
