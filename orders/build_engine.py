"""Optional accelerator: compile the matching engine (``orders/engine/``) with mypyc, in place.

    python -m orders.build_engine          # build (or rebuild) the extension modules
    python -m orders.build_engine --clean  # remove them: the engine runs interpreted

The engine source is plain typed Python and stays the reference: without the extension
modules (no mypyc, no C compiler, another Python version) it runs interpreted, unchanged.
A failed build is reported and leaves no extension behind, and the command still exits 0
(``--strict`` makes it fail instead, for CI). ``orders.engine.COMPILED`` says which one
is loaded. An extension module shadows its ``.py`` file, so rebuild after editing the
engine (``make build-engine``) or clean; the build refuses nothing stale on its own.

This lives outside ``orders/engine/`` because the engine imports only the standard library.
"""

import glob
import os
import shutil
import sys
import sysconfig
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ENGINE = os.path.join("orders", "engine")
# commands.py and codec.py stay interpreted: a compiled class enforces its annotations
# when built, and commands must accept any field value so the engine can reject it.
MODULES = ["amend", "book", "dark", "engine", "entry", "events", "matching", "recovery", "rejects",
           "types"]
GROUP = "orders.engine._native"


def built_files():
    suffix = sysconfig.get_config_var("EXT_SUFFIX") or ".so"
    found = []
    for name in MODULES + ["_native__mypyc"]:
        found += glob.glob(os.path.join(ROOT, ENGINE, name + ".*" + suffix.rsplit(".", 1)[-1]))
    return found


def clean():
    for path in built_files():
        os.remove(path)
    return 0


def build():
    """Compile in a temporary directory, then copy the modules next to their sources."""
    from mypyc.build import mypycify  # noqa: PLC0415 (optional dependency)
    from setuptools import Distribution  # noqa: PLC0415

    paths = [os.path.join(ENGINE, m + ".py") for m in MODULES]
    cwd = os.getcwd()
    tmp = tempfile.mkdtemp(prefix="engine-build-")
    try:
        os.chdir(ROOT)
        ext = mypycify(paths, opt_level="3", group_name=GROUP, target_dir=tmp)
        dist = Distribution({"name": "engine", "ext_modules": ext})
        cmd = dist.get_command_obj("build_ext")
        cmd.inplace = True
        cmd.build_temp = os.path.join(tmp, "temp")
        cmd.build_lib = os.path.join(tmp, "lib")
        dist.run_command("build_ext")
    finally:
        os.chdir(cwd)
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


def main(argv):
    if "--clean" in argv:
        return clean()
    started = time.monotonic()
    clean()
    try:
        build()
    except (Exception, SystemExit) as exc:  # no mypyc, no compiler, a type error...
        clean()
        print(f"engine not compiled ({type(exc).__name__}: {exc}); it runs interpreted",
              file=sys.stderr)
        return 1 if "--strict" in argv else 0
    print(f"engine compiled with mypyc in {time.monotonic() - started:.0f} s: "
          f"{len(built_files())} extension modules in {ENGINE}/")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
