// The audit's certificate check: consensus's VerifyQc against the validator set of the
// certificate's epoch, composed here because ledger/ (which owns the audit) does not
// depend on consensus/.
#pragma once

#include "crypto/verifier.h"
#include "ledger/audit.h"

namespace cairn::node {

ledger::CertificateCheck MakeCertificateCheck(std::string chain_id, Hash genesis_block_hash,
                                              crypto::SignatureVerifier& verifier);

}  // namespace cairn::node
