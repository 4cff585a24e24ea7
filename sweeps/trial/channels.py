"""The channels between a data-parallel trial's own process and its ranks: rank 0's reports,
the trial's stop, the ranks' stalls (sweeps.trial.distributed).

All of them are queues held by one small actor of the trial's. A Ray queue (``ray.util.queue``)
is an actor of its own, and every actor is a process that starts and imports Ray: three queues
cost a trial three processes, on a machine whose cores the trial's workers need.
"""

from __future__ import annotations

import asyncio
import functools
from dataclasses import dataclass
from typing import Any


class Empty(Exception):
    """Nothing came through the channel within the wait."""


class Full(Exception):
    """The channel stayed full for the whole wait."""


@dataclass(frozen=True)
class Channel:
    """One named queue of the trial's channels actor; picklable, so the ranks get it too."""

    actor: Any
    name: str

    def put(self, item: Any, timeout: float | None = None) -> None:
        """Put ``item``, waiting up to ``timeout`` seconds (None: as long as it takes) for room."""
        import ray

        if not ray.get(self.actor.put.remote(self.name, item, timeout)):
            raise Full(self.name)

    def get(self, timeout: float | None = None) -> Any:
        """The next item, waiting up to ``timeout`` seconds (None: as long as it takes)."""
        import ray

        arrived, item = ray.get(self.actor.get.remote(self.name, timeout))
        if not arrived:
            raise Empty(self.name)
        return item

    def get_nowait(self) -> Any:
        return self.get(timeout=0)

    def empty(self) -> bool:
        import ray

        return ray.get(self.actor.empty.remote(self.name))


def open_channels(**sizes: int) -> tuple[Any, dict[str, Channel]]:
    """The channels actor (``close`` it when the trial ends) and a channel for each name, of
    the given size (0: unbounded). The actor takes no CPU: it only waits."""
    actor = _channels_class().options(num_cpus=0).remote(sizes)
    return actor, {name: Channel(actor, name) for name in sizes}


def close(actor: Any) -> None:
    import ray

    ray.kill(actor, no_restart=True)


@functools.cache
def _channels_class() -> Any:
    # Made on first use: Ray loads only when a sweep runs, after authentication is settled.
    import ray

    @ray.remote
    class TrialChannels:
        def __init__(self, sizes: dict[str, int]):
            self.queues: dict[str, asyncio.Queue[Any]] = {
                name: asyncio.Queue(size) for name, size in sizes.items()
            }

        async def put(self, name: str, item: Any, timeout: float | None) -> bool:
            try:
                await asyncio.wait_for(self.queues[name].put(item), timeout)
            except asyncio.TimeoutError:
                return False
            return True

        async def get(self, name: str, timeout: float | None) -> tuple[bool, Any]:
            queue = self.queues[name]
            if timeout == 0:
                return (False, None) if queue.empty() else (True, queue.get_nowait())
            try:
                return True, await asyncio.wait_for(queue.get(), timeout)
            except asyncio.TimeoutError:
                return False, None

        async def empty(self, name: str) -> bool:
            return self.queues[name].empty()

    return TrialChannels
