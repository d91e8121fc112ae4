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
def jupyterlab(folder: Path, home: Path, language: str = "en"):
    """`autograder lab --dir folder [--language fa]` on a free loopback port; yields (url, token);
    always stopped.

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
                "--language",
                language,
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

        # Nbgrader → Assignment List shows the course's releases; Fetch copies 01 unchanged.
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
            "06-vision",
            "07-sequences-of-pixels",
            "07b-captioning",
            "08-language",
            "09-music-and-tracking",
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


PERSIAN = "02-recurrent"  # its Persian edition has display formulas, code blocks and a written answer
PERSIAN_RELEASE = ROOT / "assignments-fa" / PERSIAN / f"{PERSIAN}.ipynb"
PERSIAN_ANSWER = (
    '<div dir="rtl" lang="fa">\n\nمعماری جردن فقط خروجی را بازمی‌گرداند و حالت از آن قابل بازیابی نیست.\n\n</div>'
)

# Where the rendered Persian cells put their text: per RTL block, its direction, whether its first
# Persian line starts at the block's right edge, whether each formula's first glyph is left of its
# last (MathJax lays formulas out left to right inside RTL text), the direction of code blocks.
RTL_LAYOUT = f"""(index) => {{
    const out = {{misses: [], blocks: 0, rtl: 0, measured: 0, startsRight: 0,
                 formulas: 0, formulasLtr: 0, code: 0, codeLtr: 0}};
    const persian = /[\u0600-\u06ff]/;
    for (const cell of [{NOTEBOOK}.content.widgets[index]]) {{
        for (const block of cell.node.querySelectorAll('.jp-RenderedMarkdown div[dir="rtl"]')) {{
            out.blocks++;
            if (getComputedStyle(block).direction === 'rtl') out.rtl++;
            const para = [...block.querySelectorAll('p, li')].find(p => persian.test(p.firstChild?.textContent || ''));
            if (para && para.firstChild.nodeType === Node.TEXT_NODE) {{
                const range = document.createRange();
                const text = para.firstChild.textContent;
                const first = text.search(/\\S/);
                range.setStart(para.firstChild, first);
                range.setEnd(para.firstChild, first + 1);
                const glyph = range.getBoundingClientRect(), box = para.getBoundingClientRect();
                out.measured++;
                if (glyph.width > 0 && box.right - glyph.right < 4) out.startsRight++;
                else if (out.misses.length < 3) out.misses.push([text.slice(0, 20), glyph.right, box.right]);
            }}
            for (const m of block.querySelectorAll('mjx-container')) {{  // reads left to right?
                const glyphs = m.querySelectorAll('mjx-c');
                if (glyphs.length < 2) continue;
                out.formulas++;
                const first = glyphs[0].getBoundingClientRect();
                const last = glyphs[glyphs.length - 1].getBoundingClientRect();
                if (first.left < last.left) out.formulasLtr++;
                else if (out.misses.length < 6) out.misses.push(m.textContent.slice(0, 40));
            }}
            for (const c of block.querySelectorAll('pre')) {{
                out.code++;
                if (getComputedStyle(c).direction === 'ltr') out.codeLtr++;
            }}
        }}
    }}
    return out;
}}"""


def test_a_student_fetches_completes_validates_and_submits_the_persian_edition(browser, tmp_path):
    source = nbformat.read(ROOT / "solutions" / PERSIAN / f"{PERSIAN}.ipynb", as_version=4)
    release = nbformat.read(PERSIAN_RELEASE, as_version=4)
    reference = filled_in(source, release)
    answers = {
        c.metadata["nbgrader"]["grade_id"]: c.source
        for c in reference.cells
        if c.metadata.get("nbgrader", {}).get("solution")
    }
    written = [
        c.metadata["nbgrader"]["grade_id"]
        for c in release.cells
        if c.cell_type == "markdown" and c.metadata.get("nbgrader", {}).get("solution")
    ]
    assert written == ["jordan_why_written"]
    answers["jordan_why_written"] = PERSIAN_ANSWER  # a written answer in Persian

    workspace = tmp_path / "workspace"
    with jupyterlab(workspace, tmp_path / "jupyter", language="fa") as (url, token):
        page = open_lab(browser, url, token)
        menu(page, "Nbgrader", "Assignment List")
        page.locator("#released_assignments_list .list_item", has_text=PERSIAN).get_by_role(
            "button", name="Fetch"
        ).click()
        fetched = page.locator("#fetched_assignments_list .list_item", has_text=PERSIAN).first
        fetched.wait_for()
        notebook = workspace / PERSIAN / f"{PERSIAN}.ipynb"
        assert notebook.read_bytes() == PERSIAN_RELEASE.read_bytes()  # the Persian edition, unchanged

        page.evaluate(
            "async (path) => { await window.jupyterapp.commands.execute('docmanager:open', {path}); }",
            f"{PERSIAN}/{PERSIAN}.ipynb",
        )
        page.wait_for_function(NOTEBOOK_READY, arg=f"{PERSIAN}/{PERSIAN}.ipynb", timeout=120_000)
        page.wait_for_function("document.querySelectorAll('.jp-Notebook mjx-container').length > 3")

        # The prose is right to left, its formulas and code left to right: every markdown cell,
        # scrolled into view (JupyterLab renders cells as they come into view).
        layout = {}
        kinds = page.evaluate(f"() => {NOTEBOOK}.content.widgets.map(c => c.model.type)")
        for index in [i for i, kind in enumerate(kinds) if kind == "markdown"]:
            page.evaluate(f"async (i) => {{ await {NOTEBOOK}.content.scrollToItem(i, 'start'); }}", index)
            page.wait_for_function(
                f"(i) => {NOTEBOOK}.content.widgets[i].node.querySelector('.jp-RenderedMarkdown div[dir]')", arg=index
            )
            for key, value in page.evaluate(RTL_LAYOUT, index).items():
                layout[key] = layout.get(key, 0 if key != "misses" else []) + value
        page.evaluate(f"async () => {{ await {NOTEBOOK}.content.scrollToItem(0, 'start'); }}")
        screenshot(page, "lab-persian-rtl.png")
        formula = page.locator(".jp-RenderedMarkdown div[dir='rtl'] mjx-container[display='true']").first
        formula.scroll_into_view_if_needed()
        screenshot(page, "lab-persian-formula.png")
        assert layout["blocks"] >= kinds.count("markdown"), layout
        assert layout["rtl"] == layout["blocks"], layout
        assert layout["measured"] >= 10 and layout["startsRight"] == layout["measured"], layout
        assert layout["formulas"] >= 3 and layout["formulasLtr"] == layout["formulas"], str(layout)
        assert layout["codeLtr"] == layout["code"], layout

        # Complete it (the code cells are the English edition's), Validate, Submit.
        grade_ids = page.evaluate(GRADE_IDS)
        for grade_id, text in answers.items():
            page.evaluate(SET_SOURCE, [grade_ids.index(grade_id), text])
        page.keyboard.press("Control+s")
        dialog = validate(page, page.evaluate(f"{NOTEBOOK}.id"))
        screenshot(page, "lab-persian-validate.png")
        assert "Success! Your notebook passes all the tests." in dialog.inner_text()
        dialog.locator(".jp-mod-accept").click()

        page.evaluate("async () => { await window.jupyterapp.commands.execute('nbgrader:open-assignment-list'); }")
        item = page.locator("#fetched_assignments_list .list_item", has_text=PERSIAN).first
        item.get_by_role("button", name="Submit").click()
        page.locator("#submitted_assignments_list .list_item", has_text=PERSIAN).first.wait_for()
        inbound = list((workspace / ".nbgrader" / "exchange").glob(f"*/inbound/*+{PERSIAN}+*/{PERSIAN}.ipynb"))
        assert len(inbound) == 1, inbound
        submitted = nbformat.read(inbound[0], as_version=4)
        cells = {c.metadata.get("nbgrader", {}).get("grade_id"): c.source for c in submitted.cells}
        assert cells["jordan_why_written"] == PERSIAN_ANSWER
        assert submitted.metadata["autograder"]["edition"] == "fa"
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
