"""Database tables, queries and the chart renderer."""
