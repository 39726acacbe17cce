"""The password hash the official clients send: bcrypt with a fixed salt.

The C client hashes every password with the same salt (``$2a$10$7EqJtq98hPqEX7fNZaFWoO``,
cost 10), so the server sees the same credential for the same password. Hashing uses the
``bcrypt`` package when installed, else the system's libcrypt (libxcrypt implements
``$2a$``); without either, hashing raises ClientError.
"""
from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

from ..exceptions import ClientError

SALT = "$2a$10$7EqJtq98hPqEX7fNZaFWoO"
"""The constant salt of ``as_password_get_constant_hash``."""

_lock = threading.Lock()


def _libcrypt() -> Callable[[bytes, bytes], bytes | None] | None:
    import ctypes   # here, not at import: ctypes.util pulls in subprocess, shutil, tempfile
    import ctypes.util
    name = ctypes.util.find_library("crypt")
    if not name:
        return None
    try:
        lib = ctypes.CDLL(name)
        fn: Any = lib.crypt
    except (OSError, AttributeError):
        return None
    fn.restype = ctypes.c_char_p
    fn.argtypes = [ctypes.c_char_p, ctypes.c_char_p]

    def run(password: bytes, salt: bytes) -> bytes | None:
        with _lock:  # crypt() keeps its answer in a static buffer
            return fn(password, salt)
    return run


def _backend() -> Callable[[bytes, bytes], bytes | None] | None:
    try:
        import bcrypt  # type: ignore[import-not-found]
        return lambda pw, salt: bcrypt.hashpw(pw, salt)
    except ImportError:
        return _libcrypt()


@functools.lru_cache(maxsize=64)
def hash_password(password: str) -> str:
    """The 60-character bcrypt hash of ``password`` with the constant salt."""
    backend = _backend()
    out = backend(password.encode("utf-8"), SALT.encode()) if backend else None
    if not out or not out.startswith(b"$2"):
        raise ClientError(-1, "No bcrypt implementation available to hash the password "
                          "(install the 'bcrypt' package)", None, None, False)
    text = out.decode()
    return "$2a$" + text[4:]
