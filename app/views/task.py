"""任务中心: each user sees their own jobs and downloads their results."""
import os

from flask import abort, current_app, g, url_for
from flask_appbuilder import expose, has_access
from flask_appbuilder.models.sqla.filters import FilterEqualFunction
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from app.admin.interface import AdminInterface
from app.admin.views import TenantModelView, send_xlsx
from app.models.task import Task
from app.views import add


def _current_user_id():
    return g.user.id


def _result_link(task):
    if task.status != "done" or not task.result_path:
        return ""
    return Markup('<a class="btn btn-xs btn-primary" href="{0}">{1}</a>').format(
        url_for("TaskView.result", pk=task.id), _l("下载"))


class TaskView(TenantModelView):
    datamodel = AdminInterface(Task)
    list_columns = ["id", "kind", "title", "status", "progress", "created_at", "started_at",
                    "finished_at", "download"]
    show_columns = ["id", "kind", "title", "status", "progress", "created_at", "started_at",
                    "finished_at", "result_name", "error", "download"]
    search_columns = ["kind", "status", "created_at"]
    export_columns = ["id", "kind", "title", "status", "progress", "created_at",
                      "finished_at", "error"]
    label_columns = {"download": _l("结果")}
    base_filters = [["user_id", FilterEqualFunction, _current_user_id]]
    base_permissions = ["can_list", "can_show", "can_result"]
    formatters_columns = {"download": _result_link}

    @expose("/result/<pk>")
    @has_access
    def result(self, pk):
        task = self.get_visible(pk)
        if task.status != "done" or not task.result_path:
            abort(404)
        folder = os.path.realpath(current_app.config["TASK_RESULT_FOLDER"])
        path = os.path.realpath(task.result_path)
        if not path.startswith(folder + os.sep) or not os.path.isfile(path):
            abort(404)
        return send_xlsx(path, task.result_name)


def register(appbuilder):
    add(appbuilder, TaskView, "task_list", _l("我的任务"), "task_center", "fa-tasks")
