"""The demo city: a believable, reproducible Chinese city for demos, tests and benchmarks.

Not a Django app (no models): `builder.build_city()` writes ordinary registry rows, and
`manage.py demo_city` is the command-line entry point. See `builder` for the extension
point later features use to add their own demo data.
"""
