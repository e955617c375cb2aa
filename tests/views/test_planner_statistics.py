"""`flask md analyze`: planner statistics, which SQLite lacks until ANALYZE runs (without
them the 全部订单 page read a merchant's every order item to show 20 orders' items)."""
from sqlalchemy import text

from app.extensions import db


def test_analyze_command_refreshes_statistics(app):
    result = app.test_cli_runner().invoke(args=["md", "analyze"])
    assert result.exit_code == 0, result.output
    assert "planner statistics refreshed" in result.output
    with app.app_context():
        dialect = db.engine.dialect.name
        with db.engine.connect() as conn:
            if dialect == "sqlite":
                tables = set(conn.execute(text("SELECT tbl FROM sqlite_stat1")).scalars())
                assert {"shop_order", "order_item"} <= tables
                plan = " ".join(str(row[-1]) for row in conn.execute(text(
                    "EXPLAIN QUERY PLAN SELECT * FROM order_item "
                    "WHERE order_id IN (1, 2, 3) AND merchant_id = 1")))
                assert "ix_order_item_order_id" in plan, plan
            elif dialect == "postgresql":
                analyzed = conn.execute(text(
                    "SELECT last_analyze FROM pg_stat_user_tables "
                    "WHERE relname = 'order_item'")).scalar()
                assert analyzed is not None
