#!/usr/bin/env bash
# One entry point for people and CI:
#   bash run.sh demo   set up .venv, release every assignment and grade the sample class
#   bash run.sh test   set up .venv, run ruff (lint + format check) and the test suite
#   bash run.sh setup  only set up .venv
#   bash run.sh lab    set up .venv and open the course in JupyterLab (args go to `autograder lab`)
# Setup installs the pinned environment once and again only when pyproject.toml changes.
set -euo pipefail
cd "$(dirname "$0")"

PYTHON=${PYTHON:-python3}
VENV=.venv

setup() {
    if [ ! -x "$VENV/bin/python" ]; then
        echo "setup: creating $VENV with $($PYTHON --version)" >&2
        "$PYTHON" -m venv "$VENV"
    fi
    local stamp="$VENV/.installed-$(sha256sum pyproject.toml | cut -c1-16)"
    if [ ! -f "$stamp" ]; then
        echo "setup: installing the pinned environment (about a minute)" >&2
        "$VENV/bin/python" -m pip install --quiet --upgrade pip
        "$VENV/bin/python" -m pip install --quiet -e ".[test]"
        rm -f "$VENV"/.installed-* && touch "$stamp"
    fi
    export PATH="$PWD/$VENV/bin:$PATH"
    # Keep TensorFlow quiet (its C++ logs on stderr would cost nbgrader points).
    export TF_CPP_MIN_LOG_LEVEL=3
}

case "${1:-}" in
    demo)  setup; shift; exec autograder demo "$@" ;;
    test)  setup; shift
           ruff check . && ruff format --check . || { echo "test: ruff found problems (ruff check --fix . && ruff format .)" >&2; exit 1; }
           exec python -m pytest "$@" ;;
    lab)   setup; shift; exec autograder lab "$@" ;;
    setup) setup ;;
    *) echo "usage: bash run.sh demo|test|lab|setup [args...]" >&2; exit 2 ;;
esac
