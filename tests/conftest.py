import os

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")


def pytest_addoption(parser):
    parser.addoption("--device", default="cpu", help="torch device for the model/trainer tests (cpu, cuda, mps)")


@pytest.fixture
def device(request):
    return request.config.getoption("--device")
