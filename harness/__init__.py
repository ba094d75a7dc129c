"""harness: a testing and chaos harness for LLM multi-agent systems."""
