// Status and Result<T>: how every Cairn module reports errors that a peer, a client,
// the disk or the network can cause. No exceptions cross a module boundary.
//
// crypto/ is the bottom layer that every module already depends on, so the shared
// vocabulary types (Status, Result, CHECK, Bytes) live here rather than in a folder
// of their own.
#pragma once

#include <cstdlib>
#include <string>
#include <utility>
#include <variant>

namespace cairn {

// Codes follow gRPC's canonical codes so that rpc/ maps them one to one.
enum class StatusCode {
  kOk = 0,
  kInvalidArgument,     // malformed input: bad encoding, bad signature, bad length
  kNotFound,            // the thing asked for does not exist
  kAlreadyExists,       // duplicate
  kFailedPrecondition,  // well-formed but not applicable now: wrong chain, wrong nonce
  kResourceExhausted,   // a bound was hit
  kCorruption,          // stored data fails its own checks
  kIoError,             // the operating system or the disk failed
  kInternal,            // a dependency failed in a way we did not expect
  kUnauthenticated,     // the peer or caller did not prove who it is
  kPermissionDenied,    // it did, and may not do this (a key outside the validator set)
  kUnavailable,         // the other side is gone or not there yet; trying again may work
};

const char* StatusCodeName(StatusCode code);

// A cheap value: OK carries no allocation. Must be looked at ([[nodiscard]]).
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
  static Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
  static Status AlreadyExists(std::string m) { return {StatusCode::kAlreadyExists, std::move(m)}; }
  static Status FailedPrecondition(std::string m) {
    return {StatusCode::kFailedPrecondition, std::move(m)};
  }
  static Status ResourceExhausted(std::string m) {
    return {StatusCode::kResourceExhausted, std::move(m)};
  }
  static Status Corruption(std::string m) { return {StatusCode::kCorruption, std::move(m)}; }
  static Status IoError(std::string m) { return {StatusCode::kIoError, std::move(m)}; }
  static Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }
  static Status Unauthenticated(std::string m) { return {StatusCode::kUnauthenticated, std::move(m)}; }
  static Status PermissionDenied(std::string m) { return {StatusCode::kPermissionDenied, std::move(m)}; }
  static Status Unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "INVALID_ARGUMENT: message", or "OK".
  std::string ToString() const;
  // Prefixes the message with context, keeping the code: "reading block 7: ...".
  Status Annotate(const std::string& context) const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

// Either a value or a non-OK Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : data_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : data_(std::move(status)) {  // NOLINT: implicit by design
    if (std::get<Status>(data_).ok()) std::abort();  // an OK Result needs a value
  }

  bool ok() const { return std::holds_alternative<T>(data_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(data_);
  }
  T& value() & { return std::get<T>(data_); }
  const T& value() const& { return std::get<T>(data_); }
  T&& value() && { return std::get<T>(std::move(data_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> data_;
};

}  // namespace cairn

// Returns early from the enclosing function when `expr` (a Status) is not OK.
#define CAIRN_RETURN_IF_ERROR(expr)               \
  do {                                            \
    ::cairn::Status cairn_status_ = (expr);       \
    if (!cairn_status_.ok()) return cairn_status_; \
  } while (0)

#define CAIRN_CONCAT_INNER(a, b) a##b
#define CAIRN_CONCAT(a, b) CAIRN_CONCAT_INNER(a, b)

// `CAIRN_ASSIGN_OR_RETURN(auto x, F())` binds the value of a Result or returns its Status.
#define CAIRN_ASSIGN_OR_RETURN(lhs, rexpr) \
  CAIRN_ASSIGN_OR_RETURN_IMPL(CAIRN_CONCAT(cairn_result_, __LINE__), lhs, rexpr)
#define CAIRN_ASSIGN_OR_RETURN_IMPL(tmp, lhs, rexpr) \
  auto tmp = (rexpr);                                \
  if (!tmp.ok()) return tmp.status();                \
  lhs = std::move(tmp).value()
