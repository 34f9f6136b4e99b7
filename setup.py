"""Build of the optional C accelerator (verify/_native.c); everything else is in pyproject.toml.

`optional=True`: where no C compiler or Python headers exist, installation goes on and the
pure-Python implementation is used (identical results, slower). Binary wheels for other
platforms are described in pyproject.toml ([tool.cibuildwheel]).
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "verify._native",
            sources=["verify/_native.c"],
            optional=True,
            extra_compile_args=["-O3"],
        )
    ]
)
