"""One blueprint per resource: parse with a schema, call one engine service, render with a schema."""
