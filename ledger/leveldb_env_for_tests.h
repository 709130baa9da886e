// A seam for tests that model what the disk keeps: OpenLevelDbStore uses `env` for the
// databases it opens from now on (nullptr: the production Env again). The power-loss
// test (tests/unit/power_loss_test.cc) puts an Env there that forgets whatever was not
// synced. Not for production code, which never calls it.
#pragma once

namespace leveldb {
class Env;
}

namespace cairn::ledger {

void SetLevelDbEnvForTests(leveldb::Env* env);

}  // namespace cairn::ledger
