// Opening the node's ledger when its disk may have been damaged (a crash mid-write, a
// truncated file): damage is reported and recovered from rather than fatal, since a
// node that exits would only be restarted into the same damage.
#pragma once

#include <memory>
#include <string>

#include "cairn/v1/genesis.pb.h"
#include "crypto/verifier.h"
#include "ledger/ledger.h"

namespace cairn::node {

// Opens the ledger in `data_dir` (creating it when absent). When LevelDB reports
// corruption it is repaired, keeping every intact record (the newest blocks may be
// gone; block sync fetches them again). When what remains does not hold together
// (Ledger::Open finds corruption, or fails after a repair), the folder is set aside as
// `data_dir`.damaged-<unix seconds> and the node starts again from genesis, to sync the
// whole chain from its peers. Each step is logged as a warning. Refusals that are the
// operator's to fix (another chain's data, a disk that cannot be read) stay errors.
// The validator's safety record (node/safety_file.h) is in files LevelDB neither repairs
// nor removes, and is carried over into a fresh folder.
// A data directory of an older format is converted in place (logged).
Result<std::unique_ptr<ledger::Ledger>> OpenOrRecoverLedger(const std::string& data_dir, const v1::Genesis& genesis,
                                                            crypto::SignatureVerifier* verifier,
                                                            const ledger::LedgerOptions& options = {});

}  // namespace cairn::node
