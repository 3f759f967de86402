from __future__ import annotations

from pathlib import Path

import pytest

from bot.dialogues.catalog import Catalog, load_valid_catalog
from bot.engine import Engine
from tests.engine.helpers import FIXTURES, LOCALES, content_dir


@pytest.fixture(scope="session")
def fixture_content(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return content_dir(tmp_path_factory.mktemp("content"))


@pytest.fixture(scope="session")
def catalog(fixture_content: Path) -> Catalog:
    return load_valid_catalog([FIXTURES / "dialogues"], fixture_content, list(LOCALES))


@pytest.fixture(scope="session")
def engine(catalog: Catalog) -> Engine:
    return Engine(catalog)
