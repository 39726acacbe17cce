"""Loading the recorded wire vectors (../shared/wire-vectors beside the checkout)."""
from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VECTORS = Path(os.environ.get("AEROSPIKE_WIRE_VECTORS", ROOT.parent / "shared" / "wire-vectors"))


@lru_cache(maxsize=None)
def load(area: str) -> tuple[dict, ...]:
    """Every scenario of one area, in file order."""
    with open(VECTORS / f"{area}.jsonl", encoding="utf-8") as f:
        return tuple(json.loads(line) for line in f if line.strip())


def areas() -> list[str]:
    return sorted(p.stem for p in VECTORS.glob("*.jsonl"))


def messages(area: str):
    """(scenario id, 'request'|'response', bytes) of every recorded message of an area."""
    for sc in load(area):
        for ex in sc["exchanges"]:
            yield sc["id"], "request", bytes.fromhex(ex["request"])
            for r in ex["responses"]:
                yield sc["id"], "response", bytes.fromhex(r)
