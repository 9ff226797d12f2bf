"""Reading a server's /metrics the way Prometheus would."""

from __future__ import annotations

from collections.abc import Callable

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.support.waiting import eventually


def parse(text: str) -> dict[str, float]:
    """Samples by name, labels appended as `{key=value,...}`."""
    samples: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
            key = f"{sample.name}{{{labels}}}" if labels else sample.name
            samples[key] = sample.value
    return samples


async def scrape(base_url: str) -> dict[str, float]:
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as client:
        response = await client.get("/metrics")
    response.raise_for_status()
    return parse(response.text)


async def wait_for(
    base_url: str,
    name: str,
    predicate: Callable[[float], bool],
    timeout: float = 10.0,
) -> dict[str, float]:
    """Scrape until the sample `name` satisfies `predicate`; the last scrape."""
    samples: dict[str, float] = {}

    async def holds() -> bool:
        nonlocal samples
        samples = await scrape(base_url)
        return name in samples and predicate(samples[name])

    await eventually(holds, timeout=timeout, every=0.02)
    return samples
