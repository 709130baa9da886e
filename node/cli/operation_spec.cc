#include "node/cli/operation_spec.h"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <optional>
#include <map>
#include <sstream>

#include "node/cli/args.h"

namespace cairn::cli {

namespace {

// The FIELD=VALUE pairs of a spec, taken one by one; what is left at the end is an error.
class Fields {
 public:
  Fields(std::string kind, std::map<std::string, std::string> fields) : kind_(std::move(kind)), fields_(std::move(fields)) {}

  Result<std::string> Text(const std::string& name) {
    auto it = fields_.find(name);
    if (it == fields_.end()) return Status::InvalidArgument(kind_ + " needs " + name + "=");
    std::string value = std::move(it->second);
    fields_.erase(it);
    return value;
  }
  std::string Optional(const std::string& name, std::string fallback = {}) {
    return Has(name) ? Text(name).value() : fallback;
  }
  bool Has(const std::string& name) const { return fields_.count(name) > 0; }
  Result<uint64_t> Number(const std::string& name, std::optional<uint64_t> fallback = std::nullopt) {
    if (!Has(name) && fallback) return *fallback;
    CAIRN_ASSIGN_OR_RETURN(std::string text, Text(name));
    uint64_t value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size()) {
      return Status::InvalidArgument(kind_ + ": " + name + " must be a whole number, got '" + text + "'");
    }
    return value;
  }
  Result<Bytes> Address(const std::string& name) {
    CAIRN_ASSIGN_OR_RETURN(std::string text, Text(name));
    auto address = ParseAddress(text);
    if (!address.ok()) return address.status().Annotate(kind_ + " " + name);
    return address;
  }
  Result<Bytes> OptionalAddress(const std::string& name) {
    if (!Has(name)) return Bytes();
    return Address(name);
  }
  Result<Bytes> PublicKey(const std::string& name) {
    CAIRN_ASSIGN_OR_RETURN(std::string text, Text(name));
    auto bytes = FromHex(text);
    if (!bytes.ok() || bytes->size() != 32) return Status::InvalidArgument(kind_ + ": " + name + " must be 64 hex characters");
    return *bytes;
  }
  Status Done() const {
    if (fields_.empty()) return Status::Ok();
    return Status::InvalidArgument(kind_ + " takes no field " + fields_.begin()->first);
  }

 private:
  std::string kind_;
  std::map<std::string, std::string> fields_;
};

template <typename Grant>
Status FillGrant(Fields& f, Grant* grant) {
  CAIRN_ASSIGN_OR_RETURN(std::string permission, f.Text("permission"));
  CAIRN_ASSIGN_OR_RETURN(v1::Permission parsed, ParsePermission(permission));
  grant->set_permission(parsed);
  CAIRN_ASSIGN_OR_RETURN(Bytes grantee, f.Address("grantee"));
  grant->set_grantee(grantee);
  grant->set_asset(f.Optional("asset"));
  CAIRN_ASSIGN_OR_RETURN(Bytes account, f.OptionalAddress("account"));
  grant->set_account(account);
  return Status::Ok();
}

Status Fill(const std::string& kind, Fields& f, v1::Operation* op) {
  if (kind == "transfer" || kind == "mint") {
    CAIRN_ASSIGN_OR_RETURN(Bytes to, f.Address("to"));
    CAIRN_ASSIGN_OR_RETURN(std::string asset, f.Text("asset"));
    CAIRN_ASSIGN_OR_RETURN(uint64_t amount, f.Number("amount"));
    if (kind == "transfer") {
      op->mutable_transfer()->set_to(to);
      op->mutable_transfer()->set_asset(asset);
      op->mutable_transfer()->set_amount(amount);
    } else {
      op->mutable_mint()->set_to(to);
      op->mutable_mint()->set_asset(asset);
      op->mutable_mint()->set_amount(amount);
    }
  } else if (kind == "burn") {
    CAIRN_ASSIGN_OR_RETURN(std::string asset, f.Text("asset"));
    CAIRN_ASSIGN_OR_RETURN(uint64_t amount, f.Number("amount"));
    op->mutable_burn()->set_asset(asset);
    op->mutable_burn()->set_amount(amount);
  } else if (kind == "create-account") {
    CAIRN_ASSIGN_OR_RETURN(Bytes key, f.PublicKey("public-key"));
    CAIRN_ASSIGN_OR_RETURN(v1::Role role, ParseRole(f.Optional("role", "user")));
    op->mutable_create_account()->set_public_key(key);
    op->mutable_create_account()->set_role(role);
  } else if (kind == "set-role") {
    CAIRN_ASSIGN_OR_RETURN(Bytes account, f.Address("account"));
    CAIRN_ASSIGN_OR_RETURN(std::string role_text, f.Text("role"));
    CAIRN_ASSIGN_OR_RETURN(v1::Role role, ParseRole(role_text));
    op->mutable_set_role()->set_account(account);
    op->mutable_set_role()->set_role(role);
  } else if (kind == "register-asset") {
    v1::RegisterAsset* reg = op->mutable_register_asset();
    CAIRN_ASSIGN_OR_RETURN(std::string name, f.Text("name"));
    reg->set_name(name);
    CAIRN_ASSIGN_OR_RETURN(uint64_t precision, f.Number("precision", 0));
    reg->set_precision(static_cast<uint32_t>(std::min<uint64_t>(precision, UINT32_MAX)));
    CAIRN_ASSIGN_OR_RETURN(uint64_t cap, f.Number("cap", 0));
    reg->set_supply_cap(cap);
    CAIRN_ASSIGN_OR_RETURN(std::string issuers, f.Text("issuers"));
    std::stringstream list(issuers);
    for (std::string item; std::getline(list, item, ',');) {
      CAIRN_ASSIGN_OR_RETURN(Bytes issuer, ParseAddress(item));
      reg->add_issuers(issuer);
    }
  } else if (kind == "freeze" || kind == "thaw") {
    CAIRN_ASSIGN_OR_RETURN(std::string asset, f.Text("asset"));
    op->mutable_set_asset_frozen()->set_asset(asset);
    op->mutable_set_asset_frozen()->set_frozen(kind == "freeze");
  } else if (kind == "add-signatory" || kind == "remove-signatory") {
    CAIRN_ASSIGN_OR_RETURN(Bytes key, f.PublicKey("public-key"));
    if (kind == "add-signatory") {
      op->mutable_add_signatory()->set_public_key(key);
    } else {
      op->mutable_remove_signatory()->set_public_key(key);
    }
  } else if (kind == "set-quorum") {
    CAIRN_ASSIGN_OR_RETURN(uint64_t quorum, f.Number("quorum"));
    op->mutable_set_quorum()->set_quorum(static_cast<uint32_t>(std::min<uint64_t>(quorum, UINT32_MAX)));
  } else if (kind == "record" || kind == "delete-record") {
    v1::SetRecord* record = op->mutable_set_record();
    CAIRN_ASSIGN_OR_RETURN(std::string key, f.Text("key"));
    record->set_key(key);
    CAIRN_ASSIGN_OR_RETURN(Bytes account, f.OptionalAddress("account"));
    record->set_account(account);
    if (kind == "record") {
      if (f.Has("value") == f.Has("value-hex")) return Status::InvalidArgument("record needs one of value= and value-hex=");
      if (f.Has("value")) {
        record->set_value(f.Text("value").value());
      } else {
        auto bytes = FromHex(f.Text("value-hex").value());
        if (!bytes.ok()) return Status::InvalidArgument("record: value-hex= is not hex");
        record->set_value(*bytes);
      }
      if (record->value().empty()) return Status::InvalidArgument("record: an empty value deletes; say delete-record");
    }
  } else if (kind == "grant") {
    CAIRN_RETURN_IF_ERROR(FillGrant(f, op->mutable_grant()));
  } else if (kind == "revoke") {
    CAIRN_RETURN_IF_ERROR(FillGrant(f, op->mutable_revoke()));
  } else {
    return Status::InvalidArgument("unknown operation '" + kind + "' (see cairn batch --help)");
  }
  return Status::Ok();
}

}  // namespace

Result<v1::Permission> ParsePermission(const std::string& text) {
  if (text == "mint") return v1::PERMISSION_MINT;
  if (text == "write-records") return v1::PERMISSION_WRITE_RECORDS;
  if (text == "create-accounts") return v1::PERMISSION_CREATE_ACCOUNTS;
  return Status::InvalidArgument("permission '" + text + "' is not mint, write-records or create-accounts");
}

Result<v1::Operation> ParseOperationSpec(const std::string& spec) {
  std::stringstream words(spec);
  std::string kind;
  if (!(words >> kind)) return Status::InvalidArgument("an empty operation");
  std::map<std::string, std::string> fields;
  for (std::string word; words >> word;) {
    const size_t eq = word.find('=');
    if (eq == std::string::npos || eq == 0) {
      return Status::InvalidArgument(kind + ": '" + word + "' is not FIELD=VALUE");
    }
    if (!fields.emplace(word.substr(0, eq), word.substr(eq + 1)).second) {
      return Status::InvalidArgument(kind + ": " + word.substr(0, eq) + "= is given twice");
    }
  }
  Fields f(kind, std::move(fields));
  v1::Operation op;
  CAIRN_ASSIGN_OR_RETURN(Bytes from, f.OptionalAddress("from"));
  op.set_account(from);
  CAIRN_RETURN_IF_ERROR(Fill(kind, f, &op));
  CAIRN_RETURN_IF_ERROR(f.Done());
  return op;
}

}  // namespace cairn::cli
