"""Looking back at what happened: hash-chain verification, replay of recorded commands, and compliance reports.

See docs/ARCHITECTURE.md, "The flow of a command" (replay) and "Stored formats".
"""
