"""gpoc requester client: sign a task, submit it, wait for the verified result, fetch and check it.

Everything here follows docs/PROTOCOL.md; the byte layouts are the ones the C++ code signs and
hashes (common/src/statements.cpp, common/src/merkle.cpp). Dependencies are Debian packages only:
python3-zmq, python3-protobuf and python3-nacl (Ed25519), plus hashlib for SHA-256.

The Protobuf module (gpoc_pb2) is generated from proto/gpoc.proto at build time
(`protoc --python_out=DIR -I proto proto/gpoc.proto`); pass DIR as `proto_dir` or set
GPOC_PY_PROTO_DIR.

    key = RequesterKey.generate()
    with Client("tcp://127.0.0.1:7600", key) as c:
        status, output = c.run("sort_u32", data, trust=5)

Run it with Debian's interpreter, /usr/bin/python3.
"""

from __future__ import annotations

import argparse
import collections
import dataclasses
import hashlib
import importlib
import os
import re
import secrets
import struct
import sys
import time
from typing import Iterable, Mapping, Optional, Sequence, Tuple, Union

import nacl.signing
import zmq

PROTOCOL_VERSION = 1
LEAF_BYTES = 4096                 # result digest leaf size
CHUNK_BYTES = 1 << 20             # inputs above this go in chunks; results come back in chunks
MAX_MESSAGE_BYTES = 8 << 20       # one Envelope; the scheduler disconnects a peer sending more

TASK_TAG = b"gpoc.task.v1"
RESULT_HASH_TAG = b"gpoc.hash"
RESULT_SEAL_TAG = b"gpoc.seal"
KEY_FILE_TAG = "gpoc-ed25519-v1"

KERNEL_ID_MAX = 64
PARAMS_MAX = 32
PARAM_KEY_MAX = 64
PARAM_VALUE_MAX = 256
MIN_REPLICAS_MAX = 64

_U32_MAX = (1 << 32) - 1
_U64_MAX = (1 << 64) - 1
_KERNEL_ID_RE = re.compile(rb"[a-z0-9_]{1,64}\Z")

# ---- result digest (RFC 6962 Merkle Tree Hash over 4096-byte leaves) -----------------------


def merkle_leaf_hash(chunk: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + chunk).digest()


def merkle_node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def merkle_root_of_leaves(leaf_hashes: Sequence[bytes]) -> bytes:
    """RFC 6962 MTH over already-hashed leaves (also the ledger's tree head over entry hashes)."""
    if not leaf_hashes:
        return hashlib.sha256(b"").digest()
    level = list(leaf_hashes)
    # Pairing adjacent nodes level by level and carrying an odd last node up unchanged builds the
    # same tree as RFC 6962's split at the largest power of two below n.
    while len(level) > 1:
        nxt = [merkle_node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2 == 1:
            nxt.append(level[-1])
        level = nxt
    return level[0]


def result_digest(data: Union[bytes, bytearray, memoryview]) -> bytes:
    """The digest replicas vote on, and the input digest in a task spec."""
    view = memoryview(data)
    if len(view) == 0:
        return hashlib.sha256(b"").digest()
    leaves = [merkle_leaf_hash(bytes(view[off:off + LEAF_BYTES]))
              for off in range(0, len(view), LEAF_BYTES)]
    return merkle_root_of_leaves(leaves)


def result_hash(task_id: bytes, digest: bytes) -> bytes:
    """SHA-256("gpoc.hash" || task_id || digest): a worker's vote, and TaskStatus.consensus_hash."""
    return hashlib.sha256(RESULT_HASH_TAG + task_id + digest).digest()


def result_seal(worker_key: bytes, task_id: bytes, digest: bytes) -> bytes:
    return hashlib.sha256(RESULT_SEAL_TAG + worker_key + task_id + digest).digest()


# ---- task spec (gpoc.task.v1) ----------------------------------------------------------------

Params = Union[Mapping[str, Union[str, int]], Iterable[Tuple[str, Union[str, int]]]]


def _param_pairs(params: Optional[Params]) -> list:
    if params is None:
        return []
    items = params.items() if isinstance(params, Mapping) else params
    pairs = []
    for k, v in items:
        if isinstance(v, bool) or not isinstance(v, (str, int)):
            raise TypeError(f"parameter {k!r}: value must be str or int")
        if isinstance(v, int):
            if v < 0:
                raise ValueError(f"parameter {k!r}: negative values have no canonical spelling")
            v = str(v)
        pairs.append((k.encode("utf-8"), v.encode("utf-8")))
    pairs.sort()
    for a, b in zip(pairs, pairs[1:]):
        if a[0] == b[0]:
            raise ValueError(f"parameter {a[0].decode()!r} given twice")
    return pairs


@dataclasses.dataclass(frozen=True)
class TaskSpec:
    """What a requester signs. task_id = SHA-256(encode())."""

    kernel_id: str
    input_digest: bytes
    input_bytes: int
    requester_key: bytes
    kernel_version: int = 1
    params: Tuple[Tuple[bytes, bytes], ...] = ()   # sorted by key, keys unique
    trust: int = 1
    category: int = 0
    min_replicas: int = 1
    requester_nonce: int = 0

    def encode(self) -> bytes:
        return encode_task_spec(self)

    @property
    def task_id(self) -> bytes:
        return task_id_of(self.encode())


def _check_uint(name: str, v: int, hi: int, lo: int = 0) -> None:
    if not isinstance(v, int) or isinstance(v, bool) or not lo <= v <= hi:
        raise ValueError(f"{name} must be an integer in [{lo}, {hi}], got {v!r}")


def _check_spec(s: TaskSpec) -> None:
    kid = s.kernel_id.encode("utf-8")
    if not _KERNEL_ID_RE.match(kid):
        raise ValueError("kernel id must be 1-64 characters of [a-z0-9_]")
    if len(s.params) > PARAMS_MAX:
        raise ValueError("at most 32 parameters")
    for i, (k, v) in enumerate(s.params):
        if not 1 <= len(k) <= PARAM_KEY_MAX:
            raise ValueError("parameter key must be 1-64 bytes")
        if len(v) > PARAM_VALUE_MAX:
            raise ValueError(f"parameter {k!r} is longer than 256 bytes")
        if i > 0 and s.params[i - 1][0] >= k:
            raise ValueError("parameters must be sorted by key with no duplicates")
    _check_uint("kernel_version", s.kernel_version, _U32_MAX)
    _check_uint("input_bytes", s.input_bytes, _U64_MAX)
    _check_uint("trust", s.trust, _U64_MAX, lo=1)
    _check_uint("category", s.category, _U32_MAX)
    _check_uint("min_replicas", s.min_replicas, MIN_REPLICAS_MAX, lo=1)
    _check_uint("requester_nonce", s.requester_nonce, _U64_MAX)
    if len(s.input_digest) != 32 or len(s.requester_key) != 32:
        raise ValueError("input_digest and requester_key must be 32 bytes")


def encode_task_spec(s: TaskSpec) -> bytes:
    """The canonical bytes (docs/PROTOCOL.md, "gpoc.task.v1"); integers are little-endian."""
    _check_spec(s)
    kid = s.kernel_id.encode("utf-8")
    out = bytearray(TASK_TAG)
    out += struct.pack("<B", len(kid)) + kid
    out += struct.pack("<I", s.kernel_version)
    out += s.input_digest
    out += struct.pack("<Q", s.input_bytes)
    out += struct.pack("<B", len(s.params))
    for k, v in s.params:
        out += struct.pack("<B", len(k)) + k + struct.pack("<H", len(v)) + v
    out += struct.pack("<QII", s.trust, s.category, s.min_replicas)
    out += s.requester_key
    out += struct.pack("<Q", s.requester_nonce)
    return bytes(out)


class _Reader:
    def __init__(self, data: bytes):
        self.data, self.pos = data, 0

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise ValueError("task spec: truncated")
        b = self.data[self.pos:self.pos + n]
        self.pos += n
        return b

    def unpack(self, fmt: str):
        return struct.unpack(fmt, self.take(struct.calcsize(fmt)))[0]


def decode_task_spec(data: bytes) -> TaskSpec:
    """Accepts only the canonical encoding: decode_task_spec(b).encode() == b."""
    r = _Reader(bytes(data))
    if r.take(len(TASK_TAG)) != TASK_TAG:
        raise ValueError("task spec: missing tag gpoc.task.v1")
    kernel_id = r.take(r.unpack("<B")).decode("utf-8")
    kernel_version = r.unpack("<I")
    input_digest = r.take(32)
    input_bytes = r.unpack("<Q")
    params = []
    for _ in range(r.unpack("<B")):
        k = r.take(r.unpack("<B"))
        v = r.take(r.unpack("<H"))
        params.append((k, v))
    trust, category, min_replicas = r.unpack("<Q"), r.unpack("<I"), r.unpack("<I")
    requester_key = r.take(32)
    nonce = r.unpack("<Q")
    if r.pos != len(r.data):
        raise ValueError("task spec: trailing bytes")
    spec = TaskSpec(kernel_id, input_digest, input_bytes, requester_key, kernel_version,
                    tuple(params), trust, category, min_replicas, nonce)
    _check_spec(spec)
    return spec


def task_id_of(spec_bytes: bytes) -> bytes:
    return hashlib.sha256(spec_bytes).digest()


# ---- keys ------------------------------------------------------------------------------------


class RequesterKey:
    """An Ed25519 key (RFC 8032 seed). Key files use gpoc's format: one line
    "gpoc-ed25519-v1 <seed hex> <public hex>", mode 0600."""

    def __init__(self, seed: bytes):
        if len(seed) != 32:
            raise ValueError("an Ed25519 seed is 32 bytes")
        self._signing = nacl.signing.SigningKey(bytes(seed))

    @classmethod
    def generate(cls) -> "RequesterKey":
        return cls(secrets.token_bytes(32))

    @classmethod
    def load(cls, path: str) -> "RequesterKey":
        if os.stat(path).st_mode & 0o077:
            raise PermissionError(f"key file {path} is readable by others; run: chmod 600 {path}")
        with open(path, encoding="ascii") as f:
            fields = f.read().split()
        if len(fields) != 3 or fields[0] != KEY_FILE_TAG:
            raise ValueError(f"key file {path} is not a gpoc Ed25519 key file")
        key = cls(bytes.fromhex(fields[1]))
        if key.public_key != bytes.fromhex(fields[2]):
            raise ValueError(f"key file {path}: public key does not match the seed")
        return key

    def save(self, path: str) -> None:
        line = f"{KEY_FILE_TAG} {bytes(self._signing).hex()} {self.public_key.hex()}\n"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(line)

    @property
    def public_key(self) -> bytes:
        return self._signing.verify_key.encode()

    def sign(self, message: bytes) -> bytes:
        return self._signing.sign(message).signature


def verify_signature(public_key: bytes, message: bytes, signature: bytes) -> bool:
    try:
        nacl.signing.VerifyKey(public_key).verify(message, signature)
        return True
    except Exception:  # nacl raises BadSignatureError, or ValueError/TypeError on bad sizes
        return False


# ---- errors ----------------------------------------------------------------------------------


class GpocError(Exception):
    """An Error reply from the scheduler (code is the wire ErrorCode number)."""

    def __init__(self, code: int, code_name: str, message: str, task_id: bytes = b""):
        super().__init__(f"{code_name}: {message}")
        self.code, self.code_name, self.message, self.task_id = code, code_name, message, task_id


class VerificationError(Exception):
    """A fetched result does not match what the scheduler committed to."""


class ProtocolError(Exception):
    """The scheduler answered with something this client did not expect."""


# ---- the client ------------------------------------------------------------------------------


def load_proto(proto_dir: Optional[str] = None):
    """Imports gpoc_pb2 from proto_dir (or $GPOC_PY_PROTO_DIR)."""
    proto_dir = proto_dir or os.environ.get("GPOC_PY_PROTO_DIR")
    if not proto_dir:
        raise ImportError("gpoc_pb2 location unknown: pass proto_dir or set GPOC_PY_PROTO_DIR "
                          "(protoc --python_out=DIR -I proto proto/gpoc.proto)")
    proto_dir = os.path.abspath(proto_dir)
    if proto_dir not in sys.path:
        sys.path.insert(0, proto_dir)
    return importlib.import_module("gpoc_pb2")


@dataclasses.dataclass(frozen=True)
class PreparedTask:
    spec: TaskSpec
    spec_bytes: bytes
    task_id: bytes
    signature: bytes
    input: bytes


class Client:
    """A requester connected to one scheduler's client endpoint (a ZeroMQ DEALER).

    Not thread-safe (one ZeroMQ socket). Every wait is bounded by a timeout in seconds."""

    def __init__(self, endpoint: str, key: RequesterKey, proto_dir: Optional[str] = None,
                 context: Optional[zmq.Context] = None):
        self.pb = load_proto(proto_dir)
        self.key = key
        self.endpoint = endpoint
        self._final_states = {self.pb.TASK_COMPLETED, self.pb.TASK_FAILED}
        self._own_context = context is None
        self._ctx = context or zmq.Context()
        self._sock = self._ctx.socket(zmq.DEALER)
        for opt, val in ((zmq.MAXMSGSIZE, MAX_MESSAGE_BYTES), (zmq.SNDHWM, 10000),
                         (zmq.RCVHWM, 10000), (zmq.LINGER, 200), (zmq.HEARTBEAT_IVL, 1000),
                         (zmq.HEARTBEAT_TIMEOUT, 5000), (zmq.HEARTBEAT_TTL, 5000),
                         (zmq.HANDSHAKE_IVL, 5000), (zmq.RECONNECT_IVL, 100),
                         (zmq.RECONNECT_IVL_MAX, 2000), (zmq.SNDTIMEO, 250),
                         (zmq.IMMEDIATE, 0)):
            self._sock.setsockopt(opt, val)
        self._sock.connect(endpoint)
        self._poller = zmq.Poller()
        self._poller.register(self._sock, zmq.POLLIN)
        # Random high start so ids from a restarted client do not repeat ones the peer has seen.
        self._next_id = (1 << 62) | (secrets.randbits(40) << 20)
        self._notified = {}  # task_id -> final TaskStatus pushed by the scheduler (notify)
        self._unsolicited = collections.deque(maxlen=1000)

    # -- lifecycle --
    def close(self) -> None:
        if self._sock is not None:
            self._sock.close(linger=0)
            self._sock = None
            if self._own_context:
                self._ctx.term()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- messages --
    def envelope(self):
        env = self.pb.Envelope(version=PROTOCOL_VERSION, message_id=self._next_id)
        self._next_id += 1
        return env

    def send(self, env) -> None:
        data = env.SerializeToString()
        if len(data) > MAX_MESSAGE_BYTES:
            raise ValueError(f"envelope of {len(data)} bytes exceeds the limit of "
                             f"{MAX_MESSAGE_BYTES}")
        try:
            self._sock.send(data)
        except zmq.Again:
            raise TimeoutError("send queue full (high-water mark) for 250 ms") from None

    def _recv_one(self, timeout_s: float):
        """One valid Envelope, or None after timeout_s. Bad frames are skipped, never answered."""
        if not self._poller.poll(max(0, int(timeout_s * 1000))):
            return None
        frames = self._sock.recv_multipart(zmq.NOBLOCK)
        if len(frames) != 1:
            return None
        env = self.pb.Envelope()
        try:
            env.ParseFromString(frames[0])
        except Exception:
            return None
        if env.version != PROTOCOL_VERSION or env.WhichOneof("body") is None:
            return None
        return env

    def _keep(self, env) -> None:
        """Stores a message nobody is waiting for: notifications, late replies."""
        if env.WhichOneof("body") == "task_status" and env.task_status.state in self._final_states:
            self._notified[bytes(env.task_status.task_id)] = env.task_status
        else:
            self._unsolicited.append(env)

    def request(self, env, timeout_s: float, want: Optional[Iterable[str]] = None,
                also_reply_to: Iterable[int] = ()):
        """Sends env and returns the first reply to it (or to an id in also_reply_to) whose body is
        in `want` (any body when None). Other messages are kept: notifications by task, the rest
        in a bounded queue."""
        ids = {env.message_id, *also_reply_to}
        want = None if want is None else set(want)
        self.send(env)
        deadline = time.monotonic() + timeout_s
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no reply from {self.endpoint} within {timeout_s:.1f} s")
            reply = self._recv_one(left)
            if reply is None:
                continue
            if reply.reply_to in ids and (want is None or reply.WhichOneof("body") in want):
                return reply
            self._keep(reply)

    def _raise_if_error(self, reply) -> None:
        if reply.WhichOneof("body") == "error":
            e = reply.error
            known = e.code in self.pb.ErrorCode.values()
            name = self.pb.ErrorCode.Name(e.code) if known else str(e.code)
            raise GpocError(e.code, name, e.message, bytes(e.task_id))

    # -- requester operations --
    def prepare(self, kernel: str, data: bytes, params: Optional[Params] = None, *,
                kernel_version: int = 1, trust: int = 1, category: int = 0,
                min_replicas: int = 1, nonce: Optional[int] = None) -> PreparedTask:
        """Builds and signs the task spec. A fixed nonce makes resubmission return the same id."""
        data = bytes(data)
        spec = TaskSpec(kernel_id=kernel, kernel_version=kernel_version,
                        input_digest=result_digest(data), input_bytes=len(data),
                        params=tuple(_param_pairs(params)), trust=trust, category=category,
                        min_replicas=min_replicas, requester_key=self.key.public_key,
                        requester_nonce=secrets.randbits(64) if nonce is None else nonce)
        spec_bytes = encode_task_spec(spec)
        signature = self.key.sign(spec_bytes)
        return PreparedTask(spec, spec_bytes, task_id_of(spec_bytes), signature, data)

    def submit(self, task: PreparedTask, *, notify: bool = True, timeout_s: float = 10.0,
               signature: Optional[bytes] = None):
        """Submits; returns the Submitted message once the scheduler holds the task durably.

        Inputs up to 1 MiB go inline; larger ones go as the first 1 MiB in Submit and the rest as
        submit_chunk messages. `signature` overrides the task's (tests use it to tamper)."""
        env = self.envelope()
        sub = env.submit
        sub.spec = task.spec_bytes
        sub.signature = task.signature if signature is None else signature
        sub.notify = notify
        inline = len(task.input) <= CHUNK_BYTES
        sub.input = task.input if inline else task.input[:CHUNK_BYTES]
        sub.input_complete = inline
        reply = None
        for attempt in range(3):  # a lost reply: resend the same message (it is a duplicate then)
            try:
                reply = self.request(env, timeout_s / 3, want=("submitted", "error"))
                break
            except TimeoutError:
                if attempt == 2:
                    raise
        self._raise_if_error(reply)
        submitted = reply.submitted
        if bytes(submitted.task_id) != task.task_id:
            raise ProtocolError("scheduler acknowledged another task id")
        if inline:
            return submitted
        receiving = submitted.state == self.pb.TASK_RECEIVING and not submitted.duplicate
        if submitted.duplicate and submitted.state not in self._final_states:
            # Our first Submit may have been taken and only its reply lost: then the scheduler
            # holds our first chunk and waits for the rest.
            receiving = self.status(task.task_id, timeout_s).state == self.pb.TASK_RECEIVING
        if not receiving:
            return submitted
        return self._send_chunks(task, CHUNK_BYTES, timeout_s)

    def _send_chunks(self, task: PreparedTask, offset: int, timeout_s: float):
        """Sends the input from offset as submit_chunk messages; only the last is answered
        (Submitted once durable), unless one fails (Error with reply_to = that chunk)."""
        sent_ids = []
        total = len(task.input)
        while True:
            piece = task.input[offset:offset + CHUNK_BYTES]
            env = self.envelope()
            c = env.submit_chunk
            c.task_id, c.offset, c.total_bytes, c.data = task.task_id, offset, total, piece
            c.last = offset + len(piece) == total
            if not c.last:
                self.send(env)
                sent_ids.append(env.message_id)
                offset += len(piece)
                continue
            reply = self.request(env, timeout_s, want=("submitted", "error"),
                                 also_reply_to=sent_ids)
            self._raise_if_error(reply)
            return reply.submitted

    def status(self, task_id: bytes, timeout_s: float = 5.0):
        env = self.envelope()
        env.status_request.task_id = task_id
        reply = self.request(env, timeout_s, want=("task_status", "error"))
        self._raise_if_error(reply)
        return reply.task_status

    def wait(self, task_id: bytes, timeout_s: float = 120.0, poll_s: float = 1.0):
        """Returns the final TaskStatus (COMPLETED or FAILED). Uses the notification when one
        comes, and polls with StatusRequest as a fallback (notifications live in the scheduler's
        memory only, and none is sent for a task that had already ended)."""
        deadline = time.monotonic() + timeout_s
        interval = 0.05
        next_poll = time.monotonic() + interval
        while True:
            if task_id in self._notified:
                return self._notified.pop(task_id)
            now = time.monotonic()
            if now >= deadline:
                raise TimeoutError(f"task {task_id.hex()[:16]} not finished within "
                                   f"{timeout_s:.1f} s")
            if now >= next_poll:
                st = self.status(task_id, min(5.0, max(0.1, deadline - now)))
                if st.state in self._final_states:
                    self._notified.pop(task_id, None)
                    return st
                interval = min(interval * 2, poll_s)
                next_poll = time.monotonic() + interval
                continue
            env = self._recv_one(min(next_poll, deadline) - now)
            if env is not None:
                self._keep(env)

    def fetch_result(self, task_id: bytes, status=None, timeout_s: float = 30.0) -> bytes:
        """Fetches a completed task's output in chunks and returns it only after it matches the
        committed digest (recomputed here with hashlib) and the consensus vote."""
        st = status if status is not None else self.status(task_id, timeout_s)
        if st.state != self.pb.TASK_COMPLETED:
            raise ProtocolError(f"task is {self.pb.TaskState.Name(st.state)}: {st.reason}")
        digest, total = bytes(st.digest), st.output_bytes
        if len(digest) != 32:
            raise VerificationError("completed task has no committed digest")
        deadline = time.monotonic() + timeout_s
        out = bytearray()
        while True:
            env = self.envelope()
            req = env.result_request
            req.task_id, req.offset, req.length = task_id, len(out), CHUNK_BYTES
            reply = self.request(env, max(0.1, deadline - time.monotonic()),
                                 want=("result_chunk", "error"))
            self._raise_if_error(reply)
            c = reply.result_chunk
            end = len(out) + len(c.data)
            if (bytes(c.task_id) != task_id or c.offset != len(out) or c.total_bytes != total
                    or len(c.data) > CHUNK_BYTES or end > total
                    or c.last != (end == total) or (not c.data and not c.last)):
                raise ProtocolError(f"bad result chunk at offset {len(out)} of {total}")
            out += c.data
            if c.last:
                break
        if result_digest(out) != digest:
            raise VerificationError("fetched output does not match the committed digest "
                                    + digest.hex())
        if st.consensus_hash and bytes(st.consensus_hash) != result_hash(task_id, digest):
            raise VerificationError("committed digest does not match the consensus vote")
        return bytes(out)

    def run(self, kernel: str, data: bytes, params: Optional[Params] = None, *,
            timeout_s: float = 120.0, **spec_fields):
        """prepare + submit + wait + fetch_result: returns (final TaskStatus, verified output)."""
        task = self.prepare(kernel, data, params, **spec_fields)
        self.submit(task, notify=True)
        st = self.wait(task.task_id, timeout_s)
        if st.state != self.pb.TASK_COMPLETED:
            raise ProtocolError(f"task {task.task_id.hex()} failed: {st.reason}")
        return st, self.fetch_result(task.task_id, st)


# ---- command line ----------------------------------------------------------------------------


def _main(argv: Sequence[str]) -> int:
    ap = argparse.ArgumentParser(
        description="gpoc requester: submit, wait, fetch a verified result")
    ap.add_argument("--scheduler", default="tcp://127.0.0.1:7600")
    ap.add_argument("--key", help="gpoc key file (created when missing); default: a fresh key")
    ap.add_argument("--proto-dir", help="directory holding gpoc_pb2.py (or $GPOC_PY_PROTO_DIR)")
    ap.add_argument("--kernel", required=True)
    ap.add_argument("--input", required=True, help="input file in the kernel's layout")
    ap.add_argument("--param", action="append", default=[], help="key=value (repeatable)")
    ap.add_argument("--trust", type=int, default=1)
    ap.add_argument("--category", type=int, default=0)
    ap.add_argument("--replicas", type=int, default=1, help="min_replicas (quorum)")
    ap.add_argument("--timeout", type=float, default=600.0, help="seconds to wait")
    ap.add_argument("-o", "--output", required=True, help="write the verified output here")
    a = ap.parse_args(argv)
    if a.key and os.path.exists(a.key):
        key = RequesterKey.load(a.key)
    else:
        key = RequesterKey.generate()
        if a.key:
            key.save(a.key)
    params = [p.split("=", 1) for p in a.param]
    if any(len(p) != 2 or not p[0] for p in params):
        ap.error("--param takes key=value")
    with open(a.input, "rb") as f:
        data = f.read()
    with Client(a.scheduler, key, a.proto_dir) as c:
        task = c.prepare(a.kernel, data, params, trust=a.trust, category=a.category,
                         min_replicas=a.replicas)
        print(f"task {task.task_id.hex()}", file=sys.stderr)
        c.submit(task)
        st = c.wait(task.task_id, a.timeout)
        if st.state != c.pb.TASK_COMPLETED:
            print(f"FAILED: {st.reason}", file=sys.stderr)
            return 2
        out = c.fetch_result(task.task_id, st)
    with open(a.output + ".partial", "wb") as f:
        f.write(out)
    os.replace(a.output + ".partial", a.output)
    print(f"wrote {len(out)} bytes to {a.output} (digest {bytes(st.digest).hex()} checked)",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
