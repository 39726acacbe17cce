"""UDF module management of the embedded server: ``udf-put``, ``udf-get``, ``udf-list``
and ``udf-remove`` as info commands, answered in the formats of a real 8.1 node.

Modules are kept per node in memory (the node's ``Store.udf_modules``, where the command
engine finds them to run: ``testing.udf_exec``); an embedded cluster spreads
``udf-put``/``udf-remove`` to every node (and replays them to a node that joins later),
as the real server does through its system metadata.

Reply facts (server ``udf_cask.c``, checked against the wire vectors):

- errors are ``error=<what>`` values, not ``ERROR:<code>:...``;
- ``udf-list`` lists ``filename=<name>,hash=<sha1 hex>,type=LUA;`` per module in
  registration order, where the hash is the SHA-1 of the module's metadata item, the
  JSON text ``{"content64": "<base64 as sent>", "type": "LUA", "name": "<name>"}``;
- ``udf-get`` answers ``type=LUA;content=<base64 of the file>;``;
- a module whose Lua does not compile is refused with
  ``error=compile_error;file=<name>;line=<n>;message=<base64 message>``. Without a Lua
  compiler, only one mistake is recognised: a function's parameter list that is not
  closed (``')' expected near '<token>'``) -- see :func:`lua_parlist_error`.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from typing import Any

from ..protocol.info import parse_info_params

MAX_UDF_CONTENT = 1024 * 1024
"""Largest decoded module the server accepts (``MAX_UDF_CONTENT_LENGTH``)."""

UDF_TYPES = ("LUA",)


class UdfModule:
    """One registered module: its name, type, base64 text as sent and decoded bytes."""

    __slots__ = ("name", "udf_type", "content64", "content")

    def __init__(self, name: str, udf_type: str, content64: str, content: bytes) -> None:
        self.name = name
        self.udf_type = udf_type
        self.content64 = content64
        self.content = content

    def hash(self) -> str:
        """SHA-1 (hex) of the module's metadata item, as ``udf-list`` reports it."""
        item = (f'{{"content64": {json.dumps(self.content64, ensure_ascii=False)}, '
                f'"type": {json.dumps(self.udf_type, ensure_ascii=False)}, '
                f'"name": {json.dumps(self.name, ensure_ascii=False)}}}')
        return hashlib.sha1(item.encode("utf-8")).hexdigest()


def modules_of(node: Any) -> dict[str, UdfModule]:
    """The node's registered modules by file name (created on first use)."""
    return node.store.udf_modules


def info_udf_put(node: Any, arg: str) -> str:
    """``udf-put:filename=<name>;content=<base64>;content-len=<n>[;udf-type=LUA]``."""
    params = parse_info_params(arg)
    filename = params.get("filename")
    if not filename:
        return "error=invalid_filename"
    dot = filename.find(".")
    if dot <= 0 or dot == len(filename) - 1:
        return "error=invalid_filename"
    content_len = params.get("content-len")
    if content_len is None:
        return "error=invalid_content_len"
    udf_type = params.get("udf-type", "LUA")
    if udf_type not in UDF_TYPES:
        return "error=invalid_udf_type"
    if not content_len.isdigit() or int(content_len) % 4 != 0:
        return "error=invalid_content_len"
    content64 = params.get("content")
    if content64 is None or len(content64) != int(content_len):
        return "error=invalid_content"
    if len(content64) // 4 * 3 > MAX_UDF_CONTENT:
        return "error=invalid_udf_content_len,>1M"
    try:
        content = base64.b64decode(content64, validate=True)
    except (binascii.Error, ValueError):
        return "error=invalid_base64_content"
    problem = lua_parlist_error(content.decode("utf-8", "replace"))
    if problem is not None:
        line, message = problem
        encoded = base64.b64encode(message.encode("utf-8")).decode("ascii")
        return f"error=compile_error;file={filename};line={line};message={encoded}"
    # a new version of a module keeps its place in the listing (dict order)
    modules_of(node)[filename] = UdfModule(filename, udf_type, content64, content)
    return "ok"


def info_udf_get(node: Any, arg: str) -> str:
    """``udf-get:filename=<name>``: the module's file, base64-encoded."""
    filename = parse_info_params(arg).get("filename")
    if not filename:
        return "error=invalid_filename"
    module = modules_of(node).get(filename)
    if module is None:
        return "error=not_found"
    if not module.content:
        return "error=empty"
    return f"type=LUA;content={base64.b64encode(module.content).decode('ascii')};"


def info_udf_list(node: Any, arg: str) -> str:
    """``udf-list``: every module with its hash, in registration order."""
    return "".join(f"filename={m.name},hash={m.hash()},type={m.udf_type};"
                   for m in modules_of(node).values())


def info_udf_remove(node: Any, arg: str) -> str:
    """``udf-remove:filename=<name>``: ``ok`` whether or not the module exists."""
    filename = parse_info_params(arg).get("filename")
    if not filename:
        return "error=invalid_filename"
    modules_of(node).pop(filename, None)
    return "ok"


# -- the one compile error we can see without a Lua compiler ------------------------------

_TOKEN = re.compile(r"""
    (?P<space>[ \t\r\f\v]+)
  | (?P<newline>\n)
  | (?P<longcomment>--\[(?P<lceq>=*)\[)
  | (?P<comment>--[^\n]*)
  | (?P<longstring>\[(?P<lseq>=*)\[)
  | (?P<string>"(?:[^"\\\n]|\\.|\\\n)*"|'(?:[^'\\\n]|\\.|\\\n)*')
  | (?P<number>0[xX][0-9a-fA-F.]+(?:[pP][+-]?\d+)?|\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<symbol>\.\.\.|\.\.|==|~=|<=|>=|<<|>>|//|::|[-+*/%^\#&~|<>=(){}\[\];:,.])
""", re.VERBOSE)


def _lua_tokens(source: str) -> list[tuple[str, str, int]]:
    """(kind, text, line) of each Lua token; comments and blanks dropped. Stops quietly
    at anything it does not understand (the check is best effort)."""
    out: list[tuple[str, str, int]] = []
    pos, line, end = 0, 1, len(source)
    while pos < end:
        m = _TOKEN.match(source, pos)
        if m is None:
            break
        kind = m.lastgroup
        text = m.group(0)
        if kind in ("longcomment", "longstring"):
            eq = m.group("lceq") if kind == "longcomment" else m.group("lseq")
            close = source.find("]" + eq + "]", m.end())
            if close < 0:
                break
            body = source[m.start():close + len(eq) + 2]
            if kind == "longstring":
                out.append(("string", body, line))
            line += body.count("\n")
            pos = close + len(eq) + 2
            continue
        if kind == "newline":
            line += 1
        elif kind in ("string",):
            out.append(("string", text, line))
            line += text.count("\n")
        elif kind in ("number", "name", "symbol"):
            out.append((kind, text, line))
        pos = m.end()
    return out


def _near(token: tuple[str, str, int] | None) -> str:
    return "<eof>" if token is None else f"'{token[1]}'"


def lua_parlist_error(source: str) -> tuple[int, str] | None:
    """(line, message) of an unclosed or malformed function parameter list, worded as the
    Lua compiler words it (``')' expected near 'return'``); None if none is seen."""
    tokens = _lua_tokens(source)
    n = len(tokens)
    i = 0
    while i < n:
        if tokens[i][:2] != ("name", "function"):
            i += 1
            continue
        j = i + 1
        # funcname: Name {'.' Name} [':' Name] (absent for an anonymous function)
        if j < n and tokens[j][0] == "name":
            j += 1
            while j + 1 < n and tokens[j][1] in (".", ":") and tokens[j + 1][0] == "name":
                sep = tokens[j][1]
                j += 2
                if sep == ":":
                    break
        if j >= n or tokens[j][1] != "(":
            tok = tokens[j] if j < n else None
            return (tok[2] if tok else (tokens[-1][2] if tokens else 1),
                    f"'(' expected near {_near(tok)}")
        j += 1
        if j < n and tokens[j][1] != ")":
            while j < n:
                if tokens[j][1] == "...":
                    j += 1
                    break
                if tokens[j][0] != "name":
                    tok = tokens[j]
                    return tok[2], f"<name> or '...' expected near {_near(tok)}"
                j += 1
                if j < n and tokens[j][1] == ",":
                    j += 1
                    continue
                break
        if j >= n or tokens[j][1] != ")":
            tok = tokens[j] if j < n else None
            return (tok[2] if tok else (tokens[-1][2] if tokens else 1),
                    f"')' expected near {_near(tok)}")
        i = j + 1
    return None


UDF_INFO_COMMANDS = {
    "udf-put:": info_udf_put,
    "udf-get:": info_udf_get,
    "udf-list": info_udf_list,
    "udf-list:": info_udf_list,
    "udf-remove:": info_udf_remove,
}
"""Info commands of UDF module management, merged into the node's table."""
