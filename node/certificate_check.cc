#include "node/certificate_check.h"

#include "consensus/certificates.h"

namespace cairn::node {

ledger::CertificateCheck MakeCertificateCheck(std::string chain_id, Hash genesis_block_hash,
                                              crypto::SignatureVerifier& verifier) {
  return [chain_id = std::move(chain_id), genesis_block_hash, &verifier](const v1::QuorumCertificate& qc,
                                                                         const v1::ValidatorSet& set) -> Status {
    CAIRN_ASSIGN_OR_RETURN(auto committee, consensus::Committee::From(set));
    return consensus::VerifyQc({chain_id, std::move(committee), genesis_block_hash}, qc, verifier);
  };
}

}  // namespace cairn::node
