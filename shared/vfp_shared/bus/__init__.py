"""Kafka wiring: the batch consumer with inbox and dead letters, and the outbox relay."""
