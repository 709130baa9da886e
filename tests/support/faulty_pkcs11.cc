// A PKCS#11 module that is SoftHSM2 until a test tells it to fail: the stand-in for a
// token whose device is pulled out, or that answers with a bad signature, which
// SoftHSM2 alone cannot be made to do.
//
// It loads the module CAIRN_FAULTY_PKCS11_TARGET names (default SoftHSM2's) and hands
// out its function list with C_OpenSession and C_Sign wrapped. Before each of those
// calls it reads the file CAIRN_FAULTY_PKCS11_CONTROL/<token label>, so each token of
// a test is told apart:
//   (missing) or "ok"  pass through;
//   "fail"             both return CKR_DEVICE_REMOVED, as a token that is gone;
//   "corrupt"          C_Sign returns a signature with one bit flipped;
//   "close"            C_Sign closes its session first, so SoftHSM2 itself answers
//                      CKR_SESSION_HANDLE_INVALID, as after a token reset;
//   "slow MS"          C_Sign waits MS milliseconds first.
#include <dlfcn.h>
#include <p11-kit/pkcs11.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>

namespace {

CK_FUNCTION_LIST target_functions;
CK_FUNCTION_LIST wrapped;
bool loaded = false;

std::string LabelOfSlot(CK_SLOT_ID slot) {
  CK_TOKEN_INFO info;
  if (target_functions.C_GetTokenInfo(slot, &info) != CKR_OK) return "";
  std::string label(reinterpret_cast<const char*>(info.label), sizeof(info.label));
  while (!label.empty() && label.back() == ' ') label.pop_back();
  return label;
}

std::string ModeFor(const std::string& label) {
  const char* dir = std::getenv("CAIRN_FAULTY_PKCS11_CONTROL");
  if (dir == nullptr || label.empty()) return "ok";
  std::ifstream in(std::string(dir) + "/" + label);
  std::string mode;
  if (!(in >> mode)) return "ok";
  if (mode == "slow") {
    long ms = 0;
    in >> ms;
    return "slow " + std::to_string(ms);
  }
  return mode;
}

std::string ModeForSession(CK_SESSION_HANDLE session) {
  CK_SESSION_INFO info;
  if (target_functions.C_GetSessionInfo(session, &info) != CKR_OK) return "ok";
  return ModeFor(LabelOfSlot(info.slotID));
}

CK_RV OpenSession(CK_SLOT_ID slot, CK_FLAGS flags, void* application, CK_NOTIFY notify, CK_SESSION_HANDLE_PTR session) {
  if (ModeFor(LabelOfSlot(slot)) == "fail") return CKR_DEVICE_REMOVED;
  return target_functions.C_OpenSession(slot, flags, application, notify, session);
}

CK_RV Sign(CK_SESSION_HANDLE session, CK_BYTE_PTR data, CK_ULONG data_len, CK_BYTE_PTR signature,
           CK_ULONG_PTR signature_len) {
  const std::string mode = ModeForSession(session);
  if (mode == "fail") return CKR_DEVICE_REMOVED;
  if (mode == "close") target_functions.C_CloseSession(session);
  if (mode.rfind("slow ", 0) == 0) std::this_thread::sleep_for(std::chrono::milliseconds(std::stol(mode.substr(5))));
  const CK_RV rv = target_functions.C_Sign(session, data, data_len, signature, signature_len);
  if (rv == CKR_OK && mode == "corrupt" && signature != nullptr && *signature_len > 0) signature[0] ^= 0x01;
  return rv;
}

}  // namespace

extern "C" __attribute__((visibility("default"))) CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR list) {
  if (!loaded) {
    const char* path = std::getenv("CAIRN_FAULTY_PKCS11_TARGET");
    void* handle = ::dlopen(path != nullptr ? path : "/usr/lib/softhsm/libsofthsm2.so", RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) return CKR_GENERAL_ERROR;
    auto get = reinterpret_cast<CK_C_GetFunctionList>(::dlsym(handle, "C_GetFunctionList"));
    CK_FUNCTION_LIST_PTR target = nullptr;
    if (get == nullptr || get(&target) != CKR_OK) return CKR_GENERAL_ERROR;
    target_functions = *target;
    wrapped = *target;
    wrapped.C_OpenSession = OpenSession;
    wrapped.C_Sign = Sign;
    loaded = true;
  }
  *list = &wrapped;
  return CKR_OK;
}
