"""TLS: the documented ``tls`` config turned into one ``ssl.SSLContext``, built once.

The config keys are those of the official Python client (``enable``, ``cafile``,
``capath``, ``protocols``, ``cipher_suite``, ``cert_blacklist``, ``keyfile``,
``keyfile_pw``, ``certfile``, ``crl_check``, ``crl_check_all``, ``log_session_info``,
``for_login_only``). A value of the wrong type raises ParamError naming the key; a file
that cannot be loaded raises TLSError (-9), as the official client reports TLS setup
failures. Connections verify the server's certificate against the node's TLS name (from
the seed's ``(address, port, tls_name)`` or the ``peers-tls-*`` reply), else its address.
"""
from __future__ import annotations

import logging
import ssl
from typing import Any

from ..exceptions import ParamError, TLSError
from .connection import TLSFailure

log = logging.getLogger("aerospike_async.tls")

STR_KEYS = ("cafile", "capath", "protocols", "cipher_suite", "cert_blacklist", "keyfile",
            "certfile", "keyfile_pw")
BOOL_KEYS = ("enable", "crl_check", "crl_check_all", "log_session_info", "for_login_only")

_VERSIONS = {
    "tlsv1": ssl.TLSVersion.TLSv1,
    "tlsv1.1": ssl.TLSVersion.TLSv1_1,
    "tlsv1.2": ssl.TLSVersion.TLSv1_2,
    "tlsv1.3": ssl.TLSVersion.TLSv1_3,
}
_ORDER = list(_VERSIONS)
DEFAULT_PROTOCOLS = "TLSv1.2 TLSv1.3"


def _param(msg: str) -> ParamError:
    return ParamError(-2, msg, None, None, False)


def _tls_error(msg: str) -> TLSError:
    return TLSError(-9, msg, None, None, False)


def parse_protocols(text: str) -> tuple[ssl.TLSVersion, ssl.TLSVersion]:
    """``"TLSv1.2"``, ``"TLSv1.2 TLSv1.3"``, ``"all -TLSv1 -TLSv1.1"`` (the C client's
    syntax, ``+``/``-`` prefixes) -> (minimum, maximum) version. SSLv2/SSLv3 are refused;
    a set with a hole in it is refused too (OpenSSL through Python takes a range)."""
    chosen: set[str] = set()
    for token in text.replace(",", " ").split():
        sign = ""
        if token[0] in "+-":
            sign, token = token[0], token[1:]
        name = token.lower()
        if name == "all":
            names = set(_ORDER)
        elif name in _VERSIONS:
            names = {name}
        elif name in ("sslv2", "sslv3"):
            raise _param(f"TLS config 'protocols': {token} is not supported")
        else:
            raise _param(f"TLS config 'protocols': unknown protocol {token!r}")
        if sign == "-":
            chosen -= names
        else:
            chosen |= names
    if not chosen:
        raise _param(f"TLS config 'protocols' {text!r} allows no protocol")
    idx = sorted(_ORDER.index(n) for n in chosen)
    if idx[-1] - idx[0] + 1 != len(idx):
        raise _param(f"TLS config 'protocols' {text!r}: the protocols must be contiguous")
    return _VERSIONS[_ORDER[idx[0]]], _VERSIONS[_ORDER[idx[-1]]]


def _read_blacklist(path: str) -> frozenset[str]:
    """Serial numbers (hex) of refused certificates, one per line, optionally followed by
    the issuer name; ``#`` starts a comment."""
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except OSError as exc:
        raise _tls_error(f"Failed to load cert blacklist {path}: {exc}") from None
    serials = set()
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if line:
            serials.add(line.split(None, 1)[0].upper().lstrip("0") or "0")
    return frozenset(serials)


class TLSConfig:
    """The client's TLS settings: one SSLContext shared by every connection, the
    certificate blacklist, and whether to log each session's protocol and cipher."""

    __slots__ = ("blacklist", "context", "log_session_info")

    def __init__(self, context: ssl.SSLContext, blacklist: frozenset[str] = frozenset(),
                 log_session_info: bool = False) -> None:
        self.context = context
        self.blacklist = blacklist
        self.log_session_info = log_session_info

    def check(self, ssl_object: Any, address: str, tls_name: str | None) -> None:
        """After the handshake: refuse a blacklisted certificate, log the session."""
        if self.blacklist and ssl_object is not None:
            cert = ssl_object.getpeercert() or {}
            serial = str(cert.get("serialNumber", "")).upper().lstrip("0") or "0"
            if serial in self.blacklist:
                raise TLSFailure(f"certificate of {address} (serial {serial}) is blacklisted")
        if self.log_session_info and ssl_object is not None:
            log.info("TLS session with %s (%s): %s %s", address, tls_name,
                     ssl_object.version(), (ssl_object.cipher() or ("?",))[0])


def build_tls(config: Any) -> TLSConfig | None:
    """The TLSConfig of a client's ``tls`` config dict, or None when TLS is off."""
    if config is None:
        return None
    if not isinstance(config, dict):
        raise _param("Invalid TLS config: 'tls' must be a dict")
    for key in STR_KEYS:
        value = config.get(key)
        if value is not None and not isinstance(value, str):
            raise _param(f"Invalid TLS config key {key!r}: expected type str")
    for key in BOOL_KEYS:
        value = config.get(key)
        if value is not None and not isinstance(value, (bool, int)):
            raise _param(f"Invalid TLS config key {key!r}: expected type bool")
    if not config.get("enable"):
        return None
    if config.get("for_login_only"):
        # TLS only for the login, the rest in the clear: this client keeps every
        # connection on TLS, so it refuses rather than pretend to switch.
        raise _param("TLS config 'for_login_only' is not supported: this client does not "
                     "switch its connections from TLS to clear after the login")
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # verifies the certificate and the name
    minimum, maximum = parse_protocols(config.get("protocols") or DEFAULT_PROTOCOLS)
    try:
        ctx.minimum_version = minimum
        ctx.maximum_version = maximum
    except (ValueError, ssl.SSLError) as exc:
        raise _tls_error(f"Failed to set TLS protocols {config.get('protocols')!r}: {exc}") \
            from None
    cafile, capath = config.get("cafile"), config.get("capath")
    try:
        if cafile or capath:
            ctx.load_verify_locations(cafile=cafile or None, capath=capath or None)
        else:
            ctx.load_default_certs()
    except (OSError, ssl.SSLError) as exc:
        raise _tls_error(f"Failed to load CAFile {cafile or capath}: {exc}") from None
    if config.get("cipher_suite"):
        try:
            ctx.set_ciphers(config["cipher_suite"])
        except ssl.SSLError as exc:
            raise _tls_error(f"Failed to set cipher suite {config['cipher_suite']!r}: {exc}") \
                from None
    if config.get("crl_check_all"):
        ctx.verify_flags |= ssl.VERIFY_CRL_CHECK_CHAIN
    elif config.get("crl_check"):
        ctx.verify_flags |= ssl.VERIFY_CRL_CHECK_LEAF
    certfile, keyfile = config.get("certfile"), config.get("keyfile")
    if keyfile and not certfile:
        raise _param("TLS config 'keyfile' needs 'certfile' (the client's certificate chain)")
    if certfile:
        try:
            ctx.load_cert_chain(certfile, keyfile or None, config.get("keyfile_pw"))
        except (OSError, ssl.SSLError) as exc:
            raise _tls_error(f"Failed to load certificate chain {certfile} / private key "
                             f"{keyfile}: {exc}") from None
    blacklist = (_read_blacklist(config["cert_blacklist"]) if config.get("cert_blacklist")
                 else frozenset())
    return TLSConfig(ctx, blacklist, bool(config.get("log_session_info")))
