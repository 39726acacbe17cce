"""Bitwise operations on blob bins for ``operate`` / ``operate_ordered``.

Each function returns the documented op dict. ``policy`` is an optional bit
policy dict (``bit_write_flags``), offsets and sizes count bits unless named
``byte_*``; negative offsets count from the end. ``value_byte_size`` is
deprecated (a DeprecationWarning is issued) but still passed on.
"""

from __future__ import annotations

import warnings
from typing import Any

from aerospike_async import constants as as_const

from ._dicts import op

# The documented op-dict key names, public in the official helpers.
ACTION_KEY = 'action'
BIN_KEY = 'bin'
BIT_OFFSET_KEY = 'bit_offset'
BIT_SIZE_KEY = 'bit_size'
BYTE_OFFSET_KEY = 'byte_offset'
BYTE_SIZE_KEY = 'byte_size'
COUNT_KEY = 'count'
INDEX_KEY = 'index'
KEY_KEY = 'key'
OFFSET_KEY = 'offset'
OP_KEY = 'op'
POLICY_KEY = 'policy'
RESIZE_FLAGS_KEY = 'resize_flags'
SIGN_KEY = 'sign'
VALUE_BYTE_SIZE_KEY = 'value_byte_size'
VALUE_KEY = 'value'

_DEPRECATED = "value_byte_size is deprecated and will be removed in the next major client release"


def _warn_value_byte_size(message: str = _DEPRECATED) -> None:
    warnings.warn(message, DeprecationWarning, stacklevel=3)


def bit_resize(bin_name: str, byte_size: int, policy: dict[str, Any] | None = None,
               resize_flags: int = 0) -> dict[str, Any]:
    """Resize the blob to ``byte_size`` bytes (``BIT_RESIZE_*`` flags)."""
    return op(as_const.OP_BIT_RESIZE, bin_name, policy=policy, resize_flags=resize_flags,
              byte_size=byte_size)


def bit_remove(bin_name: str, byte_offset: int, byte_size: int,
               policy: dict[str, Any] | None = None) -> dict[str, Any]:
    """Remove ``byte_size`` bytes at ``byte_offset``."""
    return op(as_const.OP_BIT_REMOVE, bin_name, policy=policy, byte_offset=byte_offset,
              byte_size=byte_size)


def bit_set(bin_name: str, bit_offset: int, bit_size: int, value_byte_size: int, value: bytes,
            policy: dict[str, Any] | None = None) -> dict[str, Any]:
    """Overwrite ``bit_size`` bits at ``bit_offset`` with ``value``."""
    _warn_value_byte_size()
    return op(as_const.OP_BIT_SET, bin_name, policy=policy, bit_offset=bit_offset,
              bit_size=bit_size, value_byte_size=value_byte_size, value=value)


def bit_set_int(bin_name: str, bit_offset: int, bit_size: int, value: int,
                policy: dict[str, Any] | None = None) -> dict[str, Any]:
    """Overwrite ``bit_size`` bits at ``bit_offset`` with the integer ``value``."""
    return op(as_const.OP_BIT_SET_INT, bin_name, policy=policy, bit_offset=bit_offset,
              bit_size=bit_size, value=value)


def bit_count(bin_name: str, bit_offset: int, bit_size: int) -> dict[str, Any]:
    """Count the set bits in ``bit_size`` bits at ``bit_offset``."""
    return op(as_const.OP_BIT_COUNT, bin_name, bit_offset=bit_offset, bit_size=bit_size)


def bit_add(bin_name: str, bit_offset: int, bit_size: int, value: int, sign: bool, action: int,
            policy: dict[str, Any] | None = None) -> dict[str, Any]:
    """Add ``value`` to the integer in ``bit_size`` bits (``BIT_OVERFLOW_*`` action)."""
    return op(as_const.OP_BIT_ADD, bin_name, policy=policy, bit_offset=bit_offset,
              bit_size=bit_size, value=value, sign=sign, action=action)


def bit_and(bin_name: str, bit_offset: int, bit_size: int, value_byte_size: int, value: bytes,
            policy: dict[str, Any] | None = None) -> dict[str, Any]:
    """AND ``value`` into ``bit_size`` bits at ``bit_offset``."""
    _warn_value_byte_size()
    return op(as_const.OP_BIT_AND, bin_name, policy=policy, bit_offset=bit_offset,
              bit_size=bit_size, value_byte_size=value_byte_size, value=value)


def bit_get(bin_name: str, bit_offset: int, bit_size: int) -> dict[str, Any]:
    """Return ``bit_size`` bits at ``bit_offset`` as bytes."""
    return op(as_const.OP_BIT_GET, bin_name, bit_offset=bit_offset, bit_size=bit_size)


def bit_get_int(bin_name: str, bit_offset: int, bit_size: int, sign: bool) -> dict[str, Any]:
    """Return ``bit_size`` bits at ``bit_offset`` as an integer (signed if ``sign``)."""
    return op(as_const.OP_BIT_GET_INT, bin_name, bit_offset=bit_offset, bit_size=bit_size,
              sign=sign)


def bit_insert(bin_name: str, byte_offset: int, value_byte_size: int, value: bytes,
               policy: dict[str, Any] | None = None) -> dict[str, Any]:
    """Insert the bytes ``value`` at ``byte_offset``."""
    _warn_value_byte_size()
    return op(as_const.OP_BIT_INSERT, bin_name, byte_offset=byte_offset,
              value_byte_size=value_byte_size, value=value, policy=policy)


def bit_lscan(bin_name: str, bit_offset: int, bit_size: int, value: bool) -> dict[str, Any]:
    """Return the position of the first bit equal to ``value``, from the left."""
    return op(as_const.OP_BIT_LSCAN, bin_name, bit_offset=bit_offset, bit_size=bit_size,
              value=value)


def bit_lshift(bin_name: str, bit_offset: int, bit_size: int, shift: int,
               policy: dict[str, Any] | None = None) -> dict[str, Any]:
    """Shift ``bit_size`` bits at ``bit_offset`` left by ``shift``."""
    return op(as_const.OP_BIT_LSHIFT, bin_name, bit_offset=bit_offset, bit_size=bit_size,
              value=shift, policy=policy)


def bit_not(bin_name: str, bit_offset: int, bit_size: int,
            policy: dict[str, Any] | None = None) -> dict[str, Any]:
    """Invert ``bit_size`` bits at ``bit_offset``."""
    return op(as_const.OP_BIT_NOT, bin_name, bit_offset=bit_offset, bit_size=bit_size,
              policy=policy)


def bit_or(bin_name: str, bit_offset: int, bit_size: int, value_byte_size: int, value: bytes,
           policy: dict[str, Any] | None = None) -> dict[str, Any]:
    """OR ``value`` into ``bit_size`` bits at ``bit_offset``."""
    _warn_value_byte_size()
    return op(as_const.OP_BIT_OR, bin_name, policy=policy, bit_offset=bit_offset,
              bit_size=bit_size, value_byte_size=value_byte_size, value=value)


def bit_rscan(bin_name: str, bit_offset: int, bit_size: int, value: bool) -> dict[str, Any]:
    """Return the position of the last bit equal to ``value``, from the right."""
    return op(as_const.OP_BIT_RSCAN, bin_name, bit_offset=bit_offset, bit_size=bit_size,
              value=value)


def bit_rshift(bin_name: str, bit_offset: int, bit_size: int, shift: int,
               policy: dict[str, Any] | None = None) -> dict[str, Any]:
    """Shift ``bit_size`` bits at ``bit_offset`` right by ``shift``."""
    return op(as_const.OP_BIT_RSHIFT, bin_name, bit_offset=bit_offset, bit_size=bit_size,
              value=shift, policy=policy)


def bit_subtract(bin_name: str, bit_offset: int, bit_size: int, value: int, sign: bool,
                 action: int, policy: dict[str, Any] | None = None) -> dict[str, Any]:
    """Subtract ``value`` from the integer in ``bit_size`` bits (``BIT_OVERFLOW_*`` action)."""
    return op(as_const.OP_BIT_SUBTRACT, bin_name, policy=policy, bit_offset=bit_offset,
              bit_size=bit_size, value=value, sign=sign, action=action)


def bit_xor(bin_name: str, bit_offset: int, bit_size: int, value_byte_size: int, value: bytes,
            policy: dict[str, Any] | None = None) -> dict[str, Any]:
    """XOR ``value`` into ``bit_size`` bits at ``bit_offset``."""
    _warn_value_byte_size(_DEPRECATED + ".")
    return op(as_const.OP_BIT_XOR, bin_name, policy=policy, bit_offset=bit_offset,
              bit_size=bit_size, value_byte_size=value_byte_size, value=value)


def bit_b64_encode(bin_name: str, byte_offset: int = 0, byte_size: int | None = None,
                   invert_size: bool = False, ctx: list[Any] | None = None) -> dict[str, Any]:
    """Return bytes of the blob as base64 text (newer servers only)."""
    return op(as_const._OP_BIT_B64_ENCODE, bin_name, byte_offset=byte_offset,
              byte_size=byte_size, invert_size=invert_size, ctx=ctx)
