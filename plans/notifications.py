"""The plans app's message kinds, registered when the outbox autodiscovers this module
(couples.apps): a signed plan announced to its partners lives in plans/announcements.py,
beside the services that queue it."""

from plans import announcements  # noqa: F401
