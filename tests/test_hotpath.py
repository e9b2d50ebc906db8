"""Hot-path shortcuts that must not change behaviour: the decision signal is sent only when a
handler listens (and then always), and the verdict dict is shared only between equal verdicts."""

from __future__ import annotations

from pydispatch import dispatcher
from scrapy.signalmanager import SignalManager

from optout_middleware.middlewares.downloader import has_receivers
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
