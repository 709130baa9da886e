#!/usr/bin/python3
"""The explorer (rpc/explorer/) in a real browser: headless Chromium loads each view from
a 4-validator devnet's HTTP port, and the values it shows (after its own checks) are
compared with what the CLI reads over gRPC. The chain changes its set once (node3 is
removed, epoch 1), and the page, given the genesis block's checkpoint, proves that change
and marks each block, transaction and account it shows as committed by the validators,
with how many of how many signed; without a checkpoint it says the value is not
verified; from a checkpoint it cannot prove (a wrong one, or one after the block) it
says so. An HTTP proxy in front of the node then lies (a balance with a proof and root
recomputed to match, a forged certificate signature, a forged set change, an account
proven absent by a leaf key glued to its value hash, another transaction or block than
the one asked for) and the page marks each FAILS, naming what failed. A validator name and a receipt message holding
markup show up as text, never as markup. Screenshots of every view go to SCREENSHOT_DIR.

usage: explorer_test.py CAIRN CAIRND PROTO_DIR SCREENSHOT_DIR
"""
import hashlib
import html.parser
import http.client
import http.server
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "client"))
import support  # noqa: E402

cairn, cairnd, proto_dir, screenshots = sys.argv[1:5]
work = support.with_client_package("cairn-explorer-", proto_dir)

from cairn.v1 import api_pb2, block_pb2, p2p_pb2, state_pb2  # noqa: E402
from cairn_client.signing import domain_hash  # noqa: E402

seed = int(os.environ.get("CAIRN_TEST_SEED", random.randrange(1 << 30)))
print(f"explorer test: seed {seed}", flush=True)
base_port = 20000 + random.Random(seed).randrange(750) * 16
os.makedirs(screenshots, exist_ok=True)
MARKUP = '<img src=x onerror="document.title=1">&<b>"x"</b>'
chain = support.Network(cairn, cairnd, work, 4, base_port, testnet_args=("--epoch-length", "10", "--admin-threshold", "2"))
node_http = chain.http_address(0)


def cli(*args, check=True):
    env = {**os.environ, "CAIRN_TRUST_GENESIS": f"{chain.dir}/genesis.json", "CAIRN_TRUST_DIR": f"{work}/trust"}
    run = subprocess.run([cairn, *args, "--node", chain.grpc_address(0)], capture_output=True, text=True, env=env)
    if check and run.returncode != 0:
        raise AssertionError(f"cairn {' '.join(args)}: {run.stderr}")
    return json.loads(run.stdout.splitlines()[-1]) if run.stdout.strip() else None


def chromium(*args):
    # A profile of its own each time: what a page keeps (its proven epochs) never carries
    # from one load to the next.
    profile = tempfile.mkdtemp(prefix="chromium-", dir=work)
    return subprocess.run(["chromium", "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                           f"--user-data-dir={profile}", "--hide-scrollbars", "--virtual-time-budget=8000", *args],
                          capture_output=True, text=True, timeout=90)


class Fields(html.parser.HTMLParser):
    """The text of every element with data-field, the attributes of every <tr>, and
    every tag seen (to prove no markup from the chain became elements)."""

    def __init__(self):
        super().__init__()
        self.fields, self.rows, self.tags, self.loaded = {}, [], [], None
        self._open = []  # [field, depth, text]
        self._depth = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        if tag == "body":
            self.loaded = attrs.get("data-loaded")
        if tag == "tr":
            self.rows.append(attrs)
        self._depth += 1
        if "data-field" in attrs:
            self._open.append([attrs["data-field"], self._depth, ""])

    def handle_endtag(self, tag):
        if self._open and self._open[-1][1] == self._depth:
            name, _, text = self._open.pop()
            self.fields.setdefault(name, text.strip())
        self._depth -= 1

    def handle_data(self, data):
        for entry in self._open:
            entry[2] += data


def view(fragment, name=None, trust=None, host=None):
    """Loads the view (with ?trust=CHECKPOINT when given), saves its screenshot when
    named, and returns what the page shows."""
    url = f"http://{host or node_http}/{'?trust=' + trust if trust else ''}{fragment}"
    page = Fields()
    for _ in range(3):  # a view whose data is not there yet (a block a moment old) is retried
        dom = chromium("--dump-dom", url)
        page = Fields()
        page.feed(dom.stdout)
        if page.loaded == fragment:
            break
        time.sleep(1)
    assert page.loaded == fragment, f"{fragment} did not load: {page.fields.get('error')} {dom.stderr[-500:]}"
    if name:
        shot = os.path.join(screenshots, f"{name}.png")
        chromium(f"--screenshot={shot}", "--window-size=1280,1000", url)
        assert os.path.getsize(shot) > 10_000, f"no screenshot of {fragment}"
    return page


class LyingGateway(http.server.BaseHTTPRequestHandler):
    """Forwards every request to node0's HTTP port; with `lie` set, rewrites the protobuf
    answers that lie is about (the bytes the page verifies)."""
    protocol_version = "HTTP/1.1"
    lie = None
    swap_to = b""  # "swap": the transaction hash asked for in place of any other

    def do_GET(self):
        self.forward(None)

    def do_POST(self):
        self.forward(self.rfile.read(int(self.headers.get("Content-Length", 0))))

    def forward(self, body):
        protobuf = self.headers["Content-Type"] == "application/x-protobuf"
        if protobuf and self.lie == "swap" and self.path.endswith("/GetTransaction"):
            body = api_pb2.GetTransactionRequest(tx_hash=self.swap_to).SerializeToString()
        if protobuf and self.lie == "other-block" and self.path.endswith("/GetBlock"):
            asked = api_pb2.GetBlockRequest.FromString(body)
            body = api_pb2.GetBlockRequest(height=asked.height - 1).SerializeToString()
        upstream = http.client.HTTPConnection(node_http, timeout=30)
        headers = {"Content-Type": self.headers["Content-Type"]} if self.headers["Content-Type"] else {}
        upstream.request(self.command, self.path, body=body, headers=headers)
        answer = upstream.getresponse()
        data = answer.read()
        if answer.status == 200 and answer.getheader("Content-Type") == "application/x-protobuf":
            data = self.rewrite(self.path, data)
        self.send_response(answer.status)
        for name in ("Content-Type", "Content-Security-Policy", "Cache-Control"):
            if answer.getheader(name):
                self.send_header(name, answer.getheader(name))
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def rewrite(self, path, data):
        if self.lie == "balance" and path.endswith("/GetAccount"):
            # A bigger balance, with the proof and root of a tree holding that one account,
            # in a header whose state root is that root: all agree with each other.
            answer = api_pb2.GetAccountResponse.FromString(data)
            account = state_pb2.Account.FromString(answer.proof.account)
            account.balances[0].amount += 1_000_000
            answer.proof.account = account.SerializeToString()
            key = hashlib.sha256(answer.proof.address).digest()
            root = hashlib.sha256(b"\0" + key + domain_hash(b"account", "", answer.proof.account)).digest()
            answer.state_root = root
            del answer.proof.siblings[:]
            header = block_pb2.BlockHeader.FromString(answer.block_header)
            header.state_root = root
            answer.block_header = header.SerializeToString()
            return answer.SerializeToString()
        if self.lie == "absent" and path.endswith("/GetAccount"):
            # The account proven absent: "another leaf" whose key is the account's own
            # key and a byte of its value hash, and whose value is the rest of that hash,
            # hashes to the account's true leaf, under the true root and header.
            answer = api_pb2.GetAccountResponse.FromString(data)
            value_hash = domain_hash(b"account", "", answer.proof.account)
            answer.proof.other_leaf_key = hashlib.sha256(answer.proof.address).digest() + value_hash[:1]
            answer.proof.other_leaf_value_hash = value_hash[1:]
            answer.proof.account = b""
            answer.ClearField("account")
            return answer.SerializeToString()
        if self.lie == "forged" and path.endswith("/GetBlock"):
            answer = api_pb2.GetBlockResponse.FromString(data)
            s = answer.commit_proof.finality.signatures[0]
            s.signature = bytes([s.signature[0] ^ 1]) + s.signature[1:]
            return answer.SerializeToString()
        if self.lie == "set" and path.endswith("/GetEpochChanges"):
            answer = p2p_pb2.EpochChangesResponse.FromString(data)
            for change in answer.changes:
                if change.governance.epoch == 1:
                    change.governance.validators.validators[0].name = "mallory"
            return answer.SerializeToString()
        return data

    def log_message(self, *args):
        pass


def verified(page):
    return page.fields["verified"]


proxy = http.server.ThreadingHTTPServer(("127.0.0.1", base_port + 15), LyingGateway)
threading.Thread(target=proxy.serve_forever, daemon=True).start()
try:
    deadline = time.time() + 60
    while time.time() < deadline and (cli("status", "--json", check=False) or {}).get("height", 0) < 2:
        time.sleep(0.3)
    admin = f"{chain.dir}/client.key"

    def new_key(name):
        return json.loads(subprocess.run([cairn, "keygen", "--out", f"{work}/{name}.key", "--json"],
                                         capture_output=True, text=True, check=True).stdout)
    alice, bob = new_key("alice"), new_key("bob")
    cli("create-account", "--key", admin, "--public-key", alice["public_key"], "--wait", "--json")
    cli("create-account", "--key", admin, "--public-key", bob["public_key"], "--role", "admin", "--wait", "--json")
    sent0 = cli("transfer", "--key", admin, "--to", alice["address"], "--amount", "1000", "--wait", "--json")
    refused = cli("propose-validator", "--key", admin, "--remove", MARKUP, "--wait", "--json", check=False)
    assert refused["result"] == "TX_INVALID_GOVERNANCE", refused
    cli("propose-validator", "--key", admin, "--add", MARKUP, "--public-key", alice["public_key"],
        "--address", "127.0.0.1:9", "--wait", "--json")
    # The set changes once: node3 removed, approved by the second admin, from epoch 1.
    cli("propose-validator", "--key", admin, "--remove", "node3", "--wait", "--json")
    removal = max(p["id"] for p in cli("validators", "--json")["open_proposals"])
    cli("vote", "--key", f"{work}/bob.key", "--proposal", str(removal), "--approve", "--wait", "--json")
    deadline = time.time() + 90
    while cli("validators", "--json")["validators"]["epoch"] < 1:
        assert time.time() < deadline, "the set change did not take effect"
        time.sleep(0.5)
    sent = cli("transfer", "--key", admin, "--to", alice["address"], "--amount", "234", "--wait", "--json")
    epochs = [json.loads(line) for line in subprocess.run(
        [cairn, "epochs", "--json", "--node", chain.grpc_address(0), "--trust-genesis", f"{chain.dir}/genesis.json",
         "--trust-store", f"{work}/epochs.trust"], capture_output=True, text=True, check=True).stdout.splitlines()]
    assert [e["epoch"] for e in epochs] == [0, 1], epochs
    genesis, epoch1 = epochs[0]["checkpoint"], epochs[1]["checkpoint"]
    assert genesis.startswith("0:"), genesis

    status = cli("status", "--json")
    home = view("#/", "home")
    assert home.fields["chain_id"] == status["chain_id"] and int(home.fields["height"]) >= status["height"], home.fields
    assert home.fields["version"].startswith(status["version"]), home.fields
    assert any(r.get("data-block-height") == str(sent["height"]) or int(r.get("data-block-height", 0)) > sent["height"]
               for r in home.rows), "the latest blocks are not listed"

    # Trusting the genesis block: each value proven committed, the set change proven too.
    block = cli("block", str(sent["height"]), "--json")
    page = view(f"#/block/{sent['height']}", "block", trust=genesis).fields
    for field in ("hash", "round", "proposer", "timestamp", "state_root", "tx_root", "epoch", "transactions"):
        assert page[field] == str(block[field]), (field, page[field], block[field])
    assert page["hash_check"] == "checks" and page["height"] == str(sent["height"]), page
    assert page["signers"].startswith("signed by validators") == (block["signers"] > 0), page
    assert page["verified"].startswith(f"verified in this page: block {sent['height']} of epoch 1 committed, ") and \
        " of 3 validators signed (trusting checkpoint 0:" in page["verified"], page["verified"]
    page = view(f"#/block/{sent0['height']}", trust=genesis).fields
    assert page["verified"].startswith(f"verified in this page: block {sent0['height']} of epoch 0 committed, ") and \
        " of 4 validators signed" in page["verified"], page["verified"]

    tx = cli("tx", sent["tx_hash"], "--json")
    page = view(f"#/tx/{sent['tx_hash']}", "transaction", trust=genesis).fields
    assert page["inclusion"] == "checks" and page["result"] == tx["result"] and page["height"] == str(tx["height"]), page
    assert page["block_hash"] == tx["block_hash"] and page["index"] == str(tx["index"]), page
    assert page["operation"] == f"transfer 234 CAIRN to {alice['address']}", page
    assert page["verified"].startswith(f"verified in this page: block {tx['height']} of epoch 1 committed"), page
    page = view(f"#/tx/{refused['tx_hash']}", "refused", trust=genesis).fields
    assert page["message"] == f"no validator is named {MARKUP}", page  # the text, exactly
    assert page["result"] == "TX_INVALID_GOVERNANCE" and page["verified"].startswith("verified in this page"), page

    account = cli("account", alice["address"], "--json")
    page = view(f"#/account/{alice['address']}", "account", trust=genesis)
    assert page.fields["proof"] == "checks" and page.fields["exists"] == "yes", page.fields
    assert page.fields["verified"].startswith("verified in this page: block ") and "of epoch 1 committed" in page.fields["verified"], page.fields
    assert page.fields["nonce"] == str(account["nonce"]) and page.fields["role"] == account["role"], page.fields
    assert [r["data-asset"] for r in page.rows if "data-asset" in r] == ["CAIRN"], page.rows

    # An asset of the registry, proven with its supply; one not registered, its absence proven.
    asset = cli("asset", "show", "CAIRN", "--json")
    page = view("#/asset/CAIRN", "asset", trust=genesis).fields
    assert page["proof"] == "checks" and page["registered"] == "yes" and page["supply"] == str(asset["supply"]), (page, asset)
    assert page["verified"].startswith("verified in this page: block "), page
    page = view("#/asset/NOPE", trust=genesis).fields
    assert page["proof"] == "checks" and page["registered"] == "no" and page["verified"].startswith("verified in this page"), page

    # The Trust view lists the sets proven from the checkpoint, as `cairn epochs` does.
    page = view("#/trust", "trust", trust=genesis)
    assert page.fields["checkpoint"] == genesis and page.fields["trust_state"] == "proven up to epoch 1", page.fields
    assert [r["data-epoch"] for r in page.rows if "data-epoch" in r] == ["0", "1"], page.rows

    # The page never claims what it did not check.
    page = view(f"#/block/{sent['height']}").fields
    assert page["verified"].startswith("not verified: no checkpoint to trust"), page
    page = view(f"#/block/{sent['height']}", trust=epoch1).fields
    assert page["verified"].startswith(f"verified in this page: block {sent['height']} of epoch 1"), page
    page = view(f"#/block/{sent0['height']}", trust=epoch1).fields
    assert page["verified"].startswith("FAILS: epoch 0 is before this page's checkpoint"), page
    page = view(f"#/block/{sent['height']}", trust="0:" + "00" * 32).fields
    assert page["verified"].startswith("FAILS: the trust root: checkpoint 0:") and "is not the root of an epoch" in page["verified"], page

    # Lies told by a proxy: each marked FAILS, naming what failed; the truth passes.
    liar = f"127.0.0.1:{base_port + 15}"
    page = view(f"#/account/{alice['address']}", trust=genesis, host=liar).fields
    assert page["verified"].startswith("verified in this page"), page
    LyingGateway.lie = "balance"
    page = view(f"#/account/{alice['address']}", "lie-balance", trust=genesis, host=liar).fields
    assert page["proof"] == "checks", page  # the forged proof agrees with the forged header...
    assert page["verified"].startswith("FAILS: block ") and \
        ("is not proven committed" in page["verified"] or "are not a chain" in page["verified"]), page  # ...which no one signed
    LyingGateway.lie = "forged"
    page = view(f"#/block/{sent['height']}", trust=genesis, host=liar).fields
    assert page["hash_check"] == "checks", page
    assert page["verified"].startswith(f"FAILS: block {sent['height']}: its commit certificate: certificate signature of validator"), page
    LyingGateway.lie = "set"
    page = view(f"#/block/{sent['height']}", trust=genesis, host=liar).fields
    assert page["verified"].startswith("FAILS: the governance state given with block ") and \
        "is not the one its header commits to" in page["verified"], page
    LyingGateway.lie = "absent"
    page = view(f"#/account/{alice['address']}", trust=genesis, host=liar).fields
    assert page["exists"] == "no" and page["proof"] == "FAILS: the proof's other leaf is malformed", page
    assert page["verified"] == "FAILS: the proof's other leaf is malformed", page
    LyingGateway.lie, LyingGateway.swap_to = "swap", bytes.fromhex(sent["tx_hash"])
    page = view(f"#/tx/{refused['tx_hash']}", trust=genesis, host=liar).fields
    assert page["inclusion"] == page["verified"] == "FAILS: the node answered about another transaction", page
    LyingGateway.lie = "other-block"
    page = view(f"#/block/{sent['height']}", trust=genesis, host=liar).fields
    assert page["verified"] == f"FAILS: the node answered with block {sent['height'] - 1}, not {sent['height']}", page
    LyingGateway.lie = None

    validators = cli("validators", "--json")
    page = view("#/validators", "validators")
    assert page.fields["count"] == "3" and page.fields["quorum"] == str(validators["quorum"]), page.fields
    assert [r["data-proposal"] for r in page.rows if "data-proposal" in r] == \
        [str(p["id"]) for p in validators["open_proposals"]], page.rows

    page = view("#/consensus", "consensus").fields
    assert int(page["committed_height"]) >= status["height"] and int(page["round"]) >= 1, page
    assert page["leader"].split()[0].isdigit(), page

    # The markup in the chain stayed text everywhere: no <img> or <b> was ever made.
    for fragment in (f"#/tx/{refused['tx_hash']}", "#/validators"):
        page = Fields()
        page.feed(chromium("--dump-dom", f"http://{node_http}/{fragment}").stdout)
        assert not [t for t, _ in page.tags if t in ("img", "b")], f"markup from the chain became elements in {fragment}"
    print(f"explorer test passed; screenshots in {screenshots}", flush=True)
finally:
    proxy.shutdown()
    chain.stop()
    subprocess.run(["rm", "-rf", work])
