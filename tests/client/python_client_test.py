#!/usr/bin/python3
"""A second client, in Python, proves the API is language-neutral: stubs generated from
proto/ with Debian's grpc_python_plugin, keys and signatures from python3-cryptography,
nothing else of Cairn's. It starts a 4-validator network on 127.0.0.1, creates an
account, transfers to it, and reads the transfer back committed and the balance.

usage: python_client_test.py CAIRN CAIRND PROTO_DIR
"""
import os
import random
import subprocess
import sys
import tempfile

import support

cairn, cairnd, proto_dir = sys.argv[1:4]
work = tempfile.mkdtemp(prefix="cairn-python-")
support.generate_stubs(proto_dir, work)

import grpc  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402
from cairn.v1 import api_pb2, api_pb2_grpc, transaction_pb2, state_pb2  # noqa: E402
from support import address_of, raw_public, sign  # noqa: E402

seed = int(os.environ.get("CAIRN_TEST_SEED", random.randrange(1 << 30)))
print(f"python client test: seed {seed}", flush=True)
base_port = 20000 + random.Random(seed).randrange(750) * 16  # below the ephemeral ports (32768 on)
network = support.Network(cairn, cairnd, work, 4, base_port)
try:
    channel = grpc.insecure_channel(network.grpc_address(0))
    node = api_pb2_grpc.NodeStub(channel)
    ledger = api_pb2_grpc.LedgerStub(channel)
    txs = api_pb2_grpc.TransactionsStub(channel)
    status = network.wait_for_height(node, 1)

    admin = support.load_key(os.path.join(network.dir, "client.key"))
    admin_address = address_of(raw_public(admin))
    nonce = ledger.GetAccount(api_pb2.GetAccountRequest(address=admin_address), timeout=5).account.nonce
    alice = Ed25519PrivateKey.generate()
    alice_address = address_of(raw_public(alice))

    create = transaction_pb2.TxBody(chain_id=status.chain_id, nonce=nonce + 1)
    create.create_account.public_key = raw_public(alice)
    create.create_account.role = state_pb2.ROLE_USER
    transfer = transaction_pb2.TxBody(chain_id=status.chain_id, nonce=nonce + 2)
    transfer.transfer.to = alice_address
    transfer.transfer.asset = "CAIRN"
    transfer.transfer.amount = 1234
    hashes = [txs.Submit(api_pb2.SubmitRequest(transaction=sign(admin, body)), timeout=5).tx_hash
              for body in (create, transfer)]

    for tx_hash in hashes:
        result = txs.WaitForCommit(api_pb2.WaitForCommitRequest(tx_hash=tx_hash, timeout_ms=30000), timeout=40)
        assert result.state == api_pb2.GetTransactionResponse.COMMITTED, f"not committed: {result.state}"
        assert result.receipt.result == transaction_pb2.TX_OK, f"receipt: {result.receipt}"
        print(f"committed {tx_hash.hex()} at height {result.receipt.height}", flush=True)

    account = ledger.GetAccount(api_pb2.GetAccountRequest(address=alice_address), timeout=5)
    balances = {b.asset: b.amount for b in account.account.balances}
    assert balances.get("CAIRN") == 1234, f"balance {balances}"

    # The admin's history pages through both transactions, oldest first.
    first = ledger.GetAccountHistory(api_pb2.GetAccountHistoryRequest(address=admin_address, limit=1), timeout=5)
    assert len(first.entries) == 1 and first.next_page_token, first
    rest = ledger.GetAccountHistory(api_pb2.GetAccountHistoryRequest(
        address=admin_address, limit=10, page_token=first.next_page_token), timeout=5)
    history = [e.tx_hash for e in first.entries] + [e.tx_hash for e in rest.entries]
    assert history[-2:] == hashes, f"history {[h.hex() for h in history]}"

    # A bad signature is refused with INVALID_ARGUMENT.
    forged = sign(admin, transaction_pb2.TxBody(chain_id=status.chain_id, nonce=nonce + 3, transfer=transfer.transfer))
    forged.signature = bytes([forged.signature[0] ^ 1]) + forged.signature[1:]
    try:
        txs.Submit(api_pb2.SubmitRequest(transaction=forged), timeout=5)
        raise AssertionError("a forged transaction was accepted")
    except grpc.RpcError as error:
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, error
    print("python client test passed", flush=True)
finally:
    network.stop()
    subprocess.run(["rm", "-rf", work])
