"""Does a grading worker find each check in the module its id's prefix names, importing no other
check module? (Each topic has one module per prefix; a worker imports only what it grades.)"""

import json
import subprocess
import sys


def _run(code: str):
    return json.loads(subprocess.check_output([sys.executable, "-c", code], text=True))


def test_every_check_is_defined_in_the_module_its_prefix_names():
    ids = _run("import json; from autograder.checks import registry; print(json.dumps(sorted(registry())))")
    assert len(ids) > 100
    missing = _run(
        "import json; from autograder.checks import _core, load_module_of\n"
        f"ids = {ids!r}\n"
        "missing = []\n"
        "for i in ids:\n"
        "    load_module_of(i)\n"
        "    missing += [] if i in _core._REGISTRY else [i]\n"
        "print(json.dumps(missing))"
    )
    assert missing == []


def test_getting_one_check_imports_its_module_and_not_the_library():
    loaded = _run(
        "import json, sys; from autograder.checks import get\n"
        "check = get('kalman.predict')\n"
        "print(json.dumps([check.id, sorted(m for m in sys.modules if m.startswith('autograder.checks.'))]))"
    )
    assert loaded[0] == "kalman.predict"
    topics = {m.split(".")[2] for m in loaded[1] if m.count(".") >= 2 and not m.split(".")[2].startswith("_")}
    assert topics <= {"music_tracking", "expect"}, topics


def test_a_check_id_no_module_is_named_after_is_still_found_or_named_unknown():
    out = _run(
        "import json\nfrom autograder.checks import get\n"
        "try:\n    get('no_such_prefix.thing')\n    print(json.dumps('found'))\n"
        "except KeyError as e:\n    print(json.dumps(str(e)))"
    )
    assert "unknown check 'no_such_prefix.thing'" in out
