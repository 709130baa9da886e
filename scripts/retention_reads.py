#!/usr/bin/python3
"""The reads check of scripts/retention_bench.sh, through the Python client package
(rpc/clients/python, whose reads check their proofs): on a pruning node, 20 blocks spread
over its window are read, and in each one transaction (its inclusion proof checked) and
that transaction's sender (its state proof checked); a block below the window must be
refused with FAILED_PRECONDITION naming the retained range. Prints one JSON object.

usage: retention_reads.py PROTO_DIR NODE_ADDRESS KEEP_BLOCKS
"""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "client"))
import support  # noqa: E402

proto_dir, node, keep = sys.argv[1], sys.argv[2], int(sys.argv[3])
support.with_client_package("cairn-retention-", proto_dir)

import grpc  # noqa: E402
from cairn_client import Client, ProofError, address_of, tx_hash  # noqa: E402

client = Client(node)
status = client.status()
head, retained = status.height, status.retention.retained_from
proven, failures = 0, []
for k in range(20):
    height = head - keep + 1 + k * (keep - 2) // 19
    try:
        block = client.block(height)
        if not block.block.transactions:
            continue
        tx = block.block.transactions[0]
        committed = client.transaction(tx_hash(status.chain_id, tx))  # raises ProofError on a bad proof
        assert committed.state == committed.COMMITTED and committed.block_hash == block.hash, "not committed there"
        client.account(address_of(tx.public_key))  # raises ProofError on a bad proof
        proven += 2
    except (grpc.RpcError, ProofError, AssertionError) as error:
        failures.append(f"block {height}: {error}")
refused = False
try:
    client.block(max(retained - 1, 1))
except grpc.RpcError as error:
    # It names the retained range as it is then (the node prunes on meanwhile).
    refused = error.code() == grpc.StatusCode.FAILED_PRECONDITION and "from height" in error.details()
print(json.dumps({"head": head, "retained_from": retained, "reads_proven": proven, "reads_failed": len(failures),
                  "failures": failures[:3], "below_window_refused": refused}))
