"""The shared package: event contracts, envelope, bus wiring, outbox/inbox and telemetry."""
