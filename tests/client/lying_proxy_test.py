#!/usr/bin/python3
"""Lies are caught: a gRPC proxy in front of a real node rewrites its answers, and both
clients, `cairn` (node/light_client.h) and the Python package (light_client.py), must
refuse each lie with a message naming what failed, and pass the same reads through the
proxy when it tells the truth.

The network: 4 validators on 127.0.0.1 with epochs of 10 blocks; validator node3 is
removed, so the chain is in epoch 1 when the lies are told. Another network of one
validator with the same chain id is "another chain". The lies:
  balance       an account with a changed balance, a proof and a state root recomputed
                to match it, in a header whose state root is changed to that root
  shown-account the account shown changed, its proof (of the true one) left as it was
  absent        the account proven absent by another leaf whose key is the account's key
                and a byte of its value hash, and whose value is the rest of that hash
  other-chain   the other chain's answers (its header, certificate and set changes)
  few-signers   the commit certificate with fewer signatures than a quorum
  forged        one signature of the commit certificate altered
  stale         an account answer recorded in epoch 0, served once epoch 1 is proven
  removed       a change to an epoch 2 that never was, naming a set of the removed
                validator alone, signed with its key in place of a member's
  certified     a block's own certificate (it was voted for) given as the proof that it
                committed
  result        a failed transfer's receipt shown as a success

usage: lying_proxy_test.py CAIRN CAIRND PROTO_DIR
"""
import concurrent.futures
import hashlib
import json
import os
import random
import subprocess
import sys
import time

import support

cairn, cairnd, proto_dir = sys.argv[1:4]
work = support.with_client_package("cairn-lying-proxy-", proto_dir)

import grpc  # noqa: E402
from cryptography.hazmat.primitives import serialization  # noqa: E402
from cairn.v1 import api_pb2, block_pb2, governance_pb2, p2p_pb2, transaction_pb2  # noqa: E402
from cairn_client import Client, Key, LightClient, ProofError, sign  # noqa: E402
from cairn_client.light_client import block_hash, governance_hash, vote_message  # noqa: E402
from cairn_client.signing import domain_hash  # noqa: E402

seed = int(os.environ.get("CAIRN_TEST_SEED", random.randrange(1 << 30)))
print(f"lying proxy test: seed {seed}", flush=True)
rng = random.Random(seed)
base_port = 20000 + rng.randrange(700) * 16
chain = support.Network(cairn, cairnd, work, 4, base_port, testnet_args=("--epoch-length", "10"))
other = support.Network(cairn, cairnd, work, 1, base_port + 16 * 5, name="other")
genesis = os.path.join(chain.dir, "genesis.json")
RAW = dict(request_serializer=None, response_deserializer=None)


def validator_key(i):
    with open(os.path.join(chain.dir, f"node{i}", "node.key"), "rb") as f:
        return serialization.load_pem_private_key(f.read(), password=None)


class Proxy(grpc.GenericRpcHandler):
    """Forwards every unary call to the node as bytes; with `lie` set, rewrites the
    answers that lie is about."""

    def __init__(self):
        self.lie = None
        self.upstream = grpc.insecure_channel(chain.grpc_address(0))
        self.other = grpc.insecure_channel(other.grpc_address(0))
        self.stale_account = None

    def service(self, details):
        method = details.method

        def handle(request, context):
            channel = self.other if self.lie == "other-chain" else self.upstream
            answer = channel.unary_unary(method, **RAW)(request, timeout=10)
            return self.rewrite(method, request, answer)

        return grpc.unary_unary_rpc_method_handler(handle)

    def call(self, method, request, response_type):
        raw = self.upstream.unary_unary(method, **RAW)(request.SerializeToString(), timeout=10)
        return response_type.FromString(raw)

    def rewrite(self, method, request, raw):
        if method.endswith("/GetAccount"):
            answer = api_pb2.GetAccountResponse.FromString(raw)
            return self.lie_about_account(answer).SerializeToString()
        if method.endswith("/GetTransaction") and self.lie == "result":
            answer = api_pb2.GetTransactionResponse.FromString(raw)
            answer.receipt.result, answer.receipt.message = transaction_pb2.TX_OK, ""
            return answer.SerializeToString()
        if method.endswith("/GetBlock") and self.lie == "certified":
            answer = api_pb2.GetBlockResponse.FromString(raw)
            answer.commit_proof.finality.CopyFrom(answer.certificate)
            del answer.commit_proof.descendant_headers[:]
            return answer.SerializeToString()
        if method.endswith("/GetEpochChanges") and self.lie == "removed":
            page = p2p_pb2.EpochChangesResponse.FromString(raw)
            asked = p2p_pb2.EpochChangesRequest.FromString(request).from_epoch
            if asked > page.current_epoch:
                page.changes.append(self.forged_change())
                page.current_epoch = asked
            return page.SerializeToString()
        return raw

    def lie_about_account(self, answer):
        header = block_pb2.BlockHeader.FromString(answer.block_header)
        if self.lie == "balance" and answer.HasField("account"):
            answer.account.balances[0].amount += 1_000_000
            # The proof and root of a tree that holds this one account: they agree.
            account = answer.account.SerializeToString()
            key = hashlib.sha256(answer.proof.address).digest()
            root = hashlib.sha256(b"\0" + key + domain_hash(b"account", "", account)).digest()
            answer.proof.account, answer.state_root = account, root
            del answer.proof.siblings[:]
            answer.proof.other_leaf_key, answer.proof.other_leaf_value_hash = b"", b""
            header.state_root = root
            answer.block_header = header.SerializeToString()
        elif self.lie == "absent":
            # Proven absent by "another leaf": the account's own key and a byte of its
            # value hash, then the rest of that hash. Glued, they hash to the true leaf.
            value_hash = domain_hash(b"account", "", answer.proof.account)
            answer.proof.other_leaf_key = hashlib.sha256(answer.proof.address).digest() + value_hash[:1]
            answer.proof.other_leaf_value_hash = value_hash[1:]
            answer.proof.account = b""
            answer.ClearField("account")
        elif self.lie == "shown-account":
            answer.account.balances[0].amount += 1_000_000  # the proof still proves the true one
        elif self.lie == "few-signers":
            del answer.commit_proof.finality.signatures[2:]
        elif self.lie == "forged":
            s = answer.commit_proof.finality.signatures[0]
            s.signature = bytes([s.signature[0] ^ 1]) + s.signature[1:]
        elif self.lie == "stale":
            return self.stale_account
        elif self.lie == "removed":
            header.epoch = 2  # a header of the forged epoch: the client must prove the change first
            answer.block_header = header.SerializeToString()
        elif self.lie == "certified":
            block = self.call("/cairn.v1.Ledger/GetBlock", api_pb2.GetBlockRequest(height=answer.height),
                              api_pb2.GetBlockResponse)
            answer.commit_proof.finality.CopyFrom(block.certificate)
            del answer.commit_proof.descendant_headers[:]
        return answer

    def forged_change(self):
        """A change to epoch 2 naming node3 (removed in epoch 1) the only validator,
        certified with node3's key signing in place of epoch 1's third member."""
        status = self.call("/cairn.v1.Node/GetStatus", api_pb2.GetStatusRequest(), api_pb2.GetStatusResponse)
        head = self.call("/cairn.v1.Ledger/GetBlock", api_pb2.GetBlockRequest(height=status.height), api_pb2.GetBlockResponse)
        header = block_pb2.BlockHeader.FromString(head.block.header)
        governance = governance_pb2.GovernanceState(epoch=2, next_proposal_id=2)
        governance.validators.epoch = 2
        removed = json.load(open(genesis))["validators"][3]
        governance.validators.validators.add(name=removed["name"], public_key=bytes.fromhex(removed["public_key"]),
                                             address=removed["address"])
        header.governance_hash = governance_hash(status.chain_id, governance)
        header_bytes = header.SerializeToString()
        qc = block_pb2.QuorumCertificate(epoch=1, round=header.round + 1, height=header.height + 1,
                                         block_hash=bytes(rng.randrange(256) for _ in range(32)),
                                         commit_hash=block_hash(status.chain_id, header_bytes))
        message = vote_message(status.chain_id, qc)
        for index, signer in ((0, 0), (1, 1), (2, 3)):  # node3's key where node2's belongs
            qc.signatures.add(validator_index=index, signature=validator_key(signer).sign(message))
        return p2p_pb2.EpochChangeProof(header=header_bytes, finality=qc, governance=governance)


def cli(*args, store="cli.trust", root=None):
    root = root or ["--trust-genesis", genesis]
    run = subprocess.run([cairn, *args, "--node", proxy_address, *root, "--trust-store", os.path.join(work, store)],
                         capture_output=True, text=True, timeout=60)
    return run.returncode, run.stdout + run.stderr


def python_client(store="py.trust"):
    return Client(proxy_address, trust=LightClient.from_genesis(genesis, os.path.join(work, store)))


server = None
try:
    client = Client(chain.grpc_address(0))
    chain.wait_for_height(client.node, 1)
    other.wait_for_height(Client(other.grpc_address(0)).node, 1)
    proxy = Proxy()
    server = grpc.server(concurrent.futures.ThreadPoolExecutor(max_workers=4), handlers=[proxy])
    proxy_port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    proxy_address = f"127.0.0.1:{proxy_port}"
    admin = Key.load(os.path.join(chain.dir, "client.key"))

    # Epoch 0: an account answer to serve stale later; then node3 is removed.
    proxy.stale_account = client.ledger.GetAccount(api_pb2.GetAccountRequest(address=admin.address), timeout=5)
    subprocess.run([cairn, "propose-validator", "--key", os.path.join(chain.dir, "client.key"), "--remove", "node3",
                    "--wait", "--node", chain.grpc_address(0)], check=True, capture_output=True, timeout=60)
    deadline = time.time() + 90
    while client.node.GetValidators(api_pb2.GetValidatorsRequest(), timeout=5).validators.epoch < 1:
        assert time.time() < deadline, "the set change did not take effect"
        time.sleep(0.5)
    chain.wait_for_height(client.node, client.status().height + 2)
    address = admin.address.hex()

    # The truth through the proxy passes, and proves epoch 1 into both trust stores.
    code, out = cli("account", address)
    assert code == 0 and "verified: block" in out and "of epoch 1 committed, 3 of 3 validators signed" in out, out
    code, out = cli("block", "latest")
    assert code == 0 and "verified: block" in out, out
    # `cairn epochs` proves each set change and names its checkpoint; a client may start
    # from one instead of genesis, and a block that ends no epoch is refused as one.
    code, out = cli("epochs", "--json")
    assert code == 0, out
    epochs = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    assert [e["epoch"] for e in epochs] == [0, 1] and epochs[1]["validators"] == ["node0", "node1", "node2"], out
    checkpoint = epochs[1]["checkpoint"]
    code, out = cli("account", address, store="checkpoint.trust", root=["--trust-checkpoint", checkpoint])
    assert code == 0 and f"trusting checkpoint {checkpoint[:checkpoint.index(':') + 17]}" in out, out
    before = epochs[1]["root_height"] - 1
    before_hash = client.ledger.GetBlock(api_pb2.GetBlockRequest(height=before), timeout=5).hash.hex()
    code, out = cli("account", address, store="bad.trust", root=["--trust-checkpoint", f"{before}:{before_hash}"])
    assert code != 0 and "is not the genesis block or the last block of an epoch" in out, out
    code, out = cli("account", address, store="genesis-block.trust", root=["--trust-checkpoint", epochs[0]["checkpoint"]])
    assert code == 0 and "of epoch 1 committed" in out, out
    honest = python_client()
    assert honest.balance(admin.address) > 0 and honest.trust.latest_epoch == 1
    honest.block()
    # The Python client from the same checkpoint, and from the genesis block's (0:HASH),
    # each set fetched through the proxy and taken only as it hashes to the checkpoint.
    chain_id = client.chain_id()
    raw = Client(proxy_address)
    from_checkpoint = LightClient.from_checkpoint(chain_id, checkpoint, raw, os.path.join(work, "py-checkpoint.trust"))
    assert Client(proxy_address, trust=from_checkpoint).balance(admin.address) > 0 and from_checkpoint.first_epoch == 1
    genesis_block = epochs[0]["checkpoint"]
    from_genesis_block = LightClient.from_checkpoint(chain_id, genesis_block, raw)
    assert Client(proxy_address, trust=from_genesis_block).balance(admin.address) > 0
    assert from_genesis_block.first_epoch == 0 and from_genesis_block.latest_epoch == 1
    for bad, why in ((f"{before}:{before_hash}", "is not the genesis block or the last block of an epoch"),
                     (genesis_block[:-1] + ("0" if genesis_block[-1] != "0" else "1"), "is not the genesis block")):
        try:
            LightClient.from_checkpoint(chain_id, bad, raw)
            raise AssertionError(f"checkpoint {bad} was taken")
        except ProofError as e:
            assert why in str(e), e
    try:
        Client(proxy_address, trust=from_checkpoint).block(epochs[1]["root_height"] - 1)
        raise AssertionError("a block before the checkpoint was taken")
    except ProofError as e:
        assert "is before this client's checkpoint" in str(e), e

    expected = {
        "balance": "is not proven committed",
        "shown-account": "the account shown is not the account proven",
        "absent": "the account proof does not lead to the state root",
        "other-chain": "its commit certificate",
        "few-signers": "a quorum of 3 validators needs 3",
        "forged": "certificate signature of validator 0 is invalid",
        "stale": "epoch 1 has begun since",
        "removed": "the change to epoch 2: the certificate: certificate signature of validator 2 is invalid",
        "certified": "is not proven committed",
    }
    for lie, want in expected.items():
        proxy.lie = lie
        # "other-chain" and "removed" are told to clients that know only genesis's set.
        store = "cli.trust" if lie not in ("other-chain", "removed") else f"cli-{lie}.trust"
        code, out = cli("account", address, store=store)
        assert code != 0 and want in out, f"cairn account believed or misnamed the lie {lie}: {out}"
        try:
            python_client("py.trust" if lie not in ("other-chain", "removed") else f"py-{lie}.trust").account(admin.address)
            raise AssertionError(f"the Python client believed the lie {lie}")
        except ProofError as error:
            assert want in str(error), f"the Python client misnamed the lie {lie}: {error}"
        print(f"lie {lie}: refused by both clients ({want})", flush=True)
    # A failed transfer (more than the sender has) passed off as a success.
    poor = Key.generate()
    body = transaction_pb2.TxBody(chain_id=client.chain_id(), nonce=client.next_nonce(admin.address))
    body.transfer.to, body.transfer.asset, body.transfer.amount = poor.address, "CAIRN", 1 << 62
    failed = client.wait_for_commit(client.submit(sign(admin, body)))
    assert failed.receipt.result != transaction_pb2.TX_OK, failed
    proxy.lie = "result"
    code, out = cli("tx", failed.receipt.tx_hash.hex())
    assert code != 0 and "the result is not proven" in out, out
    try:
        python_client().transaction(failed.receipt.tx_hash)
        raise AssertionError("the Python client believed a failed transaction succeeded")
    except ProofError as error:
        assert "the result is not proven" in str(error), error
    print("lie result: refused by both clients (the result is not proven)", flush=True)
    proxy.lie = "certified"
    code, out = cli("block", "latest")
    assert code != 0 and "is not proven committed" in out, out
    try:
        python_client().block()
        raise AssertionError("the Python client believed a certified block was committed")
    except ProofError as error:
        assert "is not proven committed" in str(error), error
    proxy.lie = None
    code, out = cli("account", address)
    assert code == 0, out
    print("lying proxy test passed", flush=True)
finally:
    if server:
        server.stop(0)
    chain.stop()
    other.stop()
    subprocess.run(["rm", "-rf", work])
