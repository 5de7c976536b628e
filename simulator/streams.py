"""Named random streams and distribution draws.

Every stochastic source (a process's waiting times, a unit's travel times, an
effect's amounts) draws from its own numpy Generator (PCG64), keyed by stable
names: its initial state is the BLAKE2b hash of ``(seed, kind, entity)``.
Changing a decision therefore changes only the draws of what that decision
touches, which is what makes paired what-if runs on common random numbers work.
(A keyed hash rather than ``SeedSequence(seed, spawn_key=...)``: the same
independence, at a third of the cost per stream, which matters for short runs.)
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping

import numpy as np
from numpy.random.bit_generator import ISeedSequence

from .scenario import Dist


class _NamedKey(ISeedSequence):
    """Seeds a bit generator from a hash of the stream's name (numpy's seeding interface)."""

    __slots__ = ("_data",)

    def __init__(self, data: bytes) -> None:
        self._data = data

    def generate_state(self, n_words: int, dtype: type = np.uint32) -> np.ndarray:
        size = np.dtype(dtype).itemsize * n_words
        out = b""
        block = 0
        while len(out) < size:
            out += hashlib.blake2b(self._data, digest_size=64, salt=block.to_bytes(16, "little")).digest()
            block += 1
        return np.frombuffer(out[:size], dtype=dtype).copy()


class Streams:
    """Lazily created generators, one per (kind, entity) name pair."""

    __slots__ = ("seed", "_gens")

    def __init__(self, seed: int) -> None:
        if seed < 0:
            raise ValueError("seed must be >= 0")
        self.seed = seed
        self._gens: dict[tuple[str, str], np.random.Generator] = {}

    def get(self, kind: str, entity: str) -> np.random.Generator:
        g = self._gens.get((kind, entity))
        if g is None:
            key = _NamedKey(f"{self.seed}\x00{kind}\x00{entity}".encode())
            g = np.random.Generator(np.random.PCG64(key))
            self._gens[(kind, entity)] = g
        return g


def draw(dist: Dist, rng: np.random.Generator, env: Mapping[str, float]) -> float:
    """One draw of `dist` with its parameters evaluated against `env`."""
    p = dist.params
    k = dist.kind
    if k == "fixed":
        x = float(p["value"](env))
    elif k == "uniform":
        lo, hi = p["low"](env), p["high"](env)
        x = lo + (hi - lo) * rng.random() if hi > lo else lo
    elif k == "triangular":
        lo, mo, hi = p["low"](env), p["mode"](env), p["high"](env)
        x = rng.triangular(lo, mo, hi) if hi > lo else lo
    elif k == "normal":
        x = p["mean"](env) + max(p["sd"](env), 0.0) * rng.standard_normal()
    elif k == "lognormal":
        med = p["median"](env)
        x = med * math.exp(max(p["sigma"](env), 0.0) * rng.standard_normal()) if med > 0 else 0.0
    elif k == "exponential":
        m = p["mean"](env)
        x = m * rng.standard_exponential() if m > 0 else 0.0
    elif k == "poisson":
        m = p["mean"](env)
        x = float(rng.poisson(m)) if m > 0 else 0.0
    elif k == "binomial":
        n = int(max(p["n"](env), 0))
        pr = min(max(p["p"](env), 0.0), 1.0)
        x = float(rng.binomial(n, pr)) if n > 0 else 0.0
    elif k == "empirical":
        vals = dist.values
        if dist.weights:
            w = np.asarray(dist.weights, dtype=float)
            x = float(vals[int(rng.choice(len(vals), p=w / w.sum()))])
        else:
            x = float(vals[int(rng.integers(len(vals)))])
    else:  # pragma: no cover - the schema admits no other kinds
        raise ValueError(f"unknown distribution {k}")
    if dist.lo is not None and x < dist.lo:
        x = dist.lo
    if dist.hi is not None and x > dist.hi:
        x = dist.hi
    return float(x)
