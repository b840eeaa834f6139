"""gan_core: a pure-PyTorch GAN training engine that yields typed events.

No web, no database, no asyncio: the trainer is a plain iterator of events that
the CLI, the server and the tests each consume their own way.
"""

from gan_core.config import RunConfig
from gan_core.events import Command, Event, to_frame

__all__ = ["Command", "Event", "RunConfig", "to_frame"]
