"""The local AWS emulator: moto's server plus a runtime that runs what ECS and RDS would run.

Not part of the collection (kept out of the Galaxy tarball): a user with a real AWS account never
sees it. `scripts/moto.sh start` runs `python -m emulator.server`; see emulator/README.md.
"""
