"""PostgreSQL access: the engine, the bus tables each service owns, the unit of work, migrations."""
