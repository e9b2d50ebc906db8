"""Hot-path shortcuts that must not change behaviour: the decision signal is sent only when a
handler listens (and then always), and the verdict dict is shared only between equal verdicts."""

from __future__ import annotations

from pydispatch import dispatcher
from scrapy.signalmanager import SignalManager

from optout_middleware.middlewares.listeners import has_receivers
from optout_middleware.middlewares.signals import optout_decided


def _handler(**kwargs: object) -> None:
    del kwargs


def test_has_receivers_sees_handlers_for_the_signal_from_our_sender_or_any() -> None:
    """Nobody connected: no send. A handler for this signal, or for every signal, from the
    crawler's sender or from any sender: send."""
    manager = SignalManager()
    assert not has_receivers(manager.sender, optout_decided)
    other = object()
    manager.connect(_handler, signal=other)  # another signal of ours: still nobody for this one
    assert not has_receivers(manager.sender, optout_decided)
    manager.connect(_handler, signal=optout_decided)
    assert has_receivers(manager.sender, optout_decided)
    manager.disconnect(_handler, signal=optout_decided)
    assert not has_receivers(manager.sender, optout_decided)
    dispatcher.connect(_handler, signal=optout_decided, sender=dispatcher.Any)
    try:
        assert has_receivers(manager.sender, optout_decided)
    finally:
        dispatcher.disconnect(_handler, signal=optout_decided, sender=dispatcher.Any)
    manager.connect(_handler, signal=dispatcher.Any)  # a handler of every signal
    assert has_receivers(manager.sender, optout_decided)
    manager.disconnect_all(dispatcher.Any)


def test_robots_groups_compile_their_rules_only_when_asked() -> None:
    """A parsed group keeps its Allow/Disallow lines as atomic tuples until ``rules`` is read:
    the groups a crawl never selects (search engines' bots) cost no Rule objects."""
    from optout_middleware.formats.robotstxt import parse  # noqa: PLC0415

    robots = parse(
        "User-agent: Googlebot\nDisallow: /g\nAllow: /g/ok\n\n"
        "User-agent: GPTBot\nDisallow: /\n\nUser-agent: *\nDisallow: /private/\n"
    )
    googlebot, gptbot, star = robots.groups
    assert robots.allowed("https://e.com/private/x", "GPTBot") is False
    assert robots.allowed("https://e.com/private/x", "OurBot") is False
    assert googlebot._rules is None  # never selected: still lines
    assert gptbot._rules is not None
    assert star._rules is not None
    assert [(r.allow, r.raw, r.line) for r in googlebot.rules] == [
        (False, "/g", 2),
        (True, "/g/ok", 3),
    ]
    assert robots.allowed("https://e.com/g/ok/1", "Googlebot") is True
