"""Multi-record transactions: ``Transaction``, ``commit``/``abort`` and the ``txn``
policy key of single-record commands, as the official client (C ``as_txn*``) does them.

A command whose policy carries ``txn``:

- is refused (ParamError) unless the transaction is open, and when its namespace differs
  from the transaction's;
- when it writes a key the transaction has not written yet, first adds the key to the
  transaction's monitor record (set ``<ERO~MRT``, integer user key = the transaction id):
  an operate writing bin ``id`` (only while the monitor does not exist yet) and appending
  the key digest to the ordered unique list bin ``keyds``, with the transaction timeout as
  record ttl; a reply field MRT_DEADLINE sets the transaction deadline;
- carries after the digest field the MRT_ID field (the id, 8 bytes little-endian), the
  record version it read earlier in the transaction if any (field 3, 7 bytes), and for
  writes the MRT_DEADLINE field (4 bytes little-endian).

A Community Edition server answers commands that carry MRT fields with ENTERPRISE_ONLY
(25), so there a transaction never tracks keys and abort/commit send nothing.
"""
from __future__ import annotations

import secrets
import struct
from typing import Any

from . import constants as C
from .exceptions import AerospikeError, ClientError, ParamError, exception_for
from .protocol import message as M
from .protocol.digest import compute_digest
from .protocol.operations import encode_operation
from .protocol.particles import encode_particle
from .protocol.record import encode_command, key_fields, op_header

MONITOR_SET = "<ERO~MRT"
_BIN_ID = "id"
_BIN_DIGESTS = "keyds"
_U64_LE = struct.Struct("<Q")
_U32_LE = struct.Struct("<I")
_FIELD = struct.Struct(">IB")
_MONITOR_LIST_POLICY = {"list_order": C.LIST_ORDERED,
                        "write_flags": C.LIST_WRITE_ADD_UNIQUE | C.LIST_WRITE_NO_FAIL
                        | C.LIST_WRITE_PARTIAL}
_STATE_REASONS = {
    C.TXN_STATE_VERIFIED: "it is currently being committed.",
    C.TXN_STATE_COMMITTED: "it has been committed.",
    C.TXN_STATE_ABORTED: "it has been aborted.",
    C.TXN_STATE_COMMIT_FAILED: "a commit failed on it with an in-doubt outcome.",
}


def new_transaction_id() -> int:
    """A random non-zero unsigned 64-bit transaction id."""
    while True:
        value = secrets.randbits(64)
        if value:
            return value


def _uint32(value: Any) -> int:
    """An unsigned 32-bit setting, refused as the official client refuses it: TypeError
    for a non-int (a bool is one), OverflowError outside 64 bits, ValueError above 32."""
    if not isinstance(value, int):
        raise TypeError(f"{value} must be an integer")
    if value < 0:
        raise OverflowError("can't convert negative int to unsigned")
    if value >> 64:
        raise OverflowError("int too big to convert")
    if value > 0xFFFFFFFF:
        raise ValueError(f"{value} exceeds {0xFFFFFFFF}")
    return int(value)


class Transaction:
    """A multi-record transaction (``aerospike.Transaction``).

    ``reads_capacity`` and ``writes_capacity`` are the expected numbers of records read
    and written (unsigned 32-bit ints, default 128); ``id`` is a random unsigned 64-bit
    id chosen here; ``state`` is one of the ``TXN_STATE_*`` constants; ``in_doubt`` tells
    whether a commit's outcome is unknown; ``timeout`` (seconds, 0 = the server's
    ``mrt-duration``) may be set before the first command.
    """

    __slots__ = (
        "_id",
        "_in_doubt",
        "_state",
        "_timeout",
        "deadline",
        "ns",
        "reads",
        "write_in_doubt",
        "writes",
    )

    def __init__(self, reads_capacity: int = 128, writes_capacity: int = 128) -> None:
        _uint32(reads_capacity)
        _uint32(writes_capacity)
        self._id = new_transaction_id()
        self._state = C.TXN_STATE_OPEN
        self._in_doubt = False
        self._timeout = 0
        self.ns: str | None = None
        self.deadline = 0
        self.reads: dict[bytes, tuple[str | None, int]] = {}
        self.writes: dict[bytes, str | None] = {}
        self.write_in_doubt = False

    @property
    def id(self) -> int:
        """The transaction id (unsigned 64-bit), read-only."""
        return self._id

    @property
    def state(self) -> int:
        """One of the ``TXN_STATE_*`` constants, read-only."""
        return self._state

    @property
    def in_doubt(self) -> bool:
        """Whether the outcome of a commit is unknown, read-only."""
        return self._in_doubt

    @property
    def timeout(self) -> int:
        """Seconds the server keeps the transaction open (0: its ``mrt-duration``)."""
        return self._timeout

    @timeout.setter
    def timeout(self, value: int) -> None:
        self._timeout = _uint32(value)

    def __repr__(self) -> str:
        return (f"<Transaction id={self._id} state={self._state} reads={len(self.reads)} "
                f"writes={len(self.writes)}>")

    # -- bookkeeping (C as_txn.c) -----------------------------------------------------
    @property
    def monitor_exists(self) -> bool:
        return self.deadline != 0

    def verify_command(self) -> None:
        """ParamError unless the transaction still accepts commands."""
        if self._state == C.TXN_STATE_OPEN:
            return
        reason = _STATE_REASONS.get(self._state, "it is in an unknown/invalid state.")
        raise ParamError(-2, "Issuing commands to this transaction is forbidden because "
                         + reason, None, None, False)

    def set_namespace(self, ns: str) -> None:
        if self.ns is None:
            self.ns = ns
        elif self.ns != ns:
            raise ParamError(-2, "Namespace must be the same for all commands in the "
                             f"transaction. orig: {self.ns} new: {ns}", None, None, False)

    def on_read(self, digest: bytes, set_name: str | None, version: int) -> None:
        if version:
            self.reads[digest] = (set_name, version)

    def on_write(self, digest: bytes, set_name: str | None, version: int, rc: int) -> None:
        if version:
            self.reads[digest] = (set_name, version)
        elif rc == 0:
            self.reads.pop(digest, None)
            self.writes[digest] = set_name

    def on_write_in_doubt(self, digest: bytes, set_name: str | None) -> None:
        self.write_in_doubt = True
        self.reads.pop(digest, None)
        self.writes[digest] = set_name

    def clear(self) -> None:
        self.ns = None
        self.deadline = 0
        self.reads.clear()
        self.writes.clear()


def txn_of(policy: Any) -> Transaction | None:
    """The ``txn`` of a resolved policy (ParamError if it is not a Transaction)."""
    txn = policy.get("txn") if policy is not None else None
    if txn is None:
        return None
    if not isinstance(txn, Transaction):
        raise ParamError(-2, "txn is not of type aerospike.Transaction", None, None, False)
    return txn


def _signed64(value: int) -> int:
    return value - (1 << 64) if value >= (1 << 63) else value


def txn_fields(txn: Transaction, digest: bytes, is_write: bool) -> tuple[bytes, int]:
    """The fields that follow the digest in a command of the transaction."""
    out = _FIELD.pack(9, M.FIELD_MRT_ID) + _U64_LE.pack(txn.id)
    count = 1
    read = txn.reads.get(digest)
    if read is not None:
        out += _FIELD.pack(8, M.FIELD_RECORD_VERSION) + _U64_LE.pack(read[1])[:7]
        count += 1
    if is_write:
        out += _FIELD.pack(5, M.FIELD_MRT_DEADLINE) + _U32_LE.pack(txn.deadline & 0xFFFFFFFF)
        count += 1
    return out, count


def command_fields(txn: Transaction, ns: str, set_name: str | None, digest: bytes,
                   user_key: Any, is_write: bool) -> tuple[bytes, int]:
    """Key fields of a command in the transaction: namespace, set, digest, the
    transaction fields, then the user key (when sent)."""
    base, n_base = key_fields(ns, set_name, digest, None)
    extra, n_extra = txn_fields(txn, digest, is_write)
    out, count = base + extra, n_base + n_extra
    if user_key is not None:
        full, n_full = key_fields(ns, set_name, digest, user_key)
        out += full[len(base):]
        count += n_full - n_base
    return out, count


def monitor_digest(txn: Transaction) -> bytes:
    """Digest of the transaction's monitor record."""
    return compute_digest(MONITOR_SET, _signed64(txn.id))


def monitor_add_key_request(txn: Transaction, ns: str, digest: bytes, timeout: int) -> bytes:
    """The operate that adds a key's digest to the transaction's monitor record."""
    parts = []
    if not txn.monitor_exists:
        ptype, data = encode_particle(_signed64(txn.id))
        parts.append(op_header(M.OP_WRITE, ptype, _BIN_ID.encode(), len(data)) + data)
    parts.append(encode_operation(_list_append(digest)).data)
    fields, n_fields = key_fields(ns, MONITOR_SET, monitor_digest(txn), None)
    return encode_command(0, M.INFO2_WRITE, 0, 0, 0, txn.timeout & 0xFFFFFFFF, timeout,
                          fields, n_fields, b"".join(parts), len(parts))


def _list_append(digest: bytes) -> dict:
    """list_append of the digest, as the documented list_operations.list_append builds it."""
    return {"op": C.OP_LIST_APPEND, "bin": _BIN_DIGESTS, "val": bytearray(digest),
            "list_policy": dict(_MONITOR_LIST_POLICY)}


def monitor_remove_request(txn: Transaction, ns: str, timeout: int) -> bytes:
    """The durable delete of the transaction's monitor record."""
    fields, n_fields = key_fields(ns, MONITOR_SET, monitor_digest(txn), None)
    return encode_command(0, M.INFO2_WRITE | M.INFO2_DELETE | M.INFO2_DURABLE_DELETE, 0, 0,
                          0, 0, timeout, fields, n_fields)


def reply_fields(payload: Any) -> dict[int, bytes]:
    """The fields of a single AS_MSG reply payload (after the proto header)."""
    data = bytes(payload[:M.MSG_HEADER_SIZE]) if len(payload) >= M.MSG_HEADER_SIZE else b""
    if not data:
        return {}
    n_fields = int.from_bytes(data[18:20], "big")
    out: dict[int, bytes] = {}
    pos = M.MSG_HEADER_SIZE
    for _ in range(n_fields):
        size, ftype = _FIELD.unpack_from(payload, pos)
        out[ftype] = bytes(payload[pos + 5:pos + 4 + size])
        pos += 4 + size
    return out


def reply_version(payload: Any) -> int:
    """The record version a reply carries (0 without one)."""
    raw = reply_fields(payload).get(M.FIELD_RECORD_VERSION)
    if raw is None or len(raw) != 7:
        return 0
    return int.from_bytes(raw, "little") | (1 << 63)


def reply_deadline(payload: Any) -> int | None:
    raw = reply_fields(payload).get(M.FIELD_MRT_DEADLINE)
    if raw is None or len(raw) != 4:
        return None
    return _U32_LE.unpack(raw)[0]


def check_transaction(txn: Any, method: str) -> Transaction:
    """The argument of ``method`` (commit or abort); anything else is a TypeError, as the
    official client's argument parser raises."""
    if not isinstance(txn, Transaction):
        raise TypeError(f"{method}() argument 1 must be aerospike.Transaction, not "
                        f"{type(txn).__name__}")
    return txn


class TxnMixin:
    """``commit`` and ``abort`` of ``Client``, and the per-command transaction steps."""

    async def _txn_prepare(self, pol: Any, ns: str, set_name: str | None, digest: bytes,
                           is_write: bool) -> Transaction | None:
        """Checks before a command of a transaction; for a write of a new key, adds the
        key to the monitor record first."""
        txn = txn_of(pol)
        if txn is None:
            return None
        txn.verify_command()
        txn.set_namespace(ns)
        if is_write and digest not in txn.writes:
            from .command.base import execute, server_error
            request = monitor_add_key_request(txn, ns, digest, pol.header_timeout)
            node, payload = await execute(self.cluster, pol,  # type: ignore[attr-defined]
                                          ns, monitor_digest(txn), True, request)
            deadline = reply_deadline(payload)
            if deadline is not None:
                txn.deadline = deadline
            rc = payload[5]
            if rc:
                raise server_error(node, rc)
        return txn

    @staticmethod
    def _txn_done(txn: Transaction | None, set_name: str | None, digest: bytes,
                  is_write: bool, payload: Any) -> None:
        """Track what a command of a transaction read or wrote."""
        if txn is None:
            return
        version = reply_version(payload)
        if is_write:
            txn.on_write(digest, set_name, version, payload[5])
        else:
            txn.on_read(digest, set_name, version)

    @staticmethod
    def _txn_failed(txn: Transaction | None, set_name: str | None, digest: bytes,
                    exc: AerospikeError) -> None:
        if txn is not None and exc.in_doubt:
            txn.on_write_in_doubt(digest, set_name)

    async def commit(self, transaction: Transaction) -> int:
        """Commit a transaction: verify the versions it read, mark the monitor for roll
        forward, roll its writes forward and remove the monitor. Returns a
        ``COMMIT_*`` status; raises when the transaction was aborted."""
        txn = check_transaction(transaction, "commit")
        _ = self.cluster  # type: ignore[attr-defined]  # ClientError when not connected
        state = txn.state
        if state == C.TXN_STATE_COMMITTED:
            return C.COMMIT_ALREADY_COMMITTED
        if state == C.TXN_STATE_ABORTED:
            raise exception_for(-19, "Transaction already aborted")
        if state == C.TXN_STATE_OPEN:
            if txn.reads:
                # verifying read versions needs a batch the Community Edition never
                # reaches (it refuses every command of a transaction)
                raise ClientError(-1, "Transaction verify is not implemented", None, None,
                                  False)
            txn._state = C.TXN_STATE_VERIFIED
        if txn.monitor_exists or txn.writes:
            raise ClientError(-1, "Transaction roll forward is not implemented", None,
                              None, False)
        txn._state = C.TXN_STATE_COMMITTED
        txn._in_doubt = False
        txn.clear()
        return C.COMMIT_OK

    async def abort(self, transaction: Transaction) -> int:
        """Abort a transaction and roll back its writes. Returns an ``ABORT_*`` status;
        raises when the transaction was committed."""
        txn = check_transaction(transaction, "abort")
        _ = self.cluster  # type: ignore[attr-defined]  # ClientError when not connected
        state = txn.state
        if state == C.TXN_STATE_COMMITTED:
            raise exception_for(-18, "Transaction already committed")
        if state == C.TXN_STATE_COMMIT_FAILED:
            raise exception_for(-17, "Abort not allowed because a commit already failed on "
                                "this transaction with an in-doubt outcome")
        if state == C.TXN_STATE_ABORTED:
            return C.ABORT_ALREADY_ABORTED
        txn._state = C.TXN_STATE_ABORTED
        if txn.writes:
            # the roll back batch is not implemented: the server rolls the transaction
            # back itself when it expires, which the C client reports as abandoned
            return C.ABORT_ROLL_BACK_ABANDONED
        if (txn.monitor_exists and not txn.write_in_doubt and txn.ns is not None
                and not await self._txn_remove_monitor(txn)):
            return C.ABORT_CLOSE_ABANDONED
        return C.ABORT_OK

    async def _txn_remove_monitor(self, txn: Transaction) -> bool:
        """Remove the monitor record; False when that failed."""
        from .command.base import execute
        assert txn.ns is not None
        pol = self._policies.resolve("remove")  # type: ignore[attr-defined]
        request = monitor_remove_request(txn, txn.ns, pol.header_timeout)
        try:
            _node, payload = await execute(self.cluster,  # type: ignore[attr-defined]
                                           pol, txn.ns, monitor_digest(txn), True, request)
        except AerospikeError:
            return False
        return payload[5] in (0, 2)
