#!/usr/bin/python3
"""A second client, in Python, proves the API is language-neutral: the cairn-client
package (rpc/clients/python), installed with pip from the repository with its stubs built
from proto/ at install, and nothing else of Cairn's. It starts a 4-validator network on
127.0.0.1, creates an account, transfers to it, reads the transfer back committed and the
balance with their proofs checked, and shows that a tampered proof is caught.

usage: python_client_test.py CAIRN CAIRND PROTO_DIR
"""
import copy
import os
import random
import subprocess
import sys

import support

cairn, cairnd, proto_dir = sys.argv[1:4]
work = support.with_client_package("cairn-python-", proto_dir)

import grpc  # noqa: E402
from cairn.v1 import api_pb2, transaction_pb2  # noqa: E402
from cairn_client import Client, Key, LightClient, ProofError, check_account, check_asset, check_transaction, sign  # noqa: E402

assert "venv" in sys.executable, f"not the installed package's Python: {sys.executable}"
seed = int(os.environ.get("CAIRN_TEST_SEED", random.randrange(1 << 30)))
print(f"python client test: seed {seed}", flush=True)
base_port = 20000 + random.Random(seed).randrange(750) * 16  # below the ephemeral ports (32768 on)
network = support.Network(cairn, cairnd, work, 4, base_port)
try:
    # Every read checked against the validators, trusting the genesis file alone.
    trust = LightClient.from_genesis(os.path.join(network.dir, "genesis.json"), os.path.join(work, "devnet.trust"))
    client = Client(network.grpc_address(0), trust=trust)
    network.wait_for_height(client.node, 1)
    admin = Key.load(os.path.join(network.dir, "client.key"))
    alice = Key.generate()
    alice.save(os.path.join(work, "alice.key"))
    assert Key.load(os.path.join(work, "alice.key")).public_key == alice.public_key

    # The absence of alice's account is proven before it exists.
    assert not client.account(alice.address).HasField("account")
    created = client.create_account(admin, alice.public_key)
    sent = client.transfer(admin, alice.address, 1234)
    for receipt in (created, sent):
        assert receipt.state == api_pb2.GetTransactionResponse.COMMITTED and receipt.receipt.result == transaction_pb2.TX_OK
        print(f"committed {receipt.receipt.tx_hash.hex()} at height {receipt.receipt.height}", flush=True)
    assert client.balance(alice.address) == 1234
    # Alice spends from her own key; the nonce comes from her proven account.
    back = client.transfer(alice, admin.address, 34)
    assert back.receipt.result == transaction_pb2.TX_OK and client.balance(alice.address) == 1200

    # The admin's history pages through the transactions, oldest first.
    first = client.ledger.GetAccountHistory(api_pb2.GetAccountHistoryRequest(address=admin.address, limit=1), timeout=5)
    assert len(first.entries) == 1 and first.next_page_token, first
    rest = client.ledger.GetAccountHistory(api_pb2.GetAccountHistoryRequest(
        address=admin.address, limit=10, page_token=first.next_page_token), timeout=5)
    history = [e.tx_hash for e in first.entries] + [e.tx_hash for e in rest.entries]
    assert history[-3:] == [created.receipt.tx_hash, sent.receipt.tx_hash, back.receipt.tx_hash], history

    # A lying node is caught: one changed byte in any proof, a balance or a receipt.
    account = client.ledger.GetAccount(api_pb2.GetAccountRequest(address=alice.address), timeout=5)
    check_account(account)
    for tamper in ("sibling", "balance", "root"):
        lie = copy.deepcopy(account)
        if tamper == "sibling":
            lie.proof.siblings[0] = bytes([lie.proof.siblings[0][0] ^ 1]) + lie.proof.siblings[0][1:]
        elif tamper == "balance":
            lie.account.balances[0].amount += 1
        else:
            lie.state_root = bytes(32)
        try:
            check_account(lie)
            raise AssertionError(f"an account answer with a changed {tamper} passed")
        except ProofError:
            pass
    # An asset definition is proven the same way, and only for the name asked.
    asset = client.asset("CAIRN")
    assert asset.HasField("asset") and asset.asset.supply > 0, asset
    for tamper in ("supply", "name"):
        lie = copy.deepcopy(asset)
        if tamper == "supply":
            lie.asset.supply += 1
            lie.proof.value = lie.asset.SerializeToString()
        try:
            check_asset("CAIRN" if tamper == "supply" else "OTHER", lie)
            raise AssertionError(f"an asset answer with a changed {tamper} passed")
        except ProofError:
            pass
    committed = client.transaction(sent.receipt.tx_hash)
    check_transaction(committed)
    for tamper in ("proof", "index", "receipt"):
        lie = copy.deepcopy(committed)
        if tamper == "proof" and lie.inclusion_proof:
            lie.inclusion_proof[0] = bytes(32)
        elif tamper == "index" or tamper == "proof":
            lie.receipt.index += 1
            lie.block_tx_count = max(lie.block_tx_count, lie.receipt.index + 1)
        else:
            lie.receipt.tx_hash = bytes(32)
        try:
            check_transaction(lie)
            raise AssertionError(f"a transaction answer with a changed {tamper} passed")
        except ProofError:
            pass

    # A bad signature is refused with INVALID_ARGUMENT.
    body = transaction_pb2.TxBody(chain_id=client.chain_id(), nonce=client.next_nonce(admin.address))
    body.transfer.to, body.transfer.asset, body.transfer.amount = alice.address, "CAIRN", 1
    forged = sign(admin, body)
    forged.signature = bytes([forged.signature[0] ^ 1]) + forged.signature[1:]
    try:
        client.submit(forged)
        raise AssertionError("a forged transaction was accepted")
    except grpc.RpcError as error:
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, error
    print("python client test passed", flush=True)
finally:
    network.stop()
    subprocess.run(["rm", "-rf", work])
