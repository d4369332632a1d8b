"""Event listeners an answer leaves on the course's models: found, named and taken away.

A listener lives as long as what it is registered on. An answer that writes ``@event.listens_for(Post,
"before_update")`` where the task handed it a model of its own leaves that listener on the course's ``Post`` for the
rest of the kernel: it stamps every later update, in the lesson's cells and in later checks alike. A check takes a
:func:`census` before the answer runs and calls :func:`remove_added` after it, which unregisters what the answer
added to a course model (mapper, instance and attribute events) and names it, so the check can say so.

A listener on a course model's class or on its declarative base or mixin with ``propagate=True`` counts (it reaches
the course's models); one on every ``Session`` or every ``Mapper`` is left alone: tasks ask for session-wide ones
(an audit log, a global scope), and one an answer registers once, for its whole kernel, must still be there for the
check's next run. A model the answer maps itself (on the course's ``Base``, say) is the exercise's to judge.

>>> from sqlalchemy import event
>>> from lessons.core.models import Post
>>> before = census()
>>> @event.listens_for(Post, "before_update")
... def stamp(mapper, connection, target):
...     pass
>>> remove_added(before)
['a before_update listener on Post']
>>> event.contains(Post, "before_update", stamp)
False
"""

from __future__ import annotations

import weakref
from contextlib import suppress
from typing import Any

from sqlalchemy.event import registry
from sqlalchemy.orm.events import _InstanceEventsHold, _MapperEventsHold

from lessons.core.models import Base

#: (what the listeners are registered on, which kind of events, the event's name) → its own listeners then.
Census = dict[tuple[str, str, str], tuple[Any, ...]]


def _dispatchers() -> list[tuple[str, Any]]:
    """The event dispatchers of each course model, by name: its mapper's, its instances' and each attribute's."""
    # Mapping a relationship adds SQLAlchemy's own listeners (backrefs), which are not the answer's. A mapping that
    # fails to configure (a learner's model with a typo) is the lesson's to report, not this census's.
    with suppress(Exception):
        Base.registry.configure()
    found: list[tuple[str, Any]] = []
    for mapper in sorted(Base.registry.mappers, key=lambda mapper: mapper.class_.__name__):
        name = mapper.class_.__name__
        found += [(name, mapper.dispatch), (name, mapper.class_manager.dispatch)]
        found += [(f"{name}.{key}", attribute.dispatch) for key, attribute in mapper.class_manager.items()]
    return found


def census() -> Census:
    """The listeners registered on the course's models now (see the module's example)."""
    return {
        (target, type(dispatch).__name__, name): tuple(getattr(getattr(dispatch, name), "listeners", ()))
        for target, dispatch in _dispatchers()
        for name in dispatch._event_names
    }


def remove_added(before: Census) -> list[str]:
    """Unregister every listener added to a course model since ``before``; return what each was, in a phrase.

    Only what ``before`` knew: a model (or an attribute) mapped since is not the course's.
    """
    added: list[str] = []
    for target, dispatch in _dispatchers():
        for name in dispatch._event_names:
            known = before.get((target, type(dispatch).__name__, name))
            collection = getattr(dispatch, name)
            if known is None or not hasattr(collection, "listeners"):
                continue
            for listener in [listener for listener in collection.listeners if listener not in known]:
                where = _unregister(collection, listener) or target
                added.append(f"{'an' if name[0] in 'aeiou' else 'a'} {name} listener on {where}")
    return list(dict.fromkeys(added))


def _unregister(collection: Any, listener: Any) -> str | None:
    """Take ``listener`` out of ``collection`` as ``event.remove`` would. When it came from a listener held on a base
    class or mixin (``propagate=True``), remove that one, everywhere, and return the class's name and what it reaches.
    """
    key = registry._collection_to_key.get(collection.ref, {}).get(weakref.ref(listener))
    for holds in (_MapperEventsHold.all_holds, _InstanceEventsHold.all_holds):
        for holder, held in list(holds.items()):
            if key in held:
                held[key][0].remove()  # the _EventKey event.listen stored: its remove() is event.remove's
                return f"{holder.__name__} (every model mapped on it)"
    if listener in collection.listeners:
        collection.listeners.remove(listener)
        collection.propagate.discard(listener)
        # SQLAlchemy's registry, as event.remove leaves it: event.contains says False, a later event.remove raises
        registry._collection_to_key.get(collection.ref, {}).pop(weakref.ref(listener), None)
        holders = registry._key_to_collection.get(key, {}) if key is not None else {}
        holders.pop(collection.ref, None)
        if key is not None and not holders:
            registry._key_to_collection.pop(key, None)
    return None
