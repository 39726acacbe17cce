"""Argument errors worded as the official client words them.

The official client parses its arguments in C (CPython's ``PyArg_ParseTupleAndKeywords``),
so a call whose arguments do not fit raises a TypeError worded differently from Python's
own (``get() missing required argument 'key' (pos 1)``, not ``Client.get() missing 1
required positional argument: 'key'``). The drop-in raises the same: only on that error
path, the call itself goes straight through.
"""
from __future__ import annotations

import functools
import inspect
from typing import Any, Callable, NoReturn, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


def argument_error(name: str, fn: Callable[..., Any], args: tuple, kwargs: dict,
                   bound: bool = False) -> TypeError | None:
    """The TypeError the official client raises for ``name(*args, **kwargs)`` when they do
    not fit ``fn``'s parameters (``bound``: its first, self, is not among ``args``); None
    when they fit, or ``fn`` takes a variable number of them."""
    params = list(inspect.signature(fn).parameters.values())[1 if bound else 0:]
    if any(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in params):
        return None
    names = [p.name for p in params]
    required = sum(p.default is p.empty for p in params)
    given = len(args) + len(kwargs)
    if given > len(names):
        return TypeError(f"{name}() takes at most {len(names)} "
                         f"{'keyword ' if not args else ''}argument"
                         f"{'' if len(names) == 1 else 's'} ({given} given)")
    for i, pname in enumerate(names[len(args):required], len(args)):
        if pname not in kwargs:
            return TypeError(f"{name}() missing required argument '{pname}' (pos {i + 1})")
    for i, pname in enumerate(names[:len(args)]):
        if pname in kwargs:
            return TypeError(f"argument for {name}() given by name ('{pname}') and "
                             f"position ({i + 1})")
    for key in kwargs:
        if key not in names:
            return TypeError(f"'{key}' is an invalid keyword argument for {name}()")
    return None


def raise_argument_error(exc: TypeError, name: str, fn: Callable[..., Any], args: tuple,
                         kwargs: dict, bound: bool = False) -> NoReturn:
    """Raise the official client's error for arguments that do not fit ``fn``, or ``exc``
    again when they do (a TypeError of the call itself)."""
    error = argument_error(name, fn, args, kwargs, bound)
    if error is None:
        raise exc
    raise error from None


def official_arguments(fn: F) -> F:
    """``fn`` (a method when its first parameter is self), raising the official client's
    TypeError when its arguments do not fit."""
    method = next(iter(inspect.signature(fn).parameters), None) == "self"

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except TypeError as exc:
            raise_argument_error(exc, fn.__name__, fn, args[1:] if method else args, kwargs,
                                 method)
    return wrapper  # type: ignore[return-value]
