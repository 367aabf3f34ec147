"""The database: the schema and its migrations, Core tables, engines, and the hash-chained history format.

See docs/ARCHITECTURE.md, "The tables" and "Stored formats".
"""
