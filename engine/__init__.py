"""emflow's workflow core: definitions, instances, tasks, timers and history around SpiffWorkflow.

Nothing here imports Flask: the HTTP API, the command line and the worker are thin doors into these services
(``engine.services.build_services``). The layers and the flow of a command are described in docs/ARCHITECTURE.md.
"""
