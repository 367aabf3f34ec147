"""Running instances: the commands (one function each, shared with replay), their transactions, task and
instance queries, timers, users and the rulesets in force. See docs/ARCHITECTURE.md, "The flow of a command".
"""
