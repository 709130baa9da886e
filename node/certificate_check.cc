#include "node/certificate_check.h"


namespace cairn::node {

Result<consensus::Context> CurrentEpochContext(const ledger::Ledger& ledger) {
  const v1::GovernanceState governance = ledger.Governance();
  CAIRN_ASSIGN_OR_RETURN(ledger::EpochRoot root, ledger.RootOfEpoch(governance.epoch()));
  CAIRN_ASSIGN_OR_RETURN(auto committee, consensus::Committee::From(governance.validators()));
  return consensus::Context{ledger.chain_id(), std::move(committee), root.hash, root.height};
}

ledger::CertificateCheck MakeCertificateCheck(std::string chain_id, Hash genesis_block_hash,
                                              crypto::SignatureVerifier& verifier) {
  return [chain_id = std::move(chain_id), genesis_block_hash, &verifier](const v1::QuorumCertificate& qc,
                                                                         const v1::ValidatorSet& set) -> Status {
    CAIRN_ASSIGN_OR_RETURN(auto committee, consensus::Committee::From(set));
    return consensus::VerifyQc({chain_id, std::move(committee), genesis_block_hash}, qc, verifier);
  };
}

}  // namespace cairn::node
