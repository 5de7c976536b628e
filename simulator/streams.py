"""Named random streams (draws themselves live in `distributions`).

Every stochastic source (a process's waiting times, a unit's travel times, an
effect's amounts) draws from its own numpy Generator (PCG64), keyed by stable
names: its initial state is the BLAKE2b hash of ``(seed, kind, entity)``.
Changing a decision therefore changes only the draws of what that decision
touches, which is what makes paired what-if runs on common random numbers work.
(A keyed hash rather than ``SeedSequence(seed, spawn_key=...)``: the same
independence, at a third of the cost per stream, which matters for short runs.)

Most streams are read once (a unit's travel to one task run). Creating a numpy generator
costs about 4 us, a uniform draw from it under 1 us, so `Streams.source` hands out a
`Source` that steps the same PCG64 generator in plain Python (the 128-bit LCG and its
XSL-RR output, seeded exactly as numpy seeds it from `_NamedKey`) for uniform and
triangular draws, and builds the numpy generator, advanced past what was drawn, only when
a draw needs numpy's algorithms (normal, exponential, binomial...). The numbers are the
ones numpy gives, bit for bit (tests/test_streams.py checks it).
"""

from __future__ import annotations

import hashlib
import math
import struct
from typing import Any

import numpy as np
from numpy.random.bit_generator import ISeedSequence

from .distributions import draw

__all__ = ["Source", "Streams", "draw"]


_SALT0 = (0).to_bytes(16, "little")
_U64 = np.dtype(np.uint64)


class _NamedKey(ISeedSequence):
    """Seeds a bit generator from a hash of the stream's name (numpy's seeding interface).

    `buf` (optional): a 4-word array owned by one `Streams`, filled in place and handed to
    PCG64, which reads it at once (cheaper than a new array per stream).
    """

    __slots__ = ("_data", "_buf")

    def __init__(self, data: bytes, buf: _SeedBuffer | None = None) -> None:
        self._data = data
        self._buf = buf

    def generate_state(self, n_words: int, dtype: type = np.uint32) -> np.ndarray:
        """`n_words` words of state derived from the stream's name."""
        if n_words == 4 and dtype is np.uint64:  # what PCG64 asks for: the first 32 bytes of one block
            digest = hashlib.blake2b(self._data, digest_size=64, salt=_SALT0).digest()
            if self._buf is not None:
                return self._buf.fill(digest)
            return np.frombuffer(digest, _U64, 4)
        size = np.dtype(dtype).itemsize * n_words
        if size <= 64:  # one block (PCG64 asks for 32 bytes)
            return np.frombuffer(hashlib.blake2b(self._data, digest_size=64, salt=_SALT0).digest()[:size],
                                 dtype=dtype).copy()
        out = b""
        block = 0
        while len(out) < size:
            out += hashlib.blake2b(self._data, digest_size=64, salt=block.to_bytes(16, "little")).digest()
            block += 1
        return np.frombuffer(out[:size], dtype=dtype).copy()


_Generator, _PCG64 = np.random.Generator, np.random.PCG64
_blake2b = hashlib.blake2b
_words = struct.Struct("<4Q").unpack_from
_sqrt = math.sqrt

# PCG64 (numpy's default bit generator): a 128-bit LCG with this multiplier, output XSL-RR.
_MULT = (2549297995355413924 << 64) + 4865540595714422341
_M128 = (1 << 128) - 1
_M64 = (1 << 64) - 1
_TO_DOUBLE = 1.0 / 9007199254740992.0  # 2**-53: a double from the top 53 bits of an output


class _SeedBuffer:
    """A 4-word array and a byte view of it, created when a numpy generator is first seeded."""

    __slots__ = ("arr", "view")

    def __init__(self) -> None:
        self.arr: np.ndarray | None = None
        self.view: memoryview | None = None

    def fill(self, data: bytes) -> np.ndarray:
        """The array holding the first 32 bytes of `data`."""
        arr = self.arr
        if arr is None:
            arr = self.arr = np.empty(4, _U64)
            self.view = memoryview(arr).cast("B")
        self.view[:] = data[:32]  # type: ignore[index]
        return arr


class Source:
    """One stream: uniform and triangular draws stepped here, anything else by its numpy generator.

    Call `numpy()` for the generator itself (advanced past every draw made here); the other
    generator methods used by distributions are forwarded to it.
    """

    __slots__ = ("_data", "_state", "_inc", "_drawn", "_gen", "_buf")

    def __init__(self, data: bytes, buf: _SeedBuffer | None = None) -> None:
        self._data = data  # the stream's name, hashed into its seed
        self._buf = buf  # the seeding buffer of its `Streams` (see `_NamedKey`)
        self._state = -1  # the LCG state; -1 until the first plain draw seeds it
        self._inc = 0
        self._drawn = 0  # outputs taken here, skipped when the numpy generator is built
        self._gen: np.random.Generator | None = None

    def numpy(self) -> np.random.Generator:
        """The stream's numpy generator, at the point this source has reached."""
        g = self._gen
        if g is None:
            g = self._gen = _Generator(_PCG64(_NamedKey(self._data, self._buf)))
            if self._drawn:
                g.bit_generator.advance(self._drawn)
        return g

    def random(self) -> float:
        """A uniform double in [0, 1): numpy's `Generator.random()`, the same number."""
        if self._gen is not None:
            return self._gen.random()
        state, inc = self._state, self._inc
        if state < 0:  # seed as numpy's PCG64 does from _NamedKey: srandom(initstate, initseq)
            w0, w1, w2, w3 = _words(_blake2b(self._data, digest_size=64, salt=_SALT0).digest())
            inc = self._inc = ((w2 << 65) | (w3 << 1) | 1) & _M128
            state = ((inc + ((w0 << 64) | w1)) * _MULT + inc) & _M128
        state = self._state = (state * _MULT + inc) & _M128
        self._drawn += 1
        hi = state >> 64
        x = hi ^ (state & _M64)
        r = hi >> 58
        return ((((x >> r) | (x << (64 - r))) & _M64) >> 11) * _TO_DOUBLE

    def triangular(self, left: float, mode: float, right: float) -> float:
        """numpy's `Generator.triangular(left, mode, right)` (left < right): the same number."""
        if self._gen is not None:
            return float(self._gen.triangular(left, mode, right))
        base = right - left
        leftbase = mode - left
        u = self.random()
        if u <= leftbase / base:
            return left + _sqrt(u * (leftbase * base))
        return right - _sqrt((1.0 - u) * ((right - mode) * base))

    def standard_exponential(self) -> float:
        """Forwarded to the numpy generator."""
        return self.numpy().standard_exponential()

    def standard_normal(self) -> float:
        """Forwarded to the numpy generator."""
        return self.numpy().standard_normal()

    def poisson(self, lam: float) -> Any:
        """Forwarded to the numpy generator."""
        return self.numpy().poisson(lam)

    def binomial(self, n: int, p: float) -> Any:
        """Forwarded to the numpy generator."""
        return self.numpy().binomial(n, p)

    def __getattr__(self, name: str) -> Any:  # any other generator method (choice, integers...)
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.numpy(), name)


class Streams:
    """Lazily created streams, one per (kind, entity) name pair."""

    __slots__ = ("seed", "_sources", "_prefix", "_buf")

    def __init__(self, seed: int) -> None:
        if seed < 0:
            raise ValueError("seed must be >= 0")
        self.seed = seed
        self._sources: dict[tuple[str, str], Source] = {}
        self._prefix = f"{seed}\x00"
        self._buf = _SeedBuffer()  # one run's seeding buffer (one run, one thread), made at first use

    def source(self, kind: str, entity: str) -> Source:
        """The stream (kind, entity), created on first use (its numpy generator only if needed)."""
        src = self._sources.get((kind, entity))
        if src is None:
            src = self._sources[(kind, entity)] = Source(f"{self._prefix}{kind}\x00{entity}".encode(), self._buf)
        return src

    def get(self, kind: str, entity: str) -> np.random.Generator:
        """The numpy generator of stream (kind, entity), created on first use."""
        src = self._sources.get((kind, entity))
        if src is None:
            src = self._sources[(kind, entity)] = Source(f"{self._prefix}{kind}\x00{entity}".encode(), self._buf)
        g = src._gen
        return g if g is not None else src.numpy()
