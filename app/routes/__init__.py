"""One router per resource: runs, presets (with datasets, schema, health), stream, pages."""
