"""商品描述 in a browser at phone width: the Quill editor replaces the textarea, its output
is sanitised on save; without the vendor file the textarea stays with a Chinese notice."""
from playwright.sync_api import expect
from sqlalchemy import select

from tests.e2e.conftest import log_in_new_owner

PHONE = {"width": 375, "height": 740}


def _category(live_server, merchant):
    from app.extensions import db
    from app.models.catalog import ProductCategory
    from app.tenancy import tenant_scope

    with live_server.app.app_context(), tenant_scope(merchant.id):
        category = ProductCategory(name="编辑器分类", merchant_id=merchant.id)
        db.session.add(category)
        db.session.commit()
        category_id = category.id
        db.session.remove()
    return category_id


def _description(live_server, merchant, name):
    from app.extensions import db
    from app.models.catalog import Product
    from app.tenancy import tenant_scope

    with live_server.app.app_context(), tenant_scope(merchant.id):
        text = db.session.execute(select(Product.description).where(
            Product.name == name)).scalar_one()
        db.session.remove()
    return text


def _fill_step_one(page, category_id, name):
    page.locator('input[name="name"]').fill(name)
    page.locator('input[name="price"]').fill("12.50")
    page.locator(f'input[name="categories"][value="{category_id}"]').check()


def test_rich_text_description_at_phone_width(page, live_server, new_merchant, screenshot):
    merchant = new_merchant()
    category_id = _category(live_server, merchant)
    log_in_new_owner(page, live_server, merchant)
    page.set_viewport_size(PHONE)
    page.goto(live_server("/productview/add"))
    _fill_step_one(page, category_id, "富文本商品")
    page.locator('#step-3').evaluate("el => el.style.display = ''")
    editor = page.locator(".md-rich-editor .ql-editor")
    expect(editor).to_be_visible()
    expect(page.locator("textarea#description")).to_be_hidden()
    expect(page.locator("#rich-editor-missing")).to_be_hidden()
    toolbar = page.locator(".ql-toolbar").bounding_box()
    assert toolbar["x"] >= 0 and toolbar["x"] + toolbar["width"] <= PHONE["width"]
    editor.click()
    page.keyboard.type("新鲜直达 ")
    page.keyboard.press("Control+B")
    page.keyboard.type("当天采摘")
    screenshot("phone-editor")
    # HTML source mode and back keeps the formatting
    page.locator("#rich-editor-source").click()
    area = page.locator("textarea#description")
    expect(area).to_be_visible()
    assert "<strong>当天采摘</strong>" in area.input_value()
    page.locator("#rich-editor-source").click()
    expect(area).to_be_hidden()
    expect(page.locator(".ql-editor strong")).to_have_text("当天采摘")
    # submitted from source mode, a script typed there is removed by the server (nh3)
    page.locator("#rich-editor-source").click()
    area.fill(area.input_value() + "<p>尾巴<script>alert(1)</script></p>")
    page.locator('button[name="submit_action"][value="warehouse"]').click()
    expect(page.locator(".alert-success")).to_contain_text("已放入仓库")
    saved = _description(live_server, merchant, "富文本商品")
    assert "<strong>当天采摘</strong>" in saved and "尾巴" in saved
    assert "<script" not in saved and "alert(1)" not in saved


def test_without_the_vendor_file_the_textarea_stays(page, live_server, new_merchant):
    merchant = new_merchant()
    category_id = _category(live_server, merchant)
    log_in_new_owner(page, live_server, merchant)
    page.route("**/static/vendor/quill/**", lambda route: route.fulfill(status=404, body=""))
    page.goto(live_server("/productview/add"))
    _fill_step_one(page, category_id, "无编辑器商品")
    page.locator('#step-3').evaluate("el => el.style.display = ''")
    expect(page.locator("#rich-editor-missing")).to_be_visible()
    expect(page.locator("#rich-editor-missing")).to_contain_text("富文本编辑器未安装")
    area = page.locator("textarea#description")
    expect(area).to_be_visible()
    area.fill("<p><b>手写</b> HTML</p>")
    page.locator('button[name="submit_action"][value="warehouse"]').click()
    expect(page.locator(".alert-success")).to_contain_text("已放入仓库")
    assert _description(live_server, merchant, "无编辑器商品") == "<p><b>手写</b> HTML</p>"
