from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine


def create_engine(database_url: str, *, pool_size: int = 10) -> AsyncEngine:
    # hide_parameters: an error's text (logged, or kept in a dead letter) never shows the values.
    return create_async_engine(
        database_url,
        pool_size=pool_size,
        max_overflow=10,
        pool_pre_ping=True,
        hide_parameters=True,
    )


def libpq_dsn(database_url: str) -> str:
    """The same database as a plain libpq URL (for asyncpg's LISTEN connection and psql)."""
    return database_url.replace("postgresql+asyncpg://", "postgresql://", 1)
