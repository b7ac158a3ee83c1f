"""What a user of the package expects: `python -m clastordf`, one version, settings that fail clearly."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

from clastordf import __version__
from clastordf.cli import _whole_number

from .conftest import REPO


def test_python_dash_m_runs_the_command_line():
    done = subprocess.run([sys.executable, "-m", "clastordf", "--version"], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == f"clastordf {__version__}"


def test_the_version_has_one_source():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert "version" not in project and "version" in project["dynamic"]
    from importlib.metadata import version

    assert version("clastordf") == __version__


def test_a_bad_port_setting_is_a_clear_error_not_a_traceback(tmp_path):
    env = {**os.environ, "CLASTORDF_PORT": "abc"}
    helped = subprocess.run([sys.executable, "-m", "clastordf", "--help"], env=env, capture_output=True, text=True)
    assert helped.returncode == 0 and "Traceback" not in helped.stderr
    served = subprocess.run(
        [sys.executable, "-m", "clastordf", "serve", "--no-build", "--build-dir", str(tmp_path)],
        env=env,
        capture_output=True,
        text=True,
    )
    assert served.returncode == 2 and "Traceback" not in served.stderr
    assert "'abc' is not a positive whole number (give --port N, or set $CLASTORDF_PORT to one)" in served.stderr


def test_whole_numbers_are_checked():
    assert _whole_number("--workers", "CLASTORDF_WORKERS")("3") == 3
    for bad in ("0", "-1", "2.5", ""):
        try:
            _whole_number("--workers", "CLASTORDF_WORKERS")(bad)
        except Exception as err:  # argparse.ArgumentTypeError
            assert "CLASTORDF_WORKERS" in str(err)
        else:
            raise AssertionError(bad)


def test_the_package_ships_its_type_marker():
    """PEP 561: type checkers read an installed package's annotations only when py.typed comes with it."""
    import clastordf

    assert (Path(clastordf.__file__).parent / "py.typed").is_file()
    package_data = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    assert "py.typed" in package_data["clastordf"]


def test_the_code_licence_is_stated_apart_from_the_data():
    text = (REPO / "LICENSE").read_text()
    assert text.startswith("MIT License") and "CC0 1.0" in text


def test_cli_doctests():
    import doctest

    from clastordf import cli

    assert doctest.testmod(cli).failed == 0


def test_every_modules_doctests_pass():
    """The examples in docstrings are checked, in every module of the package."""
    import doctest
    import importlib
    import pkgutil

    import clastordf

    failed = {}
    for info in pkgutil.walk_packages(clastordf.__path__, "clastordf."):
        if info.name.endswith(("__main__", ".wsgi")):  # running them starts the program
            continue
        result = doctest.testmod(importlib.import_module(info.name))
        if result.failed:
            failed[info.name] = result.failed
    assert failed == {}
