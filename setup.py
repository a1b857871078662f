"""Build hook of the Python package (pyproject.toml holds its metadata).

build_py also runs the project's Makefile (`make all SO=<package>/slatedb.so`:
the same sources and flags as `make`, objects in build/) and puts the
extension into the package. The wheel is marked as platform-specific because
it carries that binary.
"""
import os
import subprocess

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.dist import Distribution

HERE = os.path.dirname(os.path.abspath(__file__))


class BuildPyWithExtension(build_py):
    """build_py, then slatedb.so built by the Makefile into the built package."""

    def run(self):
        super().run()
        target = os.path.abspath(os.path.join(self.build_lib, "sqlite_slatedb", "slatedb.so"))
        subprocess.check_call(["make", "-s", "-C", HERE, "SO=" + target, "all"])


class BinaryDistribution(Distribution):
    """A distribution with a compiled part (platform wheel tag, platlib)."""

    def has_ext_modules(self):
        return True


setup(cmdclass={"build_py": BuildPyWithExtension}, distclass=BinaryDistribution)
