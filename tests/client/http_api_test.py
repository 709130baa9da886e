#!/usr/bin/python3
"""The HTTP/JSON API (rpc/http_gateway.h), driven with curl and checked against the gRPC
API of the same node: every answer parsed from JSON equals the gRPC answer; streams come
as newline-delimited JSON; errors in one format with the HTTP status of their gRPC code;
application/x-protobuf bodies are the gRPC messages' bytes; the gRPC port's limits hold (body size, each client's submit rate shared across both
ports but not across addresses, connections per address).

usage: http_api_test.py CAIRN CAIRND PROTO_DIR
"""
import base64
import json
import os
import random
import socket
import subprocess
import sys
import time

import support

cairn, cairnd, proto_dir = sys.argv[1:4]
work = support.with_client_package("cairn-http-", proto_dir)

import grpc  # noqa: E402
from google.protobuf import json_format  # noqa: E402
from cairn.v1 import api_pb2, api_pb2_grpc, transaction_pb2, state_pb2  # noqa: E402
from cairn_client import Key, sign  # noqa: E402

SUBMITS_PER_SECOND = 3  # bursts of 6

seed = int(os.environ.get("CAIRN_TEST_SEED", random.randrange(1 << 30)))
print(f"http api test: seed {seed}", flush=True)
base_port = 20000 + random.Random(seed).randrange(750) * 16


def limit_rate(i, config):
    config["max_submits_per_second"] = SUBMITS_PER_SECOND


network = support.Network(cairn, cairnd, work, 1, base_port, configure=limit_rate)
http = network.http_address(0)


def curl(path, body=None, interface=None, stream_seconds=None):
    """POST `body` (a message, a str, or None for an empty body); (HTTP status, text)."""
    if body is not None and not isinstance(body, str):
        body = json_format.MessageToJson(body)
    command = ["curl", "-sS", "-X", "POST", f"http://{http}{path}", "-w", "\n%{http_code}", "--max-time",
               str(stream_seconds or 70)]
    if stream_seconds:
        command.append("-N")
    if interface:
        command += ["--interface", interface]
    if body is not None:
        command += ["--data-binary", "@-", "-H", "Content-Type: application/json"]
    run = subprocess.run(command, input=(body or "").encode(), capture_output=True)
    text, _, code = run.stdout.decode().rpartition("\n")
    return int(code), text


def call(path, request, response_type):
    """A unary call over HTTP that must succeed: its answer as a message."""
    code, text = curl(path, request)
    assert code == 200, f"{path}: HTTP {code}: {text}"
    return json_format.Parse(text, response_type(), ignore_unknown_fields=False)


def expect_error(path, body, http_code, grpc_code, message_part=""):
    code, text = curl(path, body)
    assert code == http_code, f"{path} {body!r}: HTTP {code}, wanted {http_code}: {text}"
    error = json.loads(text)
    assert error["code"] == grpc_code.value[0] and message_part in error["message"] and error["details"] == [], text
    return error


try:
    channel = grpc.insecure_channel(network.grpc_address(0))
    node = api_pb2_grpc.NodeStub(channel)
    ledger = api_pb2_grpc.LedgerStub(channel)
    txs = api_pb2_grpc.TransactionsStub(channel)
    status = network.wait_for_height(node, 2)

    # Reads: the JSON answer is the gRPC answer.
    over_http = call("/cairn.v1.Node/GetStatus", api_pb2.GetStatusRequest(), api_pb2.GetStatusResponse)
    assert (over_http.chain_id, over_http.node_key, over_http.version) == (status.chain_id, status.node_key, status.version)
    for request in (api_pb2.GetBlockRequest(height=1), api_pb2.GetBlockRequest(height=2)):
        assert call("/cairn.v1.Ledger/GetBlock", request, api_pb2.GetBlockResponse) == ledger.GetBlock(request, timeout=5)
    validators = api_pb2.GetValidatorsRequest()
    assert call("/cairn.v1.Node/GetValidators", validators, api_pb2.GetValidatorsResponse) == \
        node.GetValidators(validators, timeout=5)
    code, text = curl("/grpc.health.v1.Health/Check", "{}")
    assert code == 200 and json.loads(text) == {"status": "SERVING"}, text
    # Every field is printed, zeros too; names in lowerCamelCase, bytes in base64.
    fields = json.loads(curl("/cairn.v1.Node/GetStatus", "")[1])
    assert fields["peers"] == 0 and fields["syncing"] is False and base64.b64decode(fields["nodeKey"]) == status.node_key

    # Writes: a signed transaction in JSON, committed, read back both ways.
    admin = Key.load(os.path.join(network.dir, "client.key"))
    nonce = ledger.GetAccount(api_pb2.GetAccountRequest(address=admin.address), timeout=5).account.nonce
    alice = Key.generate()
    alice_address = alice.address
    create = transaction_pb2.TxBody(chain_id=status.chain_id, nonce=nonce + 1)
    create.create_account.public_key = alice.public_key
    create.create_account.role = state_pb2.ROLE_USER
    submitted = call("/cairn.v1.Transactions/Submit", api_pb2.SubmitRequest(transaction=sign(admin, create)),
                     api_pb2.SubmitResponse)
    wait = api_pb2.WaitForCommitRequest(tx_hash=submitted.tx_hash, timeout_ms=30000)
    committed = call("/cairn.v1.Transactions/WaitForCommit", wait, api_pb2.GetTransactionResponse)
    assert committed.state == api_pb2.GetTransactionResponse.COMMITTED and committed.receipt.result == transaction_pb2.TX_OK
    assert committed == txs.GetTransaction(api_pb2.GetTransactionRequest(tx_hash=submitted.tx_hash), timeout=5)

    # SubmitStream: a body of requests, one a line; the answers in order, each its own.
    transfer = transaction_pb2.TxBody(chain_id=status.chain_id, nonce=nonce + 2)
    transfer.transfer.to = alice_address
    transfer.transfer.asset = "CAIRN"
    transfer.transfer.amount = 1234
    lines = json_format.MessageToJson(api_pb2.SubmitRequest(transaction=sign(admin, transfer)), indent=None) + "\n{}\n"
    code, text = curl("/cairn.v1.Transactions/SubmitStream", lines)
    answers = [json.loads(line)["result"] for line in text.splitlines()]
    assert code == 200 and len(answers) == 2, text
    assert answers[0]["txHash"] and answers[0]["code"] == 0, answers
    assert answers[1]["code"] == grpc.StatusCode.INVALID_ARGUMENT.value[0] and "missing" in answers[1]["message"], answers
    wait = api_pb2.WaitForCommitRequest(tx_hash=base64.b64decode(answers[0]["txHash"]), timeout_ms=30000)
    assert call("/cairn.v1.Transactions/WaitForCommit", wait, api_pb2.GetTransactionResponse).receipt.result == transaction_pb2.TX_OK

    account = call("/cairn.v1.Ledger/GetAccount", api_pb2.GetAccountRequest(address=alice_address), api_pb2.GetAccountResponse)
    assert {b.asset: b.amount for b in account.account.balances} == {"CAIRN": 1234}, account
    assert account.account == ledger.GetAccount(api_pb2.GetAccountRequest(address=alice_address), timeout=5).account
    # Paging: the token from one page, in base64, brings the next.
    history = api_pb2.GetAccountHistoryRequest(address=admin.address, limit=1)
    first = call("/cairn.v1.Ledger/GetAccountHistory", history, api_pb2.GetAccountHistoryResponse)
    history.page_token = first.next_page_token
    second = call("/cairn.v1.Ledger/GetAccountHistory", history, api_pb2.GetAccountHistoryResponse)
    assert second == ledger.GetAccountHistory(history, timeout=5) and second.entries, second

    # application/x-protobuf: the request's bytes in, the gRPC answer's bytes out, byte
    # for byte (what the explorer hashes); errors stay JSON; streams take JSON only.
    for request in (api_pb2.GetBlockRequest(height=2), api_pb2.GetBlockRequest(height=0)):
        answer = subprocess.run(["curl", "-sS", "-X", "POST", f"http://{http}/cairn.v1.Ledger/GetBlock", "--data-binary", "@-",
                                 "-H", "Content-Type: application/x-protobuf", "-D", "-"],
                                input=request.SerializeToString(), capture_output=True, check=True).stdout
        head, _, body = answer.partition(b"\r\n\r\n")
        assert b"200 OK" in head and b"content-type: application/x-protobuf" in head.lower(), head
        assert body == ledger.GetBlock(request, timeout=5).SerializeToString(), "the protobuf answer is not the gRPC answer"
    bad = subprocess.run(["curl", "-sS", "-X", "POST", f"http://{http}/cairn.v1.Ledger/GetBlock", "--data-binary", "@-",
                          "-H", "Content-Type: application/x-protobuf", "-w", "\n%{http_code}"],
                         input=b"\x08\xff", capture_output=True).stdout.decode()  # a varint cut short
    text, _, code = bad.rpartition("\n")
    assert code == "400" and "is not a cairn.v1.GetBlockRequest in protobuf" in json.loads(text)["message"], bad
    streamed = subprocess.run(["curl", "-sS", "-X", "POST", f"http://{http}/cairn.v1.Ledger/StreamBlocks", "--data-binary", "",
                               "-H", "Content-Type: application/x-protobuf", "-w", "\n%{http_code}"], capture_output=True, text=True).stdout
    assert streamed.endswith("\n415") and "streams take JSON lines" in streamed, streamed

    # StreamBlocks: one {"result": block} a line, from the height asked, each the gRPC block.
    code, text = curl("/cairn.v1.Ledger/StreamBlocks", api_pb2.StreamBlocksRequest(from_height=1), stream_seconds=3)
    streamed = [json_format.Parse(json.dumps(json.loads(line)["result"]), api_pb2.GetBlockResponse())
                for line in text.splitlines() if line]
    assert len(streamed) >= 3 and [b.height for b in streamed] == list(range(1, len(streamed) + 1)), text[:300]
    for block in streamed[:3]:
        assert block == ledger.GetBlock(api_pb2.GetBlockRequest(height=block.height), timeout=5)

    # Errors: one format, the HTTP status of the gRPC code, the gRPC message.
    expect_error("/cairn.v1.Ledger/GetBlock", "{", 400, grpc.StatusCode.INVALID_ARGUMENT, "GetBlockRequest")
    expect_error("/cairn.v1.Ledger/GetBlock", '{"hieght": 1}', 400, grpc.StatusCode.INVALID_ARGUMENT, "hieght")
    error = expect_error("/cairn.v1.Ledger/GetBlock", '{"height": "1000000000"}', 404, grpc.StatusCode.NOT_FOUND)
    try:
        ledger.GetBlock(api_pb2.GetBlockRequest(height=1000000000), timeout=5)
        raise AssertionError("gRPC found block 1000000000")
    except grpc.RpcError as e:
        assert (e.code(), e.details()) == (grpc.StatusCode.NOT_FOUND, error["message"]), e
    expect_error("/cairn.v1.Ledger/Nothing", "{}", 404, grpc.StatusCode.NOT_FOUND, "no method")
    expect_error("/cairn.v1.Internal/Anything", "{}", 404, grpc.StatusCode.NOT_FOUND, "no method")
    expect_error("/cairn.v1.Transactions/SubmitStream", "{}\n{\n", 400, grpc.StatusCode.INVALID_ARGUMENT, "line 2")
    expect_error("/cairn.v1.Node/GetStatus", "x" * (5 << 20), 413, grpc.StatusCode.RESOURCE_EXHAUSTED, "bytes")
    get = subprocess.run(["curl", "-sS", f"http://{http}/cairn.v1.Node/GetStatus", "-w", "\n%{http_code}"],
                         capture_output=True).stdout.decode()
    assert get.endswith("\n405") and json.loads(get.rpartition("\n")[0])["code"] == grpc.StatusCode.UNIMPLEMENTED.value[0], get

    # The submit rate: one budget per address across both ports, another address its own.
    time.sleep(2.5)  # the bucket refills
    codes = [curl("/cairn.v1.Transactions/Submit", "{}")[0] for _ in range(10)]
    assert codes.count(429) >= 3 and codes[0] == 400, codes  # 400: admitted, then refused as empty
    try:
        txs.Submit(api_pb2.SubmitRequest(), timeout=5)
        raise AssertionError("gRPC from the same address was not limited")
    except grpc.RpcError as e:
        assert e.code() == grpc.StatusCode.RESOURCE_EXHAUSTED, e
    code, text = curl("/cairn.v1.Transactions/Submit", "{}", interface="127.0.0.2")
    assert code == 400 and "missing" in text, f"another address was limited: {code} {text}"

    # Connections: an address holds at most 16 at once; the 17th is closed at once, and
    # another address is still served. A stream nobody reads holds no one else up.
    idle = [socket.create_connection(("127.0.0.1", int(http.split(":")[1]))) for _ in range(16)]
    extra = socket.create_connection(("127.0.0.1", int(http.split(":")[1])))
    extra.settimeout(5)
    assert extra.recv(1) == b"", "a 17th connection from one address was kept"
    code, _ = curl("/cairn.v1.Node/GetStatus", "{}", interface="127.0.0.3")
    assert code == 200, code
    for s in idle + [extra]:
        s.close()
    unread = socket.create_connection(("127.0.0.1", int(http.split(":")[1])))
    unread.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    body = b'{"fromHeight": "1"}'
    unread.sendall(b"POST /cairn.v1.Ledger/StreamBlocks HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
    time.sleep(1)
    assert call("/cairn.v1.Node/GetStatus", "{}", api_pb2.GetStatusResponse).height >= 2
    unread.close()
    print("http api test passed", flush=True)
finally:
    network.stop()
    subprocess.run(["rm", "-rf", work])
