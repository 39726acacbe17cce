"""The info protocol (proto type 1): newline-separated commands and tab-separated replies."""
from __future__ import annotations

from .framing import MSG_INFO, encode_proto


def encode_info_request(*commands: str) -> bytes:
    """A whole info request asking each command (none asks for the server's default set)."""
    payload = "".join(f"{c}\n" for c in commands).encode("utf-8")
    return encode_proto(MSG_INFO, payload)


def parse_info_request(payload: bytes) -> list[str]:
    """The command names of an info request payload."""
    text = payload.decode("utf-8", "replace")
    return [line for line in text.split("\n") if line]


def encode_info_response(pairs: list[tuple[str, str]]) -> bytes:
    """A whole info reply: ``name\\tvalue\\n`` per pair."""
    payload = "".join(f"{name}\t{value}\n" for name, value in pairs).encode("utf-8")
    return encode_proto(MSG_INFO, payload)


def parse_info_response(payload: bytes) -> dict[str, str]:
    """{command: value} of an info reply payload (a line without a tab maps to '')."""
    result: dict[str, str] = {}
    for line in payload.decode("utf-8", "replace").split("\n"):
        if not line:
            continue
        name, _, value = line.partition("\t")
        result[name] = value
    return result


def parse_info_params(arg: str) -> dict[str, str]:
    """``a=1;b=2`` -> {'a': '1', 'b': '2'}: the parameters of an info command, the first
    occurrence of a name winning, as the server reads them."""
    out: dict[str, str] = {}
    for part in arg.split(";"):
        name, eq, value = part.partition("=")
        if eq and name not in out:
            out[name] = value
    return out
