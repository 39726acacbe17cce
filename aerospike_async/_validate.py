"""Checks on caller input, raising the documented exceptions before anything is sent."""
from __future__ import annotations

from typing import Any

from .exceptions import AerospikeError, BinNameError, ClientError, ParamError
from .protocol.batch import udf_fields
from .protocol.cdt import pack as cdt_pack, unserializable
from .protocol.digest import compute_digest
from .protocol.message import c_string

MAX_BIN_NAME = 15
MAX_SET_NAME = 63
MAX_NAMESPACE = 31
INT64_MIN = -(1 << 63)
INT64_MAX = (1 << 63) - 1
_KEY_SHAPE = "key tuple must be (Namespace, Set, Key) or (Namespace, Set, None, Digest)"


def param_error(msg: str) -> ParamError:
    return ParamError(-2, msg, None, None, False)


def set_name_fits(set_name: str) -> bool:
    """Whether a set name is short enough (at most 63 bytes of UTF-8)."""
    return len(set_name) <= MAX_SET_NAME // 4 or len(set_name.encode("utf-8")) <= MAX_SET_NAME


def parse_key(key: Any) -> tuple[str, str | None, Any, bytes]:
    """(namespace, set, user_key, digest) of a documented key tuple."""
    if type(key) is tuple and len(key) == 3:
        # the usual key, (str, short str or None, int64 or str), needs no further
        # checks; anything else goes the long way below
        ns, set_name, user_key = key
        t = type(user_key)
        if type(ns) is str and len(ns) <= MAX_NAMESPACE and ns.isascii() and (
                t is str or t is int) and (
                set_name is None or (type(set_name) is str and len(set_name) <= 15)):
            if t is str or INT64_MIN <= user_key <= INT64_MAX:
                return ns, set_name, user_key, compute_digest(set_name, user_key)
    if type(key) is dict:
        key = _dict_key(key)
    elif type(key) is not tuple:
        raise param_error("key is invalid")
    n = len(key)
    if n == 3:
        ns, set_name, user_key = key
        digest = None
    elif n == 4:
        ns, set_name, user_key, digest = key
    else:
        raise param_error(_KEY_SHAPE)
    if type(ns) is not str:
        raise param_error("namespace must be a string")
    if set_name is not None:
        if type(set_name) is not str:
            raise param_error("set must be a string")
        if len(set_name) > MAX_SET_NAME // 4 and not set_name_fits(set_name):
            raise param_error("key is invalid")
    if len(ns) > MAX_NAMESPACE and len(ns.encode("utf-8")) > MAX_NAMESPACE:
        raise param_error("key is invalid")
    if user_key is not None:
        t = type(user_key)
        if t is str or t is bytes or t is bytearray:
            if t is bytearray and not user_key:
                raise param_error("Byte array size cannot be 0")
        elif t is int:
            if not INT64_MIN <= user_key <= INT64_MAX:
                raise param_error("integer value for KEY exceeds sys.maxsize")
        elif t is bool:   # the official client takes it as the integer it is
            user_key = int(user_key)
        else:
            raise param_error("key is invalid")
        digest = compute_digest(set_name, user_key)
    elif digest is None:
        raise param_error("either key or digest is required")
    else:
        if type(digest) is not bytearray:
            raise param_error("digest is invalid. expected a bytearray")
        if len(digest) != 20:
            raise param_error("digest size is invalid. should be 20 bytes, but received "
                              f"{len(digest)}")
        digest = bytes(digest)
    return ns, set_name, user_key, digest


def _dict_key(key: dict) -> tuple:
    """The older form of a key, a dict of "ns", "set", "key" and "digest", which the
    official client still takes: as the tuple (ns, set, key, digest)."""
    if key.get("ns") is None:
        raise param_error("namespace is required")
    return key["ns"], key.get("set"), key.get("key"), key.get("digest")


def c_string_name(name: Any, not_text: str) -> Any:
    """A bin name given as a bytearray, read as the official client reads it (a C string:
    the text of its bytes up to the first NUL; ParamError ``not_text`` when they are not
    UTF-8); any other value as given, for the caller to check."""
    if isinstance(name, bytearray):
        try:
            return c_string(name).decode("utf-8")
        except UnicodeDecodeError:
            raise param_error(not_text) from None
    return name


def check_bin_name(name: Any) -> None:
    if type(name) is not str:
        raise ClientError(-1, "A bin name must be a string or unicode string.", None, None,
                          False)
    if len(name) > MAX_BIN_NAME and len(name.encode("utf-8")) > MAX_BIN_NAME:
        raise BinNameError(21, "A bin name should not exceed 15 characters limit", None, None,
                           False)


def check_bins(bins: Any) -> dict:
    if not isinstance(bins, dict):
        raise param_error("Record should be passed as bin-value pair")
    for name in bins:
        if type(name) is not str or len(name) > MAX_BIN_NAME:
            check_bin_name(name)
    return bins


def echoed_user_key(user_key: Any) -> Any:
    """A user key as the official client gives it back: a bytes key, which travels as a
    string, comes back as a str."""
    return user_key.decode("utf-8", "replace") if type(user_key) is bytes else user_key


def check_bin_list(bins: Any) -> list:
    if not isinstance(bins, (list, tuple)):
        raise param_error("not a list or tuple")
    for name in bins:
        check_bin_name(name)
    return list(bins)


def check_bin_names(names: Any, not_str: str, too_long: bool = True) -> list:
    """The bin names a call takes as an argument (select's, a query's, batch_read's), each
    a str or a ParamError worded ``not_str`` as the official client words it for that
    call; with ``too_long``, one over 15 bytes is a BinNameError."""
    if not isinstance(names, (list, tuple)):
        raise param_error("not a list or tuple")
    for name in names:
        if type(name) is not str:
            raise param_error(not_str)
        if too_long:
            check_bin_name(name)
    return list(names)


def check_meta(meta: Any) -> dict:
    """A record's metadata dict: ``ttl`` and ``gen`` ints (a bool is the int it is, as
    for the official client) that fit in 64 bits."""
    if meta is None:
        return {}
    if not isinstance(meta, dict):
        raise param_error("Metadata should be of type dictionary")
    for name, wrong in (("ttl", "Ttl should be an int or long"),
                        ("gen", "Generation should be an int or long")):
        if name in meta:
            value = meta[name]
            if not isinstance(value, int):   # None too
                raise param_error(wrong)
            if not INT64_MIN <= value <= INT64_MAX:
                raise param_error(f"integer value for {name} exceeds sys.maxsize")
    return meta


def value_error(exc: Exception) -> AerospikeError:
    """Translate a codec failure on a bin value into the documented exception."""
    if isinstance(exc, OverflowError):
        return param_error("integer value exceeds sys.maxsize")
    if isinstance(exc, UnicodeEncodeError):   # a lone surrogate, say
        return ClientError(-1, "Unicode value not encoded in utf-8.", None, None, False)
    return param_error("Cannot serialize: SERIALIZER_NONE selected")


def udf_call_fields(module: Any, function: Any, args: Any) -> tuple[bytes, int]:
    """The UDF package, function and packed argument-list fields of a record UDF call,
    after checking each (ParamError naming the bad one)."""
    if not isinstance(module, str):
        raise param_error("module must be a string")
    if not isinstance(function, str):
        raise param_error("function must be a string")
    if not isinstance(args, list):
        raise param_error("args must be a list of arguments for the UDF")
    return udf_fields(module, function, pack_udf_args(args))


def pack_udf_args(args: list) -> bytes:
    """A UDF's argument list as the server takes it; a value that cannot travel is the
    official client's ClientError, a number out of range a ParamError."""
    try:
        return cdt_pack(args)
    except TypeError:
        raise unserializable() from None
    except (ValueError, OverflowError) as exc:
        raise param_error(f"Cannot serialize UDF arguments: {exc}") from None
