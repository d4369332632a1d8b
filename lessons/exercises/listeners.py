"""Event listeners an answer leaves on the course's models: found, named and taken away.

A listener lives as long as what it is registered on. An answer that writes ``@event.listens_for(Post,
"before_update")`` where the task handed it a model of its own leaves that listener on the course's ``Post`` for the
rest of the kernel: it stamps every later update, in the lesson's cells and in later checks alike. A check takes a
:func:`census` before the answer runs and calls :func:`remove_added` after it, which unregisters what the answer
added to a course model (mapper, instance and attribute events) and names it, so the check can say so.

Listeners on every ``Session`` are left alone: tasks ask for them (an audit log, a global scope), and one an answer
registers once, for its whole kernel, must still be there for the check's next run.

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
from typing import Any

from sqlalchemy.event import registry

from lessons.core.models import Base

#: (what the listeners are registered on, which kind of events, the event's name) → the listeners then.
Census = dict[tuple[str, str, str], tuple[Any, ...]]


def _dispatchers() -> list[tuple[str, Any]]:
    """The event dispatchers of each course model: its mapper's, its instances' and each attribute's."""
    Base.registry.configure()  # mapping a relationship adds SQLAlchemy's own listeners (backrefs): not the answer's
    found: list[tuple[str, Any]] = []
    for mapper in Base.registry.mappers:
        name = mapper.class_.__name__
        found += [(name, mapper.dispatch), (name, mapper.class_manager.dispatch)]
        found += [(f"{name}.{key}", attribute.dispatch) for key, attribute in mapper.class_manager.items()]
    return found


def census() -> Census:
    """The listeners registered on the course's models now (see the module's example)."""
    return {
        (target, type(dispatch).__name__, name): tuple(listeners)
        for target, dispatch in _dispatchers()
        for name in dispatch._event_names
        if (listeners := getattr(dispatch, name))
    }


def remove_added(before: Census) -> list[str]:
    """Unregister every listener added to a course model since ``before``; return what each was, in a phrase."""
    added: list[str] = []
    for target, dispatch in _dispatchers():
        for name in dispatch._event_names:
            collection = getattr(dispatch, name)
            known = before.get((target, type(dispatch).__name__, name), ())
            for listener in [listener for listener in collection if listener not in known]:
                _unregister(collection, listener)
                added.append(f"a {name} listener on {target}")
    return list(dict.fromkeys(added))


def _unregister(collection: Any, listener: Any) -> None:
    """Take ``listener`` out of ``collection``: the dispatcher's own, or its class's (``event.listen(Mapper, …)``:
    in a list per class, subclasses included)."""
    own = getattr(collection, "listeners", ())
    if listener in own:
        own.remove(listener)
        collection.propagate.discard(listener)
        _forget(collection, listener)
        return
    classwide = collection.parent
    for listeners in classwide._clslevel.values():
        if listener in listeners:
            listeners.remove(listener)
    _forget(classwide, listener)


def _forget(owner: Any, listener: Any) -> None:
    """What ``event.remove`` does to SQLAlchemy's registry once a listener left ``owner``: so ``event.contains``
    says False, and a later ``event.remove`` of it raises as for any listener never registered."""
    key = registry._collection_to_key.get(owner.ref, {}).pop(weakref.ref(listener), None)
    holders = registry._key_to_collection.get(key, {}) if key is not None else {}
    holders.pop(owner.ref, None)
    if key is not None and not holders:
        registry._key_to_collection.pop(key, None)
