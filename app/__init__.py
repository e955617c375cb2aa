"""create_app(): the one place where things are wired together."""
import logging
import os

from flask import Flask

from config import BASE_DIR, INSTANCE_DIR, Config


def create_app(overrides=None):
    app = Flask(__name__, instance_path=INSTANCE_DIR)
    app.config.from_object(Config)
    if overrides:
        app.config.update(overrides)
    # Schema comes from Alembic and permissions from `flask md sync`, never implicitly.
    app.config["FAB_CREATE_DB"] = False
    for folder in (app.instance_path, app.config["UPLOAD_FOLDER"],
                   app.config["TASK_RESULT_FOLDER"]):
        os.makedirs(folder, exist_ok=True)
    if not app.debug:
        logging.basicConfig(level=logging.INFO)
        logging.getLogger("flask_appbuilder").setLevel(logging.WARNING)

    from app.admin import safe_args
    from flask_appbuilder import AppBuilder

    from app.extensions import csrf, db, migrate

    safe_args.install()
    from app import crypto

    crypto.configure(app.config["SECRET_KEY"], app.config["FIELD_ENCRYPTION_KEY"])
    from app import models, tenancy  # noqa: F401  (complete metadata, tenant guard)
    from app.admin import audit  # noqa: F401  (audit listener)

    db.init_app(app)
    csrf.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(BASE_DIR, "migrations"))

    appbuilder = AppBuilder(update_perms=app.config["FAB_UPDATE_PERMS"])
    with app.app_context():
        appbuilder.init_app(app, db.session)
        from app.views import register_views

        register_views(appbuilder)

    from app import api, cli, hooks
    from app.wechat import callbacks

    hooks.init_app(app)
    cli.init_app(app)
    api.init_app(app)  # the shop JSON API under /api/v1/ (member-token auth, CSRF-exempt)
    callbacks.init_app(app)
    return app
