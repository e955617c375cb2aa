"""Extension singletons, wired in app.create_app(). AppBuilder is made per app there:
it keeps its views and menu on the instance."""
from flask_appbuilder import Model
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

# FAB's Model as the declarative base: FAB's ab_* tables and ours share one MetaData,
# so foreign keys to ab_user resolve (notes/fab.md).
db = SQLAlchemy(model_class=Model)
csrf = CSRFProtect()
migrate = Migrate()
