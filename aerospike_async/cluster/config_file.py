"""A configuration file read once, then watched for changes (``ConfigProvider``'s)."""
from __future__ import annotations

import asyncio
import logging
import os
from typing import Callable, Generic, TypeVar

from ..exceptions import AerospikeError, ClientError

log = logging.getLogger("aerospike_async.config")
T = TypeVar("T")


class ConfigFile(Generic[T]):
    """The file at ``path`` as ``parse`` reads its text (raising ValueError when it
    cannot): read here, then again whenever its modification time or size changes. A
    file that cannot be opened or parsed is a ClientError, in the official client's
    words."""

    def __init__(self, path: str, parse: Callable[[str], T]) -> None:
        self.path = path
        self._parse = parse
        self.current: T = self._read()
        self._stamp = self._stat()
        self._task: asyncio.Task | None = None

    def _read(self) -> T:
        try:
            with open(self.path, encoding="utf-8") as f:
                text = f.read()
        except OSError:
            raise ClientError(-1, f"Failed to open: {self.path}", None, None, False) from None
        try:
            return self._parse(text)
        except ValueError as exc:
            raise ClientError(-1, f"Failed to parse: {self.path}\n{exc}", None, None,
                              False) from None

    def _stat(self) -> tuple[float, int] | None:
        try:
            st = os.stat(self.path)
        except OSError:
            return None
        return st.st_mtime, st.st_size

    def reload(self) -> T | None:
        """The file's contents when it changed since last read, else None. A file that
        can no longer be read leaves the current contents in force."""
        stamp = self._stat()
        if stamp is None or stamp == self._stamp:
            return None
        self._stamp = stamp
        try:
            self.current = self._read()
        except AerospikeError as exc:
            log.warning("configuration file not applied: %s", exc.msg)
            return None
        log.info("configuration read again from %s", self.path)
        return self.current

    def watch(self, interval: float, on_change: Callable[[T], None]) -> None:
        """Check the file every ``interval`` seconds on the running loop; ``on_change``
        gets each new contents."""
        self.stop()
        self._task = asyncio.get_running_loop().create_task(self._watch(interval, on_change))

    async def _watch(self, interval: float, on_change: Callable[[T], None]) -> None:
        while True:
            await asyncio.sleep(interval)
            contents = self.reload()
            if contents is not None:
                try:
                    on_change(contents)
                except Exception:   # keep watching: the next change may be good
                    log.exception("applying the configuration file failed")

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None
