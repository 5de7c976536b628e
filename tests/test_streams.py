"""Keyed streams: the plain-Python PCG64 steps give numpy's numbers, bit for bit, in any mix."""

from __future__ import annotations

import numpy as np

from simulator.streams import Streams, _NamedKey


def _numpy(seed: int, kind: str, entity: str) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(_NamedKey(f"{seed}\x00{kind}\x00{entity}".encode())))


def test_uniform_draws_are_numpys_numbers():
    for seed in range(300):
        src = Streams(seed).source("travel", f"task#{seed}/0")
        ref = _numpy(seed, "travel", f"task#{seed}/0")
        assert [src.random() for _ in range(5)] == [ref.random() for _ in range(5)]


def test_triangular_draws_are_numpys_numbers_including_a_mode_at_either_end():
    params = np.random.default_rng(11)
    for seed in range(600):
        lo = float(params.uniform(-50, 50))
        hi = lo + float(params.exponential(20)) + 1e-6
        mode = (lo, hi, lo + (hi - lo) * float(params.random()))[seed % 3]
        src = Streams(seed).source("work", "x")
        ref = _numpy(seed, "work", "x")
        assert [src.triangular(lo, mode, hi) for _ in range(3)] == [float(ref.triangular(lo, mode, hi))
                                                                   for _ in range(3)]


def test_a_stream_mixing_plain_and_numpy_draws_follows_numpys_sequence():
    for seed in range(100):
        streams = Streams(seed)
        src = streams.source("amount", "e#0")
        ref = _numpy(seed, "amount", "e#0")
        got, want = [], []
        for k in range(6):  # plain draws first, then numpy's own algorithms, then plain again
            if k in (2, 3):
                got += [src.standard_normal(), float(src.binomial(10, 0.3)), float(src.poisson(2.5))]
                want += [ref.standard_normal(), float(ref.binomial(10, 0.3)), float(ref.poisson(2.5))]
            else:
                got += [src.random(), src.triangular(0.0, 1.0, 3.0)]
                want += [ref.random(), float(ref.triangular(0.0, 1.0, 3.0))]
        assert got == want
        # the numpy generator handed out for the same key is the same stream, at the same place
        assert streams.get("amount", "e#0").random() == ref.random()


def test_get_after_plain_draws_continues_the_stream():
    streams = Streams(7)
    src = streams.source("process", "p")
    ref = _numpy(7, "process", "p")
    assert src.random() == ref.random()
    g = streams.get("process", "p")
    assert g is src.numpy() and g.standard_exponential() == ref.standard_exponential()
    assert src.random() == ref.random()  # after numpy took over, plain draws are its draws
