"""A real browser on the deployed stack: headless Chromium (Debian's `chromium` and `chromium-driver`, installed by
scripts/chromium.sh when missing; never skipped) opens the App URL the summary printed, the page renders with its
stylesheet (a static file served through the local load balancer: a computed style only the stylesheet sets), and
a superuser created with manage.yml logs in to the admin (CSRF through the proxy's Host and X-Forwarded headers).
The browser resolves nothing but localhost names: it talks to loopback only. Screenshots are kept in
.run/test-artifacts/ (their paths are printed)."""

from __future__ import annotations

import json
import re
import secrets
import subprocess

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait
from stack import ROOT, RUN_DIR, run_playbook

pytestmark = [pytest.mark.moto, pytest.mark.docker]

ARTIFACTS = RUN_DIR / "test-artifacts"
URL = re.compile(r"AppURL:(http://[a-z0-9-]+\.localhost:\d+)")
FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-default-apps",
    "--disable-extensions", "--window-size=1280,900",
    # Every name but localhost ones fails to resolve: the browser reaches nothing beyond this machine's loopback.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE *.localhost",
)  # fmt: skip


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    chromium, chromedriver = subprocess.run(
        ["bash", str(ROOT / "scripts" / "chromium.sh")], capture_output=True, text=True, check=True
    ).stdout.split()
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    driver = webdriver.Chrome(service=Service(executable_path=chromedriver), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def app_url(output: str) -> str:
    """The loopback App URL the summary printed (whitespace and backslashes dropped: the YAML callback folds lines)."""
    found = URL.findall(re.sub(r"[\s\\]", "", output))
    assert found, "the summary printed no loopback App URL"
    return found[-1]


def screenshot(driver, name: str, capsys) -> str:
    """Saves the page as .run/test-artifacts/browser-NAME.png and prints the path (also when pytest captures)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"browser-{name}.png"
    assert driver.save_screenshot(str(path)), f"no screenshot saved to {path}"
    with capsys.disabled():
        print(f"\nbrowser screenshot: {path}")
    return str(path)


def test_the_app_renders_with_its_stylesheet_and_the_admin_login_works(deployed_stack, browser, capsys):
    url = app_url(deployed_stack.first.output)
    browser.get(url + "/")
    assert "notes in the database" in browser.page_source, browser.page_source[:1000]
    # Only notes/style.css sets these (a page without its stylesheet has a transparent body and no max-width).
    style = browser.execute_script(
        "const b = getComputedStyle(document.body), m = getComputedStyle(document.querySelector('main'));"
        "return [b.backgroundColor, m.maxWidth, document.styleSheets.length];"
    )
    assert style[:2] == ["rgb(246, 247, 249)", "672px"] and style[2] >= 1, style
    screenshot(browser, "app", capsys)

    username, password = f"browser{secrets.token_hex(3)}", secrets.token_urlsafe(18)
    created = run_playbook(
        deployed_stack.moto, "manage.yml", "-e",
        json.dumps({
            "manage_command": f"createsuperuser --noinput --username {username} --email {username}@example.test",
            "manage_environment": {"DJANGO_SUPERUSER_PASSWORD": password},
        }),
    )  # fmt: skip
    assert created.rc == 0, created.describe()

    browser.get(url + "/admin/")  # redirected to the login form
    WebDriverWait(browser, 30).until(expected_conditions.presence_of_element_located((By.ID, "id_username")))
    assert "/admin/login/" in browser.current_url
    browser.find_element(By.ID, "id_username").send_keys(username)
    browser.find_element(By.ID, "id_password").send_keys(password)
    browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    WebDriverWait(browser, 30).until(expected_conditions.url_to_be(url + "/admin/"))
    page = browser.page_source
    assert "CSRF verification failed" not in page
    assert "Site administration" in page and username in page, page[:2000]
    assert browser.find_elements(By.ID, "logout-form")
    screenshot(browser, "admin", capsys)
