"""Counter-based random numbers: every (seed, store, sensor, hour, draw) has its own stream.

The generator is SplitMix64 used as a hash: a key per (seed, store, sensor) plus a counter per
(hour, draw) goes through the SplitMix64 finaliser, which gives 64 well-mixed bits. Nothing
carries over from one reading to the next, so any slice of hours and sensors, generated alone
and in any order, gives the same numbers as inside a larger window.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

_MASK = (1 << 64) - 1
_GAMMA = 0x9E3779B97F4A7C15
_M1 = 0xBF58476D1CE4E5B9
_M2 = 0x94D049BB133111EB
_2_POW_M32 = 2.0**-32

#: How many 64-bit draws each (sensor, hour) may use; draw numbers are 0..DRAWS_PER_HOUR-1.
DRAWS_PER_HOUR = 4


def mix64(x: int) -> int:
    """The SplitMix64 finaliser of one Python integer (for keys, not hot paths)."""
    x &= _MASK
    x ^= x >> 30
    x = (x * _M1) & _MASK
    x ^= x >> 27
    x = (x * _M2) & _MASK
    x ^= x >> 31
    return x


@lru_cache(maxsize=65536)
def stream_key(seed: int, store_key: int, sensor_id: int, salt: int = 0) -> int:
    """The key of the streams of one sensor of one store (`salt` separates independent uses)."""
    k = mix64(seed * _GAMMA + 1)
    k = mix64(k ^ store_key)
    k = mix64(k + (sensor_id + 1) * _GAMMA)
    return mix64(k + salt * _M1)


def sensor_keys(seed: int, store_key: int, sensor_ids: np.ndarray, salt: int = 0) -> np.ndarray:
    """`stream_key` of each sensor, as a uint64 array."""
    return np.array(
        [stream_key(seed, store_key, int(s), salt) for s in sensor_ids], dtype=np.uint64
    )


def _mix_inplace(z: np.ndarray) -> np.ndarray:
    z ^= z >> np.uint64(30)
    z *= np.uint64(_M1)
    z ^= z >> np.uint64(27)
    z *= np.uint64(_M2)
    z ^= z >> np.uint64(31)
    return z


def bits(keys: np.ndarray, hours: np.ndarray, draw: int) -> np.ndarray:
    """64 random bits for every (hour, sensor): shape (len(hours), len(keys)), uint64.

    `hours` are hour indices (hours since 1970-01-01T00:00Z), `draw` the draw number.
    """
    counter = hours.astype(np.uint64) * np.uint64(DRAWS_PER_HOUR) + np.uint64(draw)
    counter *= np.uint64(_GAMMA)
    return _mix_inplace(counter[:, None] + keys[None, :])


def split_uniforms(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two uniforms in [0, 1) from the high and low 32 bits of each value."""
    hi = (z >> np.uint64(32)).astype(np.float64)
    lo = (z & np.uint64(0xFFFFFFFF)).astype(np.float64)
    hi *= _2_POW_M32
    lo *= _2_POW_M32
    return hi, lo


def normals(z: np.ndarray) -> np.ndarray:
    """One standard normal per value (Box-Muller over its two 32-bit halves)."""
    u1, u2 = split_uniforms(z)
    u1 = 1.0 - u1  # in (0, 1]: log is finite
    np.log(u1, out=u1)
    u1 *= -2.0
    np.sqrt(u1, out=u1)
    u2 *= 2.0 * np.pi
    np.cos(u2, out=u2)
    u1 *= u2
    return u1
