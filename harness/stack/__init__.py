"""Start and always stop the processes the HTTP tiers need: mock LLM server and reference service."""

from ._process import pid_alive
from ._stack import Stack, free_port, stop_recorded

__all__ = ["Stack", "free_port", "pid_alive", "stop_recorded"]
