"""emflow's workflow core: definitions, instances, tasks and history around SpiffWorkflow.

Nothing here imports Flask: the HTTP API, the command line and the worker are thin doors into these services.
"""
