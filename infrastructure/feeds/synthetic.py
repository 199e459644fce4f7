"""A seeded synthetic market of a small-cap token, as rows of 1-minute (by default) bars.

The model, per bar, in log-price:
- regimes (calm, trending up, trending down, turbulent) switching as a Markov chain,
  each with its own drift and volatility scale;
- volatility clustering: GARCH(1,1) variance driven by the last shock;
- jumps: rare Poisson shocks with heavy (Laplace) sizes;
- pump-and-dump episodes: a ramp of +60..+400% over 20..240 bars on surging
  volume and volatility (the noise grows with the pump's pace, so a pump is
  a jagged climb, not a straight line), then a crash that gives back 90..110% of the gain within 3..30 bars.
Volume follows |return| and the episode. Prices keep 8 decimal places.

Same parameters and seed give the same rows byte for byte on a given
platform: only ``random.Random(seed)`` and IEEE arithmetic are used.
The rows go through the same validation as any CSV (the generator is a
``Source``), so generated data obeys the same rules as real data.
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Iterator
from dataclasses import asdict, dataclass

from application.ingest import Source, SourceRow

GENERATOR_VERSION = 2
# Regimes: (drift per bar, volatility scale); rows of the transition matrix follow.
_REGIMES = ((0.0, 0.6), (0.00003, 1.0), (-0.00003, 1.0), (0.0, 2.2))
_STAY = 0.995


@dataclass(frozen=True)
class SyntheticMarket:
    """Parameters of the synthetic market; all of them go into the source digest."""

    bars: int
    seed: int
    start_ts_ns: int = 1_704_067_200_000_000_000  # 2024-01-01T00:00:00Z
    interval_s: int = 60
    start_price: float = 0.05
    base_volume: float = 250_000.0
    jump_probability: float = 0.002
    pump_probability: float = 0.00015

    def source(self) -> Source:
        """The rows as a Source, named and digested by their parameters."""
        params = ",".join(f"{k}={v}" for k, v in sorted(asdict(self).items()))
        digest = hashlib.sha256(f"synthetic.v{GENERATOR_VERSION}:{params}".encode()).hexdigest()
        return Source(name=f"synthetic(seed={self.seed},bars={self.bars})", digest=digest, rows=self.rows())

    def rows(self) -> Iterator[SourceRow]:
        """Bar rows (timestamp, open, high, low, close, volume) as text."""
        rng = random.Random(self.seed)  # noqa: S311 -- seeded on purpose: reproducible data, not secrets
        gauss, uniform = rng.gauss, rng.random
        omega, alpha, beta = 2e-7, 0.08, 0.90
        variance = omega / (1 - alpha - beta)
        regime = 0
        price = self.start_price
        pump_left = dump_left = 0
        pump_step = dump_step = 0.0
        step_ns = self.interval_s * 1_000_000_000
        for index in range(self.bars):
            if uniform() > _STAY:
                regime = rng.randrange(len(_REGIMES))
            drift, scale = _REGIMES[regime]
            volume_boost, episode_scale = 1.0, 1.0
            if pump_left == 0 and dump_left == 0 and uniform() < self.pump_probability:
                gain, give_back = rng.uniform(0.6, 4.0), rng.uniform(0.9, 1.1)
                pump_left, dump_left = rng.randint(20, 240), rng.randint(3, 30)
                pump_step = math.log(1 + gain) / pump_left
                dump_step = (math.log(1 + gain * (1 - give_back)) - math.log(1 + gain)) / dump_left
            if pump_left:
                drift, volume_boost, pump_left = drift + pump_step, 8.0, pump_left - 1
                episode_scale = 1.0 + 2.0 * pump_step / math.sqrt(variance)
            elif dump_left:
                drift, volume_boost, dump_left = drift + dump_step, 12.0, dump_left - 1
                episode_scale = 3.0
            innovation = gauss(0.0, 1.0) * math.sqrt(variance)
            variance = omega + alpha * innovation * innovation + beta * variance
            shock = innovation * scale * episode_scale
            if uniform() < self.jump_probability:
                shock += (1 if uniform() < 0.5 else -1) * rng.expovariate(1 / 0.04)
            log_return = drift + shock
            open_ = price
            close = max(open_ * math.exp(log_return), 1e-8)
            wick = abs(gauss(0.0, 1.0)) * math.sqrt(variance) * scale * 0.5
            high = max(open_, close) * math.exp(wick)
            low = max(min(open_, close) * math.exp(-abs(gauss(0.0, 1.0)) * wick), 1e-8)
            volume = self.base_volume * volume_boost * (1 + 40 * abs(log_return)) * rng.lognormvariate(0, 0.5)
            price = close
            o, h, lo, c = (f"{p:.8f}" for p in (open_, high, low, close))
            ts = str(self.start_ts_ns + index * step_ns)
            fields = (ts, o, max(h, o, c, key=float), min(lo, o, c, key=float), c, f"{volume:.4f}")
            yield SourceRow(line=index + 1, fields=fields, raw=",".join(fields))
