"""Demo data: a seeded generator of realistic logs and the `make run` walkthrough."""
