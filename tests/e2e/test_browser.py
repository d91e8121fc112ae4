"""In a real browser: does a student's Validate pass on the reference answer of 01 and fail on
the blank release, and can an instructor grade a written answer in nbgrader's Formgrader?

Everything is real: JupyterLab 4 started by `autograder lab` on a loopback port, nbgrader's lab
extension, and Debian's headless Chromium (/usr/bin/chromium) driven by Playwright for Python
(which never downloads a browser here). Screenshots are saved to $AUTOGRADER_ARTIFACTS, else
tests/artifacts/ (git-ignored).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import nbformat
import pytest

from autograder.authoring.sample import filled_in

from ..conftest import ROOT, autograder, samples

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(os.environ.get("AUTOGRADER_ARTIFACTS") or ROOT / "tests" / "artifacts")
RELEASE = ROOT / "assignments" / "01-activations" / "01-activations.ipynb"
SOURCE = ROOT / "solutions" / "01-activations" / "01-activations.ipynb"
SERVER_START = 120  # seconds for JupyterLab to answer
RUN_ALL = 300  # seconds for Restart Kernel and Run All Cells (150 training epochs included)
VALIDATE = 300  # seconds for nbgrader's Validate (it runs the whole notebook again)

pytestmark = pytest.mark.timeout(1200)


# --------------------------------------------------------------------------- browser and server


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.is_file():
        pytest.skip(
            f"Debian's chromium is not installed ({CHROMIUM} is missing): .ci/run installs it "
            "as root with `apt-get install chromium`; elsewhere run `sudo apt-get install chromium`"
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip(
            "Playwright for Python is not installed: it is in the `test` extra, which "
            "`bash run.sh test` and .ci/run install (`pip install -e '.[test]'`)"
        )
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, timeout=60_000)
        try:
            yield chromium
        finally:
            chromium.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def jupyterlab(folder: Path, home: Path):
    """`autograder lab --dir folder` on a free loopback port; yields (url, token); always stopped.

    Its Jupyter homes are under ``home``, where a config also exposes the JupyterLab app to the
    page (``window.jupyterapp``) so that the test can read cell outputs and states.
    """
    port, token = free_port(), secrets.token_hex(16)
    config = home / "config"
    config.mkdir(parents=True, exist_ok=True)
    (config / "jupyter_server_config.json").write_text(json.dumps({"LabApp": {"expose_app_in_browser": True}}))
    env = dict(
        os.environ,
        JUPYTER_TOKEN=token,
        JUPYTER_CONFIG_DIR=str(config),
        JUPYTER_DATA_DIR=str(home / "data"),
        JUPYTER_RUNTIME_DIR=str(home / "runtime"),
    )
    log = home / "jupyterlab.log"
    with open(log, "wb") as out:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "autograder",
                "--course",
                str(ROOT),
                "lab",
                "--dir",
                str(folder),
                "--port",
                str(port),
                "--no-browser",
            ],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + SERVER_START
        while not _answers(url, token):
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"JupyterLab did not answer on {url}; its log ends:\n" + log.read_text()[-3000:])
            time.sleep(0.25)
        yield url, token
    finally:
        _stop(server, url, token)


def _answers(url: str, token: str, path: str = "/api/status", method: str = "GET") -> bool:
    request = urllib.request.Request(url + path, method=method, headers={"Authorization": f"token {token}"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def _stop(server: subprocess.Popen, url: str, token: str) -> None:
    """Shut JupyterLab down (it stops its kernels), then make sure nothing it started is left."""
    if server.poll() is None:
        _answers(url, token, "/api/shutdown", "POST")
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            pass
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            server.wait(timeout=10)
            break


def open_lab(browser, url: str, token: str, path: str = "/lab"):
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.set_default_timeout(60_000)
    page.goto(f"{url}{path}?token={token}")
    page.wait_for_function("window.jupyterapp && window.jupyterapp.started !== undefined")
    page.evaluate("window.jupyterapp.restored")
    return page


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path))
    return path


def menu(page, *items: str) -> None:
    for item in items:
        page.get_by_role("menuitem", name=item, exact=True).click()


# JavaScript run in the page on JupyterLab's current notebook.
NOTEBOOK = "window.jupyterapp.shell.currentWidget"
NOTEBOOK_READY = f"""(path) => {{ const w = {NOTEBOOK};
    return w && w.context && w.context.path === path && w.context.isReady
        && w.sessionContext.session?.kernel?.status === 'idle'; }}"""
GRADE_IDS = f"() => {NOTEBOOK}.content.widgets.map(c => (c.model.getMetadata('nbgrader') || {{}}).grade_id || null)"
SOURCE_OF = f"(i) => {NOTEBOOK}.content.widgets[i].model.sharedModel.getSource()"
SET_SOURCE = f"([i, text]) => {{ {NOTEBOOK}.content.widgets[i].model.sharedModel.setSource(text); }}"
ALL_RAN = f"""() => {{ const w = {NOTEBOOK};
    return w.content.widgets.every(c => c.model.type !== 'code' || c.model.executionCount > 0)
        && w.sessionContext.session.kernel.status === 'idle'; }}"""
OUTPUTS = f"""() => {NOTEBOOK}.content.widgets.filter(c => c.model.type === 'code').map(c => {{
    const outputs = [];
    for (let k = 0; k < c.model.outputs.length; k++) outputs.push(c.model.outputs.get(k).toJSON());
    return outputs; }})"""


def visible_checks(notebook: Path) -> list[str]:
    """The check ids of the test cells a student sees (hidden ones hold only a comment)."""
    nb = nbformat.read(notebook, as_version=4)
    return [
        c.source.split('"')[1]
        for c in nb.cells
        if c.metadata.get("nbgrader", {}).get("grade") and c.source.startswith("check(")
    ]


def validate(page, panel_id: str):
    """Press nbgrader's Validate in the notebook's toolbar; return the results dialog."""
    page.locator(f"#{panel_id} .validate-button").click()
    dialog = page.locator(".jp-Dialog", has_text="Validation Results")  # shown once nbgrader answered
    dialog.wait_for(timeout=VALIDATE * 1000)
    return dialog


# --------------------------------------------------------------------------- the student


def test_validate_passes_on_the_reference_typed_into_01_and_fails_on_the_blank_release(browser, tmp_path):
    reference = filled_in(nbformat.read(SOURCE, as_version=4), nbformat.read(RELEASE, as_version=4))
    answers = {
        c.metadata["nbgrader"]["grade_id"]: c.source
        for c in reference.cells
        if c.metadata.get("nbgrader", {}).get("solution")
    }
    assert sorted(answers) == [
        "flexible_sigmoid",
        "flexible_sigmoid_derivatives",
        "flexible_tanh",
        "flexible_tanh_derivatives",
        "fold_flexible_tanh",
        "rbf",
    ]
    checks = visible_checks(RELEASE)
    assert len(checks) == 15  # 17 checks, 2 of them hidden

    workspace = tmp_path / "workspace"
    with jupyterlab(workspace, tmp_path / "jupyter") as (url, token):
        page = open_lab(browser, url, token)

        # Nbgrader → Assignment List shows the course's six releases; Fetch copies 01 unchanged.
        menu(page, "Nbgrader", "Assignment List")
        released = page.locator("#released_assignments_list .list_item .item_name")
        released.first.wait_for()
        assert released.all_inner_texts() == [
            "00-foundations",
            "01-activations",
            "02-recurrent",
            "03-training",
            "04-deep-networks",
            "05-feedforward",
        ]
        page.locator("#released_assignments_list .list_item", has_text="01-activations").get_by_role(
            "button", name="Fetch"
        ).click()
        fetched = page.locator("#fetched_assignments_list .list_item", has_text="01-activations").first
        fetched.wait_for()
        screenshot(page, "lab-assignment-list.png")
        notebook = workspace / "01-activations" / "01-activations.ipynb"
        assert notebook.read_bytes() == RELEASE.read_bytes()

        # Open it from the list, as a student would.
        fetched.locator("a.assignment-notebooks-link").click()
        page.locator(
            "#nbgrader-intro-deep-learning-01-activations .nested_list_item a", has_text="01-activations"
        ).click()
        page.wait_for_function(NOTEBOOK_READY, arg="01-activations/01-activations.ipynb", timeout=120_000)
        grade_ids = page.evaluate(GRADE_IDS)

        # Type the first answer into its editor; set the others through the notebook model.
        first = grade_ids.index("flexible_sigmoid")
        editor = page.locator(".jp-Notebook .jp-Cell").nth(first).locator(".cm-content")
        editor.scroll_into_view_if_needed()
        editor.click()
        page.keyboard.press("Control+a")
        page.keyboard.insert_text(answers["flexible_sigmoid"])
        for grade_id in sorted(set(answers) - {"flexible_sigmoid"}):
            page.evaluate(SET_SOURCE, [grade_ids.index(grade_id), answers[grade_id]])
        for grade_id, text in answers.items():
            assert page.evaluate(SOURCE_OF, grade_ids.index(grade_id)) == text, grade_id

        # Kernel → Restart Kernel and Run All Cells…: every visible check prints ✔ in the kernel.
        menu(page, "Kernel", "Restart Kernel and Run All Cells…")
        page.locator(".jp-Dialog .jp-mod-accept").click()
        page.wait_for_function(ALL_RAN, timeout=RUN_ALL * 1000)
        outputs = [o for cell in page.evaluate(OUTPUTS) for o in cell]
        assert [o for o in outputs if o["output_type"] == "error"] == []
        printed = "".join(o.get("text", "") for o in outputs if o.get("name") == "stdout")
        assert sorted(re.findall(r"^✔ (\S+) ", printed, re.M)) == sorted(checks)
        assert sum("image/png" in o.get("data", {}) for o in outputs) == 2  # g(x, a) and the experiment, inline
        page.locator(".jp-Notebook .jp-Cell").last.scroll_into_view_if_needed()
        screenshot(page, "lab-run-all.png")

        # Validate (it saves, then nbgrader runs the saved notebook in a fresh kernel): passes.
        panel = page.evaluate(f"{NOTEBOOK}.id")
        dialog = validate(page, panel)
        screenshot(page, "lab-validate-reference-passes.png")
        assert "Success! Your notebook passes all the tests." in dialog.inner_text()
        saved = nbformat.read(notebook, as_version=4)
        assert {
            c.metadata["nbgrader"]["grade_id"]: c.source
            for c in saved.cells
            if c.metadata.get("nbgrader", {}).get("solution")
        } == answers
        dialog.locator(".jp-mod-accept").click()

        # The blank release: Validate fails and names every visible check's cell.
        blank = workspace / "blank" / "01-activations.ipynb"
        blank.parent.mkdir()
        shutil.copy(RELEASE, blank)
        page.evaluate(
            "async (path) => { await window.jupyterapp.commands.execute('docmanager:open', {path}); }",
            "blank/01-activations.ipynb",
        )
        page.wait_for_function(NOTEBOOK_READY, arg="blank/01-activations.ipynb", timeout=120_000)
        dialog = validate(page, page.evaluate(f"{NOTEBOOK}.id"))
        screenshot(page, "lab-validate-blank-fails.png")
        assert "Success!" not in dialog.inner_text()
        # Each failed cell is shown as its source, then its error: the check's ✘ message, or a
        # NameError where the blank cell does not even define the class the check is given (RBF).
        shown = dialog.locator(".validation-failed .jp-RenderedText pre").all_inner_texts()
        sources, errors = shown[0::2], shown[1::2]
        assert [re.fullmatch(r'check\("([^"]+)".*\)', s).group(1) for s in sources] == checks
        crossed = [c for c, e in zip(checks, errors) if e.startswith(f"✘ {c} (0/")]
        undefined = [c for c, e in zip(checks, errors) if "NameError: name 'RBF' is not defined" in e]
        assert (len(crossed), len(undefined)) == (11, 4)
        assert sorted(crossed + undefined) == sorted(checks)
        page.close()


# --------------------------------------------------------------------------- the instructor


def test_formgrader_lists_the_graded_class_and_takes_a_score_for_a_written_answer(browser, tmp_path):
    from nbgrader.api import Gradebook

    students = ["blank", "numpy-sigmoid", "reference"]
    submissions = tmp_path / "submitted"
    for student in students:
        shutil.copytree(samples() / student / "00-foundations", submissions / student / "00-foundations")
    out = tmp_path / "out"
    graded = autograder(
        "--course", ROOT, "grade", "00-foundations", "--submissions", submissions, "--out", out, timeout=900
    )
    assert graded.returncode == 0, graded.stderr[-2000:]
    source = nbformat.read(ROOT / "solutions" / "00-foundations" / "00-foundations.ipynb", as_version=4)
    written = sorted(
        c.metadata["nbgrader"]["grade_id"]
        for c in source.cells
        if c.cell_type == "markdown" and c.metadata.get("nbgrader", {}).get("grade")
    )
    assert written == ["saturation_answer", "why_deep"]

    with jupyterlab(out, tmp_path / "jupyter") as (url, token):
        page = open_lab(browser, url, token)
        menu(page, "Nbgrader", "Formgrader")
        # Manage Assignments lists the graded assignment.
        page.frame_locator("iframe").locator("#main-table tr", has_text="00-foundations").wait_for()
        formgrader = next(f for f in page.frames if "/formgrader" in f.url)

        # Manual Grading → the assignment → its notebook: one row per graded student.
        for link, lands_on in [
            ("Manual Grading", "/formgrader/gradebook"),
            ("00-foundations", "/formgrader/gradebook/00-foundations"),
            ("00-foundations", "/formgrader/gradebook/00-foundations/00-foundations"),
        ]:
            formgrader.locator("a:visible", has_text=link).last.click()
            formgrader.wait_for_url(re.compile(re.escape(lands_on) + r"/?(\?.*)?$"))
        formgrader.locator("#main-table tr", has_text="Submission #1").wait_for()
        formgrader.get_by_text("Show All Names").click()
        shown = formgrader.locator("#main-table a.name-shown")
        assert sorted(shown.all_inner_texts()) == students
        screenshot(page, "formgrader-submissions.png")

        # The reference's two written answers await a score; give one of them 2 of its 2 points.
        formgrader.locator("#main-table a:visible", has_text="reference").click()
        formgrader.wait_for_url(re.compile(r"/formgrader/submissions/"))
        needs_grading = formgrader.locator("input.score.needs_manual_grade")
        needs_grading.first.wait_for()
        assert sorted(needs_grading.evaluate_all("inputs => inputs.map(i => i.id)")) == written
        score = formgrader.locator("input.score#why_deep")
        score.scroll_into_view_if_needed()
        with page.expect_response(lambda r: "/formgrader/api/grade/" in r.url and r.request.method == "PUT" and r.ok):
            score.fill("2")
            score.press("Tab")
        screenshot(page, "formgrader-written-answer.png")
        page.close()

    with Gradebook(f"sqlite:///{out / 'gradebook.db'}", "intro-deep-learning") as gradebook:
        grade = gradebook.find_grade("why_deep", "00-foundations", "00-foundations", "reference")
        assert (grade.manual_score, grade.max_score) == (2, 2)
        untouched = gradebook.find_grade("saturation_answer", "00-foundations", "00-foundations", "reference")
        assert untouched.manual_score is None and untouched.needs_manual_grade
