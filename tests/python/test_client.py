#!/usr/bin/python3
"""Tests of the Python requester client (clients/python/gpoc_client.py).

Offline: the byte layouts and digests against vectors printed by gpoc's C++ code (the worked
examples of docs/PROTOCOL.md). Live: a real `gpoc scheduler` and three `gpoc worker --cpu`
processes on loopback, tasks submitted from Python at trust 5 and their outputs checked against
hashlib / sorted().

Environment: GPOC_BINARY (the gpoc executable), GPOC_PY_PROTO_DIR (the generated gpoc_pb2.py),
GPOC_CLIENT_DIR (clients/python; defaults to the one next to this checkout). Run with Debian's
/usr/bin/python3. Exits 77 (ctest: skipped) when a Debian Python package is missing.
"""

import ctypes
import dataclasses
import hashlib
import json
import os
import random
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import unittest

sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.environ.get("GPOC_CLIENT_DIR",
                                  os.path.join(HERE, os.pardir, os.pardir, "clients", "python")))

try:
    import google.protobuf  # noqa: F401  (python3-protobuf)
    import nacl.signing  # noqa: F401  (python3-nacl)
    import zmq  # noqa: F401  (python3-zmq)
except ImportError as e:
    print(f"SKIP: {e}; install python3-zmq python3-protobuf python3-nacl "
          f"(scripts/install-deps.sh) and run with /usr/bin/python3", file=sys.stderr)
    sys.exit(77)

import gpoc_client as g  # noqa: E402

WAIT_S = 60.0  # bound on any one task

# Printed by a throwaway C++ program linked against libgpoc_common / libgpoc_verifier (see
# docs/PROTOCOL.md, "Worked examples"): requester seed 00..1f, pool seed 20..3f, worker seed
# 40..5f, input bytes 00..7f, sha256 kernel with record_bytes=64, trust 5, nonce 0x0807060504030201.
VEC = {
    "requester_pub": "03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8",
    "worker_pub": "2543b92ff1095511476adc8369db6ddc933665a11978dda1404ee1066ca9559d",
    "spec": "67706f632e7461736b2e7631067368613235360100000016d778dbc4b7e7da6827b929ade60d27"
            "648df72f6ea93bebccd657b325ddffda8000000000000000010c7265636f72645f62797465730200"
            "36340500000000000000000000000100000003a107bff3ce10be1d70dd18e74bc09967e4d6309ba5"
            "0d5f1ddc8664125531b80102030405060708",
    "task_id": "53fb42992356251b448009a87911eb4a5a5016122877cd4690b2dec46f7c04bb",
    "spec_sig": "58b879875a40995c4b9c90ab0d5b44b974dfb0af8676b39ae3942daa1a60aa08ed382e28e330e2"
                "5f7a64b1afe97195f8b463f4b697e3c0af8dcdee955020af03",
    "output_digest": "f3e93576706ffb5aeed0a699031deddd1efab42eeea4656a21fc5d4a322efc2c",
    "result_hash": "c542bc22d9fdfa528b5ae1448403bdf2fc4b2e8398f1da2ba8a14adf06782a9d",
    "result_seal": "15178367730e309853d672896d44d6d6201492169d18d48fc982c8458c5b6cb5",
    "digest_empty": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "digest_abc": "609f6e36d2405585188d5cfd761f407c7cc46a7d3f314c88270469dde315fcd1",
    "digest_10000": "5635b73f45946809a9c450c61998cbf8b8ad92a18f9aa5c71830abb526aa664f",
    "digest_4097_zero": "1a334171955b2fdb714a54d6e1a6beb6e3d7c0410d65f31561ec40c2ddc04b21",
}


def example_spec() -> g.TaskSpec:
    data = bytes(range(128))
    return g.TaskSpec(kernel_id="sha256", input_digest=g.result_digest(data), input_bytes=len(data),
                      requester_key=g.RequesterKey(bytes(range(32))).public_key,
                      params=tuple(g._param_pairs({"record_bytes": 64})), trust=5,
                      requester_nonce=0x0807060504030201)


def rfc6962_recursive(leaves):
    """RFC 6962 2.1 as written (split at the largest power of two below n): an independent check
    of the client's bottom-up evaluation."""
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return g.merkle_node_hash(rfc6962_recursive(leaves[:k]), rfc6962_recursive(leaves[k:]))


class Vectors(unittest.TestCase):
    """The client's bytes equal the C++ code's (no processes)."""

    def test_task_spec_matches_cpp(self):
        spec = example_spec()
        spec_bytes = spec.encode()
        self.assertEqual(spec_bytes.hex(), VEC["spec"])
        self.assertEqual(len(spec_bytes), 137)
        self.assertEqual(g.task_id_of(spec_bytes).hex(), VEC["task_id"])
        self.assertEqual(hashlib.sha256(spec_bytes).hexdigest(), VEC["task_id"])
        self.assertEqual(g.decode_task_spec(spec_bytes), spec)
        # Ed25519 is deterministic: PyNaCl and libsodium give the same signature.
        self.assertEqual(g.RequesterKey(bytes(range(32))).sign(spec_bytes).hex(), VEC["spec_sig"])

    def test_decoder_accepts_only_canonical_bytes(self):
        spec_bytes = example_spec().encode()
        with self.assertRaises(ValueError):
            g.decode_task_spec(spec_bytes + b"\x00")  # trailing byte
        with self.assertRaises(ValueError):
            g.decode_task_spec(spec_bytes[:-1])  # truncated
        unsorted = dataclasses.replace(example_spec(), params=((b"b", b"1"), (b"a", b"2")))
        with self.assertRaises(ValueError):
            unsorted.encode()
        with self.assertRaises(ValueError):
            g._param_pairs([("a", "1"), ("a", "2")])
        self.assertEqual(g._param_pairs({"b": 2, "a": "1"}), [(b"a", b"1"), (b"b", b"2")])

    def test_result_digest_matches_cpp(self):
        self.assertEqual(g.result_digest(b"").hex(), VEC["digest_empty"])
        self.assertEqual(g.result_digest(b"abc").hex(), VEC["digest_abc"])
        self.assertEqual(g.result_digest(b"abc"), hashlib.sha256(b"\x00abc").digest())
        self.assertEqual(g.result_digest(bytes(i % 251 for i in range(10000))).hex(),
                         VEC["digest_10000"])
        self.assertEqual(g.result_digest(bytes(4097)).hex(), VEC["digest_4097_zero"])
        data = bytes(range(128))
        out = hashlib.sha256(data[:64]).digest() + hashlib.sha256(data[64:]).digest()
        self.assertEqual(g.result_digest(out).hex(), VEC["output_digest"])

    def test_bottom_up_tree_equals_rfc6962_split(self):
        leaves = [hashlib.sha256(bytes([i])).digest() for i in range(40)]
        for n in range(1, len(leaves) + 1):
            self.assertEqual(g.merkle_root_of_leaves(leaves[:n]), rfc6962_recursive(leaves[:n]), n)

    def test_result_hash_and_seal_match_cpp(self):
        tid = bytes.fromhex(VEC["task_id"])
        digest = bytes.fromhex(VEC["output_digest"])
        self.assertEqual(g.result_hash(tid, digest).hex(), VEC["result_hash"])
        self.assertEqual(g.result_seal(bytes.fromhex(VEC["worker_pub"]), tid, digest).hex(),
                         VEC["result_seal"])


def _die_with_parent():
    """In the child before exec: SIGTERM when this test process dies, even by SIGKILL (a ctest
    timeout), so no gpoc process outlives the test."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


class Pool:
    """A scheduler and three CPU workers in a temporary directory."""

    def __init__(self, binary: str):
        self.binary = binary
        self.dir = tempfile.mkdtemp(prefix="gpoc-py-")
        self.procs = []

    def spawn(self, name, args):
        log = open(os.path.join(self.dir, name + ".log"), "wb")
        try:
            p = subprocess.Popen([self.binary] + args, stdout=log, stderr=subprocess.STDOUT,
                                 stdin=subprocess.DEVNULL, preexec_fn=_die_with_parent)
        finally:
            log.close()
        self.procs.append((name, p))
        return p

    def start(self, workers=3):
        ready = os.path.join(self.dir, "ready.json")
        sched = self.spawn("scheduler", [
            "scheduler", "--data-dir", os.path.join(self.dir, "pool"),
            "--client-endpoint", "tcp://127.0.0.1:*", "--worker-endpoint", "tcp://127.0.0.1:*",
            "--ready-file", ready, "--heartbeat-ms", "100", "--liveness", "5",
            "--log-level", "debug"])
        deadline = time.monotonic() + 20
        while not os.path.exists(ready):
            if sched.poll() is not None:
                raise RuntimeError("scheduler exited:\n" + self.log("scheduler"))
            if time.monotonic() > deadline:
                raise TimeoutError("scheduler wrote no ready file within 20 s")
            time.sleep(0.02)
        with open(ready) as f:
            info = json.load(f)
        self.client_endpoint = info["client_endpoint"]
        self.pool_id = bytes.fromhex(info["pool_id"])
        for i in range(workers):
            self.spawn(f"worker-{i}", [
                "worker", "--scheduler", info["worker_endpoint"], "--cpu",
                "--key", os.path.join(self.dir, f"worker-{i}.key"), "--log-level", "debug"])

    def log(self, name, tail=4000):
        try:
            with open(os.path.join(self.dir, name + ".log"), "rb") as f:
                return f.read()[-tail:].decode("utf-8", "replace")
        except OSError:
            return ""

    def stop(self):
        for _, p in reversed(self.procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for _, p in reversed(self.procs):
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=5)
        self.procs.clear()

    def remove(self):
        shutil.rmtree(self.dir, ignore_errors=True)


class LivePool(unittest.TestCase):
    pool = None
    client = None
    failed = False

    @classmethod
    def setUpClass(cls):
        binary = os.environ.get("GPOC_BINARY")
        if not binary or not os.access(binary, os.X_OK):
            raise unittest.SkipTest("GPOC_BINARY does not name the gpoc executable")
        cls.pool = Pool(binary)
        cls.addClassCleanup(cls._cleanup)  # runs even when setUpClass fails half-way
        try:
            cls.pool.start(workers=3)
            cls.client = g.Client(cls.pool.client_endpoint, g.RequesterKey.generate())
        except BaseException:
            cls.failed = True  # keep the logs
            raise

    @classmethod
    def _cleanup(cls):
        if cls.client is not None:
            cls.client.close()
        cls.pool.stop()
        if cls.failed:
            print(f"\n--- scheduler log (tail) ---\n{cls.pool.log('scheduler')}\n"
                  f"(logs kept in {cls.pool.dir})", file=sys.stderr)
        else:
            cls.pool.remove()

    def run(self, result=None):
        result = super().run(result)
        if result is not None and (result.failures or result.errors):
            type(self).failed = True
        return result

    def run_task(self, kernel, data, params=None, trust=5):
        c = self.client
        task = c.prepare(kernel, data, params, trust=trust)
        self.assertEqual(task.task_id, hashlib.sha256(task.spec_bytes).digest())
        sub = c.submit(task, notify=True)
        self.assertEqual(bytes(sub.task_id), task.task_id)
        self.assertEqual(sub.state, c.pb.TASK_PENDING)  # durable, not a duplicate
        self.assertFalse(sub.duplicate)
        st = c.wait(task.task_id, WAIT_S)
        self.assertEqual(st.state, c.pb.TASK_COMPLETED, st.reason)
        self.assertEqual(st.trust, trust)
        winners = [r for r in st.replicas if r.winner]
        if st.HasField("certificate") and st.certificate.decisive:
            # A kernel certificate met the trust: a wrong result passes with probability at
            # most 2^-bound_bits <= 1/trust (sorts: the scheduler checks order and multiset).
            self.assertGreaterEqual(2 ** st.certificate.bound_bits, trust)
            self.assertEqual(len(st.certificate.seed), 32)
            self.assertGreaterEqual(len(winners), 1)
        else:
            # The commit met the consensus rule: weight(g) * trust > total * (trust - 1).
            self.assertGreater(st.credibility_num * trust, st.credibility_den * (trust - 1))
            self.assertGreaterEqual(len(winners), 2, "trust 5 cannot be met by one fresh worker")
        self.assertEqual(len({bytes(r.worker_key) for r in st.replicas}), len(st.replicas))
        out = c.fetch_result(task.task_id, st)
        self.assertEqual(len(out), st.output_bytes)
        return task, st, out

    def test_sha256_inline(self):
        rng = random.Random(1)
        data = bytes(rng.getrandbits(8) for _ in range(64 * 500))
        _, _, out = self.run_task("sha256", data, {"record_bytes": 64})
        want = b"".join(hashlib.sha256(data[i:i + 64]).digest() for i in range(0, len(data), 64))
        self.assertEqual(out, want)

    def test_sha256_chunked_input(self):
        rng = random.Random(2)
        data = rng.randbytes(1536 * 1024)  # 1.5 MiB: Submit + one submit_chunk
        _, _, out = self.run_task("sha256", data, {"record_bytes": 4096})
        want = b"".join(hashlib.sha256(data[i:i + 4096]).digest()
                        for i in range(0, len(data), 4096))
        self.assertEqual(out, want)

    def test_sort_u32_chunked_input_and_result(self):
        rng = random.Random(3)
        values = [rng.getrandbits(32) for _ in range(700_000)]  # 2.8 MB in, 2.8 MB out
        data = struct.pack(f"<{len(values)}I", *values)
        _, st, out = self.run_task("sort_u32", data)
        self.assertGreater(st.output_bytes, g.CHUNK_BYTES)  # fetched in several result chunks
        self.assertEqual(out, struct.pack(f"<{len(values)}I", *sorted(values)))

    def test_sort_u32_inline(self):
        rng = random.Random(4)
        values = [rng.getrandbits(32) for _ in range(1000)] + [0, 0xFFFFFFFF, 7, 7]
        data = struct.pack(f"<{len(values)}I", *values)
        _, _, out = self.run_task("sort_u32", data)
        self.assertEqual(out, struct.pack(f"<{len(values)}I", *sorted(values)))

    def test_resubmission_is_a_duplicate(self):
        c = self.client
        task, _, _ = self.run_task("sort_u32", struct.pack("<3I", 3, 1, 2))
        again = c.submit(task)
        self.assertTrue(again.duplicate)
        self.assertEqual(bytes(again.task_id), task.task_id)
        self.assertEqual(again.state, c.pb.TASK_COMPLETED)

    def test_tampered_signature_is_refused(self):
        c = self.client
        task = c.prepare("sort_u32", struct.pack("<2I", 2, 1), trust=5)
        bad = bytearray(task.signature)
        bad[0] ^= 0x01
        with self.assertRaises(g.GpocError) as ctx:
            c.submit(task, signature=bytes(bad))
        self.assertEqual(ctx.exception.code, c.pb.ERROR_BAD_SIGNATURE)
        self.assertEqual(ctx.exception.task_id, task.task_id)
        with self.assertRaises(g.GpocError) as ctx:
            c.status(task.task_id)
        self.assertEqual(ctx.exception.code, c.pb.ERROR_UNKNOWN_TASK)  # nothing was created

    def test_tampered_spec_is_refused(self):
        c = self.client
        task = c.prepare("sort_u32", struct.pack("<2I", 2, 1), trust=5)
        spec = bytearray(task.spec_bytes)
        spec[-1] ^= 0x80  # the nonce's top byte: still a valid spec, no longer the signed one
        forged = dataclasses.replace(task, spec_bytes=bytes(spec),
                                     task_id=g.task_id_of(bytes(spec)))
        with self.assertRaises(g.GpocError) as ctx:
            c.submit(forged)
        self.assertEqual(ctx.exception.code, c.pb.ERROR_BAD_SIGNATURE)

    def test_input_not_matching_the_signed_digest_is_refused(self):
        c = self.client
        task = c.prepare("sort_u32", struct.pack("<4I", 4, 3, 2, 1), trust=5)
        swapped = dataclasses.replace(task, input=struct.pack("<4I", 1, 2, 3, 4))
        with self.assertRaises(g.GpocError) as ctx:
            c.submit(swapped)
        self.assertEqual(ctx.exception.code, c.pb.ERROR_DIGEST_MISMATCH)

    def test_unknown_kernel_is_refused(self):
        c = self.client
        task = c.prepare("no_such_kernel", b"", trust=5)
        with self.assertRaises(g.GpocError) as ctx:
            c.submit(task)
        self.assertIn("unknown kernel", ctx.exception.message)

    def test_fetch_refuses_output_that_misses_the_digest(self):
        c = self.client
        task, st, _ = self.run_task("sort_u32", struct.pack("<5I", 5, 4, 3, 2, 1))
        wrong = type(st)()
        wrong.CopyFrom(st)
        wrong.digest = bytes(32)  # what a lying scheduler or a corrupted transfer would look like
        with self.assertRaises(g.VerificationError):
            c.fetch_result(task.task_id, wrong)


if __name__ == "__main__":
    unittest.main()
