"""Secrets are stored encrypted and read back; a wrong key is an error, not garbage."""
import pytest
from sqlalchemy import Column, Integer, MetaData, Table, create_engine, select, text

from app import crypto


@pytest.fixture(autouse=True)
def _restore_key():
    saved = crypto._fernet
    yield
    crypto._fernet = saved


def test_secret_column_stores_ciphertext_and_reads_plaintext():
    crypto.configure("unit-test-key")
    meta = MetaData()
    table = Table("t", meta, Column("id", Integer, primary_key=True),
                  Column("app_secret", crypto.EncryptedText()))
    engine = create_engine("sqlite://")
    meta.create_all(engine)
    with engine.begin() as conn:
        conn.execute(table.insert(), {"id": 1, "app_secret": "wx-secret-1234567890"})
        raw = conn.execute(text("select app_secret from t")).scalar()
        assert "wx-secret" not in raw and raw.startswith("gAAAA")
        assert conn.execute(select(table.c.app_secret)).scalar() == "wx-secret-1234567890"
    crypto.configure("another-key")
    with engine.begin() as conn, pytest.raises(ValueError):
        conn.execute(select(table.c.app_secret)).scalar()


def test_mask_shows_only_the_last_four():
    from app.admin.labels import mask_secret

    assert mask_secret("abcdefghijkl1234") == "****1234"
    assert mask_secret("short") == "****"
    assert mask_secret(None) == ""
