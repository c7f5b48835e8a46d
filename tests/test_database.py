import os

from django.db import connection


def test_it_runs_on_the_database_ci_asked_for(db):
    """CI runs the suite on SQLite and on PostgreSQL; this proves which one each leg used."""
    expected = os.environ.get("EXPECT_DB_VENDOR")
    url = os.environ.get("DATABASE_URL", "")
    implied = "postgresql" if url.startswith(("postgres", "postgresql")) else "sqlite"
    assert connection.vendor == implied
    if expected:
        assert connection.vendor == expected
    with connection.cursor() as cursor:
        cursor.execute("select version()" if connection.vendor == "postgresql" else "select sqlite_version()")
        assert cursor.fetchone()[0]
