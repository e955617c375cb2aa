"""`python run.py`: the development server on http://127.0.0.1:5000.

On first run it creates the schema (Alembic), syncs permissions and seeds the demo data.
"""
import os

from app import create_app

app = create_app()

if __name__ == "__main__":
    with app.app_context():
        from app.cli import refresh_planner_statistics, sync_permissions
        from app.seed import seed_demo
        from flask_migrate import upgrade

        upgrade(revision="heads")
        sync_permissions()
        seed_demo()
        refresh_planner_statistics()
        from app.seed import print_logins

        print_logins()
    app.run(host=os.environ.get("HOST", "127.0.0.1"), port=int(os.environ.get("PORT", 5000)),
            debug=os.environ.get("FLASK_DEBUG") == "1")
