"""Settings every service shares, read from the environment (pydantic-settings)."""

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class PlatformSettings(BaseSettings):
    """What any process on the bus needs. Services subclass it with their own fields."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    kafka_bootstrap_servers: str = "127.0.0.1:19092"
    database_url: str = "postgresql+asyncpg://vfp:vfp@127.0.0.1:15432/vfp"

    # Consumer batching: one database transaction per fetched batch.
    consumer_max_records: int = Field(default=500, ge=1)
    consumer_batch_timeout_ms: int = Field(default=50, ge=1)
    # Bounded retries before an event is dead-lettered.
    consumer_max_attempts: int = Field(default=3, ge=1)
    consumer_retry_backoff_s: float = Field(default=0.2, ge=0)

    outbox_batch_size: int = Field(default=1000, ge=1)
    # Fallback poll when no NOTIFY arrives (e.g. rows left by a crashed relay).
    outbox_poll_interval_s: float = Field(default=1.0, gt=0)

    # OpenTelemetry: spans go to the OTLP/HTTP endpoint when one is set, and to otel_trace_file
    # (JSON lines) when that is set; with neither, to var/run/traces/<service>.jsonl.
    otel_exporter_otlp_endpoint: str | None = None
    otel_trace_file: str | None = None
    otel_sample_ratio: float = Field(default=1.0, ge=0, le=1)
    log_level: str = "INFO"

    def trace_file(self, service: str) -> str | None:
        if self.otel_trace_file or self.otel_exporter_otlp_endpoint:
            return self.otel_trace_file
        return f"var/run/traces/{service}.jsonl"  # where `vfp run` and `vfp cycle` look


# Public, for local runs and tests only: a service using them warns at start.
DEVELOPMENT_JWT_KEY = "change-me-local-development-secret-0123456789"
DEVELOPMENT_MASTER_KEY = "bG9jYWwtZGV2ZWxvcG1lbnQtbWFzdGVyLWtleS0zMmI="


class ServiceSettings(PlatformSettings):
    """Adds what a service with an HTTP API and personal data needs."""

    http_host: str = "127.0.0.1"
    http_port: int = 8000
    # Tokens: an HS256 shared secret by default; set jwt_algorithms=["RS256"] and a PEM key
    # to verify an identity provider's tokens instead.
    jwt_key: str = DEVELOPMENT_JWT_KEY
    jwt_algorithms: list[str] = ["HS256"]
    jwt_audience: str | None = None
    # 32 bytes, urlsafe base64: wraps the per-victim keys. Set a real one outside development.
    master_key: str = DEVELOPMENT_MASTER_KEY

    def uses_development_keys(self) -> bool:
        return self.jwt_key == DEVELOPMENT_JWT_KEY or self.master_key == DEVELOPMENT_MASTER_KEY
