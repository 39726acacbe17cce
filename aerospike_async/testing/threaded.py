"""Blocking handles of embedded servers and clusters that run in a background thread.

``ThreadRunner`` owns the private event loop and its daemon thread (start, ``call``,
``stop``, context manager) for anything with async ``start()``/``stop()``;
``EndpointView`` forwards the read-only address properties of a served node.
"""
from __future__ import annotations

import asyncio
import threading
from typing import Any, Coroutine, Protocol, TypeVar

from .store import Store

T = TypeVar("T")
R = TypeVar("R", bound="ThreadRunner")


class _Startable(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class ThreadRunner:
    """Runs ``target.start()`` on a new loop in a daemon thread and serves until ``stop()``.

    The constructor returns once ``start()`` has finished; an exception it raised is
    raised again in the caller's thread (the thread has ended by then).
    """

    def __init__(self, target: _Startable, thread_name: str) -> None:
        self._target = target
        self._loop = asyncio.new_event_loop()
        self._error: BaseException | None = None
        ready = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(ready,), daemon=True,
                                        name=thread_name)
        self._thread.start()
        ready.wait()
        if self._error is not None:
            raise self._error

    def _run(self, ready: threading.Event) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._target.start())
        except BaseException as exc:
            self._error = exc
            self._loop.close()
            ready.set()
            return
        ready.set()
        self._loop.run_forever()
        self._loop.run_until_complete(self._target.stop())
        self._loop.close()

    def call(self, coro: Coroutine[Any, Any, T], timeout: float | None = 30.0) -> T:
        """Run a coroutine on the runner's loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    def stop(self) -> None:
        """Stop the loop (which stops the target) and wait for the thread to end."""
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join()

    def __enter__(self: R) -> R:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class EndpointView:
    """Address and store properties read through to ``self._endpoint`` (a served node)."""

    _endpoint: Any

    @property
    def host(self) -> str:
        return self._endpoint.host

    @property
    def port(self) -> int:
        return self._endpoint.port

    @property
    def address(self) -> tuple[str, int]:
        return self._endpoint.address

    @property
    def tls_port(self) -> int:
        return self._endpoint.tls_port

    @property
    def tls_host(self) -> tuple[str, int, str]:
        return self._endpoint.tls_host

    @property
    def store(self) -> Store:
        return self._endpoint.store
