"""Batch records (``aerospike_helpers.batch.records``).

``BatchRecords`` holds a list of ``Read``, ``Write``, ``Apply`` and
``Remove`` records, each naming a key and what to do with it. After a batch
command every record carries its outcome: ``result`` (a result code, 0 on
success), ``record`` (``(key, meta, bins)`` or None), ``message``,
``subcode`` and ``in_doubt``; ``BatchRecords.result`` is the batch's
overall status (0, or e.g. -16 when some record failed).
"""

from __future__ import annotations

from typing import Any

__all__ = ["Apply", "BatchRecord", "BatchRecords", "Read", "Remove", "Write"]


class _Types:
    """Kinds of batch record (``BatchRecord._type``)."""

    READ = 0
    WRITE = 1
    APPLY = 2
    REMOVE = 3


class BatchRecord:
    """Base batch record: ``key`` plus the outcome attributes filled in by the batch."""

    _type: int
    _has_write: bool

    def __init__(self, key: tuple[Any, ...]) -> None:
        self.key = key
        self.record: tuple[Any, ...] | None = None
        self.result = 0
        self.message: str | None = None
        self.subcode = 0
        self.in_doubt = False


class Write(BatchRecord):
    """Apply ``ops`` (which may write) to ``key``, with optional ``meta`` (gen, ttl)
    and batch write ``policy``."""

    def __init__(self, key: tuple[Any, ...], ops: list[dict[str, Any]],
                 meta: dict[str, Any] | None = None,
                 policy: dict[str, Any] | None = None) -> None:
        super().__init__(key)
        self.ops = ops
        self._type = _Types.WRITE
        self._has_write = True
        self.meta = meta
        self.policy = policy


class Read(BatchRecord):
    """Read ``key``: the read ``ops`` given, or all bins when ``read_all_bins``
    (``ops`` None), with batch read ``policy``."""

    def __init__(self, key: tuple[Any, ...], ops: list[dict[str, Any]] | None,
                 read_all_bins: bool = False, meta: dict[str, Any] | None = None,
                 policy: dict[str, Any] | None = None) -> None:
        super().__init__(key)
        self.ops = ops
        self.read_all_bins = read_all_bins
        self._type = _Types.READ
        self._has_write = False
        self.meta = meta
        self.policy = policy


class Apply(BatchRecord):
    """Call the record UDF ``module.function(*args)`` on ``key``."""

    def __init__(self, key: tuple[Any, ...], module: str, function: str, args: list[Any],
                 policy: dict[str, Any] | None = None) -> None:
        super().__init__(key)
        self._type = _Types.APPLY
        self._has_write = True
        self.module = module
        self.function = function
        self.args = args
        self.policy = policy


class Remove(BatchRecord):
    """Remove ``key``, with batch remove ``policy``."""

    def __init__(self, key: tuple[Any, ...], policy: dict[str, Any] | None = None) -> None:
        super().__init__(key)
        self._type = _Types.REMOVE
        self._has_write = True
        self.policy = policy


class BatchRecords:
    """The records of one batch and its overall ``result``."""

    def __init__(self, batch_records: list[BatchRecord] | None = None) -> None:
        self.batch_records = [] if batch_records is None else batch_records
        self.result = 0
