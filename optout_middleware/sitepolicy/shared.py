"""A policy cache shared by the workers of a cluster: what is stored, under which key, for how
long, and the lease by which one worker fetches while the others wait. No I/O here: the store
(Redis, in :mod:`optout_middleware.middlewares.redis_cache`) and the download are passed in.

What is shared is what was downloaded, never a parsed object (:mod:`.entries`): every worker
reads the same bytes through the same status rules
(:func:`~optout_middleware.sitepolicy.read_site_file`) with the same ``fetched_at``.

The unit is *a fetched file keyed by kind and subject*: site files use their origin as subject
(``kind`` "robots", "aitxt", "tdmrep"); any other document fetched once for many pages plugs in
the same way with its own kind and its URL as subject, e.g. an RSL licence document:
``await files.load(licence_url, ("rsl",), download, ttl=...)`` where ``download`` returns
``{"rsl": FetchResult(...)}`` and ``ttl`` gives the document's own lifetime (its ``max-age``),
so the cluster keeps it no longer than a worker would. One lease covers the files of one subject.

Lease protocol (after a miss in the worker's own cache, under its in-process single flight):
read every key (one MGET); if all are there, done. Else try ``SET lease NX PX``; the winner reads
again (someone may just have written), downloads what is still missing while a heartbeat
extends the lease, writes each file with its TTL, and releases the lease only if it still holds
its token. Losers poll with jittered exponential backoff until the files appear, the lease frees
up (a dead holder's lease expires: they take over), or the wait times out (they fetch
themselves). Any store failure costs a local fetch, never a policy.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from .cache import LastGoodCache
from .entries import KeySchema, StoredFetch, decode_entry, encode_entry, ttl_secs

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Mapping, Sequence

    from optout_middleware.inputs import SiteFiles

    from .cache import PolicyCache
    from .rules import FetchResult

    # Downloads the given kinds (all at once), reporting each as a FetchResult.
    Download = Callable[[tuple[str, ...]], Awaitable[Mapping[str, FetchResult]]]
    # Seconds the store keeps one fetched file (before jitter).
    Lifetime = Callable[[StoredFetch], float]

__all__ = [
    "Breaker",
    "LeaseSettings",
    "Loaded",
    "SharedFiles",
    "SharedPolicyCache",
    "SharedStore",
    "StoreError",
]


class StoreError(Exception):
    """The shared store failed: down, refused, too slow, or an unexpected reply."""


@dataclass(frozen=True, slots=True)
class LeaseSettings:
    ok_ttl_secs: float = 86_400.0  # OPTOUT_CACHE_TTL_SECS
    error_ttl_secs: float = 600.0  # OPTOUT_UNREACHABLE_RETRY_SECS
    lease_secs: float = 30.0  # a dead holder blocks the others this long at most
    wait_secs: float = 60.0  # a waiter gives up and fetches itself after this long
    poll_min_secs: float = 0.05
    poll_max_secs: float = 1.0
    ttl_jitter: float = 0.1  # shorten each TTL by up to 10%: origins seeded together spread out
    max_body: int = 1024 * 1024  # the largest size cap: a bigger stored body is refused
    fallback: bool = True  # False: a store failure raises StoreError instead of fetching locally


class SharedStore(Protocol):
    """The operations the lease protocol needs; any failure raises :class:`StoreError`."""

    async def get_many(self, keys: Sequence[str]) -> list[bytes | None]: ...

    async def put_many(self, items: Sequence[tuple[str, bytes, int]]) -> None:
        """Set each ``(key, value, ttl in ms)``."""

    async def acquire(self, key: str, token: str, ttl_ms: int) -> bool:
        """``SET key token NX PX ttl_ms``: True when this token now holds the lease."""

    async def extend(self, key: str, token: str, ttl_ms: int) -> bool:
        """Reset the lease's expiry, only while ``token`` holds it."""

    async def release(self, key: str, token: str) -> bool:
        """Delete the lease, only while ``token`` holds it (never a successor's)."""


class Breaker:
    """Open after ``threshold`` consecutive failures: the store is skipped for ``open_secs``,
    then one call is let through (half open) and its outcome closes or reopens the breaker."""

    __slots__ = ("_clock", "_failures", "_open_until", "open_secs", "threshold")

    def __init__(
        self,
        threshold: int = 3,
        open_secs: float = 30.0,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.threshold = threshold
        self.open_secs = open_secs
        self._clock = clock
        self._failures = 0
        self._open_until = 0.0

    def allow(self) -> bool:
        if self._failures < self.threshold:
            return True
        now = self._clock()
        if now >= self._open_until:  # half open: one trial; a failure reopens at once
            self._open_until = now + self.open_secs
            return True
        return False

    @property
    def is_open(self) -> bool:
        return self._failures >= self.threshold

    def failure(self) -> None:
        self._failures += 1
        if self._failures == self.threshold:
            self._open_until = self._clock() + self.open_secs

    def success(self) -> None:
        self._failures = 0


@dataclass(frozen=True, slots=True)
class Loaded:
    """The files of one subject and where they came from: ``"shared"`` (in the store),
    ``"shared-wait"`` (written by another worker while this one waited), ``"fetch"`` (this
    worker held the lease), ``"fallback"`` (store failed or skipped by the breaker: fetched
    locally) or ``"wait-timeout"`` (waited too long: fetched locally)."""

    entries: dict[str, StoredFetch]
    source: str


@dataclass(slots=True)
class _Attempt:
    found: dict[str, StoredFetch] = field(default_factory=dict)
    fetched: dict[str, StoredFetch] = field(default_factory=dict)


class SharedFiles:
    """Single flight across a cluster for files keyed by (kind, subject); see the module doc.

    ``on_event(name)`` is told each event worth counting: ``hit``, ``lease_acquired``,
    ``lease_wait``, ``lease_takeover``, ``wait_timeout``, ``error``, ``fallback``,
    ``corrupt``, ``lease_lost``.
    """

    def __init__(
        self,
        store: SharedStore,
        settings: LeaseSettings,
        *,
        worker: str,
        keys: KeySchema | None = None,
        breaker: Breaker | None = None,
        on_event: Callable[[str], None] = lambda name: None,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self.store = store
        self.settings = settings
        self.worker = worker
        self.keys = keys or KeySchema()
        self.breaker = breaker or Breaker()
        self._event = on_event
        self._clock = clock
        self._wall = wall
        self._sleep = sleep
        self._rng = rng

    async def load(
        self,
        subject: str,
        kinds: Sequence[str],
        download: Download,
        *,
        ttl: Lifetime | None = None,
    ) -> Loaded:
        """Every file of ``kinds`` for ``subject``, fetched by one worker of the cluster.

        ``ttl`` is how long the store keeps a fetched file; by default the cache TTL, or the
        error TTL for a failure (:func:`~.entries.ttl_secs`).
        Raises :class:`StoreError` only when ``settings.fallback`` is off.
        """
        kinds = tuple(kinds)
        if not self.breaker.allow():
            if not self.settings.fallback:
                raise StoreError("the shared store failed repeatedly (breaker open)")
            self._event("fallback")
            return Loaded(await self._download(subject, kinds, download), "fallback")
        attempt = _Attempt()
        try:
            loaded = await self._load_shared(subject, kinds, download, attempt, ttl)
        except StoreError:
            self._event("error")
            self.breaker.failure()
            if not self.settings.fallback:
                raise
            self._event("fallback")
            have = {**attempt.found, **attempt.fetched}
            missing = tuple(kind for kind in kinds if kind not in have)
            if missing:
                have.update(await self._download(subject, missing, download))
            return Loaded(have, "fetch" if attempt.fetched and not missing else "fallback")
        self.breaker.success()
        return loaded

    async def _load_shared(
        self,
        subject: str,
        kinds: tuple[str, ...],
        download: Download,
        attempt: _Attempt,
        ttl: Lifetime | None,
    ) -> Loaded:
        s = self.settings
        if await self._read(subject, kinds, attempt):
            self._event("hit")
            return Loaded(attempt.found, "shared")
        lease = self.keys.lease_key(subject)
        token = f"{self.worker}:{uuid.uuid4().hex}"
        lease_ms = max(int(s.lease_secs * 1000), 1)
        deadline = self._clock() + s.wait_secs
        delay = s.poll_min_secs
        waited = False
        while True:
            if await self.store.acquire(lease, token, lease_ms):
                return await self._hold(
                    subject,
                    kinds,
                    download,
                    attempt,
                    lease=lease,
                    token=token,
                    waited=waited,
                    ttl=ttl,
                )
            if not waited:
                waited = True
                self._event("lease_wait")
            await self._sleep(delay * (0.8 + 0.4 * self._rng()))
            delay = min(delay * 2, s.poll_max_secs)
            if await self._read(subject, kinds, attempt):
                return Loaded(attempt.found, "shared-wait")
            if self._clock() >= deadline:
                self._event("wait_timeout")
                missing = tuple(kind for kind in kinds if kind not in attempt.found)
                attempt.fetched = await self._download(subject, missing, download)
                await self._write(attempt.fetched, ttl)
                return Loaded({**attempt.found, **attempt.fetched}, "wait-timeout")

    async def _hold(
        self,
        subject: str,
        kinds: tuple[str, ...],
        download: Download,
        attempt: _Attempt,
        *,
        lease: str,
        token: str,
        waited: bool,
        ttl: Lifetime | None,
    ) -> Loaded:
        """Holding the lease: read again, fetch what is missing, write it, release."""
        try:
            if await self._read(subject, kinds, attempt):  # written just before we won
                return Loaded(attempt.found, "shared-wait" if waited else "shared")
            self._event("lease_takeover" if waited else "lease_acquired")
            missing = tuple(kind for kind in kinds if kind not in attempt.found)
            heartbeat = asyncio.ensure_future(self._heartbeat(lease, token))
            try:
                attempt.fetched = await self._download(subject, missing, download)
            finally:
                heartbeat.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await heartbeat
            await self._write(attempt.fetched, ttl)
            return Loaded({**attempt.found, **attempt.fetched}, "fetch")
        finally:
            try:
                await self.store.release(lease, token)
            except StoreError:  # it expires on its own; a waiter at worst waits that long
                self._event("error")

    async def _heartbeat(self, lease: str, token: str) -> None:
        """Extend the lease every third of its life while the download runs."""
        lease_ms = max(int(self.settings.lease_secs * 1000), 1)
        while True:
            await self._sleep(self.settings.lease_secs / 3)
            try:
                held = await self.store.extend(lease, token, lease_ms)
            except StoreError:
                self._event("error")
                return
            if not held:  # expired (a long stall) and maybe taken: a duplicate fetch at worst
                self._event("lease_lost")
                return

    async def _read(self, subject: str, kinds: tuple[str, ...], attempt: _Attempt) -> bool:
        """Fill ``attempt.found`` from the store; True when every kind is there."""
        wanted = [kind for kind in kinds if kind not in attempt.found]
        values = await self.store.get_many([self.keys.file_key(kind, subject) for kind in wanted])
        for kind, value in zip(wanted, values, strict=True):
            if value is None:
                continue
            try:
                attempt.found[kind] = decode_entry(
                    value, kind=kind, subject=subject, max_body=self.settings.max_body
                )
            except ValueError:
                self._event("corrupt")  # read as a miss; the next holder overwrites it
        return len(attempt.found) == len(kinds)

    async def _download(
        self,
        subject: str,
        kinds: tuple[str, ...],
        download: Download,
    ) -> dict[str, StoredFetch]:
        results = await download(kinds)
        now = self._wall()
        return {kind: StoredFetch(kind, subject, results[kind], now, self.worker) for kind in kinds}

    async def _write(self, fetched: Mapping[str, StoredFetch], lifetime: Lifetime | None) -> None:
        s = self.settings
        items = []
        for kind, entry in fetched.items():
            if lifetime is not None:
                ttl = lifetime(entry)
            else:
                ttl = ttl_secs(entry.result, ok_secs=s.ok_ttl_secs, error_secs=s.error_ttl_secs)
            ttl *= 1 - s.ttl_jitter * self._rng()
            key = self.keys.file_key(kind, entry.subject)
            items.append((key, encode_entry(entry), max(int(ttl * 1000), 1)))
        if items:
            await self.store.put_many(items)


class SharedPolicyCache:
    """A :class:`~optout_middleware.sitepolicy.PolicyCache` for a cluster: ``get``/``put`` are
    the worker's own cache (in front, parsed objects), :meth:`load` reaches the shared store.

    ``get`` also drops an origin whose oldest file is older than ``ttl_secs``: a file read from
    the store keeps its original fetch time, so no worker keeps it past the cluster's TTL.
    """

    __slots__ = ("_clock", "files", "local", "ttl_secs")

    def __init__(
        self,
        local: PolicyCache,
        files: SharedFiles,
        *,
        ttl_secs: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.local = local
        self.files = files
        self.ttl_secs = ttl_secs
        self._clock = clock

    def get(self, origin: str) -> SiteFiles | None:
        site = self.local.get(origin)
        if site is None:
            return None
        limit = self._clock() - self.ttl_secs
        for fetched_at in (site.robots.fetched_at, site.tdmrep.fetched_at, site.aitxt.fetched_at):
            if fetched_at is not None and fetched_at <= limit:
                return None
        return site

    def put(self, origin: str, site: SiteFiles) -> None:
        self.local.put(origin, site)

    def last_good(self, origin: str) -> SiteFiles | None:
        """The last good robots.txt this worker read for ``origin`` (kept by its own cache, not
        shared: each worker falls back on the copy it last parsed)."""
        local = self.local
        return local.last_good(origin) if isinstance(local, LastGoodCache) else None

    async def load(
        self,
        origin: str,
        kinds: Sequence[str],
        download: Download,
    ) -> Loaded:
        """The site files of ``origin`` as fetched by one worker of the cluster."""
        return await self.files.load(origin, kinds, download)
