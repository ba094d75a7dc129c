"""Start and always stop the processes the HTTP tiers need: the mock LLM, the proxy, the system."""

from ._process import pid_alive
from ._stack import Stack, StackRecord, free_port, read_record, stop_recorded

__all__ = ["Stack", "StackRecord", "free_port", "pid_alive", "read_record", "stop_recorded"]
