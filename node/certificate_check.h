// Certificate checks composed of consensus's VerifyQc and the validator sets the ledger
// knows, here because ledger/ does not depend on consensus/: the audit's, and the
// context of block sync and of the replica.
#pragma once

#include "consensus/certificates.h"
#include "crypto/verifier.h"
#include "ledger/audit.h"
#include "ledger/ledger.h"

namespace cairn::node {

// The consensus context of the ledger's current epoch (the next block's): its set and
// root, what certificates of that epoch are checked against.
Result<consensus::Context> CurrentEpochContext(const ledger::Ledger& ledger);

ledger::CertificateCheck MakeCertificateCheck(std::string chain_id, Hash genesis_block_hash,
                                              crypto::SignatureVerifier& verifier);

}  // namespace cairn::node
